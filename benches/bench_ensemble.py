"""Ensemble gain over the best member on digits: 5 members, fixed seeds, every method.

Trains five members with the engine's train job (MLPs of five widths, seeds
1-5, 3 epochs each), combines them with the ensemble job (no retraining) and
prints each member's test accuracy, each method's, and the gain of each over
the best member (test split of digits, 360 images).

    .venv/bin/python benches/bench_ensemble.py [--members 5] [--epochs 3]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from tests.engine.training.conftest import mlp_graph  # noqa: E402
from workers.engine.jobs.runner import EXIT_OK, StopFlag, execute  # noqa: E402


class Keep:
    def __init__(self):
        self.events = []

    def emit(self, event):
        self.events.append(event)


def run(run_dir: Path, **job) -> dict:
    (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    (run_dir / "job.json").write_text(json.dumps({"run_id": 1, "dataset": {"kind": "digits"}, **job}))
    sink = Keep()
    assert execute(run_dir, sink, StopFlag()) == EXIT_OK, sink.events[-1]
    return sink.events[-1]["summary"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    base = Path(tempfile.mkdtemp())
    inputs = []
    for seed in range(1, args.members + 1):
        graph = mlp_graph(hidden=16 + 8 * seed)
        run(base / str(seed), kind="train", graph=graph,
            config={"epochs": args.epochs, "batch_size": 64, "seed": seed, "optimizer": {"lr": 0.005},
                    "system_every_s": 3600})
        inputs.append({"run": seed, "checkpoint": "best", "graph": graph,
                       "path": str(base / str(seed) / "checkpoints" / "best.pt")})
    summary = run(base / "ensemble", kind="ensemble", graph=inputs[0]["graph"], inputs=inputs,
                  config={"exports": []})
    best = summary["best_member_test_accuracy"]
    for m in inputs:
        accuracy = summary["member_run%d_test_accuracy" % m["run"]]
        print(f"member run{m['run']} (hidden {16 + 8 * m['run']}): test accuracy {accuracy:.4f}")
    for method in ("soft", "weighted", "hard"):
        value = summary[f"test_accuracy_{method}"]
        print(f"{method:>8}: test accuracy {value:.4f}, gain over the best member {value - best:+.4f}")


if __name__ == "__main__":
    main()
