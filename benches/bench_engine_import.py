"""Import + compile of torchvision resnet50, each phase timed, against torch.fx alone.

Phases of one round trip: ``import_module`` (fx trace, mapping every node to a
registry op, layout, validation with shapes), ``compile_graph`` (building the
submodules, which initialises 25.6 M weights) and loading the original
weights. Baselines in the same run: ``torch.fx.symbolic_trace`` of the same
model (what the import adds to a bare trace), and building
``torchvision.models.resnet50()`` (what the compile costs next to the model's
own constructor, which initialises the same weights). Rounds are interleaved.

Run: .venv/bin/python benches/bench_engine_import.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch
import torchvision
from torch import fx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workers.engine import compile_graph, import_module, state_dict_for_graph  # noqa: E402

ROUNDS = 7


def clock(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    example = torch.randn(1, 3, 224, 224)
    times = {k: [] for k in ("trace", "construct", "import", "compile", "load")}
    for _ in range(ROUNDS):
        _, t = clock(lambda: fx.symbolic_trace(model))
        times["trace"].append(t)
        _, t = clock(lambda: torchvision.models.resnet50(weights=None))
        times["construct"].append(t)
        doc, t = clock(lambda: import_module(model, example))
        times["import"].append(t)
        compiled, t = clock(lambda: compile_graph(doc))
        times["compile"].append(t)
        _, t = clock(lambda: compiled.load_state_dict(
            state_dict_for_graph(doc, model.state_dict()), strict=True))
        times["load"].append(t)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    with torch.no_grad():
        diff = float((compiled.eval()(example) - model(example)).abs().max())
    print(f"resnet50: {len(doc['nodes'])} nodes, {len(doc['edges'])} edges; "
          f"median of {ROUNDS} rounds, 1 thread; max |diff| after the round trip {diff:.1e}")
    for key, label in (("trace", "fx.symbolic_trace (baseline)"),
                       ("construct", "torchvision resnet50() (baseline)"),
                       ("import", "import_module"), ("compile", "compile_graph"),
                       ("load", "load original state_dict")):
        print(f"  {label:36s} {med[key]:8.1f} ms")
    print(f"ratio import_module / symbolic_trace:            {med['import'] / med['trace']:.2f}")
    print(f"ratio (import + compile) / symbolic_trace:       "
          f"{(med['import'] + med['compile']) / med['trace']:.2f}")
    print(f"ratio compile_graph / torchvision constructor:   "
          f"{med['compile'] / med['construct']:.2f}")


if __name__ == "__main__":
    main()
