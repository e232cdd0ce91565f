"""``import_module``: an existing ``nn.Module``, traced with torch.fx, as a ``netweave.graph/1``
document that uses only registry ops.

Every fx node maps to a graph node (leaf modules by class, functions and
tensor methods by target), to an alias (``x.contiguous()``), or to the batch
size inside a reshape. Anything else is refused with a ``GraphError`` that
names the module path and the op; nothing is dropped.

Node ids are the fx node names (``layer1_0_conv1``), sanitised and unique; the
document's ``metadata.import.modules`` maps each node id to the module path it
came from (``layer1.0.conv1``), and ``state_dict_for_graph`` (weight_names) renames the
original's state_dict keys with it, so the compiled graph loads the original
weights with ``strict=True``.
"""
from __future__ import annotations

import operator
from typing import Any

import torch
from torch import fx, nn

from torch.fx._symbolic_trace import _assert_is_none

from ..graph.api import validate_graph
from ..registry import op_spec
from ..schema import SCHEMA_ID, GraphError, error, sanitize_id
from .blocks import fold as fold_blocks
from .constants import (FACTORIES, Computed, computable, evaluate, own_tensor, placed,
                        scalar_operands)
from .function_rules import Op, Ref, Tuple, reshape_whole
from .function_rules import rules as function_rules
from .layout import layered_positions
from .node_parts import module_inputs, port_refs, tidy, where
from .merged import BACK, REFUSED, Merged, merged_call, merged_module
from .module_rules import Unmappable, module_rule
from .norm_rules import ARGS, Attr, absorbed
from .static_rules import (FOLD, fold, index, size_read, split_sizes, static_shape,
                           uneven_chunks)
from .trace import trace
from .weight_names import unused

DTYPES = {torch.float32: "float32", torch.int64: "int64"}
STATIC = FOLD | {"size", "dim", getattr, torch._assert, _assert_is_none}  # static_rules
RECURRENT = {"RNN", "LSTM", "GRU"}
LAST_STEP = (slice(None, None, None), -1)
RESHAPES = {"view", "reshape", torch.reshape}


class _Importer:
    def __init__(self, root: nn.Module, traced: fx.GraphModule, examples: tuple):
        self.root, self.traced, self.examples = root, traced, examples
        self.nodes: list[dict] = []
        self.edges: list[dict] = []
        self.values: dict[fx.Node, object] = {}
        self.ids: set[str] = set()
        self.by_id: dict[str, dict] = {}
        self.modules: dict[str, str] = {}  # node id -> module path in the original
        self.called: set[str] = set()
        self.saved = set(root.state_dict())
        self.placed: dict[int, tuple] = {}  # id(Computed) -> (it, its graph node)  # the tensors whose values the weights give
        self.unbatched: set[str] = set()  # nodes computed from the model's tensors alone
        self.owners: dict[str, str] = {}  # node id -> the module it was made in (blocks)
        self.owner = ""
        self.errors: list[dict] = []

    def new_id(self, name: str, is_input: bool = False) -> str:
        base = sanitize_id(name, is_input=is_input)
        node_id, i = base, 1
        while node_id in self.ids:
            i += 1
            node_id = sanitize_id(f"{base[:58]}_{i}")
        self.ids.add(node_id)
        return node_id

    def chain(self, name: str, ops: list[Op]) -> Ref:
        """Ops in series, each after the first taking the one before as its first input."""
        ref: Ref | None = None
        for i, op in enumerate(ops):
            inputs = op.inputs if ref is None else [ref, *op.inputs]
            ref = Ref(self.add(name if not i else f"{name}_{op.op.lower()}", op.op, op.params,
                               inputs))
        if ref is None:
            raise Unmappable("maps to no op")
        return ref

    def add(self, name: str, op: str, params: dict, inputs: list[Ref]) -> str:
        spec = op_spec(op)  # the import rules name registry ops only
        variadic = bool(spec.inputs) and spec.inputs[0].variadic
        ports = [f"in{i}" for i in range(len(inputs))] if variadic else \
            [p.name for p in spec.inputs]
        if len(ports) != len(inputs):
            raise Unmappable(f"is called with {len(inputs)} tensors; {op} takes {len(ports)}")
        node_id = self.new_id(name)
        if op == "Parameter" or (inputs and all(r.node in self.unbatched for r in inputs)):
            self.unbatched.add(node_id)
        self.nodes.append({"id": node_id, "op": op, "params": tidy(spec, params)})
        self.by_id[node_id] = self.nodes[-1]
        self.owners[node_id] = self.owner
        for ref, port in zip(inputs, ports):
            self.edges.append({"source": ref.node, "source_port": ref.port,
                               "target": node_id, "target_port": port})
        return node_id

    def nested(self, name: str, op: Op) -> str:
        """``op``, after the ops among its inputs (an einsum's Transpose before its MatMul)."""
        inputs = [Ref(self.nested(f"{name}_{i.op.lower()}", i)) if isinstance(i, Op) else i
                  for i in op.inputs]
        return self.add(name, op.op, op.params, inputs)

    def run(self) -> None:
        placeholders = 0
        for node in self.traced.graph.nodes:
            self.owner = _owner(node)
            try:
                if node.op == "placeholder":
                    self.values[node] = self.placeholder(node, placeholders)
                    placeholders += 1
                elif node.op == "output":
                    self.output(node.args[0])
                else:
                    self.values[node] = self.call(node)
            except _Skipped:
                self.values[node] = None  # an input failed; its own error is recorded
            except Unmappable as exc:
                self.errors.append(error(f"{where(self.root, node)} cannot be imported: "
                                         f"{exc}", node=sanitize_id(node.name)))
                self.values[node] = None

    def placeholder(self, node: fx.Node, index: int):
        if index >= len(self.examples) and node.args:
            return _Const(node.args[0])  # an optional argument left at its default
        if index >= len(self.examples):
            raise Unmappable("has no example input; pass one tensor per forward argument")
        example = self.examples[index]
        if not isinstance(example, torch.Tensor) or example.dtype not in DTYPES \
                or example.dim() < 1:
            raise Unmappable("needs a float32 or int64 example tensor with a batch dim")
        node_id = self.new_id(node.name, is_input=True)
        self.nodes.append({"id": node_id, "op": "Input", "params": {
            "shape": list(example.shape[1:]), "dtype": DTYPES[example.dtype]}})
        return Ref(node_id)

    def resolve(self, value):
        if isinstance(value, fx.Node):
            if self.values.get(value) is None:
                raise _Skipped
            found = self.values[value]
            return found.value if isinstance(found, _Const) else found
        if isinstance(value, (tuple, list)):
            return type(value)(self.resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def call(self, node: fx.Node):
        # The rule is looked up before the inputs, so an unmappable op is reported even
        # when something upstream failed too.
        if node.op == "get_attr":
            return self.get_attr(node)
        if node.op == "call_module":
            return self.call_module(node)
        if node.target in FACTORIES or any(isinstance(self.values.get(n), Computed)
                                           for n in node.all_input_nodes):
            args, kwargs = self.resolve(node.args), self.resolve(node.kwargs)
            if computable(node, args, kwargs):
                return evaluate(node, args, kwargs)
        rule = function_rules().get(node.target)
        if rule is None and node.target not in STATIC | set(ARGS) | BACK:
            raise Unmappable("no registry op matches it")
        args, kwargs = self.resolve(node.args), self.resolve(node.kwargs)
        merged = merged_call(node, args, kwargs)
        if merged is not None:
            return merged
        args, kwargs = self.place(scalar_operands(node, args)), self.place(kwargs)
        if node.target in ARGS:
            found = absorbed(node.target, args, kwargs, len(static_shape(node) or ()) or None,
                             self._module_at)
            if found is not None:
                node_id = self.add(node.name, found[0], found[1], [_tensor_arg(args)])
                self.modules[node_id] = found[2]
                return Ref(node_id)
            args, kwargs = self.tensors(args), self.tensors(kwargs)
            if rule is None:
                raise Unmappable("no registry op matches it (its tensors are not one "
                                 "module's own under their usual names)")
        return self.apply(node, rule, split_sizes(node, args, kwargs), kwargs)

    def get_attr(self, node: fx.Node):
        """A tensor read as an attribute: an argument a call takes over, a dtype/device read, or a Parameter."""
        if node.users and all(u.target in ARGS for u in node.users):
            return Attr(node.target)  # a norm call may take it over (norm_rules)
        if node.users and all(u.target is getattr for u in node.users):
            value = self.traced  # only its dtype or device is read
            for part in node.target.split("."):
                value = getattr(value, part)
            return Computed(value, value, None, node.name)
        return self.tensor(node.target, node.name)

    def apply(self, node: fx.Node, rule, args, kwargs):
        """A call with resolved arguments: a size read or fold, an index, or the registry rule's op(s)."""
        if node.target in RESHAPES and isinstance(args[0], Ref) and args[0].node in self.unbatched:
            rule = reshape_whole
        for static in (size_read, fold):
            value = static(node, args, kwargs)
            if value is not None:
                return value
        if node.target is operator.getitem and isinstance(args[0], Ref):
            last = self.last_step(node, args)
            if last is not None:
                return last
            ops = index(args[0], args[1], args[0].node in self.unbatched)
            ops[0].inputs = [args[0], *ops[0].inputs]
            return self.chain(node.name, ops)
        if rule is None:  # a size read or constant that could not be folded here
            raise Unmappable("no registry op matches it")
        result = uneven_chunks(node, args, kwargs) or rule(args, kwargs)
        if isinstance(result, list):
            return self.chain(node.name, result)
        if not isinstance(result, Op):
            return result
        node_id = self.nested(node.name, result)
        return port_refs(node_id, result.op, result.params)

    def _module_at(self, path: str):
        try:  # the original's: the trace keeps only the attributes forward reads
            return self.root.get_submodule(path)
        except AttributeError:
            return None

    def tensors(self, value):
        """``value`` with every Attr made a Parameter node."""
        if isinstance(value, Attr):
            return self.tensor(value.target, value.target.replace(".", "_"))
        if isinstance(value, (tuple, list)) and not isinstance(value, Ref):
            return type(value)(self.tensors(v) for v in value)
        if isinstance(value, dict):
            return {k: self.tensors(v) for k, v in value.items()}
        return value

    def tensor(self, target: str, name: str) -> Ref:
        return own_tensor(self, target, name)

    def place(self, value):
        """``value`` with every Computed made graph nodes (constants.placed), once each."""
        if isinstance(value, Computed):
            if id(value) not in self.placed:
                self.placed[id(value)] = (value, placed(value, self.add))
            return self.placed[id(value)][1]
        if type(value) in (tuple, list):  # not a Ref or Attr (named tuples)
            return type(value)(self.place(v) for v in value)
        if isinstance(value, dict):
            return {k: self.place(v) for k, v in value.items()}
        if isinstance(value, Merged):
            raise Unmappable(REFUSED)
        return value

    def call_module(self, node: fx.Node):
        module = self.root.get_submodule(node.target)
        rule = module_rule(module)
        if rule is None:
            raise Unmappable("no registry op matches this module class")
        if node.target in self.called and any(True for _ in _state(module)):
            raise Unmappable("the module is called more than once and holds weights; "
                             "graph nodes do not share weights")
        self.called.add(node.target)
        op, params = rule(module)
        args, kwargs = self.resolve(node.args), self.resolve(node.kwargs)
        if args and isinstance(args[0], Merged) and len(args) == 1 and not kwargs:
            node_id, value = merged_module(self.add, node, op, params, args[0])
            self.modules[node_id] = node.target
            return value
        args, kwargs = self.place(args), self.place(kwargs)
        node_id = self.add(node.name, op, params, module_inputs(op, args, kwargs))
        self.modules[node_id] = node.target
        if op in RECURRENT:  # (output, h_n) or, for an LSTM, (output, (h_n, c_n))
            state = Ref(node_id, "h_n")
            return Tuple((Ref(node_id), Tuple((state, None)) if op == "LSTM" else state))
        if op == "MultiheadAttention":  # (output, attention weights)
            return Tuple((Ref(node_id), None))
        return Ref(node_id)

    def last_step(self, node: fx.Node, args) -> Ref | None:
        """``output[:, -1]`` of a recurrent layer is its mode 'last': the one slice mapped."""
        if node.target is not operator.getitem or not isinstance(args[0], Ref) or \
                args[1] != LAST_STEP:
            return None
        ref, source = args[0], node.args[0]
        graph_node = self.by_id.get(ref.node)
        if graph_node is None or graph_node["op"] not in RECURRENT or ref.port != "out":
            return None
        if len(source.users) != 1:
            raise Unmappable("uses both the whole sequence and its last step")
        graph_node["params"]["mode"] = "last"
        return ref

    def output(self, value) -> None:
        if isinstance(value, fx.Node):
            named = {"output": value}
        elif isinstance(value, (tuple, list)):
            named = {f"output_{i}": v for i, v in enumerate(value)}
        elif isinstance(value, dict):
            named = {str(k): v for k, v in value.items()}
        else:
            raise Unmappable(f"returns {type(value).__name__}; return tensors")
        for name, item in named.items():
            ref = self.place(self.resolve(item))
            if not isinstance(ref, Ref):
                raise Unmappable(f"returns a value ({name}) that is not a tensor of the graph")
            node_id = self.new_id(name)
            self.nodes.append({"id": node_id, "op": "Output", "params": {}})
            self.edges.append({"source": ref.node, "source_port": ref.port,
                               "target": node_id, "target_port": "in"})


def _owner(node: fx.Node) -> str:
    """The path of the module whose code made ``node`` ('' for the model's own forward)."""
    if node.op in ("call_module", "get_attr"):
        return node.target
    stack = node.meta.get("nn_module_stack") or {}
    return next(reversed(stack.values()))[0] if stack else ""


def _tensor_arg(args) -> Ref:
    if not args or not isinstance(args[0], Ref):
        raise Unmappable("normalises a value that is not a tensor of the graph")
    return args[0]


class _Skipped(Exception):
    pass


class _Const:
    """A plain value an fx node stands for (an optional forward argument's default)."""

    def __init__(self, value):
        self.value = value


def _state(module: nn.Module):
    yield from module.parameters()
    yield from module.buffers()


def import_module(module: nn.Module, example_inputs, *, name: str | None = None,
                  blocks: bool = True) -> dict:
    """A ``netweave.graph/1`` document for ``module``; raises GraphError naming every module
    and op that has no registry counterpart. ``example_inputs`` (a tensor or a tuple, one per
    forward argument, batch first) give the Input shapes. With ``blocks``, submodules that
    repeat (same class, same nodes and params) become uses of one block (``blocks.py``)."""
    if not isinstance(module, nn.Module):
        raise GraphError([error(f"import_module takes an nn.Module, got "
                                f"{type(module).__name__}")])
    examples = example_inputs if isinstance(example_inputs, (tuple, list)) else \
        (example_inputs,)
    importer = _Importer(module, trace(module, tuple(examples)), tuple(examples))
    try:
        importer.run()
    except Unmappable as exc:  # the output itself
        importer.errors.append(error(f"the forward result cannot be imported: {exc}"))
    if importer.errors:
        raise GraphError(importer.errors)
    cls = type(module)
    dropped = unused(module, set(importer.modules.values()))
    positions = layered_positions([n["id"] for n in importer.nodes], importer.edges)
    for node in importer.nodes:
        node["position"] = positions[node["id"]]
    doc: dict[str, Any] = {"schema": SCHEMA_ID, "name": name or cls.__name__,
           "description": f"Imported from {cls.__module__}.{cls.__qualname__} with torch.fx.",
           "variables": {}, "nodes": importer.nodes, "edges": importer.edges, "blocks": {},
           "metadata": {"import": {"source": f"{cls.__module__}.{cls.__qualname__}",
                                   "modules": importer.modules, "dropped": dropped}}}
    if dropped:
        doc["description"] += " Left out, as forward never calls them: " + ", ".join(
            f"{path} ({type(module.get_submodule(path)).__name__})" for path in dropped) + "."
    if blocks:
        folded = fold_blocks(doc, importer.owners, module)
        if folded is not doc and validate_graph(folded)["ok"]:
            return folded
    report = validate_graph(doc)
    if not report["ok"]:
        raise GraphError(report["errors"])
    return doc

