"""GET /api/compare: many runs' downsampled series in one request, differing hyperparameters, graph diff."""
from __future__ import annotations

import pytest

from tests.api import documents
from tests.api.dashboards_fixtures import add_points, loss_curve, make_run

pytestmark = pytest.mark.django_db


def test_downsampling_keeps_the_spike_and_both_ends(graph, owner, owner_client):
    run = make_run(graph.head, owner)
    values = loss_curve(10_000)
    values[4321] = 100.0
    add_points(run, "train/loss", values)

    body = owner_client.get(f"/api/compare?runs={run.pk}&keys=train/loss&points=400").json()

    line = body["runs"][0]["series"][0]
    assert line["key"] == "train/loss" and line["count"] == 10_000
    assert len(line["step"]) <= 400 * 1.1
    assert line["step"][0] == 0 and line["value"][0] == values[0]
    assert line["step"][-1] == 9_999 and line["value"][-1] == values[-1]
    assert 4321 in line["step"] and max(line["value"]) == 100.0


def test_it_returns_the_series_of_many_runs_in_one_request(graph, owner, owner_client,
                                                           django_assert_max_num_queries):
    runs = [make_run(graph.head, owner, lr=0.001 * (i + 1)) for i in range(24)]
    for i, run in enumerate(runs):
        add_points(run, "train/loss", loss_curve(300, scale=1 + i / 10))
        add_points(run, "val/accuracy", [0.5 + j / 100 for j in range(30)])
    ids = ",".join(str(r.pk) for r in runs)

    # The query count does not grow with the number of runs.
    with django_assert_max_num_queries(14):
        response = owner_client.get(f"/api/compare?runs={ids}&keys=train/loss,val/accuracy")

    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["runs"]] == [r.pk for r in runs]
    for entry, i in zip(body["runs"], range(24)):
        lines = {line["key"]: line for line in entry["series"]}
        assert set(lines) == {"train/loss", "val/accuracy"}
        assert len(lines["train/loss"]["value"]) == 300
        assert lines["train/loss"]["value"][0] == pytest.approx(2.05 * (1 + i / 10))
    accuracy = next(m for m in body["metrics"] if m["key"] == "val/accuracy")
    assert accuracy["goal"] == "max" and accuracy["best"][0] == pytest.approx(0.79)


def test_it_lists_only_differing_hyperparameters_and_diffs_the_graphs(graph, owner, owner_client):
    from designer.graphs.services import save_version

    first = make_run(graph.head, owner, lr=0.001)
    wider = save_version(graph, documents.wide(8), owner, "wider")
    second = make_run(wider, owner, lr=0.01)
    for run in (first, second):
        add_points(run, "train/lr", [0.01, 0.005])

    body = owner_client.get(f"/api/compare?runs={first.pk},{second.pk}").json()
    # A learning rate is a setting, not a score: neither higher nor lower is better.
    assert next(m for m in body["metrics"] if m["key"] == "train/lr")["goal"] == "none"

    assert body["hparams"] == [{"name": "optimizer.lr", "values": [0.001, 0.01]}]
    versions = body["architecture"]["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["diff"] is None
    changed = versions[1]["diff"]["nodes_changed"]
    assert changed == [{"id": "conv1", "op": "Conv2d", "params": {"out_channels": [4, 8]}}]


def test_runs_of_one_version_need_no_diff(graph, owner, owner_client):
    runs = [make_run(graph.head, owner) for _ in range(3)]
    body = owner_client.get(f"/api/compare?runs={','.join(str(r.pk) for r in runs)}").json()
    assert body["hparams"] == []
    assert [v["runs"] for v in body["architecture"]["versions"]] == [[r.pk for r in runs]]


@pytest.mark.parametrize("query, field", [
    ("runs=", "runs"), ("runs=1,x", "runs"), ("runs={run}&points=3", "points"), ("runs={run}&x=epochs", "x"),
])
def test_it_refuses_bad_input_naming_the_field(graph, owner, owner_client, query, field):
    run = make_run(graph.head, owner)
    response = owner_client.get("/api/compare?" + query.format(run=run.pk))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("who, status", [("owner", 200), ("viewer", 200), ("outsider", 400), ("anonymous", 403)])
def test_who_may_compare(graph, owner, clients, who, status):
    run = make_run(graph.head, owner)
    response = clients[who].get(f"/api/compare?runs={run.pk}")
    assert response.status_code == status
    if status == 400:
        assert f"no run {run.pk}" in response.json()["detail"]


def test_it_refuses_a_mix_with_a_run_of_another_project(graph, owner, owner_client, other_project, outsider):
    from designer.graphs.services import create_graph

    theirs = make_run(create_graph(other_project, "theirs", outsider, documents.tiny_cnn()).head, outsider)
    mine = make_run(graph.head, owner)
    response = owner_client.get(f"/api/compare?runs={mine.pk},{theirs.pk}")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"node": None, "port": None, "field": "runs", "message": f"no run {theirs.pk}, or you have no access to it"}]


def test_wall_times_come_with_x_time_only(graph, owner, owner_client):
    run = make_run(graph.head, owner)
    add_points(run, "train/loss", [3.0, 2.0, 1.0])

    by_step = owner_client.get(f"/api/compare?runs={run.pk}&keys=train/loss").json()["runs"][0]["series"][0]
    by_time = owner_client.get(f"/api/compare?runs={run.pk}&keys=train/loss&x=time").json()["runs"][0]["series"][0]

    assert "time" not in by_step and by_step["value"] == [3.0, 2.0, 1.0]
    assert by_time["time"] == sorted(by_time["time"]) and len(by_time["time"]) == 3
