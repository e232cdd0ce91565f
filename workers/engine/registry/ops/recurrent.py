"""Recurrent layers (RNN, LSTM, GRU) and attention (self-attention, Transformer layers).

Every layer here is batch-first: inputs read (N, L, features).
"""
from __future__ import annotations

import operator

from torch import nn

from ..core import OpSpec, Port, register
from ..params import Bool, Choice, Float, Inferred, Int
from ..shapes import ShapeError


GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
SEQ = "(N, L, features)"


def _rnn_params(kind: str) -> tuple:
    params = [Int("hidden_size", 64, "Features in the hidden state", min=1, max=65536),
              Int("num_layers", 1, "Stacked recurrent layers", min=1, max=64),
              Bool("bidirectional", False, "Also run the sequence backwards"),
              Float("dropout", 0.0, "Dropout between stacked layers", min=0, max=1),
              Bool("bias", True, "Learn biases"),
              Choice("mode", "last", ["last", "sequence"],
                     "'out' gives the last time step (N, H) or the full sequence (N, L, H)"),
              Inferred("input_size", "Input features (the input's last dimension)")]
    if kind == "RNN":
        params.insert(5, Choice("nonlinearity", "tanh", ["tanh", "relu"], "Cell activation"))
    return tuple(params)


def _rnn_shape(p, shapes):
    n, length, _ = shapes[0]
    width = p["hidden_size"] * (2 if p["bidirectional"] else 1)
    out = (n, width) if p["mode"] == "last" else (n, length, width)
    layers = p["num_layers"] * (2 if p["bidirectional"] else 1)
    return {"out": out, "h_n": (layers, n, p["hidden_size"])}


def _rnn_count(kind: str):
    def count(p, shapes):
        gates, h, dirs = GATES[kind], p["hidden_size"], 2 if p["bidirectional"] else 1
        total, width = 0, shapes[0][-1]
        for _ in range(p["num_layers"]):
            per_dir = gates * h * (width + h) + (2 * gates * h if p["bias"] else 0)
            total += dirs * per_dir
            width = h * dirs
        return total
    return count


def _rnn_flops(kind: str):
    def flops(p, shapes, outs):
        return 2 * _rnn_count(kind)(p, shapes) * shapes[0][1]
    return flops


def _rnn_builder(kind: str):
    def build(p, shapes):
        extra = {"nonlinearity": p["nonlinearity"]} if kind == "RNN" else {}
        return getattr(nn, kind)(shapes[0][-1], p["hidden_size"], num_layers=p["num_layers"],
                                 bias=p["bias"], batch_first=True, dropout=p["dropout"],
                                 bidirectional=p["bidirectional"], **extra)
    return build


def _rnn_emit(kind: str):
    def emit(g, args, p, shapes, target):
        result = g.call_module(target, (args[0],))
        seq = g.call_function(operator.getitem, (result, 0))
        state = g.call_function(operator.getitem, (result, 1))
        if kind == "LSTM":  # (h_n, c_n)
            state = g.call_function(operator.getitem, (state, 0))
        out = seq if p["mode"] == "sequence" else \
            g.call_function(operator.getitem, (seq, (slice(None), -1)))
        return {"out": out, "h_n": state}
    return emit


for _kind in GATES:
    register(OpSpec(name=_kind, category="Recurrent",
                    help=f"{_kind} over a batch-first sequence {SEQ}",
                    outputs=(Port("out"), Port("h_n")), params=_rnn_params(_kind),
                    build=_rnn_builder(_kind), emit=_rnn_emit(_kind), shape=_rnn_shape,
                    infer=lambda p, s: {"input_size": s[0][-1]}, count=_rnn_count(_kind),
                    flops=_rnn_flops(_kind), rank=(3,), layout=SEQ))


def _heads_check(p, shapes):
    if shapes[0][-1] % p["num_heads"]:
        raise ShapeError(f"has num_heads={p['num_heads']}, which must divide the input's "
                         f"{shapes[0][-1]} features")
    return shapes[0]


def _attention_count(e: int, bias: bool = True) -> int:
    return 4 * e * e + (4 * e if bias else 0)


def _attention_flops(e: int, length: int) -> int:
    return 2 * length * 4 * e * e + 4 * length * length * e


def _mha_emit(g, args, p, shapes, target):
    x = args[0]
    result = g.call_module(target, (x, x, x), {"need_weights": False})
    return {"out": g.call_function(operator.getitem, (result, 0))}


register(OpSpec(
    name="MultiheadAttention", category="Attention",
    help="Multi-head self-attention over a batch-first sequence (query = key = value)",
    params=(Int("num_heads", 4, "Attention heads (must divide the features)", min=1, max=1024),
            Float("dropout", 0.0, "Dropout on attention weights", min=0, max=1),
            Bool("bias", True, "Learn projection biases"),
            Inferred("embed_dim", "Features (the input's last dimension)")),
    build=lambda p, s: nn.MultiheadAttention(s[0][-1], p["num_heads"], dropout=p["dropout"],
                                             bias=p["bias"], batch_first=True),
    emit=_mha_emit, shape=_heads_check, infer=lambda p, s: {"embed_dim": s[0][-1]},
    count=lambda p, s: _attention_count(s[0][-1], p["bias"]),
    flops=lambda p, s, o: _attention_flops(s[0][-1], s[0][1]), rank=(3,), layout=SEQ))


def _layer_params() -> tuple:
    return (Int("nhead", 4, "Attention heads (must divide d_model)", min=1, max=1024),
            Int("dim_feedforward", 256, "Width of the feed-forward part", min=0),
            Float("dropout", 0.1, "Dropout", min=0, max=1),
            Choice("activation", "relu", ["relu", "gelu"], "Feed-forward activation"),
            Bool("norm_first", False, "LayerNorm before attention (pre-norm)"),
            Inferred("d_model", "Features (the input's last dimension)"))


def _layer_count(p, s, attentions: int, norms: int) -> int:
    e, f = s[0][-1], p["dim_feedforward"]
    return attentions * _attention_count(e) + 2 * e * f + f + e + norms * 2 * e


def _layer_flops(p, s, attentions: int) -> int:
    e, length = s[0][-1], s[0][1]
    return attentions * _attention_flops(e, length) + 4 * length * e * p["dim_feedforward"]


def _layer_builder(cls):
    def build(p, shapes):
        return cls(shapes[0][-1], p["nhead"], dim_feedforward=p["dim_feedforward"],
                   dropout=p["dropout"], activation=p["activation"], batch_first=True,
                   norm_first=p["norm_first"])
    return build


def _decoder_shape(p, shapes):
    tgt, memory = shapes
    if memory[-1] != tgt[-1] or len(memory) != 3:
        raise ShapeError("needs memory of shape (N, S, d_model) with the same d_model as 'in'")
    return _layer_shape(p, shapes)


def _layer_shape(p, shapes):
    if shapes[0][-1] % p["nhead"]:
        raise ShapeError(f"has nhead={p['nhead']}, which must divide the input's "
                         f"{shapes[0][-1]} features")
    return shapes[0]


register(OpSpec(
    name="TransformerEncoderLayer", category="Attention",
    help="Self-attention + feed-forward block (batch-first)", params=_layer_params(),
    build=_layer_builder(nn.TransformerEncoderLayer), shape=_layer_shape,
    infer=lambda p, s: {"d_model": s[0][-1]}, count=lambda p, s: _layer_count(p, s, 1, 2),
    flops=lambda p, s, o: _layer_flops(p, s, 1), rank=(3,), layout=SEQ))
register(OpSpec(
    name="TransformerDecoderLayer", category="Attention",
    help="Self-attention, attention over 'memory', feed-forward (batch-first)",
    inputs=(Port("in"), Port("memory")), params=_layer_params(),
    build=_layer_builder(nn.TransformerDecoderLayer), shape=_decoder_shape,
    infer=lambda p, s: {"d_model": s[0][-1]}, count=lambda p, s: _layer_count(p, s, 2, 3),
    flops=lambda p, s, o: _layer_flops(p, s, 2), rank=(3,), layout=SEQ))

