"""Structural diff of two graph documents (docs/contracts.md section 2).

Works on raw dicts so that even versions that no longer validate can be compared.
"""
from __future__ import annotations


def _nodes(doc: dict) -> dict[str, dict]:
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    return {n["id"]: n for n in nodes or () if isinstance(n, dict) and isinstance(n.get("id"), str)}


def _edges(doc: dict) -> dict[tuple, dict]:
    edges = doc.get("edges") if isinstance(doc, dict) else None
    out = {}
    for e in edges or ():
        if isinstance(e, dict):
            edge = {"source": e.get("source"), "source_port": e.get("source_port", "out"),
                    "target": e.get("target"), "target_port": e.get("target_port", "in")}
            out[tuple(map(str, edge.values()))] = edge
    return out


def _changed(old: dict, new: dict) -> dict:
    return {k: [old.get(k), new.get(k)] for k in sorted(old.keys() | new.keys(), key=str)
            if old.get(k) != new.get(k)}


def diff_graphs(a: dict, b: dict) -> dict:
    """What changed from ``a`` to ``b``: nodes, edges, params, repeats and variables."""
    na, nb = _nodes(a), _nodes(b)
    ea, eb = _edges(a), _edges(b)
    changed = []
    for nid in na.keys() & nb.keys():
        old, new = na[nid], nb[nid]
        params = _changed(old.get("params") or {}, new.get("params") or {})
        entry = {"id": nid, "op": new.get("op"), "params": params}
        if old.get("op") != new.get("op"):
            entry["op_changed"] = [old.get("op"), new.get("op")]
        if old.get("repeat") != new.get("repeat"):
            entry["repeat"] = [old.get("repeat"), new.get("repeat")]
        if params or len(entry) > 3:
            changed.append(entry)
    order = {nid: i for i, nid in enumerate(list(nb) + list(na))}
    return {
        "nodes_added": [{"id": i, "op": nb[i].get("op")} for i in nb if i not in na],
        "nodes_removed": [{"id": i, "op": na[i].get("op")} for i in na if i not in nb],
        "nodes_changed": sorted(changed, key=lambda c: order[c["id"]]),
        "edges_added": [eb[k] for k in eb if k not in ea],
        "edges_removed": [ea[k] for k in ea if k not in eb],
        "variables_changed": _changed(a.get("variables") or {} if isinstance(a, dict) else {},
                                      b.get("variables") or {} if isinstance(b, dict) else {}),
        "blocks_changed": sorted(k for k in _blocks(a).keys() | _blocks(b).keys()
                                 if _blocks(a).get(k) != _blocks(b).get(k)),
    }


def _blocks(doc) -> dict:
    blocks = doc.get("blocks") if isinstance(doc, dict) else None
    return blocks if isinstance(blocks, dict) else {}
