"""Random graphs over the layer catalogue, and plain PyTorch as their reference.

``random_graph(rng)`` draws a small DAG (one or two Inputs, a few ops from the
catalogue with random params in and around their ranges, one or two Outputs).
``reference(doc, inputs)`` runs the same document with torch.nn and torch
functions written out here, not with the engine: its modules, named by node id,
and the value of every (node, port), or the exception PyTorch raised.
"""
from __future__ import annotations

import functools
import math
import operator
import random

import torch
from torch import nn
from torchvision.models import swin_transformer
from torchvision.ops import StochasticDepth

from workers.engine import catalogue, validate_graph

SKIPPED_CATEGORIES = {"Backbone", "IO"}  # backbones have their own tests; they are slow
# Every op that reads a tensor (a Parameter reads none; its tests use it with others).
OPS = {o["op"]: o for o in catalogue() if o["category"] not in SKIPPED_CATEGORIES
       and o["inputs"]}
PARAMETER = next(o for o in catalogue() if o["op"] == "Parameter")
SMALL_INTS = (-3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 8)
FLOATS = (-1.0, 0.0, 0.05, 0.3, 0.5, 1.0, 1.5, 2.0)


class ValueDependent(Exception):
    """PyTorch failed for the values, not the shapes (an index out of an Embedding)."""


# -- the generator -------------------------------------------------------------------------

def _int(rng: random.Random, p: dict) -> int:
    lo = -8 if p["min"] is None else int(max(p["min"], -8))
    hi = 16 if p["max"] is None else int(min(p["max"], 16))
    if rng.random() < 0.05:  # just outside the range, now and then
        return rng.choice((lo - 1, hi + 1))
    pool = [v for v in SMALL_INTS if lo <= v <= hi]
    return rng.choice(pool) if pool and rng.random() < 0.8 else rng.randint(lo, hi)


def _value(rng: random.Random, p: dict):
    kind = p["type"]
    if kind == "int":
        return _int(rng, p)
    if kind == "float":
        inside = [v for v in FLOATS if (p["min"] is None or v >= p["min"]) and
                  (p["max"] is None or v <= p["max"])]
        return rng.choice(FLOATS if rng.random() < 0.05 or not inside else inside)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "choice":
        return rng.choice(p["choices"])
    if kind == "ints":
        return _int(rng, p) if rng.random() < 0.6 else \
            [_int(rng, p) for _ in range(rng.randint(1, 3))]
    if kind == "shape":
        return [_int(rng, p) for _ in range(rng.randint(1, 4))]
    raise AssertionError(kind)


def _params(rng: random.Random, spec: dict) -> dict:
    params = {}
    for p in spec["params"]:
        if p["inferred"] or p["name"] == "inplace" or rng.random() < 0.55:
            continue  # in-place is refused on shared inputs by design: left at its default
        params[p["name"]] = _value(rng, p)
    return params


def _input(rng: random.Random, node_id: str) -> dict:
    rank = rng.randint(1, 4)
    dtype = "int64" if rng.random() < 0.15 else "float32"
    return {"id": node_id, "op": "Input",
            "params": {"shape": [rng.randint(1, 6) for _ in range(rank)], "dtype": dtype}}


def _draw(rng: random.Random, node_id: str, values: list) -> tuple[dict, list, list]:
    """A random node reading recent values: (node, its edges, its output values)."""
    op = rng.choice(sorted(OPS))
    spec = OPS[op]
    ports = [p["name"] for p in spec["inputs"]]
    if spec["inputs"][0]["variadic"]:
        ports = [f"in{k}" for k in range(rng.randint(2, 3))]
    edges = []
    for port in ports:
        src = rng.choice(values[-3:]) if rng.random() < 0.8 else rng.choice(values)
        edges.append({"source": src[0], "source_port": src[1], "target": node_id,
                      "target_port": port})
    node = {"id": node_id, "op": op, "params": _params(rng, spec)}
    outs = [o["name"] for o in spec["outputs"]]
    if spec["outputs"][0]["variadic"]:
        count = len(node["params"].get("sizes", [1, 1])) if op == "Split" else \
            node["params"].get("chunks", 2)
        outs = [f"out{k}" for k in range(max(1, min(count, 3)))]
    return node, edges, [(node_id, o) for o in outs]


def _document(nodes: list, edges: list, values: list) -> dict:
    """The graph with an Output on every node that nothing reads."""
    nodes, edges = list(nodes), list(edges)
    used = {e["source"] for e in edges}
    ends = list({v[0]: v for v in reversed(values) if v[0] not in used}.values())
    for k, (src, port) in enumerate(ends):
        nodes.append({"id": f"y{k}", "op": "Output", "params": {}})
        edges.append({"source": src, "source_port": port, "target": f"y{k}",
                      "target_port": "in"})
    return {"schema": "netweave.graph/1", "name": "random", "nodes": nodes, "edges": edges}


def random_graph(rng: random.Random, max_ops: int = 6) -> dict:
    """Grown a node at a time: a node the engine accepts is kept and the graph grows on;
    a refused one ends the graph a quarter of the time (else another is drawn), so that
    both sides of the verdict are well covered. The verdict itself is the test's."""
    nodes = [_input(rng, "x0")]
    if rng.random() < 0.3:
        nodes.append(_input(rng, "x1"))
    if rng.random() < 0.25:  # a tensor of the model itself, shaped to meet x0
        shape = nodes[0]["params"]["shape"]
        nodes.append({"id": "p0", "op": "Parameter", "params": {
            "shape": rng.choice([[1, *shape], list(shape), list(shape[-1:])]),
            "init": "normal", "trainable": rng.random() < 0.8}})
    if rng.random() < 0.15:  # a fixed int64 index the graph holds (a relative-position index)
        shape = [rng.randint(1, 3) for _ in range(rng.randint(1, 2))]
        nodes.append({"id": "i0", "op": "Parameter", "params": {
            "shape": shape, "dtype": "int64", "trainable": False,
            "values": [rng.randint(-2, 5) for _ in range(math.prod(shape))]}})
    edges, values = [], [(n["id"], "out") for n in nodes]
    for i in range(rng.randint(1, max_ops)):
        for _ in range(8):
            node, new_edges, outs = _draw(rng, f"n{i}", values)
            doc = _document(nodes + [node], edges + new_edges, values + outs)
            ok = validate_graph(doc)["ok"]
            if ok or rng.random() < 0.25:
                nodes.append(node)
                edges += new_edges
                values += outs
                break
        if not ok:
            break
    return _document(nodes, edges, values)


# -- the reference ---------------------------------------------------------------------------

def _size(value):
    """A catalogue size param as torch takes it: one entry of a list is that size."""
    if isinstance(value, list):
        return value[0] if len(value) == 1 else tuple(value)
    return value


def _defaults(op: str, params: dict) -> dict:
    spec = PARAMETER if op == "Parameter" else OPS[op]
    out = {p["name"]: p["default"] for p in spec["params"] if not p["inferred"]}
    out.update(params)
    return out


def _module(op: str, p: dict, x: torch.Tensor) -> nn.Module:
    """The torch.nn layer the catalogue entry names, built from the input it meets."""
    p = {k: _size(v) for k, v in p.items()}
    if op in TORCHVISION:
        return TORCHVISION[op](p, x)
    cls = getattr(nn, op)
    if op.startswith(("Conv", "ConvTranspose")):
        return cls(x.shape[1], **p)
    if op.startswith(("BatchNorm", "InstanceNorm")):
        return cls(x.shape[1], **p)
    if op == "GroupNorm":
        return cls(p.pop("num_groups"), x.shape[1], **p)
    if op == "LayerNorm":
        k = p.pop("normalized_dims")
        if k >= x.dim():
            raise ValueError("LayerNorm over the batch")
        return cls(tuple(x.shape[-k:]), **p)
    if op == "Linear":
        return cls(x.shape[-1], **p)
    if op in ("RNN", "LSTM", "GRU"):
        p.pop("mode")
        return cls(x.shape[-1], batch_first=True, **p)
    if op == "MultiheadAttention":
        return cls(x.shape[-1], batch_first=True, **p)
    if op.startswith("Transformer"):
        return cls(x.shape[-1], batch_first=True, **p)
    if op == "Upsample":
        linear = p["mode"] in ("linear", "bilinear", "bicubic", "trilinear")
        return cls(scale_factor=p["scale_factor"], mode=p["mode"],
                   align_corners=p["align_corners"] if linear else None)
    if op == "Unflatten":
        return cls(p["dim"], tuple(p["sizes"]) if isinstance(p["sizes"], tuple)
                   else (p["sizes"],))
    if "Pad" in op:
        pad = p.pop("padding")
        return cls(pad if isinstance(pad, int) else tuple(pad), **p)
    return cls(**p)


def _call(op: str, module, p: dict, args: list) -> dict:
    x = args[0]
    if op in ("RNN", "LSTM", "GRU"):
        seq, state = module(x)
        state = state[0] if op == "LSTM" else state
        return {"out": seq[:, -1] if p["mode"] == "last" else seq, "h_n": state}
    if op == "MultiheadAttention":
        return {"out": module(x, x, x, need_weights=False)[0]}
    if op == "Embedding":
        try:
            return {"out": module(x)}
        except IndexError as exc:
            raise ValueDependent(str(exc)) from None
    return {"out": module(*args)}


def _dims(value):
    return tuple(value) if isinstance(value, list) else value


def _pair(value) -> list:
    return list(value) if isinstance(value, tuple) else [value, value]


def _swin_attention(cls: str):
    def build(p, x):
        return getattr(swin_transformer, cls)(
            x.shape[-1], _pair(p["window_size"]), _pair(p["shift_size"]), p["num_heads"],
            qkv_bias=p["qkv_bias"], proj_bias=p["proj_bias"],
            attention_dropout=p["attention_dropout"], dropout=p["dropout"])
    return build


TORCHVISION = {
    "StochasticDepth": lambda p, x: StochasticDepth(p["p"], p["mode"]),
    "SwinAttention": _swin_attention("ShiftedWindowAttention"),
    "SwinAttentionV2": _swin_attention("ShiftedWindowAttentionV2"),
    "PatchMerging": lambda p, x: swin_transformer.PatchMerging(x.shape[-1]),
    "PatchMergingV2": lambda p, x: swin_transformer.PatchMergingV2(x.shape[-1]),
}


def _slice(p, x):
    if not -x.dim() <= p["dim"] < x.dim():
        raise IndexError(f"dim {p['dim']} out of range")
    index = (slice(None),) * (p["dim"] % x.dim()) + (slice(p["start"], p["end"], p["step"]),)
    return x[index]


def _index(p, x, index):
    if not -x.dim() <= p["dim"] < x.dim():
        raise IndexError(f"dim {p['dim']} out of range")
    if index.dtype != torch.int64:
        raise IndexError("tensors used as indices must be long")
    if index.numel() and not (-x.shape[p["dim"]] <= index.min() and
                              index.max() < x.shape[p["dim"]]):
        raise ValueDependent("an index out of its dim")  # the values, not the shapes
    return x[(slice(None),) * (p["dim"] % x.dim()) + (index,)]


FUNCTIONS = {
    "Select": lambda p, a: a[0].select(p["dim"], p["index"]),
    "Slice": lambda p, a: _slice(p, a[0]),
    "BatchExpand": lambda p, a: a[0].expand(a[1].shape[0], *[-1] * (a[0].dim() - 1)),
    "Add": lambda p, a: functools.reduce(operator.add, a),
    "Multiply": lambda p, a: functools.reduce(operator.mul, a),
    "Subtract": lambda p, a: a[0] - a[1],
    "Divide": lambda p, a: a[0] / a[1],
    "MatMul": lambda p, a: a[0] @ a[1],
    "Concat": lambda p, a: torch.cat(a, dim=p["dim"]),
    "Reshape": lambda p, a: a[0].reshape(a[0].shape[0], *p["shape"]),
    "ScaledDotProductAttention": lambda p, a: torch.nn.functional.scaled_dot_product_attention(
        *a, scale=p["scale"], is_causal=p["is_causal"]),
    "Permute": lambda p, a: a[0].permute(*p["dims"]),
    "Transpose": lambda p, a: a[0].transpose(p["dim0"], p["dim1"]),
    "Squeeze": lambda p, a: a[0].squeeze(p["dim"]),
    "Unsqueeze": lambda p, a: a[0].unsqueeze(p["dim"]),
    "Mean": lambda p, a: torch.mean(a[0], dim=_dims(p["dims"]), keepdim=p["keepdim"]),
    "Sum": lambda p, a: torch.sum(a[0], dim=_dims(p["dims"]), keepdim=p["keepdim"]),
    "Normalize": lambda p, a: torch.nn.functional.normalize(a[0], p=p["p"], dim=p["dim"],
                                                            eps=p["eps"]),
    "ScaledDotProductAttentionBias": lambda p, a: torch.nn.functional.
    scaled_dot_product_attention(*a[:3], attn_mask=a[3], scale=p["scale"]),
    "Index": lambda p, a: _index(p, *a),
}
SPLITS = {"Split": lambda p, x: torch.split(x, p["sizes"], dim=p["dim"]),
          "Chunk": lambda p, x: torch.chunk(x, p["chunks"], dim=p["dim"])}


def _order(doc: dict) -> list[dict]:
    done, order, pending = set(), [], list(doc["nodes"])
    sources = {}
    for e in doc["edges"]:
        sources.setdefault(e["target"], {})[e["target_port"]] = (e["source"], e["source_port"])
    while pending:
        for node in pending:
            if all(s[0] in done for s in sources.get(node["id"], {}).values()):
                order.append(node)
                done.add(node["id"])
                pending.remove(node)
                break
    return order, sources


def _parameter(holder: nn.Module, nid: str, p: dict) -> torch.Tensor:
    if not hasattr(holder, nid):
        value = torch.randn(p["shape"]) * 0.02 if p["init"] == "normal" else \
            torch.full(p["shape"], 1.0 if p["init"] == "ones" else 0.0)
        if p["values"] is not None:  # fixed contents: not in the state_dict
            value = torch.tensor(p["values"], dtype=getattr(torch, p["dtype"])).reshape(
                p["shape"])
            holder.register_buffer(nid, value, persistent=False)
        elif p["trainable"]:
            holder.register_parameter(nid, nn.Parameter(value))
        else:
            holder.register_buffer(nid, value)
    return getattr(holder, nid)


def reference(doc: dict, inputs: dict, modules: nn.Module | None = None
              ) -> tuple[nn.Module, dict]:
    """(a module holding the layers and tensors by node id, every (node id, port) ->
    tensor); raises what PyTorch raises. ``modules`` from an earlier call are reused (to
    run again in eval mode)."""
    modules, values = nn.Module() if modules is None else modules, {}
    unbatched = set()  # the values computed from Parameters alone (Reshape reads them whole)
    order, sources = _order(doc)
    for node in order:
        op, nid = node["op"], node["id"]
        ports = sources.get(nid, {})
        missing = [s for s in ports.values() if s not in values]
        if missing:  # torch.chunk gave fewer pieces than the graph uses
            raise ValueError(f"{missing[0]} does not exist")
        args = [values[ports[k]] for k in sorted(ports, key=lambda k: (len(k), k))]
        if op == "Input":
            values[(nid, "out")] = inputs[nid]
            continue
        if op == "Output":
            continue
        if op == "Parameter":
            values[(nid, "out")] = _parameter(modules, nid, _defaults(op, node["params"]))
            unbatched.add((nid, "out"))
            continue
        p = _defaults(op, node["params"])
        if op.startswith("ScaledDotProductAttention"):
            args = [values[ports[k]] for k in ("q", "k", "v", "bias") if k in ports]
        if op == "Index":
            args = [values[ports["in"]], values[ports["index"]]]
        if op == "Reshape" and ports["in"] in unbatched:  # a Parameter is reshaped whole
            values[(nid, "out")] = args[0].reshape(p["shape"])
            unbatched.add((nid, "out"))
        elif op in FUNCTIONS:
            values[(nid, "out")] = FUNCTIONS[op](p, args)
            if ports and all(src in unbatched for src in ports.values()):
                unbatched.add((nid, "out"))
        elif op in SPLITS:
            for i, piece in enumerate(SPLITS[op](p, args[0])):
                values[(nid, f"out{i}")] = piece
        else:
            if op == "TransformerDecoderLayer":
                args = [values[ports["in"]], values[ports["memory"]]]
            if nid not in modules._modules:
                modules.add_module(nid, _module(op, p, args[0]))
            for port, value in _call(op, modules._modules[nid], p, args).items():
                values[(nid, port)] = value
    return modules, values
