"""Runs API: launch with checks, list, read, tag, cancel, clone, resume — as every role."""
from __future__ import annotations

import pytest

from designer.runs.models import Run, RunEvent
from tests.api import documents

pytestmark = pytest.mark.django_db

ROLES = ("owner", "editor", "viewer", "outsider", "anonymous")
VIEW = {"owner": 200, "editor": 200, "viewer": 200, "outsider": 404, "anonymous": 403}
EDIT = {"owner": 200, "editor": 200, "viewer": 403, "outsider": 404, "anonymous": 403}
CREATE = {**EDIT, "owner": 201, "editor": 201}


@pytest.fixture
def run(graph, owner, settings, tmp_path):
    settings.RUNS_ROOT = tmp_path / "runs"
    return Run.objects.create(project=graph.project, graph_version=graph.head, created_by=owner,
                              dataset={"kind": "digits", "options": {}}, config={"epochs": 1})


def body(graph, **fields):
    return {"graph": graph.pk, "dataset": {"kind": "digits"}, "config": {"epochs": 2}, **fields}


@pytest.mark.parametrize("who", ROLES)
def test_it_lets_editors_launch_runs(clients, graph, who):
    response = clients[who].post("/api/runs", body(graph, tags=["first"]), format="json")
    assert response.status_code == CREATE[who]
    if CREATE[who] != 201:
        assert not Run.objects.exists()
        return
    run = Run.objects.get(pk=response.json()["id"])
    assert (run.state, run.kind, run.graph_version, run.devices, run.queue) == ("queued", "train", graph.head, 1, "cpu")
    # The full validated config is pinned, defaults included, so a clone is exact.
    assert run.config["epochs"] == 2 and run.config["optimizer"]["name"] == "adam"
    assert run.dataset == {"kind": "digits", "options": {}}
    assert (run.created_by.username, run.tags) == (who, ["first"])
    assert RunEvent.objects.filter(run=run, kind="state").count() == 1


def test_it_refuses_a_graph_that_does_not_compile_with_the_node(editor_client, project):
    graph = editor_client.post(f"/api/projects/{project.pk}/graphs",
                               {"name": "broken", "document": documents.shape_broken()}, format="json").json()
    response = editor_client.post("/api/runs", {"graph": graph["id"], "dataset": {"kind": "digits"}}, format="json")
    assert response.status_code == 400
    assert "conv1" in {e["node"] for e in response.json()["errors"]}
    assert not Run.objects.exists()


@pytest.mark.parametrize("change, field", [
    ({"config": {"epochs": 0}}, "config.epochs"),
    ({"config": {"optimizer": {"name": "lbfgs"}}}, "config.optimizer.name"),
    ({"config": {"learning_rate": 1}}, "config.learning_rate"),
    ({"dataset": {"kind": "no-such-set"}}, "dataset.kind"),
    ({"dataset": {"id": 999}}, "dataset.id"),
    ({"devices": 0}, "devices"),
    ({"queue": "tpu"}, "queue"),
    ({"kind": "no-such-kind"}, "kind"),
    ({"kind": 3}, "kind"),
    ({"version": 7}, "version"),
])
def test_it_refuses_bad_launches_naming_the_field(editor_client, graph, change, field):
    response = editor_client.post("/api/runs", {**body(graph), **change}, format="json")
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Run.objects.exists()


def test_it_refuses_a_dataset_that_does_not_fit_the_input(editor_client, graph):
    response = editor_client.post("/api/runs", body(graph, dataset={"kind": "moons"}), format="json")
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["node"] == "x" and "[1, 8, 8]" in problem["message"]


def test_it_lists_runs_by_project_graph_and_state(clients, run, graph, other_project, outsider):
    other_graph = other_project.graphs.create(name="g")
    Run.objects.create(project=other_project, graph_version=graph.head, dataset={}, config={})
    assert [r["id"] for r in clients["viewer"].get("/api/runs").json()["results"]] == [run.pk]
    assert clients["viewer"].get(f"/api/runs?graph={graph.pk}&state=queued").json()["count"] == 1
    assert clients["viewer"].get("/api/runs?state=running").json()["count"] == 0
    assert clients["viewer"].get(f"/api/runs?graph={other_graph.pk}").json()["count"] == 0
    row = clients["viewer"].get(f"/api/runs?project={run.project_id}").json()["results"][0]
    assert (row["graph_name"], row["project_name"]) == ("tiny", "vision")
    assert clients["viewer"].get("/api/runs?state=done").status_code == 400
    assert clients["anonymous"].get("/api/runs").status_code == 403


@pytest.mark.parametrize("who", ROLES)
def test_it_shows_a_run_to_its_projects_members(clients, run, who):
    response = clients[who].get(f"/api/runs/{run.pk}")
    assert response.status_code == VIEW[who]
    if VIEW[who] == 200:
        assert (response.json()["state"], response.json()["version"]) == ("queued", 1)


@pytest.mark.parametrize("who", ROLES)
def test_it_lets_editors_tag_and_annotate(clients, run, who):
    response = clients[who].patch(f"/api/runs/{run.pk}", {"tags": ["best"], "notes": "lr too high"}, format="json")
    assert response.status_code == EDIT[who]
    run.refresh_from_db()
    expected = (["best"], "lr too high") if EDIT[who] == 200 else ([], "")
    assert (run.tags, run.notes) == expected


def test_patch_leaves_everything_else_alone(editor_client, run):
    response = editor_client.patch(f"/api/runs/{run.pk}", {"state": "succeeded", "config": {}}, format="json")
    assert response.status_code == 200
    run.refresh_from_db()
    assert (run.state, run.config) == ("queued", {"epochs": 1})


@pytest.mark.parametrize("who", ROLES)
def test_it_lets_editors_cancel_a_queued_run(clients, run, who):
    response = clients[who].post(f"/api/runs/{run.pk}/cancel")
    assert response.status_code == EDIT[who]
    run.refresh_from_db()
    assert run.state == ("cancelled" if EDIT[who] == 200 else "queued")


def test_cancelling_a_finished_run_is_a_conflict(editor_client, run):
    Run.objects.filter(pk=run.pk).update(state="succeeded")
    assert editor_client.post(f"/api/runs/{run.pk}/cancel").status_code == 409


def test_cancelling_a_running_run_asks_its_worker(editor_client, run):
    Run.objects.filter(pk=run.pk).update(state="running")
    assert editor_client.post(f"/api/runs/{run.pk}/cancel").json()["cancel_requested"] is True
    run.refresh_from_db()
    assert (run.state, run.cancel_requested) == ("running", True)


@pytest.mark.parametrize("who", ROLES)
def test_it_lets_editors_clone_a_run(clients, run, who):
    response = clients[who].post(f"/api/runs/{run.pk}/clone")
    assert response.status_code == CREATE[who]
    if CREATE[who] == 201:
        clone = Run.objects.get(pk=response.json()["id"])
        assert (clone.parent, clone.config, clone.graph_version, clone.state) == (run, run.config, run.graph_version, "queued")
    else:
        assert Run.objects.count() == 1


def test_it_resumes_a_stopped_run_from_its_last_checkpoint(editor_client, run):
    def resumable() -> bool:
        return editor_client.get(f"/api/runs/{run.pk}").json()["resumable"]

    assert editor_client.post(f"/api/runs/{run.pk}/resume").status_code == 409  # queued
    assert not resumable()
    Run.objects.filter(pk=run.pk).update(state="cancelled")
    assert editor_client.post(f"/api/runs/{run.pk}/resume").status_code == 409  # no checkpoint
    assert not resumable()  # the editor offers Resume only when it can work
    run.last_checkpoint.parent.mkdir(parents=True)
    run.last_checkpoint.write_bytes(b"weights")
    assert resumable()
    response = editor_client.post(f"/api/runs/{run.pk}/resume")
    assert response.status_code == 201
    resumed = Run.objects.get(pk=response.json()["id"])
    assert (resumed.parent, resumed.resume_from) == (run, str(run.last_checkpoint))


@pytest.mark.parametrize("who", ROLES)
def test_it_serves_checkpoints_to_members_only(clients, run, who):
    from designer.runs.models import Artifact

    run.last_checkpoint.parent.mkdir(parents=True)
    run.last_checkpoint.write_bytes(b"weights")
    Artifact.objects.create(run=run, kind="checkpoint", name="checkpoints/last.pt", epoch=1)
    listing = clients[who].get(f"/api/runs/{run.pk}/checkpoints")
    download = clients[who].get(f"/api/runs/{run.pk}/checkpoints/last.pt")
    assert (listing.status_code, download.status_code) == (VIEW[who], VIEW[who])
    if VIEW[who] == 200:
        assert listing.json() == [{**listing.json()[0], "name": "checkpoints/last.pt", "size": 7}]
        assert b"".join(download.streaming_content) == b"weights"


def test_it_never_serves_a_checkpoint_outside_the_run_folder(viewer_client, run, tmp_path):
    from designer.runs.models import Artifact

    (tmp_path / "secret").write_text("no")
    Artifact.objects.create(run=run, kind="checkpoint", name="checkpoints/../../../secret")
    assert viewer_client.get(f"/api/runs/{run.pk}/checkpoints/..%2F..%2F..%2Fsecret").status_code == 404
    assert viewer_client.get(f"/api/runs/{run.pk}/checkpoints/best.pt").status_code == 404
