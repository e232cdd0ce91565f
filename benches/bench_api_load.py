"""API latency under load (issue #16 item 9): reads while runs stream to SSE viewers.

Load: 4 runs ingesting metric points (the worker's ingest path, Redis
wake-ups), 50 SSE viewers on them, 10 clients reading (runs list, run
detail, series, compare). Baseline in the same process: the same readers
against the same uvicorn with no streams and no viewers. Prints p50/p99 of
the reads in both, their ratio, the slowest first SSE byte, and how many
streams closed before the end (none should: the runs are still running).

    .venv/bin/python benches/bench_api_load.py [--profile PREFIX]

With --profile, py-spy samples uvicorn through each phase into
PREFIX-idle.txt and PREFIX-load.txt (collapsed stacks, for flamegraph.pl or
speedscope). Uses DATABASE_URL (PostgreSQL) with a scratch test database, and REDIS_URL
(default redis://127.0.0.1:6379/4). Goals: p99 <= 300 ms, first byte <= 1 s.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
from bench_runs_ingest import make_runs, scratch_database  # noqa: E402  (sets Django up)
from bench_runs_latency import env_for  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.workers.processes import start_web  # noqa: E402

import httpx  # noqa: E402
import psutil  # noqa: E402

RUNS, VIEWERS, READERS, SECONDS = 4, 50, 10, 15.0
logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise


def prepare() -> tuple[list[int], int, str]:
    from rest_framework.authtoken.models import Token

    from designer.runs.ingest import Ingest
    from designer.runs.models import Run

    ids = make_runs(RUNS)
    runs = Run.objects.filter(pk__in=ids)
    runs.update(state="running")
    run = runs.first()
    run.project.owner.is_active = True
    token = Token.objects.create(user=run.project.owner).key
    for run_id in ids:  # some history, so series and compare read something
        ingest = Ingest(run_id)
        for step in range(2000):
            ingest.handle({"type": "metric", "step": step, "split": "train", "time": 1.7e9 + step,
                           "values": {"loss": 1 / (1 + step), "accuracy": step / 2000}})
        ingest.flush()
    return ids, run.project_id, token


def stream_points(run_id: int, stop: threading.Event) -> None:
    """A training run's output: 20 points every 0.1 s through the ingest path."""
    from django.db import connection

    from designer.runs.ingest import Ingest

    ingest, step = Ingest(run_id), 2000
    while not stop.wait(0.1):
        for _ in range(10):
            ingest.handle({"type": "metric", "step": step, "split": "train", "time": time.time(),
                           "values": {"loss": 1 / (1 + step), "accuracy": 0.5}})
            step += 1
        ingest.flush()
    connection.close()


def reads(ids: list[int], project: int) -> list[str]:
    joined = ",".join(map(str, ids))
    return [f"/api/runs?project={project}", f"/api/runs/{ids[0]}", f"/api/series?runs={ids[1]}",
            f"/api/compare?runs={joined}", f"/api/projects/{project}/runs-table"]


async def reader(client, paths: list[str], until: float, latencies: list[float]) -> None:
    i = 0
    while time.monotonic() < until:
        started = time.perf_counter()
        response = await client.get(paths[i % len(paths)])
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, (paths[i % len(paths)], response.status_code, response.text[:200])
        i += 1


async def viewer(client, run_id: int, until: float, first_bytes: list[float], early: list[int]) -> None:
    started = time.perf_counter()
    async with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        first = True
        async for _ in response.aiter_raw():
            if first:
                first_bytes.append(time.perf_counter() - started)
                first = False
            if time.monotonic() >= until:
                return
    early.append(run_id)  # the server ended the stream of a run still running


async def phase(url: str, token: str, ids: list[int], project: int, viewers: int) -> dict:
    limits = httpx.Limits(max_connections=viewers + READERS + 5)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=60,
                                 limits=limits) as client:
        until = time.monotonic() + SECONDS
        latencies, first_bytes, early = [], [], []
        tasks = [viewer(client, ids[i % len(ids)], until, first_bytes, early) for i in range(viewers)]
        tasks += [reader(client, reads(ids, project), until, latencies) for _ in range(READERS)]
        await asyncio.gather(*tasks)
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50": cuts[49] * 1000, "p99": cuts[98] * 1000, "reads": len(latencies),
            "first_byte": max(first_bytes, default=0.0), "early": len(early)}


@contextlib.contextmanager
def profiled(pid: int, path: str | None, cpu: dict):
    """The CPU seconds process `pid` spends while the block runs (into cpu["seconds"]), and
    py-spy sampling it with a path. CPU time is the figure this shared machine's load moves least."""
    process = psutil.Process(pid)
    before = sum(process.cpu_times()[:2])
    if not path:
        yield
        cpu["seconds"] = sum(process.cpu_times()[:2]) - before
        return
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    sampler = subprocess.Popen([spy, "record", "-p", str(pid), "-r", "100", "--format", "raw", "--nonblocking",
                                "-o", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
        cpu["seconds"] = sum(process.cpu_times()[:2]) - before
    finally:
        sampler.send_signal(2)  # SIGINT: py-spy writes what it sampled and exits
        sampler.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", metavar="PREFIX", help="py-spy uvicorn into PREFIX-idle.txt, PREFIX-load.txt")
    prefix = parser.parse_args().profile
    with scratch_database("test_netweave_load") as database, tempfile.TemporaryDirectory() as tmp:
        ids, project, token = prepare()
        env = env_for(database, Path(tmp), OMP_NUM_THREADS="1")
        web, url = start_web(env, Path(tmp))
        try:
            httpx.get(f"{url}/api/layers", headers={"Authorization": f"Token {token}"}, timeout=120)  # warm up
            with profiled(web.proc.pid, prefix and f"{prefix}-idle.txt", idle_cpu := {}):
                idle = asyncio.run(phase(url, token, ids, project, viewers=0))
            stop = threading.Event()
            writers = [threading.Thread(target=stream_points, args=(run_id, stop)) for run_id in ids]
            for writer in writers:
                writer.start()
            with profiled(web.proc.pid, prefix and f"{prefix}-load.txt", load_cpu := {}):
                loaded = asyncio.run(phase(url, token, ids, project, viewers=VIEWERS))
            stop.set()
            for writer in writers:
                writer.join()
        finally:
            web.stop()
    print(f"idle reads: p50 {idle['p50']:.0f} ms, p99 {idle['p99']:.0f} ms ({idle['reads']} reads)")
    print(f"under load ({RUNS} runs streaming, {VIEWERS} SSE viewers, {READERS} readers): "
          f"p50 {loaded['p50']:.0f} ms, p99 {loaded['p99']:.0f} ms ({loaded['reads']} reads)")
    print(f"slowest first SSE byte: {loaded['first_byte'] * 1000:.0f} ms; streams closed early: {loaded['early']}")
    print(f"uvicorn CPU: idle {idle_cpu['seconds'] * 1000 / idle['reads']:.1f} ms per read; under load "
          f"{load_cpu['seconds'] / SECONDS * 100:.0f} % of a core ({load_cpu['seconds'] * 1000 / loaded['reads']:.1f} ms "
          "per read, streams included)")
    print(f"ratio p99 under load / idle: {loaded['p99'] / idle['p99']:.1f}x (goals: p99 <= 300 ms, first byte <= 1 s)")


if __name__ == "__main__":
    main()
