"""Normalisation (and linear) calls that carry their module's own tensors
(``F.batch_norm(x, self.running_mean, ..., self.weight, self.bias)`` in timm's
BatchNormAct2d, ConvNeXt's LayerNorm2d, PoolFormer's GroupNorm1, a Linear subclass with
its own forward): one BatchNorm/LayerNorm/GroupNorm/Linear node that holds those tensors
under the module's path, so the original state_dict loads as it is.

The importer hands the tensors over as ``Attr`` (a ``get_attr`` read whose only readers
are such calls); when they do not all belong to one module under their usual names, the
call is not absorbed and they become Parameter nodes after all.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

from .function_rules import _bind

ARGS: dict[Callable, tuple[tuple[str, ...], dict[str, Any]]] = {F.batch_norm: (("input", "running_mean", "running_var", "weight", "bias", "training",
                        "momentum", "eps"),
                       {"weight": None, "bias": None, "training": False, "momentum": 0.1,
                        "eps": 1e-5}),
        F.layer_norm: (("input", "normalized_shape", "weight", "bias", "eps"),
                       {"weight": None, "bias": None, "eps": 1e-5}),
        F.group_norm: (("input", "num_groups", "weight", "bias", "eps"),
                       {"weight": None, "bias": None, "eps": 1e-5}),
        torch._C._nn.linear: (("input", "weight", "bias"), {"bias": None})}
ARGS[F.linear] = ARGS[torch._C._nn.linear]
TENSORS = ("running_mean", "running_var", "weight", "bias")
BN_RANK = {2: 1, 3: 1, 4: 2, 5: 3}


class Attr(NamedTuple):
    """A tensor attribute of the model, not yet a node: ``target`` is its dotted key."""

    target: str


def absorbed(fn, args, kwargs, rank: int | None, module_at) -> tuple[str, dict, str] | None:
    """(op, params, module path) of the node that replaces the call, or None."""
    names, defaults = ARGS[fn]
    try:
        bound = _bind(args, kwargs, names, defaults)
    except Exception:  # noqa: BLE001 - an unusual call is simply not absorbed
        return None
    attrs = {k: bound[k] for k in TENSORS if bound.get(k) is not None}
    if not attrs or not all(isinstance(v, Attr) for v in attrs.values()):
        return None
    prefix = attrs["weight"].target.rpartition(".")[0] if "weight" in attrs else ""
    if not prefix or any(v.target != f"{prefix}.{k}" for k, v in attrs.items()):
        return None  # not one module's own tensors under their usual names
    module = module_at(prefix)
    expected = set(attrs) | ({"num_batches_tracked"} if fn is F.batch_norm else set())
    if module is None or set(module.state_dict()) != expected or "weight" not in attrs:
        return None
    return _node(fn, bound, attrs, rank, module, prefix)


def _node(fn, bound, attrs, rank, module, prefix):
    eps = bound.get("eps")
    if fn is F.batch_norm:
        momentum = getattr(module, "momentum", None)
        if rank not in BN_RANK or "running_mean" not in attrs or not isinstance(momentum, float):
            return None
        return (f"BatchNorm{BN_RANK[rank]}d", {"eps": eps, "momentum": momentum,
                                              "affine": "bias" in attrs,
                                              "track_running_stats": True}, prefix)
    if fn in (F.linear, torch._C._nn.linear):  # a Linear subclass with its own forward
        return "Linear", {"out_features": module.weight.shape[0], "bias": "bias" in attrs}, \
            prefix
    if fn is F.layer_norm:
        return ("LayerNorm", {"normalized_dims": len(bound["normalized_shape"]), "eps": eps,
                              "elementwise_affine": True, "bias": "bias" in attrs}, prefix)
    if "bias" not in attrs:
        return None
    return "GroupNorm", {"num_groups": bound["num_groups"], "eps": eps, "affine": True}, prefix
