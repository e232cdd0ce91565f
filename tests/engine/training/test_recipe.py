"""The recipe in process: metrics, checkpoints, resume, early stopping, tasks."""
from __future__ import annotations

import pytest
import torch
from sklearn.metrics import f1_score
from torch import nn

from tests.engine.training.conftest import StopAfter
from workers.engine.data import load_dataset
from workers.engine.train import (Cancelled, ConfigError, TrainRecipe, load_checkpoint,
                                  parse_config)


@pytest.fixture(scope="module")
def digits():
    return load_dataset({"kind": "digits"})


def _mlp(seed=0, out=10, inputs=64, dropout=0.1):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(inputs, 32), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(32, out))


def _recipe(data, tmp_path, sink=None, model=None, should_stop=lambda: False, **config):
    cfg = parse_config({"epochs": 2, "batch_size": 64, **config})
    return TrainRecipe(model or _mlp(), data, cfg, run_dir=tmp_path, sink=sink,
                       should_stop=should_stop)


def test_training_emits_step_eval_and_test_metrics(digits, tmp_path, sink):
    recipe = _recipe(digits, tmp_path, sink, optimizer={"lr": 0.01})
    recipe.setup()
    summary = recipe.train()
    steps = [e["step"] for e in sink.of("metric", split="train") if "loss" in e["values"]]
    assert steps == list(range(1, summary["steps"] + 1))
    assert summary["steps"] == 2 * -(-len(digits.train) // 64)
    val = sink.of("metric", split="val")
    assert len(val) == 2 and {"loss", "accuracy", "precision", "recall", "f1"} <= val[0]["values"].keys()
    assert summary["test_accuracy"] > 0.5
    confusion = sink.of("artifact", kind="confusion_matrix")[-1]["data"]
    assert sum(map(sum, confusion)) == len(digits.val)
    confusion = sink.of("artifact", kind="test_confusion_matrix")[0]["data"]
    assert sum(map(sum, confusion)) == len(digits.test)
    per_class = sink.of("artifact", kind="per_class")[-1]["data"]
    assert per_class["labels"] == digits.classes and len(per_class["f1"]) == 10
    assert {e["path"] for e in sink.of("checkpoint")} == {"checkpoints/last.pt", "checkpoints/best.pt"}


@pytest.mark.parametrize("every", [0.0, 1e9])
def test_validation_figures_go_out_by_time_and_after_the_last_epoch(digits, tmp_path, sink, monkeypatch, every):
    monkeypatch.setattr("workers.engine.train.recipe.FIGURES_SECONDS", every)
    recipe = _recipe(digits, tmp_path, sink, epochs=5)
    recipe.setup()
    recipe.train()
    val_steps = [e["step"] for e in sink.of("metric", split="val")]
    for kind in ("confusion_matrix", "per_class"):
        sent = [e["step"] for e in sink.of("artifact", kind=kind)]
        # Every validation's when due each time; else the first one's, then the last one's.
        assert sent == (val_steps if every == 0 else [val_steps[0], val_steps[-1]])
    confusion = sink.of("artifact", kind="confusion_matrix")[-1]["data"]
    assert sum(map(sum, confusion)) == len(digits.val)


def test_a_cancelled_run_sends_its_latest_validation_figures(digits, tmp_path, sink, monkeypatch):
    monkeypatch.setattr("workers.engine.train.recipe.FIGURES_SECONDS", 1e9)
    steps_per_epoch = -(-len(digits.train) // 64)
    recipe = _recipe(digits, tmp_path, sink, epochs=5, should_stop=StopAfter(3 * steps_per_epoch + 2))
    recipe.setup()
    with pytest.raises(Cancelled):
        recipe.train()
    recipe.save_checkpoint("last")  # what the runner does on a cancel
    last_val = sink.of("metric", split="val")[-1]["step"]
    assert [e["step"] for e in sink.of("artifact", kind="per_class")] == [steps_per_epoch, last_val]
    assert last_val == 3 * steps_per_epoch


def test_evaluation_matches_scikit_learn(digits, tmp_path, sink):
    recipe = _recipe(digits, tmp_path, sink, epochs=1)
    recipe.setup()
    values, _ = recipe.evaluate("test")
    recipe.module.eval()
    pred = recipe.module(digits.test.x).argmax(1)
    assert values["f1"] == pytest.approx(f1_score(digits.test.y, pred, average="macro"))
    assert values["accuracy"] == pytest.approx(float((pred == digits.test.y).float().mean()))


def test_checkpoint_loads_with_weights_only_and_holds_the_loop_state(digits, tmp_path):
    recipe = _recipe(digits, tmp_path, epochs=1, schedule={"name": "onecycle"})
    recipe.setup()
    recipe.train()
    ckpt = torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=True)
    assert ckpt["state"]["epoch"] == 1 and ckpt["state"]["step"] == recipe.state.step
    assert set(ckpt["model"]) == set(recipe.module.state_dict())
    assert {"optimizer", "scheduler", "rng", "config"} <= ckpt.keys()


@pytest.mark.parametrize("stop_at", [7, 23])  # mid-epoch and just after an epoch boundary
def test_resume_continues_exactly(digits, tmp_path, stop_at):
    config = dict(epochs=2, batch_size=100, optimizer={"name": "sgd", "lr": 0.05, "momentum": 0.9},
                  schedule={"name": "cosine"})
    straight = _recipe(digits, tmp_path / "a", **config)
    straight.setup()
    straight.train()

    interrupted = _recipe(digits, tmp_path / "b", should_stop=StopAfter(stop_at), **config)
    interrupted.setup()
    with pytest.raises(Cancelled):
        interrupted.train()
    last = interrupted.save_checkpoint("last")
    assert load_checkpoint(last)["state"]["step"] == stop_at

    resumed = _recipe(digits, tmp_path / "b", model=_mlp(seed=99), **config)
    resumed.setup(resume_from=last)
    assert resumed.state.step == stop_at
    resumed.train()
    assert resumed.state.step == straight.state.step
    for (name, a), b in zip(straight.module.state_dict().items(), resumed.module.state_dict().values()):
        assert torch.equal(a, b), name


def test_a_run_resumed_after_its_last_epoch_still_writes_its_own_checkpoints(digits, tmp_path, sink):
    # A run cancelled during its final test, then resumed: nothing is left to train, but the
    # new run's folder must hold last.pt and best.pt (downloads, Evaluate and Compress read them).
    done = _recipe(digits, tmp_path / "a", epochs=1)
    done.setup()
    done.train()
    resumed = _recipe(digits, tmp_path / "b", sink, model=_mlp(seed=99), epochs=1)
    resumed.setup(resume_from=tmp_path / "a" / "checkpoints" / "last.pt")
    resumed.train()
    resumed.cleanup()
    assert {e["path"] for e in sink.of("checkpoint")} == {"checkpoints/last.pt", "checkpoints/best.pt"}
    for name in ("last", "best"):
        mine, source = (load_checkpoint(tmp_path / run / "checkpoints" / f"{name}.pt") for run in "ba")
        assert mine["state"] == source["state"], name
        assert all(torch.equal(mine["model"][k], v) for k, v in source["model"].items()), name


def test_early_stopping_ends_the_run(digits, tmp_path, sink):
    # A zero learning rate never improves on the first evaluation.
    recipe = _recipe(digits, tmp_path, sink, epochs=20, optimizer={"name": "sgd", "lr": 1e-12},
                     early_stopping={"patience": 2, "min_delta": 0.01})
    recipe.setup()
    summary = recipe.train()
    assert summary["stopped_early"] and summary["epochs"] == 3
    assert any("early stopping" in e["message"] for e in sink.of("log"))


def test_reduce_on_plateau_and_step_schedules_change_the_rate(digits, tmp_path):
    recipe = _recipe(digits, tmp_path, epochs=3, optimizer={"name": "sgd", "lr": 1e-6},
                     schedule={"name": "reduce_on_plateau", "patience": 0, "factor": 0.5})
    recipe.setup()
    recipe.train()
    assert recipe.optimizer.param_groups[0]["lr"] == pytest.approx(0.25e-6)
    recipe = _recipe(digits, tmp_path, epochs=3, schedule={"name": "step", "step_size": 1, "gamma": 0.5})
    recipe.setup()
    recipe.train()
    assert recipe.optimizer.param_groups[0]["lr"] == pytest.approx(1e-3 / 8)


def test_regression_and_reconstruction_tasks(tmp_path):
    data = load_dataset({"kind": "regression", "options": {"n_samples": 300}})
    recipe = _recipe(data, tmp_path, model=_mlp(out=1, inputs=4), grad_clip=1.0,
                     monitor="val/rmse", optimizer={"name": "adamw", "lr": 0.01})
    recipe.setup()
    summary = recipe.train()
    assert {"test_mae", "test_rmse", "test_r2"} <= summary.keys()
    auto = _recipe(data, tmp_path, model=_mlp(out=4, inputs=4), task="reconstruction")
    auto.setup()
    assert "test_loss" in auto.train()


@pytest.mark.parametrize("config, field", [
    ({"precision": "fp16"}, "precision"),
    ({"monitor": "val/r2"}, "monitor"),
])
def test_setup_refuses_what_this_job_cannot_do(digits, tmp_path, config, field):
    with pytest.raises(ConfigError) as err:
        _recipe(digits, tmp_path, **config).setup()
    assert err.value.errors[0]["field"] == field


def test_setup_names_a_class_count_mismatch(digits, tmp_path):
    with pytest.raises(ConfigError, match="has 10 classes"):
        _recipe(digits, tmp_path, model=_mlp(out=7)).setup()


class _Diverged(nn.Module):
    def forward(self, x):
        return x * float("nan")


def test_a_diverging_loss_is_reported_once(digits, tmp_path, sink):
    model = nn.Sequential(_mlp(), _Diverged())
    recipe = _recipe(digits, tmp_path, sink, model=model, epochs=1)
    recipe.setup()
    recipe.train()
    warnings = [e for e in sink.of("log", level="warning") if "not finite at step 1" in e["message"]]
    assert len(warnings) == 1


def test_bf16_autocast_trains_on_cpu(digits, tmp_path):
    recipe = _recipe(digits, tmp_path, epochs=1, precision="bf16")
    recipe.setup()
    assert recipe.train()["test_loss"] < 3


def test_eval_every_steps_adds_evaluations_inside_epochs(digits, tmp_path, sink):
    recipe = _recipe(digits, tmp_path, sink, epochs=1, eval_every_steps=7)
    recipe.setup()
    recipe.train()
    steps_per_epoch = -(-len(digits.train) // 64)
    assert [e["step"] for e in sink.of("metric", split="val")] == [7, 14, steps_per_epoch]


def test_loader_workers_give_the_same_run(digits, tmp_path):
    runs = []
    for workers in (0, 2):
        recipe = _recipe(digits, tmp_path / str(workers), model=_mlp(dropout=0.0), epochs=1,
                         num_workers=workers)
        recipe.setup()
        recipe.train()
        recipe.cleanup()
        runs.append(recipe.module.state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])


def test_regression_on_a_classification_dataset_is_refused(digits, tmp_path):
    with pytest.raises(ConfigError, match="is for classification, not regression"):
        _recipe(digits, tmp_path, task="regression", model=_mlp(out=1)).setup()
