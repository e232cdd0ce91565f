"""Every template compiles and trains one step; ResNet-18 matches torchvision's size."""
from __future__ import annotations

import pytest
import torch
from torchvision.models import resnet18

from workers.engine import compile_graph, list_templates, load_template, validate_graph

torch.set_num_threads(1)
NAMES = [t["name"] for t in list_templates()]
# Smaller inputs where the template's own would make the step slow on a CPU.
SMALL_INPUT = {"resnet18": [3, 64, 64]}


def test_the_issue_templates_are_all_there():
    assert set(NAMES) >= {"mlp", "lenet5", "mnist_cnn", "digits_cnn", "resnet18",
                          "lstm_classifier", "transformer_classifier", "conv_autoencoder",
                          "unet_small", "dcgan_generator", "dcgan_discriminator"}
    for entry in list_templates():
        assert entry["title"] and entry["description"] and entry["tags"]
    assert load_template("digits_cnn")["nodes"][0]["params"]["shape"] == [1, 8, 8]


def test_load_template_refuses_names_that_are_not_templates():
    for name in ("../schema/netweave.graph.v1", "nope", "", None):
        with pytest.raises(KeyError):
            load_template(name)


def _sample(doc: dict) -> torch.Tensor:
    spec = doc["nodes"][0]["params"]
    if spec.get("dtype") == "int64":
        return torch.randint(0, 100, (2, *spec["shape"]))
    return torch.randn(2, *spec["shape"])


@pytest.mark.parametrize("name", NAMES)
def test_template_compiles_and_trains_one_step(name):
    doc = load_template(name)
    if name in SMALL_INPUT:
        doc["nodes"][0]["params"]["shape"] = SMALL_INPUT[name]
    report = validate_graph(doc)
    assert report["ok"], report["errors"]
    model = compile_graph(doc, seed=0).train()
    assert sum(p.numel() for p in model.parameters()) == report["totals"]["params"]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = _sample(doc)
    before = [p.detach().clone() for p in model.parameters()]
    loss = model(x).float().pow(2).mean()
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_resnet18_template_has_torchvision_parameter_count():
    report = validate_graph(load_template("resnet18"))
    assert report["totals"]["params"] == 11_689_512
    with torch.device("meta"):
        reference = resnet18()
    assert sum(p.numel() for p in reference.parameters()) == 11_689_512
    model = compile_graph(load_template("resnet18"))
    shapes = sorted(tuple(p.shape) for p in model.parameters())
    assert shapes == sorted(tuple(p.shape) for p in reference.parameters())
    assert "layer1.0.conv1.weight" in model.state_dict()
    assert "layer2.rest.0.bn2.running_var" in model.state_dict()


def test_a_graph_variable_reshapes_the_family():
    doc = load_template("resnet18")
    doc["variables"]["depth"] = 3
    doc["variables"]["classes"] = 10
    report = validate_graph(doc)
    assert report["ok"], report["errors"]
    assert report["nodes"]["fc"]["outputs"]["out"] == [None, 10]
    assert report["totals"]["params"] > 11_689_512
