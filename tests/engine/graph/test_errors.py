"""Every kind of mistake gives a structured error that names the node (one test per kind)."""
from __future__ import annotations

import copy
import random

import pytest

from workers.engine import GraphError, compile_graph, parse_graph, validate_graph

from .helpers import chain, messages

CONV = ("conv1", "Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1})


def errors_of(doc, **kwargs) -> list[dict]:
    report = validate_graph(doc, **kwargs)
    assert not report["ok"]
    for e in report["errors"]:
        assert set(e) >= {"node", "port", "field", "message"}
    return report["errors"]


def test_it_names_the_shapes_that_met():
    doc = chain(("flatten1", "Flatten", {}), ("conv2", "Conv2d", {"out_channels": 8}),
                shape=(2048,))
    [e] = errors_of(doc)
    assert e["node"] == "conv2" and e["port"] == "in"
    assert e["message"] == ("Conv2d 'conv2' expects a 4-D input (N, C, H, W) but 'flatten1' "
                            "gives (N, 2048)")


def test_it_names_the_nodes_of_a_cycle():
    doc = chain(("a", "ReLU", {}), ("b", "Add", {}), ("c", "ReLU", {}))
    doc["edges"] = [e for e in doc["edges"] if e["target"] != "b"]
    doc["edges"] += [{"source": "a", "target": "b", "target_port": "in0"},
                     {"source": "c", "target": "b", "target_port": "in1"}]
    text = messages(validate_graph(doc))
    assert "cycle: c -> b -> c" in text or "cycle: b -> c -> b" in text


def test_it_reports_a_dangling_input():
    doc = chain(CONV)
    doc["edges"] = [e for e in doc["edges"] if e["target"] != "conv1"]
    errors = errors_of(doc)
    dangling = [e for e in errors if "is not connected" in e["message"]]
    assert dangling[0]["node"] == "conv1" and dangling[0]["port"] == "in"


def test_it_reports_a_node_that_leads_nowhere():
    doc = chain(CONV)
    doc["nodes"].append({"id": "stray", "op": "ReLU"})
    doc["edges"].append({"source": "conv1", "target": "stray"})
    [e] = errors_of(doc)
    assert e["node"] == "stray" and "does not lead to any Output" in e["message"]


def test_a_dangling_node_keeps_the_shapes_and_totals_of_the_connected_part():
    doc = chain(CONV, ("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 10}))
    whole = validate_graph(doc)
    doc["nodes"] += [{"id": "stray", "op": "ReLU"}, {"id": "after", "op": "Linear", "params": {"out_features": 3}}]
    doc["edges"].append({"source": "stray", "target": "after"})
    report = validate_graph(doc)
    assert not report["ok"]
    assert {e["node"] for e in report["errors"]} == {"stray", "after"}
    assert report["totals"] == whole["totals"] and report["totals"]["params"] > 0
    assert report["nodes"]["fc"] == whole["nodes"]["fc"]
    assert "stray" not in report["nodes"] and "after" not in report["nodes"]
    assert [e["shape"] for e in report["edges"] if e["target"] == "fc"] == [[None, 4 * 8 * 8]]
    with pytest.raises(GraphError):
        compile_graph(doc)


def test_it_suggests_close_names_for_an_unknown_op():
    [e] = errors_of(chain(("conv1", "conv2d", {})))
    assert e["node"] == "conv1" and e["field"] == "op" and "'Conv2d'" in e["message"]
    [e] = errors_of(chain(("act", "LeakyRelu", {})))
    assert "did you mean 'LeakyReLU'" in e["message"]


def test_it_gives_the_allowed_range_of_a_bad_param():
    [e] = errors_of(chain(("conv1", "Conv2d", {"out_channels": 0})))
    assert e["node"] == "conv1" and e["field"] == "out_channels"
    assert "between 1 and 65536, got 0" in e["message"]
    [e] = errors_of(chain(("act", "GELU", {"approximate": "fast"})))
    assert "'none', 'tanh'" in e["message"]


def test_it_refuses_unknown_params():
    [e] = errors_of(chain(("conv1", "Conv2d", {"kernel": 3})))
    assert e["field"] == "kernel" and "kernel_size" in e["message"]


def test_it_refuses_two_edges_into_one_input():
    doc = chain(CONV)
    doc["edges"].append({"source": "x", "target": "conv1"})
    [e] = errors_of(doc)
    assert e["node"] == "conv1" and e["port"] == "in" and "two edges" in e["message"]


@pytest.mark.parametrize("bad", ["1conv", "conv-1", "forward", "class", "a" * 65, ""])
def test_it_refuses_ids_that_cannot_name_a_submodule(bad):
    doc = chain(CONV)
    doc["nodes"][1]["id"] = bad
    errors = errors_of(doc)
    assert errors[0]["field"] == "nodes[1].id"


def test_it_checks_a_param_against_the_inferred_value():
    [e] = errors_of(chain(("conv1", "Conv2d", {"in_channels": 3})))
    assert e["field"] == "in_channels" and "leave in_channels empty" in e["message"]


def test_it_checks_the_param_budget_before_allocating():
    doc = chain(("fc", "Linear", {"out_features": 1_000_000}), shape=(1_000_000,))
    [e] = errors_of(doc)
    assert e["node"] == "fc" and "over the budget" in e["message"]
    with pytest.raises(GraphError):
        compile_graph(doc)
    # Counting them allocates nothing, so a larger budget (and allocation limit) accepts it.
    assert validate_graph(doc, param_budget=2e12, alloc_budget=1e13)["totals"]["params"] == \
        1_000_001_000_000


def test_it_refuses_float_input_to_an_embedding_and_tokens_to_a_conv():
    [e] = errors_of(chain(("embed", "Embedding", {})))
    assert e["node"] == "embed" and "int64" in e["message"]
    [e] = errors_of(chain(CONV, dtype="int64"))
    assert "Embedding" in e["message"]


def test_it_names_an_undefined_variable_and_a_bad_expression():
    [e] = errors_of(chain(("conv1", "Conv2d", {"out_channels": "=widht"}),
                          variables={"width": 8}))
    assert e["node"] == "conv1" and "'widht'" in e["message"] and "width" in e["message"]
    [e] = errors_of(chain(("conv1", "Conv2d", {"out_channels": "=__import__('os')"})))
    assert "may only use numbers" in e["message"]


def test_it_names_the_node_inside_a_block():
    block = chain(("conv", "Conv2d", {"out_channels": "=c", "groups": 3}))
    block["nodes"][0]["params"] = {}
    doc = chain(("res", "block:Res", {"c": 8}), blocks={"Res": {
        "params": {"c": {"type": "int", "default": 4}}, "nodes": block["nodes"],
        "edges": block["edges"]}})
    [e] = errors_of(doc)
    assert e["node"] == "res" and "Conv2d 'res.conv' has groups=3" in e["message"]


def test_it_refuses_unknown_blocks_and_recursive_blocks():
    [e] = errors_of(chain(("res", "block:Missing", {})))
    assert e["node"] == "res" and e["field"] == "op"
    inner = chain(("again", "block:Loop", {}))
    doc = chain(("loop", "block:Loop", {}), blocks={"Loop": {
        "nodes": [dict(n, params={}) if n["op"] == "Input" else n for n in inner["nodes"]],
        "edges": inner["edges"]}})
    assert "contains itself" in messages(validate_graph(doc))


def test_it_refuses_repeat_on_a_node_with_two_inputs():
    doc = chain(("add", "Add", {}))
    doc["nodes"][1]["repeat"] = 2
    assert "only nodes with one input and one output" in messages(validate_graph(doc))


def test_it_refuses_a_repeat_count_beyond_the_limit():
    doc = chain(("act", "ReLU", {}))
    doc["nodes"][1]["repeat"] = 10**9
    [e] = errors_of(doc)
    assert e["node"] == "act" and e["field"] == "repeat"


@pytest.mark.parametrize("doc", [
    None, [], "graph", 3, {}, {"schema": "netweave.graph/2", "nodes": []},
    {"schema": "netweave.graph/1", "nodes": "many"},
    {"schema": "netweave.graph/1", "nodes": [{"id": 5, "op": None}]},
    {"schema": "netweave.graph/1", "nodes": [{"id": "x", "op": "Input", "params": []}]},
    {"schema": "netweave.graph/1", "nodes": [], "edges": [{"source": 1}]},
    {"schema": "netweave.graph/1", "nodes": [], "blocks": {"B": {"nodes": 3}}},
    {"schema": "netweave.graph/1", "nodes": [], "variables": {"w": "=w"}},
])
def test_garbage_gives_structured_errors(doc):
    errors = errors_of(doc)
    assert all(isinstance(e["message"], str) for e in errors)
    with pytest.raises(GraphError):
        parse_graph(doc) if not isinstance(doc, dict) or doc.get("nodes") != [] else \
            compile_graph(doc)


def test_a_hundred_thousand_nodes_are_refused_before_parsing():
    doc = {"schema": "netweave.graph/1",
           "nodes": [{"id": f"n{i}", "op": "ReLU"} for i in range(100_000)]}
    [e] = errors_of(doc)
    assert "100000 nodes" in e["message"]


def test_random_mutations_never_raise():
    base = chain(CONV, ("act", "ReLU", {}), ("flat", "Flatten", {}),
                 ("fc", "Linear", {"out_features": 3}))
    values = [None, -1, 0, 1.5, 10**15, "=1/0", "x", [], {}, [1, "a"], True, "in7", "block:"]
    rng = random.Random(0)
    for _ in range(300):
        doc = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            target = rng.choice(doc["nodes"] + doc["edges"])
            key = rng.choice(list(target) + ["params", "repeat"])
            if key == "params" and isinstance(target.get("params"), dict) and rng.random() < .7:
                target["params"][rng.choice(["out_features", "kernel_size", "shape", "dim",
                                             "padding", "dtype"])] = rng.choice(values)
            else:
                target[key] = rng.choice(values)
        report = validate_graph(doc)
        assert isinstance(report["ok"], bool)
        if not report["ok"]:
            assert "internal error" not in messages(report)


def test_it_refuses_an_in_place_op_whose_input_has_other_readers():
    doc = chain(CONV, ("relu", "ReLU", {"inplace": True}), ("add", "Add", {}))
    doc["edges"] = [e for e in doc["edges"] if e["target"] != "add"]
    doc["edges"] += [{"source": "relu", "target": "add", "target_port": "in0"},
                     {"source": "conv1", "target": "add", "target_port": "in1"}]
    [e] = errors_of(doc)
    assert e["node"] == "relu" and e["field"] == "inplace" and "'conv1' also feeds 'add'" \
        in e["message"]
    assert validate_graph(chain(CONV, ("relu", "ReLU", {"inplace": True})))["ok"]
