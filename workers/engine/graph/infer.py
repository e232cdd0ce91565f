"""Shape inference over the flat graph: per-op rules in pure Python, meta device as fallback.

For every node, in topological order: check and coerce its params, check the
dtype and rank of what meets it, fill the params that follow from the input
shape, apply the shape rule, and count parameters (against the budget, before
anything is allocated), FLOPs and activation memory. A node whose inputs
failed is skipped without a second error, so one mistake gives one message.
"""
from __future__ import annotations

import re

import torch

from ..registry import OpSpec, ParamError, ShapeError, coerce, fmt_shape
from ..registry.core import REQUIRED
from ..registry.shapes import numel
from ..schema import error
from .expand import Flat, place
from .limits import MAX_DIM, Budget, Stop, over_budget

BYTES = {"float32": 4, "int64": 8}
META_BATCH = 9973  # a prime no real dim should equal: marks the batch dim on meta tensors


class Analysis:
    """What inference learnt: resolved params, shapes and dtypes of every (key, port)."""

    def __init__(self, flat: list[Flat]):
        self.flat = flat
        self.by_key = {f.key: f for f in flat}
        self.params: dict[str, dict] = {}
        self.inferred: dict[str, dict] = {}
        self.in_shapes: dict[str, list] = {}
        self.shapes: dict[tuple, tuple] = {}
        self.dtypes: dict[tuple, str] = {}
        self.ports_of: dict[str, list[str]] = {}  # key -> its output ports
        self.stats: dict[str, tuple[int, int, int]] = {}  # key -> (params, flops, memory)
        self.totals = {"params": 0, "alloc": 0, "memory": 0}  # against the budget
        self.readers: dict[tuple, list[str]] | None = None  # built on first need
        self.errors: list[dict] = []

    def producer(self, src: tuple) -> tuple:
        """The real (key, port) behind a chain of block-port aliases."""
        while self.by_key[src[0]].alias:
            src = self.by_key[src[0]].inputs.get("in", ("?", "?"))
            if src[0] not in self.by_key:
                return src
        return src


def input_ports(node: Flat) -> list[str]:
    spec = node.op_spec
    if spec.inputs and spec.inputs[0].variadic:
        return sorted(node.inputs, key=lambda p: int(p[2:]))
    return [p.name for p in spec.inputs]


def run(flat: list[Flat], budget: Budget) -> Analysis:
    a = Analysis(flat)
    failed: set[str] = set()
    for node in flat:
        if node.alias:
            src = node.inputs.get("in")
            if src in a.shapes:
                a.shapes[(node.key, "out")] = a.shapes[src]
                a.dtypes[(node.key, "out")] = a.dtypes[src]
            else:
                failed.add(node.key)
            continue
        try:
            if not _node(a, node, failed, budget):
                failed.add(node.key)
        except Stop:
            break
    return a


def _fail(a: Analysis, node: Flat, message: str, port=None, field=None) -> bool:
    a.errors.append(place(error(message, node=node.origin, port=port, field=field), node.site,
                          node.key))
    return False


def _node(a: Analysis, node: Flat, failed: set, budget: Budget) -> bool:
    spec, name = node.op_spec, f"{node.op} '{node.key}'"
    ports = input_ports(node)
    srcs = [node.inputs.get(p) for p in ports]
    for port, src in zip(ports, srcs):
        if src not in a.shapes:
            if src is None or src[0] in failed:
                return False
            return _fail(a, node, f"'{a.producer(src)[0]}' has no output {src[1]!r} for "
                                  f"{name} (its outputs: {_outputs_of(a, src[0])})", port)
    wired = [s for s in srcs if s is not None]  # all of them: a missing one returned above
    shapes = [a.shapes[s] for s in wired]
    dtypes = [a.dtypes[s] for s in wired]
    p = _params(a, node, spec, name)
    if p is None or not _check_inputs(a, node, spec, name, ports, wired, shapes, dtypes):
        return False
    if p.get("inplace") and not _inplace_safe(a, node, name, wired[0]):
        return False
    if spec.infer:
        inferred = spec.infer(p, shapes)
        for key, value in inferred.items():
            given = p.get(key)
            if given is not None and tuple(given if isinstance(given, tuple) else (given,)) \
                    != tuple(value if isinstance(value, tuple) else (value,)):
                return _fail(a, node, f"{name} has {key}={given}, but its input "
                             f"{fmt_shape(shapes[0])} gives {value}; leave {key} empty and "
                             f"it follows the input", ports[0], key)
            p[key] = value
        a.inferred[node.key] = inferred
    try:
        outs = _shape(node, spec, p, shapes, dtypes)
    except ShapeError as exc:
        return _fail(a, node, f"{name} {exc}; it gets {_gets(a, wired, shapes)}", ports[0]
                     if ports else None)
    except (ArithmeticError, IndexError, TypeError, ValueError) as exc:
        # A rule that trips over an input it did not foresee still names the node.
        return _fail(a, node, f"{name} cannot take {_gets(a, wired, shapes)} "
                              f"({_first_line(exc)})", ports[0] if ports else None)
    huge = next((d for s in outs.values() for d in s if d is not None and d > MAX_DIM), None)
    if huge is not None:
        return _fail(a, node, f"{name} would output a dim of size {huge:.3g}; sizes must stay "
                              f"below {MAX_DIM:.3g}", ports[0] if ports else None)
    a.params[node.key], a.in_shapes[node.key] = p, shapes
    out_dtype = p["dtype"] if node.op in ("Input", "Parameter") else _out_dtype(spec, dtypes)
    a.ports_of[node.key] = list(outs)
    for port, shape in outs.items():
        a.shapes[(node.key, port)] = shape
        a.dtypes[(node.key, port)] = out_dtype
    _stats(a, node, spec, p, shapes, outs, out_dtype, budget)
    return True


def _out_dtype(spec: OpSpec, dtypes: list) -> str:
    if spec.out_dtype == "promote":  # the only two dtypes: a float among them wins
        return "float32" if "float32" in dtypes else "int64"
    return spec.out_dtype or (dtypes[0] if dtypes else "float32")


def _params(a: Analysis, node: Flat, spec: OpSpec, name: str) -> dict | None:
    p, ok = {}, True
    for key in node.params:
        if key not in spec.param_index:
            known = ", ".join(spec.param_index) or "none"
            ok = _fail(a, node, f"{name} has no param {key[:64]!r} (params: {known})",
                       field=key[:64])
    for param in spec.params:
        value = node.params.get(param.name, param.default)
        if value is REQUIRED:
            value = None
        try:
            p[param.name] = coerce(param, value)
        except ParamError as exc:
            ok = _fail(a, node, f"{name}: {exc}", field=param.name)
    return p if ok else None


def _check_inputs(a, node, spec, name, ports, srcs, shapes, dtypes) -> bool:
    for i, (port, src, shape, dtype) in enumerate(zip(ports, srcs, shapes, dtypes)):
        wants = spec.input_dtype if isinstance(spec.input_dtype, str) else \
            spec.input_dtype[i]
        if wants == "float" and dtype == "int64":
            return _fail(a, node, f"{name} needs floating-point input but "
                                  f"'{a.producer(src)[0]}' gives int64 (feed integer tokens to "
                                  f"an Embedding first)", port)
        if wants == "long" and dtype != "int64":
            return _fail(a, node, f"{name} needs integer (int64) input but "
                                  f"'{a.producer(src)[0]}' gives {dtype}", port)
        if not _batch_ok(spec.batch, shape):
            return _fail(a, node, f"{name} needs the batch in dim 0, but "
                                  f"'{a.producer(src)[0]}' gives {fmt_shape(shape)}; "
                                  f"{_BATCH_HINT[None in shape]}", port)
        if spec.rank and len(shape) not in spec.rank:
            ranks = " or ".join(f"{r}-D" for r in spec.rank)
            return _fail(a, node, f"{name} expects a {ranks} input {spec.layout} but "
                                  f"'{a.producer(src)[0]}' gives {fmt_shape(shape)}", port)
    return True


_BATCH_HINT = {True: "move it back with Transpose or Permute first",
               False: "a tensor without one (a Parameter) needs BatchExpand first"}


def _batch_ok(where: str, shape: tuple) -> bool:
    if shape[:1] == (None,) and None not in shape[1:]:
        return True
    return where == "anywhere" or (where == "broadcast" and None not in shape)


def _inplace_safe(a: Analysis, node: Flat, name: str, src: tuple) -> bool:
    """An in-place op must be the only reader of its input, or the other readers
    would silently see the overwritten values."""
    if a.readers is None:
        a.readers = {}
        for other in a.flat:
            if not other.alias:
                for s in other.inputs.values():
                    a.readers.setdefault(a.producer(s), []).append(other.key)
    others = [k for k in a.readers.get(a.producer(src), ()) if k != node.key]
    if not others:
        return True
    return _fail(a, node, f"{name} has inplace=true, but '{a.producer(src)[0]}' also feeds "
                          f"'{others[0]}', which would read the overwritten values; turn "
                          f"inplace off", "in", "inplace")


def _gets(a: Analysis, srcs, shapes) -> str:
    return " and ".join(f"{fmt_shape(s)} from '{a.producer(src)[0]}'"
                        for src, s in zip(srcs, shapes))


def _outputs_of(a: Analysis, key: str) -> str:
    return ", ".join(a.ports_of.get(a.producer((key, "out"))[0], ())) or "none"


def _shape(node: Flat, spec: OpSpec, p: dict, shapes: list, dtypes: list) -> dict:
    if node.op == "Input":
        return {"out": (None, *p["shape"])}
    if node.op == "Output":
        return {}
    outs = spec.shape(p, shapes) if spec.shape else meta_outputs(spec, p, shapes, dtypes)
    return outs if isinstance(outs, dict) else {spec.outputs[0].name: outs}


def _stats(a, node, spec, p, shapes, outs, dtype, budget: Budget) -> None:
    count = spec.count(p, shapes) if spec.count else meta_param_count(spec, p, shapes)
    out_shapes = list(outs.values())
    memory = sum(numel(s) for s in out_shapes) * BYTES.get(dtype, 4)
    for key, value in (("params", count), ("alloc", count * 4), ("memory", memory)):
        a.totals[key] += value
    why = over_budget(budget, a.totals, f"{node.op} '{node.key}'", count, memory)
    if why:
        _fail(a, node, why)
        raise Stop
    flops = spec.flops(p, shapes, out_shapes) if spec.flops else \
        sum(numel(s) for s in out_shapes)
    a.stats[node.key] = (count, flops, memory)


def _meta_inputs(shapes: list, dtypes: list) -> list:
    return [torch.empty([META_BATCH if d is None else d for d in s], device="meta",
                        dtype=torch.int64 if t == "int64" else torch.float32)
            for s, t in zip(shapes, dtypes)]


def meta_outputs(spec: OpSpec, p: dict, shapes: list, dtypes: list) -> dict:
    """Shapes from running the module on the meta device: no memory, no FLOPs."""
    with torch.device("meta"):
        module = _build(spec, p, shapes)
    try:
        result = module(*_meta_inputs(shapes, dtypes))
    except (RuntimeError, ValueError, IndexError, TypeError) as exc:
        raise ShapeError(f"cannot run on this input: {_first_line(exc)}") from None
    results = result if isinstance(result, (tuple, list)) else (result,)
    return {port.name: tuple(None if d == META_BATCH else d for d in r.shape)
            for port, r in zip(spec.outputs, results) if isinstance(r, torch.Tensor)}


def meta_param_count(spec: OpSpec, p: dict, shapes: list) -> int:
    if not spec.is_module:
        return 0
    with torch.device("meta"):
        module = _build(spec, p, shapes)
    return sum(w.numel() for w in module.parameters())


def _build(spec: OpSpec, p: dict, shapes: list):
    if spec.build is None:
        raise ShapeError(f"{spec.name} is not a module op: it has no module to run")
    return spec.build(p, shapes)


def _first_line(exc: Exception) -> str:
    return re.sub(r"\s+", " ", str(exc).strip().splitlines()[0] if str(exc) else type(exc)
                  .__name__)[:200]
