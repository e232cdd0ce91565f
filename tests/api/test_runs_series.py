"""Series: downsampling keeps spikes and both ends, summaries stay right batch after batch
(the endpoint, GET /api/series, in test_series_endpoint.py)."""
from __future__ import annotations

import math

import pytest
from django.db import transaction

from designer.runs.ingest import Point, write_points
from designer.runs.models import MetricSummary, Run
from designer.runs.series import m4, series_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_run(graph, owner):
    def make():
        return Run.objects.create(project=graph.project, graph_version=graph.head, created_by=owner,
                                  dataset={}, config={})

    return make


def record(run, key, values, start=0, batch=1000):
    points = [Point(key, start + i, v, 1000.0 + start + i) for i, v in enumerate(values)]
    for i in range(0, len(points), batch):
        with transaction.atomic():
            write_points(run.pk, points[i:i + batch])


def wavy(n):
    return [math.sin(i / 50) for i in range(n)]


def test_downsampling_keeps_a_spike_and_the_first_and_last_points(make_run):
    run = make_run()
    values = wavy(10_000)
    values[6_543] = 50.0
    values[7_001] = -40.0
    record(run, "train/loss", values)
    [line] = series_for([run.pk], ["train/loss"], points=1000)[run.pk]
    assert line["count"] == 10_000 and len(line["step"]) <= 1000
    assert (line["step"][0], line["value"][0]) == (0, values[0])
    assert (line["step"][-1], line["value"][-1]) == (9_999, values[-1])
    assert (6_543, 50.0) in zip(line["step"], line["value"])
    assert (7_001, -40.0) in zip(line["step"], line["value"])
    assert line["step"] == sorted(line["step"])
    # The rollups the ingest keeps give what M4 over the raw points gives, bucket sizes aside.
    reference = m4([(i, v, 1000.0 + i) for i, v in enumerate(values)], 250)
    assert max(line["value"]) == max(r[1] for r in reference) and min(line["value"]) == min(r[1] for r in reference)


def test_short_series_come_back_whole(make_run):
    run = make_run()
    record(run, "val/accuracy", [0.1, 0.5, 0.4])
    [line] = series_for([run.pk], None, points=1000)[run.pk]
    assert (line["step"], line["value"], line["time"]) == ([0, 1, 2], [0.1, 0.5, 0.4], [1000.0, 1001.0, 1002.0])


def test_the_summary_stays_right_as_batches_arrive(make_run):
    run = make_run()
    record(run, "train/loss", [3.0, 2.0, 2.5], batch=2)
    record(run, "val/accuracy", [0.2, 0.9, 0.7], batch=1)
    loss = MetricSummary.objects.get(run=run, key="train/loss")
    assert (loss.goal, loss.latest, loss.latest_step, loss.best, loss.best_step) == ("min", 2.5, 2, 2.0, 1)
    assert (loss.minimum, loss.maximum, loss.count, loss.first_step, loss.last_step) == (2.0, 3.0, 3, 0, 2)
    record(run, "train/loss", [1.0, 4.0], start=3)
    loss.refresh_from_db()
    assert (loss.latest, loss.best, loss.best_step, loss.minimum, loss.maximum, loss.count) == (4.0, 1.0, 3, 1.0, 4.0, 5)
    accuracy = MetricSummary.objects.get(run=run, key="val/accuracy")
    assert (accuracy.goal, accuracy.best, accuracy.best_step, accuracy.latest) == ("max", 0.9, 1, 0.7)


def test_a_resumed_run_repeating_steps_keeps_the_newest_as_latest(make_run):
    run = make_run()
    record(run, "train/loss", [5.0] * 40)
    record(run, "train/loss", [1.0] * 10, start=35)
    [line] = series_for([run.pk], ["train/loss"], points=8)[run.pk]
    assert line["step"][-1] == 44 and line["value"][-1] == 1.0
    assert MetricSummary.objects.get(run=run, key="train/loss").latest == 1.0


def test_metrics_summary_endpoint(clients, make_run):
    run = make_run()
    record(run, "train/loss", [2.0, 1.0])
    assert clients["viewer"].get(f"/api/runs/{run.pk}/metrics").json()[0]["best"] == 1.0
    assert clients["outsider"].get(f"/api/runs/{run.pk}/metrics").status_code == 404
