"""Metric ingest into PostgreSQL: points/s through the worker's ingest path (goal >= 50,000).

The ingest writes each batch of 1,000 points with its summary, M4 rollups
and live event in one transaction. Baseline in the same process: the naive
path, one INSERT per point (what a per-step `Model.objects.create` does).

    .venv/bin/python benches/bench_runs_ingest.py

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/netweave_runs)
and creates/destroys a scratch test database next to it.
"""
from __future__ import annotations

import time

from djangobench import scratch_database, setup

setup("netweave_runs")


def make_runs(count: int) -> list[int]:
    from django.contrib.auth import get_user_model

    from designer.graphs.models import Graph, GraphVersion, Project
    from designer.runs.models import Run

    user = get_user_model().objects.create(username=f"bench{time.monotonic_ns()}")
    project = Project.objects.create(name="bench", owner=user)
    graph = Graph.objects.create(project=project, name="bench")
    version = GraphVersion.objects.create(graph=graph, number=1, document={})
    return [Run.objects.create(project=project, graph_version=version).pk for _ in range(count)]


def messages(steps: int, keys: int, start: int = 0):
    for step in range(start, start + steps):
        yield {"type": "metric", "step": step, "split": "train", "time": 1.7e9 + step * 0.01,
               "values": {f"m{k}": 1.0 / (1 + step + k) for k in range(keys)}}


def ingest_rate(run_id: int, steps: int, keys: int) -> float:
    from designer.runs.ingest import BATCH, Ingest

    ingest = Ingest(run_id)
    started = time.perf_counter()
    for message in messages(steps, keys):
        ingest.handle(message)
        if len(ingest.points) >= BATCH:
            ingest.flush()
    ingest.flush()
    return steps * keys / (time.perf_counter() - started)


def naive_rate(run_id: int, steps: int, keys: int) -> float:
    from designer.runs.ingest import points_of
    from designer.runs.models import MetricPoint

    started = time.perf_counter()
    for message in messages(steps, keys):
        for p in points_of(message):
            MetricPoint.objects.create(run_id=run_id, key=p.key, step=p.step, value=p.value, time=p.time)
    return steps * keys / (time.perf_counter() - started)


def main() -> None:
    with scratch_database():
        runs = make_runs(4)
        naive_rate(runs[0], 100, 10)  # warm up connections and caches
        naive = naive_rate(runs[1], 500, 10)
        rates = [ingest_rate(run_id, 10_000, 10) for run_id in runs[2:]]
    best = max(rates)
    print(f"ingest: {best:,.0f} points/s (runs: {', '.join(f'{r:,.0f}' for r in rates)}); goal >= 50,000")
    print(f"naive one INSERT per point: {naive:,.0f} points/s")
    print(f"ratio ingest/naive: {best / naive:.1f}x")


if __name__ == "__main__":
    main()
