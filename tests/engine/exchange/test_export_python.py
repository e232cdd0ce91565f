"""export_python writes a standalone module that loads the compiled weights (strict) and
computes the same outputs. Only these tests run the exported text: it is this test's own
output, written to a temporary file and imported from there."""
from __future__ import annotations

import ast
import importlib.util
import sys

import pytest
import torch

from tests.engine.graph.test_ops import OPS, one_node_graph, sample_case, sample_inputs
from workers.engine import GraphError, compile_graph, export_python, load_template
from workers.engine.graph.compiler import class_name

TEMPLATES = ["mnist_cnn", "resnet18", "lstm_classifier", "transformer_classifier",
             "unet_small"]


def load_exported(source: str, tmp_path, name: str):
    path = tmp_path / f"exported_{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"exported_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_same_model(doc: dict, inputs: list, tmp_path) -> str:
    source = export_python(doc)
    compiled = compile_graph(doc, seed=0).eval()
    exported_cls = getattr(load_exported(source, tmp_path, class_name(doc["name"])),
                           class_name(doc["name"]))
    exported = exported_cls().eval()
    exported.load_state_dict(compiled.state_dict(), strict=True)
    with torch.no_grad():
        want, got = compiled(*inputs), exported(*inputs)
    want = want if isinstance(want, dict) else {"out": want}
    got = got if isinstance(got, dict) else {"out": got}
    assert want.keys() == got.keys()
    for key in want:
        assert torch.equal(want[key], got[key]), key
    return source


def template_inputs(doc: dict) -> list:
    inputs = []
    for node in doc["nodes"]:
        if node["op"] == "Input":
            shape = [2, *node["params"]["shape"]]
            long = node["params"].get("dtype") == "int64"
            inputs.append(torch.randint(0, 50, shape) if long else torch.randn(shape))
    return inputs


@pytest.mark.parametrize("name", TEMPLATES)
def test_exported_template_loads_the_compiled_state_dict_and_matches(name, tmp_path):
    doc = load_template(name)
    source = assert_same_model(doc, template_inputs(doc), tmp_path)
    packages = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            packages |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            packages.add(node.module.split(".")[0])
    assert packages <= {"torch", "torchvision", "math"}, packages
    assert "workers" not in source


def test_forward_reads_like_hand_written_code():
    source = export_python(load_template("resnet18"))
    assert "= None" not in source.split("def forward")[1]  # fx's bookkeeping is gone
    assert 'self.layer1["0"].conv1(maxpool)' in source
    assert "self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)" in source


@pytest.mark.parametrize("op", [op for op in OPS if not op.startswith(("ResNet", "Mobile",
                                                                        "Efficient"))])
def test_every_op_exports_to_the_same_module(op, tmp_path):
    spec, shapes, params = sample_case(op)
    inputs = [x.detach() for x in sample_inputs(spec, shapes)]
    assert_same_model(one_node_graph(op, spec, shapes, params), inputs, tmp_path)


def test_a_backbone_exports_with_its_new_head_and_freeze(tmp_path):
    spec, shapes, _ = sample_case("ResNet18")
    doc = one_node_graph("ResNet18", spec, shapes, {"num_classes": 5, "freeze": True})
    source = assert_same_model(doc, [torch.randn(1, *shapes[0])], tmp_path)
    assert "torchvision.models.resnet18(weights=None)" in source
    assert "self.node.requires_grad_(False)" in source
    assert "self.node.fc = nn.Linear(512, 5)" in source


def test_a_broken_graph_is_refused_with_the_node_named():
    doc = load_template("mnist_cnn")
    doc["nodes"][1]["params"]["kernel_size"] = 0
    with pytest.raises(GraphError) as info:
        export_python(doc)
    assert info.value.errors[0]["node"] == doc["nodes"][1]["id"]


def teardown_module():
    for name in [m for m in sys.modules if m.startswith("exported_")]:
        del sys.modules[name]


def test_the_graph_name_cannot_inject_code_into_the_file():
    doc = load_template("mlp")
    doc["name"] = 'evil"""\nimport os\nos.environ["PWNED"] = "1"\n"""'
    tree = ast.parse(export_python(doc))
    kinds = [type(node).__name__ for node in tree.body]
    # docstring, import torch, from torch import nn, the class, the __main__ example
    assert kinds == ["Expr", "Import", "ImportFrom", "ClassDef", "If"]
    assert not any(isinstance(node, ast.Attribute) and node.attr == "environ"
                   for node in ast.walk(tree))
