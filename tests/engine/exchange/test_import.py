"""import_module: torchvision models and hand-written modules round-trip through a graph
document (import -> compile -> load the original weights, strict -> same outputs), and
what has no registry op is refused with the module path and op named."""
from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from tests.engine.graph.test_ops import OPS, one_node_graph, sample_case, sample_inputs
from workers.engine import (GraphError, compile_graph, import_module, state_dict_for_graph,
                            validate_graph)


def round_trip(module: nn.Module, *inputs) -> tuple[dict, float]:
    """The imported document and the largest difference from the original's outputs."""
    module.eval()
    doc = json.loads(json.dumps(import_module(module, inputs)))  # plain JSON, as saved
    compiled = compile_graph(doc).eval()
    compiled.load_state_dict(state_dict_for_graph(doc, module.state_dict()), strict=True)
    with torch.no_grad():
        want, got = module(*inputs), compiled(*inputs)
    want = list(want.values()) if isinstance(want, dict) else \
        want if isinstance(want, (tuple, list)) else [want]
    got = list(got.values()) if isinstance(got, dict) else [got]
    return doc, max(float((w - g).abs().max()) for w, g in zip(want, got, strict=True))


@pytest.mark.parametrize("factory", [torchvision.models.resnet18,
                                     torchvision.models.mobilenet_v2,
                                     torchvision.models.vgg11])
def test_torchvision_models_round_trip(factory):
    torch.manual_seed(0)
    doc, diff = round_trip(factory(weights=None), torch.randn(2, 3, 64, 64))
    assert diff <= 1e-5
    assert doc["nodes"][0] == {"id": "x", "op": "Input",
                               "params": {"shape": [3, 64, 64], "dtype": "float32"},
                               "position": {"x": 0.0, "y": 0}}


def test_resnet_nodes_are_named_after_the_modules_and_laid_out_by_depth():
    doc = import_module(torchvision.models.resnet18(weights=None), torch.randn(1, 3, 64, 64),
                        blocks=False)
    by_id = {n["id"]: n for n in doc["nodes"]}
    conv = by_id["layer1_0_conv1"]
    assert conv["op"] == "Conv2d"
    # As a person would draw it: one size for square kernels, defaults left out.
    assert conv["params"] == {"out_channels": 64, "padding": 1, "bias": False}
    assert by_id["conv1"]["params"] == {"out_channels": 64, "kernel_size": 7, "stride": 2,
                                        "padding": 3, "bias": False}
    assert doc["metadata"]["import"]["modules"]["layer1_0_conv1"] == "layer1.0.conv1"
    assert by_id["add"]["op"] == "Add"
    # A residual block's shortcut runs beside the main path, one row per depth.
    assert by_id["layer2_0_downsample_0"]["position"]["y"] == \
        by_id["layer2_0_conv1"]["position"]["y"]
    assert by_id["layer2_0_downsample_0"]["position"]["x"] != \
        by_id["layer2_0_conv1"]["position"]["x"]
    assert by_id["fc"]["position"]["y"] > by_id["conv1"]["position"]["y"]


class Functional(nn.Module):
    """Calls and methods rather than layers, the way hand-written models read."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, padding="same")
        self.rnn = nn.GRU(8, 6, batch_first=True)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        a, b = torch.chunk(F.relu(self.conv(x)), 2, dim=1)
        y = torch.cat([torch.cat([a * b], dim=1), a - b], dim=1)  # one tensor: itself
        y = F.max_pool2d(y, 2).contiguous()
        y = y.view(y.size(0), 8, -1).transpose(1, 2)
        out, _ = self.rnn(F.gelu(y))
        return F.log_softmax(self.head(out[:, -1]), dim=-1), y.mean(dim=(1, 2))


def test_calls_and_methods_round_trip():
    torch.manual_seed(0)
    doc, diff = round_trip(Functional(), torch.randn(2, 4, 8, 8))
    assert diff <= 1e-5
    ops = {n["op"] for n in doc["nodes"]}
    assert {"Chunk", "Multiply", "Subtract", "Concat", "MaxPool2d", "Reshape", "Transpose",
            "GELU", "GRU", "LogSoftmax", "Mean"} <= ops
    gru = next(n for n in doc["nodes"] if n["op"] == "GRU")
    assert gru["params"]["mode"] == "last"  # out[:, -1]
    assert [n["id"] for n in doc["nodes"] if n["op"] == "Output"] == ["output_0", "output_1"]


SAME_AS = {"Chunk": "Split"}  # the compiler emits a Chunk as torch.split with its sizes


@pytest.mark.parametrize("op", [op for op in OPS if op not in ("EfficientNetB0",)])
def test_every_compiled_op_imports_back(op):
    """A compiled one-node graph is an fx GraphModule; importing it gives the op back."""
    spec, shapes, params = sample_case(op)
    compiled = compile_graph(one_node_graph(op, spec, shapes, params), seed=0)
    inputs = [x.detach() for x in sample_inputs(spec, shapes)]
    doc, diff = round_trip(compiled, *inputs)
    assert diff <= 1e-6
    if spec.category != "Backbone":  # torchvision models are traced into their layers
        ops = [n["op"] for n in doc["nodes"] if n["op"] not in ("Input", "Output", "Parameter")]
        assert ops == [SAME_AS.get(op, op)]


class WithSine(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Sequential(nn.Linear(4, 4), nn.Softmin(dim=1))

    def forward(self, x):
        return torch.sin(self.block(x))


def test_unmappable_ops_are_refused_with_module_and_op_named():
    with pytest.raises(GraphError) as info:
        import_module(WithSine(), torch.randn(2, 4))
    messages = [e["message"] for e in info.value.errors]
    assert len(messages) == 2, messages  # both named, though sin's input failed too
    assert "module 'block.1' (Softmin)" in messages[0]
    assert "torch.sin" in messages[1] and "no registry op" in messages[1]
    assert info.value.errors[1]["node"] == "sin"


def test_stochastic_depth_imports_as_its_own_op():
    doc = import_module(torchvision.models.efficientnet_b0(weights=None),
                        torch.randn(1, 3, 32, 32))
    depth = [n for n in doc["nodes"] if n["op"] == "StochasticDepth"]
    # One per residual block (the first block of a stage changes shape and has none).
    assert len(depth) == 9 and depth[0]["params"] == {"p": 0.025, "mode": "row"}


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(self.fc(x)) + x.view(2, 4)


def test_shared_weights_and_a_fixed_batch_are_refused():
    with pytest.raises(GraphError) as info:
        import_module(Tied(), torch.randn(2, 4))
    text = " ".join(e["message"] for e in info.value.errors)
    assert "called more than once and holds weights" in text
    assert "fixes the batch size" in text


def test_what_is_not_a_module_or_lacks_examples_is_refused():
    with pytest.raises(GraphError, match="takes an nn.Module, got builtin_function"):
        import_module(torch.relu, torch.randn(2, 3))
    with pytest.raises(GraphError, match="float32 or int64 example tensor"):
        import_module(nn.Sequential(nn.ReLU()), [torch.zeros(2, 3, dtype=torch.float64)])
    with pytest.raises(GraphError, match="has no example input"):
        import_module(nn.Sequential(nn.ReLU()), [])


def test_untraceable_control_flow_is_refused():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(GraphError) as info:
        import_module(Branchy(), torch.randn(2, 3))
    assert "torch.fx cannot trace Branchy" in info.value.errors[0]["message"]


def test_weights_of_a_module_forward_never_calls_are_reported():
    model = nn.Sequential(nn.Linear(3, 3))
    doc = import_module(model, torch.randn(2, 3))
    state = dict(model.state_dict(), **{"unused.weight": torch.zeros(1)})
    with pytest.raises(GraphError, match="'unused.weight' belongs to no imported node"):
        state_dict_for_graph(doc, state)


def test_an_imported_document_validates_with_shapes():
    model = torchvision.models.mobilenet_v2(weights=None)
    report = validate_graph(import_module(model, torch.randn(1, 3, 32, 32)))
    assert report["ok"]
    assert report["totals"]["params"] == sum(p.numel() for p in model.parameters())
    assert report["nodes"]["classifier_1"]["outputs"]["out"] == [None, 1000]
