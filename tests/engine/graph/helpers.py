"""Small builders of graph documents for the engine tests."""
from __future__ import annotations


def chain(*specs, shape=(1, 8, 8), dtype="float32", variables=None, blocks=None) -> dict:
    """Input -> nodes in series -> Output; each spec is (id, op, params)."""
    nodes = [{"id": "x", "op": "Input", "params": {"shape": list(shape), "dtype": dtype}}]
    edges, prev = [], "x"
    for node_id, op, params in specs:
        nodes.append({"id": node_id, "op": op, "params": params})
        edges.append({"source": prev, "target": node_id})
        prev = node_id
    nodes.append({"id": "y", "op": "Output"})
    edges.append({"source": prev, "target": "y"})
    return {"schema": "netweave.graph/1", "name": "test", "variables": variables or {},
            "nodes": nodes, "edges": edges, "blocks": blocks or {}}


def messages(report: dict) -> str:
    return "\n".join(e["message"] for e in report["errors"])
