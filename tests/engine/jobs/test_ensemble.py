"""The ensemble kind: finished digits runs combined without retraining, and its exports."""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import onnxruntime
import pytest
import torch

from tests.engine.training.conftest import mlp_graph
from tests.engine.training.conftest import RecordingSink
from workers.engine.data import load_dataset
from workers.engine.jobs.runner import EXIT_BAD_INPUT, EXIT_OK, StopFlag, execute
from workers.engine.recipes.ensemble import combine, fit_weights

# Three members with different graphs and seeds: MLPs of three widths (a deep ensemble).
MEMBERS = [(mlp_graph(hidden=h), seed, {"epochs": 3, "optimizer": {"lr": 0.005}})
           for seed, h in ((1, 24), (2, 32), (3, 40))]


def _execute(run_dir, **job):
    (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    (run_dir / "job.json").write_text(json.dumps({"run_id": 9, "dataset": {"kind": "digits"}, **job}))
    sink = RecordingSink()
    return execute(run_dir, sink, StopFlag()), sink


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    """Three finished digits runs: ``{run, checkpoint, path, graph}`` as job.json lists inputs."""
    base, inputs = tmp_path_factory.mktemp("members"), []
    for graph, seed, config in MEMBERS:
        code, sink = _execute(base / str(seed), kind="train", graph=graph,
                              config={"batch_size": 64, "seed": seed, "system_every_s": 3600, **config})
        assert code == EXIT_OK, sink.of("done")
        inputs.append({"run": seed, "checkpoint": "best", "graph": graph,
                       "path": str(base / str(seed) / "checkpoints" / "best.pt"),
                       "test_accuracy": sink.of("done")[0]["summary"]["test_accuracy"]})
    return inputs


def _ensemble(tmp_path, members, **config):
    inputs = [{k: v for k, v in m.items() if k != "test_accuracy"} for m in members]
    return _execute(tmp_path / "ens", kind="ensemble", graph=members[0]["graph"], inputs=inputs, config=config)


def test_soft_vote_beats_or_equals_its_best_member_and_reports_each(tmp_path, members):
    code, sink = _ensemble(tmp_path, members)
    assert code == EXIT_OK, sink.of("done")
    summary = sink.of("done")[0]["summary"]
    best = max(m["test_accuracy"] for m in members)
    for m in members:  # the members' figures are their own runs' test figures (best.pt, same split)
        assert summary[f"member_run{m['run']}_test_accuracy"] == pytest.approx(m["test_accuracy"])
    assert summary["best_member_test_accuracy"] == pytest.approx(best)
    assert summary["test_accuracy"] >= best and summary["gain_over_best_member"] >= 0
    assert {"test_accuracy_soft", "test_accuracy_weighted", "test_accuracy_hard"} <= summary.keys()
    listed = sink.of("artifact", kind="ensemble")[0]["data"]
    assert [m["run"] for m in listed["members"]] == [1, 2, 3]
    confusion = sink.of("artifact", kind="test_confusion_matrix")[0]["data"]
    assert sum(map(sum, confusion)) == len(load_dataset({"kind": "digits"}).test)


def test_exported_modules_give_the_jobs_predictions(tmp_path, members):
    code, sink = _ensemble(tmp_path, members, method="weighted")
    assert code == EXIT_OK, sink.of("done")
    folder = tmp_path / "ens" / "checkpoints"
    assert {e["path"] for e in sink.of("checkpoint")} == {
        f"checkpoints/{n}" for n in ("ensemble.pt", "ensemble.py", "ensemble.torchscript.pt", "ensemble.onnx")}
    test = load_dataset({"kind": "digits"}).test
    spec = importlib.util.spec_from_file_location("exported_ensemble", folder / "ensemble.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the file the job wrote, run as a person would
    model = module.build()
    model.load_state_dict(torch.load(folder / "ensemble.pt", weights_only=True))
    with torch.no_grad():
        predicted = model.eval()(test.x).argmax(1)
        scripted = torch.jit.load(folder / "ensemble.torchscript.pt")(test.x).argmax(1)
    onnx = onnxruntime.InferenceSession(str(folder / "ensemble.onnx")).run(None, {"x": test.x.numpy()})[0]
    accuracy = float((predicted == test.y).float().mean())
    assert accuracy == pytest.approx(sink.of("done")[0]["summary"]["test_accuracy"])
    assert torch.equal(scripted, predicted) and np.array_equal(onnx.argmax(1), predicted.numpy())


def test_weights_are_fitted_on_validation_and_favour_the_better_member():
    torch.manual_seed(0)
    y = torch.randint(0, 3, (200,))
    good = torch.nn.functional.one_hot(y, 3).float() * 0.8 + 0.2 / 3
    noise = torch.softmax(torch.randn(200, 3), dim=1)
    weights = fit_weights(torch.stack([noise, good]), y)
    assert weights.sum() == pytest.approx(1.0) and weights[1] > 0.9


def test_hard_vote_takes_the_majority_and_breaks_ties_by_probability():
    probs = torch.tensor([[[0.6, 0.4, 0.0]], [[0.0, 0.7, 0.3]], [[0.55, 0.0, 0.45]]])
    assert combine(probs, torch.ones(3) / 3, "hard").argmax(1).item() == 0  # two votes for class 0
    tie = probs[:2]  # one vote each for 0 and 1: class 1 has the higher mean probability
    assert combine(tie, torch.ones(2) / 2, "hard").argmax(1).item() == 1


def test_a_member_that_does_not_fit_is_refused_naming_it(tmp_path, members):
    code, sink = _ensemble(tmp_path, members[:1] + [{**members[1], "path": str(tmp_path / "gone.pt")}])
    assert code == EXIT_BAD_INPUT and "inputs[1].checkpoint" in sink.of("done")[0]["error"]
    code, sink = _ensemble(tmp_path, [members[0], {**members[2], "graph": mlp_graph(classes=3)}])
    assert code == EXIT_BAD_INPUT and "inputs[1]: run 3" in sink.of("done")[0]["error"]
    inputs = [{k: v for k, v in m.items() if k != "test_accuracy"} for m in members[:2]]
    code, sink = _execute(tmp_path / "moons", kind="ensemble", graph=members[0]["graph"], inputs=inputs,
                          dataset={"kind": "moons"}, config={})
    assert code == EXIT_BAD_INPUT and "inputs[0]: run 1: Input 'x' has shape [1, 8, 8]" in sink.of("done")[0]["error"]
