"""The compiler, the report, the catalogue, the schema file and the diff."""
from __future__ import annotations

import json

import jsonschema
import pytest
import torch

from workers.engine import (catalogue, compile_graph, diff_graphs, list_templates,
                            load_template, validate_graph)
from workers.engine.registry import OpSpec, register
from workers.engine.schema.generate import SCHEMA_FILE, json_schema

from .helpers import chain

torch.set_num_threads(1)
CNN = chain(("conv1", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
            ("relu1", "ReLU", {}), ("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 3}))


def test_the_committed_json_schema_is_generated_from_the_models():
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema(), \
        "run: .venv/bin/python -m workers.engine.schema.generate"


def test_templates_validate_against_the_json_schema_and_garbage_does_not():
    schema = json.loads(SCHEMA_FILE.read_text())
    for entry in list_templates():
        jsonschema.validate(load_template(entry["name"]), schema)
    bad = dict(CNN, nodes=[{"id": "1x", "op": "ReLU"}])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_the_same_seed_gives_the_same_weights():
    a, b = compile_graph(CNN, seed=7), compile_graph(CNN, seed=7)
    c = compile_graph(CNN, seed=8)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.fc.weight, c.fc.weight)


def test_the_report_has_shapes_params_flops_and_memory():
    report = validate_graph(CNN)
    conv = report["nodes"]["conv1"]
    assert conv["outputs"]["out"] == [None, 4, 8, 8]
    assert conv["params"] == 4 * 9 + 4 and conv["flops"] == 2 * 9 * 4 * 64
    assert conv["memory"] == 4 * 64 * 4 and conv["inferred"] == {"in_channels": 1}
    assert report["nodes"]["fc"]["inferred"] == {"in_features": 256}
    assert report["edges"][0] == {"source": "x", "source_port": "out", "target": "conv1",
                                  "target_port": "in", "shape": [None, 1, 8, 8],
                                  "dtype": "float32"}
    model = compile_graph(CNN)
    assert report["totals"]["params"] == sum(p.numel() for p in model.parameters())


def test_generated_code_reads_like_pytorch():
    code = compile_graph(load_template("unet_small")).code
    assert "enc1_conv1 = self.enc1.conv1(x)" in code
    assert "cat2 = torch.cat([up2, enc2_relu2], dim = 1)" in code
    assert "eval" not in code and "exec" not in code


def test_several_outputs_come_back_as_a_dict_in_node_order():
    doc = chain(("split", "Chunk", {"chunks": 2, "dim": 1}), shape=(4, 3))
    doc["edges"][-1]["source_port"] = "out0"
    doc["nodes"].append({"id": "second", "op": "Output"})
    doc["edges"].append({"source": "split", "source_port": "out1", "target": "second"})
    out = compile_graph(doc)(torch.arange(24.0).reshape(1, 4, 6)[:, :, :3])
    assert list(out) == ["y", "second"] and out["second"].shape == (1, 2, 3)


def test_catalogue_follows_the_contract():
    entries = {e["op"]: e for e in catalogue()}
    conv = entries["Conv2d"]
    assert conv["category"] == "Convolution" and conv["inputs"] == [{"name": "in", "variadic": False}]
    out_channels = next(p for p in conv["params"] if p["name"] == "out_channels")
    assert out_channels["type"] == "int" and out_channels["min"] == 1 and not out_channels["inferred"]
    assert next(p for p in conv["params"] if p["name"] == "in_channels")["inferred"]
    assert entries["Add"]["inputs"] == [{"name": "in", "variadic": True}]
    types = {p["type"] for e in entries.values() for p in e["params"]}
    assert types <= {"int", "float", "bool", "str", "choice", "ints", "shape", "path", "values"}
    json.dumps(catalogue())


def test_the_registry_refuses_a_second_op_of_the_same_name():
    with pytest.raises(ValueError, match="already registered"):
        register(OpSpec(name="Conv2d", category="Convolution", help="again"))


def test_backbone_loads_a_local_weights_file_and_freezes(tmp_path):
    doc = chain(("net", "ResNet18", {"num_classes": 4, "freeze": True}), shape=(3, 32, 32))
    first = compile_graph(doc, seed=1)
    path = tmp_path / "weights.pt"
    torch.save(first.net.state_dict(), path)
    doc["nodes"][1]["params"]["weights_file"] = str(path)
    second = compile_graph(doc, seed=2)
    assert torch.equal(first.net.conv1.weight, second.net.conv1.weight)
    assert not second.net.conv1.weight.requires_grad and second.net.fc.weight.requires_grad
    doc["nodes"][1]["params"]["weights_file"] = str(tmp_path / "missing.pt")
    assert "cannot find weights_file" in validate_graph(doc)["errors"][0]["message"]


def test_diff_reports_nodes_edges_params_and_variables():
    a = load_template("mnist_cnn")
    b = json.loads(json.dumps(a))
    b["variables"]["classes"] = 5
    b["nodes"][1]["params"]["out_channels"] = 16
    b["nodes"] = [n for n in b["nodes"] if n["id"] != "dropout"]
    b["edges"] = [e for e in b["edges"] if "dropout" not in (e["source"], e["target"])]
    b["edges"].append({"source": "relu3", "source_port": "out", "target": "fc2",
                       "target_port": "in"})
    d = diff_graphs(a, b)
    assert d["nodes_removed"] == [{"id": "dropout", "op": "Dropout"}]
    assert d["nodes_changed"] == [{"id": "conv1", "op": "Conv2d",
                                   "params": {"out_channels": [32, 16]}}]
    assert d["variables_changed"] == {"classes": [10, 5]}
    assert len(d["edges_removed"]) == 2 and len(d["edges_added"]) == 1
    assert diff_graphs(a, a)["nodes_changed"] == [] and diff_graphs({}, None)["nodes_added"] == []


def test_blocks_with_two_ports_nest_and_repeat_with_readable_names():
    gate = {"params": {"width": {"type": "int", "default": 4, "min": 1}},
            "nodes": [{"id": "a", "op": "Input"}, {"id": "b", "op": "Input"},
                      {"id": "proj", "op": "Linear", "params": {"out_features": "=width"}},
                      {"id": "mix", "op": "Multiply"}, {"id": "o", "op": "Output"}],
            "edges": [{"source": "a", "target": "proj"},
                      {"source": "proj", "target": "mix", "target_port": "in0"},
                      {"source": "b", "target": "mix", "target_port": "in1"},
                      {"source": "mix", "target": "o"}]}
    stack = {"params": {"width": {"type": "int", "default": 4}},
             "nodes": [{"id": "x", "op": "Input"},
                       {"id": "unit", "op": "block:Unit", "params": {"width": "=width"},
                        "repeat": 2},
                       {"id": "y", "op": "Output"}],
             "edges": [{"source": "x", "target": "unit"}, {"source": "unit", "target": "y"}]}
    unit = {"params": {"width": {"type": "int", "default": 4}},
            "nodes": [{"id": "x", "op": "Input"},
                      {"id": "gate", "op": "block:Gate", "params": {"width": "=width"}},
                      {"id": "y", "op": "Output"}],
            "edges": [{"source": "x", "target": "gate", "target_port": "a"},
                      {"source": "x", "target": "gate", "target_port": "b"},
                      {"source": "gate", "target": "y"}]}
    doc = chain(("body", "block:Stack", {"width": "=w"}), shape=(6,), variables={"w": 6},
                blocks={"Gate": gate, "Unit": unit, "Stack": stack})
    report = validate_graph(doc)
    assert report["ok"], report["errors"]
    assert report["nodes"]["body"]["params"] == 2 * (6 * 6 + 6)
    model = compile_graph(doc, seed=0)
    assert list(model.state_dict()) == ["body.unit.0.gate.proj.weight",
                                        "body.unit.0.gate.proj.bias",
                                        "body.unit.1.gate.proj.weight",
                                        "body.unit.1.gate.proj.bias"]
    x = torch.randn(3, 6)
    copies = model.body.unit  # repeat copies are submodules "0", "1" (as in nn.Sequential)
    first = copies.get_submodule("0").gate.proj(x) * x
    expected = copies.get_submodule("1").gate.proj(first) * first
    assert torch.allclose(model(x), expected)
