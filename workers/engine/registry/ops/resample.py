"""Resampling and padding: Upsample, PixelShuffle/Unshuffle, zero/constant/reflect/replicate pads."""
from __future__ import annotations

import math

from torch import nn

from ..core import OpSpec, register, register_op
from ..params import Bool, Choice, Float, Int, Ints
from ..shapes import ShapeError
from ._helpers import elementwise_flops, simple_module, zero
from .conv import LAYOUTS

MODE_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _upsample_shape(p, shapes):
    s = shapes[0]
    need = MODE_RANK.get(p["mode"])
    if need and len(s) != need:
        raise ShapeError(f"in mode '{p['mode']}' needs a {need}-D input")
    out = tuple(int(math.floor(d * p["scale_factor"])) for d in s[2:])
    if min(out) < 1:
        raise ShapeError(f"with scale_factor {p['scale_factor']} turns spatial size "
                         f"{min(s[2:])} into 0")
    return s[:2] + out


@register_op("Upsample", category="Resampling", help="Scales the spatial dims up (or down)",
             params=(Float("scale_factor", 2.0, "Multiplier of every spatial dim", min=0.01,
                           max=64),
                     Choice("mode", "nearest",
                            ["nearest", "linear", "bilinear", "bicubic", "trilinear"],
                            "Interpolation"),
                     Bool("align_corners", False, "Align corner pixels (linear modes only)")),
             shape=_upsample_shape, count=zero, flops=elementwise_flops(4), rank=(3, 4, 5),
             layout="(N, C, *spatial)")
def upsample(p, shapes):
    align = p["align_corners"] if p["mode"] in MODE_RANK else None
    return nn.Upsample(scale_factor=p["scale_factor"], mode=p["mode"], align_corners=align)


def _shuffle_shape(p, shapes):
    n, c, h, w = shapes[0]
    r = p["upscale_factor"]
    if c % (r * r):
        raise ShapeError(f"with upscale_factor {r} needs channels divisible by {r * r}, "
                         f"got {c}")
    return (n, c // (r * r), h * r, w * r)


def _unshuffle_shape(p, shapes):
    n, c, h, w = shapes[0]
    r = p["downscale_factor"]
    if h % r or w % r:
        raise ShapeError(f"with downscale_factor {r} needs height and width divisible by "
                         f"{r}, got {h}x{w}")
    return (n, c * r * r, h // r, w // r)


simple_module("PixelShuffle", "Resampling", "(N, C*r*r, H, W) -> (N, C, H*r, W*r)",
              nn.PixelShuffle, params=(Int("upscale_factor", 2, "r", min=1, max=64),),
              names=("upscale_factor",), shape=_shuffle_shape, rank=(4,),
              layout=LAYOUTS[2], flops=lambda p, s, o: 0)
simple_module("PixelUnshuffle", "Resampling", "(N, C, H*r, W*r) -> (N, C*r*r, H, W)",
              nn.PixelUnshuffle, params=(Int("downscale_factor", 2, "r", min=1, max=64),),
              names=("downscale_factor",), shape=_unshuffle_shape, rank=(4,),
              layout=LAYOUTS[2], flops=lambda p, s, o: 0)


def _pads(p, n: int) -> tuple:
    pad = p["padding"]
    if isinstance(pad, int):
        return (pad,) * (2 * n)
    if len(pad) != 2 * n:
        raise ShapeError(f"needs padding as one int or {2 * n} ints (left, right, top, "
                         f"bottom, ...), got {len(pad)}")
    return pad


def _pad_shape(n: int, reflect: bool):
    def rule(p, shapes):
        s, pads = shapes[0], _pads(p, n)
        out = list(s)
        for i in range(n):  # pads run from the last dim backwards, as in F.pad
            dim = len(s) - 1 - i
            lo, hi = pads[2 * i], pads[2 * i + 1]
            if reflect and (lo >= s[dim] or hi >= s[dim]):
                raise ShapeError(f"needs reflect padding smaller than the dim it pads "
                                 f"(size {s[dim]}, padding {lo}, {hi})")
            out[dim] = s[dim] + lo + hi
            # Negative padding crops first, as in F.pad, and not to nothing.
            if out[dim] < 1 or s[dim] + min(lo, 0) + min(hi, 0) < 1:
                raise ShapeError(f"with padding {lo}, {hi} leaves dim {dim} of size "
                                 f"{s[dim]} at {out[dim]}; sizes must be at least 1")
        return tuple(out)
    return rule


def _pad_builder(cls, n: int, constant: bool):
    def build(p, shapes):
        pads = _pads(p, n)
        return cls(pads, p["value"]) if constant else cls(pads)
    return build


PADDING = Ints("padding", 1, "int, or (left, right[, top, bottom[, front, back]]); "
               "negative crops", min=-4096, max=4096)
for _kind, _dims in (("Zero", (1, 2, 3)), ("Constant", (1, 2, 3)), ("Reflection", (1, 2)),
                     ("Replication", (1, 2, 3))):
    for _n in _dims:
        _constant = _kind == "Constant"
        register(OpSpec(
            name=f"{_kind}Pad{_n}d", category="Padding",
            help=f"Pads the last {_n} dim(s) ({_kind.lower()})",
            params=(PADDING, Float("value", 0.0, "Fill value", min=-1e30, max=1e30))
            if _constant else (PADDING,),
            build=_pad_builder(getattr(nn, f"{_kind}Pad{_n}d"), _n, _constant),
            shape=_pad_shape(_n, _kind == "Reflection"), count=zero,
            flops=lambda p, s, o: 0, rank=(_n + 1, _n + 2), layout=LAYOUTS[_n],
            input_dtype="any"))
