"""Evaluate on digits: launch to result, and its latency figures against a plain loop.

Trains the digits CNN template for a few epochs once (the engine's train job,
in this process), then:

1. launch to result: the evaluate job child started as a worker starts it
   (``python -m workers.engine.jobs <run_dir>``), from the process start to its
   ``done`` event, several times (the Celery dispatch before it is measured by
   bench_runs_latency.py);
2. the latency the evaluate job reports (``engine.measure.cpu_latency``: warm-up,
   median of repeated timings, threads fixed) against a plain ``torch.no_grad()``
   loop over the same checkpoint, compiled graph and batch, timed the same
   number of times in the same process: the ratio should be 1.0 (no overhead).

    .venv/bin/python benches/bench_evaluate.py [--repeats 5] [--timings 200] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from workers.engine import compile_graph, load_template  # noqa: E402
from workers.engine.data import load_dataset  # noqa: E402
from workers.engine.jobs.runner import EXIT_OK, StopFlag, execute  # noqa: E402
from workers.engine.measure import batch_of, cpu_latency  # noqa: E402
from workers.engine.train import NullSink, load_checkpoint  # noqa: E402


def write_job(run_dir: Path, **job) -> Path:
    (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    (run_dir / "job.json").write_text(json.dumps({"run_id": 1, **job}))
    return run_dir


def train(base: Path, graph: dict) -> Path:
    run_dir = write_job(base / "train", kind="train", graph=graph, dataset={"kind": "digits"},
                        config={"epochs": 5, "batch_size": 64, "system_every_s": 3600})
    assert execute(run_dir, NullSink(), StopFlag()) == EXIT_OK
    return run_dir / "checkpoints" / "best.pt"


def launch_to_result(base: Path, graph: dict, checkpoint: Path, n: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    times = []
    for i in range(n):
        run_dir = write_job(base / f"eval{i}", kind="evaluate", graph=graph, dataset={"kind": "digits"},
                            inputs=[{"run": 1, "checkpoint": "best", "path": str(checkpoint)}],
                            config={"latency_repeats": 30})
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "workers.engine.jobs", str(run_dir)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        done = None
        for line in proc.stdout:
            event = json.loads(line)
            if event["type"] == "done":
                done = time.perf_counter() - start
        proc.wait()
        assert proc.returncode == 0 and done is not None, f"evaluate exited {proc.returncode}"
        times.append(done)
    return times


@torch.no_grad()
def plain_latency_ms(model, x: torch.Tensor, timings: int) -> float:
    for _ in range(3):
        model(x)
    samples = []
    for _ in range(timings):
        start = time.perf_counter()
        model(x)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5, help="evaluate jobs launched")
    parser.add_argument("--timings", type=int, default=200, help="timings per latency figure")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    graph = load_template("digits_cnn")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        checkpoint = train(base, graph)
        times = launch_to_result(base, graph, checkpoint, args.repeats)
        print(f"launch to result (job child start -> done), {args.repeats} runs: median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f} s, max {max(times):.2f} s")
        model = compile_graph(graph, seed=0)
        model.load_state_dict(load_checkpoint(checkpoint)["model"])
        model.eval()
        sample = load_dataset({"kind": "digits"}).test[[0]][0]
        for size in (1, 64):
            x = batch_of(sample, size)
            engine, plain = [], []
            for _ in range(3):  # alternate, so drift in the machine's load hits both
                engine.append(cpu_latency(model, sample, [size], args.timings, args.threads)[f"batch_{size}_ms"])
                plain.append(plain_latency_ms(model, x, args.timings))
            e, p = statistics.median(engine), statistics.median(plain)
            print(f"batch {size:>2}: evaluate's latency {e:.4f} ms, plain no_grad loop {p:.4f} ms, ratio {e / p:.3f}")


if __name__ == "__main__":
    main()
