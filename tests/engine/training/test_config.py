"""The training config: validation names the field, the schema drives the launch form."""
from __future__ import annotations

import pytest

from workers.engine.train import ConfigError, config_schema, parse_config


def _fields(data):
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    return {e["field"]: e["message"] for e in err.value.errors}


def test_defaults_are_a_valid_config():
    cfg = parse_config({})
    assert cfg.epochs >= 1 and cfg.optimizer.name == "adam" and cfg.precision == "fp32"
    assert cfg.mode == "min"


@pytest.mark.parametrize("data, field", [
    ({"epochs": 0}, "epochs"),
    ({"batch_size": "big"}, "batch_size"),
    ({"optimizer": {"lr": -0.1}}, "optimizer.lr"),
    ({"optimizer": {"name": "rmsprop"}}, "optimizer.name"),
    ({"schedule": {"name": "cosine", "pct_start": 1.5}}, "schedule.pct_start"),
    ({"precision": "fp8"}, "precision"),
    ({"grad_clip": 0}, "grad_clip"),
    ({"early_stopping": {"patience": 0}}, "early_stopping.patience"),
    ({"monitor": "train/loss"}, "monitor"),
    ({"learning_rate": 0.1}, "learning_rate"),
])
def test_errors_name_the_field(data, field):
    errors = _fields(data)
    assert field in errors, errors
    assert all(e for e in errors.values())


def test_nesterov_needs_sgd_with_momentum():
    errors = _fields({"optimizer": {"name": "sgd", "nesterov": True}})
    assert "nesterov needs" in errors["optimizer"]
    assert parse_config({"optimizer": {"name": "sgd", "momentum": 0.9, "nesterov": True}})


def test_monitor_mode_follows_the_metric():
    assert parse_config({"monitor": "val/accuracy"}).mode == "max"
    assert parse_config({"monitor": "val/rmse"}).mode == "min"
    assert parse_config({"monitor": "val/loss", "monitor_mode": "max"}).mode == "max"


def test_schema_gives_defaults_ranges_choices_and_help():
    schema = config_schema()
    props = schema["properties"]
    assert props["epochs"]["default"] == 10 and props["epochs"]["minimum"] == 1
    assert props["precision"]["enum"] == ["fp32", "bf16", "fp16"]
    assert all(p.get("description") for p in props.values())
    optimizer = schema["$defs"]["OptimizerConfig"]["properties"]
    assert optimizer["name"]["enum"] == ["sgd", "adam", "adamw"]
    assert optimizer["lr"]["exclusiveMinimum"] == 0
