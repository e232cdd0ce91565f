"""Pooling: Max/Avg pooling 1d/2d/3d and adaptive pooling."""
from __future__ import annotations

from torch import nn

from ..core import OpSpec, register
from ..params import Bool, Ints
from ..shapes import ShapeError, conv_out, numel, prod, tup
from .conv import LAYOUTS
from ._helpers import zero


def _pool_shape(n: int, is_max: bool):
    def rule(p, shapes):
        s = shapes[0]
        ks = tup(p["kernel_size"], n)
        st = tup(p["stride"] if p["stride"] is not None else p["kernel_size"], n)
        pa = tup(p["padding"], n)
        di = tup(p["dilation"], n) if is_max else (1,) * n
        for i in range(n):
            if pa[i] * 2 > ks[i]:
                raise ShapeError(f"has padding {pa[i]}, which must be at most half of the "
                                 f"kernel size {ks[i]}")
            if n == 3 and not is_max and s[2 + i] < ks[i]:  # avg_pool3d refuses, padded or not
                raise ShapeError(f"needs every spatial size at least the kernel size {ks[i]}, "
                                 f"but dim {2 + i} is {s[2 + i]}")
        return s[:2] + tuple(conv_out(s[2 + i], ks[i], st[i], pa[i], di[i], p["ceil_mode"])
                             for i in range(n))
    return rule


def _pool_params(is_max: bool) -> tuple:
    params = [Ints("kernel_size", 2, "Window size", min=1, max=1024),
              Ints("stride", None, "Stride (empty: the kernel size)", min=1, max=1024,
                   nullable=True),
              Ints("padding", 0, "Implicit padding on each side", min=0, max=512)]
    if is_max:
        params.append(Ints("dilation", 1, "Spacing between window elements", min=1, max=1024))
    params.append(Bool("ceil_mode", False, "Round the output size up instead of down"))
    if not is_max:
        params.append(Bool("count_include_pad", True, "Count padded zeros in the average"))
    return tuple(params)


def _pool_builder(cls, is_max: bool):
    def build(p, shapes):
        extra = {"dilation": p["dilation"]} if is_max else \
            {"count_include_pad": p["count_include_pad"]}
        return cls(p["kernel_size"], stride=p["stride"], padding=p["padding"],
                   ceil_mode=p["ceil_mode"], **extra)
    return build


def _adaptive_shape(n: int):
    def rule(p, shapes):
        return shapes[0][:2] + tup(p["output_size"], n)
    return rule


def _window_flops(n: int):
    def flops(p, shapes, outs):
        return numel(outs[0]) * prod(tup(p.get("kernel_size", 1), n))
    return flops


for _n in (1, 2, 3):
    for _is_max in (True, False):
        _cls = getattr(nn, f"{'Max' if _is_max else 'Avg'}Pool{_n}d")
        register(OpSpec(name=_cls.__name__, category="Pooling",
                        help=f"{_n}-D {'max' if _is_max else 'average'} pooling",
                        params=_pool_params(_is_max), build=_pool_builder(_cls, _is_max),
                        shape=_pool_shape(_n, _is_max), count=zero, flops=_window_flops(_n),
                        rank=(_n + 2,), layout=LAYOUTS[_n]))
        if _is_max and _n == 3:
            continue  # AdaptiveMaxPool3d exists but is rarely drawn; keep the palette short
        _acls = getattr(nn, f"Adaptive{'Max' if _is_max else 'Avg'}Pool{_n}d")
        register(OpSpec(
            name=_acls.__name__, category="Pooling",
            help=f"{_n}-D adaptive {'max' if _is_max else 'average'} pooling to a fixed size",
            params=(Ints("output_size", 1, "Output size (int or one per spatial dim)", min=1,
                         max=65536),),
            build=(lambda c: lambda p, s: c(p["output_size"]))(_acls),
            shape=_adaptive_shape(_n), count=zero,
            flops=lambda p, s, o: numel(s[0]), rank=(_n + 2,), layout=LAYOUTS[_n]))
