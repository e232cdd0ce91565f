"""The fleet with real workers: two Celery workers announce themselves, run two jobs in parallel,
and the fleet endpoint shows both, each on its worker; cancel from there ends them."""
from __future__ import annotations

import os

import pytest
from django.conf import settings

from designer.fleet.models import Worker
from designer.runs.models import Run, RunEvent
from tests.api import documents
from tests.workers.processes import database_url_for_children, start_worker, wait_until, skip_without_team_services
from workers import threads

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_workers(tmp_path):
    skip_without_team_services()
    import redis

    redis.Redis.from_url(settings.REDIS_URL).delete("cpu", "gpu", "unacked", "unacked_index")
    # No OMP_NUM_THREADS: each job gets its share of the cores from its worker (workers/threads.py).
    env = {**{k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}, "DATABASE_URL": database_url_for_children(),
           "NETWEAVE_RUNS_ROOT": str(tmp_path / "runs"), "NETWEAVE_FLEET_HEARTBEAT": "0.5",
           "NETWEAVE_HEARTBEAT_SECONDS": "0.5"}
    settings.RUNS_ROOT = tmp_path / "runs"
    workers = [start_worker(f"fleet{i}", env, tmp_path, queues=["cpu"], wait=False) for i in (1, 2)]
    for worker in workers:
        worker.wait_for_output(" ready.")
    yield workers
    for worker in workers:
        worker.stop()


def fleet(client) -> dict:
    response = client.get("/api/fleet")
    assert response.status_code == 200
    return response.json()


def test_two_workers_run_two_jobs_in_parallel_and_the_fleet_shows_both(two_workers, owner_client, project):
    graph = owner_client.post(f"/api/projects/{project.pk}/graphs",
                              {"name": "digits-cnn", "document": documents.tiny_cnn()}, format="json").json()
    body = {"graph": graph["id"], "dataset": {"kind": "digits"},
            # Long enough never to end on its own: a warm worker trains 40 epochs in seconds; the test cancels.
            "config": {"epochs": 5000, "batch_size": 16, "system_every_s": 1.0}}
    wait_until(lambda: Worker.objects.filter(name__startswith="fleet", state="running").count() == 2, timeout=60,
               what="both workers announced")
    runs = [owner_client.post("/api/runs", body, format="json").json()["id"] for _ in range(2)]
    wait_until(lambda: Run.objects.filter(pk__in=runs, state="running").count() == 2, timeout=120,
               what="both runs to be running")
    # Two jobs on this machine: each trains on half its cores, not on all of them. The first to start
    # had them all, and is told its new share (in the run folder, which the job reads between steps).
    half = max(1, threads.cores() // 2)
    share = f"{half} torch threads"
    wait_until(lambda: all(RunEvent.objects.filter(run_id=run, kind="log", data__contains=share).exists()
                           for run in runs), timeout=30, what=f"each job's log to say '{share}'")
    assert all((Run.objects.get(pk=run).run_dir / threads.SHARE_FILE).read_text() == str(half) for run in runs)

    def ours_busy():
        ours = [w for w in fleet(owner_client)["workers"] if w["name"].startswith("fleet")]
        return ours if sorted(w["name"].split("@")[0] for w in ours if w["jobs"]) == ["fleet1", "fleet2"] else None

    # Each worker's next announcement (every 0.5 s here) shows it; give a loaded machine time.
    ours = wait_until(ours_busy, timeout=60, what="both workers busy on the fleet")
    # Each announced itself from its first beat: none used the pool its process inherited.
    assert not [w.name for w in two_workers if "could not announce itself" in w.output()]
    assert all(w["state"] == "busy" and w["queues"] == ["cpu"] and w["devices"]["cpus"] >= 1
               and w["devices"]["machine"] == threads.machine() for w in ours)
    assert sorted(job["id"] for w in ours for job in w["jobs"]) == sorted(runs)
    assert all(len(w["jobs"]) == 1 for w in ours)
    # Cancel from the fleet: the page calls the run's cancel for the job it shows.
    for w in ours:
        assert owner_client.post(f"/api/runs/{w['jobs'][0]['id']}/cancel").status_code == 200
    wait_until(lambda: Run.objects.filter(pk__in=runs, state="cancelled").count() == 2, what="both cancelled")
    wait_until(lambda: all(w["state"] == "idle" for w in fleet(owner_client)["workers"]
                           if w["name"].startswith("fleet")), what="both idle again")
    two_workers[0].stop()
    assert Worker.objects.get(name__startswith="fleet1").state == "stopped"
