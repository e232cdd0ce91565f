"""Linear, Identity, Flatten, Unflatten, Embedding."""
from __future__ import annotations

from torch import nn

from ..core import register_op
from ..params import INT_MAX, Bool, Inferred, Int, Shape
from ..shapes import ShapeError, norm_dim, numel, prod
from ._helpers import simple_module, zero


def _linear_count(p, shapes):
    return shapes[0][-1] * p["out_features"] + (p["out_features"] if p["bias"] else 0)


@register_op("Linear", category="Linear", help="Fully connected layer: y = x W^T + b",
             params=(Int("out_features", 64, "Output features", min=1),
                     Bool("bias", True, "Learn an additive bias"),
                     Inferred("in_features", "Input features (the input's last dimension)")),
             infer=lambda p, s: {"in_features": s[0][-1]},
             shape=lambda p, s: s[0][:-1] + (p["out_features"],),
             count=_linear_count,
             flops=lambda p, s, o: 2 * numel(s[0]) * p["out_features"],
             rank=(2, 3, 4, 5), layout="(N, *, in_features)")
def linear(p, shapes):
    return nn.Linear(shapes[0][-1], p["out_features"], bias=p["bias"])


simple_module("Identity", "Shape", "Passes its input through unchanged", nn.Identity,
              flops=lambda p, s, o: 0, input_dtype="any", batch="anywhere")


def _flatten_shape(p, s):
    rank = len(s[0])
    start, end = norm_dim(p["start_dim"], rank), norm_dim(p["end_dim"], rank)
    if start == 0:
        raise ShapeError("cannot flatten the batch dimension (dim 0) into the others")
    if start > end:
        raise ShapeError(f"has start_dim {p['start_dim']} after end_dim {p['end_dim']}")
    return s[0][:start] + (prod(s[0][start:end + 1]),) + s[0][end + 1:]


simple_module("Flatten", "Shape", "Flattens dims start_dim..end_dim into one", nn.Flatten,
              params=(Int("start_dim", 1, "First dim to flatten (0 is the batch)", min=-8, max=8),
                      Int("end_dim", -1, "Last dim to flatten", min=-8, max=8)),
              names=("start_dim", "end_dim"), shape=_flatten_shape, flops=lambda p, s, o: 0,
              input_dtype="any")


def _unflatten_sizes(p, s) -> tuple[int, tuple]:
    dim = norm_dim(p["dim"], len(s[0]))
    if dim == 0:
        raise ShapeError("cannot unflatten the batch dimension (dim 0)")
    size, sizes = s[0][dim], list(p["sizes"])
    if sizes.count(-1) > 1 or not sizes:
        raise ShapeError("needs sizes with at most one -1")
    known = prod([d for d in sizes if d != -1])
    if -1 in sizes:
        if known == 0 or size % known:
            raise ShapeError(f"cannot split dim {dim} of size {size} into {sizes}")
        sizes[sizes.index(-1)] = size // known
    if prod(sizes) != size:
        raise ShapeError(f"cannot split dim {dim} of size {size} into {tuple(sizes)}")
    return dim, tuple(sizes)


def _unflatten_shape(p, s):
    dim, sizes = _unflatten_sizes(p, s)
    return s[0][:dim] + sizes + s[0][dim + 1:]


@register_op("Unflatten", category="Shape", help="Splits one dim into several",
             params=(Int("dim", 1, "Dim to split", min=-8, max=8),
                     Shape("sizes", [1, -1], "New sizes (one may be -1)")),
             shape=_unflatten_shape, count=zero, flops=lambda p, s, o: 0, input_dtype="any")
def unflatten(p, shapes):
    return nn.Unflatten(*_unflatten_sizes(p, shapes))


def _embedding_shape(p, s):
    n, pad = p["num_embeddings"], p["padding_idx"]
    if pad is not None and not -n <= pad < n:  # nn.Embedding's own rule
        raise ShapeError(f"has padding_idx {pad}, which must be between {-n} and {n - 1} "
                         f"(num_embeddings {n}; negative counts from the end)")
    return s[0] + (p["embedding_dim"],)


@register_op("Embedding", category="Linear", help="Looks up a learned vector per integer token",
             params=(Int("num_embeddings", 1000, "Vocabulary size", min=1),
                     Int("embedding_dim", 64, "Size of each vector", min=1),
                     Int("padding_idx", None, "Token whose vector stays zero (optional; "
                         "negative counts from the end)", min=-INT_MAX, nullable=True)),
             shape=_embedding_shape,
             count=lambda p, s: p["num_embeddings"] * p["embedding_dim"],
             flops=lambda p, s, o: 0, input_dtype="long", out_dtype="float32",
             layout="(N, *) integer token ids")
def embedding(p, shapes):
    return nn.Embedding(p["num_embeddings"], p["embedding_dim"], padding_idx=p["padding_idx"])
