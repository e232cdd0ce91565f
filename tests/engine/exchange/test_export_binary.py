"""TorchScript and ONNX exports compute what the compiled module computes; ONNX is checked
by onnxruntime, with a batch size other than the one it was exported with."""
from __future__ import annotations

import io

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from tests.engine.graph.test_ops import OPS, one_node_graph, sample_case, sample_inputs
from workers.engine import (GraphError, compile_graph, export_onnx, export_torchscript,
                            load_template)

BACKBONES = {"ResNet18", "ResNet34", "ResNet50", "MobileNetV3Small", "EfficientNetB0"}
CASES = ["mnist_cnn", "resnet18", "lstm_classifier", "transformer_classifier"]


def inputs_for(doc: dict, batch: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    out = []
    for node in doc["nodes"]:
        if node["op"] == "Input":
            shape = [batch, *node["params"]["shape"]]
            out.append(torch.randint(0, 50, shape, generator=gen)
                       if node["params"].get("dtype") == "int64"
                       else torch.randn(shape, generator=gen))
    return out


def small(name: str) -> dict:
    doc = load_template(name)
    if name == "resnet18":  # the same graph on 64x64 images keeps the test quick
        doc["nodes"][0]["params"]["shape"] = [3, 64, 64]
    return doc


def reference(doc: dict, inputs) -> torch.Tensor:
    # compile_graph's default seed and the exporters' agree: the same weights.
    with torch.no_grad():
        return compile_graph(doc, seed=0).eval()(*inputs)


@pytest.mark.parametrize("name", CASES)
def test_onnx_matches_the_compiled_module_in_onnxruntime(name):
    doc = small(name)
    content = export_onnx(doc)
    model = onnx.load_from_string(content)
    onnx.checker.check_model(model)
    assert model.opset_import[0].version == 18
    session = onnxruntime.InferenceSession(content, providers=["CPUExecutionProvider"])
    inputs = inputs_for(doc, batch=3)  # exported with a batch of 2: the batch axis is dynamic
    feed = {arg.name: x.numpy() for arg, x in zip(session.get_inputs(), inputs)}
    (got,) = session.run(None, feed)
    np.testing.assert_allclose(got, reference(doc, inputs).numpy(), atol=1e-4, rtol=0)
    assert [arg.name for arg in session.get_inputs()] == ["x"]


@pytest.mark.parametrize("name", ["mnist_cnn", "lstm_classifier"])
def test_torchscript_loads_and_matches(name):
    doc = small(name)
    loaded = torch.jit.load(io.BytesIO(export_torchscript(doc)))
    inputs = inputs_for(doc, batch=3)
    with torch.no_grad():
        assert torch.allclose(loaded(*inputs), reference(doc, inputs), atol=1e-6)


def test_several_outputs_keep_their_names_in_onnx():
    doc = {"schema": "netweave.graph/1", "name": "two", "nodes": [
        {"id": "x", "op": "Input", "params": {"shape": [6]}},
        {"id": "fc", "op": "Linear", "params": {"out_features": 4}},
        {"id": "logits", "op": "Output"}, {"id": "features", "op": "Output"}],
        "edges": [{"source": "x", "target": "fc"}, {"source": "fc", "target": "logits"},
                  {"source": "x", "target": "features"}]}
    session = onnxruntime.InferenceSession(export_onnx(doc),
                                           providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["logits", "features"]


def test_a_broken_graph_is_refused_before_export():
    doc = small("mnist_cnn")
    doc["edges"] = doc["edges"][1:]
    with pytest.raises(GraphError):
        export_onnx(doc)


@pytest.mark.parametrize("op", [op for op in OPS if op not in BACKBONES])
def test_every_op_exports_to_onnx_and_matches(op):
    spec, shapes, params = sample_case(op)
    doc = one_node_graph(op, spec, shapes, params)
    inputs = [x.detach() for x in sample_inputs(spec, shapes)]
    want = reference(doc, inputs)
    want = list(want.values()) if isinstance(want, dict) else [want]
    session = onnxruntime.InferenceSession(export_onnx(doc),
                                           providers=["CPUExecutionProvider"])
    got = session.run(None, {a.name: x.numpy() for a, x in zip(session.get_inputs(), inputs)})
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w.detach().numpy(), atol=1e-4, rtol=0)
