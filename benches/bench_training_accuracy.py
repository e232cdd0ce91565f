"""Accuracy: the classic MNIST CNN's design sized for 8x8 digits, trained by the engine.

The graph is the ``digits_cnn`` template (conv 32, pool, conv 64, pool, fc 128,
dropout, fc 10), compiled by the engine and trained by the recipe (AdamW,
one-cycle to 1e-2, batch 32, 40 epochs, the weights with the best val loss
kept). That recipe won a sweep of 10 recipes x 6 seeds judged on
*validation* accuracy only. The figure is test accuracy on the held-out 20 %
of scikit-learn's digits (359 images) for a few seeds; the baseline in the
same process is scikit-learn's logistic regression on the same split, and the
goal is >= 98 %.

    .venv/bin/python benches/bench_training_accuracy.py [--seeds 0 1 2] [--epochs 40]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from workers.engine import compile_graph, load_template  # noqa: E402
from workers.engine.data import load_dataset  # noqa: E402
from workers.engine.train import TrainRecipe, parse_config  # noqa: E402


def engine_accuracy(data, seed: int, epochs: int) -> float:
    cfg = parse_config({"epochs": epochs, "batch_size": 32, "seed": seed,
                        "optimizer": {"name": "adamw", "lr": 1e-2},
                        "schedule": {"name": "onecycle"}, "monitor": "val/loss"})
    with tempfile.TemporaryDirectory() as run_dir:
        recipe = TrainRecipe(compile_graph(load_template("digits_cnn"), seed=seed), data, cfg,
                             run_dir=run_dir)
        recipe.setup()
        return recipe.train()["test_accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_dataset({"kind": "digits"})
    started = time.perf_counter()
    scores = [engine_accuracy(data, seed, args.epochs) for seed in args.seeds]
    seconds = time.perf_counter() - started
    flat = lambda split: split.x.reshape(len(split), -1).numpy()  # noqa: E731
    baseline = LogisticRegression(max_iter=2000).fit(flat(data.train), data.train.y.numpy()) \
        .score(flat(data.test), data.test.y.numpy())
    print(f"digits: {len(data.train)} train / {len(data.val)} val / {len(data.test)} test, "
          f"{args.epochs} epochs, seeds {args.seeds}, {seconds:.0f} s")
    print(f"engine CNN test accuracy: {', '.join(f'{s:.4f}' for s in scores)}  "
          f"(mean {statistics.mean(scores):.4f}, min {min(scores):.4f}; goal >= 0.98)")
    print(f"baseline logistic regression: {baseline:.4f}")
    print(f"ratio CNN mean / baseline: {statistics.mean(scores) / baseline:.3f}")


if __name__ == "__main__":
    main()
