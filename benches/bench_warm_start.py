"""Submit -> first training step on the CPU, digits CNN: warm worker vs cold child (goal <= 1 s warm).

A real Celery worker on Redis forks each job from its zygote
(NETWEAVE_WARM_START=true, designer/runs/warm.py); then, in the same run, a
worker that starts a fresh `python -m workers.engine.jobs` per job
(NETWEAVE_WARM_START=false) is the baseline. (Both on the cpu queue, one after
the other: a gpu-queue run now asks for a GPU.) "Submit" is the launch transaction
(row, event, enqueue on commit); "first step" is the time the child stamps
on its first `train/loss` point (the meter's first flush: the end of the
first epoch here, 10 steps of about 2 ms). Also printed: when that point is
in the database, which is when the browser can have it.

    .venv/bin/python benches/bench_warm_start.py [--repeats 7]

Uses DATABASE_URL (PostgreSQL) with a scratch test database, and REDIS_URL
(default redis://127.0.0.1:6379/4).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
from bench_runs_latency import env_for  # noqa: E402  (sets Django up)
from djangobench import scratch_database  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.workers.processes import start_worker  # noqa: E402

CONFIG = {"epochs": 1, "batch_size": 128, "device": "cpu", "system_every_s": 5.0}


def graph_version():
    from django.contrib.auth import get_user_model

    from designer.graphs.models import Project
    from designer.graphs.services import create_graph
    from tests.api import documents

    user = get_user_model().objects.create(username=f"bench{time.monotonic_ns()}")
    project = Project.objects.create(name="bench", owner=user)
    return create_graph(project, "digits-cnn", user, documents.tiny_cnn(), "bench").head


def submit(version, queue: str) -> tuple[float, float]:
    """Seconds from launch to the first step (child's clock) and to that point being stored."""
    from django.db import transaction

    from designer.runs import lifecycle, services
    from designer.runs.models import MetricPoint, Run

    sent = time.time()
    with transaction.atomic():
        run = Run.objects.create(project=version.graph.project, graph_version=version, queue=queue,
                                 dataset={"kind": "digits", "options": {}}, config=CONFIG,
                                 created_by=version.graph.project.owner)
        lifecycle.add_event(run.pk, "state", {"state": run.state, "error": ""})
        services.enqueue(run)
    while (first := MetricPoint.objects.filter(run_id=run.pk, key="train/loss").order_by("step")
           .values_list("time", flat=True).first()) is None:
        if Run.objects.filter(pk=run.pk, state__in=["failed", "cancelled"]).exists():
            raise SystemExit(f"run {run.pk} ended without training: {Run.objects.get(pk=run.pk).error}")
        time.sleep(0.002)
    stored = time.time()
    while not Run.objects.get(pk=run.pk).is_terminal:  # one job at a time per worker
        time.sleep(0.01)
    return first - sent, stored - sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    from django.conf import settings

    import redis

    redis.Redis.from_url(settings.REDIS_URL).delete("cpu", "gpu", "unacked", "unacked_index")
    with scratch_database() as database, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        figures = {}
        for mode, warm in (("warm", "true"), ("cold", "false")):
            env = env_for(database, tmp, NETWEAVE_WARM_START=warm, OMP_NUM_THREADS="1")
            worker = start_worker(mode, env, tmp, queues=["cpu"])
            try:
                version = graph_version()
                submit(version, "cpu")  # the zygote finishes importing, the page cache warms
                figures[mode] = [submit(version, "cpu") for _ in range(args.repeats)]
            finally:
                worker.stop()
    step = {mode: statistics.median(f[0] for f in runs) for mode, runs in figures.items()}
    stored = {mode: statistics.median(f[1] for f in runs) for mode, runs in figures.items()}
    for mode in ("warm", "cold"):
        print(f"{mode}: submit -> first step p50 {step[mode] * 1000:.0f} ms "
              f"(runs {', '.join(f'{f[0] * 1000:.0f}' for f in figures[mode])}); "
              f"-> stored p50 {stored[mode] * 1000:.0f} ms")
    print(f"ratio cold/warm (first step): {step['cold'] / step['warm']:.1f}x; goal warm <= 1000 ms")


if __name__ == "__main__":
    main()
