"""Matrix products and attention in an fx trace as registry ops: scaled dot-product
attention (with a float bias as ScaledDotProductAttentionBias), einsum's batched matrix
product as MatMul, and swapaxes/swapdims as Transpose."""
from __future__ import annotations

from .function_rules import Op, _bind, _only, _tensor
from .module_rules import Unmappable


def sdpa(args, kwargs):
    bound = _bind(args, kwargs, ("query", "key", "value", "attn_mask", "dropout_p",
                                 "is_causal", "scale", "enable_gqa"),
                  {"attn_mask": None, "dropout_p": 0.0, "is_causal": False, "scale": None,
                   "enable_gqa": False})
    _only(bound, dropout_p=0.0, enable_gqa=False)
    if bound["attn_mask"] is not None:
        _only(bound, is_causal=False)  # PyTorch refuses a mask with is_causal
        return Op("ScaledDotProductAttentionBias", {"scale": bound["scale"]},
                  [_tensor(bound[k], k) for k in ("query", "key", "value", "attn_mask")])
    return Op("ScaledDotProductAttention", {"scale": bound["scale"],
                                            "is_causal": bound["is_causal"]},
              [_tensor(bound[k], k) for k in ("query", "key", "value")])


def swap(name: str):
    axes = ("axis0", "axis1") if name == "swapaxes" else ("dim0", "dim1")

    def rule(args, kwargs):
        bound = _bind(args, kwargs, ("input", *axes), {})
        return Op("Transpose", {"dim0": bound[axes[0]], "dim1": bound[axes[1]]},
                  [_tensor(bound["input"])])
    return rule


def einsum(args, kwargs):
    """A batched matrix product written as einsum (MaxViT's ``"B G H I D, B G H J D -> B G
    H I J"``): the same leading letters on both and the output, one letter contracted;
    MatMul, after a Transpose of an operand whose last two dims are the other way."""
    equation, *operands = args
    if len(operands) == 1 and isinstance(operands[0], (tuple, list)):
        operands = list(operands[0])
    terms = equation.replace(" ", "").split("->") if isinstance(equation, str) else []
    if kwargs or len(operands) != 2 or len(terms) != 2 or terms[0].count(",") != 1:
        raise Unmappable(f"computes einsum {equation!r}; only a batched matrix product of "
                         f"two tensors maps (MatMul)")
    (a, b), out = terms[0].split(","), terms[1]
    lead, rows, cols = out[:-2], out[-2:-1], out[-1:]
    if rows in b and cols in a:
        (a, b), operands = (b, a), operands[::-1]
    shared = set(a[-2:]) & set(b[-2:])
    if len(out) < 3 or a[:-2] != lead or b[:-2] != lead or len(a) != len(out) or \
            len(b) != len(out) or len(shared) != 1 or shared & set(out) or \
            rows not in a[-2:] or cols not in b[-2:] or len(set(out)) != len(out):
        raise Unmappable(f"computes einsum {equation!r}; only a batched matrix product of "
                         f"two tensors maps (MatMul)")
    pair: list = []  # an Op among the inputs is added before the MatMul (nested ops)
    for term, operand, first in ((a, operands[0], rows), (b, operands[1], shared.pop())):
        ref = _tensor(operand)
        pair.append(Op("Transpose", {"dim0": -2, "dim1": -1}, [ref]) if term[-2] != first
                    else ref)
    return Op("MatMul", {}, pair)
