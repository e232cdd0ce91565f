"""Launching a multi-node run: `nodes` is checked (range, kind, workers serving the queue) before any row exists."""
from __future__ import annotations

import pytest
from django.utils import timezone

from designer.fleet.models import Worker
from designer.runs.models import Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph(project, owner):
    from designer.graphs.services import create_graph
    from tests.api import documents

    return create_graph(project, "tiny", owner, documents.tiny_cnn(), "first")


def _workers(count: int, queue: str = "cpu") -> None:
    now = timezone.now()
    for pid in range(count):
        Worker.objects.create(name=f"{queue}{pid}@box{pid}", host=f"{queue}-box{pid}", pid=pid + 10, queues=[queue],
                              devices={"cpus": 2}, state="running", started=now, heartbeat=now)


def _launch(client, graph, **fields):
    return client.post("/api/runs", {"graph": graph.pk, "dataset": {"kind": "digits"}, **fields}, format="json")


def test_it_refuses_more_nodes_than_workers_serve_the_queue(owner_client, graph):
    _workers(1)
    _workers(3, queue="gpu")  # workers of another queue do not count
    response = _launch(owner_client, graph, nodes=2)
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["field"] == "nodes" and "needs 2 workers of queue 'cpu'" in problem["message"]
    assert "1 serve it now" in problem["message"]
    assert not Run.objects.exists()


@pytest.mark.parametrize("nodes", [0, 65, -1])
def test_it_rejects_nodes_out_of_range(owner_client, graph, nodes):
    response = _launch(owner_client, graph, nodes=nodes)
    assert response.status_code == 400
    assert [p["field"] for p in response.json()["errors"]] == ["nodes"]
    assert not Run.objects.exists()


def test_it_rejects_several_nodes_for_a_kind_that_runs_as_one_process(owner_client, graph):
    _workers(2)
    response = _launch(owner_client, graph, kind="evaluate", nodes=2, inputs=[1])
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["field"] == "nodes" and "one worker" in problem["message"]


def test_it_launches_a_two_node_run_and_a_clone_keeps_its_nodes(owner_client, graph):
    _workers(2)
    response = _launch(owner_client, graph, nodes=2)
    assert response.status_code == 201, response.json()
    assert response.json()["nodes"] == 2
    run = Run.objects.get(pk=response.json()["id"])
    assert run.nodes == 2 and run.state == "queued"
    clone = owner_client.post(f"/api/runs/{run.pk}/clone")
    assert clone.status_code == 201 and clone.json()["nodes"] == 2
