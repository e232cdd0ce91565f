"""Structured pruning of the templates: the pruned model maps back to a graph document that
validates, compiles, loads the pruned weights and reproduces the pruned module exactly."""
from __future__ import annotations

import pytest
import torch

from workers.engine import compile_graph, load_template, validate_graph
from workers.engine.compress import PruneError, PruneTarget, graph_for_pruned, prune_structured
from workers.engine.exchange._compiled import compile_for_export
from workers.engine.measure import parameter_count


def compiled(name: str):
    c = compile_for_export(load_template(name), seed=0)
    return load_template(name), c.module, c.example_inputs(2)


@pytest.mark.parametrize("name", ["mlp", "lenet5", "digits_cnn", "resnet18", "unet_small"])
def test_pruned_template_maps_back_to_a_graph(name):
    doc, model, example = compiled(name)
    before = parameter_count(model)
    prune_structured(model, example, PruneTarget(ratio=0.5))
    new_doc, state = graph_for_pruned(doc, model, example)

    report = validate_graph(new_doc)
    assert report["ok"], report["errors"]
    assert report["totals"]["params"] == parameter_count(model) < before / 2
    rebuilt = compile_graph(new_doc, seed=1).eval()
    rebuilt.load_state_dict(state, strict=True)
    with torch.no_grad():
        assert torch.equal(rebuilt(*example), model.eval()(*example))
    if not doc["blocks"]:  # a flat graph keeps its ids, positions and expressions
        assert [n["id"] for n in new_doc["nodes"]] == [n["id"] for n in doc["nodes"]]
        assert [n["position"] for n in new_doc["nodes"]] == [n["position"] for n in doc["nodes"]]


def test_flat_graph_gets_smaller_widths_and_keeps_its_classes():
    doc, model, example = compiled("digits_cnn")
    prune_structured(model, example, PruneTarget(ratio=0.5))
    new_doc, _ = graph_for_pruned(doc, model, example)
    params = {n["id"]: n["params"] for n in new_doc["nodes"]}
    assert params["conv1"]["out_channels"] == 16
    assert params["conv2"]["out_channels"] == 32
    assert params["fc1"]["out_features"] == 64
    assert params["fc2"]["out_features"] == "=classes"  # the output layer keeps its width


def test_residual_adds_stay_consistent_in_resnet18():
    doc, model, example = compiled("resnet18")
    prune_structured(model, example, PruneTarget(ratio=0.25))
    new_doc, _ = graph_for_pruned(doc, model, example)
    ids = {n["id"]: n for n in new_doc["nodes"]}
    # both sides of layer2's first residual add have the same (pruned) width
    assert ids["layer2_first_conv2"]["params"]["out_channels"] == \
        ids["layer2_first_down_conv"]["params"]["out_channels"] < 128


def test_target_params_is_met_and_iterative_steps_call_back():
    doc, model, example = compiled("digits_cnn")
    before = parameter_count(model)
    calls = []
    prune_structured(model, example, PruneTarget(params=0.25), steps=3, after_step=calls.append)
    assert calls == [0, 1, 2]
    assert parameter_count(model) <= 0.25 * before
    assert parameter_count(model) > 0.15 * before  # searched for, not overshot wildly


@pytest.mark.parametrize("kwargs,field", [({"ratio": 0.0}, "ratio"), ({"ratio": 1.0}, "ratio"),
                                          ({"params": 1.5}, "params"), ({}, "ratio"),
                                          ({"ratio": 0.5, "flops": 0.5}, "ratio")])
def test_bad_targets_name_the_field(kwargs, field):
    with pytest.raises(PruneError) as err:
        PruneTarget(**kwargs)
    assert err.value.errors[0]["field"] == field


def test_a_ratio_that_removes_a_whole_layer_names_it():
    doc, model, example = compiled("digits_cnn")
    with pytest.raises(PruneError) as err:
        prune_structured(model, example, PruneTarget(ratio=0.98))
    e = err.value.errors[0]
    assert e["node"] == "conv1" and "every channel of 'conv1' (32 wide)" in e["message"]


def test_an_unreachable_target_names_the_layer_that_would_vanish():
    doc, model, example = compiled("digits_cnn")
    with pytest.raises(PruneError) as err:
        prune_structured(model, example, PruneTarget(params=0.0005))
    e = err.value.errors[0]
    assert e["field"] == "target_params" and e["node"] == "conv1"
    assert "keeping at most 0.0005 of the params cannot be reached" in e["message"]


def test_an_op_torch_pruning_cannot_handle_is_named():
    doc, model, example = compiled("lstm_classifier")
    with pytest.raises(PruneError) as err:
        prune_structured(model, example, PruneTarget(ratio=0.5))
    assert err.value.errors[0]["node"] == "lstm"
