"""Graph ops: tensor functions emitted as ``call_function``/``call_method`` (no submodule).

Add, Subtract, Multiply, Divide, Concat, Reshape, Permute, Transpose, Squeeze,
Unsqueeze, Mean, Sum, MatMul, Split, Chunk. Dims count the batch as dim 0.
"""
from __future__ import annotations

import operator

import torch

from ..core import Port, register_op
from ..params import Bool, Int, Ints, Shape
from ..shapes import ShapeError, broadcast, fmt_shape, norm_dim, numel, prod

VARIADIC = (Port("in", variadic=True, min_count=2),)
PAIR = (Port("in0"), Port("in1"))
DIM = Int("dim", 1, "Dim (0 is the batch)", min=-8, max=7)


def _chain(fn):
    def emit(g, args, p, shapes, target):
        node = args[0]
        for other in args[1:]:
            node = g.call_function(fn, (node, other))
        return {"out": node}
    return emit


def _broadcast_flops(p, s, o):
    return numel(o[0]) * (len(s) - 1)


for _name, _fn, _ports, _help in (
        ("Add", operator.add, VARIADIC, "Element-wise sum of its inputs (broadcasting)"),
        ("Multiply", operator.mul, VARIADIC, "Element-wise product (broadcasting)"),
        ("Subtract", operator.sub, PAIR, "in0 - in1 (broadcasting)"),
        ("Divide", operator.truediv, PAIR, "in0 / in1 (broadcasting)")):
    register_op(_name, kind="function", category="Math", help=_help, inputs=_ports,
                shape=lambda p, s: broadcast(s), count=lambda p, s: 0,
                flops=_broadcast_flops, input_dtype="any", batch="broadcast",
                out_dtype="float32" if _name == "Divide" else "promote")(_chain(_fn))


def _cat_shape(p, shapes):
    rank = len(shapes[0])
    dim = norm_dim(p["dim"], rank)
    if dim == 0:
        raise ShapeError("cannot concatenate along the batch dimension (dim 0)")
    for s in shapes[1:]:
        if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0]))
                                 if i != dim):
            raise ShapeError(f"needs inputs that agree in every dim but dim {dim}")
    return shapes[0][:dim] + (sum(s[dim] for s in shapes),) + shapes[0][dim + 1:]


@register_op("Concat", kind="function", category="Math", help="Joins inputs along dim",
             inputs=VARIADIC, params=(DIM,), shape=_cat_shape, count=lambda p, s: 0,
             flops=lambda p, s, o: 0, input_dtype="any", out_dtype="promote")
def concat(g, args, p, shapes, target):
    return {"out": g.call_function(torch.cat, (list(args),), {"dim": p["dim"]})}


def _reshape_target(p, shapes) -> tuple:
    size, target = numel(shapes[0]), list(p["shape"])
    if target.count(-1) > 1 or 0 in target:
        raise ShapeError(f"needs a shape with positive sizes and at most one -1, "
                         f"got {tuple(target)}")
    known = prod([d for d in target if d != -1])
    if -1 in target and size % known == 0:
        target[target.index(-1)] = size // known
    if prod(target) != size:
        raise ShapeError(f"cannot reshape {size} elements per sample into {tuple(target)}")
    return tuple(target)


def _reshape_shape(p, s):
    batch = (s[0][0],) if None in s[0] else ()  # a Parameter has no batch: reshaped whole
    return batch + _reshape_target(p, s)


@register_op("Reshape", kind="function", category="Shape",
             help="Reshapes each sample (the batch dim is kept; one size may be -1); a "
                  "tensor without a batch (a Parameter) is reshaped whole",
             params=(Shape("shape", [-1], "New per-sample shape, batch excluded"),),
             shape=_reshape_shape, count=lambda p, s: 0,
             flops=lambda p, s, o: 0, input_dtype="any", batch="broadcast")
def reshape(g, args, p, shapes, target):
    batch = (-1,) if None in shapes[0] else ()
    return {"out": g.call_method("reshape", (args[0], *batch, *_reshape_target(p, shapes)))}


def _perm(p, shapes) -> tuple:
    rank, dims = len(shapes[0]), p["dims"]
    if sorted(d % rank for d in dims if -rank <= d < rank) != list(range(rank)) \
            or len(dims) != rank:
        raise ShapeError(f"needs dims that reorder all {rank} dims, got {tuple(dims)}")
    return tuple(d % rank for d in dims)


@register_op("Permute", kind="function", category="Shape", help="Reorders the dims",
             params=(Shape("dims", [0, 2, 1], "New order of the dims (0 is the batch)", min=-8,
                           max=7),),
             shape=lambda p, s: tuple(s[0][d] for d in _perm(p, s)), count=lambda p, s: 0,
             flops=lambda p, s, o: 0, input_dtype="any", batch="anywhere")
def permute(g, args, p, shapes, target):
    return {"out": g.call_method("permute", (args[0], *_perm(p, shapes)))}


def _transpose_shape(p, s):
    a, b = norm_dim(p["dim0"], len(s[0])), norm_dim(p["dim1"], len(s[0]))
    out = list(s[0])
    out[a], out[b] = out[b], out[a]
    return tuple(out)


@register_op("Transpose", kind="function", category="Shape", help="Swaps two dims",
             params=(Int("dim0", 1, "First dim", min=-8, max=7),
                     Int("dim1", 2, "Second dim", min=-8, max=7)),
             shape=_transpose_shape, count=lambda p, s: 0, flops=lambda p, s, o: 0,
             input_dtype="any", batch="anywhere")
def transpose(g, args, p, shapes, target):
    return {"out": g.call_method("transpose", (args[0], p["dim0"], p["dim1"]))}


def _squeeze_shape(p, s):
    dim = norm_dim(p["dim"], len(s[0]))
    if s[0][dim] != 1:
        raise ShapeError(f"can only squeeze a dim of size 1, but dim {dim} of "
                         f"{fmt_shape(s[0])} is {s[0][dim]}")
    return s[0][:dim] + s[0][dim + 1:]


@register_op("Squeeze", kind="function", category="Shape", help="Removes a dim of size 1",
             params=(DIM,), shape=_squeeze_shape, count=lambda p, s: 0,
             flops=lambda p, s, o: 0, input_dtype="any", batch="broadcast")
def squeeze(g, args, p, shapes, target):
    return {"out": g.call_method("squeeze", (args[0], p["dim"]))}


def _unsqueeze_shape(p, s):
    dim = norm_dim(p["dim"], len(s[0]) + 1)
    if dim == 0 and None in s[0]:  # a tensor without a batch (a Parameter) may gain dim 0
        raise ShapeError("cannot insert a dim before the batch dimension (dim 0)")
    return s[0][:dim] + (1,) + s[0][dim:]


@register_op("Unsqueeze", kind="function", category="Shape",
             help="Inserts a dim of size 1 (before the batch only in a tensor without one)",
             params=(DIM,), shape=_unsqueeze_shape, count=lambda p, s: 0,
             flops=lambda p, s, o: 0, input_dtype="any", batch="broadcast")
def unsqueeze(g, args, p, shapes, target):
    return {"out": g.call_method("unsqueeze", (args[0], p["dim"]))}


def _reduce_dims(p, s) -> tuple:
    dims = p["dims"] if isinstance(p["dims"], tuple) else (p["dims"],)
    norm = tuple(sorted({norm_dim(d, len(s[0])) for d in dims}))
    if len(norm) != len(dims):  # torch.sum/mean refuse a dim named twice
        raise ShapeError(f"names a dim twice in dims {tuple(dims)}")
    if 0 in norm:
        raise ShapeError("cannot reduce over the batch dimension (dim 0)")
    return norm


def _reduce_shape(p, s):
    dims = _reduce_dims(p, s)
    if p["keepdim"]:
        return tuple(1 if i in dims else d for i, d in enumerate(s[0]))
    return tuple(d for i, d in enumerate(s[0]) if i not in dims)


def _reducer(fn):
    def emit(g, args, p, shapes, target):
        return {"out": g.call_function(fn, (args[0],), {"dim": _reduce_dims(p, shapes),
                                                       "keepdim": p["keepdim"]})}
    return emit


for _name, _fn in (("Mean", torch.mean), ("Sum", torch.sum)):
    register_op(_name, kind="function", category="Math", help=f"{_name} over dims",
                params=(Ints("dims", -1, "Dims to reduce (0 is the batch)", min=-8, max=7),
                        Bool("keepdim", False, "Keep reduced dims with size 1")),
                shape=_reduce_shape, count=lambda p, s: 0,
                flops=lambda p, s, o: numel(s[0]))(_reducer(_fn))


def _matmul_shape(p, s):
    a, b = s
    if any(len(x) < (3 if None in x else 2) for x in s):
        raise ShapeError("needs inputs of at least 3 dims, (N, ..., n, k) and (N, ..., k, m), "
                         "or a matrix without a batch (a Parameter): the rows of a 2-D input "
                         "are the batch, which MatMul would mix")
    if a[-1] != b[-2]:
        raise ShapeError("needs in0 (N, ..., n, k) and in1 (N, ..., k, m) with the same k")
    return broadcast([a[:-2], b[:-2]]) + (a[-2], b[-1])


@register_op("MatMul", kind="function", category="Math", help="Matrix product in0 @ in1",
             inputs=PAIR, shape=_matmul_shape, count=lambda p, s: 0,
             flops=lambda p, s, o: 2 * numel(o[0]) * s[0][-1], batch="broadcast")
def matmul(g, args, p, shapes, target):
    return {"out": g.call_function(operator.matmul, (args[0], args[1]))}


def _split_sizes(p, s) -> list:
    dim = norm_dim(p["dim"], len(s[0]))
    size = s[0][dim]
    if dim == 0:
        raise ShapeError("cannot split the batch dimension (dim 0)")
    if "sizes" in p:
        if sum(p["sizes"]) != size or min(p["sizes"]) < 1:
            raise ShapeError(f"needs positive sizes that add up to dim {dim} ({size}), got "
                             f"{tuple(p['sizes'])}")
        return list(p["sizes"])
    if size % p["chunks"]:
        raise ShapeError(f"cannot split dim {dim} of size {size} into {p['chunks']} equal "
                         f"chunks")
    return [size // p["chunks"]] * p["chunks"]


def _split_shape(p, s):
    dim = norm_dim(p["dim"], len(s[0]))
    return {f"out{i}": s[0][:dim] + (n,) + s[0][dim + 1:]
            for i, n in enumerate(_split_sizes(p, s))}


def _split_emit(g, args, p, shapes, target):
    sizes = _split_sizes(p, shapes)
    parts = g.call_function(torch.split, (args[0], sizes), {"dim": p["dim"]})
    return {f"out{i}": g.call_function(operator.getitem, (parts, i)) for i in range(len(sizes))}


SPLIT_OUT = (Port("out", variadic=True),)
register_op("Split", kind="function", category="Shape",
            help="Splits along dim into pieces of the given sizes (out0, out1, ...)",
            outputs=SPLIT_OUT,
            params=(Shape("sizes", [1, 1], "Size of each piece", min=1), DIM),
            shape=_split_shape, count=lambda p, s: 0, flops=lambda p, s, o: 0,
            input_dtype="any")(_split_emit)
register_op("Chunk", kind="function", category="Shape",
            help="Splits along dim into equal chunks (out0, out1, ...)", outputs=SPLIT_OUT,
            params=(Int("chunks", 2, "Number of chunks", min=1, max=64), DIM),
            shape=_split_shape, count=lambda p, s: 0, flops=lambda p, s, o: 0,
            input_dtype="any")(_split_emit)
