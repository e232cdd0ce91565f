"""What an fx trace computes from sizes rather than tensors, worked out at import time.

The importer propagates the example inputs' shapes through the trace first
(``torch.fx.passes.shape_prop``), so a size read (``x.shape[-2:]``,
``x.size(1)``, ``x.ndim``) is a plain int, and the arithmetic and asserts
built on them (``c // groups``, ``torch._assert(h == 224, ...)``) fold into
constants: the imported graph is for the example's shape, as its Input
nodes are. Only the batch size stays symbolic (``Batch``): it may reach a
reshape or an ``expand``, nothing else.
"""
from __future__ import annotations

import operator

import torch
from torch import fx
from torch.fx._symbolic_trace import _assert_is_none

from .function_rules import Batch, Op, Ref, ShapeOf, Tuple, Unbound
from .module_rules import Unmappable

FOLD = {operator.add, operator.sub, operator.mul, operator.floordiv, operator.truediv,
        operator.mod, operator.pow, operator.neg, operator.eq, operator.ne, operator.lt,
        operator.le, operator.gt, operator.ge, operator.not_, operator.and_, operator.or_,
        operator.getitem}
SYMBOLIC = (Ref, Batch, ShapeOf, Tuple, Unbound)


class Nothing:
    """The value of a call that gives nothing to the graph (a passed ``torch._assert``)."""


def static_shape(node) -> tuple | None:
    meta = node.meta.get("tensor_meta") if isinstance(node, fx.Node) else None
    return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None


def _shape_of(node: fx.Node, ref) -> ShapeOf:
    shape = static_shape(node)
    if shape is None or not isinstance(ref, Ref):
        raise Unmappable("reads the shape of a value whose shape the trace did not record")
    return ShapeOf((Batch(ref), *shape[1:]))


def _is_plain(value) -> bool:
    if isinstance(value, SYMBOLIC):  # a Ref is a tuple too: test it first
        return False
    if isinstance(value, (tuple, list)):
        return all(_is_plain(v) for v in value)
    return True


def size_read(node: fx.Node, args: tuple, kwargs: dict):
    """``x.size()``, ``x.size(d)``, ``x.dim()``, ``x.shape``, ``x.ndim``; None when ``node``
    is none of these."""
    target = node.target
    if target == "size" or (target is getattr and args[1] == "shape"):
        shape = _shape_of(node.args[0], args[0])
        dim = kwargs.get("dim", args[1] if target == "size" and len(args) > 1 else None)
        return shape if dim is None else shape.dims[dim]
    if target == "dim" or (target is getattr and args[1] == "ndim"):
        return len(_shape_of(node.args[0], args[0]).dims)
    return None


def fold(node: fx.Node, args: tuple, kwargs: dict):
    """Arithmetic and comparisons of plain values, computed now; ``torch._assert`` on a
    condition that holds gives Nothing. None when ``node`` is not such a call."""
    if node.target is _assert_is_none:  # an optional argument traced at its default None
        if args[0] is None:
            return Nothing()
        raise Unmappable("passes a value where the trace assumed the default None")
    if node.target is torch._assert:
        if args[0] is True:
            return Nothing()
        if args[0] is False:
            raise Unmappable(f"asserts something that fails for the example input: {args[1]}")
        raise Unmappable("asserts on tensor values, which a graph cannot express")
    if node.target not in FOLD:
        return None
    if node.target is operator.getitem and isinstance(args[0], ShapeOf):
        return args[0].dims[args[1]]
    if any(isinstance(a, Batch) for a in args) and node.target is not operator.getitem:
        raise Unmappable("computes with the batch size; only reshape and expand may use it")
    if _is_plain(args) and not kwargs:
        return node.target(*args)
    return None


def split_sizes(node: fx.Node, args: tuple, kwargs: dict) -> tuple:
    """``x.split(32, dim=1)``: the piece size as the list of sizes the trace's shape gives."""
    if node.target not in ("split", torch.split):
        return args
    size = args[1] if len(args) > 1 else kwargs.get("split_size_or_sections")
    dim = args[2] if len(args) > 2 else kwargs.get("dim", 0)
    shape = static_shape(node.args[0])
    if not isinstance(size, int) or shape is None or not -len(shape) <= dim < len(shape):
        return args
    total = shape[dim]
    return (args[0], [min(size, total - start) for start in range(0, total, size)], *args[2:])


def uneven_chunks(node: fx.Node, args: tuple, kwargs: dict) -> Op | None:
    """``x.chunk(3, dim=1)`` of 88 channels: PyTorch's pieces (30, 30, 28) as a Split (the
    Chunk op takes equal chunks only); None for any other call or an even split."""
    if node.target not in ("chunk", torch.chunk) or not args or not isinstance(args[0], Ref):
        return None
    chunks = args[1] if len(args) > 1 else kwargs.get("chunks")
    dim = args[2] if len(args) > 2 else kwargs.get("dim", 0)
    shape = static_shape(node.args[0])
    if shape is None or not isinstance(chunks, int) or chunks < 1 or \
            not isinstance(dim, int) or not -len(shape) <= dim < len(shape) or \
            not shape[dim] % chunks:
        return None
    total = shape[dim]
    each = -(-total // chunks)
    return Op("Split", {"sizes": [min(each, total - at) for at in range(0, total, each)],
                        "dim": dim}, [args[0]])


def index(source: Ref, entries, unbatched: bool = False) -> list[Op]:
    """``x[:, 0]``, ``x[:, 1:, ::2]``, ``table[:, idx]``: Select, Slice and Index ops, last dim
    first so that the earlier dims keep their numbers; the batch (dim 0) must be kept whole
    unless ``source`` has none (a Parameter). Each op's inputs follow the indexed tensor."""
    entries = entries if isinstance(entries, tuple) and not isinstance(entries, Ref) else \
        (entries,)
    if not entries or (entries[0] != slice(None) and not unbatched):
        raise Unmappable(f"indexes the batch dimension with {_entry(entries[0])}")
    tensors = [e for e in entries if isinstance(e, Ref)]
    if len(tensors) > 1 or (tensors and any(isinstance(e, int) for e in entries)):
        raise Unmappable("indexes with a tensor together with other tensors or ints; only "
                         "one tensor among plain slices maps (Index)")
    ops = []
    for dim in range(len(entries) - 1, -1, -1):
        entry = entries[dim]
        if entry == slice(None):
            continue
        if isinstance(entry, Ref):
            ops.append(Op("Index", {"dim": dim}, [entry]))
        elif isinstance(entry, int) and not isinstance(entry, bool):
            ops.append(Op("Select", {"dim": dim, "index": entry}, []))
        elif isinstance(entry, slice) and all(v is None or isinstance(v, int)
                                              for v in (entry.start, entry.stop, entry.step)):
            ops.append(Op("Slice", {"dim": dim, "start": entry.start, "end": entry.stop,
                                    "step": entry.step or 1}, []))
        else:
            raise Unmappable(f"indexes with {_entry(entry)}; only ints, slices and one int64 "
                             f"tensor map (Select, Slice, Index)")
    if not ops:
        raise Unmappable("indexes without picking anything")
    return ops


def _entry(entry) -> str:
    return f"the tensor '{entry.node}'" if isinstance(entry, Ref) else repr(entry)
