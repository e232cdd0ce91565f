"""Repeated submodules come in as uses of one block (``layer1.0``, ``layer1.1`` as two
``block:BasicBlock`` nodes) and still round-trip exactly: the original state_dict loads
strictly under the block uses' keys (``layer1_0.conv1.weight``)."""
from __future__ import annotations

import collections

import torch
import torchvision
from torch import nn

from tests.engine.exchange.test_import import round_trip
from workers.engine import compile_graph, import_module, state_dict_for_graph


def uses(doc: dict) -> dict[str, list[str]]:
    found = collections.defaultdict(list)
    for node in doc["nodes"]:
        if node["op"].startswith("block:"):
            found[node["op"][len("block:"):]].append(node["id"])
    return dict(found)


def test_resnet_stages_repeat_one_basic_block_and_load_the_original_weights():
    torch.manual_seed(0)
    doc, diff = round_trip(torchvision.models.resnet18(weights=None),
                           torch.randn(2, 3, 32, 32))
    assert diff <= 1e-5
    # layer1's two blocks are alike; each later stage's first block downsamples and
    # changes width, so it and its partner differ: they stay flat.
    assert uses(doc) == {"BasicBlock": ["layer1_0", "layer1_1"]}
    block = doc["blocks"]["BasicBlock"]
    assert [n["id"] for n in block["nodes"] if n["op"] not in ("Input", "Output")] == \
        ["conv1", "bn1", "relu", "conv2", "bn2", "add", "relu_2"]
    assert doc["metadata"]["import"]["modules"]["layer1_1.conv2"] == "layer1.1.conv2"
    assert "layer2_0_conv1" in {n["id"] for n in doc["nodes"]}


class Unit(nn.Module):
    def __init__(self, width: int, act: nn.Module):
        super().__init__()
        self.lin, self.act = nn.Linear(width, width), act

    def forward(self, x):
        return x + self.act(self.lin(x))


class Stack(nn.Module):
    """Three alike units, one with another activation, and a weightless module called at
    two unrelated places (which is no block)."""

    def __init__(self):
        super().__init__()
        self.units = nn.ModuleList([Unit(6, nn.ReLU()), Unit(6, nn.Tanh()), Unit(6, nn.ReLU()),
                                    Unit(6, nn.ReLU())])
        self.shared = nn.Sigmoid()

    def forward(self, x):
        x = self.shared(x)
        for unit in self.units:
            x = unit(x)
        return self.shared(x)  # the last unit's output is read once, the others' twice


def test_only_submodules_alike_in_code_and_config_share_a_block():
    torch.manual_seed(0)
    doc, diff = round_trip(Stack(), torch.randn(3, 6))
    assert diff <= 1e-6
    assert uses(doc) == {"Unit": ["units_0", "units_2", "units_3"]}
    ids = {n["id"] for n in doc["nodes"]}
    assert {"units_1_lin", "units_1_act", "shared", "shared_1"} <= ids


def test_the_flat_import_computes_the_same_as_the_one_with_blocks():
    torch.manual_seed(0)
    model, x = Stack().eval(), torch.randn(3, 6)
    outputs, keys = [], []
    for blocks in (True, False):
        doc = import_module(model, x, blocks=blocks)
        compiled = compile_graph(doc).eval()
        compiled.load_state_dict(state_dict_for_graph(doc, model.state_dict()), strict=True)
        outputs.append(compiled(x))
        keys.append(sorted(compiled.state_dict()))
    assert torch.equal(*outputs)
    assert keys[0] == ["units_0.lin.bias", "units_0.lin.weight", "units_1_lin.bias",
                       "units_1_lin.weight", "units_2.lin.bias", "units_2.lin.weight",
                       "units_3.lin.bias", "units_3.lin.weight"]
    assert keys[1] == sorted("_".join(k.split(".")[:-1]) + "." + k.split(".")[-1]
                             for k in model.state_dict())
