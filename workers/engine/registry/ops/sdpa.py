"""Scaled dot-product attention as a function of its query, key and value tensors
(``F.scaled_dot_product_attention``, which timm's ViT, DeiT and CoAtNet call): the
attention of models that compute q, k and v themselves, head split included; with a float
bias added to the scores (``attn_mask=``: CoAtNet's relative-position bias) it is
ScaledDotProductAttentionBias."""
from __future__ import annotations

import torch.nn.functional as F

from ..core import Port, register_op
from ..params import Bool, Float
from ..shapes import ShapeError, broadcast, fmt_shape, numel

QKV = (Port("q"), Port("k"), Port("v"))


def _shape(p, s):
    q, k, v = s
    if len(q) < 3 or not len(q) == len(k) == len(v):
        raise ShapeError("needs q, k and v of the same rank, at least (N, L, E)")
    if q[-1] != k[-1] or k[-2] != v[-2]:
        raise ShapeError(f"needs q (..., L, E), k (..., S, E) and v (..., S, Ev), got "
                         f"{q}, {k}, {v}")
    return broadcast([q[:-2], k[:-2], v[:-2]]) + (q[-2], v[-1])


def _biased_shape(p, s):
    out = _shape(p, s[:3])
    scores = out[:-1] + (s[1][-2],)
    try:
        if broadcast([scores, s[3]]) != scores:
            raise ShapeError("")
    except ShapeError:
        raise ShapeError(f"needs a bias that broadcasts to the scores {fmt_shape(scores)}, "
                         f"got {fmt_shape(s[3])}") from None
    return out


def _flops(p, s, o):
    return 2 * numel(s[0]) * s[1][-2] + 2 * numel(o[0]) * s[1][-2]


@register_op("ScaledDotProductAttention", kind="function", category="Attention",
             help="softmax(q k^T * scale) v over (N, ..., L, E) tensors (heads split by the "
                  "graph before it)",
             inputs=QKV,
             params=(Float("scale", None, "Scale of q k^T (empty: 1/sqrt(E))", min=0.0,
                           nullable=True),
                     Bool("is_causal", False, "Each position attends only to earlier ones")),
             shape=_shape, count=lambda p, s: 0, flops=_flops)
def sdpa(g, args, p, shapes, target):
    return {"out": g.call_function(F.scaled_dot_product_attention, tuple(args),
                                   {"scale": p["scale"], "is_causal": p["is_causal"]})}


@register_op("ScaledDotProductAttentionBias", kind="function", category="Attention",
             help="softmax(q k^T * scale + bias) v over (N, ..., L, E) tensors; the bias "
                  "(..., L, S) may have no batch (a relative-position table)",
             inputs=(*QKV, Port("bias")),
             params=(Float("scale", None, "Scale of q k^T (empty: 1/sqrt(E))", min=0.0,
                           nullable=True),),
             shape=_biased_shape, count=lambda p, s: 0, flops=_flops, batch="broadcast")
def sdpa_bias(g, args, p, shapes, target):
    q, k, v, bias = args
    return {"out": g.call_function(F.scaled_dot_product_attention, (q, k, v),
                                   {"attn_mask": bias, "scale": p["scale"]})}
