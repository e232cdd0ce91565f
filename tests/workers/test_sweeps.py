"""Sweeps end to end: real Celery workers on Redis and PostgreSQL, real training children on the
digits, the Optuna study in the test database."""
from __future__ import annotations

import json
import os

import pytest
from django.conf import settings

from designer.runs.models import MetricPoint, Run
from designer.tuning.models import Trial
from tests.api import documents
from tests.workers.processes import database_url_for_children, purge_queues, start_worker, wait_until, skip_without_team_services

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TRAIN = {"epochs": 1, "batch_size": 128, "system_every_s": 5.0}
LR = {"name": "optimizer.lr", "low": 1e-3, "high": 3e-2, "log": True}
WIDTH = {"name": "conv1.out_channels", "type": "int", "low": 2, "high": 6}


@pytest.fixture(scope="module")
def workers(django_db_setup, tmp_path_factory):
    skip_without_team_services()
    base = tmp_path_factory.mktemp("sweeps")
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "NETWEAVE_RUNS_ROOT": str(base / "runs"),
           "CELERY_VISIBILITY_TIMEOUT": "5", "CELERY_UNACKED_RESTORE_INTERVAL": "1",
           "NETWEAVE_HEARTBEAT_SECONDS": "0.5", "OMP_NUM_THREADS": "1"}
    purge_queues(settings.REDIS_URL)
    pool = {"env": env, "base": base,
            "procs": [start_worker(f"sweeper{i}", env, base, queues=["cpu"], wait=False) for i in (1, 2)]}
    for proc in pool["procs"]:
        proc.wait_for_output(" ready.")
    yield pool
    for proc in pool["procs"]:
        proc.stop()


@pytest.fixture
def sweep(workers, settings, owner_client, project):
    settings.RUNS_ROOT = workers["base"] / "runs"
    graph = owner_client.post(f"/api/projects/{project.pk}/graphs",
                              {"name": "digits", "document": documents.tiny_cnn()}, format="json").json()

    def launch(**config) -> Run:
        body = {"graph": graph["id"], "kind": "tune", "dataset": {"kind": "digits"},
                "config": {"train": TRAIN, "sampler": {"name": "random"}, "n_trials": 6, "parallelism": 2,
                           "space": [LR, WIDTH], **config}}
        response = owner_client.post("/api/runs", body, format="json")
        assert response.status_code == 201, response.json()
        return Run.objects.get(pk=response.json()["id"])

    return launch


def _ended(run_id: int, timeout: float = 300) -> Run:
    def check():
        run = Run.objects.get(pk=run_id)
        return run if run.is_terminal else None
    return wait_until(check, timeout=timeout, every=0.5, what=f"sweep {run_id} to end")


def _overlap(runs: list[Run]) -> int:
    """The most trial runs running at one moment."""
    edges = sorted([(r.started, 1) for r in runs] + [(r.finished, -1) for r in runs])
    most = now = 0
    for _, change in edges:
        now += change
        most = max(most, now)
    return most


def test_a_sweep_runs_every_trial_as_a_child_run_and_extends(sweep, owner_client):
    run = sweep()
    run = _ended(run.pk)
    assert run.state == "succeeded", run.error
    trials = list(Trial.objects.filter(sweep=run).select_related("run"))
    assert [t.number for t in trials] == list(range(6))
    assert all(t.state == "complete" and t.run.parent_id == run.pk and t.run.kind == "train" for t in trials)
    assert all(0 < t.values[0] <= 1 for t in trials)
    assert Run.objects.filter(parent=run).count() == 6
    assert MetricPoint.objects.filter(run_id=trials[0].run_id, key="val/accuracy").exists()  # its own curves
    assert _overlap([t.run for t in trials]) <= 2
    assert run.summary["trials"] == 6 and run.summary["best_trials"]
    # Each trial trained the graph with its own conv1 width.
    job = json.loads((trials[0].run.run_dir / "job.json").read_text())
    conv1 = next(n for n in job["graph"]["nodes"] if n["id"] == "conv1")
    assert conv1["params"]["out_channels"] == trials[0].params["conv1.out_channels"]
    assert job["trial"]["number"] == 0

    first = {t.number: t.values for t in trials}
    assert owner_client.post(f"/api/sweeps/{run.pk}/extend", {"n_trials": 2}, format="json").status_code == 200
    run = _ended(run.pk)
    assert run.state == "succeeded" and run.summary["trials"] == 8
    after = {t.number: t.values for t in Trial.objects.filter(sweep=run)}
    assert len(after) == 8 and {n: after[n] for n in first} == first  # history kept
    analysis = owner_client.get(f"/api/sweeps/{run.pk}/analysis").json()
    assert set(analysis["importance"]) == {"optimizer.lr", "conv1.out_channels"}


def test_a_pruner_stops_a_poor_trial_early(sweep):
    from workers.engine.train import parse_model
    from workers.engine.tune import TuneConfig, open_study

    # The grid's first pick is seeded: choose the seed that tries the good rate first, so that
    # successive halving must stop the hopeless one at its first rung (epoch 1 of 3).
    space = [{"name": "optimizer.lr", "type": "categorical", "choices": [0.02, 1e-7]}]
    config = {"space": space, "sampler": {"name": "grid", "seed": 0}, "n_trials": 2, "parallelism": 1,
              "pruner": {"name": "successive_halving", "min_resource": 1, "reduction_factor": 2},
              "train": {**TRAIN, "epochs": 3}}
    for seed in range(20):
        config["sampler"]["seed"] = seed
        cfg = parse_model(TuneConfig, config)
        if open_study(None, "order", cfg).ask(cfg.distributions).params["optimizer.lr"] == 0.02:
            break
    run = _ended(sweep(**config).pk)
    assert run.state == "succeeded", run.error
    trials = {t.params["optimizer.lr"]: t for t in Trial.objects.filter(sweep=run).select_related("run")}
    assert trials[0.02].state == "complete" and trials[0.02].run.summary["epochs"] == 3
    poor = trials[1e-7]
    assert (poor.state, poor.run.state, poor.pruned_epoch) == ("pruned", "pruned", 1)
    assert poor.run.last_checkpoint.is_file()


def test_killing_the_coordinating_worker_loses_no_trial_and_runs_none_twice(sweep, workers):
    run = sweep(train={**TRAIN, "batch_size": 32})
    wait_until(lambda: Trial.objects.filter(sweep=run, state="complete").count() >= 2, timeout=240,
               what="two trials to end")
    holder = Run.objects.get(pk=run.pk).worker_pid
    victim = next(p for p in workers["procs"] if holder in {c.pid for c in _tree(p.proc.pid)})
    victim.kill()
    workers["procs"].remove(victim)
    workers["procs"].append(start_worker("sweeper3", workers["env"], workers["base"], queues=["cpu"]))
    run = _ended(run.pk, timeout=400)
    assert run.state == "succeeded", run.error
    trials = list(Trial.objects.filter(sweep=run))
    assert sorted(t.number for t in trials) == list(range(6))
    assert Run.objects.filter(parent=run).count() == 6 and all(t.state == "complete" for t in trials)


def _tree(pid: int):
    import psutil

    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]
