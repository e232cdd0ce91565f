"""Import + compile time over the torchvision classification zoo, and the validate time of
the largest graph the API accepts.

Zoo: every classification model (but MaxViT, which is refused) is built on the meta device
and imported at 224x224 (ViT at its own 224), as the API's import does; ``compile_graph``
then runs under the meta device too, so the figure is the engine's own work (building
the submodules and the fx graph), not the initialisation of up to 645 M weights. Baseline
in the same run: ``torch.fx.symbolic_trace`` of the same model; the ratio says what
mapping, shape propagation and validation add to a bare trace. One round per model.

Largest graph: 10,000 nodes (the default ``max_nodes``), a chain of Linear and ReLU
layers; ``validate_graph`` against parsing the same document with pydantic alone
(baseline), median of 5 rounds.

Run: OMP_NUM_THREADS=1 .venv/bin/python benches/bench_engine_zoo.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch
from torch import fx
from torchvision import models

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workers.engine import compile_graph, import_module, validate_graph  # noqa: E402
from workers.engine.schema import GraphDocument  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine" / "exchange"))
from test_zoo import meta_model  # noqa: E402


def clock(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def zoo() -> None:
    rows = []
    for name in models.list_models(module=models):
        if name.startswith("vit"):  # at its own 224 pixels, not the test's small size
            with torch.device("meta"):
                model = models.get_model(name, weights=None).eval()
        else:
            model = meta_model(name).to("meta")
        size = 299 if name == "inception_v3" else 224
        x = torch.empty(1, 3, size, size, device="meta")
        _, trace = clock(lambda: fx.symbolic_trace(model))
        doc, imported = clock(lambda: import_module(model, x))
        with torch.device("meta"):
            _, compiled = clock(lambda: compile_graph(doc, alloc_budget=2**40))
        rows.append((name, len(doc["nodes"]), trace, imported, compiled))
        print(f"  {name:20s} {len(doc['nodes']):5d} nodes  trace {trace * 1e3:7.1f} ms  "
              f"import {imported * 1e3:7.1f} ms  compile {compiled * 1e3:7.1f} ms", flush=True)
    total = [r[3] + r[4] for r in rows]
    ratio = [(r[3] + r[4]) / r[2] for r in rows]
    worst = max(rows, key=lambda r: r[3] + r[4])
    print(f"zoo: {len(rows)} models, import + compile median {statistics.median(total):.2f} s, "
          f"max {max(total):.2f} s ({worst[0]}, {worst[1]} nodes)")
    print(f"ratio (import + compile) / fx.symbolic_trace: median {statistics.median(ratio):.1f}, "
          f"max {max(ratio):.1f}")


def largest_graph() -> dict:
    nodes = [{"id": "x", "op": "Input", "params": {"shape": [64], "dtype": "float32"}}]
    edges, prev = [], "x"
    for i in range(9_998):
        node_id = f"n{i}"
        nodes.append({"id": node_id, "op": "Linear" if i % 2 == 0 else "ReLU",
                      "params": {"out_features": 64} if i % 2 == 0 else {}})
        edges.append({"source": prev, "target": node_id})
        prev = node_id
    nodes.append({"id": "y", "op": "Output"})
    edges.append({"source": prev, "target": "y"})
    return {"schema": "netweave.graph/1", "name": "largest", "nodes": nodes, "edges": edges}


def largest() -> None:
    doc = largest_graph()
    parse, check = [], []
    for _ in range(5):
        _, t = clock(lambda: GraphDocument.model_validate(doc))
        parse.append(t)
        report, t = clock(lambda: validate_graph(doc))
        check.append(t)
    assert report["ok"], report["errors"][:3]
    print(f"largest accepted graph: {len(doc['nodes'])} nodes, validate_graph median "
          f"{statistics.median(check) * 1e3:.0f} ms (max {max(check) * 1e3:.0f} ms); "
          f"pydantic parse alone {statistics.median(parse) * 1e3:.0f} ms; ratio "
          f"{statistics.median(check) / statistics.median(parse):.1f}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    largest()
    zoo()
