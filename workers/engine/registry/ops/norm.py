"""Normalisation: BatchNorm, LayerNorm, GroupNorm, InstanceNorm, Normalize."""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from ..core import OpSpec, register, register_op
from ..params import Bool, Float, Inferred, Int
from ..shapes import ShapeError, norm_dim, numel
from ._helpers import channels, elementwise_flops

EPS = Float("eps", 1e-5, "Added to the variance for numerical stability", min=0, max=1)
MOMENTUM = Float("momentum", 0.1, "Running statistics update rate", min=0, max=1)
NUM_FEATURES = Inferred("num_features", "Channels (the input's dim 1)")
BN_RANKS = {1: ((2, 3), "(N, C) or (N, C, L)"), 2: ((4,), "(N, C, H, W)"),
            3: ((5,), "(N, C, D, H, W)")}


def _bn_builder(cls, with_stats: bool):
    def build(p, shapes):
        extra = {"momentum": p["momentum"]} if with_stats else {}
        extra["track_running_stats"] = p["track_running_stats"]
        return cls(channels(shapes), eps=p["eps"], affine=p["affine"], **extra)
    return build


def _bn_shape(p, shapes):
    if p["eps"] <= 0:  # F.batch_norm (and instance_norm, built on it) refuses eps 0
        raise ShapeError("needs eps above 0 (batch statistics divide by sqrt(var + eps))")
    return shapes[0]


def _in_shape(p, shapes):
    if numel(shapes[0][2:]) < 2:  # statistics over one element: F.instance_norm refuses
        raise ShapeError(f"needs more than one spatial element per channel to normalise, "
                         f"got {shapes[0][2:]}")
    return _bn_shape(p, shapes)


def _bn_count(p, shapes):
    return 2 * channels(shapes) if p["affine"] else 0


for _n, (_ranks, _layout) in BN_RANKS.items():
    register(OpSpec(
        name=f"BatchNorm{_n}d", category="Normalization",
        help=f"Batch normalisation over {_layout}",
        params=(EPS, MOMENTUM, Bool("affine", True, "Learn a scale and shift"),
                Bool("track_running_stats", True, "Keep running mean/variance for eval"),
                NUM_FEATURES),
        build=_bn_builder(getattr(nn, f"BatchNorm{_n}d"), True), shape=_bn_shape,
        infer=lambda p, s: {"num_features": s[0][1]}, count=_bn_count,
        flops=elementwise_flops(2), rank=_ranks, layout=_layout))
    register(OpSpec(
        name=f"InstanceNorm{_n}d", category="Normalization",
        help=f"Instance normalisation (per sample and channel) over {_layout}",
        params=(EPS, Bool("affine", False, "Learn a scale and shift"),
                Bool("track_running_stats", False, "Keep running mean/variance for eval"),
                NUM_FEATURES),
        build=_bn_builder(getattr(nn, f"InstanceNorm{_n}d"), False), shape=_in_shape,
        infer=lambda p, s: {"num_features": s[0][1]}, count=_bn_count,
        flops=elementwise_flops(4), rank=(_ranks[-1],), layout=_layout))


def _ln_shape(p, shapes):
    if p["normalized_dims"] >= len(shapes[0]):
        raise ShapeError(f"normalises the last {p['normalized_dims']} dims but the input has "
                         f"only {len(shapes[0]) - 1} besides the batch")
    return shapes[0]


def _ln_count(p, shapes):
    size = numel(shapes[0][-p["normalized_dims"]:])
    return (2 if p["bias"] else 1) * size if p["elementwise_affine"] else 0


@register_op("LayerNorm", category="Normalization",
             help="Layer normalisation over the last normalized_dims dims",
             params=(Int("normalized_dims", 1, "How many trailing dims to normalise", min=1,
                         max=7), EPS,
                     Bool("elementwise_affine", True, "Learn a scale (and shift)"),
                     Bool("bias", True, "Learn a shift too"),
                     Inferred("normalized_shape", "The trailing dims (from the input shape)",
                              type="shape")),
             infer=lambda p, s: {"normalized_shape": s[0][-p["normalized_dims"]:]},
             shape=_ln_shape, count=_ln_count,
             flops=elementwise_flops(5), layout="(N, *, normalized_shape)")
def layer_norm(p, shapes):
    return nn.LayerNorm(tuple(shapes[0][-p["normalized_dims"]:]), eps=p["eps"],
                        elementwise_affine=p["elementwise_affine"], bias=p["bias"])


def _gn_shape(p, shapes):
    if shapes[0][1] % p["num_groups"]:
        raise ShapeError(f"has num_groups={p['num_groups']}, which must divide the input's "
                         f"{shapes[0][1]} channels")
    return shapes[0]


@register_op("GroupNorm", category="Normalization",
             help="Group normalisation: channels split into groups",
             params=(Int("num_groups", 8, "Number of channel groups", min=1, max=65536), EPS,
                     Bool("affine", True, "Learn a scale and shift"),
                     Inferred("num_channels", "Channels (the input's dim 1)")),
             infer=lambda p, s: {"num_channels": s[0][1]}, shape=_gn_shape,
             count=lambda p, s: 2 * s[0][1] if p["affine"] else 0,
             flops=elementwise_flops(5), rank=(3, 4, 5), layout="(N, C, *)")
def group_norm(p, shapes):
    return nn.GroupNorm(p["num_groups"], channels(shapes), eps=p["eps"], affine=p["affine"])


def _normalize_shape(p, shapes):
    if shapes[0][norm_dim(p["dim"], len(shapes[0]))] is None:
        raise ShapeError("cannot normalise over the batch dimension")
    return shapes[0]


@register_op("Normalize", kind="function", category="Normalization",
             help="Divides by the p-norm over dim (F.normalize: EdgeNeXt's q and k)",
             params=(Float("p", 2.0, "Order of the norm", min=0),
                     Int("dim", 1, "Dim the norm is taken over (not the batch)", min=-8, max=7),
                     Float("eps", 1e-12, "Smallest norm divided by", min=0, max=1)),
             shape=_normalize_shape, count=lambda p, s: 0, flops=elementwise_flops(3))
def normalize(g, args, p, shapes, target):
    return {"out": g.call_function(F.normalize, (args[0],),
                                   {"p": p["p"], "dim": p["dim"], "eps": p["eps"]})}
