"""Search spaces: parsing, checks against what each dimension changes, application to a graph."""
from __future__ import annotations

import pytest

from workers.engine import validate_graph
from workers.engine.train import ConfigError, parse_model
from workers.engine.tune import TuneConfig, apply_params, check_space, check_tune, kind_of


def tune(space, **extra) -> TuneConfig:
    return parse_model(TuneConfig, {"space": space, **extra})


def fields(exc: ConfigError) -> list[str]:
    return [e["field"] for e in exc.errors]


def test_dimensions_become_optuna_distributions():
    cfg = tune([{"name": "optimizer.lr", "low": 1e-4, "high": 1e-1, "log": True},
                {"name": "batch_size", "type": "categorical", "choices": [32, 64, 128]},
                {"name": "conv1.out_channels", "type": "int", "low": 8, "high": 32, "step": 8}])
    dists = cfg.distributions
    assert dists["optimizer.lr"].log and dists["optimizer.lr"].low == 1e-4
    assert dists["batch_size"].choices == (32, 64, 128)
    assert (dists["conv1.out_channels"].low, dists["conv1.out_channels"].step) == (8, 8)
    assert cfg.grid() is None  # the lr range is continuous


@pytest.mark.parametrize("space, field, words", [
    ([], "space", "at least 1"),
    ([{"name": "optimizer.lr", "low": 0.1, "high": 0.01}], "space.0", "below high"),
    ([{"name": "optimizer.lr", "low": 0, "high": 0.1, "log": True}], "space.0", "log scale"),
    ([{"name": "batch_size", "type": "categorical", "choices": []}], "space.0", "needs choices"),
    ([{"name": "batch_size", "type": "int", "low": 8, "high": 64.5}], "space.0", "whole"),
    ([{"name": "optimizer.lr", "low": 0.1, "high": 1}] * 2, "", "more than once"),
    ([{"name": "epochs", "type": "int", "low": 1, "high": 10, "step": 100}], "space.0", "wider than the range"),
    ([{"name": "=width", "low": 1, "high": float("inf")}], "space.0.high", "finite"),  # JSON's 1e309
    ([{"name": "=width", "type": "categorical", "choices": [1.0, float("nan")]}], "space.0.choices", "finite"),
])
def test_an_empty_or_contradictory_space_is_refused(space, field, words):
    with pytest.raises(ConfigError) as exc:
        tune(space)
    assert any(f.startswith(field) for f in fields(exc.value) if f) or field == ""
    assert words in str(exc.value)


def test_a_pruner_with_several_objectives_and_cmaes_with_several_are_refused():
    space = [{"name": "optimizer.lr", "low": 0.001, "high": 0.1}]
    two = [{"metric": "val/accuracy"}, {"metric": "params"}]
    with pytest.raises(ConfigError, match="pruner needs exactly one objective"):
        tune(space, objectives=two, pruner={"name": "median"})
    with pytest.raises(ConfigError, match="optimises one objective"):
        tune(space, objectives=two, sampler={"name": "cmaes"})


def test_names_say_what_they_change(cnn):
    assert kind_of("=width", cnn) == ("variable", None, "width")
    assert kind_of("conv1.out_channels", cnn) == ("node", "conv1", "out_channels")
    assert kind_of("optimizer.lr", cnn) == ("train", None, "optimizer.lr")


@pytest.mark.parametrize("dim, field, words", [
    ({"name": "conv1.out_channels", "type": "int", "low": 0, "high": 64}, "space[0].low", "between 1"),
    ({"name": "dropout.p", "low": 0.0, "high": 1.5}, "space[0].high", "between 0 and 1"),
    ({"name": "conv1.out_channels", "low": 8.0, "high": 64.0}, "space[0].type", "integer"),
    ({"name": "conv1.bogus", "type": "int", "low": 1, "high": 4}, "space[0].name", "no param 'bogus'"),
    ({"name": "=depth", "type": "int", "low": 1, "high": 4}, "space[0].name", "no variable 'depth'"),
    ({"name": "optimizer.lr", "low": 0.01, "high": 20}, "space[0].high", "less than or equal to 10"),
    ({"name": "optimizer.nmae", "type": "categorical", "choices": ["adam"]}, "space[0].name", "not a training"),
    ({"name": "optimizer.name", "type": "categorical", "choices": ["adam", "lion"]}, "space[0].choices", "lion"),
    ({"name": "fc1.repeat", "type": "int", "low": 0, "high": 3}, "space[0].low", "repeat count"),
])
def test_each_dimension_is_checked_against_what_it_changes(cnn, dim, field, words):
    errors = check_space(tune([dim]).space, cnn, {})
    assert [e["field"] for e in errors] == [field], errors
    assert words in errors[0]["message"]


def test_a_valid_space_has_no_errors(cnn):
    cfg = tune([{"name": "=width", "type": "int", "low": 4, "high": 32},
                {"name": "dropout.p", "low": 0.0, "high": 0.5},
                {"name": "relu3.repeat", "type": "int", "low": 1, "high": 3},
                {"name": "optimizer.name", "type": "categorical", "choices": ["sgd", "adam"]}])
    assert check_space(cfg.space, cnn, {}) == []


def test_params_apply_to_variables_node_params_repeat_and_config(cnn):
    params = {"=width": 16, "fc1.out_features": 32, "relu3.repeat": 2, "optimizer.lr": 0.01,
              "batch_size": 32}
    doc, config = apply_params(cnn, {"epochs": 3}, params)
    nodes = {n["id"]: n for n in doc["nodes"]}
    assert doc["variables"]["width"] == 16 and nodes["fc1"]["params"]["out_features"] == 32
    assert nodes["relu3"]["repeat"] == 2
    assert config == {"epochs": 3, "optimizer": {"lr": 0.01}, "batch_size": 32}
    assert cnn["variables"]["width"] == 8 and "repeat" not in {k for n in cnn["nodes"] for k in n}  # untouched
    report, base = validate_graph(doc), validate_graph(cnn)
    assert report["ok"], report["errors"]
    assert report["totals"]["params"] != base["totals"]["params"]


@pytest.mark.parametrize("objective, task, ok", [
    ("val/accuracy", "classification", True), ("val/rmse", "classification", False),
    ("test/f1", "classification", True), ("val/r2", "regression", True), ("params", "classification", True),
])
def test_objectives_must_be_measured_for_the_task(objective, task, ok):
    cfg = tune([{"name": "optimizer.lr", "low": 0.001, "high": 0.1}], objectives=[{"metric": objective}])
    errors = check_tune(cfg, task)
    assert (errors == []) == ok, errors
    if not ok:
        assert errors[0]["field"] == "objectives[0].metric"


def test_a_grid_larger_than_the_budget_is_refused():
    space = [{"name": "batch_size", "type": "categorical", "choices": [16, 32, 64]},
             {"name": "optimizer.lr", "low": 0.01, "high": 0.05, "step": 0.01}]
    cfg = tune(space, sampler={"name": "grid"}, n_trials=10)
    assert len(cfg.grid()["optimizer.lr"]) == 5
    errors = check_tune(cfg, "classification")
    assert [e["field"] for e in errors] == ["n_trials"] and "15 points" in errors[0]["message"]
    assert check_tune(tune(space, sampler={"name": "grid"}, n_trials=15), "classification") == []
    continuous = tune([{"name": "optimizer.lr", "low": 0.01, "high": 0.05}], sampler={"name": "grid"})
    assert check_tune(continuous, "classification")[0]["field"] == "sampler.name"


def test_cmaes_over_only_categorical_dimensions_is_refused_and_a_step_as_wide_as_the_range_is_not():
    choices = [{"name": "batch_size", "type": "categorical", "choices": [16, 32]}]
    errors = check_tune(tune(choices, sampler={"name": "cmaes"}), "classification")
    assert [e["field"] for e in errors] == ["sampler.name"] and "only categorical" in errors[0]["message"]
    ranged = [*choices, {"name": "optimizer.lr", "low": 0.1, "high": 0.3, "step": 0.2}]  # 0.3 - 0.1 < 0.2 in floats
    assert check_tune(tune(ranged, sampler={"name": "cmaes"}), "classification") == []
