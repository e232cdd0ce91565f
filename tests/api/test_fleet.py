"""GET /api/fleet: workers as they announced themselves, their jobs, the queues in order."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from designer.fleet.models import Worker
from designer.fleet.services import workers_serving
from designer.runs.models import Run, RunNode

pytestmark = pytest.mark.django_db

CPUS = {"cpus": 16, "memory_mb": 64000, "gpus": []}
GPUS = {"cpus": 32, "memory_mb": 256000, "gpus": [
    {"index": 0, "uuid": "GPU-a", "name": "NVIDIA H200", "memory_mb": 143771, "memory_used_mb": 0,
     "utilization_percent": 0}]}


def announce(name, pid, queues, devices=CPUS, seconds_ago=0, state="running"):
    when = timezone.now() - timedelta(seconds=seconds_ago)
    return Worker.objects.create(name=name, host=name.split("@")[1], pid=pid, queues=queues, devices=devices,
                                 state=state, started=when, heartbeat=when)


def make_run(graph, project, **fields):
    return Run.objects.create(project=project, graph_version=graph.head, created_by=project.owner, **fields)


def test_it_lists_workers_with_their_jobs_and_states(owner_client, graph, project):
    announce("cpu@a", 10, ["cpu"])
    announce("cpu@b", 20, ["cpu"])
    announce("gpu@c", 30, ["gpu"], devices=GPUS, seconds_ago=300)
    announce("cpu@d", 40, ["cpu"], state="stopped")
    run = make_run(graph, project, state="running", worker_hostname="b", worker_pid=20, name="wide")
    body = owner_client.get("/api/fleet").json()
    workers = {w["name"]: w for w in body["workers"]}
    assert {name: w["state"] for name, w in workers.items()} == {
        "cpu@a": "idle", "cpu@b": "busy", "gpu@c": "lost", "cpu@d": "stopped"}
    [busy_job] = workers["cpu@b"]["jobs"]
    assert (busy_job["id"], busy_job["name"], busy_job["project"]["name"]) == (run.pk, "wide", "vision")
    assert workers["gpu@c"]["devices"]["gpus"][0]["name"] == "NVIDIA H200"
    assert workers["cpu@a"]["queues"] == ["cpu"] and workers["cpu@a"]["jobs"] == []


def test_every_worker_of_a_multi_node_run_shows_it_as_its_job(owner_client, graph, project):
    announce("cpu@a", 10, ["cpu"])
    announce("cpu@b", 20, ["cpu"])
    run = make_run(graph, project, state="running", nodes=2, worker_hostname="a", worker_pid=10)
    now = timezone.now()
    RunNode.objects.create(run=run, host="a", pid=10, rank=0, endpoint="a:29500", heartbeat=now)
    RunNode.objects.create(run=run, host="b", pid=20, rank=1, heartbeat=now)
    workers = {w["name"]: w for w in owner_client.get("/api/fleet").json()["workers"]}
    assert [j["id"] for j in workers["cpu@a"]["jobs"]] == [run.pk]  # node 0 holds it, once
    assert [j["id"] for j in workers["cpu@b"]["jobs"]] == [run.pk]
    assert workers["cpu@b"]["state"] == "busy"


def test_queued_runs_come_in_the_order_a_worker_takes_them(owner_client, graph, project):
    first = make_run(graph, project, queue="cpu")
    second = make_run(graph, project, queue="cpu")
    on_gpu = make_run(graph, project, queue="gpu")
    announce("cpu@a", 10, ["cpu"])
    queues = {q["name"]: q for q in owner_client.get("/api/fleet").json()["queues"]}
    assert [r["id"] for r in queues["cpu"]["queued"]] == [first.pk, second.pk]
    assert [r["id"] for r in queues["gpu"]["queued"]] == [on_gpu.pk]
    assert (queues["cpu"]["workers"], queues["gpu"]["workers"]) == (1, 0)


def test_it_counts_the_messages_waiting_in_the_broker(owner_client, settings):
    if not settings.REDIS_URL:
        pytest.skip("counts a Redis queue")
    import redis

    from designer.celery import app

    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete("gpu")
    try:
        for run_id in (1, 2):
            app.send_task("netweave.execute_run", (run_id,), queue="gpu")
        queues = {q["name"]: q for q in owner_client.get("/api/fleet").json()["queues"]}
        assert queues["gpu"]["messages"] == 2
    finally:
        broker.delete("gpu")


def test_runs_of_projects_a_person_cannot_see_stay_anonymous(outsider_client, graph, project):
    make_run(graph, project, state="running", worker_hostname="a", worker_pid=10, name="secret")
    make_run(graph, project, queue="cpu", name="secret too")
    announce("cpu@a", 10, ["cpu"])
    body = outsider_client.get("/api/fleet").json()
    [job] = body["workers"][0]["jobs"]
    [waiting] = next(q for q in body["queues"] if q["name"] == "cpu")["queued"]
    for shown in (job, waiting):
        assert shown["hidden"] is True and shown["id"] is None and "name" not in shown


def test_it_needs_a_login(anon_client):
    assert anon_client.get("/api/fleet").status_code in (401, 403)


def test_workers_serving_a_queue_are_the_live_ones_consuming_it():
    announce("gpu@a", 10, ["gpu"], devices=GPUS)
    announce("gpu@b", 11, ["gpu"], devices=GPUS, seconds_ago=300)
    announce("gpu@c", 12, ["gpu"], state="stopped")
    announce("cpu@d", 13, ["cpu"])
    assert [w.name for w in workers_serving("gpu")] == ["gpu@a"]
    assert [w.name for w in workers_serving("cpu")] == ["cpu@d"]


def test_a_launch_carries_its_priority_and_a_clone_keeps_it(editor_client, graph):
    body = {"graph": graph.pk, "dataset": {"kind": "digits"}, "config": {"epochs": 1}, "priority": 7}
    launched = editor_client.post("/api/runs", body, format="json")
    assert launched.status_code == 201 and launched.json()["priority"] == 7
    clone = editor_client.post(f"/api/runs/{launched.json()['id']}/clone").json()
    assert Run.objects.get(pk=clone["id"]).priority == 7
    too_high = editor_client.post("/api/runs", {**body, "priority": 1000}, format="json")
    assert too_high.status_code == 400
    assert [e["field"] for e in too_high.json()["errors"]] == ["priority"]
