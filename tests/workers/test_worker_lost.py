"""kill -9 of a real Celery worker mid-run: the run is sent again by the
housekeeping (not after Redis' hour-long visibility timeout), resumes from
its checkpoint on the other worker and trains again within 30 s; every
point is stored once."""
from __future__ import annotations

import json
import time

import psutil
import pytest
from django.db.models import Count

from designer.runs.models import Artifact, MetricPoint, MetricSummary, Run, RunEvent
from tests.api import documents
from tests.workers.processes import purge_queues, start_beat, start_worker, wait_until, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RESUMED_WITHIN = 30.0


@pytest.fixture
def fleet(django_db_setup, tmp_path, settings):
    settings.RUNS_ROOT = tmp_path / "runs"
    # The broker's own redelivery stays at its default (an hour): only the housekeeping can bring the run back.
    env = worker_env(settings.RUNS_ROOT, NETWEAVE_HEARTBEAT_SECONDS="0.5", NETWEAVE_HOUSEKEEPING_SECONDS="1")
    env.pop("CELERY_VISIBILITY_TIMEOUT", None)
    purge_queues(settings.REDIS_URL)
    workers = [start_worker(f"lost{i}", env, tmp_path, queues=["cpu"], wait=False) for i in range(2)]
    beat = start_beat(env, tmp_path)
    for worker in workers:
        worker.wait_for_output(" ready.")
    yield workers
    for process in (beat, *workers):
        process.stop()
    purge_queues(settings.REDIS_URL)


def _holder(workers, run: Run):
    """The worker whose pool process holds the run."""
    for worker in workers:
        if run.worker_pid in {c.pid for c in psutil.Process(worker.proc.pid).children(recursive=True)}:
            return worker
    raise AssertionError(f"no worker holds pid {run.worker_pid}")


def test_a_killed_workers_run_trains_again_within_seconds(fleet, owner_client, project):
    graph = owner_client.post(f"/api/projects/{project.pk}/graphs",
                              {"name": "digits-cnn", "document": documents.tiny_cnn()}, format="json").json()
    body = {"graph": graph["id"], "dataset": {"kind": "digits"},
            # 60 epochs (several seconds on a warm worker): the kill lands mid-run.
            "config": {"epochs": 60, "batch_size": 16, "system_every_s": 1.0,
                       "checkpoint_seconds": 0}}  # last.pt each epoch: one to resume from soon
    run_id = owner_client.post("/api/runs", body, format="json").json()["id"]
    wait_until(lambda: Artifact.objects.filter(run_id=run_id, name="checkpoints/last.pt").exists(),
               timeout=180, what="the first epoch's checkpoint")
    killed_at = time.time()
    _holder(fleet, Run.objects.get(pk=run_id)).kill()

    def training_again():
        run = Run.objects.get(pk=run_id)
        return run.attempts == 2 and MetricPoint.objects.filter(run_id=run_id, time__gt=killed_at).exists()

    wait_until(training_again, timeout=RESUMED_WITHIN, what=f"training again within {RESUMED_WITHIN:.0f} s")
    print(f"training again {time.time() - killed_at:.1f} s after the kill")
    run = wait_until(lambda: (r := Run.objects.get(pk=run_id)).is_terminal and r, timeout=180,
                     what="the resumed run to end")
    assert run.state == "succeeded", run.error
    assert run.attempts == 2
    assert RunEvent.objects.filter(run=run, kind="log", data__contains="sent again").exists()
    job = json.loads((run.run_dir / "job.json").read_text())
    assert job["resume_from"] == str(run.run_dir / "checkpoints" / "last.pt")
    # Each step once, and counted once: the resumed child sent again the steps since its checkpoint.
    assert not MetricPoint.objects.filter(run=run).values("key", "step").annotate(n=Count("id")).filter(n__gt=1)
    loss = MetricSummary.objects.get(run=run, key="train/loss")
    assert loss.count == MetricPoint.objects.filter(run=run, key="train/loss").count()
    assert loss.last_step == run.summary["steps"]
