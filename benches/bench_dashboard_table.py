"""A project's runs table of 5,000 runs on the server: GET /api/projects/<id>/runs-table (goal <= 500 ms).

Ours: one query for the page of runs, one for their summaries (best and
last of six metrics each), orjson. Baseline in the same process: the plain
DRF table, the run serializer for every run with its summaries prefetched
and nested (one run at a time instead took ~90 s here). The browser side is in bench_dashboard_charts.py.

    .venv/bin/python benches/bench_dashboard_table.py
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/netweave_dash")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from bench_dashboard_compare import timed  # noqa: E402
from bench_runs_ingest import scratch_database  # noqa: E402

RUNS = 5000
METRICS = ("train/loss", "train/accuracy", "val/loss", "val/accuracy", "test/accuracy", "system/cpu_percent")


def seed_table(runs: int = RUNS, password: str | None = None, user=None):
    """(user, project): `runs` finished runs with a summary row per metric, written in bulk."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from designer.graphs.models import Graph, GraphVersion, Project
    from designer.runs.ingest import goal_for
    from designer.runs.models import MetricSummary, Run
    from tests.api import documents

    if user is None:
        user = get_user_model().objects.create_user(username=f"table{time.monotonic_ns()}", password=password)
    project = Project.objects.create(name="5,000 runs", owner=user)
    graph = Graph.objects.create(project=project, name="sweep")
    version = GraphVersion.objects.create(graph=graph, number=1, document=documents.tiny_cnn())
    made = Run.objects.bulk_create([
        Run(project=project, graph_version=version, name=f"trial-{i}", state="succeeded", created_by=user,
            dataset={"kind": "digits", "options": {}}, tags=["sweep"] if i % 3 else [],
            config={"epochs": 10, "batch_size": 32 * (1 + i % 4), "seed": i,
                    "optimizer": {"name": ("adam", "sgd")[i % 2], "lr": 10 ** -(1 + i % 5), "weight_decay": 0.0}})
        for i in range(runs)], batch_size=1000)
    MetricSummary.objects.bulk_create([
        MetricSummary(run=run, key=key, goal=goal_for(key), latest=0.5 + (run.pk % 97) / 200, latest_step=9999,
                      best=0.4 + (run.pk % 89) / 200, best_step=5000, minimum=0.1, maximum=0.99, count=10_000,
                      first_step=0, last_step=9999, first_time=1.7e9, last_time=1.7e9 + 600)
        for run in made for key in METRICS], batch_size=5000)
    with connection.cursor() as cursor:  # statistics as autovacuum would have gathered them
        cursor.execute("ANALYZE runs_run, runs_metricsummary")
    return user, project


def naive(project) -> bytes:
    from rest_framework.renderers import JSONRenderer

    from designer.runs.models import Run
    from designer.runs.serializers import RunSerializer, SummarySerializer

    rows = []
    for run in (Run.objects.filter(project=project).select_related("graph_version__graph", "created_by")
                .prefetch_related("metric_summaries")):
        row = RunSerializer(run).data
        row["metrics"] = SummarySerializer(run.metric_summaries.all(), many=True).data
        rows.append(row)
    return JSONRenderer().render(rows)


def main() -> None:
    from rest_framework.test import APIClient

    with scratch_database():
        started = time.perf_counter()
        user, project = seed_table()
        print(f"seeded {RUNS:,} runs × {len(METRICS)} summaries in {time.perf_counter() - started:.0f} s")
        client = APIClient(SERVER_NAME="127.0.0.1")
        client.force_login(user)

        def ours(query: str = ""):
            response = client.get(f"/api/projects/{project.pk}/runs-table?limit={RUNS}{query}")
            assert response.status_code == 200, response.content[:500]
            return response

        body = ours().json()
        assert len(body["rows"]) == RUNS and len(body["metrics"]) == len(METRICS)
        plain = timed(ours, 5)
        by_metric = timed(lambda: ours("&sort=-best:val/accuracy"), 5)
        searched = timed(lambda: ours("&q=trial-4&state=succeeded"), 5)
        naive_ms = timed(lambda: naive(project), 2)
    print(f"runs table, {RUNS:,} runs in one answer ({len(ours_bytes(body)) / 1e6:.1f} MB): "
          f"median {statistics.median(plain):.0f} ms; goal <= 500 ms")
    print(f"  sorted by best val/accuracy: median {statistics.median(by_metric):.0f} ms; "
          f"searched + filtered: median {statistics.median(searched):.0f} ms")
    print(f"plain DRF (serializer, summaries prefetched): {min(naive_ms):.0f} ms")
    print(f"ratio plain/ours: {min(naive_ms) / statistics.median(plain):.1f}x")


def ours_bytes(body) -> bytes:
    import orjson

    return orjson.dumps(body)


if __name__ == "__main__":
    main()
