"""GAN and sequence recipes' training throughput against plain PyTorch loops, in one run.

GAN: the ``gan`` job (DCGAN templates, ngf = ndf = 16, digits resized to
32x32, batch 64) against a hand-written DCGAN loop of the same compiled
graphs (same init, BCE, Adam(0.5, 0.999), the same resize per batch).
Sequence: the ``train`` job of the LSTM template on ``parity`` against a
hand-written loop (shuffled batches of 64, cross-entropy, Adam, accuracy on
the validation split after each epoch and on the test split at the end) of
the same compiled graph. Each side is timed over the training epochs only (the
recipe's own epoch work included: validation, sample grid, checkpoints),
alternately, ``--repeats`` times; the best of each is compared as samples per
second (goal: recipe / plain >= 0.95).

    .venv/bin/python benches/bench_recipes_throughput.py [--repeats 3] [--epochs 3] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from workers.engine import compile_graph, load_template  # noqa: E402
from workers.engine.data import load_dataset  # noqa: E402
from workers.engine.jobs.runner import StopFlag, build_recipe  # noqa: E402
from workers.engine.train import NullSink  # noqa: E402

BATCH = 64


def _template(name: str, **variables) -> dict:
    doc = load_template(name)
    doc["variables"].update(variables)
    return doc


def timed_job(kind: str, graph: dict, dataset: str, config: dict) -> float:
    """Seconds of ``run()`` of the registered kind's recipe (setup excluded)."""
    run_dir = Path(tempfile.mkdtemp())
    job = {"kind": kind, "run_id": 1, "graph": graph, "dataset": {"kind": dataset},
           "config": {"batch_size": BATCH, "system_every_s": 3600, **config}}
    (run_dir / "job.json").write_text(json.dumps(job))
    recipe = build_recipe(job, run_dir, NullSink(), StopFlag())
    recipe.setup(None)
    try:
        started = time.perf_counter()
        recipe.run()
        return time.perf_counter() - started
    finally:
        recipe.cleanup()


def plain_gan(generator: dict, discriminator: dict, epochs: int) -> float:
    x = load_dataset({"kind": "digits"}).train.x
    g, d = compile_graph(generator, seed=0), compile_graph(discriminator, seed=1)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = torch.nn.BCELoss()
    started = time.perf_counter()
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(BATCH):
            real = F.interpolate(x[idx], size=(32, 32), mode="bilinear", align_corners=False) * 2 - 1
            ones, zeros = torch.ones(len(idx)), torch.zeros(len(idx))
            fake = g(torch.randn(len(idx), 100, 1, 1))
            loss_d = bce(d(real).view(-1), ones) + bce(d(fake.detach()).view(-1), zeros)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = bce(d(fake).view(-1), ones)
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
    return time.perf_counter() - started


def plain_sequence(graph: dict, epochs: int) -> float:
    data = load_dataset({"kind": "parity"})
    x, y = data.train.x, data.train.y
    model = compile_graph(graph, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    started = time.perf_counter()
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(BATCH):
            loss = F.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        evaluate(model, data.val)  # as the recipe does after each epoch
    evaluate(model, data.test)
    return time.perf_counter() - started


@torch.no_grad()
def evaluate(model, split) -> float:
    model.eval()
    accuracy = float((model(split.x).argmax(1) == split.y).float().mean())
    model.train()
    return accuracy


def compare(name: str, samples: int, recipe, plain, repeats: int) -> None:
    recipe_s, plain_s = [], []
    for _ in range(repeats):
        plain_s.append(plain())
        recipe_s.append(recipe())
    r, p = samples / min(recipe_s), samples / min(plain_s)
    print(f"{name}: recipe {r:,.0f} samples/s, plain loop {p:,.0f} samples/s, ratio {r / p:.3f} "
          f"(best of {repeats}; recipe runs {', '.join(f'{t:.2f}' for t in recipe_s)} s, "
          f"plain {', '.join(f'{t:.2f}' for t in plain_s)} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    epochs = args.epochs
    generator, discriminator = _template("dcgan_generator", ngf=16), _template("dcgan_discriminator", ndf=16)
    digits = len(load_dataset({"kind": "digits"}).train)
    compare("GAN (DCGAN ngf=ndf=16, digits at 32x32)", digits * epochs,
            lambda: timed_job("gan", generator, "digits", {"epochs": epochs, "discriminator": discriminator}),
            lambda: plain_gan(generator, discriminator, epochs), args.repeats)
    lstm = load_template("lstm_classifier")
    parity = len(load_dataset({"kind": "parity"}).train)
    compare("Sequence (LSTM template, parity of 8 bits)", parity * epochs,
            lambda: timed_job("train", lstm, "parity", {"epochs": epochs, "optimizer": {"lr": 0.01}}),
            lambda: plain_sequence(lstm, epochs), args.repeats)


if __name__ == "__main__":
    main()
