"""GET /api/projects/<id>/runs-table (and .csv) and /api/runs/<id>/insights."""
from __future__ import annotations

import csv
import io

import pytest

from tests.api.dashboards_fixtures import add_points, make_run

pytestmark = pytest.mark.django_db


def table(client, project, query: str = "") -> dict:
    response = client.get(f"/api/projects/{project.pk}/runs-table?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_summary_stays_right_as_points_arrive(graph, owner, owner_client, project):
    run = make_run(graph.head, owner, state="running")
    seen: list[float] = []
    for batch in ([0.5, 0.6, 0.55], [0.8, 0.7], [0.65], [0.9, 0.4]):
        add_points(run, "val/accuracy", batch, start=len(seen))
        seen += batch
        row = table(owner_client, project)["rows"][0]
        assert row["best"]["val/accuracy"] == max(seen)
        assert row["last"]["val/accuracy"] == seen[-1]
    add_points(run, "train/loss", [3.0, 1.0, 2.0])
    body = table(owner_client, project)
    assert body["rows"][0]["best"]["train/loss"] == 1.0
    assert body["metrics"] == [{"key": "val/accuracy", "goal": "max"}, {"key": "train/loss", "goal": "min"}]


def test_it_sorts_by_a_metric_filters_and_searches(graph, owner, owner_client, project):
    runs = [make_run(graph.head, owner, lr=lr, name=f"r{i}", tags=tags)
            for i, (lr, tags) in enumerate([(0.1, ["cnn"]), (0.01, ["cnn-small"]), (0.001, [])])]
    for run, accuracy in zip(runs, (0.7, 0.9, 0.8)):
        add_points(run, "val/accuracy", [accuracy])
    make_run(graph.head, owner, state="failed", name="broken", started=None)

    by_accuracy = table(owner_client, project, "sort=-best:val/accuracy&state=succeeded")
    assert [r["name"] for r in by_accuracy["rows"]] == ["r1", "r2", "r0"]
    assert by_accuracy["count"] == 3 and by_accuracy["hparams"][:2] == ["optimizer.name", "optimizer.lr"]
    assert [r["hp"]["optimizer.lr"] for r in by_accuracy["rows"]] == [0.01, 0.001, 0.1]
    assert [r["name"] for r in table(owner_client, project, "sort=hp:optimizer.lr&state=succeeded")["rows"]] == \
        ["r2", "r1", "r0"]
    assert [r["name"] for r in table(owner_client, project, "tag=cnn")["rows"]] == ["r0"]
    assert [r["name"] for r in table(owner_client, project, "q=broken")["rows"]] == ["broken"]
    # A failed run that never started has no duration: it sorts last either way.
    assert table(owner_client, project, "sort=-duration")["rows"][-1]["name"] == "broken"
    page = table(owner_client, project, "sort=name&limit=2&offset=1")
    assert page["count"] == 4 and [r["name"] for r in page["rows"]] == ["r0", "r1"]
    assert page["rows"][0]["duration"] == pytest.approx(90, abs=1)


def test_rows_name_an_uploaded_dataset_and_give_queue_and_devices(graph, owner, owner_client, project):
    from designer.datasets.models import Dataset

    upload = Dataset.objects.create(project=project, name="iris measurements", kind="csv", file="x.csv", size=1)
    make_run(graph.head, owner, dataset=upload.spec(), queue="gpu", devices=2)
    make_run(graph.head, owner)
    rows = table(owner_client, project, "sort=id")["rows"]
    assert [(r["dataset"], r["queue"], r["devices"]) for r in rows] == [("iris measurements", "gpu", 2),
                                                                         ("digits", "cpu", 1)]


@pytest.mark.parametrize("query, field", [("sort=loss", "sort"), ("state=done", "state"), ("limit=0", "limit"),
                                          ("limit=5001", "limit"), ("sort=hp:a;drop", "sort")])
def test_it_refuses_bad_table_queries(owner_client, project, query, field):
    response = owner_client.get(f"/api/projects/{project.pk}/runs-table?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("who, status", [("owner", 200), ("viewer", 200), ("outsider", 404), ("anonymous", 403)])
def test_who_may_read_the_table_and_insights(graph, owner, clients, project, who, status):
    run = make_run(graph.head, owner)
    assert clients[who].get(f"/api/projects/{project.pk}/runs-table").status_code == status
    assert clients[who].get(f"/api/projects/{project.pk}/runs.csv").status_code == status
    assert clients[who].get(f"/api/runs/{run.pk}/insights").status_code == status


def test_viewers_cannot_edit_tags_but_editors_can(graph, owner, clients):
    run = make_run(graph.head, owner)
    assert clients["viewer"].patch(f"/api/runs/{run.pk}", {"tags": ["x"]}, format="json").status_code == 403
    assert clients["editor"].patch(f"/api/runs/{run.pk}", {"tags": ["best"], "notes": "keep"},
                                   format="json").status_code == 200
    run.refresh_from_db()
    assert (run.tags, run.notes) == (["best"], "keep")


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_exports_the_table(graph, owner, owner_client, project):
    first, second = make_run(graph.head, owner, lr=0.1, name="a"), make_run(graph.head, owner, lr=0.2, name="b")
    add_points(first, "val/accuracy", [0.5, 0.75])
    add_points(second, "train/loss", [2.0, 1.0, 1.5])

    rows = read_csv(owner_client.get(f"/api/projects/{project.pk}/runs.csv?sort=name"))
    header = rows[0]
    assert header[:3] == ["id", "name", "state"] and "optimizer.lr" in header
    assert [r[1] for r in rows[1:]] == ["a", "b"]
    assert rows[1][header.index("best:val/accuracy")] == "0.75"
    assert rows[2][header.index("last:train/loss")] == "1.5" and rows[1][header.index("last:train/loss")] == ""


def test_insights_show_the_matrix_per_class_scores_system_metrics_and_model(graph, owner, owner_client):
    from designer.runs.models import Artifact

    run = make_run(graph.head, owner)
    Artifact.objects.create(run=run, kind="confusion_matrix", name="confusion_matrix/10", step=10, data=[[1, 0], [0, 1]])
    Artifact.objects.create(run=run, kind="test_confusion_matrix", name="test_confusion_matrix/20", step=20,
                            data=[[5, 1], [2, 4]])
    Artifact.objects.create(run=run, kind="test_per_class", name="test_per_class/20", step=20,
                            data={"labels": ["0", "1"], "precision": [0.7, 0.8], "recall": [0.8, 0.7],
                                  "f1": [0.75, 0.75], "support": [6, 6]})
    add_points(run, "system/cpu_percent", [30.0, 50.0])

    body = owner_client.get(f"/api/runs/{run.pk}/insights").json()

    assert body["confusion_matrix"] == {"kind": "test_confusion_matrix", "step": 20, "data": [[5, 1], [2, 4]],
                                        "labels": ["0", "1"]}
    assert body["per_class"]["data"]["f1"] == [0.75, 0.75]
    assert [(s["key"], s["latest"], s["maximum"]) for s in body["system"]] == [("system/cpu_percent", 50.0, 50.0)]
    nodes = {n["id"]: n for n in body["model"]["nodes"]}
    assert nodes["conv1"]["params"] == 1 * 4 * 9 + 4 and nodes["conv1"]["output"] == [None, 4, 8, 8]
    assert body["model"]["totals"]["params"] == 40 + (4 * 64 * 10 + 10)


def test_insights_of_a_run_without_artifacts_or_a_valid_graph_still_answer(project, owner, owner_client):
    from designer.graphs.models import Graph, GraphVersion

    graph = Graph.objects.create(project=project, name="old")
    version = GraphVersion.objects.create(graph=graph, number=1, document={"schema": "netweave.graph/0"})
    run = make_run(version, owner)

    body = owner_client.get(f"/api/runs/{run.pk}/insights").json()

    assert body["confusion_matrix"] is None and body["per_class"] is None and body["checkpoints"] == []
    assert body["model"]["ok"] is False and body["model"]["errors"][0]["message"]


def test_insights_read_every_kind_of_artifact_in_the_same_few_queries(graph, owner, owner_client,
                                                                      django_assert_max_num_queries):
    from designer.runs.models import Artifact

    run = make_run(graph.head, owner)

    def queries() -> int:
        with django_assert_max_num_queries(100) as captured:
            assert owner_client.get(f"/api/runs/{run.pk}/insights").status_code == 200
        return len(captured)

    none = queries()
    for step in (1, 2):  # every kind, twice, an older one without data
        for kind in ("val_confusion_matrix", "val_per_class", "val_calibration", "samples", "ensemble",
                     "compress_report", "graph_version", "test_confusion_matrix"):
            Artifact.objects.create(run=run, kind=kind, name=f"{kind}/{step}", step=step,
                                    data=None if step == 1 else {"labels": ["a"], "step": step})
    assert queries() == none + 1  # the artifacts' data: one more query, however many kinds
    body = owner_client.get(f"/api/runs/{run.pk}/insights").json()
    assert body["confusion_matrix"]["kind"] == "test_confusion_matrix"  # the test set's wins
    assert body["confusion_matrix"]["step"] == 2 and body["per_class"]["data"]["step"] == 2
    assert [image["kind"] for image in body["images"]] == ["samples"]
    assert body["calibration"]["kind"] == "val_calibration" and body["ensemble"]["step"] == 2


def test_the_model_summary_is_computed_once_per_document(graph, owner, owner_client, monkeypatch):
    from designer.dashboards import insights

    calls = []
    validate = insights.validation_report
    monkeypatch.setattr(insights, "validation_report", lambda document: calls.append(1) or validate(document))
    monkeypatch.setattr(insights, "_summaries", type(insights._summaries)())
    runs = [make_run(graph.head, owner), make_run(graph.head, owner)]  # the same version
    answers = [owner_client.get(f"/api/runs/{run.pk}/insights").json()["model"] for run in runs * 2]
    assert len(calls) == 1
    assert all(answer == answers[0] for answer in answers) and answers[0]["totals"]["params"] > 0
