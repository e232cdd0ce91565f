"""Resource limits that cannot be walked around: the report stays JSON whatever the graph,
errors are capped, oversized documents are refused before they are parsed, and activations
and the weights compiling allocates have budgets that validate and compile share."""
from __future__ import annotations

import json

import orjson
import pytest

from workers.engine import GraphError, compile_graph, validate_graph
from workers.engine.graph.limits import MAX_ERRORS

from .helpers import chain


def test_an_exploding_graph_gives_a_json_report_and_is_refused_by_the_activation_budget():
    doc = chain(("up", "ConvTranspose3d", {"out_channels": 1, "kernel_size": 1,
                                            "stride": 1024}), shape=(1, 2, 2, 2))
    doc["nodes"][1]["repeat"] = 1000
    report = validate_graph(doc)
    assert orjson.loads(orjson.dumps(report)) == json.loads(json.dumps(report))
    [e] = report["errors"]
    assert e["node"] == "up" and "over the budget of 8 GiB" in e["message"]
    # With the budgets lifted, sizes still stop at a bound, and every number stays JSON.
    report = validate_graph(doc, memory_budget=float("inf"), alloc_budget=float("inf"))
    assert "sizes must stay below" in report["errors"][0]["message"]
    orjson.dumps(report)


def test_flops_beyond_javascripts_exact_integers_are_reported_as_floats():
    doc = chain(("fc", "Linear", {"out_features": 4096}), ("fc2", "Linear", {"out_features": 4096}),
                shape=(4096, 4096, 8, 4096))
    report = validate_graph(doc, memory_budget=float("inf"))
    assert report["ok"], report["errors"]
    assert isinstance(report["totals"]["flops"], float) and report["totals"]["flops"] >= 2**53
    assert isinstance(report["totals"]["params"], int)
    orjson.dumps(report)


def test_a_zero_pad_of_4096_is_refused_by_the_activation_budget():
    doc = chain(("pad", "ZeroPad3d", {"padding": 4096}), shape=(1, 8, 8, 8))
    [e] = validate_graph(doc)["errors"]
    assert e["node"] == "pad" and "GiB per sample" in e["message"]
    with pytest.raises(GraphError):
        compile_graph(doc)
    assert validate_graph(doc, memory_budget=2**50)["ok"]


def test_weights_that_compiling_would_allocate_past_the_limit_are_refused_by_both():
    # 1.6e9 parameters: inside the parameter budget (2e9), but 6.4 GB of float32.
    doc = chain(("fc", "Linear", {"out_features": 40_000}), shape=(40_000,))
    [e] = validate_graph(doc)["errors"]
    assert "that compiling one graph may allocate" in e["message"]
    with pytest.raises(GraphError) as exc:
        compile_graph(doc)  # refused before a byte is allocated
    assert exc.value.errors == [e]


def test_too_many_edges_are_refused_before_parsing():
    doc = chain(("relu", "ReLU", {}))
    doc["edges"] += [{"source": "x", "target": "relu"}] * 100_000
    [e] = validate_graph(doc, max_nodes=10_000)["errors"]
    assert e["field"] == "edges" and "limit is 80000" in e["message"]


def test_duplicate_edges_give_one_error_each_and_the_errors_are_capped():
    doc = chain(("relu", "ReLU", {}))
    doc["edges"] += [{"source": "x", "target": "relu"}] * 500
    errors = validate_graph(doc)["errors"]
    assert len(errors) == MAX_ERRORS + 1
    assert "(edges 0 and 2); delete one" in errors[0]["message"]
    assert errors[-1]["message"] == f"... and {500 - MAX_ERRORS} more errors; fix these first"
