"""Small helpers the per-op shape rules share: shapes are tuples, batch is ``None``."""
from __future__ import annotations

import math


class ShapeError(ValueError):
    """The op cannot take these input shapes; the message says what it expects."""


def fmt_shape(shape) -> str:
    return "(" + ", ".join("N" if d is None else str(d) for d in shape) + ")"


def numel(shape) -> int:
    """Elements per sample (the batch dimension counts as one)."""
    n = 1
    for d in shape:
        if d is not None:
            n *= d
    return n


def prod(dims):
    """Product that stays ``None`` when the batch dimension is part of it."""
    n = 1
    for d in dims:
        if d is None:
            return None
        n *= d
    return n


def tup(value, n: int) -> tuple:
    """An int or list param spread over ``n`` spatial dimensions."""
    if isinstance(value, tuple):
        if len(value) == 1:
            return value * n
        if len(value) != n:
            raise ShapeError(f"needs {n} values (one per spatial dimension), got {len(value)}")
        return value
    return (value,) * n


def norm_dim(dim: int, rank: int) -> int:
    if not -rank <= dim < rank:
        raise ShapeError(f"has dim={dim} but the input has only {rank} dimensions")
    return dim % rank


def conv_out(size: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False) -> int:
    span = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil(span / s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1  # PyTorch drops a last window that would start in the padding
    if out < 1:
        raise ShapeError(f"with kernel {k}, stride {s}, padding {p}, dilation {d} gets a "
                         f"spatial size of {size}, too small (output would be {out})")
    return out


def broadcast(shapes: list) -> tuple:
    if len({len(s) for s in shapes if None in s}) > 1:  # batches right-aligned apart
        raise ShapeError("would line up the batch (N) of one input with a size of another; "
                         "give batched inputs the same number of dims")
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = {s[i - rank + len(s)] for s in shapes if i - rank + len(s) >= 0}
        dims.discard(1)
        if len(dims) > 1 and None in dims:  # right-aligned, N would meet another size
            raise ShapeError("would line up the batch (N) of one input with a size of "
                             "another; give batched inputs the same number of dims")
        if len(dims) > 1:
            raise ShapeError("gets shapes that do not broadcast together")
        out.append(dims.pop() if dims else 1)
    return tuple(out)
