"""How the functions and tensor methods in an fx trace become registry ops.

A rule gets the call's arguments (fx nodes already replaced by what they
stand for: a ``Ref`` to a graph node's output, the batch size, a tensor's
shape) and returns an ``Op`` to add, or a value that needs no node (an alias,
the batch size). What has no registry counterpart raises ``Unmappable``.
"""
from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F

from .module_rules import Unmappable

NO = object()  # marks a required argument


class Ref(NamedTuple):
    """A tensor: output ``port`` of the graph node ``node``."""

    node: str
    port: str = "out"


@dataclass(frozen=True)
class Tuple:
    """A tuple a node returns (Split/Chunk pieces, an LSTM's output and state); indexing
    picks an entry: a ``Ref`` to a port, a nested Tuple, or None for what no port gives."""

    entries: tuple


class Unbound:
    """``x.unbind(dim)``: indexing it picks one slice, a Select node made when used."""

    def __init__(self, ref: Ref, dim: int):
        self.ref, self.dim = ref, dim


class Batch:
    """The batch size (``x.size(0)``, ``x.shape[0]``) of the tensor ``ref``: only
    meaningful inside a reshape or an expand."""

    def __init__(self, ref: Ref | None = None):
        self.ref = ref


class ShapeOf:
    """``x.shape`` or ``x.size()``: the batch size, then the static sizes of the trace."""

    def __init__(self, dims: tuple = ()):
        self.dims = tuple(dims)


@dataclass
class Op:
    op: str
    params: dict
    inputs: list


def _bind(args, kwargs, names: tuple, defaults: dict) -> dict:
    """Name the call's arguments like the function signature does."""
    if len(args) > len(names):
        raise Unmappable(f"takes more positional arguments than {names}")
    bound = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names:
            raise Unmappable(f"uses the argument {key!r}, which has no counterpart")
        bound[key] = value
    for name in names:
        if name not in bound:
            if defaults.get(name, NO) is NO:
                raise Unmappable(f"misses the argument {name!r}")
            bound[name] = defaults[name]
    return bound


def _tensor(value, what: str = "input") -> Ref:
    if not isinstance(value, Ref):
        raise Unmappable(f"its {what} is a constant, not a tensor from the graph")
    return value


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _only(bound: dict, **allowed) -> None:
    for key, value in allowed.items():
        if bound.get(key) != value:
            raise Unmappable(f"{key}={bound.get(key)!r} is not supported (only {value!r})")


def unary(op: str, names=("input",), fixed=None, **defaults):
    """An activation-like call: one tensor in, params named as the function's arguments."""
    def rule(args, kwargs):
        bound = _bind(args, kwargs, names, defaults)
        _only(bound, **(fixed or {}))
        params = {k: _plain(v) for k, v in bound.items() if k != "input" and k not in
                  (fixed or {})}
        return Op(op, params, [_tensor(bound["input"])])
    return rule


def binary(op: str):
    def rule(args, kwargs):
        bound = _bind(args, kwargs, ("input", "other", "alpha"), {"alpha": 1})
        _only(bound, alpha=1)
        return Op(op, {}, [_tensor(bound["input"]), _tensor(bound["other"], "second operand")])
    return rule


def cat(args, kwargs):
    bound = _bind(args, kwargs, ("tensors", "dim"), {"dim": 0})
    if len(bound["tensors"]) == 1:  # torch.cat([x]) is x (DenseNet's first layer)
        return _tensor(bound["tensors"][0])
    return Op("Concat", {"dim": bound["dim"]}, [_tensor(t) for t in bound["tensors"]])


def flatten(args, kwargs):
    bound = _bind(args, kwargs, ("input", "start_dim", "end_dim"), {"start_dim": 0,
                                                                     "end_dim": -1})
    if bound["start_dim"] == 0:
        raise Unmappable("flattens the batch dimension too (start_dim=0)")
    return Op("Flatten", {"start_dim": bound["start_dim"], "end_dim": bound["end_dim"]},
              [_tensor(bound["input"])])


def reshape(args, kwargs):
    source, *shape = args
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = list(shape[0])
    shape = shape or list(kwargs.get("shape") or ())
    if not shape or not (isinstance(shape[0], Batch) or shape[0] == -1):
        raise Unmappable(f"reshapes to {shape!r}, which fixes the batch size; use "
                         f"x.size(0) or -1 for the first dim")
    rest = shape[1:]
    if not rest or not all(isinstance(d, int) for d in rest) or \
            (shape[0] == -1 and -1 in rest):
        raise Unmappable(f"reshapes to {shape!r}; only (batch, sizes...) with plain sizes "
                         f"maps to Reshape")
    return Op("Reshape", {"shape": rest}, [_tensor(source)])


def size(args, kwargs):
    bound = _bind(args, kwargs, ("input", "dim"), {"dim": None})
    if bound["dim"] is None:
        return ShapeOf()
    if bound["dim"] == 0:
        return Batch()
    raise Unmappable("reads a size other than the batch size")


def get_attribute(args, kwargs):
    if len(args) == 2 and isinstance(args[0], Ref) and args[1] == "shape":
        return ShapeOf()
    raise Unmappable(f"reads the attribute {args[1]!r} of a value")


def getitem(args, kwargs):
    value, index = args
    if isinstance(value, Unbound) and isinstance(index, int):
        return Op("Select", {"dim": value.dim, "index": index}, [value.ref])
    if isinstance(value, ShapeOf) and index == 0:
        return Batch()
    if isinstance(value, Tuple) and isinstance(index, int) and \
            -len(value.entries) <= index < len(value.entries):
        entry = value.entries[index]
        if entry is None:
            raise Unmappable(f"uses element {index} of a result that no port gives")
        return entry
    if isinstance(value, ShapeOf):
        raise Unmappable(f"reads size {index!r} of a tensor; only the batch size (size 0) "
                         f"maps, inside a reshape")
    raise Unmappable(f"indexes a value with {index!r}; slicing tensors has no registry op")


def unbind(args, kwargs):
    bound = _bind(args, kwargs, ("input", "dim"), {"dim": 0})
    return Unbound(_tensor(bound["input"]), bound["dim"])


def reshape_whole(args, kwargs):
    """A reshape of a tensor without a batch (a Parameter's ``gamma.reshape(1, -1, 1, 1)``):
    the whole tensor, every size given."""
    source, *shape = args
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = list(shape[0])
    shape = shape or list(kwargs.get("shape") or ())
    if not shape or not all(isinstance(d, int) for d in shape):
        raise Unmappable(f"reshapes a tensor of the model to {shape!r}; only plain sizes map")
    return Op("Reshape", {"shape": shape}, [_tensor(source)])


def reduce(op: str):
    def rule(args, kwargs):
        bound = _bind(args, kwargs, ("input", "dim", "keepdim", "dtype"),
                      {"dim": None, "keepdim": False, "dtype": None})
        if bound["dim"] is None or bound["dtype"] is not None:
            raise Unmappable("reduces over every dim (the batch too) or casts; give dims")
        return Op(op, {"dims": _plain(bound["dim"]), "keepdim": bound["keepdim"]},
                  [_tensor(bound["input"])])
    return rule


def permute(args, kwargs):
    source, *dims = args
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = list(dims[0])
    return Op("Permute", {"dims": list(dims or kwargs.get("dims") or ())}, [_tensor(source)])


def chunk(args, kwargs):
    bound = _bind(args, kwargs, ("input", "chunks", "dim"), {"dim": 0})
    return Op("Chunk", {"chunks": bound["chunks"], "dim": bound["dim"]},
              [_tensor(bound["input"])])


def split(args, kwargs):
    bound = _bind(args, kwargs, ("input", "split_size_or_sections", "dim"), {"dim": 0})
    sizes = bound["split_size_or_sections"]
    if not isinstance(sizes, (list, tuple)):
        raise Unmappable("splits by a fixed piece size; give the list of sizes")
    return Op("Split", {"sizes": list(sizes), "dim": bound["dim"]}, [_tensor(bound["input"])])


def layer_norm(args, kwargs):
    """F.layer_norm with the module's own weight and bias (ConvNeXt's LayerNorm2d): the
    normalisation, then the scale and the shift as Parameter nodes."""
    bound = _bind(args, kwargs, ("input", "normalized_shape", "weight", "bias", "eps"),
                  {"weight": None, "bias": None, "eps": 1e-5})
    ops = [Op("LayerNorm", {"normalized_dims": len(bound["normalized_shape"]),
                            "eps": bound["eps"], "elementwise_affine": False},
              [_tensor(bound["input"])])]
    for op, name in (("Multiply", "weight"), ("Add", "bias")):
        if bound[name] is not None:
            ops.append(Op(op, {}, [_tensor(bound[name], name)]))
    return ops


def stochastic_depth(args, kwargs):
    bound = _bind(args, kwargs, ("input", "p", "mode", "training"), {"training": True})
    return Op("StochasticDepth", {"p": bound["p"], "mode": bound["mode"]},
              [_tensor(bound["input"])])


def select(args, kwargs):
    bound = _bind(args, kwargs, ("input", "dim", "index"), {})
    return Op("Select", {"dim": bound["dim"], "index": bound["index"]},
              [_tensor(bound["input"])])


def expand(args, kwargs):
    """``class_token.expand(n, -1, -1)`` with n a batch size: BatchExpand."""
    source, *sizes = args
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = list(sizes[0])
    if not sizes or not isinstance(sizes[0], Batch) or sizes[0].ref is None or \
            any(s != -1 for s in sizes[1:]):
        raise Unmappable(f"expands to {sizes!r}; only (batch size, -1, ...) maps, to "
                         f"BatchExpand")
    return Op("BatchExpand", {}, [_tensor(source), sizes[0].ref])


def alias(args, kwargs):
    """Calls that return the same values (``x.contiguous()``): no node."""
    return _tensor(args[0])


def _without(name: str, rule):
    """``rule`` after dropping the argument ``name`` (positional third or keyword)."""
    def drop(args, kwargs):
        kwargs = {k: v for k, v in kwargs.items() if k != name}
        return rule(args[:2] + args[3:], kwargs)
    return drop


def _pool_rules(table: dict) -> None:
    for n in (1, 2, 3):
        window = {"stride": None, "padding": 0, "ceil_mode": False}
        table[getattr(F, f"max_pool{n}d")] = unary(
            f"MaxPool{n}d", ("input", "kernel_size", "stride", "padding", "dilation",
                             "ceil_mode", "return_indices"),
            fixed={"return_indices": False}, dilation=1, return_indices=False, **window)
        table[getattr(F, f"avg_pool{n}d")] = unary(
            f"AvgPool{n}d", ("input", "kernel_size", "stride", "padding", "ceil_mode",
                             "count_include_pad", "divisor_override"),
            fixed={"divisor_override": None}, count_include_pad=True, divisor_override=None,
            **window)
        table[getattr(F, f"adaptive_avg_pool{n}d")] = unary(
            f"AdaptiveAvgPool{n}d", ("input", "output_size"))
        if n < 3:
            table[getattr(F, f"adaptive_max_pool{n}d")] = unary(
                f"AdaptiveMaxPool{n}d", ("input", "output_size", "return_indices"),
                fixed={"return_indices": False}, return_indices=False)


def _activation_rules(table: dict) -> None:
    plain = {"ReLU": (torch.relu, "relu"), "Sigmoid": (torch.sigmoid, "sigmoid"),
             "Tanh": (torch.tanh, "tanh")}
    for op, (fn, method) in plain.items():
        table[fn] = table[method] = unary(op)
        table[getattr(F, method)] = unary(op, ("input", "inplace"), inplace=False)
    table[F.relu] = unary("ReLU", ("input", "inplace"), inplace=False)
    for op, fn in (("ReLU6", F.relu6), ("SiLU", F.silu), ("Hardswish", F.hardswish),
                   ("Hardsigmoid", F.hardsigmoid), ("Mish", F.mish), ("SELU", F.selu)):
        table[fn] = unary(op, ("input", "inplace"), inplace=False)
    table[F.gelu] = unary("GELU", ("input", "approximate"), approximate="none")
    table[F.elu] = unary("ELU", ("input", "alpha", "inplace"), alpha=1.0, inplace=False)
    table[F.leaky_relu] = unary("LeakyReLU", ("input", "negative_slope", "inplace"),
                                negative_slope=0.01, inplace=False)
    for op, fn in (("Softmax", "softmax"), ("LogSoftmax", "log_softmax")):
        rule = unary(op, ("input", "dim", "_stacklevel", "dtype"),
                     fixed={"_stacklevel": 3, "dtype": None}, _stacklevel=3, dtype=None)
        table[getattr(F, fn)] = table[getattr(torch, fn)] = table[fn] = rule
    # ``training`` is the module's flag at trace time: the Dropout node follows the
    # compiled module's own mode, as the original's F.dropout(..., self.training) did.
    table[F.dropout] = _without("training", unary("Dropout", ("input", "p", "inplace"),
                                                  p=0.5, inplace=False))


def _table() -> dict:
    table = {getattr: get_attribute, operator.getitem: getitem, "size": size,
             "contiguous": alias, torch.cat: cat, torch.concat: cat, torch.flatten: flatten,
             "flatten": flatten, "view": reshape, "reshape": reshape, torch.reshape: reshape,
             torch.permute: permute, "permute": permute, torch.chunk: chunk, "chunk": chunk,
             torch.split: split, "split": split}
    for op, fn, method, torch_fn in (("Add", operator.add, "add", torch.add),
                                     ("Multiply", operator.mul, "mul", torch.mul),
                                     ("Subtract", operator.sub, "sub", torch.sub),
                                     ("Divide", operator.truediv, "div", torch.div),
                                     ("MatMul", operator.matmul, "matmul", torch.matmul)):
        table[fn] = table[method] = table[torch_fn] = binary(op)
    for op, fn in (("Mean", torch.mean), ("Sum", torch.sum)):
        table[fn] = table[op.lower()] = reduce(op)
    table[torch.transpose] = table["transpose"] = unary("Transpose", ("input", "dim0", "dim1"))
    for name in ("squeeze", "unsqueeze"):
        table[getattr(torch, name)] = table[name] = unary(name.capitalize(), ("input", "dim"))
    table[F.layer_norm] = layer_norm
    table[torch.select] = table["select"] = select
    table["expand"] = expand
    table[torch.unbind] = table["unbind"] = unbind
    from .product_rules import einsum, sdpa, swap  # they build on this module's types
    table[F.scaled_dot_product_attention] = sdpa
    table[torch.einsum] = einsum
    for name in ("swapaxes", "swapdims"):  # transpose by other names
        table[getattr(torch, name)] = table[name] = swap(name)
    table[F.normalize] = unary("Normalize", ("input", "p", "dim", "eps", "out"),
                               fixed={"out": None}, p=2.0, dim=1, eps=1e-12, out=None)
    from torchvision.ops import stochastic_depth as stochastic_depth_fn
    table[stochastic_depth_fn] = stochastic_depth
    _pool_rules(table)
    _activation_rules(table)
    return table


@functools.cache
def rules() -> dict:
    """The table, built at the first import (it imports torchvision.ops, which
    importing the engine must not)."""
    return _table()
