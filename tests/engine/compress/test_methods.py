"""Unstructured pruning, int8 quantization and half precision in the compress kind, each
measured as exported, on a digits CNN trained for a few epochs."""
from __future__ import annotations

import onnx
import pytest
import torch

from workers.engine import compile_graph
from workers.engine.compress.quantize import static_int8
from workers.engine.compress.sparse import sparsify
from workers.engine.train import load_checkpoint

from .helpers import run_kind

# Stated accuracy drops on digits (the benchmark measures the real ones).
INT8_DROP, HALF_DROP = 0.01, 0.005


def rows_of(sink) -> dict[str, dict]:
    return {r["model"]: r for r in sink.of("artifact", kind="compress_report")[0]["data"]["rows"]}


def test_unstructured_then_static_int8_and_fp16(source, tmp_path):
    config = {"unstructured": {"enabled": True, "amount": 0.6, "scope": "global"},
              "half": {"enabled": True, "dtype": "fp16"},
              "quantize": {"enabled": True, "mode": "static", "calibration_batches": 4}}
    summary, sink = run_kind("compress", tmp_path, source["graph"], config, [source])
    rows = rows_of(sink)
    assert list(rows) == ["source", "sparse", "fp16", "int8_static"]
    src, sparse, fp16, int8 = rows["source"], rows["sparse"], rows["fp16"], rows["int8_static"]

    # Sparsity is reported honestly: the dense figures do not move.
    assert sparse["extra"]["sparsity"] == pytest.approx(0.6, abs=1e-3)
    assert sparse["params"] == src["params"]
    assert sparse["file_bytes"] == pytest.approx(src["file_bytes"], rel=0.001)
    assert sparse["extra"]["sparse_file_bytes"] != sparse["file_bytes"]
    assert "do not get smaller" in sparse["notes"][0]
    weights = load_checkpoint(tmp_path / "checkpoints" / "best.pt")["model"]
    assert not any(k.endswith(("_orig", "_mask")) for k in weights)  # made permanent
    assert float((weights["conv2.weight"] == 0).float().mean()) > 0.3

    # Quantized and half models are measured from the exported files.
    model = onnx.load(tmp_path / "outputs" / "model_int8.onnx")
    assert any(i.data_type == onnx.TensorProto.INT8 and len(i.dims) == 4 for i in model.graph.initializer)
    assert int8["file_bytes"] < 0.35 * src["file_bytes"]
    assert int8["extra"]["float_nodes"] == []
    assert sparse["metrics"]["accuracy"] - int8["metrics"]["accuracy"] <= INT8_DROP
    assert fp16["file_bytes"] < 0.55 * src["file_bytes"]
    assert abs(sparse["metrics"]["accuracy"] - fp16["metrics"]["accuracy"]) <= HALF_DROP
    half = torch.load(tmp_path / "outputs" / "model_fp16.pt", weights_only=True)
    assert half["conv1.weight"].dtype == torch.float16
    assert summary["test_accuracy"] == int8["metrics"]["accuracy"]  # the last model of the chain


def test_per_layer_sparsity_and_dynamic_int8(source, tmp_path):
    config = {"unstructured": {"enabled": True, "amount": 0.5, "scope": "layer"},
              "quantize": {"enabled": True, "mode": "dynamic"}}
    _, sink = run_kind("compress", tmp_path, source["graph"], config, [source])
    rows = rows_of(sink)
    assert all(s == pytest.approx(0.5, abs=0.01) for s in rows["sparse"]["extra"]["layer_sparsity"].values())
    dyn = rows["int8_dynamic"]
    assert dyn["extra"]["float_nodes"] == ["Conv2d"] and "stay fp32" in dyn["notes"][0]
    assert rows["sparse"]["metrics"]["accuracy"] - dyn["metrics"]["accuracy"] <= INT8_DROP
    assert torch.jit.load(tmp_path / "outputs" / "model_int8_dynamic.pt") is not None


def test_an_op_without_an_int8_kernel_stays_fp32_and_is_named():
    from tests.api.documents import chain

    nodes, edges = chain([("x", "Input", {"shape": [1, 8, 8]}),
                          ("conv", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
                          ("gn", "GroupNorm", {"num_groups": 2}), ("relu", "ReLU", {}),
                          ("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 10}),
                          ("y", "Output", {})])
    doc = {"schema": "netweave.graph/1", "name": "gn", "variables": {}, "nodes": nodes,
           "edges": edges, "blocks": {}}
    model = compile_graph(doc, seed=0).eval()
    x = torch.randn(32, 1, 8, 8)
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        exported = static_int8(model, x[:2], [x], Path(tmp) / "m.onnx", threads=1)
        with torch.no_grad():
            assert (exported.module(x) - model(x)).abs().max() < 0.1
    assert [n.split(" ")[0] for n in exported.float_nodes] == ["gn"]
    assert exported.notes == ["gn (group_norm) has no int8 kernel: it stays fp32"]


def test_sparsify_leaves_no_masks():
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    sparsify(model, 0.25, "layer")
    assert set(model.state_dict()) == {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_quantization_aware_training_fine_tunes_then_exports_int8(source, tmp_path):
    config = {"quantize": {"enabled": True, "mode": "qat", "qat_epochs": 1}}
    summary, sink = run_kind("compress", tmp_path, source["graph"], config, [source])
    rows = rows_of(sink)
    assert list(rows) == ["source", "int8_qat"]
    assert sink.of("metric", split="train") and sink.of("metric", split="val")  # it trained
    model = onnx.load(tmp_path / "outputs" / "model_int8.onnx")
    assert any(i.data_type == onnx.TensorProto.INT8 and len(i.dims) == 4 for i in model.graph.initializer)
    assert rows["int8_qat"]["file_bytes"] < 0.35 * rows["source"]["file_bytes"]
    assert rows["source"]["metrics"]["accuracy"] - summary["test_accuracy"] <= INT8_DROP
