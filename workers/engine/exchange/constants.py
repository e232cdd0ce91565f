"""Tensors an imported graph holds as Parameter nodes: the model's own (``self.class_token``,
an index buffer) and those its forward computes from sizes alone, worked out at import time.

A forward may build a tensor from nothing but sizes and constants (EdgeNeXt's Fourier
position encoding: ``torch.zeros(B, H, W)``, cumsum, sin and cos). Such a computation is
run here twice, with the batch size as 1 and as 2 (``Computed``): where it meets a graph
op it becomes a Parameter holding its values, batch-free when both runs agree, or
repeated per sample (BatchExpand) when the batch-2 run is the batch-1 run twice. Anything
else (values that differ per sample, dtypes a graph has no name for) is refused.
"""
from __future__ import annotations

import operator

import torch
from torch import fx, nn

from ..registry.params import MAX_VALUES
from .function_rules import Batch, Ref, ShapeOf, Tuple, Unbound
from .module_rules import Unmappable

DTYPES = {torch.float32: "float32", torch.int64: "int64"}
# Calls that make a tensor from sizes and constants alone (no random ones).
FACTORIES = {torch.zeros, torch.ones, torch.full, torch.arange, torch.linspace, torch.eye,
             torch.tensor}
GRAPH = (Ref, Unbound, Tuple)


class Computed:
    """A tensor computed from sizes and constants: its value at batch size 1 and at 2, the
    tensor whose batch size it read (for BatchExpand), and the fx node that made it."""

    def __init__(self, one: torch.Tensor, two: torch.Tensor, batch: Ref | None, name: str):
        self.one, self.two, self.batch, self.name = one, two, batch, name


def _any(value, kinds) -> bool:
    if isinstance(value, kinds):
        return True
    if isinstance(value, ShapeOf):
        return _any(value.dims, kinds)
    if isinstance(value, (tuple, list)):
        return any(_any(v, kinds) for v in value)
    if isinstance(value, dict):
        return any(_any(v, kinds) for v in value.values())
    return False


def computable(node: fx.Node, args, kwargs) -> bool:
    """Whether ``node`` computes from sizes and constants alone, reading a Computed or
    making a tensor from scratch, and no tensor of the graph."""
    if node.op not in ("call_function", "call_method") or _any((args, kwargs), GRAPH):
        return False
    return node.target in FACTORIES or _any((args, kwargs), Computed)


def _pick(value, batch: int):
    """``value`` at one batch size: each Computed its tensor, each batch size the int."""
    if isinstance(value, Computed):
        return value.one if batch == 1 else value.two
    if isinstance(value, Batch):
        return batch
    if isinstance(value, ShapeOf):
        return torch.Size(_pick(value.dims, batch))
    if isinstance(value, (tuple, list)):
        return type(value)(_pick(v, batch) for v in value)
    if isinstance(value, dict):
        return {k: _pick(v, batch) for k, v in value.items()}
    return value


def _batch_of(value) -> Ref | None:
    if isinstance(value, Batch):
        return value.ref
    if isinstance(value, Computed):
        return value.batch
    items = value.dims if isinstance(value, ShapeOf) else value.values() \
        if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else ()
    return next((ref for ref in map(_batch_of, items) if ref is not None), None)


def evaluate(node: fx.Node, args, kwargs):
    """The value of ``node`` (``computable``): a Computed, or the plain value both batch
    sizes give (a dtype, a device, a size)."""
    results = []
    for size in (1, 2):
        a, k = _pick(args, size), _pick(kwargs, size)
        try:
            if node.op == "call_method":
                results.append(getattr(a[0], node.target)(*a[1:], **k))
            else:
                results.append(node.target(*a, **k))
        except Exception as exc:  # noqa: BLE001 - the model's own code, run on constants
            raise Unmappable(f"computes a constant that fails at import ({exc})") from None
    one, two = results
    if isinstance(one, torch.Tensor):
        return Computed(one, two, _batch_of((args, kwargs)), node.name)
    if isinstance(one, (tuple, list)) and all(isinstance(t, torch.Tensor) for t in one):
        ref = _batch_of((args, kwargs))
        return Tuple(tuple(Computed(a, b, ref, f"{node.name}_{i}")
                           for i, (a, b) in enumerate(zip(one, two))))
    if type(one) is type(two) and one == two:
        return one
    raise Unmappable("computes a value from the batch size; a graph has no such value")


def placed(value: Computed, add) -> Ref:
    """``value`` as graph nodes (``add(name, op, params, inputs) -> node id``): a Parameter
    of its values, repeated per sample when it has a batch."""
    one, two = value.one, value.two
    if one.is_meta:
        raise Unmappable("uses a tensor computed from sizes on the meta device, whose values "
                         "are unknown; import the model with real tensors")
    if one.dtype not in DTYPES or not one.dim() or one.numel() > MAX_VALUES:
        raise Unmappable(f"uses a tensor computed from sizes ({one.dtype}, shape "
                         f"{tuple(one.shape)}) that a graph cannot hold: float32 or int64, "
                         f"at most {MAX_VALUES} values")
    params = {"shape": list(one.shape), "dtype": DTYPES[one.dtype], "trainable": False,
              "values": one.flatten().tolist()}
    if one.shape == two.shape and torch.equal(one, two):
        return Ref(add(value.name, "Parameter", params, []))
    if value.batch is None or one.shape[:1] != (1,) or two.shape != (2, *one.shape[1:]) or \
            not torch.equal(two, one.expand(two.shape)):
        raise Unmappable("uses a tensor computed from sizes whose values are not the same "
                         "for every sample")
    tensor = Ref(add(value.name, "Parameter", params, []))
    return Ref(add(f"{value.name}_expand", "BatchExpand", {}, [tensor, value.batch]))


def own_tensor(importer, target: str, name: str) -> Ref:
    """A tensor the model holds itself (``self.class_token``): a Parameter node; one that
    is not in the state_dict (a non-persistent buffer) with its values."""
    value = importer.traced
    for part in target.split("."):
        value = getattr(value, part)
    if not isinstance(value, torch.Tensor) or value.dtype not in DTYPES or not value.dim():
        raise Unmappable("reads an attribute that is not a float32 or int64 tensor with "
                         "at least one dim")
    params = {"shape": list(value.shape), "dtype": DTYPES[value.dtype],
              "trainable": isinstance(value, nn.Parameter)}
    if target not in importer.saved:  # a non-persistent buffer: the graph holds its values
        if value.is_meta:
            raise Unmappable("reads a tensor outside the state_dict whose values are on the "
                             "meta device; import the model with real tensors")
        if value.numel() > MAX_VALUES:
            raise Unmappable(f"reads a fixed tensor of {value.numel()} values that is not "
                             f"in the state_dict; a graph holds at most {MAX_VALUES}")
        params.update(trainable=False, values=value.flatten().tolist())
    node_id = importer.add(name, "Parameter", params, [])
    importer.modules[node_id] = target
    return Ref(node_id)


ARITHMETIC = {operator.add, operator.sub, operator.mul, operator.truediv, torch.add, torch.sub,
              torch.mul, torch.div, "add", "sub", "mul", "div"}


def scalar_operands(node: fx.Node, args: tuple) -> tuple:
    """``attn * self.scale``, ``1 - x``: the plain number made a one-element Computed (a
    fixed Parameter once placed), in the dtype PyTorch computes in, so Add, Subtract,
    Multiply and Divide take it as a tensor."""
    if node.target not in ARITHMETIC or len(args) != 2 or \
            sum(isinstance(a, Ref) for a in args) != 1:
        return args
    number = next(a for a in args if not isinstance(a, Ref))
    meta = node.meta.get("tensor_meta")
    if isinstance(number, bool) or not isinstance(number, (int, float)) or \
            getattr(meta, "dtype", None) not in DTYPES:
        return args
    value = torch.tensor([number], dtype=meta.dtype)
    return tuple(a if isinstance(a, Ref) else Computed(value, value, None, f"{node.name}_value")
                 for a in args)
