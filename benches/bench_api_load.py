"""API latency under load (issue #16 item 9): reads while runs stream to SSE viewers.

Load: 4 runs ingesting metric points (the worker's ingest path, Redis
wake-ups, in a process of their own as the worker's is), 50 SSE viewers on
them (another process, as browsers are), 10 clients reading (runs list, run
detail, series, compare, runs table) whose latencies are measured here.
Phases, back to back on the same uvicorn:

- idle: the readers alone (the baseline);
- load: streams, viewers and readers;
- with --jobs N, two more: the same load plus N training processes (a torch
  loop on every core, started by the worker's own start path,
  designer/runs/process.start_child) at nice 0, then at NETWEAVE_JOB_NICE.

Prints p50/p99 of the reads (and per endpoint with --endpoints), the slowest
first SSE byte, how many streams closed before the end (none should: the runs
are still running), uvicorn's CPU per read, and the ratios between phases.

    .venv/bin/python benches/bench_api_load.py [--jobs 4] [--endpoints] [--profile PREFIX]

With --profile, py-spy (the dev extras) samples uvicorn through each phase into
PREFIX-<phase>.txt (collapsed stacks, for flamegraph.pl or speedscope).

Uses DATABASE_URL (PostgreSQL) with a scratch test database, and REDIS_URL
(default redis://127.0.0.1:6379/4). Goals: p99 <= 300 ms, first byte <= 1 s.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
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
# A training child's CPU: a small model's steps, on torch's default threads (every core).
TRAIN = """
import torch
model = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(256, 256), torch.randint(0, 10, (256,))
while True:
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
"""


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


def stream_points(run_id: int, stop) -> None:
    """A training run's output: 20 points every 0.1 s through the ingest path."""
    from django.db import connection
    from django.db.models import Max

    from designer.runs.ingest import Ingest
    from designer.runs.models import MetricSummary

    ingest = Ingest(run_id)
    step = MetricSummary.objects.filter(run_id=run_id).aggregate(last=Max("last_step"))["last"] + 1
    while not stop.wait(0.1):
        for _ in range(10):
            ingest.handle({"type": "metric", "step": step, "split": "train", "time": time.time(),
                           "values": {"loss": 1 / (1 + step), "accuracy": 0.5}})
            step += 1
        ingest.flush()
    connection.close()


def streamer(ids: list[int], stop) -> None:
    """The worker's side, in its own process: one ingest thread per run."""
    failures = []
    threading.excepthook = lambda hook: (failures.append(hook), threading.__excepthook__(hook))
    writers = [threading.Thread(target=stream_points, args=(run_id, stop)) for run_id in ids]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    sys.exit(1 if failures else 0)


def reads(ids: list[int], project: int) -> list[str]:
    joined = ",".join(map(str, ids))
    return [f"/api/runs?project={project}", f"/api/runs/{ids[0]}", f"/api/series?runs={ids[1]}",
            f"/api/compare?runs={joined}", f"/api/projects/{project}/runs-table"]


def client(url: str, token: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=60,
                             limits=httpx.Limits(max_connections=connections + 5))


async def reader(http, paths: list[str], until: float, latencies: dict[str, list[float]]) -> None:
    i = 0
    while time.monotonic() < until:
        path = paths[i % len(paths)]
        started = time.perf_counter()
        response = await http.get(path)
        latencies[path].append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
        i += 1


async def viewer(http, run_id: int, until: float, first_bytes: list[float], early: list[int]) -> None:
    started = time.perf_counter()
    async with http.stream("GET", f"/api/runs/{run_id}/events") as response:
        first = True
        async for _ in response.aiter_raw():
            if first:
                first_bytes.append(time.perf_counter() - started)
                first = False
            if time.monotonic() >= until:
                return
    early.append(run_id)  # the server ended the stream of a run still running


async def view(url: str, token: str, ids: list[int], seconds: float) -> tuple[list[float], list[int]]:
    first_bytes: list[float] = []
    early: list[int] = []
    async with client(url, token, VIEWERS) as http:
        until = time.monotonic() + seconds
        await asyncio.gather(*[viewer(http, ids[i % len(ids)], until, first_bytes, early) for i in range(VIEWERS)])
    return first_bytes, early


def viewers(url: str, token: str, ids: list[int], seconds: float, results) -> None:
    """The browsers' side, in its own process: their stream parsing is not the readers' wait."""
    results.put(asyncio.run(view(url, token, ids, seconds)))


async def read(url: str, token: str, paths: list[str]) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = {path: [] for path in paths}
    async with client(url, token, READERS) as http:
        until = time.monotonic() + SECONDS
        await asyncio.gather(*[reader(http, paths, until, latencies) for _ in range(READERS)])
    return latencies


def percentiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


@contextlib.contextmanager
def sampled(pid: int, path: str | None):
    """py-spy (the dev extras) sampling process `pid` into collapsed stacks at `path`, if given."""
    if not path:
        yield
        return
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    sampler = subprocess.Popen([spy, "record", "-p", str(pid), "-r", "100", "--format", "raw", "--nonblocking",
                                "-o", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        sampler.send_signal(2)  # SIGINT: py-spy writes what it sampled and exits
        sampler.wait(timeout=60)


def phase(web_pids: list[int], url: str, token: str, ids: list[int], project: int, loaded: bool,
          profile: str | None = None) -> dict:
    with sampled(web_pids[-1], profile):
        return _phase(web_pids, url, token, ids, project, loaded)


def _phase(web_pids: list[int], url: str, token: str, ids: list[int], project: int, loaded: bool) -> dict:
    processes = [psutil.Process(pid) for pid in web_pids]
    cpu_before = sum(sum(p.cpu_times()[:2]) for p in processes)
    context = multiprocessing.get_context("fork")
    stop, results = context.Event(), context.Queue()
    helpers = []
    if loaded:
        from django.db import connection

        # The forked streamer opens its own: a copy of this process's pool would wait
        # forever for connections from pool threads that stayed behind in the fork.
        connection.close()
        connection.close_pool()
        helpers = [context.Process(target=streamer, args=(ids, stop), name="streamer"),
                   context.Process(target=viewers, args=(url, token, ids, SECONDS + 1.0, results), name="viewers")]
        for helper in helpers:
            helper.start()
        time.sleep(0.5)  # the viewers connect as the readers start
    latencies = asyncio.run(read(url, token, reads(ids, project)))
    cpu = sum(sum(p.cpu_times()[:2]) for p in processes) - cpu_before
    first_bytes, early = results.get(timeout=120) if loaded else ([], [])
    stop.set()
    for helper in helpers:
        helper.join(timeout=60)
        if helper.exitcode != 0:
            raise SystemExit(f"the bench's {helper.name} ended with {helper.exitcode}: see above")
    every = [x for values in latencies.values() for x in values]
    p50, p99 = percentiles(every)
    return {"p50": p50, "p99": p99, "reads": len(every), "first_byte": max(first_bytes, default=0.0),
            "connected": len(first_bytes), "early": len(early), "cpu": cpu,
            "endpoints": {path: percentiles(values) for path, values in latencies.items()}}


def start_jobs(count: int, nice: int, tmp: Path) -> list:
    """`count` training processes started as the worker starts a cold job child (its preexec)."""
    from django.conf import settings

    from designer.runs.process import start_child

    settings.NETWEAVE_JOB_NICE = nice
    folders = [tmp / f"job{nice}-{i}" for i in range(count)]
    for folder in folders:
        folder.mkdir()
    jobs = [start_child([sys.executable, "-c", TRAIN], folder) for folder in folders]
    time.sleep(5.0)  # past torch's import: training
    return jobs


def stop_jobs(jobs: list) -> None:
    from designer.runs.process import kill_group

    for job in jobs:
        kill_group(job.pid, 5.0, job)
        job.wait()


def report(name: str, result: dict, endpoints: bool) -> None:
    print(f"{name}: p50 {result['p50']:.0f} ms, p99 {result['p99']:.0f} ms ({result['reads']} reads); "
          f"uvicorn CPU {result['cpu'] * 1000 / result['reads']:.1f} ms per read, "
          f"{result['cpu'] / SECONDS * 100:.0f} % of a core"
          + (f"; slowest first SSE byte {result['first_byte'] * 1000:.0f} ms ({result['connected']} of {VIEWERS} "
             f"streams), closed early: {result['early']}" if result["connected"] or result["early"] else ""))
    if endpoints:
        for path, (p50, p99) in result["endpoints"].items():
            print(f"    {path:40s} p50 {p50:6.0f} ms  p99 {p99:6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=0, help="training processes for the two extra phases")
    parser.add_argument("--endpoints", action="store_true", help="p50/p99 of each read")
    parser.add_argument("--profile", metavar="PREFIX", help="py-spy uvicorn into PREFIX-<phase>.txt")
    args = parser.parse_args()
    from django.conf import settings

    job_nice = settings.NETWEAVE_JOB_NICE
    name = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1] or "netweave"
    print(f"load average {os.getloadavg()[0]:.1f} at the start; {os.cpu_count()} cores")
    with scratch_database(f"test_{name}_load") as database, tempfile.TemporaryDirectory() as tmp:
        ids, project, token = prepare()
        env = env_for(database, Path(tmp), OMP_NUM_THREADS="1")
        web, url = start_web(env, Path(tmp))
        pids = [web.proc.pid]
        results = {}
        try:
            for path in reads(ids, project):  # warm up (imports, first connections)
                httpx.get(f"{url}{path}", headers={"Authorization": f"Token {token}"}, timeout=120)
            def profile(name: str) -> str | None:
                return args.profile and f"{args.profile}-{name}.txt"

            results["idle"] = phase(pids, url, token, ids, project, False, profile("idle"))
            results["load"] = phase(pids, url, token, ids, project, True, profile("load"))
            for nice in ((0, job_nice) if args.jobs else ()):
                jobs = start_jobs(args.jobs, nice, Path(tmp))
                try:
                    results[f"load + {args.jobs} jobs at nice {nice}"] = phase(pids, url, token, ids, project, True,
                                                                               profile(f"jobs-nice{nice}"))
                finally:
                    stop_jobs(jobs)
        finally:
            web.stop()
    print(f"{RUNS} runs streaming, {VIEWERS} SSE viewers, {READERS} readers, {SECONDS:.0f} s a phase, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    for phase_name, result in results.items():
        report(phase_name, result, args.endpoints)
    idle = results["idle"]["p99"]
    print("ratios of p99 to idle: " + ", ".join(f"{n} {r['p99'] / idle:.1f}x" for n, r in results.items()
                                               if n != "idle"))
    if args.jobs:
        plain, niced = results[f"load + {args.jobs} jobs at nice 0"], results[f"load + {args.jobs} jobs at nice {job_nice}"]
        print(f"jobs at nice {job_nice} / nice 0: p50 {niced['p50'] / plain['p50']:.2f}x, "
              f"p99 {niced['p99'] / plain['p99']:.2f}x, slowest first byte "
              f"{niced['first_byte'] / max(plain['first_byte'], 1e-9):.2f}x "
              "(goals: p99 <= 300 ms, first byte <= 1 s)")


if __name__ == "__main__":
    main()
