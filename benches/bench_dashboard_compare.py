"""Compare 100 runs × 10,000 steps on the server: GET /api/compare (goal <= 300 ms).

Ours: the whole request through Django (auth, permission check, summaries,
M4 rollups of two keys for 100 runs, hyperparameter diff, JSON). Baseline in
the same process: the naive server, which reads every raw point of those
runs and keys and downsamples them in Python (the same M4) before encoding.

    .venv/bin/python benches/bench_dashboard_compare.py

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/netweave_dash)
and creates/destroys a scratch test database next to it. The charts bench
(bench_dashboard_charts.py) seeds its data with `seed()` from here.
"""
from __future__ import annotations

import json
import math
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

from bench_runs_ingest import scratch_database  # noqa: E402  (a migrated throw-away database)

RUNS, STEPS, KEYS = 100, 10_000, ("train/loss", "train/accuracy")


def curve(run: int, key: str) -> list:
    """A noisy decaying loss (or a rising accuracy) with one spike, different per run."""
    rate = 1500 + 40 * run
    out = []
    for step in range(STEPS):
        base = 2.0 * math.exp(-step / rate) + 0.05 + 0.02 * math.sin(step * 0.37 + run)
        out.append(1.0 - base / 2.1 if key.endswith("accuracy") else base)
    out[(run * 97) % STEPS] *= 5
    return out


def seed(runs: int = RUNS, password: str | None = None):
    """(user, project, run ids): `runs` finished runs, KEYS × STEPS points each.

    The first run's points go through the ingest (points, summaries, M4
    rollups); the others are copies made inside PostgreSQL, each scaled by
    its own factor (scaling by a positive number keeps every bucket's first,
    last, min and max), which takes seconds instead of minutes.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from designer.graphs.models import Graph, GraphVersion, Project
    from designer.runs.ingest import Point, write_points
    from designer.runs.models import Run
    from tests.api import documents

    user = get_user_model().objects.create_user(username=f"bench{time.monotonic_ns()}", password=password)
    project = Project.objects.create(name="bench", owner=user)
    graph = Graph.objects.create(project=project, name="bench")
    versions = [GraphVersion.objects.create(graph=graph, number=n, document=documents.wide(4 * n)) for n in (1, 2, 3)]
    ids = []
    for r in range(runs):
        config = {"epochs": 10, "batch_size": 64, "optimizer": {"name": "adam", "lr": 10 ** -(1 + r % 4)}}
        ids.append(Run.objects.create(project=project, graph_version=versions[r % 3], config=config, state="succeeded",
                                      summary={"steps": STEPS, "epochs": 10}, created_by=user).pk)
    with transaction.atomic():
        for key in KEYS:
            write_points(ids[0], [Point(key, s, v, 1.7e9 + s * 0.05) for s, v in enumerate(curve(0, key))])
    copy_runs(ids[0], ids[1:])
    # Statistics as autovacuum would have gathered them on a database in use.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE runs_metricpoint, runs_metricsummary, runs_metricrollup, runs_run")
    return user, project, ids


def copy_runs(template: int, targets: list[int]) -> None:
    from django.db import connection, transaction

    from designer.runs.models import MetricPoint, MetricRollup, MetricSummary

    factors = [1.0 + 0.004 * i for i in range(1, len(targets) + 1)]
    scaled = {
        MetricPoint: {"value": "v"},
        MetricSummary: {c: "v" for c in ("latest", "best", "minimum", "maximum")},
        MetricRollup: {f"{p}_value": "v" for p in ("first", "last", "min", "max")},
    }
    with transaction.atomic(), connection.cursor() as cursor:
        for model, scale in scaled.items():
            columns = [f.column for f in model._meta.concrete_fields if f.column not in ("id", "run_id")]
            picked = ", ".join(f"t.{c} * u.f" if c in scale else f"t.{c}" for c in columns)
            table = model._meta.db_table
            cursor.execute(
                f"INSERT INTO {table} (run_id, {', '.join(columns)}) SELECT u.r, {picked} FROM {table} t, "
                "unnest(%s::bigint[], %s::float8[]) AS u(r, f) WHERE t.run_id = %s",
                [targets, factors, template])


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def naive(ids: list[int]) -> bytes:
    """Every raw point, downsampled in Python: what a server without rollups does."""
    from designer.runs.models import MetricPoint
    from designer.runs.series import m4

    lines: dict = {}
    rows = (MetricPoint.objects.filter(run_id__in=ids, key__in=KEYS).order_by("run_id", "key", "step")
            .values_list("run_id", "key", "step", "value", "time"))
    for run_id, key, step, value, at in rows.iterator(chunk_size=20_000):
        lines.setdefault((run_id, key), []).append((step, value, at))
    out = [{"run": r, "key": k, "points": m4(points, 250)} for (r, k), points in lines.items()]
    return json.dumps(out).encode()


def main() -> None:
    from rest_framework.test import APIClient

    with scratch_database():
        started = time.perf_counter()
        user, _, ids = seed()
        print(f"seeded {RUNS} runs × {STEPS:,} steps × {len(KEYS)} keys in {time.perf_counter() - started:.0f} s")
        client = APIClient(SERVER_NAME="127.0.0.1")
        client.force_login(user)

        def ours(keys):
            response = client.get(f"/api/compare?runs={','.join(map(str, ids))}&keys={','.join(keys)}&points=1000")
            assert response.status_code == 200, response.content[:500]
            return response

        body = ours(KEYS).json()
        lines = [line for run in body["runs"] for line in run["series"]]
        assert len(lines) == RUNS * len(KEYS)
        both_ms = timed(lambda: ours(KEYS), 7)
        one_ms = timed(lambda: ours(KEYS[:1]), 7)
        naive_ms = timed(lambda: naive(ids), 2)
    mean_points = statistics.mean(len(line["step"]) for line in lines)
    print(f"compare request, 100 runs × 2 keys ({mean_points:.0f} points a line): "
          f"median {statistics.median(both_ms):.0f} ms, best {min(both_ms):.0f} ms; goal <= 300 ms")
    print(f"compare request, 100 runs × 1 key: median {statistics.median(one_ms):.0f} ms, best {min(one_ms):.0f} ms")
    print(f"naive (every raw point + M4 in Python), 2 keys: median {statistics.median(naive_ms):.0f} ms")
    print(f"ratio naive/ours: {statistics.median(naive_ms) / statistics.median(both_ms):.1f}x")


if __name__ == "__main__":
    main()
