"""Convolutions: Conv1d/2d/3d and ConvTranspose1d/2d/3d."""
from __future__ import annotations

from torch import nn

from ..core import OpSpec, register
from ..params import Bool, Inferred, Int, Ints
from ..shapes import ShapeError, conv_out, numel, prod, tup

LAYOUTS = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def _params(transposed: bool) -> tuple:
    params = [Int("out_channels", 16, "Number of output channels", min=1, max=65536),
              Ints("kernel_size", 3, "Kernel size (int or one per spatial dim)", min=1, max=1024),
              Ints("stride", 1, "Stride", min=1, max=1024),
              Ints("padding", 0, "Zero padding on each side", min=0, max=1024)]
    if transposed:
        params.append(Ints("output_padding", 0, "Extra size added to one side of the output",
                           min=0, max=1024))
    params += [Ints("dilation", 1, "Spacing between kernel elements", min=1, max=1024),
               Int("groups", 1, "Blocked connections from input to output channels", min=1,
                   max=65536),
               Bool("bias", True, "Learn an additive bias"),
               Inferred("in_channels", "Input channels (from the input shape)")]
    return tuple(params)


def _dims(p, n: int):
    return [tup(p[k], n) for k in ("kernel_size", "stride", "padding", "dilation")]


def _check_groups(p, c_in: int):
    if c_in % p["groups"] or p["out_channels"] % p["groups"]:
        raise ShapeError(f"has groups={p['groups']}, which must divide both the input's "
                         f"{c_in} channels and out_channels={p['out_channels']}")


def _conv_shape(n: int, transposed: bool):
    def rule(p, shapes):
        s = shapes[0]
        _check_groups(p, s[1])
        ks, st, pa, di = _dims(p, n)
        if transposed:
            op = tup(p["output_padding"], n)
            spatial = []
            for i in range(n):
                if op[i] >= max(st[i], di[i]):
                    raise ShapeError("needs output_padding smaller than stride or dilation")
                size = (s[2 + i] - 1) * st[i] - 2 * pa[i] + di[i] * (ks[i] - 1) + op[i] + 1
                if size < 1:
                    raise ShapeError(f"would give an output size of {size}")
                spatial.append(size)
        else:
            spatial = [conv_out(s[2 + i], ks[i], st[i], pa[i], di[i]) for i in range(n)]
        return (s[0], p["out_channels"], *spatial)
    return rule


def _count(n: int):
    def count(p, shapes):
        weight = shapes[0][1] // p["groups"] * p["out_channels"] * prod(tup(p["kernel_size"], n))
        return weight + (p["out_channels"] if p["bias"] else 0)
    return count


def _flops(n: int, transposed: bool):
    def flops(p, shapes, outs):
        per_position = 2 * shapes[0][1] // p["groups"] * prod(tup(p["kernel_size"], n))
        # Transposed convs scatter every input position into the output instead.
        positions = numel(shapes[0]) // shapes[0][1] * p["out_channels"] if transposed \
            else numel(outs[0])
        return per_position * positions
    return flops


def _builder(cls, n: int, transposed: bool):
    def build(p, shapes):
        extra = {"output_padding": p["output_padding"]} if transposed else {}
        return cls(shapes[0][1], p["out_channels"], p["kernel_size"], stride=p["stride"],
                   padding=p["padding"], dilation=p["dilation"], groups=p["groups"],
                   bias=p["bias"], **extra)
    return build


for _n in (1, 2, 3):
    for _transposed, _cls in ((False, getattr(nn, f"Conv{_n}d")),
                              (True, getattr(nn, f"ConvTranspose{_n}d"))):
        register(OpSpec(
            name=_cls.__name__, category="Convolution",
            help=f"{_n}-D {'transposed ' if _transposed else ''}convolution",
            params=_params(_transposed), build=_builder(_cls, _n, _transposed),
            shape=_conv_shape(_n, _transposed), infer=lambda p, s: {"in_channels": s[0][1]},
            count=_count(_n), flops=_flops(_n, _transposed), rank=(_n + 2,),
            layout=LAYOUTS[_n]))
