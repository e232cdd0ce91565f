"""The validation report (docs/contracts.md section 2), per top-level node and in total."""
from __future__ import annotations

from ..schema import GraphDocument
from .expand import Expander
from .infer import Analysis


def _json_shape(shape):
    return None if shape is None else list(shape)


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value


def exit_of(exp: Expander, node_id: str, port: str) -> tuple | None:
    if node_id not in exp.exits:
        return None
    key, ports = exp.exits[node_id]
    return (ports[port], "out") if ports else (key, port)


def build_report(doc: GraphDocument | None, exp: Expander | None, a: Analysis | None,
                 errors: list[dict]) -> dict:
    report = {"ok": not errors, "errors": errors, "nodes": {}, "edges": [],
              "totals": {"params": 0, "flops": 0, "memory": 0}}
    if doc is None or exp is None or a is None:
        return report
    nodes, totals = report["nodes"], report["totals"]
    for node in a.flat:
        stats = a.stats.get(node.key)
        if stats is None:
            continue
        entry = nodes.setdefault(node.origin, {"outputs": {}, "params": 0, "flops": 0,
                                               "memory": 0, "inferred": {}})
        for field, value in zip(("params", "flops", "memory"), stats):
            entry[field] += value
            totals[field] += value
        if node.key == node.origin:
            entry["inferred"] = {k: _jsonable(v) for k, v in a.inferred.get(node.key,
                                                                            {}).items()}
    for node_id, (key, ports) in exp.exits.items():
        if node_id not in nodes:
            continue
        names = ports.keys() if ports else a.ports_of.get(key, ())
        nodes[node_id]["outputs"] = {
            port: _json_shape(a.shapes.get(exit_of(exp, node_id, port))) for port in names}
    for e in doc.edges:
        src = exit_of(exp, e.source, e.source_port)
        report["edges"].append({"source": e.source, "source_port": e.source_port,
                                "target": e.target, "target_port": e.target_port,
                                "shape": _json_shape(a.shapes.get(src)),
                                "dtype": a.dtypes.get(src)})
    return report
