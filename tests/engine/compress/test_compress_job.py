"""The ``compress`` kind on a digits CNN trained for a few epochs: the chain, its report
against the source on the same test split, the pruned graph and its training checkpoint."""
from __future__ import annotations

import json

import pytest
import torch

from workers.engine import compile_graph, validate_graph
from workers.engine.jobs.kinds import get_job
from workers.engine.train import ConfigError, load_checkpoint

from .helpers import run_kind


def test_structured_compress_reports_against_the_source(source, tmp_path):
    config = {"structured": {"enabled": True, "target": "params", "amount": 0.7, "steps": 2,
                             "finetune_epochs": 1}}
    summary, sink = run_kind("compress", tmp_path, source["graph"], config, [source])

    report = sink.of("artifact", kind="compress_report")[0]["data"]
    assert [r["model"] for r in report["rows"]] == ["source", "pruned"]
    assert summary["source_test_accuracy"] == pytest.approx(source["summary"]["test_accuracy"])
    assert summary["params"] <= 0.3 * summary["source_params"]
    assert summary["params_ratio"] == summary["params"] / summary["source_params"]
    assert summary["flops"] < summary["source_flops"]
    assert summary["file_bytes"] < summary["source_file_bytes"]
    assert summary["latency_b1_ms"] > 0 and summary["latency_b64_ms"] > 0
    # fine-tuning ran twice (one epoch per step) with curves that go on
    steps = [e["step"] for e in sink.of("metric", split="train") if "loss" in e["values"]]
    assert steps == sorted(steps) and len(steps) > 20

    doc = json.loads((tmp_path / "outputs" / "graph.json").read_text())
    assert validate_graph(doc)["totals"]["params"] == summary["params"]
    ckpt = load_checkpoint(tmp_path / "checkpoints" / "best.pt")
    model = compile_graph(doc, seed=5).eval()
    model.load_state_dict(ckpt["model"], strict=True)  # a normal training checkpoint
    assert ckpt["config"]["epochs"] >= 1 and ckpt["state"]["step"] == steps[-1]
    assert {e["path"] for e in sink.of("checkpoint")} >= {"checkpoints/best.pt", "checkpoints/last.pt"}

    from workers.engine.data import load_dataset
    test = load_dataset({"kind": "digits"}).test
    x, y = test[list(range(len(test)))]
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert accuracy == pytest.approx(summary["test_accuracy"], abs=1e-6)


@pytest.mark.parametrize("config,field", [
    ({}, None),
    ({"structured": {"enabled": False}}, None),
    ({"structured": {"enabled": True, "amount": 1.2}}, "structured.amount"),
    ({"structured": {"enabled": True, "target": "weights"}}, "structured.target"),
    ({"structured": {"enabled": True, "steps": 0}}, "structured.steps"),
    ({"quantize": {"enabled": True, "ratio": 0.5}}, "quantize.ratio"),
])
def test_bad_config_names_the_field(config, field):
    with pytest.raises(ConfigError) as err:
        get_job("compress").parse_config(config)
    assert err.value.errors[0]["field"] == field


def test_a_layer_that_would_vanish_fails_before_anything_is_written(source, tmp_path):
    from workers.engine.compress import PruneError
    with pytest.raises(PruneError) as err:
        run_kind("compress", tmp_path, source["graph"], {"structured": {"enabled": True, "amount": 0.99}},
                 [source])
    assert err.value.errors[0]["node"] == "conv1"
    assert err.value.errors[0]["field"] == "structured.amount"
    assert not (tmp_path / "checkpoints").exists() and not (tmp_path / "outputs" / "graph.json").exists()


def test_a_source_without_its_checkpoint_is_named(source, tmp_path):
    from workers.engine.jobs.kinds import JobError
    missing = {**source, "path": str(tmp_path / "nope.pt")}
    with pytest.raises(JobError, match="run 1's checkpoint"):
        run_kind("compress", tmp_path / "c", source["graph"], {"structured": {"enabled": True}}, [missing])
