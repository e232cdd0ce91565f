"""A graph a job produced (outputs/graph.json) becomes a version of its source graph when the
run succeeds; one that cannot be saved fails the run and leaves no version behind."""
from __future__ import annotations

import json

import pytest

from designer.graphs.models import GraphVersion
from designer.runs import outputs
from designer.runs.models import Artifact, Run
from tests.api import documents

pytestmark = pytest.mark.django_db


def _write(run, document) -> None:
    (run.run_dir / "outputs").mkdir(parents=True, exist_ok=True)
    (run.run_dir / outputs.GRAPH_FILE).write_text(json.dumps(document))


def test_a_produced_graph_becomes_a_version_the_run_points_at(make_run, version):
    run = make_run(kind="compress", name="narrow")
    _write(run, documents.tiny_cnn(width=2))
    assert outputs.publish(run) == ""
    new = GraphVersion.objects.get(graph=version.graph, number=2)
    assert new.message == f"Compress run #{run.pk} (narrow): the graph of its model"
    assert Run.objects.get(pk=run.pk).graph_version_id == new.pk
    link = Artifact.objects.get(run=run, kind="graph_version").data
    assert (link["version"], link["source_version"]) == (2, 1)


def test_a_run_without_a_produced_graph_changes_nothing(make_run, version):
    run = make_run(kind="evaluate")
    assert outputs.publish(run) == ""
    assert GraphVersion.objects.filter(graph=version.graph).count() == 1


@pytest.mark.parametrize("content", ["{not json", json.dumps({"schema": "netweave.graph/1", "nodes": "x"})])
def test_a_graph_that_cannot_be_saved_is_an_error_and_no_version(make_run, version, content):
    run = make_run(kind="compress")
    (run.run_dir / "outputs").mkdir(parents=True, exist_ok=True)
    (run.run_dir / outputs.GRAPH_FILE).write_text(content)
    error = outputs.publish(run)
    assert error.startswith(("the job's outputs/graph.json cannot be read", "the produced graph cannot be saved"))
    assert GraphVersion.objects.filter(graph=version.graph).count() == 1
    assert Run.objects.get(pk=run.pk).graph_version_id == version.pk
    assert not Artifact.objects.filter(run=run, kind="graph_version").exists()
