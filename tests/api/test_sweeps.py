"""Sweeps: launch checks (400 naming the field), a coordinator step, extend and promote."""
from __future__ import annotations

import pytest

from designer.runs.models import MetricSummary, Run
from designer.tuning import schemas
from designer.tuning.models import Trial

pytestmark = pytest.mark.django_db

SPACE = [{"name": "optimizer.lr", "low": 1e-3, "high": 1e-1, "log": True},
         {"name": "conv1.out_channels", "type": "int", "low": 2, "high": 8}]


def sweep_body(graph, **config):
    return {"graph": graph.pk, "kind": "tune", "dataset": {"kind": "digits"},
            "config": {"space": SPACE, "n_trials": 4, "parallelism": 2, "sampler": {"name": "random"},
                       "train": {"epochs": 1}, **config}}


@pytest.fixture
def runs_root(settings, tmp_path):
    settings.RUNS_ROOT = tmp_path / "runs"


def test_an_editor_launches_a_sweep(editor_client, graph, runs_root):
    response = editor_client.post("/api/runs", sweep_body(graph), format="json")
    assert response.status_code == 201, response.json()
    run = Run.objects.get(pk=response.json()["id"])
    assert (run.kind, run.state) == ("tune", "queued")
    assert run.config["space"][0]["log"] is True and run.config["train"]["optimizer"]["name"] == "adam"


@pytest.mark.parametrize("config, field, words", [
    ({"space": []}, "config.space", "at least 1"),
    ({"space": [{"name": "optimizer.lr", "low": 0.1, "high": 0.01}]}, "config.space.0", "below high"),
    ({"space": [{"name": "conv1.out_channels", "type": "int", "low": 0, "high": 8}]}, "config.space[0].low",
     "between 1"),
    ({"space": [{"name": "conv9.out_channels", "type": "int", "low": 1, "high": 8}]}, "config.space[0].name",
     "not a training field"),
    ({"space": [{"name": "=width", "type": "int", "low": 1, "high": 8}]}, "config.space[0].name", "no variable"),
    ({"space": [{"name": "batch_size", "type": "categorical", "choices": [16, 32, 64]}],
      "sampler": {"name": "grid"}, "n_trials": 2}, "config.n_trials", "3 points"),
    ({"objectives": [{"metric": "val/rmse"}]}, "config.objectives[0].metric", "not measured for classification"),
    ({"objectives": [{"metric": "val/accuracy"}, {"metric": "params"}], "pruner": {"name": "median"}},
     "config", "pruner needs exactly one objective"),
])
def test_it_refuses_a_bad_sweep_naming_the_field(editor_client, graph, runs_root, config, field, words):
    response = editor_client.post("/api/runs", sweep_body(graph, **config), format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert any((e["field"] or "").startswith(field) and words in e["message"] for e in errors), errors
    assert not Run.objects.exists()


def _launch_and_step(client, graph, **config):
    from designer.runs.supervisor import execute

    run_id = client.post("/api/runs", sweep_body(graph, **config), format="json").json()["id"]
    execute(run_id)  # claims the sweep and takes its first step, as a worker would
    return Run.objects.get(pk=run_id)


def test_a_step_starts_at_most_parallelism_trials_and_fails_invalid_ones(editor_client, graph, runs_root):
    # conv1 with 2..8 channels and padding 1: valid; a kernel of 16 on 8x8 digits: invalid.
    space = [{"name": "conv1.kernel_size", "type": "categorical", "choices": [3, 16]}]
    sweep = _launch_and_step(editor_client, graph, space=space, sampler={"name": "grid"}, n_trials=2,
                             parallelism=2)
    trials = {t.params["conv1.kernel_size"]: t for t in Trial.objects.filter(sweep=sweep)}
    assert set(trials) == {3, 16}
    assert trials[16].state == "fail" and trials[16].run is None and "conv1" in trials[16].error
    good = trials[3].run
    assert (good.kind, good.parent, good.state, trials[3].state) == ("train", sweep, "queued", "running")
    assert Run.objects.get(pk=sweep.pk).state == "running"


def test_trials_are_told_their_values_and_the_best_is_promoted(editor_client, graph, runs_root, editor):
    from designer.tuning.coordinator import step

    sweep = _launch_and_step(editor_client, graph, n_trials=2, parallelism=2)
    assert Trial.objects.filter(sweep=sweep, run__isnull=False).count() == 2
    for accuracy, trial in zip((0.5, 0.9), Trial.objects.filter(sweep=sweep).order_by("number")):
        Run.objects.filter(pk=trial.run_id).update(state="succeeded")
        MetricSummary.objects.create(run_id=trial.run_id, key="val/accuracy", latest=accuracy, latest_step=1,
                                     best=accuracy, best_step=1, minimum=accuracy / 2, maximum=accuracy,
                                     first_step=1, last_step=1, first_time=0, last_time=0)
    step(sweep.pk)
    sweep.refresh_from_db()
    assert sweep.state == "succeeded" and sweep.summary["complete"] == 2
    assert sweep.summary["best_trials"] == [1] and sweep.summary["best_values"] == [0.9]
    trials = editor_client.get(f"/api/sweeps/{sweep.pk}/trials").json()
    assert [row[trials["columns"].index("values")] for row in trials["rows"]] == [[0.5], [0.9]]
    # The answers have the shapes the schema gives them (and so the editor's types).
    analysis = editor_client.get(f"/api/sweeps/{sweep.pk}/analysis").json()
    assert analysis["best_trials"] == [1] and [o["direction"] for o in analysis["objectives"]] == ["maximize"]
    for answer, shape in ((trials, schemas.SweepTrials), (analysis, schemas.SweepAnalysisAnswer)):
        described = shape(data=answer)
        assert described.is_valid(), described.errors

    response = editor_client.post(f"/api/sweeps/{sweep.pk}/trials/1/promote", {}, format="json")
    assert response.status_code == 201, response.json()
    assert schemas.PromotedTrial(data=response.json()).is_valid()
    channels = Trial.objects.get(sweep=sweep, number=1).params["conv1.out_channels"]
    graph.refresh_from_db()
    assert graph.head.number == response.json()["version"] == 2
    conv1 = next(n for n in graph.head.document["nodes"] if n["id"] == "conv1")
    assert conv1["params"]["out_channels"] == channels and "trial 1 of sweep" in graph.head.message

    extended = editor_client.post(f"/api/sweeps/{sweep.pk}/extend", {"n_trials": 3}, format="json")
    assert extended.status_code == 200 and extended.json()["state"] == "queued"
    assert extended.json()["config"]["n_trials"] == 5
    assert editor_client.post(f"/api/sweeps/{sweep.pk}/extend", {"n_trials": 3}, format="json").status_code == 409


def test_only_sweeps_have_sweep_pages(editor_client, graph, runs_root):
    run_id = editor_client.post("/api/runs", {"graph": graph.pk, "dataset": {"kind": "digits"}},
                                format="json").json()["id"]
    assert editor_client.get(f"/api/sweeps/{run_id}/trials").status_code == 404


def test_a_clone_or_resume_of_a_trial_trains_the_trials_graph_and_config(editor_client, graph, runs_root):
    import json

    from designer.runs.lifecycle import Claim
    from designer.runs.supervisor import job_inputs, write_job

    sweep = _launch_and_step(editor_client, graph, n_trials=1, parallelism=1)
    trial = Trial.objects.get(sweep=sweep)
    Run.objects.filter(pk=trial.run_id).update(state="failed")
    trial.run.last_checkpoint.parent.mkdir(parents=True)
    trial.run.last_checkpoint.write_bytes(b"weights")
    copies = [editor_client.post(f"/api/runs/{trial.run_id}/{action}", {}, format="json").json()["id"]
              for action in ("clone", "resume")]
    copies.append(editor_client.post(f"/api/runs/{copies[0]}/clone", {}, format="json").json()["id"])
    for copy in Run.objects.filter(pk__in=copies):
        job = json.loads(write_job(Claim(copy, None, None)).read_text())
        conv1 = next(n for n in job["graph"]["nodes"] if n["id"] == "conv1")
        assert conv1["params"]["out_channels"] == trial.params["conv1.out_channels"]
        assert job["config"]["optimizer"]["lr"] == trial.params["optimizer.lr"]
        assert "trial" not in job  # its own run: it reports to no trial of the sweep
    # A job that starts from the trial's run (evaluate, compress) builds the trial's graph too.
    evaluate = Run.objects.create(project=sweep.project, graph_version=sweep.graph_version, kind="evaluate")
    evaluate.set_inputs([{"run": trial.run_id, "checkpoint": "last"}])
    conv1 = next(n for n in job_inputs(evaluate)[0]["graph"]["nodes"] if n["id"] == "conv1")
    assert conv1["params"]["out_channels"] == trial.params["conv1.out_channels"]


def test_a_trial_whose_worker_died_resumes_until_its_retries_are_spent(editor_client, graph, runs_root):
    import socket
    from datetime import timedelta

    from django.utils import timezone

    from designer.runs import lifecycle, services
    from designer.tuning.coordinator import step

    sweep = _launch_and_step(editor_client, graph, n_trials=2, parallelism=1, trial_retries=1)
    first = Trial.objects.get(sweep=sweep)
    # Its worker (this machine, a pid that is gone) died during its first try: resumed from last.pt.
    gone = dict(state="running", worker_hostname=socket.gethostname(), worker_pid=2**22 + 1,
                enqueued=timezone.now() - timedelta(hours=1))
    Run.objects.filter(pk=first.run_id).update(attempts=1, **gone)
    first.run.last_checkpoint.parent.mkdir(parents=True)
    first.run.last_checkpoint.write_bytes(b"weights")
    assert services.send_lost_again() == [first.run_id]
    claimed = lifecycle.claim(first.run_id, lifecycle.Holder.me())
    assert claimed.resume_from == first.run.last_checkpoint and claimed.run.attempts == 2
    # It died again: one retry was allowed, so it fails, saying so, and the sweep asks the next trial.
    Run.objects.filter(pk=first.run_id).update(**gone)
    assert services.send_lost_again() == []
    first.refresh_from_db()
    assert first.run.state == "failed" and "worker lost 2 times" in first.run.error
    assert "1 retry allowed" in first.run.error
    step(sweep.pk)
    trials = list(Trial.objects.filter(sweep=sweep).order_by("number"))
    assert trials[0].state == "fail" and "1 retry allowed" in trials[0].error
    assert len(trials) == 2 and trials[1].state == "running"
    assert Run.objects.get(pk=sweep.pk).state == "running"
