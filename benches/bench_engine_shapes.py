"""Shape inference speed: validate_graph on generated graphs vs fx ShapeProp on meta.

Graphs of about 100, 1,000 and 5,000 nodes: a stem conv, then repeated
residual units (Conv2d, BatchNorm2d, ReLU, Add), then a pooled Linear head.
validate_graph does the whole job (parse, checks, blocks, per-op shape rules,
params/FLOPs/memory); the baseline is torch.fx's ShapeProp over the same graph
compiled and moved to the meta device (propagation only, the cheapest part).

Run: .venv/bin/python benches/bench_engine_shapes.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch
from torch.fx.passes.shape_prop import ShapeProp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workers.engine import compile_graph, validate_graph  # noqa: E402

SIZES = (100, 1_000, 5_000)


def generated(n_nodes: int) -> dict:
    nodes = [{"id": "x", "op": "Input", "params": {"shape": [16, 16, 16]}},
             {"id": "stem", "op": "Conv2d", "params": {"out_channels": 16, "padding": 1}}]
    edges = [{"source": "x", "target": "stem"}]
    prev, i = "stem", 0
    while len(nodes) < n_nodes - 4:
        ids = [f"conv{i}", f"bn{i}", f"relu{i}", f"add{i}"]
        nodes += [{"id": ids[0], "op": "Conv2d", "params": {"out_channels": 16, "padding": 1}},
                  {"id": ids[1], "op": "BatchNorm2d"}, {"id": ids[2], "op": "ReLU"},
                  {"id": ids[3], "op": "Add"}]
        edges += [{"source": prev, "target": ids[0]}, {"source": ids[0], "target": ids[1]},
                  {"source": ids[1], "target": ids[2]},
                  {"source": ids[2], "target": ids[3], "target_port": "in0"},
                  {"source": prev, "target": ids[3], "target_port": "in1"}]
        prev, i = ids[3], i + 1
    nodes += [{"id": "pool", "op": "AdaptiveAvgPool2d"}, {"id": "flat", "op": "Flatten"},
              {"id": "fc", "op": "Linear", "params": {"out_features": 10}},
              {"id": "y", "op": "Output"}]
    for a, b in ((prev, "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "y")):
        edges.append({"source": a, "target": b})
    return {"schema": "netweave.graph/1", "name": f"gen{n_nodes}", "nodes": nodes,
            "edges": edges}


def timed(fn, repeats: int) -> tuple[float, float]:
    """(best, median) seconds: the best shows the code's cost on a quiet machine, the
    median what a shared one gives."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    torch.set_num_threads(1)
    validate_graph(generated(100))  # import and registry warm-up, outside the timings
    print(f"{'nodes':>6} {'validate_graph best/median':>27} {'fx ShapeProp (meta) best/median':>32}"
          f" {'ratio (best)':>13}")
    for size in SIZES:
        doc = generated(size)
        report = validate_graph(doc)
        assert report["ok"], report["errors"][:3]
        repeats = 11 if size <= 1_000 else 3
        ours = timed(lambda: validate_graph(doc), repeats)
        module = compile_graph(doc).to("meta")
        example = torch.empty(2, 16, 16, 16, device="meta")
        theirs = timed(lambda: ShapeProp(module).propagate(example), max(3, repeats // 2))
        print(f"{len(doc['nodes']):>6} {ours[0] * 1e3:>13.1f} / {ours[1] * 1e3:>6.1f} ms "
              f"{theirs[0] * 1e3:>18.1f} / {theirs[1] * 1e3:>6.1f} ms "
              f"{theirs[0] / ours[0]:>12.1f}x")
    print("ratio = ShapeProp time / validate_graph time (higher is better; goal: "
          "validate_graph <= 100 ms at 1,000 nodes)")


if __name__ == "__main__":
    main()
