"""Launching an ensemble: members on the same data accepted, any mismatch refused naming the member."""
from __future__ import annotations

import pytest

from designer.runs.models import Run
from designer.runs.supervisor import job_inputs

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(graph, owner, settings, tmp_path):
    """A factory of succeeded runs of the tiny CNN with best.pt on disk."""
    settings.RUNS_ROOT = tmp_path / "runs"

    def make(dataset=None, checkpoint=True) -> Run:
        run = Run.objects.create(project=graph.project, graph_version=graph.head, created_by=owner,
                                 state="succeeded", dataset=dataset or {"kind": "digits", "options": {}},
                                 config={"epochs": 1})
        if checkpoint:
            run.checkpoint_path("best").parent.mkdir(parents=True, exist_ok=True)
            run.checkpoint_path("best").write_bytes(b"checkpoint")
        return run

    return make


def test_an_ensemble_of_three_runs_is_queued_with_its_members_and_their_graphs(editor_client, member):
    runs = [member(), member(), member({"kind": "digits", "options": {"split_seed": 3}})]
    response = editor_client.post("/api/runs", {"kind": "ensemble", "inputs": [r.pk for r in runs],
                                                "config": {"method": "weighted"}}, format="json")
    assert response.status_code == 201, response.json()
    run = Run.objects.get(pk=response.json()["id"])
    assert [i["run"] for i in run.inputs] == [r.pk for r in runs] and run.config["method"] == "weighted"
    assert [i["graph"] for i in job_inputs(run)] == [r.graph_version.document for r in runs]


@pytest.mark.parametrize("case,field", [("one", "inputs"), ("other classes", "inputs[1].run"),
                                        ("no checkpoint", "inputs[2].checkpoint")])
def test_a_bad_member_is_refused_naming_it_and_nothing_is_written(editor_client, member, case, field):
    runs = {"one": [member()],
            "other classes": [member(), member({"kind": "blobs", "options": {"classes": 10, "n_features": 64}})],
            "no checkpoint": [member(), member(), member(checkpoint=False)]}[case]
    before = Run.objects.count()
    response = editor_client.post("/api/runs", {"kind": "ensemble", "inputs": [r.pk for r in runs]}, format="json")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert Run.objects.count() == before
