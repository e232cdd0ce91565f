"""Optuna's samplers and pruners as a sweep builds them, the per-epoch report hook, and a
sweep of real trials on the digits in one process."""
from __future__ import annotations

import math

import optuna
import pytest

from workers.engine.data import load_dataset
from workers.engine.jobs.kinds import Pruned
from workers.engine.train import parse_model
from workers.engine.tune import TuneConfig, build_pruner, build_sampler, open_study
from workers.engine.tune.study import AUTO_GP_MAX_DIMS, AUTO_GP_MAX_TRIALS, close_study, sampler_name
from workers.engine.tune.local import optimize
from workers.engine.tune.report import EpochReporter

SPACE = [{"name": "optimizer.lr", "low": 1e-4, "high": 1e-1, "log": True},
         {"name": "=width", "type": "int", "low": 4, "high": 32},
         {"name": "batch_size", "type": "categorical", "choices": [32, 64]}]


def tune(**extra) -> TuneConfig:
    return parse_model(TuneConfig, {"space": SPACE, **extra})


def bowl(params: dict) -> float:
    """A cheap objective with its minimum at lr = 1e-2, width = 20."""
    return (math.log10(params["optimizer.lr"]) + 2) ** 2 + ((params["=width"] - 20) / 10) ** 2


@pytest.mark.parametrize("name", ["random", "tpe", "cmaes", "gp", "nsga2", "auto"])
def test_every_sampler_asks_inside_the_space(name):
    cfg = tune(sampler={"name": name, "n_startup_trials": 3})
    study = open_study(None, "s", cfg)
    for _ in range(5):
        trial = study.ask(cfg.distributions)
        assert 1e-4 <= trial.params["optimizer.lr"] <= 1e-1 and 4 <= trial.params["=width"] <= 32
        assert trial.params["batch_size"] in (32, 64)
        study.tell(trial, bowl(trial.params))
    assert type(study.sampler).__name__.lower().startswith(
        {"random": "random", "tpe": "tpe", "cmaes": "cmaes", "gp": "gp", "nsga2": "nsgaii", "auto": "gp"}[name])


def test_auto_is_a_gaussian_process_while_small_then_tpe():
    assert tune().sampler.name == "auto"
    assert sampler_name(tune(sampler={"name": "auto"}, n_trials=AUTO_GP_MAX_TRIALS)) == "gp"
    assert sampler_name(tune(sampler={"name": "auto"}, n_trials=AUTO_GP_MAX_TRIALS + 1)) == "tpe"
    wide = [{"name": f"=v{i}", "low": 0.0, "high": 1.0} for i in range(AUTO_GP_MAX_DIMS + 1)]
    assert sampler_name(parse_model(TuneConfig, {"space": wide, "sampler": {"name": "auto"}})) == "tpe"
    several = tune(sampler={"name": "auto"}, objectives=[{"metric": "val/accuracy"}, {"metric": "params"}])
    assert sampler_name(several) == "tpe"
    assert sampler_name(tune(sampler={"name": "tpe"})) == "tpe"
    # Start-up trials the sweep does not set: each sampler's best on the bench's tuning seeds.
    assert build_sampler(tune())._n_startup_trials == 5
    assert build_sampler(tune(sampler={"name": "tpe"}))._n_startup_trials == 10


def test_tpe_takes_optunas_options():
    sampler = build_sampler(tune(sampler={"name": "tpe", "multivariate": False, "n_ei_candidates": 128,
                                          "constant_liar": False, "n_startup_trials": 4}))
    assert (sampler._multivariate, sampler._n_ei_candidates, sampler._constant_liar,
            sampler._n_startup_trials) == (False, 128, False, 4)


def test_a_pooled_study_reuses_one_connection_and_closes_it(tmp_path):
    from sqlalchemy import event

    cfg = tune(sampler={"name": "random"})
    study = open_study(f"sqlite:///{tmp_path / 'study.db'}", "p", cfg, pooled=True)
    engine = study._storage._backend.engine
    connects = []
    event.listen(engine, "connect", lambda *_: connects.append(1))
    for _ in range(3):
        trial = study.ask(cfg.distributions)
        study.tell(trial, bowl(trial.params))
    assert len(connects) <= 1 and engine.pool.checkedin() == 1
    close_study(study)
    assert engine.pool.checkedin() == 0


def test_the_grid_visits_each_point_once():
    cfg = parse_model(TuneConfig, {"space": [{"name": "batch_size", "type": "categorical", "choices": [16, 32]},
                                             {"name": "=width", "type": "int", "low": 4, "high": 12, "step": 4}],
                                   "sampler": {"name": "grid"}, "n_trials": 6})
    study = open_study(None, "g", cfg)
    seen = []
    for _ in range(6):
        trial = study.ask(cfg.distributions)
        seen.append((trial.params["batch_size"], trial.params["=width"]))
        study.tell(trial, 0.0)
    assert sorted(seen) == [(b, w) for b in (16, 32) for w in (4, 8, 12)]


def test_seeds_move_on_with_the_trials_so_far():
    cfg = tune(sampler={"name": "random", "seed": 3})
    first = build_sampler(cfg, 0).sample_independent(None, None, "x", cfg.distributions["optimizer.lr"])
    again = build_sampler(cfg, 0).sample_independent(None, None, "x", cfg.distributions["optimizer.lr"])
    later = build_sampler(cfg, 5).sample_independent(None, None, "x", cfg.distributions["optimizer.lr"])
    assert first == again != later


@pytest.mark.parametrize("name, kind", [("none", "NopPruner"), ("median", "MedianPruner"),
                                        ("successive_halving", "SuccessiveHalvingPruner"),
                                        ("hyperband", "HyperbandPruner")])
def test_pruners_are_optunas(name, kind):
    assert type(build_pruner(tune(pruner={"name": name}))).__name__ == kind


def test_the_epoch_hook_reports_and_a_poor_trial_is_pruned():
    cfg = tune(pruner={"name": "median", "n_startup_trials": 2, "n_warmup_steps": 0})
    study = open_study(None, "m", cfg)
    for good in (0.9, 0.8):
        trial = study.ask(cfg.distributions)
        hook = EpochReporter(trial, cfg)
        for epoch in (1, 2):
            hook(epoch, {"accuracy": good, "loss": 1.0})
        study.tell(trial, hook.best["val/accuracy"])
    trial = study.ask(cfg.distributions)
    hook = EpochReporter(trial, cfg)
    with pytest.raises(Pruned, match="epoch 1"):
        hook(1, {"accuracy": 0.1, "loss": 3.0})
    assert trial.storage.get_trial(trial._trial_id).intermediate_values == {1: 0.1}


def test_a_sweep_on_the_digits_trains_each_trial_and_fails_an_invalid_one(cnn, tmp_path):
    # pool1 with a 16x16 window does not fit the 8x8 digits: that trial fails with the engine's error.
    cfg = parse_model(TuneConfig, {
        "space": [{"name": "pool1.kernel_size", "type": "categorical", "choices": [2, 16]}],
        "sampler": {"name": "grid"}, "n_trials": 2,
        "train": {"epochs": 1, "batch_size": 128, "system_every_s": 60}})
    study = open_study(None, "d", cfg)
    trials = optimize(study, cfg, cnn, load_dataset({"kind": "digits"}), run_dir=tmp_path)
    by_size = {t.params["pool1.kernel_size"]: t for t in trials}
    assert by_size[2].state == optuna.trial.TrialState.COMPLETE and 0 < by_size[2].value <= 1
    assert by_size[2].user_attrs["epochs"] == 1
    assert by_size[16].state == optuna.trial.TrialState.FAIL
    assert "pool1" in by_size[16].user_attrs["error"]


def test_nsga2_weighs_accuracy_against_the_trained_models_measured_cpu_latency(cnn, tmp_path):
    cfg = parse_model(TuneConfig, {
        "space": [{"name": "=width", "type": "int", "low": 2, "high": 32}],
        "objectives": [{"metric": "val/accuracy"}, {"metric": "latency_ms"}],
        "sampler": {"name": "nsga2"}, "n_trials": 2,
        "train": {"epochs": 1, "batch_size": 128, "system_every_s": 60}})
    assert cfg.directions == ["maximize", "minimize"]
    study = open_study(None, "latency", cfg)
    trials = optimize(study, cfg, cnn, load_dataset({"kind": "digits"}), run_dir=tmp_path)
    for trial in trials:
        assert trial.state == optuna.trial.TrialState.COMPLETE, trial.user_attrs
        accuracy, latency = trial.values
        assert 0 < accuracy <= 1 and 0 < latency < 1000
    assert study.best_trials  # the Pareto front of the two


def run_trial_job(tmp_path, cnn, cfg: TuneConfig, sink) -> int:
    """The service's path: a train job whose job.json names its trial (here in a SQLite study
    ``s`` at ``tmp_path/study.db``); the job's exit code."""
    import json

    from workers.engine.jobs.runner import StopFlag, execute

    url = f"sqlite:///{tmp_path / 'study.db'}"
    trial = open_study(url, "s", cfg).ask(cfg.distributions)
    run_dir = tmp_path / "run"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "job.json").write_text(json.dumps({
        "kind": "train", "run_id": 1, "graph": cnn, "dataset": {"kind": "digits"},
        "config": cfg.train.model_dump(mode="json"),
        "trial": {"storage": url, "study": "s", "number": trial.number, "sweep": cfg.model_dump(mode="json")}}))
    return execute(run_dir, sink, StopFlag())


def test_a_trial_run_on_a_worker_measures_its_trained_model_for_its_summary(cnn, tmp_path):
    from tests.engine.training.conftest import RecordingSink
    from workers.engine.jobs.runner import EXIT_OK
    from workers.engine.tune.trials import objective_values

    cfg = parse_model(TuneConfig, {
        "space": [{"name": "optimizer.lr", "low": 1e-3, "high": 1e-1, "log": True}],
        "objectives": [{"metric": "val/accuracy"}, {"metric": "latency_ms"}], "sampler": {"name": "nsga2"},
        "train": {"epochs": 1, "batch_size": 128, "system_every_s": 60}})
    sink = RecordingSink()
    assert run_trial_job(tmp_path, cnn, cfg, sink) == EXIT_OK
    summary = sink.events[-1]["summary"]
    assert 0 < summary["latency_ms"] < 1000
    values = objective_values(cfg, {}, {"val/accuracy": 0.5}, summary)
    assert values == [0.5, summary["latency_ms"]]


def test_without_a_pruner_a_trial_on_a_worker_reports_every_epoch_before_it_is_done(cnn, tmp_path, monkeypatch):
    """No pruner waits on them, so a thread writes the reports; all are in the study by ``done``,
    however slow the storage (here: each report takes half a second)."""
    import time

    from tests.engine.training.conftest import RecordingSink
    from workers.engine.jobs.runner import EXIT_OK

    cfg = parse_model(TuneConfig, {
        "space": [{"name": "optimizer.lr", "low": 1e-3, "high": 1e-1, "log": True}], "sampler": {"name": "random"},
        "train": {"epochs": 3, "batch_size": 128, "system_every_s": 60}})

    class AtDone(RecordingSink):
        reported = None

        def emit(self, event):
            if event["type"] == "done":
                study = optuna.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'study.db'}")
                AtDone.reported = study.trials[0].intermediate_values
            super().emit(event)

    report = optuna.trial.Trial.report
    monkeypatch.setattr(optuna.trial.Trial, "report", lambda *a: (time.sleep(0.5), report(*a)))
    sink = AtDone()
    assert run_trial_job(tmp_path, cnn, cfg, sink) == EXIT_OK
    accuracies = [e["values"]["accuracy"] for e in sink.events if e["type"] == "metric" and e["split"] == "val"]
    assert AtDone.reported == dict(enumerate(accuracies, start=1))
