"""Inside a block: the report details its first instance, and errors name the inner node."""
from __future__ import annotations

from workers.engine import validate_graph

from .helpers import chain


def res_block(fc_params=None) -> dict:
    """x -> fc (Linear) -> act (ReLU) -> y, with a param ``c`` for the width."""
    body = chain(("fc", "Linear", fc_params or {"out_features": "=c"}), ("act", "ReLU", {}))
    return {"params": {"c": {"type": "int", "default": 8}}, "nodes": body["nodes"],
            "edges": body["edges"]}


def outer_block() -> dict:
    """Two Res blocks in series, ``a`` (default width) and ``b``."""
    body = chain(("a", "block:Res", {}), ("b", "block:Res", {"c": 8}))
    return {"nodes": body["nodes"], "edges": body["edges"]}


def test_it_details_the_first_instance_of_a_block():
    doc = chain(("res1", "block:Res", {"c": 6}), ("res2", "block:Res", {"c": 4}), shape=(5,),
                blocks={"Res": res_block()})
    doc["nodes"][2]["repeat"] = 2
    report = validate_graph(doc)
    assert report["ok"], report["errors"]
    res = report["blocks"]["Res"]
    assert res["instance"] == "res1." and res["uses"] == 3
    fc = res["nodes"]["fc"]
    assert fc["outputs"] == {"out": [None, 6]} and fc["inferred"] == {"in_features": 5}
    assert fc["params"] == 5 * 6 + 6 and fc["flops"] > 0 and fc["memory"] == 6 * 4
    # The block's ports show the shape that passes them; edges carry shapes as at the top.
    assert res["nodes"]["x"]["outputs"] == {"out": [None, 5]}
    assert res["nodes"]["y"]["outputs"] == {"out": [None, 6]}
    assert [(e["source"], e["target"], e["shape"]) for e in res["edges"]] == [
        ("x", "fc", [None, 5]), ("fc", "act", [None, 6]), ("act", "y", [None, 6])]
    # The top level is as before: the instance sums its inner nodes.
    assert report["nodes"]["res1"]["params"] == fc["params"]
    assert report["nodes"]["res2"]["outputs"]["out"] == [None, 4]


def test_a_nested_block_and_an_unused_block_get_entries():
    doc = chain(("stage", "block:Outer", {}), shape=(8,),
                blocks={"Res": res_block(), "Outer": outer_block(), "Spare": res_block()})
    doc["nodes"][1]["repeat"] = 2
    blocks = validate_graph(doc)["blocks"]
    assert (blocks["Outer"]["instance"], blocks["Outer"]["uses"]) == ("stage.0.", 2)
    assert (blocks["Res"]["instance"], blocks["Res"]["uses"]) == ("stage.0.a.", 4)
    # A nested block's instance node sums what it holds, like a top-level one.
    assert blocks["Outer"]["nodes"]["a"]["params"] == blocks["Res"]["nodes"]["fc"]["params"]
    assert blocks["Outer"]["nodes"]["b"]["outputs"]["out"] == [None, 8]
    assert blocks["Spare"] == {"instance": None, "uses": 0, "nodes": {}, "edges": []}


def test_a_shape_error_inside_a_block_names_the_inner_node():
    doc = chain(("res1", "block:Res", {"c": 8}), ("res2", "block:Res", {"c": 5}), shape=(8,),
                blocks={"Res": res_block({"in_features": "=c", "out_features": "=c"})})
    report = validate_graph(doc)
    [e] = report["errors"]
    assert e["node"] == "res2" and e["field"] == "in_features"
    assert (e["path"], e["block"], e["block_node"]) == ("res2.fc", "Res", "fc")
    assert e["in_blocks"] == {"Res": "fc"}
    assert "Linear 'res2.fc' has in_features=5" in e["message"]
    # The first instance (res1) is fine: its shapes are still in the report.
    assert report["blocks"]["Res"]["nodes"]["fc"]["outputs"] == {"out": [None, 8]}


def test_an_error_in_a_nested_block_names_the_node_of_every_block_on_the_way():
    res = res_block()
    res["nodes"][1]["params"] = {"out_features": "=c", "bias": "maybe"}
    doc = chain(("stage", "block:Outer", {}), shape=(8,), blocks={"Res": res,
                                                                   "Outer": outer_block()})
    [e] = validate_graph(doc)["errors"]
    assert e["node"] == "stage" and e["field"] == "bias"
    assert (e["path"], e["block"], e["block_node"]) == ("stage.a.fc", "Res", "fc")
    assert e["in_blocks"] == {"Outer": "a", "Res": "fc"}


def test_expansion_errors_inside_a_block_are_placed_too():
    res = res_block()
    res["nodes"][1]["params"] = {"out_features": "=c * width"}
    doc = chain(("res1", "block:Res", {}), shape=(8,), blocks={"Res": res})
    [e] = validate_graph(doc)["errors"]
    assert e["node"] == "res1" and e["field"] == "out_features" and "'width'" in e["message"]
    assert (e["path"], e["block"], e["block_node"]) == ("res1.fc", "Res", "fc")
    # A bad param given to a nested instance is the instance node's, in the outer block.
    outer = outer_block()
    outer["nodes"][2]["params"] = {"c": "=nope"}
    doc = chain(("stage", "block:Outer", {}), shape=(8,), blocks={"Res": res_block(),
                                                                   "Outer": outer})
    [e] = validate_graph(doc)["errors"]
    assert (e["node"], e["path"], e["block"], e["block_node"]) == ("stage", "stage.b",
                                                                   "Outer", "b")


def test_the_same_mistake_in_two_nodes_of_a_block_is_reported_once_each():
    body = chain(("fc", "Linear", {"out_features": 0}), ("sum", "Add", {}))
    body["nodes"].append({"id": "fc2", "op": "Linear", "params": {"out_features": 0}})
    body["edges"] = [e for e in body["edges"] if e["target"] != "sum"] + [
        {"source": "x", "target": "fc2"},
        {"source": "fc", "target": "sum", "target_port": "in0"},
        {"source": "fc2", "target": "sum", "target_port": "in1"}]
    doc = chain(("res1", "block:Res", {}), ("res2", "block:Res", {}),
                blocks={"Res": {"nodes": body["nodes"], "edges": body["edges"]}})
    errors = validate_graph(doc)["errors"]
    # Once per inner node (not once per instance, nor once for both inner nodes).
    assert [(e["node"], e["block_node"], e["field"]) for e in errors] == [
        ("res1", "fc", "out_features"), ("res1", "fc2", "out_features")]


def test_a_structural_error_in_a_block_body_names_the_block_and_its_user():
    res = res_block()
    res["edges"].append({"source": "act", "target": "fc"})  # a second edge into fc.in
    doc = chain(("stage", "block:Outer", {}), shape=(8,),
                blocks={"Res": res, "Outer": outer_block(), "Spare": res_block()})
    doc["blocks"]["Spare"]["nodes"].append({"id": "stray", "op": "ReLU"})
    doc["blocks"]["Spare"]["edges"].append({"source": "x", "target": "stray"})
    errors = {e["block"]: e for e in validate_graph(doc)["errors"]}
    e = errors["Res"]
    assert "two edges go into input 'in' of node 'fc' in block Res" in e["message"]
    # Not the inner id as a top-level node: the top-level node that uses the block.
    assert (e["node"], e["block_node"], e["in_blocks"]) == ("stage", "fc",
                                                           {"Outer": "a", "Res": "fc"})
    e = errors["Spare"]  # nobody uses Spare: no top-level node to show it on
    assert (e["node"], e["block_node"], e["in_blocks"]) == (None, "stray", {"Spare": "stray"})


def test_a_recursive_block_and_a_malformed_block_node_name_their_block():
    inner = chain(("again", "block:Loop", {}))
    doc = chain(("loop", "block:Loop", {}), blocks={"Loop": {"nodes": inner["nodes"],
                                                             "edges": inner["edges"]}})
    [e] = [e for e in validate_graph(doc)["errors"] if "contains itself" in e["message"]]
    assert (e["node"], e["block"]) == ("loop", "Loop")
    body = res_block()
    body["nodes"][1]["params"] = ["not", "a", "dict"]
    [e] = validate_graph(chain(("res1", "block:Res", {}), blocks={"Res": body}))["errors"]
    assert (e["block"], e["block_node"], e["field"]) == ("Res", "fc", "blocks.Res.nodes[1].params")


def test_top_level_errors_carry_no_block_fields():
    [e] = validate_graph(chain(("fc", "Linear", {"out_features": 0})))["errors"]
    assert set(e) == {"node", "port", "field", "message"}
    assert validate_graph(chain(("fc", "Linear", {})))["blocks"] == {}


def test_random_mutations_inside_blocks_never_raise_and_stay_placed():
    import copy
    import random

    base = chain(("stage", "block:Outer", {}), ("res", "block:Res", {"c": 4}), shape=(8,),
                 blocks={"Res": res_block(), "Outer": outer_block()})
    values = [None, -1, 0, 3, "=c * 2", "=nope", "x", [], {}, True, "in7", "block:Res",
              "block:Outer", "out"]
    rng = random.Random(5)
    for _ in range(300):
        doc = copy.deepcopy(base)
        body = doc["blocks"][rng.choice(["Res", "Outer"])]
        for _ in range(rng.randint(1, 3)):
            target = rng.choice(body["nodes"] + body["edges"])
            key = rng.choice(list(target) + ["params", "repeat"])
            if key == "params" and isinstance(target.get("params"), dict):
                target["params"][rng.choice(["out_features", "c", "bias"])] = rng.choice(values)
            else:
                target[key] = rng.choice(values)
        report = validate_graph(doc)
        assert all("internal error" not in e["message"] for e in report["errors"])
        for e in report["errors"]:
            if "block" in e:  # shown on a top-level node that holds the block, if any
                assert e["node"] in (None, "stage", "res"), e
            if "block_node" in e:
                assert e["in_blocks"][e["block"]] == e["block_node"], e
