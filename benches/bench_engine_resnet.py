"""ResNet-18 template vs torchvision resnet18: forward + backward, same batch, interleaved.

Both models train on the same batch in the same process, alternating every
step so that machine load hits both alike; the ratio is template / torchvision
(goal <= 1.02: the compiled GraphModule adds nothing to the layers it calls).

Run: .venv/bin/python benches/bench_engine_resnet.py [--device cuda] [--batch 32]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torchvision.models import resnet18

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workers.engine import compile_graph, load_template  # noqa: E402


def step(model, x, target, device) -> float:
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    loss = torch.nn.functional.cross_entropy(model(x), target)
    loss.backward()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--size", type=int, default=None, help="image side")
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args()
    cpu = args.device == "cpu"
    batch, size = args.batch or (8 if cpu else 64), args.size or (112 if cpu else 224)
    steps = args.steps or (15 if cpu else 50)
    torch.manual_seed(0)
    ours = compile_graph(load_template("resnet18"), seed=0).to(args.device).train()
    theirs = resnet18().to(args.device).train()
    x = torch.randn(batch, 3, size, size, device=args.device)
    target = torch.randint(0, 1000, (batch,), device=args.device)
    for _ in range(3):  # warm-up: allocator, cuDNN autotuning
        step(ours, x, target, args.device)
        step(theirs, x, target, args.device)
    times = {"template": [], "torchvision": []}
    for i in range(steps):
        order = (("template", ours), ("torchvision", theirs)) if i % 2 == 0 else \
            (("torchvision", theirs), ("template", ours))
        for name, model in order:
            model.zero_grad(set_to_none=True)
            times[name].append(step(model, x, target, args.device))
    med = {k: statistics.median(v) for k, v in times.items()}
    name = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    print(f"device {name}, batch {batch}x3x{size}x{size}, {steps} interleaved steps each")
    for k, v in med.items():
        print(f"  {k:<12} forward+backward median {v * 1e3:8.1f} ms")
    print(f"ratio template/torchvision = {med['template'] / med['torchvision']:.3f} "
          f"(goal <= 1.02)")


if __name__ == "__main__":
    main()
