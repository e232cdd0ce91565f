"""Every registered op builds, its shape rule equals a real forward pass, and it trains.

Each op is drawn as a one-node graph (one Input per input port, one Output per
output port), validated, compiled and run: the report's shapes must be the
shapes the compiled module really produces, and gradients must flow.
"""
from __future__ import annotations

import pytest
import torch

from workers.engine import compile_graph, list_ops, validate_graph
from workers.engine.graph.infer import meta_outputs
from workers.engine.registry import get_op

torch.set_num_threads(1)
BATCH = 2
SAMPLE_BY_RANK = {2: (8,), 3: (4, 8), 4: (4, 8, 8), 5: (4, 4, 6, 6)}
# Ops whose defaults or sample input need adjusting: (input shapes, params).
SPECIAL = {
    "Squeeze": ([(1, 6)], {}),
    "MatMul": ([(4, 6), (6, 3)], {}),
    "Split": ([(4, 6)], {"sizes": [1, 3]}),
    "GroupNorm": (None, {"num_groups": 2}),
    "TransformerDecoderLayer": ([(5, 8), (7, 8)], {}),
    "Embedding": ([(5,)], {"num_embeddings": 20, "embedding_dim": 6}),
    "Permute": ([(4, 6)], {"dims": [0, 2, 1]}),
    "Reshape": ([(4, 6)], {"shape": [3, -1]}),
    "PReLU": (None, {"num_parameters": 4}),
    "Upsample": ([(4, 5, 5)], {"mode": "bilinear"}),
    "ConstantPad2d": (None, {"padding": [1, 2, 0, 3], "value": 0.5}),
    "BatchExpand": ([(4, 6), (5,)], {}),  # in: a Parameter (1, 4, 6), see PARAMETER_INPUTS
    "Index": ([(4, 8), (3, 2)], {"dim": 2}),  # index: an int64 Parameter with its values
    "Select": ([(4, 6)], {"index": -1}),
    "Slice": ([(4, 6)], {"dim": 2, "start": 1, "step": 2}),
    "SwinAttention": ([(8, 8, 8)], {"num_heads": 2, "window_size": 4, "shift_size": 2}),
    "SwinAttentionV2": ([(8, 8, 8)], {"num_heads": 2, "window_size": 4, "shift_size": 2}),
    "PatchMerging": ([(4, 5, 8)], {}), "PatchMergingV2": ([(4, 4, 8)], {}),
}
# Inputs that are the model's own tensors (no batch dim): op -> {input index: params}.
PARAMETER_INPUTS = {"BatchExpand": {0: {"shape": [1, 4, 6]}},
                    "Index": {1: {"shape": [3, 2], "dtype": "int64", "trainable": False,
                                  "values": [0, 7, 3, -1, 2, 2]}}}
BACKBONE_INPUT = (3, 32, 32)
# A Parameter has no input and a graph needs one: its own tests use it with others.
OPS = [op for op in list_ops() if op not in ("Input", "Output", "Parameter")]


def sample_case(op: str):
    spec = get_op(op)
    shapes, params = SPECIAL.get(op, (None, {}))
    if shapes is None:
        if spec.category == "Backbone":
            shapes = [BACKBONE_INPUT]
        else:
            rank = spec.rank[0] if spec.rank else 4
            shapes = [SAMPLE_BY_RANK[rank]] * (2 if spec.inputs[0].variadic else len(spec.inputs))
    if spec.category == "Backbone":
        params = {"num_classes": 5}
    return spec, shapes, params


def one_node_graph(op: str, spec, shapes, params) -> dict:
    variadic = bool(spec.inputs) and spec.inputs[0].variadic
    ports = [f"in{i}" for i in range(len(shapes))] if variadic else [p.name for p in spec.inputs]
    dtype = "int64" if spec.input_dtype == "long" else "float32"
    tensors = PARAMETER_INPUTS.get(op, {})
    nodes = [{"id": f"x{i}", "op": "Parameter", "params": tensors[i]} if i in tensors
             else {"id": f"x{i}", "op": "Input", "params": {"shape": list(s), "dtype": dtype}}
             for i, s in enumerate(shapes)]
    nodes.append({"id": "node", "op": op, "params": params})
    edges = [{"source": f"x{i}", "target": "node", "target_port": port}
             for i, port in enumerate(ports)]
    outs = ["out0", "out1"] if spec.outputs[0].variadic else [p.name for p in spec.outputs]
    for port in outs:
        nodes.append({"id": f"y_{port}", "op": "Output"})
        edges.append({"source": "node", "source_port": port, "target": f"y_{port}"})
    return {"schema": "netweave.graph/1", "name": op, "nodes": nodes, "edges": edges}


def sample_inputs(spec, shapes) -> list[torch.Tensor]:
    tensors = PARAMETER_INPUTS.get(spec.name, {})
    shapes = [s for i, s in enumerate(shapes) if i not in tensors]
    if spec.input_dtype == "long":
        return [torch.randint(0, 20, (BATCH, *s)) for s in shapes]
    return [torch.randn(BATCH, *s, requires_grad=True) for s in shapes]


@pytest.mark.parametrize("op", OPS)
def test_op_shape_rule_matches_forward_and_backward_runs(op):
    spec, shapes, params = sample_case(op)
    doc = one_node_graph(op, spec, shapes, params)
    report = validate_graph(doc)
    assert report["ok"], report["errors"]
    module = compile_graph(doc, seed=0).train()
    inputs = sample_inputs(spec, shapes)
    result = module(*inputs)
    results = result if isinstance(result, dict) else {next(iter(report["nodes"]["node"]["outputs"])): result}
    predicted = report["nodes"]["node"]["outputs"]
    for port, tensor in zip(predicted, results.values()):
        expected = [BATCH if d is None else d for d in predicted[port]]
        assert list(tensor.shape) == expected, (port, tensor.shape, predicted[port])
    loss = sum(t.float().sum() for t in results.values())
    loss.backward()
    grads = [x.grad for x in inputs if x.requires_grad] + \
        [w.grad for w in module.parameters() if w.requires_grad]
    assert any(g is not None for g in grads)


@pytest.mark.parametrize("op", ["Conv2d", "MaxPool2d", "BatchNorm1d", "TransformerEncoderLayer",
                                "Upsample", "ConvTranspose1d"])
def test_meta_fallback_agrees_with_the_rule(op):
    spec, shapes, params = sample_case(op)
    report = validate_graph(one_node_graph(op, spec, shapes, params))
    p = {q.name: params.get(q.name, q.default) for q in spec.params}
    p.update(report["nodes"]["node"]["inferred"])
    p = {k: tuple(v) if isinstance(v, list) else v for k, v in p.items()}
    full = [(None, *s) for s in shapes]
    meta = meta_outputs(spec, p, full, ["float32"] * len(full))
    first = next(iter(report["nodes"]["node"]["outputs"].values()))
    assert list(next(iter(meta.values()))) == first


def test_registry_has_the_ops_the_issue_lists():
    ops = set(list_ops())
    assert len(ops) >= 70
    for name in ("Linear", "Conv3d", "ConvTranspose2d", "AdaptiveMaxPool2d", "InstanceNorm2d",
                 "Mish", "Softplus", "LSTM", "MultiheadAttention", "TransformerDecoderLayer",
                 "PixelShuffle", "ZeroPad2d", "Split", "Chunk", "ResNet50",
                 "MobileNetV3Small", "EfficientNetB0"):
        assert name in ops
