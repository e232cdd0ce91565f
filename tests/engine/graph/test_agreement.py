"""validate_graph is the contract: what it accepts compiles and runs at the declared shapes
and dtypes; what PyTorch would refuse it refuses, naming the node; compile_graph raises
GraphError and nothing else. One test per case found by issue #14."""
from __future__ import annotations

import pytest
import torch

from workers.engine import GraphError, compile_graph, validate_graph

from .helpers import chain

DTYPES = {"float32": torch.float32, "int64": torch.int64}


def sample(shape, dtype: str) -> torch.Tensor:
    if dtype == "int64":
        return torch.randint(1, 5, (2, *shape))
    return torch.randn(2, *shape)


def runs_as_reported(doc: dict) -> torch.Tensor:
    """Validate, compile and run ``doc`` (one Output); the output must have the reported
    shape (batch 2) and dtype."""
    report = validate_graph(doc)
    assert report["ok"], report["errors"]
    inputs = [sample(n["params"]["shape"], n["params"].get("dtype", "float32"))
              for n in doc["nodes"] if n["op"] == "Input"]
    out = compile_graph(doc, seed=0)(*inputs)
    [last] = [e for e in report["edges"] if e["target"] == "y"]
    assert list(out.shape) == [2 if d is None else d for d in last["shape"]]
    assert out.dtype == DTYPES[last["dtype"]]
    return out


def refused(doc: dict, node: str, field: str | None = None) -> str:
    """validate and compile both refuse ``doc``, naming ``node``; the message."""
    report = validate_graph(doc)
    assert not report["ok"]
    [e] = report["errors"]
    assert e["node"] == node, e
    if field is not None:
        assert e["field"] == field, e
    with pytest.raises(GraphError) as exc:
        compile_graph(doc)
    assert exc.value.errors == report["errors"]
    return e["message"]


def inputs_into(op: str, dtypes, params=None, after=None, shape=(4,)) -> dict:
    """Two Inputs into a two-input op, optionally followed by ``after`` = (op, params)."""
    nodes = [{"id": f"a{i}", "op": "Input", "params": {"shape": list(shape), "dtype": d}}
             for i, d in enumerate(dtypes)]
    nodes.append({"id": "op", "op": op, "params": params or {}})
    edges = [{"source": f"a{i}", "target": "op", "target_port": f"in{i}"}
             for i in range(len(dtypes))]
    last = "op"
    if after:
        nodes.append({"id": "after", "op": after[0], "params": after[1]})
        edges.append({"source": "op", "target": "after"})
        last = "after"
    nodes.append({"id": "y", "op": "Output"})
    edges.append({"source": last, "target": "y"})
    return {"schema": "netweave.graph/1", "name": "t", "nodes": nodes, "edges": edges}


@pytest.mark.parametrize("node_id", ["_modules", "_parameters", "__init__", "named_modules",
                                     "register_forward_hook", "extra_repr", "bfloat16", "meta"])
def test_an_id_that_names_a_module_attribute_is_refused_with_a_suggestion(node_id):
    message = refused(chain((node_id, "ReLU", {})), node_id, "nodes[1].id")
    assert "nn.Module attribute" in message and f"'{node_id}_'" in message


@pytest.mark.parametrize("input_id", ["slice", "getattr", "input"])
def test_an_input_id_that_shadows_a_name_of_the_generated_code_is_refused(input_id):
    doc = chain(("rnn", "LSTM", {"hidden_size": 3}), shape=(4, 5))  # emits x[:, -1]
    doc["nodes"][0]["id"] = doc["edges"][0]["source"] = input_id
    assert "would shadow the Python name" in refused(doc, input_id)
    doc["nodes"][0]["id"] = doc["edges"][0]["source"] = input_id + "_"
    runs_as_reported(doc)


@pytest.mark.parametrize("op, params", [("Conv2d", {"kernel_size": [3], "stride": [1]}),
                                        ("AdaptiveAvgPool2d", {"output_size": [2]}),
                                        ("MaxPool2d", {"kernel_size": [2]}),
                                        ("ZeroPad2d", {"padding": [1]})])
def test_a_one_entry_size_list_means_that_size_for_every_dim(op, params):
    assert runs_as_reported(chain(("n", op, params))).shape[2] == \
        runs_as_reported(chain(("n", op, {k: v[0] for k, v in params.items()}))).shape[2]


def test_upsample_that_would_give_a_zero_size_is_refused():
    assert "into 0" in refused(chain(("up", "Upsample", {"scale_factor": 0.05})), "up")
    assert runs_as_reported(chain(("up", "Upsample", {"scale_factor": 0.125}))).shape[-1] == 1


@pytest.mark.parametrize("params", [{"kernel_size": 3, "padding": 1},
                                    {"kernel_size": 3, "ceil_mode": True}])
def test_avgpool3d_on_an_input_smaller_than_its_kernel_is_refused(params):
    doc = chain(("pool", "AvgPool3d", params), shape=(1, 2, 8, 8))
    assert "at least the kernel size 3" in refused(doc, "pool")
    # MaxPool3d has no such rule in PyTorch: padding makes up for the small input.
    runs_as_reported(chain(("pool", "MaxPool3d", params), shape=(1, 2, 8, 8)))


def test_hardtanh_needs_min_below_max_and_celu_a_nonzero_alpha():
    refused(chain(("h", "Hardtanh", {"min_val": 1, "max_val": 1})), "h")
    refused(chain(("c", "CELU", {"alpha": 0})), "c")
    runs_as_reported(chain(("c", "CELU", {"alpha": -0.5})))


@pytest.mark.parametrize("op", ["Sum", "Mean"])
def test_a_reduction_naming_a_dim_twice_is_refused(op):
    assert "names a dim twice" in refused(chain(("r", op, {"dims": [1, -3]})), "r")


@pytest.mark.parametrize("op, dtypes, params", [("Add", ["int64", "float32"], {}),
                                                ("Concat", ["int64", "float32"], {"dim": 1}),
                                                ("Divide", ["int64", "int64"], {})])
def test_dtypes_promote_as_in_pytorch(op, dtypes, params):
    assert runs_as_reported(inputs_into(op, dtypes, params)).dtype == torch.float32
    # ... so an Embedding after it is refused rather than crashing at run time.
    doc = inputs_into(op, dtypes, params, after=("Embedding", {"num_embeddings": 10}))
    assert "gives float32" in refused(doc, "after")


def test_integer_sums_stay_integer():
    assert runs_as_reported(inputs_into("Add", ["int64", "int64"])).dtype == torch.int64


@pytest.mark.parametrize("op, params, shape", [("Flatten", {}, (2, 3)), ("Identity", {}, (4,)),
                                               ("Unflatten", {"sizes": [2, 2]}, (4,)),
                                               ("ZeroPad1d", {}, (2, 3)),
                                               ("ReflectionPad2d", {}, (1, 3, 3)),
                                               ("ConstantPad1d", {"value": 2}, (1, 3))])
def test_shape_ops_and_pads_take_integer_tensors(op, params, shape):
    assert runs_as_reported(chain(("n", op, params), shape=shape, dtype="int64")).dtype == \
        torch.int64


def test_an_lstm_state_fed_to_another_lstm_is_refused_with_what_to_do():
    doc = chain(("l1", "LSTM", {"hidden_size": 4}), ("l2", "LSTM", {"hidden_size": 4}),
                shape=(5, 3))
    doc["edges"][1]["source_port"] = "h_n"
    message = refused(doc, "l2")
    assert "needs the batch in dim 0" in message and "(1, N, 4)" in message
    # Moved back with a Transpose it works, and the shapes still agree.
    doc = chain(("l1", "LSTM", {"hidden_size": 4}), ("t", "Transpose", {"dim0": 0, "dim1": 1}),
                ("l2", "LSTM", {"hidden_size": 4}), shape=(5, 3))
    doc["edges"][1]["source_port"] = "h_n"
    runs_as_reported(doc)


def test_a_weights_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "weights.pt"
    bad.write_bytes(b"not a checkpoint at all")
    doc = chain(("net", "ResNet18", {"num_classes": 3, "weights_file": str(bad)}),
                shape=(3, 32, 32))
    assert "is not a PyTorch checkpoint" in refused(doc, "net")
    torch.save({"conv1.weight": torch.zeros(1)}, bad)
    assert "does not match ResNet18" in refused(doc, "net")


def test_flattening_the_batch_is_refused_as_other_batch_changes_are():
    doc = chain(("f", "Flatten", {"start_dim": 0}), ("r", "Reshape", {"shape": [1]}),
                shape=(3, 4))
    assert "batch dimension" in refused(doc, "f")
    assert "batch dimension" in refused(chain(("u", "Unsqueeze", {"dim": 0})), "u")


@pytest.mark.parametrize("op, params, shape, dtype", [
    ("Embedding", {"num_embeddings": 10, "padding_idx": -1}, (5,), "int64"),
    ("TransformerEncoderLayer", {"nhead": 2, "dim_feedforward": (1 << 20) + 1}, (3, 4),
     "float32"),
    ("LeakyReLU", {"negative_slope": -0.2}, (4,), "float32"),
    ("ELU", {"alpha": -1.0}, (4,), "float32")])
def test_param_ranges_follow_pytorch(op, params, shape, dtype):
    runs_as_reported(chain(("n", op, params), shape=shape, dtype=dtype))


def test_padding_idx_out_of_pytorchs_range_is_refused():
    doc = chain(("e", "Embedding", {"num_embeddings": 10, "padding_idx": -11}), shape=(5,),
                dtype="int64")
    assert "between -10 and 9" in refused(doc, "e")


# Found by the random-graph property test (test_random_graphs.py).

def test_batch_and_instance_norm_need_eps_above_zero_and_instance_norm_two_elements():
    refused(chain(("bn", "BatchNorm2d", {"eps": 0})), "bn")
    refused(chain(("norm", "InstanceNorm1d", {}), shape=(3, 1)), "norm")
    runs_as_reported(chain(("norm", "InstanceNorm1d", {}), shape=(3, 2)))


def test_negative_padding_crops_as_in_pytorch_but_not_past_the_dim():
    assert runs_as_reported(chain(("pad", "ConstantPad1d", {"padding": [-1, 2]}), shape=(3, 5))
                            ).shape == (2, 3, 6)
    assert "at least 1" in refused(chain(("pad", "ConstantPad1d", {"padding": [-9, 16]}),
                                         shape=(3, 5)), "pad")


def test_matmul_of_2d_inputs_would_mix_the_batch_and_is_refused():
    doc = inputs_into("MatMul", ["float32", "float32"], shape=(2,))
    assert "the rows of a 2-D input are the batch" in refused(doc, "op")
    runs_as_reported(inputs_into("MatMul", ["float32", "float32"], shape=(2, 2)))


def test_broadcasting_that_would_line_up_the_batch_with_a_size_is_refused():
    doc = inputs_into("Multiply", ["float32", "float32"], shape=(4,))
    doc["nodes"][0]["params"]["shape"] = [1, 4]  # (N, 1, 4) * (N, 4): N meets the 1
    assert "line up the batch" in refused(doc, "op")
    doc["nodes"][0]["op"], doc["nodes"][0]["params"] = "Parameter", {"shape": [1, 4]}
    runs_as_reported(doc)  # a Parameter (1, 4) has no batch: it broadcasts as PyTorch does
