"""How a leaf ``nn.Module`` found by the fx trace becomes a registry op and its params.

Each rule reads the module's own attributes and returns ``(op, params)``, or
raises ``Unmappable`` saying which setting has no counterpart in the
registry, so nothing is silently changed. Lookup is by exact class (or a
subclass that keeps the parent's ``forward``): a subclass with its own
forward computes something else and is refused.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import torch.nn.functional as F
from torch import nn

from ..registry import get_op, op_spec
from ..registry.ops.activation import ACTIVATIONS


class Unmappable(Exception):
    """No registry op reproduces this module or call; the message says why."""


# A module → (its registry op, that op's params).
ModuleRule = Callable[[nn.Module], tuple[str, dict]]

def _nn_name(m: nn.Module) -> str:
    """The torch.nn class ``m`` is (or subclasses, keeping its forward): the op's name."""
    return next(c.__name__ for c in type(m).__mro__ if getattr(nn, c.__name__, None) is c)


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _same(name: str, value, allowed) -> None:
    if value != allowed:
        raise Unmappable(f"{name}={value!r} is not supported (only {allowed!r})")


def by_attributes(op: str):
    """Params named like the module's attributes (activations, dropout, flatten, ...)."""
    spec = op_spec(op)

    def rule(m: nn.Module) -> tuple[str, dict]:
        return op, {p.name: _plain(getattr(m, p.name)) for p in spec.params
                    if not p.inferred and hasattr(m, p.name)}
    return rule


def _conv_padding(m) -> object:
    if m.padding == "valid":
        return 0
    if m.padding == "same":
        total = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
        if any(t % 2 for t in total):
            raise Unmappable("padding='same' with an even kernel pads unevenly")
        return [t // 2 for t in total]
    return list(m.padding)


def conv(m) -> tuple[str, dict]:
    _same("padding_mode", m.padding_mode, "zeros")
    params = {"out_channels": m.out_channels, "kernel_size": list(m.kernel_size),
              "stride": list(m.stride), "padding": _conv_padding(m),
              "dilation": list(m.dilation), "groups": m.groups, "bias": m.bias is not None}
    if m.transposed:
        params["output_padding"] = list(m.output_padding)
    return _nn_name(m), params


def linear(m) -> tuple[str, dict]:
    return "Linear", {"out_features": m.out_features, "bias": m.bias is not None}


def batch_norm(m) -> tuple[str, dict]:
    if m.momentum is None:
        raise Unmappable("momentum=None (a cumulative average) is not supported")
    return _nn_name(m), {"eps": m.eps, "momentum": m.momentum, "affine": m.affine,
                              "track_running_stats": m.track_running_stats}


def instance_norm(m) -> tuple[str, dict]:
    return _nn_name(m), {"eps": m.eps, "affine": m.affine,
                              "track_running_stats": m.track_running_stats}


def layer_norm(m) -> tuple[str, dict]:
    return "LayerNorm", {"normalized_dims": len(m.normalized_shape), "eps": m.eps,
                         "elementwise_affine": m.elementwise_affine,
                         "bias": m.bias is not None or not m.elementwise_affine}


def group_norm(m) -> tuple[str, dict]:
    return "GroupNorm", {"num_groups": m.num_groups, "eps": m.eps, "affine": m.affine}


def pool(m) -> tuple[str, dict]:
    if getattr(m, "return_indices", False):
        raise Unmappable("return_indices=True is not supported")
    if getattr(m, "divisor_override", None) is not None:
        raise Unmappable("divisor_override is not supported")
    return by_attributes(_nn_name(m))(m)


def adaptive_pool(m) -> tuple[str, dict]:
    size = m.output_size
    if getattr(m, "return_indices", False):
        raise Unmappable("return_indices=True is not supported")
    if size is None or (isinstance(size, tuple) and None in size):
        raise Unmappable("an output_size that keeps an input size (None) is not supported")
    return _nn_name(m), {"output_size": _plain(size)}


def embedding(m) -> tuple[str, dict]:
    if m.max_norm is not None or m.scale_grad_by_freq or m.sparse:
        raise Unmappable("max_norm, scale_grad_by_freq and sparse are not supported")
    return "Embedding", {"num_embeddings": m.num_embeddings, "embedding_dim": m.embedding_dim,
                         "padding_idx": m.padding_idx}


def upsample(m) -> tuple[str, dict]:
    factor = m.scale_factor
    if isinstance(factor, tuple):
        factor = factor[0] if len(set(factor)) == 1 else None
    if m.size is not None or factor is None or m.recompute_scale_factor:
        raise Unmappable("only one scale_factor for every dim is supported (no size)")
    return "Upsample", {"scale_factor": float(factor), "mode": m.mode,
                        "align_corners": bool(m.align_corners)}


def prelu(m) -> tuple[str, dict]:
    return "PReLU", {"num_parameters": m.num_parameters}  # the slope comes with the weights


def unflatten(m) -> tuple[str, dict]:
    return "Unflatten", {"dim": m.dim, "sizes": list(m.unflattened_size)}


def encoder_layer(m) -> tuple[str, dict]:
    if not m.self_attn.batch_first:
        raise Unmappable("batch_first=False is not supported (the registry is batch-first)")
    _same("layer_norm_eps", m.norm1.eps, 1e-5)
    act = {F.relu: "relu", F.gelu: "gelu"}.get(m.activation)
    if act is None:
        raise Unmappable("only the relu and gelu activations are supported")
    return _nn_name(m), {"nhead": m.self_attn.num_heads,
                              "dim_feedforward": m.linear1.out_features,
                              "dropout": m.dropout.p, "activation": act,
                              "norm_first": m.norm_first}


def recurrent(m) -> tuple[str, dict]:
    if not m.batch_first:
        raise Unmappable("batch_first=False is not supported (the registry is batch-first)")
    _same("proj_size", getattr(m, "proj_size", 0), 0)
    params = {"hidden_size": m.hidden_size, "num_layers": m.num_layers,
              "bidirectional": m.bidirectional, "dropout": m.dropout, "bias": m.bias,
              "mode": "sequence"}  # the importer switches to "last" for out[:, -1]
    if m.mode.startswith("RNN"):
        params["nonlinearity"] = m.nonlinearity
    return _nn_name(m), params


def attention(m) -> tuple[str, dict]:
    if not m.batch_first:
        raise Unmappable("batch_first=False is not supported (the registry is batch-first)")
    if not m._qkv_same_embed_dim or m.bias_k is not None or m.add_zero_attn:
        raise Unmappable("kdim/vdim, add_bias_kv and add_zero_attn are not supported")
    return "MultiheadAttention", {"num_heads": m.num_heads, "dropout": m.dropout,
                                  "bias": m.in_proj_bias is not None}


def swin_attention(m) -> tuple[str, dict]:
    return type(m).__name__.replace("ShiftedWindowAttention", "SwinAttention"), {
        "num_heads": m.num_heads, "window_size": list(m.window_size),
        "shift_size": list(m.shift_size), "qkv_bias": m.qkv.bias is not None,
        "proj_bias": m.proj.bias is not None, "attention_dropout": m.attention_dropout,
        "dropout": m.dropout}


def _table() -> dict[type, ModuleRule]:
    table: dict[type, ModuleRule] = {nn.Linear: linear, nn.LayerNorm: layer_norm, nn.GroupNorm: group_norm,
             nn.Embedding: embedding, nn.Upsample: upsample, nn.PReLU: prelu,
             nn.Unflatten: unflatten, nn.TransformerEncoderLayer: encoder_layer,
             nn.TransformerDecoderLayer: encoder_layer, nn.RNN: recurrent,
             nn.LSTM: recurrent, nn.GRU: recurrent, nn.MultiheadAttention: attention}
    for n in (1, 2, 3):
        for name in (f"Conv{n}d", f"ConvTranspose{n}d"):
            table[getattr(nn, name)] = conv
        table[getattr(nn, f"BatchNorm{n}d")] = batch_norm
        table[getattr(nn, f"InstanceNorm{n}d")] = instance_norm
        for name in (f"MaxPool{n}d", f"AvgPool{n}d"):
            table[getattr(nn, name)] = pool
        for name in (f"AdaptiveAvgPool{n}d", f"AdaptiveMaxPool{n}d"):
            if get_op(name):
                table[getattr(nn, name)] = adaptive_pool
    simple = [name for name, _, _, _ in ACTIVATIONS] + [
        "Dropout", "AlphaDropout", "Dropout1d", "Dropout2d", "Dropout3d", "Identity",
        "Flatten", "PixelShuffle", "PixelUnshuffle"]
    for kind, dims in (("Zero", (1, 2, 3)), ("Constant", (1, 2, 3)), ("Reflection", (1, 2)),
                       ("Replication", (1, 2, 3))):
        simple += [f"{kind}Pad{n}d" for n in dims]
    for name in simple:
        table[getattr(nn, name)] = by_attributes(name)
    from torchvision.ops import StochasticDepth
    table[StochasticDepth] = by_attributes("StochasticDepth")
    from torchvision.models import swin_transformer as swin
    for version in ("", "V2"):
        table[getattr(swin, f"ShiftedWindowAttention{version}")] = swin_attention
        table[getattr(swin, f"PatchMerging{version}")] = lambda m: (type(m).__name__, {})
    return table


@functools.cache
def rules() -> dict[type, ModuleRule]:
    """The table, built at the first import: it imports torchvision (Swin, StochasticDepth),
    which importing the engine must not (it costs a job's start seconds)."""
    return _table()


def module_rule(m: nn.Module):
    """The rule for ``m``'s class, or None."""
    for cls in type(m).__mro__:
        rule = rules().get(cls)
        if rule is not None:
            return rule if type(m).forward is getattr(cls, "forward", None) else None
    return None
