"""Latencies of the run machinery, p50 (goal: metric written -> SSE event received <= 100 ms).

1. Submit -> task start: the API's enqueue (after commit) until the worker's
   claim stamps `started`, on Redis; baseline: the same through the
   filesystem broker of standalone mode (polled every 0.1 s). The runs are
   `evaluate` jobs with no input run: the worker claims each (the figure),
   forks its child, which fails at once ("takes exactly 1 input run"); the
   next submit waits until the run has ended, so it always finds the worker
   idle (it once used a kind no worker executed; evaluate runs now). Then the
   worker's own path, timed piece by piece in this process on the same
   database: a fresh connection (what each task opened while Celery's Django
   fix-up closed the connection pool around every task), the scheduler's
   choice, the row read and the claim.
2. Metric written -> SSE event received: `Ingest.flush()` of one point until
   a client reading `GET /api/runs/<id>/events` from uvicorn has it, with
   Redis pub/sub as the wake-up; baseline: the database-polling fallback.

    .venv/bin/python benches/bench_runs_latency.py

Uses DATABASE_URL (PostgreSQL) with a scratch test database, and REDIS_URL
(default redis://127.0.0.1:6379/4).
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
from bench_runs_ingest import make_runs, scratch_database  # noqa: E402  (sets Django up)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.workers.processes import start_web, start_worker  # noqa: E402

SUBMITS, WRITES, PATH_RUNS = 15, 40, 30


def env_for(database: str, tmp: Path, **extra) -> dict:
    from django.conf import settings

    url = urlparse(os.environ["DATABASE_URL"])._replace(path=f"/{database}")
    return {**os.environ, "DATABASE_URL": urlunparse(url), "REDIS_URL": settings.REDIS_URL,
            "NETWEAVE_RUNS_ROOT": str(tmp / "runs"), **extra}


def submit_latency(app, run_ids: list[int]) -> float:
    """p50 ms from enqueue to the worker's claim; each run ends (its job fails at once) before the next."""
    from designer.runs.models import TERMINAL_STATES, Run

    waits = []
    for run_id in run_ids:
        sent = time.time()
        app.send_task("netweave.execute_run", (run_id,), queue="cpu")
        deadline = time.monotonic() + 120
        while (started := Run.objects.filter(pk=run_id).values_list("started", flat=True).first()) is None:
            if time.monotonic() > deadline:
                state = Run.objects.filter(pk=run_id).values_list("state", flat=True).first()
                raise SystemExit(f"run {run_id} ({state}) did not start within 120 s: is the worker stuck?")
            time.sleep(0.002)
        waits.append((started.timestamp() - sent) * 1000)
        deadline = time.monotonic() + 120
        while Run.objects.filter(pk=run_id).values_list("state", flat=True).first() not in TERMINAL_STATES:
            if time.monotonic() > deadline:
                raise SystemExit(f"run {run_id} did not end within 120 s: is the worker stuck?")
            time.sleep(0.01)
    return statistics.median(waits)


def worker_path(run_ids: list[int]) -> dict[str, float]:
    """p50 ms of each piece of what a worker does between a message and its claim, in this process."""
    from django.db import connection

    from designer.fleet import devices
    from designer.runs import lifecycle, placement, scheduling
    from designer.runs.models import Run

    pieces: dict[str, list[float]] = {"fresh connection (before)": [], "pooled connection (now)": [],
                                      "scheduler's choice": [], "row read": [], "placement": [], "claim": []}
    for run_id in run_ids:
        connection.close()
        connection.close_pool()
        started = time.perf_counter()
        connection.ensure_connection()
        pieces["fresh connection (before)"].append((time.perf_counter() - started) * 1000)
        connection.close()  # back to the pool, as between two tasks now
        marks = [time.perf_counter()]
        connection.ensure_connection()
        marks.append(time.perf_counter())
        chosen = scheduling.next_run(run_id)
        marks.append(time.perf_counter())
        run = Run.objects.filter(pk=chosen).first()
        marks.append(time.perf_counter())
        placement.place(run, devices.gpus())
        marks.append(time.perf_counter())
        lifecycle.claim(chosen, lifecycle.Holder.me())
        marks.append(time.perf_counter())
        for name, start, end in zip(list(pieces)[1:], marks, marks[1:]):
            pieces[name].append((end - start) * 1000)
    return {name: statistics.median(times) for name, times in pieces.items()}


def event_latency(url: str, run_id: int, token: str) -> float:
    """p50 ms from flushing one point to reading it from the SSE stream."""
    import httpx

    from designer.runs.ingest import Ingest

    received, ready = {}, threading.Event()

    def read():
        headers = {"Authorization": f"Token {token}"}
        with httpx.stream("GET", f"{url}/api/runs/{run_id}/events", headers=headers, timeout=60) as response:
            for line in response.iter_lines():
                ready.set()
                if line.startswith("data: ") and '"points"' in line:
                    for point in json.loads(line[6:])["points"]:
                        received[point["step"]] = (time.time() - point["time"]) * 1000
                    if len(received) == WRITES:
                        return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ready.wait(10)
    ingest = Ingest(run_id)
    for step in range(WRITES):
        ingest.handle({"type": "metric", "step": step, "split": "bench", "time": time.time(),
                       "values": {"latency": float(step)}})
        ingest.flush()
        time.sleep(0.05)
    reader.join(30)
    return statistics.median(received.values())


def main() -> None:
    from celery import Celery
    from django.conf import settings
    from rest_framework.authtoken.models import Token

    from designer.celery import app
    from designer.runs.models import Run

    import redis

    redis.Redis.from_url(settings.REDIS_URL).delete("cpu", "gpu", "unacked", "unacked_index")
    with scratch_database() as database, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        team_env = env_for(database, tmp)
        solo_env = env_for(database, tmp, REDIS_URL="", CELERY_BROKER_URL="filesystem://",
                           NETWEAVE_BROKER_DIR=str(tmp / "broker"))
        processes = [start_worker("redis", team_env, tmp, queues=["cpu"]),
                     start_worker("files", solo_env, tmp, queues=["cpu"])]
        try:
            team_web, team_url = start_web(team_env, tmp)
            processes.append(team_web)
            solo_web, solo_url = start_web(solo_env, tmp)
            processes.append(solo_web)
            run_ids = make_runs(2 * SUBMITS + 2 + PATH_RUNS)
            Run.objects.filter(pk__in=run_ids[:2 * SUBMITS]).update(kind="evaluate")
            files_app = Celery("bench-files", broker="filesystem://")
            files_app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS | {
                key: str(tmp / "broker" / sub) for key, sub in
                (("data_folder_in", "queue"), ("data_folder_out", "queue"), ("control_folder", "control"))}
            (tmp / "broker" / "queue").mkdir(parents=True, exist_ok=True)
            redis_submit = submit_latency(app, run_ids[:SUBMITS])
            files_submit = submit_latency(files_app, run_ids[SUBMITS:2 * SUBMITS])
            live_id, poll_id = run_ids[2 * SUBMITS:2 * SUBMITS + 2]
            Run.objects.filter(pk__in=[live_id, poll_id]).update(state="running")
            owner = Run.objects.get(pk=live_id).project.owner
            token = Token.objects.create(user=owner).key
            redis_event = event_latency(team_url, live_id, token)
            poll_event = event_latency(solo_url, poll_id, token)
            path = worker_path(run_ids[2 * SUBMITS + 2:])
        finally:
            for process in processes:
                process.stop()
    print(f"submit -> task start p50: Redis {redis_submit:.1f} ms; filesystem broker {files_submit:.1f} ms "
          f"(ratio {files_submit / redis_submit:.1f}x)")
    print("  the worker's path to its claim, p50 in this process: "
          + "; ".join(f"{name} {ms:.2f} ms" for name, ms in path.items()))
    print(f"metric written -> SSE event received p50: Redis wake-up {redis_event:.1f} ms (goal <= 100 ms); "
          f"database polling {poll_event:.1f} ms (ratio {poll_event / redis_event:.1f}x)")


if __name__ == "__main__":
    main()
