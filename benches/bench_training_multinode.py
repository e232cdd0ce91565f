"""Two nodes of one process each vs one node of two processes: DDP on the CPU (gloo), same job.

Both are the real job child under ``torch.distributed.run`` with the commands
the workers use (designer/runs/process.child_command): one launcher with
``--standalone --nproc_per_node 2`` (baseline), or two launchers, one per
node, meeting at node 0's rendezvous (``--nnodes 2 --node_rank r``), started
together as a formed gang starts them. Same global batch, same seed, one
thread per process. On one machine the two "nodes" talk over loopback, so
the figures say what the rendezvous and the second launcher cost, not what a
network costs. Reported, alternating the two set-ups ``--repeats`` times:

- throughput: median of the child's own ``samples_per_sec`` events (start-up
  left out), and the ratio two nodes / one node;
- start-up: from starting the launcher(s) to rank 0's first training metric.

    .venv/bin/python benches/bench_training_multinode.py [--epochs 6] [--batch 128] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from designer.runs.process import child_command  # noqa: E402  (needs no Django settings)
from workers.engine import load_template  # noqa: E402


def prepare(run_dir: Path, epochs: int, batch: int) -> None:
    (run_dir / "checkpoints").mkdir(parents=True)
    job = {"kind": "train", "run_id": 0, "graph": load_template("digits_cnn"), "dataset": {"kind": "digits"},
           "resume_from": None, "inputs": [],
           "config": {"epochs": epochs, "batch_size": batch, "device": "cpu", "seed": 1, "system_every_s": 60,
                      "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9}}}
    (run_dir / "job.json").write_text(json.dumps(job))


def commands(run_dir: Path, nodes: int) -> list[list[str]]:
    """The workers' own launcher commands: one node of two processes, or one per node."""
    if nodes == 1:
        return [child_command(run_dir, 2)]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        endpoint = f"127.0.0.1:{probe.getsockname()[1]}"
    return [child_command(run_dir, 1, nodes=nodes, rendezvous=endpoint, rendezvous_id="bench", node_rank=rank)
            for rank in range(nodes)]


def run(run_dir: Path, nodes: int) -> tuple[float, float]:
    """(start-up s to the first training metric, median samples/s)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.monotonic()
    procs = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands(run_dir, nodes)]
    first, rates = None, []
    for line in procs[0].stdout:  # node 0 holds global rank 0: the events
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("type") != "metric" or event.get("split") != "train":
            continue
        if first is None and "loss" in event["values"]:
            first = time.monotonic() - started
        if "samples_per_sec" in event["values"]:
            rates.append(event["values"]["samples_per_sec"])
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"{nodes} node(s) failed:\n{err[-3000:]}")
    rates = rates[1:] or rates  # the first window holds the first iteration's warm-up
    return first, statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    figures: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for nodes in (1, 2):
                folder = Path(tmp) / f"{nodes}-{repeat}"
                prepare(folder, args.epochs, args.batch)
                figures[nodes].append(run(folder, nodes))
    print(f"digits CNN, global batch {args.batch}, {args.epochs} epochs, 2 processes of 1 thread, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, {args.repeats} alternated repeats")
    for nodes, label in ((1, "1 node x 2 processes (baseline)"), (2, "2 nodes x 1 process")):
        starts, rates = zip(*figures[nodes])
        print(f"{label}: start-up to first metric median {statistics.median(starts):.2f} s "
              f"({min(starts):.2f}-{max(starts):.2f}); throughput median {statistics.median(rates):,.0f} samples/s "
              f"({min(rates):,.0f}-{max(rates):,.0f})")
    ratio = statistics.median(r for _, r in figures[2]) / statistics.median(r for _, r in figures[1])
    start_ratio = statistics.median(s for s, _ in figures[2]) / statistics.median(s for s, _ in figures[1])
    print(f"ratio 2 nodes / 1 node: throughput {ratio:.2f}, start-up {start_ratio:.2f}")


if __name__ == "__main__":
    main()
