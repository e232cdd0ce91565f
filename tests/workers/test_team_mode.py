"""Team mode end to end: a real Celery worker on Redis, PostgreSQL, uvicorn serving SSE,
and the real training child (`python -m workers.engine.jobs`) on the digits dataset."""
from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from designer.runs.lifecycle import pid_alive
from designer.runs.models import Artifact, MetricPoint, MetricSummary, Run, RunEvent
from tests.api import documents
from tests.workers.processes import skip_without_team_services
from tests.workers.processes import (
    Process,
    database_url_for_children,
    purge_queues,
    read_events,
    start_web,
    start_worker,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FAST = {"batch_size": 128, "system_every_s": 1.0}


@dataclass
class Team:
    env: dict
    base: Path
    url: str
    worker: Process


@pytest.fixture(scope="module")
def team(django_db_setup, tmp_path_factory):
    skip_without_team_services()
    base = tmp_path_factory.mktemp("team")
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "NETWEAVE_RUNS_ROOT": str(base / "runs"),
           # Short enough that a lost worker's message comes back within seconds.
           "CELERY_VISIBILITY_TIMEOUT": "5", "CELERY_UNACKED_RESTORE_INTERVAL": "1",
           "NETWEAVE_HEARTBEAT_SECONDS": "0.5", "OMP_NUM_THREADS": "1"}
    purge_queues(settings.REDIS_URL)
    worker = start_worker("cpuworker", env, base, queues=["cpu"], wait=False)  # starts beside the web
    web, url = start_web(env, base)
    worker.wait_for_output(" ready.")
    team = Team(env, base, url, worker)
    yield team
    web.stop()
    team.worker.stop()


@pytest.fixture
def launch(team, settings, owner, owner_client, project):
    from rest_framework.authtoken.models import Token

    settings.RUNS_ROOT = team.base / "runs"
    graph = owner_client.post(f"/api/projects/{project.pk}/graphs",
                              {"name": "digits-cnn", "document": documents.tiny_cnn()}, format="json")
    assert graph.status_code == 201, graph.json()
    token = Token.objects.create(user=owner).key

    def make(epochs: int, **fields) -> tuple[int, str]:
        body = {"graph": graph.json()["id"], "dataset": {"kind": "digits"},
                "config": {**FAST, "epochs": epochs}, **fields}
        response = owner_client.post("/api/runs", body, format="json")
        assert response.status_code == 201, response.json()
        return response.json()["id"], token

    return make


def _forked_warm(run_id: int) -> bool:
    """Did the worker fork this run's job from its zygote (designer/runs/warm.py)?"""
    return RunEvent.objects.filter(run_id=run_id, kind="log",
                                   data__contains="forked from this worker's warm process").exists()


def _ended(run_id: int):
    run = Run.objects.get(pk=run_id)
    return run if run.is_terminal else None


def test_training_on_digits_streams_points_over_sse_and_succeeds(team, launch):
    run_id, token = launch(epochs=2)
    events = read_events(team.url, run_id, token)
    states = [data["state"] for _, kind, data in events if kind == "state"]
    assert states[0] == "queued" and "running" in states and states[-1] == "succeeded", events[-1]
    streamed = [p for _, kind, data in events if kind == "metrics" for p in data["points"]]
    run = Run.objects.get(pk=run_id)
    assert run.state == "succeeded" and run.summary["test_accuracy"] > 0.3
    assert MetricPoint.objects.filter(run=run).count() == len(streamed) > 0
    keys = set(MetricSummary.objects.filter(run=run).values_list("key", flat=True))
    assert {"train/loss", "val/loss", "val/accuracy", "train/lr"} <= keys
    assert (run.run_dir / "checkpoints" / "last.pt").is_file()
    assert Artifact.objects.filter(run=run, name="checkpoints/last.pt", epoch=2).exists()
    ids = [event_id for event_id, _, _ in events]
    assert ids == sorted(ids) == list(RunEvent.objects.filter(run=run).values_list("pk", flat=True))
    # A browser that reconnects with Last-Event-ID gets exactly what came after.
    middle = ids[len(ids) // 2]
    assert [e[0] for e in read_events(team.url, run_id, token, last_id=middle)] == [i for i in ids if i > middle]


def test_a_run_whose_message_was_lost_is_sent_again_by_the_housekeeping_and_trains(team, launch):
    from datetime import timedelta

    from django.utils import timezone

    from designer.runs.tasks import reap_runs

    # A launched run's row, copied without sending its task: what a flushed
    # Redis leaves behind (a queued run no message will ever deliver).
    template = Run.objects.get(pk=launch(epochs=1)[0])
    lost = Run.objects.create(project=template.project, graph_version=template.graph_version,
                              dataset=template.dataset, config=template.config, queue="cpu",
                              created_by=template.created_by, enqueued=timezone.now() - timedelta(hours=1))
    reap_runs.apply_async()  # through the broker, as beat sends it
    run = wait_until(lambda: _ended(lost.pk), timeout=120, what="the lost run to be sent again and end")
    assert run.state == "succeeded", run.error
    assert run.enqueued > timezone.now() - timedelta(minutes=5)
    assert RunEvent.objects.filter(run=run, kind="log", data__contains="sent again").exists()


def test_cancel_mid_run_stops_training_and_keeps_last_checkpoint(team, launch, owner_client):
    run_id, _ = launch(epochs=5000)  # never ends on its own: a warm worker trains 40 epochs in seconds
    wait_until(lambda: MetricPoint.objects.filter(run_id=run_id).exists(), what="first points")
    assert owner_client.post(f"/api/runs/{run_id}/cancel").status_code == 200
    run = wait_until(lambda: _ended(run_id), what="the run to end")
    assert run.state == "cancelled" and run.error == ""
    assert (run.run_dir / "checkpoints" / "last.pt").is_file()
    assert _forked_warm(run_id)
    assert team.worker.proc.poll() is None


def test_killing_the_training_child_fails_the_run_and_spares_the_worker(team, launch):
    run_id, _ = launch(epochs=5000)  # never ends on its own: a warm worker trains 40 epochs in seconds
    wait_until(lambda: MetricPoint.objects.filter(run_id=run_id).exists(), what="first points")
    os.killpg(Run.objects.get(pk=run_id).child_pgid, signal.SIGKILL)
    run = wait_until(lambda: _ended(run_id), what="the run to end")
    assert run.state == "failed"
    assert run.error == "training process was killed by SIGKILL"
    assert _forked_warm(run_id)
    assert team.worker.proc.poll() is None


def test_a_run_whose_worker_is_killed_resumes_from_its_checkpoint_on_another_worker(team, launch):
    # Small batches and epochs to spare: the kill lands mid-run even on a fast machine.
    # last.pt after every epoch, not every 10 s: there is one to resume from before the kill.
    run_id, _ = launch(epochs=60, config={**FAST, "epochs": 60, "batch_size": 16, "checkpoint_seconds": 0})
    wait_until(lambda: Artifact.objects.filter(run_id=run_id, name="checkpoints/last.pt").exists(),
               what="the first epoch's checkpoint")
    child = Run.objects.get(pk=run_id).child_pgid
    team.worker.kill()
    # The job, forked by the worker's zygote, dies with the worker (it saves last.pt first).
    wait_until(lambda: not pid_alive(child), timeout=30, what="the job to end with its worker")
    # The replacement serves the module's later tests too.
    team.worker = start_worker("cpuworker2", team.env, team.base, queues=["cpu"])
    run = wait_until(lambda: _ended(run_id), timeout=180, what="the resumed run to end")
    assert run.state == "succeeded", run.error
    assert run.attempts == 2
    assert RunEvent.objects.filter(run=run, kind="log", data__contains="was lost").exists()
    job = json.loads((run.run_dir / "job.json").read_text())
    assert job["resume_from"] == str(run.run_dir / "checkpoints" / "last.pt")
    assert MetricSummary.objects.get(run=run, key="train/loss").last_step == run.summary["steps"]


def test_evaluating_a_finished_run_on_its_test_split_gives_its_own_test_accuracy(team, launch, owner_client):
    run_id, token = launch(epochs=2)
    trained = wait_until(lambda: _ended(run_id), timeout=180, what="the training run")
    assert trained.state == "succeeded", trained.error
    # Another input shape is refused at launch: nothing is queued for a worker to find.
    refused = owner_client.post("/api/runs", {"kind": "evaluate", "inputs": [run_id], "dataset": {"kind": "moons"}},
                                format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "dataset"
    response = owner_client.post("/api/runs", {"kind": "evaluate", "inputs": [{"run": run_id, "checkpoint": "best"}],
                                               "config": {"latency_repeats": 5}}, format="json")
    assert response.status_code == 201, response.json()
    events = read_events(team.url, response.json()["id"], token)
    evaluation = Run.objects.get(pk=response.json()["id"])
    assert evaluation.state == "succeeded", (evaluation.error, events[-3:])
    assert evaluation.summary["test_accuracy"] == trained.summary["test_accuracy"]
    assert evaluation.summary["latency_b1_ms"] > 0 and evaluation.summary["params"] > 0
    keys = set(MetricSummary.objects.filter(run=evaluation).values_list("key", flat=True))
    assert {"test/accuracy", "test/ece", "model/latency_b64_ms", "model/params"} <= keys
    assert Artifact.objects.filter(run=evaluation, kind="test_calibration").exists()
    assert Run.objects.filter(state="queued").count() == 0
