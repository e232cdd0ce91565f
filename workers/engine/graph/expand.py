"""Blocks and repeats expanded into one flat list of nodes, in topological order.

A flat node's ``key`` is its dotted submodule path (``layer1.0.conv1``). Block
Input/Output nodes become *alias* nodes (identity, no module) so that block
ports wire like any other edge; the compiler and shape inference pass values
through them. Every flat node remembers the top-level node it came from
(``origin``), which is what errors and the report name, and its ``site``: the
(block, node id, instance prefix) of every block body it sits in, outermost
first, so that errors and the report can also name the node inside a block.
"""
from __future__ import annotations

from ..registry import OpSpec, ParamError, coerce, get_op, op_spec
from ..registry.core import Param
from ..schema import GraphDocument, error
from .expr import ExprError, resolve
from .structure import BLOCK_PREFIX, Scope, block_ports

MAX_REPEAT = 1000
MAX_DEPTH = 16


class Flat:
    __slots__ = ("key", "op", "spec", "params", "origin", "inputs", "alias", "site")

    def __init__(self, key, op, params, origin, alias=False, site=()):
        self.key, self.op, self.params, self.origin, self.alias = key, op, params, origin, alias
        self.spec = None if alias else get_op(op)
        self.inputs: dict[str, tuple[str, str]] = {}
        self.site: tuple[tuple[str, str, str], ...] = site

    @property
    def op_spec(self) -> OpSpec:
        """The op's spec: every node but a block's Input/Output alias has one."""
        if self.spec is None:
            raise KeyError(f"'{self.key}' is an alias of a block's port: it has no op")
        return self.spec


def place(err: dict, site: tuple, key: str) -> dict:
    """Say where inside blocks an error arose (docs/contracts.md section 2): the flat
    key, the innermost block and its node, and the node of every block on the way."""
    if site:
        err["path"] = key
        err["block"], err["block_node"] = site[-1][0], site[-1][1]
        err["in_blocks"] = {block: node_id for block, node_id, _ in site}
    return err


class TooBig(Exception):
    pass


class Expander:
    def __init__(self, doc: GraphDocument, scopes: dict, env: dict, max_nodes: int):
        self.doc, self.scopes, self.env, self.max_nodes = doc, scopes, env, max_nodes
        self.flat: list[Flat] = []
        self.by_key: dict[str, Flat] = {}
        self.errors: list[dict] = []
        # top-level node id -> (flat key, port map or None): where its outputs come from
        self.exits: dict[str, tuple] = {}
        # block name -> the key prefix of each of its instances, in flat order
        self.instances: dict[str, list[str]] = {}
        # block name -> inner node id -> exit (as in ``exits``), for its first instance
        self.block_exits: dict[str, dict[str, tuple]] = {}
        self._site: tuple = ()  # the site of the node being expanded

    def run(self) -> list[Flat]:
        try:
            self._scope(self.scopes[None], "", self.env, None, 0)
        except TooBig:
            self.errors.append(error(f"after expanding blocks and repeats the graph has more "
                                     f"than {self.max_nodes} nodes; lower the repeat counts",
                                     field="nodes"))
        return self.flat

    def _add(self, key: str, op: str, params: dict, origin: str, alias=False) -> Flat:
        if len(self.flat) >= self.max_nodes:
            raise TooBig
        node = Flat(key, op, params, origin, alias, self._site)
        self.flat.append(node)
        self.by_key[key] = node
        return node

    def _fail(self, origin: str | None, key: str, message: str, field: str | None = None):
        self.errors.append(place(error(f"{message} (at '{key}')" if key != origin else message,
                                       node=origin, field=field), self._site, key))

    def _scope(self, scope: Scope, prefix: str, env: dict, origin: str | None, depth: int,
               site: tuple = ()):
        ends: dict[str, tuple] = {}  # node id -> (entry, exit) as (key, port map or None)
        exits = self._exits_of(scope, prefix)
        for node in scope.order:
            top = origin or node.id
            key = prefix + node.id
            self._site = () if scope.block is None else \
                site + ((scope.block, node.id, prefix),)
            if node.op in ("Input", "Output") and scope.block is not None:
                self._add(key, node.op, {}, top, alias=True)
                ends[node.id] = ((key, None), (key, None))
            elif node.op.startswith(BLOCK_PREFIX):
                ends[node.id] = self._block(node, key, env, top, depth)
            else:
                ends[node.id] = self._op(node, key, env, top)
            if exits is not None:
                exits[node.id] = ends[node.id][1]
        for e in scope.edges:
            if e.source not in ends or e.target not in ends:
                continue  # a node whose expansion failed; its error is already recorded
            src_key, src_map = ends[e.source][1]
            dst_key, dst_map = ends[e.target][0]
            src = (src_map[e.source_port], "out") if src_map else (src_key, e.source_port)
            dst = (dst_map[e.target_port], "in") if dst_map else (dst_key, e.target_port)
            self.by_key[dst[0]].inputs[dst[1]] = src

    def _exits_of(self, scope: Scope, prefix: str) -> dict | None:
        """Where to record the exits of this scope's nodes: the top level's, and those of
        each block's first instance (the one the report details); None for the others."""
        if scope.block is None:
            return self.exits
        if self.instances[scope.block][0] != prefix:
            return None
        return self.block_exits.setdefault(scope.block, {})

    def _repeat(self, node, env: dict, top: str, key: str) -> int | None:
        if node.repeat is None:
            return None
        try:
            count = coerce(Param("repeat", "int", 1, min=1, max=MAX_REPEAT),
                           resolve(node.repeat, env))
        except (ExprError, ParamError) as exc:
            self._fail(top, key, f"node '{key}': {exc}", "repeat")
            return 1
        return count

    def _op(self, node, key: str, env: dict, top: str):
        params = {}
        for name, value in node.params.items():
            try:
                params[name] = resolve(value, env)
            except ExprError as exc:
                self._fail(top, key, f"{node.op} '{key}': {exc}", name)
                params[name] = None
        count = self._repeat(node, env, top, key)
        if count is None:
            self._add(key, node.op, params, top)
            return (key, None), (key, None)
        spec = op_spec(node.op)  # a repeat is checked on a registered op only
        port_in, port_out = spec.inputs[0].name, spec.outputs[0].name
        for i in range(count):
            self._add(f"{key}.{i}", node.op, params, top)
            if i:
                self.by_key[f"{key}.{i}"].inputs[port_in] = (f"{key}.{i - 1}", port_out)
        return (f"{key}.0", None), (f"{key}.{count - 1}", None)

    def _block(self, node, key: str, env: dict, top: str, depth: int):
        name = node.op[len(BLOCK_PREFIX):]
        block = self.doc.blocks[name]
        if depth >= MAX_DEPTH:
            self._fail(top, key, f"blocks nest deeper than {MAX_DEPTH} levels at '{key}'")
            raise TooBig
        inner = self._block_env(node, block, env, top, key)
        ins, outs = block_ports(block)
        count = self._repeat(node, env, top, key)
        copies = [f"{key}."] if count is None else [f"{key}.{i}." for i in range(count)]
        self.instances.setdefault(name, []).extend(copies)
        site = self._site
        for i, prefix in enumerate(copies):
            self._scope(self.scopes[name], prefix, inner, top, depth + 1, site)
            if i:  # chain the copies: single output of copy i-1 into single input of copy i
                first_in = self.by_key[prefix + ins["in"]]
                first_in.inputs["in"] = (copies[i - 1] + outs["out"], "out")
        entry = {port: copies[0] + nid for port, nid in ins.items()}
        exit_ = {port: copies[-1] + nid for port, nid in outs.items()}
        return (None, entry), (None, exit_)

    def _block_env(self, node, block, env: dict, top: str, key: str) -> dict:
        inner = dict(self.env)
        for pname in node.params.keys() - block.params.keys():
            known = ", ".join(block.params) or "none"
            self._fail(top, key, f"block '{key}' has no param {pname!r} (params: {known})",
                       pname)
        for pname, spec in block.params.items():
            raw = node.params.get(pname, spec.default)
            try:
                value = coerce(Param(pname, spec.type, spec.default, min=spec.min,
                                     max=spec.max, choices=tuple(spec.choices or ())),
                               resolve(raw, env))
            except (ExprError, ParamError) as exc:
                self._fail(top, key, f"block '{key}': {exc}", pname)
                value = spec.default
            inner[pname] = list(value) if isinstance(value, tuple) else value
        return inner
