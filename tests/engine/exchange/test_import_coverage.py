"""What #14 asked the importer to take: a model's own tensors (Parameter nodes), sizes read
from tensors, subclasses of torch.nn layers, optional forward arguments, auxiliary heads
that forward never calls; and what it still refuses says why."""
from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from workers.engine import (GraphError, compile_graph, export_python, import_module,
                            state_dict_for_graph, validate_graph)

from .test_import import round_trip


class TinyViT(nn.Module):
    """The parts of torchvision's ViT that need more than layers: a class token expanded
    over the batch, a position embedding, sizes read off the input, x[:, 0]."""

    def __init__(self, dim=8):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 4, stride=4)
        self.class_token = nn.Parameter(torch.randn(1, 1, dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, 5, dim))
        self.register_buffer("scale", torch.full((dim,), 0.5))
        self.head = nn.Linear(dim, 3)

    def forward(self, x, mask=None):
        n, c, h, w = x.shape
        torch._assert(h == 8, "wrong height")
        x = self.patch(x).reshape(n, -1, (h // 4) * (w // 4)).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        x = (x + self.pos_embedding) * self.scale
        if mask is not None:  # traced at its default: this branch is not taken
            x = x.masked_fill(mask, 0.0)
        torch._assert(x.ndim == 3, "a sequence")
        rest = x[:, 1:, ::2]
        return self.head(x[:, 0]), rest.reshape(n, rest.size(2) // 4, -1)


def test_a_models_own_tensors_become_parameter_nodes_and_round_trip():
    torch.manual_seed(0)
    doc, diff = round_trip(TinyViT(), torch.randn(2, 3, 8, 8))
    assert diff <= 1e-6
    by_id = {n["id"]: n for n in doc["nodes"]}
    assert by_id["class_token"]["op"] == "Parameter"
    assert by_id["class_token"]["params"]["shape"] == [1, 1, 8]
    assert by_id["scale"]["params"]["trainable"] is False  # a buffer stays a buffer
    ops = [n["op"] for n in doc["nodes"]]
    assert {"BatchExpand", "Select", "Slice"} <= set(ops)
    assert [n["id"] for n in doc["nodes"] if n["op"] == "Input"] == ["x"]  # mask: its default
    report = validate_graph(doc)
    assert report["totals"]["params"] == sum(p.numel() for p in TinyViT().parameters())
    assert report["nodes"]["class_token"]["outputs"]["out"] == [1, 1, 8]  # no batch dim


def test_a_graph_with_a_parameter_exports_to_python_that_loads_its_state():
    torch.manual_seed(0)
    doc = import_module(TinyViT(), torch.randn(2, 3, 8, 8))
    namespace: dict = {}
    exec(compile(export_python(doc), "model.py", "exec"), namespace)  # noqa: S102 - our own
    compiled = compile_graph(doc, seed=0)
    exported = namespace["TinyViT"]()
    exported.load_state_dict(compiled.state_dict(), strict=True)
    x = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(exported(x), compiled(x))


class SubConv(nn.Conv2d):
    pass


class LayerNorm2d(nn.LayerNorm):
    """ConvNeXt's: a subclass with its own forward, traced through to F.layer_norm."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


def test_subclasses_of_layers_map_to_the_parents_op_or_are_traced_through():
    torch.manual_seed(0)
    model = nn.Sequential(SubConv(3, 4, 3), LayerNorm2d(4), nn.ReLU())
    doc, diff = round_trip(model, torch.randn(2, 3, 6, 6))
    assert diff <= 1e-5
    assert [n["op"] for n in doc["nodes"]][:2] == ["Input", "Conv2d"]
    assert "LayerNorm" in [n["op"] for n in doc["nodes"]]


def test_auxiliary_heads_forward_never_calls_are_dropped_with_a_note():
    model = torchvision.models.googlenet(weights=None, init_weights=False)
    doc, diff = round_trip(model, torch.randn(2, 3, 64, 64))
    assert diff <= 1e-5
    assert doc["metadata"]["import"]["dropped"] == ["aux1", "aux2"]
    assert "Left out, as forward never calls them: aux1 (InceptionAux)" in doc["description"]


def test_a_model_fx_cannot_trace_is_refused_saying_why():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(GraphError) as info:
        import_module(Branchy(), torch.randn(2, 3))
    message = info.value.errors[0]["message"]
    assert message.startswith("torch.fx cannot trace Branchy:")
    assert "control flow that depends on tensor values" in message


class Gather(nn.Module):
    """A table read by an index, as relative-position biases are: saved or not."""

    def __init__(self, persistent: bool):
        super().__init__()
        self.table = nn.Parameter(torch.randn(5, 3))
        self.register_buffer("index", torch.tensor([[0, 3], [4, 4]]), persistent=persistent)

    def forward(self, x):
        return x + self.table[self.index]


@pytest.mark.parametrize("persistent", [True, False])
def test_indexing_a_models_tensor_by_its_index_buffer_round_trips(persistent):
    original = Gather(persistent).eval()
    x = torch.randn(2, 2, 2, 3)
    doc = import_module(original, x)
    index = next(n for n in doc["nodes"] if n["op"] == "Parameter" and
                 n["params"].get("dtype") == "int64")
    # A buffer the state_dict leaves out has its values in the graph.
    assert ("values" in index["params"]) is not persistent
    assert any(n["op"] == "Index" for n in doc["nodes"])
    compiled = compile_graph(doc)
    compiled.load_state_dict(state_dict_for_graph(doc, original.state_dict()), strict=True)
    assert torch.equal(compiled(x), original(x))


def test_indexing_by_a_tensor_among_ints_is_refused_with_the_node_named():
    class Mixed(Gather):
        def forward(self, x):
            return x[:, self.index, 0]

    with pytest.raises(GraphError) as info:
        import_module(Mixed(True), torch.randn(2, 5, 3))
    assert "only one tensor among plain slices maps" in info.value.errors[0]["message"]


class BatchNormAct(nn.BatchNorm2d):
    """timm's BatchNormAct2d: a BatchNorm2d subclass whose forward calls F.batch_norm with
    its own tensors, then an activation."""

    def __init__(self, channels):
        super().__init__(channels)
        self.act = nn.SiLU()

    def forward(self, x):
        x = nn.functional.batch_norm(x, self.running_mean, self.running_var, self.weight,
                                     self.bias, self.training, self.momentum, self.eps)
        return self.act(x)


class Head(nn.Linear):
    def forward(self, x):
        return nn.functional.linear(nn.functional.dropout(x, 0.2, self.training), self.weight,
                                    self.bias)


def test_norm_and_linear_calls_with_their_modules_tensors_become_those_layers():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), BatchNormAct(4), nn.Flatten(), Head(64, 5))
    model[1].running_mean.uniform_(-1, 1)
    doc, diff = round_trip(model, torch.randn(2, 3, 6, 6))
    assert diff <= 1e-5
    ops = [n["op"] for n in doc["nodes"] if n["op"] not in ("Input", "Output")]
    assert ops == ["Conv2d", "BatchNorm2d", "SiLU", "Flatten", "Dropout", "Linear"]
    assert doc["metadata"]["import"]["modules"]["batch_norm"] == "1"


def test_a_norm_call_on_tensors_of_no_single_module_keeps_them_as_parameters():
    class Borrowed(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(4))
            self.shift = nn.Parameter(torch.zeros(4))

        def forward(self, x):
            return nn.functional.layer_norm(x, (4,), self.scale, self.shift)

    torch.manual_seed(0)
    doc, diff = round_trip(Borrowed(), torch.randn(2, 4))  # scale and shift as Parameters
    assert diff <= 1e-6
    assert [n["op"] for n in doc["nodes"]].count("Parameter") == 2
