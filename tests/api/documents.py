"""Small netweave.graph/1 documents the API tests save, validate and export."""
from __future__ import annotations

import copy


def chain(ids_ops: list[tuple[str, str, dict]]) -> tuple[list, list]:
    nodes = [{"id": i, "op": op, "params": params} for i, op, params in ids_ops]
    edges = [
        {"source": a["id"], "source_port": "out", "target": b["id"], "target_port": "in"}
        for a, b in zip(nodes, nodes[1:])
    ]
    return nodes, edges


def tiny_cnn(width: int = 4, name: str = "tiny-cnn", classes: int = 10) -> dict:
    """Input (1, 8, 8) → Conv2d → ReLU → Flatten → Linear(classes) → Output: valid."""
    nodes, edges = chain([
        ("x", "Input", {"shape": [1, 8, 8], "dtype": "float32"}),
        ("conv1", "Conv2d", {"out_channels": width, "kernel_size": 3, "padding": 1}),
        ("relu1", "ReLU", {}),
        ("flat", "Flatten", {}),
        ("fc", "Linear", {"out_features": classes}),
        ("y", "Output", {}),
    ])
    return {"schema": "netweave.graph/1", "name": name, "variables": {}, "nodes": nodes,
            "edges": edges, "blocks": {}}


def shape_broken() -> dict:
    """Well-formed, but Conv2d 'conv1' receives a flattened (N, 64) tensor: a shape error at conv1."""
    nodes, edges = chain([
        ("x", "Input", {"shape": [1, 8, 8], "dtype": "float32"}),
        ("flat", "Flatten", {}),
        ("conv1", "Conv2d", {"out_channels": 4, "kernel_size": 3}),
        ("y", "Output", {}),
    ])
    return {"schema": "netweave.graph/1", "name": "broken", "variables": {}, "nodes": nodes,
            "edges": edges, "blocks": {}}


def malformed() -> dict:
    """Not a graph the schema accepts: a node without an op, and an edge to nowhere."""
    doc = tiny_cnn()
    del doc["nodes"][1]["op"]
    doc["edges"].append({"source": "y", "source_port": "out", "target": "ghost", "target_port": "in"})
    return doc


def with_block() -> dict:
    """A graph using a residual-free ConvBlock defined in its `blocks`."""
    inner, inner_edges = chain([
        ("inp", "Input", {"shape": [-1, -1, -1], "dtype": "float32"}),
        ("conv", "Conv2d", {"out_channels": "=channels", "kernel_size": 3, "padding": 1}),
        ("act", "ReLU", {}),
        ("out", "Output", {}),
    ])
    doc = tiny_cnn()
    doc["nodes"][1] = {"id": "conv1", "op": "block:ConvBlock", "params": {"channels": 4}}
    doc["blocks"] = {
        "ConvBlock": {
            "params": {"channels": {"type": "int", "default": 8, "min": 1}},
            "nodes": inner,
            "edges": inner_edges,
        }
    }
    return doc


def wide(width: int) -> dict:
    doc = copy.deepcopy(tiny_cnn())
    doc["nodes"][1]["params"]["out_channels"] = width
    return doc
