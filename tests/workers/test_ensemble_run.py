"""An ensemble end to end: two digits runs of different graphs trained by a real worker, then combined."""
from __future__ import annotations

import pytest

from designer.runs.models import Artifact, MetricSummary, Run
from tests.api import documents
from tests.workers.processes import wait_until
from tests.workers.test_team_mode import launch, team  # noqa: F401 - the real worker and web

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _ended(run_id: int):
    run = Run.objects.get(pk=run_id)
    return run if run.is_terminal else None


def test_two_trained_runs_become_one_ensemble_run_with_its_members_and_exports(team, launch, owner_client, project):  # noqa: F811
    wider = owner_client.post(f"/api/projects/{project.pk}/graphs",
                              {"name": "wider-cnn", "document": documents.tiny_cnn(width=8)}, format="json")
    first, _ = launch(epochs=2)
    second, _ = launch(epochs=2, graph=wider.json()["id"], config={"batch_size": 128, "epochs": 2, "seed": 1})
    members = [wait_until(lambda r=r: _ended(r), timeout=180, what=f"run {r}") for r in (first, second)]
    assert [m.state for m in members] == ["succeeded", "succeeded"], [m.error for m in members]
    response = owner_client.post("/api/runs", {"kind": "ensemble", "inputs": [first, second]}, format="json")
    assert response.status_code == 201, response.json()
    run = wait_until(lambda: _ended(response.json()["id"]), timeout=180, what="the ensemble run")
    assert run.state == "succeeded", run.error
    assert run.graph_version == members[0].graph_version and [i["run"] for i in run.inputs] == [first, second]
    for m in members:  # each member's figure, measured again on the same test split
        assert run.summary[f"member_run{m.pk}_test_accuracy"] == pytest.approx(m.summary["test_accuracy"])
    assert MetricSummary.objects.filter(run=run, key="test/accuracy").exists()
    listed = Artifact.objects.get(run=run, kind="ensemble").data
    assert [m["run"] for m in listed["members"]] == [first, second]
    files = set(Artifact.objects.filter(run=run, kind="checkpoint").values_list("name", flat=True))
    assert "checkpoints/ensemble.onnx" in files and (run.run_dir / "checkpoints" / "ensemble.py").is_file()
    download = owner_client.get(f"/api/runs/{run.pk}/checkpoints/ensemble.py")
    assert download.status_code == 200 and b"def build()" in b"".join(download.streaming_content)
