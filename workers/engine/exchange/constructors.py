"""Python source that rebuilds one compiled submodule: ``nn.Conv2d(3, 64, kernel_size=7)``.

Plain torch.nn layers keep their constructor arguments as attributes of the
same name, so the source is read off the module and its constructor's
signature (only values that differ from the defaults are written). Composite
layers that do not keep their arguments (attention, Transformer layers,
torchvision backbones) are written from the registry params that built them.
Any argument that is not a plain value stops the export with the node named,
rather than writing a module that differs from the compiled one.
"""
from __future__ import annotations

import inspect

import torch
from torch import nn

from ..registry.ops.backbones import BACKBONES
from ..schema import GraphError, error

# Arguments torch.nn constructors take but do not describe the layer.
SKIPPED = {"device", "dtype"}
# Arguments where (3, 3) and 3 mean the same: written as 3 when all sizes agree.
PER_DIM = {"kernel_size", "stride", "padding", "dilation", "output_padding"}
LITERALS = (bool, int, float, str, type(None))


def _literal(value) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_literal(v) for v in value)
    return isinstance(value, LITERALS)


def _simplify(name: str, value):
    if name in PER_DIM and isinstance(value, tuple) and value and len(set(value)) == 1:
        return value[0]
    return value


def _torch_name(cls: type) -> str:
    if getattr(nn, cls.__name__, None) is cls:
        return f"nn.{cls.__name__}"
    raise LookupError(cls.__name__)


def _from_attributes(key: str, module: nn.Module) -> str:
    cls = type(module)
    try:
        callee = _torch_name(cls)
    except LookupError:
        raise _cannot(key, f"{cls.__name__} is not a torch.nn layer") from None
    args, kwargs = [], []
    for name, par in list(inspect.signature(cls.__init__).parameters.items())[1:]:
        if name in SKIPPED or name.startswith("_") or par.kind in (par.VAR_POSITIONAL,
                                                                   par.VAR_KEYWORD):
            continue
        value = getattr(module, name, par.default)
        if name == "bias" and (value is None or isinstance(value, torch.Tensor)):
            value = value is not None  # the attribute holds the bias itself
        if value is inspect.Parameter.empty or not _literal(value):
            raise _cannot(key, f"its argument {name!r} is not kept as a plain value")
        value = _simplify(name, value)
        if par.default is inspect.Parameter.empty:
            args.append(repr(value))
        elif value != par.default:
            kwargs.append(f"{name}={value!r}")
    return f"{callee}({', '.join(args + kwargs)})"


def _cannot(key: str, why: str) -> GraphError:
    return GraphError([error(f"node '{key}' cannot be written as Python source: {why}",
                             node=key.split(".")[0])])


def _attention(p, shapes) -> str:
    extra = "" if p["dropout"] == 0 else f", dropout={p['dropout']!r}"
    extra += "" if p["bias"] else ", bias=False"
    return f"nn.MultiheadAttention({shapes[0][-1]}, {p['num_heads']}{extra}, batch_first=True)"


def _transformer(cls: str):
    def source(p, shapes):
        return (f"nn.{cls}({shapes[0][-1]}, {p['nhead']}, dim_feedforward="
                f"{p['dim_feedforward']}, dropout={p['dropout']!r}, activation="
                f"{p['activation']!r}, batch_first=True, norm_first={p['norm_first']})")
    return source


def _recurrent(cls: str):
    # RNNBase takes *args, so its signature says nothing; its attributes do.
    def source(p, shapes):
        extra = f", nonlinearity={p['nonlinearity']!r}" if cls == "RNN" else ""
        return (f"nn.{cls}({shapes[0][-1]}, {p['hidden_size']}, num_layers={p['num_layers']}, "
                f"bias={p['bias']}, batch_first=True, dropout={p['dropout']!r}, "
                f"bidirectional={p['bidirectional']}{extra})")
    return source


def _pair(value) -> list:
    return list(value) if isinstance(value, tuple) else [value, value]


def _swin(cls: str):
    def source(p, shapes):
        call = f"torchvision.models.swin_transformer.{cls}({shapes[0][-1]}"
        if not cls.startswith("ShiftedWindowAttention"):
            return call + ")"
        pair = _pair
        return (f"{call}, {pair(p['window_size'])}, {pair(p['shift_size'])}, {p['num_heads']}, "
                f"qkv_bias={p['qkv_bias']}, proj_bias={p['proj_bias']}, attention_dropout="
                f"{p['attention_dropout']!r}, dropout={p['dropout']!r})")
    return source


def _stochastic_depth(p, shapes):
    return f"torchvision.ops.StochasticDepth({p['p']!r}, {p['mode']!r})"


SPECIAL = {"MultiheadAttention": _attention, "StochasticDepth": _stochastic_depth,
           "SwinAttention": _swin("ShiftedWindowAttention"),
           "SwinAttentionV2": _swin("ShiftedWindowAttentionV2"),
           "PatchMerging": _swin("PatchMerging"), "PatchMergingV2": _swin("PatchMergingV2"), "RNN": _recurrent("RNN"),
           "LSTM": _recurrent("LSTM"), "GRU": _recurrent("GRU"),
           "TransformerEncoderLayer": _transformer("TransformerEncoderLayer"),
           "TransformerDecoderLayer": _transformer("TransformerDecoderLayer")}


def _backbone(op: str, p: dict, attr: str) -> tuple[str, list[str]]:
    """The torchvision call and the lines after it (freeze, then the new head, as the
    registry builds it); the weights come with the state_dict, never from a file here."""
    factory, _, features, head = BACKBONES[op]
    head_ref = f"{attr}.{head[0]}" + "".join(f"[{i}]" for i in head[1:])
    lines = [f"{attr}.requires_grad_(False)"] if p["freeze"] else []
    if p["head"] == "features":
        lines.append(f"{head_ref} = nn.Identity()")
    elif p["num_classes"] != 1000:
        lines.append(f"{head_ref} = nn.Linear({features}, {p['num_classes']})")
    return f"torchvision.models.{factory}(weights=None)", lines


def constructor(key: str, op: str, module: nn.Module, p: dict, shapes: list,
                attr: str) -> tuple[str, list[str]]:
    """(expression building the module, statements to run after assigning it to ``attr``)."""
    if op in BACKBONES:
        return _backbone(op, p, attr)
    if op in SPECIAL:
        return SPECIAL[op](p, shapes), []
    return _from_attributes(key, module), []
