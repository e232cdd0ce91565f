"""Series for 100 runs x 10,000 steps, downsampled to ~1,000 points a line (goal <= 300 ms).

Measured: the one series endpoint's work on the server, `GET /api/series?runs=...`
through Django (auth, permission check per run, M4 rollups read, JSON), for the
100 runs (as many as compare reads) and for one (the run page's read). Baseline
in the same process: the naive way, fetch every point of the runs and
downsample in Python (same M4).

    .venv/bin/python benches/bench_runs_series.py

Uses DATABASE_URL (PostgreSQL) and a scratch test database next to it.
"""
from __future__ import annotations

import math
import statistics
import time

from bench_runs_ingest import make_runs, scratch_database

RUNS, STEPS, KEY = 100, 10_000, "train/loss"


def fill(run_ids: list[int]) -> None:
    """The first run through the real ingest; the others copied from it in SQL
    with an offset per run (rollups and summaries stay exact under a shift)."""
    from django.db import connection, transaction

    from designer.runs.ingest import Point, write_points

    first, others = run_ids[0], run_ids[1:]
    points = [Point(KEY, s, math.exp(-s / 3000) + 0.05 * math.sin(s / 7) + (0.5 if s % 997 == 0 else 0),
                    1.7e9 + s * 0.05) for s in range(STEPS)]
    for start in range(0, STEPS, 1000):
        with transaction.atomic():
            write_points(first, points[start:start + 1000])
    value_columns = {
        "runs_metricpoint": ("key, step, time", "value"),
        "runs_metricrollup": ("key, width, bucket, count, first_step, first_time, last_step, last_time, "
                              "min_step, min_time, max_step, max_time",
                              "first_value, last_value, min_value, max_value"),
        "runs_metricsummary": ("key, goal, latest_step, best_step, count, first_step, last_step, first_time, "
                               "last_time", "latest, best, minimum, maximum"),
    }
    with connection.cursor() as cursor, transaction.atomic():
        for table, (kept, shifted) in value_columns.items():
            shifted_list = [c.strip() for c in shifted.split(",")]
            cursor.execute(
                f"INSERT INTO {table} (run_id, {kept}, {shifted}) "
                f"SELECT r, {kept}, {', '.join(f'{c} + r * 0.001' for c in shifted_list)} "
                f"FROM {table}, unnest(%s::bigint[]) AS r WHERE run_id = %s", [others, first])
        cursor.execute("ANALYZE")


def timed(fn, repeat: int = 7) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from designer.runs.models import MetricPoint, Run
    from designer.runs.series import m4

    with scratch_database():
        run_ids = make_runs(RUNS)
        started = time.perf_counter()
        fill(run_ids)
        print(f"filled {RUNS} runs x {STEPS:,} steps in {time.perf_counter() - started:.1f} s")
        client = APIClient(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(pk=Run.objects.get(pk=run_ids[0]).project.owner_id))

        def endpoint(ids):
            response = client.get(f"/api/series?runs={','.join(map(str, ids))}&keys={KEY}&points=1000")
            assert response.status_code == 200
            return response.content

        def naive(ids):
            rows = {}
            for run_id, step, value, at in (MetricPoint.objects.filter(run_id__in=ids, key=KEY)
                                            .order_by("run_id", "step").values_list("run_id", "step", "value", "time")):
                rows.setdefault(run_id, []).append((step, value, at))
            return {run_id: m4(points, 250) for run_id, points in rows.items()}

        fast, body = timed(lambda: endpoint(run_ids))
        slow, lines = timed(lambda: naive(run_ids), repeat=3)
        one_fast, _ = timed(lambda: endpoint(run_ids[:1]))
        one_slow, _ = timed(lambda: naive(run_ids[:1]))
    points = sum(len(line) for line in lines.values())
    print(f"GET /api/series, {RUNS} runs: {fast * 1000:.0f} ms (median of 7; {len(body) / 1e6:.1f} MB JSON); goal <= 300 ms")
    print(f"naive fetch-all + M4 in Python: {slow * 1000:.0f} ms ({points:,} points kept)")
    print(f"ratio naive/endpoint: {slow / fast:.1f}x")
    print(f"GET /api/series, one run: {one_fast * 1000:.1f} ms; naive {one_slow * 1000:.1f} ms; "
          f"ratio {one_slow / one_fast:.1f}x")


if __name__ == "__main__":
    main()
