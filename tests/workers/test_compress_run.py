"""Compression end to end with a real Celery worker on Redis and PostgreSQL: train the
digits CNN, compress the finished run, and find the new graph version and the report;
then evaluate the compress run (its checkpoint is a normal training checkpoint)."""
from __future__ import annotations

import os

import pytest
from django.conf import settings

from designer.graphs.models import GraphVersion
from designer.runs.models import Artifact, Run
from tests.workers.processes import database_url_for_children, purge_queues, start_worker, wait_until, skip_without_team_services
from workers.engine import load_template

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    skip_without_team_services()
    base = tmp_path_factory.mktemp("compress")
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "NETWEAVE_RUNS_ROOT": str(base / "runs"),
           "OMP_NUM_THREADS": "1"}
    purge_queues(settings.REDIS_URL)
    process = start_worker("compressworker", env, base, queues=["cpu"])
    yield base
    process.stop()


def _launch(client, body) -> int:
    response = client.post("/api/runs", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def _finished(run_id: int) -> Run:
    run = wait_until(lambda: (r := Run.objects.get(pk=run_id)).is_terminal and r, timeout=180,
                     what=f"run {run_id} to end")
    assert run.state == "succeeded", (run.error, run.log_tail[-2000:])
    return run


def test_train_then_compress_gives_a_new_graph_version_and_a_report(worker, settings, owner_client, project):
    settings.RUNS_ROOT = worker / "runs"
    graph = owner_client.post(f"/api/projects/{project.pk}/graphs",
                              {"name": "digits", "document": load_template("digits_cnn")}, format="json")
    assert graph.status_code == 201, graph.json()
    trained = _finished(_launch(owner_client, {
        "graph": graph.json()["id"], "dataset": {"kind": "digits"},
        "config": {"epochs": 2, "batch_size": 64, "optimizer": {"name": "adam", "lr": 0.003}}}))

    compress_id = _launch(owner_client, {"kind": "compress", "inputs": [trained.pk], "name": "half width",
                                         "config": {"structured": {"enabled": True, "amount": 0.5,
                                                                           "finetune_epochs": 1}}})
    compressed = _finished(compress_id)

    versions = GraphVersion.objects.filter(graph_id=graph.json()["id"]).order_by("number")
    assert [v.number for v in versions] == [1, 2]
    new = versions.last()
    assert new.message.startswith(f"Compress run #{compress_id} (half width)") and new.valid
    nodes = {n["id"]: n["params"] for n in new.document["nodes"]}
    assert nodes["conv1"]["out_channels"] == 16 and nodes["fc1"]["out_features"] == 64
    assert compressed.graph_version_id == new.pk
    link = Artifact.objects.get(run=compressed, kind="graph_version").data
    assert link["source_version"] == 1 and link["version"] == 2

    report = Artifact.objects.get(run=compressed, kind="compress_report").data
    assert [r["model"] for r in report["rows"]] == ["source", "pruned"]
    summary = compressed.summary
    assert summary["params"] < summary["source_params"] / 3
    assert summary["source_test_accuracy"] == pytest.approx(trained.summary["test_accuracy"])
    assert (compressed.run_dir / "checkpoints" / "best.pt").is_file()

    # The compress run is an input like any other: evaluate compiles the pruned version.
    evaluated = _finished(_launch(owner_client, {"kind": "evaluate", "inputs": [compress_id]}))
    assert evaluated.graph_version_id == new.pk
    assert evaluated.summary["test_accuracy"] == pytest.approx(summary["test_accuracy"])

    # Distil the trained run (teacher, version 1) into the pruned version 2 (student): the job
    # gets the teacher's own graph with its input, since its weights do not fit the student's.
    student = _finished(_launch(owner_client, {
        "kind": "distill", "graph": graph.json()["id"], "version": 2, "inputs": [trained.pk],
        "config": {"epochs": 1, "batch_size": 64, "temperature": 4.0, "alpha": 0.7}}))
    assert student.graph_version_id == new.pk and student.summary["test_accuracy"] > 0.1
    assert (student.run_dir / "checkpoints" / "best.pt").is_file()
