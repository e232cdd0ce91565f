"""DDP on the CPU: 2 processes (gloo) vs 1, same global batch, through the real job child.

Both runs are ``python -m workers.engine.jobs`` children (the 2-process one
under ``torch.distributed.run``), one thread per process, training the digits
CNN template on scikit-learn's digits. The
figure is the median of the children's own ``samples_per_sec`` events
(global samples over wall time between emissions), so process start-up is
left out; the ratio says how much a second CPU process buys.

    .venv/bin/python benches/bench_training_ddp.py [--epochs 8] [--batch 128]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workers.engine import load_template  # noqa: E402


def run_child(run_dir: Path, nproc: int, epochs: int, batch: int) -> list[float]:
    run_dir.mkdir(parents=True)
    job = {"kind": "train", "run_id": 0, "graph": load_template("digits_cnn"),
           "dataset": {"kind": "digits"}, "resume_from": None,
           "config": {"epochs": epochs, "batch_size": batch, "device": "cpu",
                      "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9}}}
    (run_dir / "job.json").write_text(json.dumps(job))
    launcher = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc)] \
        if nproc > 1 else []
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, *launcher, "-m", "workers.engine.jobs", str(run_dir)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"{nproc} process(es) failed:\n{out.stderr[-3000:]}")
    events = [json.loads(line) for line in out.stdout.splitlines()]
    rates = [e["values"]["samples_per_sec"] for e in events
             if e["type"] == "metric" and "samples_per_sec" in e.get("values", {})]
    return rates[1:] or rates  # the first window holds the first iteration's warm-up


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one = run_child(Path(tmp) / "one", 1, args.epochs, args.batch)
        two = run_child(Path(tmp) / "two", 2, args.epochs, args.batch)
    a, b = statistics.median(one), statistics.median(two)
    print(f"digits CNN, global batch {args.batch}, {args.epochs} epochs, 1 thread per process, "
          f"{os.cpu_count()} CPUs")
    print(f"1 process : median {a:,.0f} samples/s over {len(one)} windows")
    print(f"2 processes (DDP, gloo): median {b:,.0f} samples/s over {len(two)} windows")
    print(f"ratio 2/1: {b / a:.2f}")


if __name__ == "__main__":
    main()
