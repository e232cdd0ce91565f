"""The engine's training loop vs a plain PyTorch loop, metrics on.

Same model (the digits CNN template, compiled by the engine; the baseline
trains a deep copy), same data (scikit-learn digits, or synthetic 28x28 with
--synthetic28), same batch loader, same optimizer. The plain loop has the
classic MNIST example's shape: train an epoch (logging loss.item() every 10
batches), then evaluate loss and accuracy on the held-out split. The engine
does all it does in a run: per-step loss/lr/samples-per-second events
written as JSON lines (to /dev/null), the system monitor every second,
validation with confusion matrix and macro P/R/F1 each epoch, last.pt and
best.pt as a run writes them (every checkpoint_seconds, default 10 s, and after
the last epoch: here, once). Runs alternate (engine, plain, engine, ...); the ratio
is of median samples/s. Each run also reports samples per second of this
process's CPU time (all its threads: the checkpoint writer and the system
monitor count): on a loaded machine that ratio scatters far less than the
wall-clock one, though it leaves out waits (fsync).

    .venv/bin/python benches/bench_training_loop.py [--epochs 6] [--repeats 5] [--device cpu|cuda] [--threads 1] [--synthetic28 [--samples 6000]]
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from workers.engine import compile_graph, load_template  # noqa: E402
from workers.engine.data import DatasetBundle, TensorSplit, load_dataset  # noqa: E402
from workers.engine.jobs.events import EventWriter  # noqa: E402
from workers.engine.system import SystemMonitor  # noqa: E402
from workers.engine.train import Placement, TrainRecipe, parse_config  # noqa: E402
from workers.engine.train.loaders import eval_loader, train_loader  # noqa: E402


def synthetic28(n: int = 6000) -> DatasetBundle:
    """28x28 images, 10 classes (a class-dependent pattern plus noise)."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(n) % 10
    x = torch.rand(n, 1, 28, 28, generator=g) * 0.5
    x[torch.arange(n), 0, y * 2 + 4, :] += 0.5
    parts = [slice(0, int(n * .7)), slice(int(n * .7), int(n * .8)), slice(int(n * .8), n)]
    splits = [TensorSplit(x[p], y[p]) for p in parts]
    return DatasetBundle("synthetic28", "synthetic28", "classification", *splits, num_classes=10,
                         classes=[str(c) for c in range(10)])


class Clock:
    """Wall and process CPU time since creation; ``rates(n)``: n per second of each."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, n: int) -> tuple[float, float]:
        return n / (time.perf_counter() - self.wall), n / (time.process_time() - self.cpu)


def plain_loop(model, data, cfg, device) -> tuple[float, float]:
    """The classic MNIST example's loop on the engine's loaders; training samples/s (wall, CPU)."""
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.optimizer.lr)
    loader, sampler, _ = train_loader(data.train, cfg.batch_size, rank=0, world_size=1,
                                      seed=cfg.seed, num_workers=0, cuda=device.type == "cuda")
    test = eval_loader(data.val, cfg.batch_size * 2, rank=0, world_size=1, num_workers=0,
                       cuda=device.type == "cuda")
    log = []
    clock = Clock()
    for epoch in range(cfg.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for batch_idx, (x, y) in enumerate(loader):
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            if batch_idx % 10 == 0:
                log.append(loss.item())
        model.eval()
        correct, total = 0, 0.0
        with torch.no_grad():
            for x, y in test:
                x, y = x.to(device), y.to(device)
                out = model(x)
                total += F.cross_entropy(out, y, reduction="sum").item()
                correct += int((out.argmax(1) == y).sum())
    if device.type == "cuda":
        torch.cuda.synchronize()
    return clock.rates(len(data.train) * cfg.epochs)


def engine_loop(model, data, cfg, device, sink) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as run_dir:
        recipe = TrainRecipe(model, data, cfg, run_dir=run_dir, placement=Placement(device), sink=sink)
        recipe.setup()
        monitor = SystemMonitor(sink.emit, lambda: recipe.state.step, every_s=1.0,
                                gpus=1 if device.type == "cuda" else 0)
        monitor.start()
        clock = Clock()
        recipe.fit()
        recipe.writer.wait()  # the last checkpoint's write counts too
        if device.type == "cuda":
            torch.cuda.synchronize()
        rates = clock.rates(len(data.train) * cfg.epochs)
        monitor.stop()
        recipe.cleanup()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--synthetic28", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--samples", type=int, default=6000, help="synthetic28: images in all")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    data = synthetic28(args.samples) if args.synthetic28 else load_dataset({"kind": "digits"})
    graph = load_template("digits_cnn")
    if args.synthetic28:
        graph["nodes"][0]["params"]["shape"] = [1, 28, 28]
    cfg = parse_config({"epochs": args.epochs, "batch_size": 64, "optimizer": {"name": "adam", "lr": 1e-3}})
    model = compile_graph(graph, seed=0)
    sink = EventWriter(open("/dev/null", "w"))
    engine, plain = [], []
    engine_loop(copy.deepcopy(model), data, cfg, device, sink)  # warm-up (allocator, kernels)
    for _ in range(args.repeats):
        engine.append(engine_loop(copy.deepcopy(model), data, cfg, device, sink))
        plain.append(plain_loop(copy.deepcopy(model), data, cfg, device))
    name = "synthetic 28x28" if args.synthetic28 else "digits 8x8"
    print(f"data: {name}, {len(data.train)} training samples x {args.epochs} epochs, batch 64, "
          f"device {device}, threads {torch.get_num_threads()}")
    for i, clock in enumerate(("wall", "CPU")):
        e, p = (statistics.median(r[i] for r in runs) for runs in (engine, plain))
        for label, median, runs in (("engine", e, engine), ("plain ", p, plain)):
            listed = ", ".join(f"{r[i]:,.0f}" for r in runs)
            print(f"{clock}: {label} samples/s: median {median:,.0f}  (runs: {listed})")
        print(f"{clock}: ratio engine/plain: {e / p:.3f}" + ("  (goal >= 0.97)" if i == 0 else ""))


if __name__ == "__main__":
    main()
