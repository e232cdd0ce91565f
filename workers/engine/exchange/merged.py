"""A batch flattened with the dim after it (``x.flatten(0, 1)``) for a row-wise layer, then
reshaped back: LeViT's ``bn(x.flatten(0, 1)).reshape_as(x)``.

A graph's tensors keep the batch as a dim of its own, so the flattened tensor is never
made: the importer keeps the unflattened tensor (``Merged``) and maps each layer on
the rows to the same layer on the unflattened one. That is exact for the layers that
treat every row alike (Linear, LayerNorm, element-wise activations and dropout); a
BatchNorm1d over the (B * L, C) rows is the BatchNorm1d over (B, C, L), whose statistics
span the same B * L values, between two Transposes. The reshape back to the unflattened
shape gives the tensor itself; anything else is refused.
"""
from __future__ import annotations

from torch import fx

from .function_rules import Ref
from .module_rules import Unmappable
from .static_rules import static_shape

ROW_WISE = {"Linear", "LayerNorm", "Identity", "Dropout", "AlphaDropout", "ReLU", "ReLU6",
            "LeakyReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "Mish", "Hardswish",
            "Hardsigmoid", "Hardtanh", "Sigmoid", "Tanh", "Softsign", "Softplus"}
BACK = {"reshape", "view", "reshape_as", "view_as"}
REFUSED = ("uses a tensor whose batch is flattened with the dim after it (flatten(0, 1)); "
           "only row-wise layers (Linear, LayerNorm, activations), BatchNorm1d and a "
           "reshape back to the batch-first shape map")


class Merged:
    """The tensor ``ref`` (shape ``shape``, batch first) as its dims 0 and 1 flattened."""

    def __init__(self, ref: Ref, shape: tuple):
        self.ref, self.shape = ref, shape


def merged_call(node: fx.Node, args: tuple, kwargs: dict):
    """``x.flatten(0, 1)`` of a graph tensor: a Merged; a reshape of a Merged back to its
    unflattened shape: the tensor. None when ``node`` is neither."""
    if node.target in ("flatten", "__flatten__") or getattr(node.target, "__name__", "") == \
            "flatten":
        start = args[1] if len(args) > 1 else kwargs.get("start_dim", 0)
        end = args[2] if len(args) > 2 else kwargs.get("end_dim", -1)
        shape = static_shape(node.args[0])
        if start == 0 and isinstance(args[0], Ref) and shape is not None and \
                len(shape) >= 3 and end in (1, 1 - len(shape)):
            return Merged(args[0], shape)
        return None
    if not args or not isinstance(args[0], Merged):
        return None
    if node.target in BACK and static_shape(node) == args[0].shape:
        return args[0].ref
    raise Unmappable(REFUSED)


def merged_module(add, node: fx.Node, op: str, params: dict, merged: Merged):
    """The layer ``op`` on the rows of ``merged``, as graph nodes (``add(name, op, params,
    inputs) -> node id``): a Merged of the result; (the layer's node id, it)."""
    out = static_shape(node)
    if out is None:
        raise Unmappable(REFUSED)
    shape = merged.shape[:2] + tuple(out[1:])
    if op in ROW_WISE and len(out) >= 2 and \
            params.get("normalized_dims", 1) < len(merged.shape) - 1:
        node_id = add(node.name, op, params, [merged.ref])
        return node_id, Merged(Ref(node_id), shape)
    if op == "BatchNorm1d" and len(merged.shape) == 3:
        before = add(f"{node.name}_channels", "Transpose", {"dim0": 1, "dim1": 2}, [merged.ref])
        node_id = add(node.name, op, params, [Ref(before)])
        after = add(f"{node.name}_rows", "Transpose", {"dim0": 1, "dim1": 2}, [Ref(node_id)])
        return node_id, Merged(Ref(after), shape)
    raise Unmappable(f"applies {op} to {REFUSED[5:]}")

