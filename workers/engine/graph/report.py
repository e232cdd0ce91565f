"""The validation report (docs/contracts.md section 2): per top-level node and in total,
and per block: the nodes and edges of its first instance, so that an opened block shows
shapes too."""
from __future__ import annotations

from typing import Any

from ..schema import GraphDocument
from .expand import Expander
from .infer import Analysis
from .limits import json_number


def _json_shape(shape):
    return None if shape is None else list(shape)


def _shape_at(a: Analysis, src: tuple | None):
    """The shape inferred at an output (None where nothing leaves it, or it was not inferred)."""
    return None if src is None else _json_shape(a.shapes.get(src))


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value


def _exit(exits: dict, node_id: str, port: str) -> tuple | None:
    if node_id not in exits:
        return None
    key, ports = exits[node_id]
    return (ports[port], "out") if ports else (key, port)


def _entry(nodes: dict, node_id: str) -> dict:
    return nodes.setdefault(node_id, {"outputs": {}, "params": 0, "flops": 0, "memory": 0,
                                      "inferred": {}})


def _add_stats(entry: dict, stats: tuple, totals: dict | None = None) -> None:
    for field, value in zip(("params", "flops", "memory"), stats):
        entry[field] = json_number(entry[field] + value)
        if totals is not None:
            totals[field] = json_number(totals[field] + value)


def _inferred(a: Analysis, key: str) -> dict:
    return {k: _jsonable(v) for k, v in a.inferred.get(key, {}).items()}


def _outputs(a: Analysis, exits: dict, nodes: dict) -> None:
    for node_id, (key, ports) in exits.items():
        # A block's Input/Output is an alias: no stats, but the shape that passes it.
        if node_id not in nodes and (key, "out") in a.shapes and a.by_key[key].alias:
            _entry(nodes, node_id)
        if node_id not in nodes:
            continue
        names = ports.keys() if ports else a.ports_of.get(key) or \
            (("out",) if a.by_key[key].alias else ())
        nodes[node_id]["outputs"] = {port: _shape_at(a, _exit(exits, node_id, port)) for port in names}


def _edges(a: Analysis, exits: dict, edges) -> list[dict]:
    out = []
    for e in edges:
        src = _exit(exits, e.source, e.source_port)
        out.append({"source": e.source, "source_port": e.source_port,
                    "target": e.target, "target_port": e.target_port,
                    "shape": _shape_at(a, src), "dtype": None if src is None else a.dtypes.get(src)})
    return out


def _blocks(doc: GraphDocument, exp: Expander, a: Analysis) -> dict:
    """Every block of the document: its first instance in flat order, how many there
    are, and that instance's nodes and edges as the top level has them."""
    blocks: dict[str, dict] = {}
    if not doc.blocks:
        return blocks
    for name in doc.blocks:
        prefixes = exp.instances.get(name, ())
        blocks[name] = {"instance": prefixes[0] if prefixes else None,
                        "uses": len(prefixes), "nodes": {}, "edges": []}
    for node in a.flat:
        stats = a.stats.get(node.key)
        if stats is None:
            continue
        for name, node_id, prefix in node.site:  # empty at the top level
            if prefix != blocks[name]["instance"]:
                continue
            entry = _entry(blocks[name]["nodes"], node_id)
            _add_stats(entry, stats)
            if node.key == prefix + node_id:
                entry["inferred"] = _inferred(a, node.key)
    for name, detail in blocks.items():
        exits = exp.block_exits.get(name)
        if detail["uses"] and exits is not None:
            _outputs(a, exits, detail["nodes"])
            detail["edges"] = _edges(a, exits, doc.blocks[name].edges)
    return blocks


def build_report(doc: GraphDocument | None, exp: Expander | None, a: Analysis | None,
                 errors: list[dict]) -> dict:
    report: dict[str, Any] = {"ok": not errors, "errors": errors, "nodes": {}, "edges": [],
              "totals": {"params": 0, "flops": 0, "memory": 0}, "blocks": {}}
    if doc is None or exp is None or a is None:
        return report
    nodes = report["nodes"]
    for node in a.flat:
        stats = a.stats.get(node.key)
        if stats is None:
            continue
        entry = _entry(nodes, node.origin)
        _add_stats(entry, stats, report["totals"])
        if node.key == node.origin:
            entry["inferred"] = _inferred(a, node.key)
    _outputs(a, exp.exits, nodes)
    report["edges"] = _edges(a, exp.exits, doc.edges)
    report["blocks"] = _blocks(doc, exp, a)
    return report
