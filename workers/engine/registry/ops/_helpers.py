"""Shared pieces of op definitions: zero/param counts, kwargs picking, simple module ops."""
from __future__ import annotations

from ..core import OpSpec, Port, register
from ..shapes import numel


def zero(p, shapes) -> int:
    return 0


def same_shape(p, shapes):
    return shapes[0]


def pick(p: dict, *names, **renames) -> dict:
    """Builder kwargs from resolved params (names are the torch argument names)."""
    out = {n: p[n] for n in names}
    out.update({torch_name: p[ours] for torch_name, ours in renames.items()})
    return out


def channels(shapes) -> int:
    return shapes[0][1]


def elementwise_flops(per_element: int = 1):
    return lambda p, shapes, outs: per_element * numel(outs[0])


def simple_module(name: str, category: str, help: str, cls, params=(), names=(),
                  shape=same_shape, **kwargs) -> OpSpec:
    """Register a module op whose builder is ``cls(**params picked by name)``."""
    def build(p, shapes):
        return cls(**pick(p, *names))
    kwargs.setdefault("count", zero)
    return register(OpSpec(name=name, category=category, help=help, params=tuple(params),
                           build=build, shape=shape, **kwargs))


ONE_IN = (Port("in"),)
