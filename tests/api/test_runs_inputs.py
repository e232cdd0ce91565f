"""Runs that start from other runs (evaluate): inputs checked at launch, nothing written on a refusal."""
from __future__ import annotations

import pytest

from designer.runs.models import Run
from tests.api import documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(graph, owner, settings, tmp_path):
    """A succeeded digits run of the tiny CNN with best.pt and last.pt on disk."""
    settings.RUNS_ROOT = tmp_path / "runs"
    run = Run.objects.create(project=graph.project, graph_version=graph.head, created_by=owner, state="succeeded",
                             dataset={"kind": "digits", "options": {}}, config={"epochs": 1})
    for name in ("best", "last"):
        run.checkpoint_path(name).parent.mkdir(parents=True, exist_ok=True)
        run.checkpoint_path(name).write_bytes(b"checkpoint")
    return run


def evaluate(run, **fields):
    return {"kind": "evaluate", "inputs": [{"run": run.pk, "checkpoint": "best"}], **fields}


def test_an_evaluation_takes_the_source_runs_graph_version_and_dataset(editor_client, finished):
    response = editor_client.post("/api/runs", evaluate(finished, config={"split": "val"}), format="json")
    assert response.status_code == 201, response.json()
    run = Run.objects.get(pk=response.json()["id"])
    assert (run.kind, run.graph_version, run.dataset) == ("evaluate", finished.graph_version, finished.dataset)
    assert run.inputs == [{"run": finished.pk, "checkpoint": "best"}]
    assert run.config["split"] == "val" and run.config["latency_batch_sizes"] == [1, 64]
    assert response.json()["inputs"] == run.inputs


def test_a_dataset_with_the_same_shape_and_classes_is_accepted(editor_client, finished):
    other = {"kind": "digits", "options": {"test_fraction": 0.5}}
    response = editor_client.post("/api/runs", evaluate(finished, dataset=other), format="json")
    assert response.status_code == 201, response.json()


def test_a_dataset_of_another_shape_is_refused_naming_both(editor_client, finished):
    response = editor_client.post("/api/runs", evaluate(finished, dataset={"kind": "moons"}), format="json")
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["field"] == "dataset" and "'moons'" in problem["message"] and "'digits'" in problem["message"]
    assert Run.objects.count() == 1


def _bad(finished, owner, other_project, case):
    unfinished = Run.objects.create(project=finished.project, graph_version=finished.graph_version,
                                    created_by=owner, state="running", dataset=finished.dataset, config={})
    elsewhere = Run.objects.create(project=other_project, graph_version=finished.graph_version,
                                   state="succeeded", dataset=finished.dataset, config={})
    return {
        "none": ([], "inputs"),
        "two": ([finished.pk, finished.pk], "inputs"),
        "missing": ([987654], "inputs[0].run"),
        "running": ([unfinished.pk], "inputs[0].run"),
        "not yours": ([elsewhere.pk], "inputs[0].run"),
        "bad checkpoint": ([{"run": finished.pk, "checkpoint": "epoch3"}], "inputs[0].checkpoint"),
        "not a list": ({"run": finished.pk}, "inputs"),
        "a string": (["5"], "inputs[0].run"),
    }[case]


@pytest.mark.parametrize("case", ["none", "two", "missing", "running", "not yours", "bad checkpoint",
                                  "not a list", "a string"])
def test_bad_inputs_are_refused_naming_the_field_and_nothing_is_written(editor_client, finished, owner,
                                                                        other_project, graph, case):
    inputs, field = _bad(finished, owner, other_project, case)
    before = Run.objects.count()
    response = editor_client.post("/api/runs", {"graph": graph.pk, "kind": "evaluate", "inputs": inputs},
                                  format="json")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Run.objects.count() == before


def test_a_missing_checkpoint_is_refused_and_the_other_one_suggested(editor_client, finished):
    finished.checkpoint_path("best").unlink()
    response = editor_client.post("/api/runs", evaluate(finished), format="json")
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["field"] == "inputs[0].checkpoint" and "use 'last'" in problem["message"]


@pytest.mark.parametrize("config, field", [
    ({"epochs": 2}, "config.epochs"),  # a training field given to evaluate
    ({"split": "holdout"}, "config.split"),
    ([1], "config"),
])
def test_a_config_for_another_kind_is_refused(editor_client, finished, config, field):
    response = editor_client.post("/api/runs", evaluate(finished, config=config), format="json")
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Run.objects.count() == 1


def test_evaluate_runs_in_one_process(editor_client, finished):
    response = editor_client.post("/api/runs", evaluate(finished, devices=2), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "devices"


def test_viewers_cannot_evaluate_and_outsiders_do_not_see_the_run(viewer_client, outsider_client, finished):
    assert viewer_client.post("/api/runs", evaluate(finished), format="json").status_code == 403
    assert outsider_client.post("/api/runs", evaluate(finished), format="json").status_code == 404
    assert Run.objects.count() == 1


def test_a_classifier_whose_outputs_do_not_match_the_classes_is_refused_before_queueing(editor_client, project):
    graph = editor_client.post(f"/api/projects/{project.pk}/graphs",
                               {"name": "three", "document": documents.tiny_cnn(classes=3)}, format="json").json()
    response = editor_client.post("/api/runs", {"graph": graph["id"], "dataset": {"kind": "digits"}}, format="json")
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert "has 10 classes: end with 10 outputs" in problem["message"] and problem["node"]
    assert not Run.objects.exists()


def test_evaluations_cannot_be_resumed(editor_client, finished, owner):
    run = Run.objects.create(project=finished.project, graph_version=finished.graph_version, kind="evaluate",
                             created_by=owner, state="failed", dataset=finished.dataset, config={})
    run.set_inputs([{"run": finished.pk, "checkpoint": "best"}])
    response = editor_client.post(f"/api/runs/{run.pk}/resume")
    assert response.status_code == 409 and "cannot be resumed" in response.json()["detail"]


def test_a_run_lists_the_jobs_that_started_from_it(editor_client, viewer_client, finished, graph):
    evaluation = editor_client.post("/api/runs", evaluate(finished), format="json").json()
    editor_client.post("/api/runs", {"graph": graph.pk, "dataset": {"kind": "digits"}}, format="json")
    listed = viewer_client.get(f"/api/runs?input={finished.pk}").json()["results"]
    assert [r["id"] for r in listed] == [evaluation["id"]]
    assert listed[0]["inputs"] == [{"run": finished.pk, "checkpoint": "best"}]
    assert viewer_client.get(f"/api/runs?input={evaluation['id']}").json()["results"] == []


def test_a_clone_of_an_evaluation_keeps_its_inputs(editor_client, finished):
    evaluation = editor_client.post("/api/runs", evaluate(finished), format="json").json()
    clone = editor_client.post(f"/api/runs/{evaluation['id']}/clone").json()
    assert clone["kind"] == "evaluate" and clone["inputs"] == evaluation["inputs"] and clone["parent"] == evaluation["id"]


def test_a_run_that_leaves_no_checkpoint_cannot_be_an_input(editor_client, finished, owner):
    evaluation = Run.objects.create(project=finished.project, graph_version=finished.graph_version, kind="evaluate",
                                    created_by=owner, state="succeeded", dataset=finished.dataset, config={})
    response = editor_client.post("/api/runs", evaluate(evaluation), format="json")
    assert response.status_code == 400
    assert "leaves no model checkpoint" in response.json()["errors"][0]["message"]


def _gpu_worker(gpus: int):
    from django.utils import timezone

    from designer.fleet.models import Worker

    now = timezone.now()
    devices = {"cpus": 8, "memory_mb": 64000, "gpus": [{"index": i, "uuid": f"GPU-{i}", "name": "NVIDIA H200"}
                                                       for i in range(gpus)]}
    Worker.objects.create(name="gpu@box", host="box", pid=7, queues=["gpu"], devices=devices, state="running",
                          started=now, heartbeat=now)


@pytest.mark.parametrize("fields", [{"queue": "gpu"}, {"config": {"device": "cuda"}}])
def test_a_run_that_needs_a_gpu_is_refused_while_no_worker_has_one(editor_client, graph, fields):
    response = editor_client.post("/api/runs", {"graph": graph.pk, "dataset": {"kind": "digits"}, **fields},
                                  format="json")
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem["field"] == "queue" and "none has a GPU" in problem["message"]
    assert not Run.objects.exists()


def test_a_gpu_run_is_accepted_when_a_worker_on_its_queue_has_the_gpus(editor_client, graph):
    _gpu_worker(gpus=1)
    body = {"graph": graph.pk, "dataset": {"kind": "digits"}, "queue": "gpu"}
    assert editor_client.post("/api/runs", body, format="json").status_code == 201
    too_many = editor_client.post("/api/runs", {**body, "devices": 2}, format="json")
    assert too_many.status_code == 400 and "the most any has is 1" in too_many.json()["errors"][0]["message"]
