"""Repeated submodules of an imported model as uses of one block (``layer1.0`` and
``layer1.1`` as two ``block:BasicBlock`` nodes), so that the graph reads like the model.

Every graph node the importer made remembers the module it came from (its *owner*).
The nodes under one submodule are an *instance*; two instances are the same block when
their module classes are the same and their nodes, params and wiring are identical, read
with ids relative to the instance (``conv1``, ``downsample_0``, ``add``). The outermost
submodules that occur at least twice become blocks; the rest of the graph stays flat.

A node inside a block use has the flat key ``<use id>.<inner id>`` (``layer1_0.conv1``),
which is its key in the compiled module's state_dict: ``metadata.import.modules`` maps
that key to the original module path, so ``state_dict_for_graph`` works unchanged.
"""
from __future__ import annotations

import json
from collections import defaultdict

from torch import nn

from ..schema import sanitize_id
from .layout import layered_positions

IO = ("Input", "Output")


class _Instance:
    """The nodes of the graph under the module ``path``, read relative to it."""

    def __init__(self, path: str, members: list[dict], edges: list[dict], modules: dict,
                 cls: str):
        self.path, self.cls = path, cls
        inside = {n["id"] for n in members}
        self.local: dict[str, str] = {}
        used: set[str] = set()
        for node in members:
            self.local[node["id"]] = _unique_id(_relative(node, path, modules), used)
        self.inner: list[dict] = []
        self.ins: list[tuple[str, str]] = []
        self.outs: list[tuple[str, str]] = []
        for e in edges:
            src_in, dst_in = e["source"] in inside, e["target"] in inside
            if src_in and dst_in:
                self.inner.append(e)
            elif dst_in and (e["source"], e["source_port"]) not in self.ins:
                self.ins.append((e["source"], e["source_port"]))
            elif src_in and (e["source"], e["source_port"]) not in self.outs:
                self.outs.append((e["source"], e["source_port"]))
        self.members, self.edges = members, [e for e in edges if e["source"] in inside or
                                             e["target"] in inside]
        self.signature = self._signature()

    def connected(self) -> bool:
        """Whether the nodes hang together (not a module called at two unrelated places)."""
        links = defaultdict(set)
        for e in self.inner:
            links[e["source"]].add(e["target"])
            links[e["target"]].add(e["source"])
        seen, todo = set(), [self.members[0]["id"]]
        while todo:
            node_id = todo.pop()
            if node_id not in seen:
                seen.add(node_id)
                todo.extend(links[node_id] - seen)
        return len(seen) == len(self.members)

    def port_in(self, src: tuple) -> str:
        return _port("x", self.ins.index(src), len(self.ins))

    def port_out(self, src: tuple) -> str:
        return _port("y", self.outs.index(src), len(self.outs))

    def _signature(self) -> str:
        nodes = [(self.local[n["id"]], n["op"], n["params"]) for n in self.members]
        wiring = sorted({self._edge(e) for e in self.edges})  # one output read twice: once
        return json.dumps([self.cls, nodes, wiring], sort_keys=True, default=str)

    def _edge(self, e: dict) -> tuple:
        """An edge in block terms: Input/Output node ids for the ends outside."""
        src = (e["source"], e["source_port"])
        if e["source"] in self.local:
            source = (self.local[e["source"]], e["source_port"])
        else:
            source = (self.port_in(src), "out")
        target = (self.local[e["target"]], e["target_port"]) if e["target"] in self.local \
            else (self.port_out(src), "in")
        return source + target


def _port(prefix: str, index: int, count: int) -> str:
    return prefix if count == 1 else f"{prefix}{index}"


def _relative(node: dict, path: str, modules: dict) -> str:
    """``conv1`` for the node of module ``layer1.0.conv1`` inside ``layer1.0``; the op's
    name for a node of a function (``add``)."""
    own = modules.get(node["id"])
    if own and own.startswith(path + "."):
        return sanitize_id(own[len(path) + 1:])
    return sanitize_id(node["op"].lower())


def _candidates(nodes: list[dict], owners: dict) -> dict[str, list[dict]]:
    """Module path -> its nodes, for every module that holds at least two nodes."""
    members = defaultdict(list)
    for node in nodes:
        path = owners.get(node["id"], "")
        parts = path.split(".") if path else []
        for cut in range(1, len(parts) + 1):
            members[".".join(parts[:cut])].append(node)
    return {path: found for path, found in members.items() if len(found) >= 2}


def find_instances(nodes: list[dict], edges: list[dict], owners: dict, modules: dict,
                   class_of) -> list[_Instance]:
    """The outermost submodules whose instances repeat, each an ``_Instance``."""
    candidates = _candidates([n for n in nodes if n["op"] not in IO], owners)
    instances = {path: _Instance(path, found, edges, modules, class_of(path))
                 for path, found in candidates.items()}
    ranked = sorted((i for i in instances.values() if i.connected()),
                    key=lambda i: i.path.count("."))
    banned: set[str] = set()  # signatures left with one use once outer blocks took theirs
    while True:
        chosen = _outermost(ranked, banned)
        counts: dict[str, int] = defaultdict(int)
        for inst in chosen:
            counts[inst.signature] += 1
        single = {sig for sig, n in counts.items() if n < 2}
        if not single:
            return chosen
        banned |= single


def _outermost(ranked: list[_Instance], banned: set[str]) -> list[_Instance]:
    counts: dict[str, int] = defaultdict(int)
    for inst in ranked:
        counts[inst.signature] += 1
    chosen: list[_Instance] = []
    for inst in ranked:
        if counts[inst.signature] >= 2 and inst.signature not in banned and \
                not any(inst.path.startswith(c.path + ".") for c in chosen):
            chosen.append(inst)
    return chosen


def _class_name(root: nn.Module, path: str) -> str:
    try:
        cls = type(root.get_submodule(path))
    except AttributeError:  # a tensor read at two places: never a block of its own
        return f"tensor {path}"
    return f"{cls.__module__}.{cls.__qualname__}"


def fold(doc: dict, owners: dict, root: nn.Module) -> dict:
    """``doc`` (flat, as imported from ``root``) with repeated submodules made block uses.
    Returns a new document; ``doc`` is left as it is."""
    meta = doc["metadata"]["import"]
    modules = dict(meta["modules"])
    chosen = find_instances(doc["nodes"], doc["edges"], owners, modules,
                            lambda path: _class_name(root, path))
    if not chosen:
        return doc
    names = _block_names(chosen)
    taken = {n["id"] for n in doc["nodes"]}
    use_of: dict[str, tuple[_Instance, str]] = {}  # member node id -> (instance, use id)
    nodes: list[dict] = []
    blocks: dict[str, dict] = {}
    for inst in chosen:
        use = _unique_id(sanitize_id(inst.path.replace(".", "_")), taken)
        name = names[inst.signature]
        blocks.setdefault(name, _definition(inst))
        for node in inst.members:
            use_of[node["id"]] = (inst, use)
            if node["id"] in modules:
                modules[f"{use}.{inst.local[node['id']]}"] = modules.pop(node["id"])
    placed = set()
    for node in doc["nodes"]:
        if node["id"] not in use_of:
            nodes.append({k: v for k, v in node.items() if k != "position"})
            continue
        inst, use = use_of[node["id"]]
        if use not in placed:
            placed.add(use)
            nodes.append({"id": use, "op": f"block:{names[inst.signature]}", "params": {}})
    edges = _outer_edges(doc["edges"], use_of)
    ordered = _topological(nodes, edges)
    if ordered is None:  # an instance that reads what depends on its own output: keep flat
        return doc
    positions = layered_positions([n["id"] for n in ordered], edges)
    for node in ordered:
        node["position"] = positions[node["id"]]
    out = {**doc, "nodes": ordered, "edges": edges, "blocks": blocks}
    out["metadata"] = {**doc["metadata"], "import": {**meta, "modules": modules}}
    return out


def _topological(nodes: list[dict], edges: list[dict]) -> list[dict] | None:
    """``nodes`` with every node after its sources; None when the edges make a cycle."""
    by_id = {n["id"]: n for n in nodes}
    waiting: dict[str, set[str]] = {n["id"]: set() for n in nodes}
    readers: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        waiting[e["target"]].add(e["source"])
        readers[e["source"]].add(e["target"])
    ready = [n["id"] for n in nodes if not waiting[n["id"]]]
    order = []
    while ready:
        node_id = ready.pop(0)
        order.append(by_id[node_id])
        for reader in sorted(readers[node_id]):
            waiting[reader].discard(node_id)
            if not waiting[reader]:
                ready.append(reader)
    return order if len(order) == len(nodes) else None


def _unique_id(base: str, taken: set) -> str:
    name, i = base, 1
    while name in taken:
        i += 1
        name = sanitize_id(f"{base[:58]}_{i}")
    taken.add(name)
    return name


def _block_names(chosen: list[_Instance]) -> dict[str, str]:
    """Signature -> block name: the module's class, numbered when classes repeat."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for inst in chosen:
        if inst.signature not in names:
            base = sanitize_id(inst.cls.rpartition(".")[2])
            names[inst.signature] = _unique_id(base, used)
    return names


def _definition(inst: _Instance) -> dict:
    ports_in = [{"id": inst.port_in(src), "op": "Input", "params": {}} for src in inst.ins]
    ports_out = [{"id": inst.port_out(src), "op": "Output", "params": {}} for src in inst.outs]
    inner = [{"id": inst.local[n["id"]], "op": n["op"], "params": n["params"]}
             for n in inst.members]
    edges = []
    for e in inst.edges:
        source, source_port, target, target_port = inst._edge(e)
        edges.append({"source": source, "source_port": source_port, "target": target,
                      "target_port": target_port})
    edges = [dict(t) for t in {tuple(e.items()) for e in edges}]  # an output read twice
    edges.sort(key=lambda e: (e["target"], e["target_port"], e["source"]))
    nodes = ports_in + inner + ports_out
    positions = layered_positions([n["id"] for n in nodes], edges)
    for node in nodes:
        node["position"] = positions[node["id"]]
    return {"description": f"{inst.cls}, as imported", "nodes": nodes, "edges": edges}


def _outer_edges(edges: list[dict], use_of: dict) -> list[dict]:
    out, seen = [], set()
    for e in edges:
        src, dst = use_of.get(e["source"]), use_of.get(e["target"])
        if src and dst and src[1] == dst[1]:
            continue  # inside one use
        edge = dict(e)
        if src:
            edge["source"], edge["source_port"] = \
                src[1], src[0].port_out((e["source"], e["source_port"]))
        if dst:
            edge["target"] = dst[1]
            edge["target_port"] = dst[0].port_in((e["source"], e["source_port"]))
        key = tuple(edge.items())
        if key not in seen:  # two readers inside a use of one outside value: one edge
            seen.add(key)
            out.append(edge)
    return out
