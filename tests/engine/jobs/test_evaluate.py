"""The evaluate kind: a trained checkpoint measured on a split, in the job child's own process."""
from __future__ import annotations

import json

import pytest
import torch

from tests.engine.training.conftest import RecordingSink, mlp_graph
from workers.engine.data import load_dataset
from workers.engine.jobs.calibration import Calibration
from workers.engine.jobs.runner import EXIT_BAD_INPUT, EXIT_OK, StopFlag, execute
from workers.engine.jobs.train_job import TrainJob  # noqa: F401 - registers train
from workers.engine.measure import batch_of, cpu_latency


def _job(run_dir, **job):
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "checkpoints").mkdir(exist_ok=True)
    (run_dir / "job.json").write_text(json.dumps({"run_id": 1, "graph": mlp_graph(), **job}))
    return run_dir


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One short training run on digits: its folder and its done summary."""
    run_dir = _job(tmp_path_factory.mktemp("train") / "run", kind="train", dataset={"kind": "digits"},
                   config={"epochs": 2, "batch_size": 64, "system_every_s": 3600})
    sink = RecordingSink()
    assert execute(run_dir, sink, StopFlag()) == EXIT_OK
    return run_dir, sink.events[-1]["summary"]


def _evaluate(tmp_path, trained_dir, checkpoint="best", **job):
    job.setdefault("dataset", {"kind": "digits"})
    run_dir = _job(tmp_path / "eval", kind="evaluate", config=job.pop("config", {"latency_repeats": 3}),
                   inputs=[{"run": 1, "checkpoint": checkpoint,
                            "path": str(trained_dir / "checkpoints" / f"{checkpoint}.pt")}], **job)
    sink = RecordingSink()
    return execute(run_dir, sink, StopFlag()), sink.events


def test_evaluating_the_best_checkpoint_reproduces_the_training_runs_test_metrics(tmp_path, trained):
    run_dir, summary = trained
    code, events = _evaluate(tmp_path, run_dir)
    assert code == EXIT_OK, events[-1]
    done = events[-1]
    assert done["status"] == "succeeded"
    assert done["summary"]["test_accuracy"] == summary["test_accuracy"]
    assert done["summary"]["test_loss"] == pytest.approx(summary["test_loss"], rel=1e-6)
    for key in ("test_ece", "test_f1", "latency_b1_ms", "latency_b64_ms", "params", "checkpoint_bytes"):
        assert done["summary"][key] >= 0, key
    assert done["summary"]["params"] == sum(p.numel() for p in torch.nn.Linear(64, 16).parameters()) + 170
    artifacts = {e["kind"]: e["data"] for e in events if e["type"] == "artifact"}
    test_size = len(load_dataset({"kind": "digits"}).test)
    assert sum(map(sum, artifacts["test_confusion_matrix"])) == test_size
    assert set(artifacts["test_per_class"]) >= {"labels", "precision", "recall", "f1"}
    assert sum(artifacts["test_calibration"]["count"]) == test_size
    assert not (run_dir.parent.parent / "eval" / "checkpoints" / "last.pt").exists()


def test_another_split_and_the_last_checkpoint_can_be_measured(tmp_path, trained):
    code, events = _evaluate(tmp_path, trained[0], checkpoint="last",
                             config={"split": "val", "latency_batch_sizes": [2], "latency_repeats": 3})
    assert code == EXIT_OK
    summary = events[-1]["summary"]
    assert "val_accuracy" in summary and "latency_b2_ms" in summary and "test_accuracy" not in summary


def test_a_checkpoint_that_does_not_fit_the_graph_is_bad_input(tmp_path, trained):
    code, events = _evaluate(tmp_path, trained[0], graph=mlp_graph(hidden=32))
    assert code == EXIT_BAD_INPUT
    assert "checkpoint does not fit its graph" in events[-1]["error"]


def test_a_missing_checkpoint_is_bad_input_naming_the_run(tmp_path):
    code, events = _evaluate(tmp_path, tmp_path / "nowhere")
    assert code == EXIT_BAD_INPUT
    assert "run 1's checkpoint" in events[-1]["error"] and "does not exist" in events[-1]["error"]


def test_calibration_error_is_zero_when_confidence_matches_accuracy():
    cal = Calibration(10)
    # Confidence 1.0 and always right: perfectly calibrated.
    cal.update(torch.tensor([[100.0, 0.0], [0.0, 100.0]]), torch.tensor([0, 1]))
    assert cal.ece() == pytest.approx(0.0, abs=1e-9)
    # Confidence ~0.73 and always wrong: the gap is the confidence.
    wrong = Calibration(10)
    wrong.update(torch.tensor([[1.0, 0.0]] * 4), torch.tensor([1, 1, 1, 1]))
    assert wrong.ece() == pytest.approx(torch.softmax(torch.tensor([1.0, 0.0]), 0)[0].item())


def test_latency_is_timed_per_batch_size_on_batches_of_that_size():
    seen = []
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    model.register_forward_hook(lambda m, args, out: seen.append(args[0].shape[0]))
    figures = cpu_latency(model, torch.zeros(1, 4), [1, 5], repeats=3, threads=1)
    assert set(figures) == {"batch_1_ms", "batch_5_ms"} and all(v > 0 for v in figures.values())
    assert set(seen) == {1, 5} and batch_of(torch.arange(3.0).view(3, 1), 7).shape == (7, 1)
