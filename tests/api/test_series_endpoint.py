"""GET /api/series: the one series endpoint. Downsampled JSON lines of one run or many,
every stored point as CSV (format=csv), each run checked for the person asking."""
from __future__ import annotations

import csv
import io
import math

import pytest

from designer.runs.series import series_for
from tests.api.dashboards_fixtures import add_points, make_run

pytestmark = pytest.mark.django_db


def wavy(n: int) -> list[float]:
    return [math.sin(i / 50) for i in range(n)]


def ids(*runs) -> str:
    return ",".join(str(r.pk) for r in runs)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def three(graph, owner):
    """Three runs of the shared project: 3,000 wavy train/loss points with a spike, 100-102 val/loss points."""
    runs = [make_run(graph.head, owner) for _ in range(3)]
    for i, run in enumerate(runs):
        loss = wavy(3000)
        loss[1234 + i] = 40.0 + i
        add_points(run, "train/loss", loss)
        add_points(run, "val/loss", [float(i)] * (100 + i))
    return runs


@pytest.fixture
def run(graph, owner):
    """One short run, for the requests that never read its points."""
    made = make_run(graph.head, owner)
    add_points(made, "train/loss", [2.0, 1.0])
    return made


@pytest.mark.parametrize("who, status", [("owner", 200), ("viewer", 200), ("outsider", 400), ("anonymous", 403)])
def test_it_answers_several_runs_in_the_order_asked(clients, three, who, status):
    first, second, third = three
    response = clients[who].get(f"/api/series?runs={ids(third, first, second)}&keys=val/loss")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["x"] == "step"
        assert [r["run"] for r in body["runs"]] == [third.pk, first.pk, second.pk]
        assert [[line["count"] for line in r["series"]] for r in body["runs"]] == [[102], [100], [101]]


def test_long_lines_are_downsampled_keeping_spikes_and_ends(owner_client, three):
    first, second, _ = three
    body = owner_client.get(f"/api/series?runs={ids(first, second)}&keys=train/loss&points=200").json()
    for i, (run, answer) in enumerate(zip((first, second), body["runs"])):
        [line] = answer["series"]
        assert line["count"] == 3000 and len(line["step"]) <= 200
        assert line["step"][0] == 0 and line["step"][-1] == 2999
        assert (1234 + i, 40.0 + i) in zip(line["step"], line["value"])
        # What the endpoint sends is what the one reader reads.
        assert line == series_for([run.pk], ["train/loss"], points=200)[run.pk][0]


def test_x_time_orders_each_line_by_time(viewer_client, three):
    body = viewer_client.get(f"/api/series?runs={three[0].pk}&points=100&x=time").json()
    assert body["x"] == "time"
    [answer] = body["runs"]
    assert [line["key"] for line in answer["series"]] == ["train/loss", "val/loss"]
    for line in answer["series"]:
        assert len(line["time"]) == len(line["step"]) <= 100 and line["time"] == sorted(line["time"])


def test_csv_gives_every_stored_point_of_the_runs_and_keys_asked(viewer_client, three):
    first, second, _ = three
    response = viewer_client.get(f"/api/series?runs={ids(second, first)}&keys=val/loss&points=4&format=csv")
    assert response["Content-Disposition"] == f'attachment; filename="runs-{second.pk}-{first.pk}-series.csv"'
    rows = read_csv(response)
    assert rows[0] == ["run", "key", "step", "value", "time"]
    # Not downsampled (points does not apply), in run then step order.
    assert [(int(r[0]), r[1], int(r[2])) for r in rows[1:]] == (
        [(first.pk, "val/loss", s) for s in range(100)] + [(second.pk, "val/loss", s) for s in range(101)])
    assert {r[3] for r in rows[1:] if int(r[0]) == second.pk} == {"1.0"}


def test_one_runs_csv_is_named_after_it(owner_client, three):
    response = owner_client.get(f"/api/series?runs={three[2].pk}&format=csv")
    assert response["Content-Disposition"] == f'attachment; filename="run{three[2].pk}-series.csv"'
    rows = read_csv(response)
    assert len(rows) == 1 + 3000 + 102 and {r[1] for r in rows[1:]} == {"train/loss", "val/loss"}


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_viewer_cannot_read_another_users_runs(viewer_client, three, other_project, outsider, fmt):
    from designer.graphs.services import create_graph
    from tests.api import documents

    theirs = make_run(create_graph(other_project, "theirs", outsider, documents.tiny_cnn(), "").head, outsider)
    add_points(theirs, "train/loss", [9.0, 8.0])
    response = viewer_client.get(f"/api/series?runs={ids(three[0], theirs)}&format={fmt}")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert [(e["field"], str(theirs.pk) in e["message"]) for e in errors] == [("runs", True)]
    assert b"9.0" not in response.content and "series" not in response.json()


@pytest.mark.parametrize("query, field", [
    ("points=2", "points"), ("points=abc", "points"), ("keys=a&points=100000", "points"), ("x=epochs", "x"),
    ("format=xml", "format"), ("format=csv&x=epochs", "x"),
])
def test_bad_options_are_400s_naming_the_parameter(viewer_client, run, query, field):
    response = viewer_client.get(f"/api/series?runs={run.pk}&{query}")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize("runs", ["", "0", "1,x", ",".join(map(str, range(1, 502)))])
def test_bad_run_lists_are_400s_naming_runs(owner_client, runs):
    response = owner_client.get(f"/api/series?runs={runs}")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"runs"}


@pytest.mark.parametrize("old", ["/api/runs/{run}/series", "/api/series.csv?runs={run}", "/api/runs/{run}/series.csv"])
def test_the_old_series_urls_are_gone(owner_client, run, old):
    assert owner_client.get(old.format(run=run.pk)).status_code == 404
