"""Checks of each scope (the top level and every block body) before anything is expanded.

Unknown ops, bad ports, two edges into one port, dangling inputs, cycles,
nodes that lead to no Output, block recursion: all reported together, each
naming its node. A scope that passes gets a topological order of its nodes.
"""
from __future__ import annotations

import difflib
import heapq
import re
from dataclasses import dataclass, field

from ..registry import get_op, list_ops, op_spec
from ..schema import Block, Edge, GraphDocument, Node, error

_INDEXED = re.compile(r"^(in|out)(\d{1,3})$")
BLOCK_PREFIX = "block:"


@dataclass
class Scope:
    """The top level (``block`` is None) or one block body."""

    nodes: list[Node]
    edges: list[Edge]
    block: str | None = None
    order: list[Node] = field(default_factory=list)
    by_id: dict[str, Node] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)
    # Errors of the top level that leave the rest of the graph analysable (an
    # input not connected yet, a node that leads nowhere): a person still wiring
    # keeps the shapes and totals of the connected part.
    loose: list[dict] = field(default_factory=list)
    # Nodes of the top level with an input not connected: they and what follows
    # them are left out of inference.
    unfed: set[str] = field(default_factory=set)

    def where(self, node_id: str | None, what: str) -> dict:
        """``node`` and ``field`` of an error about ``what`` of a node of this scope."""
        if node_id is None or node_id not in self.index:
            prefix = f"blocks.{self.block}." if self.block else ""
            return {"node": None, "field": prefix + what}
        if self.block is None:
            return {"node": node_id, "field": what}
        return {"node": node_id, "field": f"blocks.{self.block}.nodes[{self.index[node_id]}]."
                                          f"{what}"}

    def name(self, node_id: str) -> str:
        return f"'{node_id}' in block {self.block}" if self.block else f"'{node_id}'"


def block_ports(block: Block) -> tuple[dict[str, str], dict[str, str]]:
    """Instance port name -> the block's Input/Output node id (a single one also 'in'/'out')."""
    ins = {n.id: n.id for n in block.nodes if n.op == "Input"}
    outs = {n.id: n.id for n in block.nodes if n.op == "Output"}
    if len(ins) == 1:
        ins["in"] = next(iter(ins.values()))
    if len(outs) == 1:
        outs["out"] = next(iter(outs.values()))
    return ins, outs


def check_document(doc: GraphDocument) -> tuple[dict, list[dict]]:
    """Scopes by block name (None: the top level) and every structural error."""
    errors: list[dict] = []
    scopes: dict[str | None, Scope] = {None: Scope(doc.nodes, doc.edges)}
    scopes.update({name: Scope(b.nodes, b.edges, name) for name, b in doc.blocks.items()})
    for name in doc.blocks:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", name):
            errors.append(error(f"block name {name[:80]!r} must be letters, digits and '_'",
                                field=f"blocks.{name[:80]}"))
    for scope in scopes.values():
        start = len(errors)
        _check_scope(scope, doc, errors)
        if scope.block is not None:
            for e in errors[start:]:
                e["block"], e["block_node"] = scope.block, e["node"]
    _check_recursion(doc, errors)
    if any("block" in e for e in errors):
        _place(doc, errors)
    return scopes, errors


def first_uses(doc: GraphDocument) -> dict[str, tuple[str, tuple]]:
    """Block name -> (the top-level node that first uses it, and the (block, node id) of
    each enclosing block body on the way), in document order; unused blocks are absent."""
    found: dict[str, tuple[str, tuple]] = {}

    def walk(scope: str | None, nodes: list[Node], top: str | None, trail: tuple) -> None:
        for node in nodes:
            name = node.op[len(BLOCK_PREFIX):] if node.op.startswith(BLOCK_PREFIX) else None
            if name not in doc.blocks or name in found:
                continue
            here = trail + ((scope, node.id),) if scope else trail
            found[name] = (top or node.id, here)
            walk(name, doc.blocks[name].nodes, top or node.id, here)

    walk(None, doc.nodes, None, ())
    return found


def _place(doc: GraphDocument, errors: list[dict]) -> None:
    """A block body is checked once, not per instance: an error in it names the block and
    its node, and (as ``node``) the top-level node that first uses the block, if any."""
    uses = first_uses(doc)
    for e in errors:
        if "block" not in e:
            continue
        top, trail = uses.get(e["block"], (None, ()))
        inner = e.pop("block_node", None)
        e["node"], e["in_blocks"] = top, dict(trail)
        if inner is not None:
            e["block_node"] = inner
            e["in_blocks"][e["block"]] = inner


def _check_scope(scope: Scope, doc: GraphDocument, errors: list[dict]) -> None:
    for i, node in enumerate(scope.nodes):
        if node.id in scope.by_id:
            errors.append(error(f"two nodes have the id '{node.id}'; ids must be unique",
                                **scope.where(None, f"nodes[{i}].id")))
            continue
        scope.by_id[node.id] = node
        scope.index[node.id] = i
    ports = {n.id: _ports(n, scope, doc, errors) for n in scope.by_id.values()}
    kinds = {op for op in (n.op for n in scope.by_id.values())}
    if "Input" not in kinds or "Output" not in kinds:
        what = f"block {scope.block}" if scope.block else "the graph"
        errors.append(error(f"{what} needs at least one Input node and one Output node",
                            **scope.where(None, "nodes")))
    wired = _check_edges(scope, ports, errors)
    _check_inputs(scope, ports, wired, errors)
    _order(scope, wired, errors)


def _ports(node: Node, scope: Scope, doc: GraphDocument, errors: list[dict]):
    """(input ports, output ports) of a node: name sets, '*' marking variadic ports."""
    if node.op.startswith(BLOCK_PREFIX):
        block = doc.blocks.get(node.op[len(BLOCK_PREFIX):])
        if block is None:
            known = ", ".join(sorted(doc.blocks)) or "none in this document"
            errors.append(error(f"node {scope.name(node.id)} uses {node.op!r}, but there is no "
                                f"such block (blocks: {known})", **scope.where(node.id, "op")))
            return None
        ins, outs = block_ports(block)
        return {p: False for p in ins}, {p: False for p in outs}
    spec = get_op(node.op)
    if spec is None:
        errors.append(error(f"node {scope.name(node.id)} has unknown op {node.op[:100]!r}"
                            f"{_suggest(node.op, doc)}", **scope.where(node.id, "op")))
        return None
    return ({p.name: p.variadic for p in spec.inputs}, {p.name: p.variadic for p in spec.outputs})


def _suggest(op: str, doc: GraphDocument) -> str:
    names = list_ops() + [BLOCK_PREFIX + b for b in doc.blocks]
    lower = {n.lower(): n for n in names}
    close = [lower[op.lower()]] if op.lower() in lower else \
        difflib.get_close_matches(op, names, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else \
        "; see the layer catalogue for the ops that exist"


def _port_ok(port: str, ports: dict, direction: str) -> bool:
    if port in ports and not ports[port]:
        return True
    match = _INDEXED.match(port)
    return bool(match and match.group(1) == direction and ports.get(direction))


def _check_edges(scope: Scope, ports: dict, errors: list[dict]) -> dict:
    """target id -> {target port: (source id, source port)} for the edges that are valid."""
    wired: dict[str, dict] = {nid: {} for nid in scope.by_id}
    seen: dict[tuple, int] = {}
    for i, e in enumerate(scope.edges):
        key = (e.source, e.source_port, e.target, e.target_port)
        if key in seen:  # the same edge twice: one error, before any other check of it
            errors.append(error(f"two edges go from '{e.source[:64]}' ({e.source_port}) into "
                                f"input {e.target_port!r} of node {scope.name(e.target[:64])} "
                                f"(edges {seen[key]} and {i}); delete one",
                                node=scope.where(e.target, "")["node"], port=e.target_port,
                                field=scope.where(None, f"edges[{i}]")["field"]))
            continue
        seen[key] = i
        bad = False
        for end, nid in (("source", e.source), ("target", e.target)):
            if nid not in scope.by_id:
                errors.append(error(f"edge {i} {end} {nid[:80]!r} is not a node of "
                                    f"{'block ' + scope.block if scope.block else 'the graph'}",
                                    **scope.where(None, f"edges[{i}].{end}")))
                bad = True
        if bad:
            continue
        for nid, port, direction, which in ((e.source, e.source_port, "out", 1),
                                            (e.target, e.target_port, "in", 0)):
            # A node with an unknown op has its own error; its edges still count for
            # ordering and reachability, so one mistake gives one message.
            if ports[nid] is not None and not _port_ok(port, ports[nid][which], direction):
                have = ", ".join(_port_names(ports[nid][which], direction)) or "none"
                errors.append(error(f"node {scope.name(nid)} has no {'output' if which else 'input'}"
                                    f" port {port[:64]!r} (ports: {have})",
                                    node=scope.where(nid, "")["node"], port=port[:64],
                                    field=scope.where(None, f"edges[{i}]")["field"]))
                bad = True
        if bad:
            continue
        if e.target_port in wired[e.target]:
            errors.append(error(f"two edges go into input {e.target_port!r} of node "
                                f"{scope.name(e.target)}; an input takes one edge (use Add or "
                                f"Concat to merge)", node=scope.where(e.target, "")["node"],
                                port=e.target_port, field=scope.where(None, f"edges[{i}]")["field"]))
            continue
        wired[e.target][e.target_port] = (e.source, e.source_port)
    return wired


def _port_names(ports: dict, direction: str) -> list[str]:
    return [f"{direction}0, {direction}1, ..." if variadic else name
            for name, variadic in ports.items()]


def _required(node: Node, ports) -> list[tuple[str, ...]]:
    """Input ports that must be connected, each with the names that satisfy it."""
    ins = ports[0]
    if not node.op.startswith(BLOCK_PREFIX):
        return [(name,) for name, variadic in ins.items() if not variadic]
    real = [name for name in ins if name != "in" or len(ins) == 1]
    return [(name, "in") if "in" in ins and name != "in" else (name,) for name in real]


def _check_inputs(scope: Scope, ports: dict, wired: dict, errors: list[dict]) -> None:
    for nid, node in scope.by_id.items():
        if ports[nid] is None:
            continue
        got = wired[nid]
        if any(ports[nid][0].values()):
            _check_variadic(scope, node, got, errors)
        required = _required(node, ports[nid])
        for names in required:
            hits = [n for n in names if n in got]
            if not hits:
                errors.append(error(f"input {names[0]!r} of node {scope.name(nid)} "
                                    f"({node.op}) is not connected", port=names[0],
                                    **scope.where(nid, "")))
                _loose(scope, errors[-1], nid)
            elif len(hits) > 1:
                errors.append(error(f"input {names[0]!r} of node {scope.name(nid)} is wired "
                                    f"twice (as {names[0]!r} and 'in')", port=names[0],
                                    **scope.where(nid, "")))
        is_block = node.op.startswith(BLOCK_PREFIX)
        outs = [n for n in ports[nid][1] if not (is_block and n == "out" and len(ports[nid][1]) > 1)]
        if node.repeat is not None and (len(required) != 1 or len(outs) != 1 or
                                             any(ports[nid][0].values()) or
                                             any(ports[nid][1].values())):
            errors.append(error(f"node {scope.name(nid)} has repeat, but only nodes with one "
                                f"input and one output can be repeated",
                                **scope.where(nid, "repeat")))


def _check_variadic(scope: Scope, node: Node, got: dict, errors: list[dict]) -> None:
    spec = op_spec(node.op)
    indices = sorted(int(p[2:]) for p in got if _INDEXED.match(p))
    need = next(p.min_count for p in spec.inputs if p.variadic)
    if len(indices) < need:
        errors.append(error(f"node {scope.name(node.id)} ({node.op}) needs at least {need} "
                            f"inputs (in0, in1, ...), it has {len(indices)}", port="in0",
                            **scope.where(node.id, "")))
    elif indices != list(range(len(indices))):
        errors.append(error(f"node {scope.name(node.id)} ({node.op}) has inputs "
                            f"{', '.join('in%d' % i for i in indices)}; number them in0, in1, "
                            f"... without gaps", **scope.where(node.id, "")))


def _order(scope: Scope, wired: dict, errors: list[dict]) -> None:
    """Topological order (Kahn); names a cycle and the nodes that lead to no Output."""
    users: dict[str, list[str]] = {nid: [] for nid in scope.by_id}
    pending = {nid: len(sources) for nid, sources in wired.items()}
    for nid, sources in wired.items():
        for src, _ in sources.values():
            users[src].append(nid)
    # A heap on document order: independent nodes keep the order the person drew,
    # so generated code and names read the same way.
    ready = [(scope.index[nid], nid) for nid in scope.by_id if pending[nid] == 0]
    heapq.heapify(ready)
    while ready:
        _, nid = heapq.heappop(ready)
        scope.order.append(scope.by_id[nid])
        for user in users[nid]:
            pending[user] -= 1
            if pending[user] == 0:
                heapq.heappush(ready, (scope.index[user], user))
    if len(scope.order) < len(scope.by_id):
        cycle = _find_cycle({nid for nid, left in pending.items() if left}, wired)
        errors.append(error(f"the graph has a cycle: {' -> '.join(cycle)}; a model's data "
                            f"must flow one way (remove one of these edges)",
                            **scope.where(cycle[0], "")))
        return
    _check_reaches_output(scope, users, errors)


def _find_cycle(stuck: set[str], wired: dict) -> list[str]:
    """One cycle among nodes Kahn could not order, as ids in flow order, first repeated."""
    start = min(stuck)
    path: list[str] = []
    seen: dict[str, int] = {}
    nid = start
    while nid not in seen:  # every stuck node has a stuck source: walk upstream
        seen[nid] = len(path)
        path.append(nid)
        nid = next(src for src, _ in wired[nid].values() if src in stuck)
    cycle = path[seen[nid]:]
    cycle.reverse()
    return cycle + [cycle[0]]


def _check_reaches_output(scope: Scope, users: dict, errors: list[dict]) -> None:
    reached = {n.id for n in scope.order if n.op == "Output"}
    for node in reversed(scope.order):
        if any(u in reached for u in users[node.id]):
            reached.add(node.id)
    for node in scope.order:
        if node.id not in reached:
            errors.append(error(f"node {scope.name(node.id)} ({node.op}) does not lead to any "
                                f"Output; connect it or delete it", **scope.where(node.id, "")))
            _loose(scope, errors[-1])


def _loose(scope: Scope, err: dict, unfed: str | None = None) -> None:
    if scope.block is None:
        scope.loose.append(err)
        if unfed is not None:
            scope.unfed.add(unfed)


def skip_unfed(scope: Scope) -> None:
    """Leave the nodes with an unconnected input, and every node after them, out of
    the scope's order: the rest is expanded and inferred as usual."""
    skipped = set(scope.unfed)
    sources: dict[str, list[str]] = {}
    for e in scope.edges:
        sources.setdefault(e.target, []).append(e.source)
    for node in scope.order:  # topological: a node's sources come before it
        if any(src in skipped for src in sources.get(node.id, ())):
            skipped.add(node.id)
    scope.order = [n for n in scope.order if n.id not in skipped]


def _check_recursion(doc: GraphDocument, errors: list[dict]) -> None:
    uses = {name: {n.op[len(BLOCK_PREFIX):] for n in b.nodes if n.op.startswith(BLOCK_PREFIX)}
            for name, b in doc.blocks.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for used in sorted(uses.get(name, ())):
            if state.get(used) == 1:
                loop = path[path.index(used):] + [name, used] if used in path else [name, used]
                errors.append(error(f"block {used} contains itself through "
                                    f"{' -> '.join(dict.fromkeys(loop))} -> {used}; "
                                    f"blocks cannot nest recursively", field=f"blocks.{used}")
                              | {"block": used})
            elif used in uses and not state.get(used):
                visit(used, path + [name])
        state[name] = 2

    for name in sorted(uses):
        if not state.get(name):
            visit(name, [])
