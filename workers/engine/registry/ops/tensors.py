"""A model's own tensors and indexing: Parameter, BatchExpand, Select, Slice, Index.

``Parameter`` is a learned tensor (or a fixed buffer) of the model itself rather than
of a layer: ViT's class token and position embedding, ConvNeXt's layer scale; with
``values``, a fixed buffer the graph holds itself (a relative-position index), which the
compiled module keeps out of its state_dict as the original does. It has
no batch dimension; the math ops broadcast it against batched tensors, and
``BatchExpand`` repeats it once per sample (ViT's ``class_token.expand(n, -1, -1)``).
"""
from __future__ import annotations

import operator

import torch

from ..core import OpSpec, Port, register, register_op
from ..params import Bool, Choice, Int, Shape, Values
from ..shapes import ShapeError, norm_dim, numel
from ._helpers import zero

INITS = ("zeros", "ones", "normal")


def _tensor(p) -> torch.Tensor:
    dtype = torch.int64 if p["dtype"] == "int64" else torch.float32
    if p["values"] is not None:  # real values, even where layers are built on the meta device
        return torch.tensor(p["values"], dtype=dtype, device="cpu").reshape(p["shape"])
    if p["init"] == "normal" and dtype == torch.float32:
        value = torch.randn(p["shape"]) * 0.02
    else:
        value = (torch.ones if p["init"] == "ones" else torch.zeros)(p["shape"], dtype=dtype)
    return torch.nn.Parameter(value) if p["trainable"] else value


def _param_shape(p, shapes):
    if p["trainable"] and p["dtype"] == "int64":
        raise ShapeError("cannot learn an int64 tensor; set trainable to false (a buffer)")
    if not p["shape"]:
        raise ShapeError("needs a shape with at least one dim")
    values = p["values"]
    if values is not None:
        if p["trainable"]:
            raise ShapeError("holds fixed values; set trainable to false (a buffer)")
        if len(values) != numel(p["shape"]):
            raise ShapeError(f"has {len(values)} values for a shape of {numel(p['shape'])} "
                             f"elements")
        if p["dtype"] == "int64" and not all(float(v).is_integer() and abs(v) < 2**63
                                             for v in values):
            raise ShapeError("has values that are not integers for an int64 tensor")
    return tuple(p["shape"])


register(OpSpec(
    name="Parameter", category="Tensor",
    help="A tensor of the model itself (no batch dim): learned, or a fixed buffer",
    inputs=(), params=(Shape("shape", [1, 16], "Its full shape (there is no batch dim)", min=1),
                       Choice("init", "zeros", INITS, "Initial values (normal: std 0.02)"),
                       Bool("trainable", True, "Learned (a parameter) or fixed (a buffer)"),
                       Choice("dtype", "float32", ("float32", "int64"), "Element type"),
                       Values("values", "Fixed contents, flat (a buffer that is not in the "
                                        "state_dict: its values live in the graph)")),
    tensor=_tensor, shape=_param_shape,
    count=lambda p, s: numel(p["shape"]) if p["trainable"] else 0,
    flops=lambda p, s, o: 0, input_dtype="any"))


def _expand_shape(p, shapes):
    tensor, like = shapes
    if not tensor or tensor[0] != 1 or None in tensor:
        raise ShapeError("needs in to be a tensor without a batch dim whose first dim is 1, "
                         "such as a Parameter (1, L, D)")
    return (like[0], *tensor[1:])


@register_op("BatchExpand", kind="function", category="Tensor",
             help="Repeats a batch-free tensor (first dim 1) once per sample of 'like'",
             inputs=(Port("in"), Port("like")), shape=_expand_shape, count=zero,
             flops=lambda p, s, o: 0, input_dtype="any", out_dtype=None, batch="broadcast")
def batch_expand(g, args, p, shapes, target):
    size = g.call_method("size", (args[1], 0))
    return {"out": g.call_method("expand", (args[0], size, *[-1] * (len(shapes[0]) - 1)))}


def _not_batch(p, shape, what: str) -> int:
    """The dim ``p['dim']`` names, which must not be the batch (wherever a Permute put it:
    ``qkv.permute(2, 0, 3, 1, 4).unbind(0)`` selects along dim 0 after the batch moved)."""
    dim = norm_dim(p["dim"], len(shape))
    if shape[dim] is None:
        raise ShapeError(f"cannot {what} the batch dimension (dim {dim})")
    return dim


def _select_shape(p, s):
    dim = _not_batch(p, s[0], "select along")
    if not -s[0][dim] <= p["index"] < s[0][dim]:
        raise ShapeError(f"has index {p['index']}, outside dim {dim} of size {s[0][dim]}")
    return s[0][:dim] + s[0][dim + 1:]


@register_op("Select", kind="function", category="Shape",
             help="One position along dim, which goes away (ViT's x[:, 0]); any dim but the batch",
             params=(Int("dim", 1, "Dim (0 is the batch)", min=-8, max=7),
                     Int("index", 0, "Position (negative counts from the end)", min=-2**31)),
             shape=_select_shape, count=zero, flops=lambda p, s, o: 0, input_dtype="any",
             batch="anywhere")
def select(g, args, p, shapes, target):
    return {"out": g.call_method("select", (args[0], p["dim"], p["index"]))}


def _slice_range(p, s) -> tuple[int, range]:
    dim = _not_batch(p, s[0], "slice")
    picked = range(s[0][dim])[slice(p["start"], p["end"], p["step"])]
    if not picked:
        raise ShapeError(f"picks nothing from dim {dim} of size {s[0][dim]}")
    return dim, picked


def _slice_shape(p, s):
    dim, picked = _slice_range(p, s)
    return s[0][:dim] + (len(picked),) + s[0][dim + 1:]


@register_op("Slice", kind="function", category="Shape",
             help="start:end:step along dim, as Python slices it (x[:, 1:])",
             params=(Int("dim", 1, "Dim (0 is the batch)", min=-8, max=7),
                     Int("start", None, "First position (empty: the start)", min=-2**31,
                         nullable=True),
                     Int("end", None, "Stop before this position (empty: the end)",
                         min=-2**31, nullable=True),
                     Int("step", 1, "Step", min=1)),
             shape=_slice_shape, count=zero, flops=lambda p, s, o: 0, input_dtype="any",
             batch="anywhere")
def slice_(g, args, p, shapes, target):
    dim, _ = _slice_range(p, shapes)
    index = (slice(None),) * dim + (slice(p["start"], p["end"], p["step"]),)
    return {"out": g.call_function(operator.getitem, (args[0], index))}


def _index_shape(p, s):
    source, index = s
    if None in index:
        raise ShapeError("needs an index without a batch dim (an int64 Parameter, a buffer "
                         "such as a relative-position index)")
    dim = _not_batch(p, source, "index")
    return source[:dim] + index + source[dim + 1:]


@register_op("Index", kind="function", category="Shape",
             help="Picks positions along dim by an int64 tensor of indices, whose shape "
                  "takes that dim's place (a relative-position table read by its index: "
                  "table[index])",
             inputs=(Port("in"), Port("index")),
             params=(Int("dim", 0, "Dim to index (not the batch)", min=-8, max=7),),
             shape=_index_shape, count=zero, flops=lambda p, s, o: 0,
             input_dtype=("any", "long"), batch="broadcast")
def index(g, args, p, shapes, target):
    dim = norm_dim(p["dim"], len(shapes[0]))
    return {"out": g.call_function(operator.getitem, (args[0], (slice(None),) * dim +
                                                       (args[1],)))}
