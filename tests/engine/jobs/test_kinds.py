"""The registry of job kinds: one registration per kind, everything else derived from it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import BaseModel

from workers.engine.jobs import JobError, get_job, list_jobs, parse_job_config, register_job
from workers.engine.jobs import kinds as registry
from workers.engine.train import ConfigError, TrainConfig

ROOT = Path(__file__).resolve().parents[3]


class _Config(BaseModel):
    n: int = 1


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(registry, "_KINDS", dict(registry._KINDS))


def test_the_built_in_kinds_are_train_and_evaluate():
    names = [k.kind for k in list_jobs()]
    assert {"train", "evaluate"} <= set(names) and names == sorted(names)
    assert get_job("train").config_model is TrainConfig
    assert get_job("train").distributed and get_job("train").resumable
    assert get_job("evaluate").inputs == (1, 1) and not get_job("evaluate").distributed


def test_it_refuses_a_kind_registered_twice(scratch_registry):
    register_job("scratch", _Config, lambda ctx: None, title="Scratch", description="d")
    with pytest.raises(ValueError, match="already registered"):
        register_job("scratch", _Config, lambda ctx: None, title="Scratch", description="d")


@pytest.mark.parametrize("name", ["", "Train", "a.b", "x" * 17, "../x"])
def test_it_refuses_names_that_are_not_plain_identifiers(scratch_registry, name):
    with pytest.raises(ValueError, match="lower-case"):
        register_job(name, _Config, lambda ctx: None, title="t", description="d")


def test_it_refuses_inputs_that_are_not_a_range(scratch_registry):
    with pytest.raises(ValueError, match="fewest <= most"):
        register_job("backwards", _Config, lambda ctx: None, title="t", description="d", inputs=(2, 1))


@pytest.mark.parametrize("kind", ["nope", None, 3, ["train"]])
def test_an_unknown_kind_is_a_job_error_on_the_kind_field(kind):
    with pytest.raises(JobError) as caught:
        get_job(kind)
    assert caught.value.errors[0]["field"] == "kind"
    assert "known kinds: " in caught.value.errors[0]["message"] and "train" in caught.value.errors[0]["message"]


def test_each_kind_parses_its_own_config_and_names_bad_fields():
    assert parse_job_config("train", {"epochs": 3}).epochs == 3
    assert parse_job_config("evaluate", {"split": "val"}).split == "val"
    with pytest.raises(ConfigError) as caught:
        parse_job_config("evaluate", {"epochs": 3})  # a training field given to evaluate
    assert caught.value.errors[0]["field"] == "epochs"
    with pytest.raises(ConfigError) as caught:
        parse_job_config("evaluate", {"latency_batch_sizes": [0]})
    assert caught.value.errors[0]["field"] == "latency_batch_sizes"
    with pytest.raises(ConfigError, match="config must be an object"):
        parse_job_config("train", [1, 2])


def test_describe_serves_a_json_schema_with_defaults_ranges_and_descriptions():
    described = {k["kind"]: k for k in (j.describe() for j in list_jobs())}
    lr = described["train"]["config_schema"]["$defs"]["OptimizerConfig"]["properties"]["lr"]
    assert lr["default"] == 1e-3 and lr["exclusiveMinimum"] == 0 and lr["description"]
    split = described["evaluate"]["config_schema"]["properties"]["split"]
    assert split["enum"] == ["test", "val", "train"] and split["default"] == "test"
    assert described["evaluate"]["inputs"] == {"min": 1, "max": 1}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_nothing_under_workers_imports_django_celery_or_the_service():
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & {"django", "celery", "designer",
                                                                 "rest_framework", "kombu"})
                 for p in (ROOT / "workers").rglob("*.py")}
    assert {p: names for p, names in offenders.items() if names} == {}
