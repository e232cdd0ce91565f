"""The service side of bench_tune.py: sweeps on real workers, and the sweep page in Chromium.

Both run on a scratch PostgreSQL database (dropped afterwards); ``workers`` also needs Redis
(REDIS_URL, default db 6) and starts Celery workers of this checkout.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/netweave_tune")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")

import django  # noqa: E402

django.setup()

from bench_dashboard_charts import ARGS, CHROMIUM, PASSWORD, log_in, server_env  # noqa: E402
from bench_runs_ingest import scratch_database  # noqa: E402
from tests.workers.processes import start_web, start_worker  # noqa: E402


def owner_and_graph(document: dict):
    from django.contrib.auth import get_user_model

    from designer.graphs.models import Project
    from designer.graphs.services import create_graph

    user = get_user_model().objects.create_user(username=f"tuner{time.monotonic_ns()}", password=PASSWORD)
    project = Project.objects.create(name="tuning", owner=user)
    return user, create_graph(project, "digits", user, document, "first")


def one_sweep(graph, user, trials: int, workers: int, epochs: int = 1) -> dict:
    """Launch a random sweep, wait for it; trials/hour and the per-trial overhead. The sampler's
    seed is fixed: each count of workers trains the same trials (the width changes a trial's cost)."""
    from designer.runs import services
    from designer.runs.models import MetricPoint, Run
    from designer.tuning.models import Trial

    config = {"space": [{"name": "optimizer.lr", "low": 1e-3, "high": 3e-2, "log": True},
                        {"name": "conv1.out_channels", "type": "int", "low": 2, "high": 8}],
              "sampler": {"name": "random", "seed": 0}, "n_trials": trials, "parallelism": workers,
              "train": {"epochs": epochs, "batch_size": 128, "system_every_s": 60}}
    load = os.getloadavg()[0]
    sweep = services.launch(graph.head, user, dataset={"kind": "digits"}, config=config, kind="tune")
    while not Run.objects.get(pk=sweep.pk).is_terminal:
        time.sleep(0.5)
    sweep = Run.objects.get(pk=sweep.pk)
    assert sweep.state == "succeeded", sweep.error
    rows = []
    for trial in Trial.objects.filter(sweep=sweep).select_related("run"):
        first = MetricPoint.objects.filter(run=trial.run, key="train/loss").order_by("time").values_list(
            "time", flat=True).first()
        rows.append({"asked": trial.created.timestamp(), "started": trial.run.started.timestamp(), "first": first,
                     "ended": trial.run.finished.timestamp(), "worker": trial.run.worker_pid,
                     "params": trial.params})
    timeline(sweep, rows)
    seconds = (sweep.finished - sweep.started).total_seconds()
    return {"seconds": seconds, "per_hour": trials * 3600 / seconds, "load": (load, os.getloadavg()[0]),
            "overhead": statistics.median(r["first"] - r["asked"] for r in rows)}


def timeline(sweep, rows: list[dict]) -> None:
    """Each trial's times from the sweep's start, and where a trial's time goes: asked -> its run
    taken by a worker (commit, broker, claim), -> first training point (job child, data, first
    epoch), -> ended; and a trial's end -> the next trial asked (the coordination step)."""
    zero = sweep.started.timestamp()
    asks = sorted(r["asked"] for r in rows)
    for r in rows:
        later = [a for a in asks if a >= r["ended"]]
        r["next_ask"] = later[0] - r["ended"] if later else None
        print(f"  worker pid {r['worker']}: asked {r['asked'] - zero:6.2f} taken {r['started'] - zero:6.2f} first point "
              f"{r['first'] - zero:6.2f} ended {r['ended'] - zero:6.2f}; next ask after its end "
              + (f"{r['next_ask']:.2f} s" if r["next_ask"] is not None else "-") + f"; {r['params']}")
    gaps = {"ask->taken": [r["started"] - r["asked"] for r in rows],
            "taken->first point": [r["first"] - r["started"] for r in rows],
            "first point->end": [r["ended"] - r["first"] for r in rows],
            "end->next ask": [r["next_ask"] for r in rows if r["next_ask"] is not None],
            "sweep start->first ask": [asks[0] - zero],
            "last end->sweep end": [sweep.finished.timestamp() - max(r["ended"] for r in rows)]}
    print("  medians: " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in gaps.items() if v), flush=True)


def wait_warm(folder: Path, count: int, timeout: float = 180.0) -> None:
    """Until ``count`` workers' zygotes have imported torch and the engine (each binds its socket
    only then): a zygote still importing would take a core from the trials being measured."""
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("netweave-zygote-*/socket"))) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"{count} warm-start processes were not ready after {timeout:.0f} s")
        time.sleep(0.2)


def workers(trials: int, epochs: int = 1, model: str = "tiny", torch_threads: str = "one", repeats: int = 3) -> None:
    """``model``: ``tiny`` (one 4-channel convolution and a linear layer: the service's work per
    epoch dominates a trial) or ``digits_cnn`` (the template: the training does).
    ``torch_threads``: ``one`` (OMP_NUM_THREADS=1 for every job) or ``share`` (none set: each job
    takes the share of the cores its worker gives it, workers/threads.py).
    ``repeats``: rounds of one sweep on one worker, then one on two, taken in turn: this 2-core
    machine's speed drifts by a sixth from one minute to the next, so one pair is not a figure."""
    from django.conf import settings

    from tests.api import documents
    from tests.workers.processes import purge_queues
    from workers.engine import load_template

    with scratch_database("test_netweave_tune_bench") as database, tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        # bench_dashboard_charts drops REDIS_URL from this process's environment: the workers
        # must use the broker this process (its settings) sends to.
        # Each worker's zygote makes its folder under TMPDIR: the bench waits for their sockets.
        (base / "tmp").mkdir()
        env = {**server_env(database, base / "var"), "NETWEAVE_RUNS_ROOT": str(base / "runs"),
               "NETWEAVE_HEARTBEAT_SECONDS": "0.5", "REDIS_URL": settings.REDIS_URL, "TMPDIR": str(base / "tmp")}
        if torch_threads == "share":
            env.pop("OMP_NUM_THREADS", None)
        settings.RUNS_ROOT = base / "runs"
        purge_queues(settings.REDIS_URL)
        user, graph = owner_and_graph(documents.tiny_cnn() if model == "tiny" else load_template(model))
        rounds: list[dict] = []
        procs = []
        try:
            # Measured warm, as workers that serve a team are: both warm-start processes ready,
            # then a sweep of one trial a worker first. "1 worker" is a sweep of parallelism 1:
            # one trial at a time, the other worker idle (blocked on the broker, no CPU).
            for n in (1, 2):
                procs.append(start_worker(f"tune-bench-{n}", env, base, queues=["cpu"]))
                wait_warm(base / "tmp", n)
            warm = {n: one_sweep(graph, user, n, n)["seconds"] for n in (1, 2)}
            for index in range(repeats):
                results = {}
                for n in (1, 2):
                    print(f"round {index + 1}, {n} worker(s):", flush=True)
                    results[n] = one_sweep(graph, user, trials, n, epochs)
                rounds.append(results)
        finally:
            for proc in procs:
                proc.stop()
    report_workers(rounds, trials, epochs, model, warm)


def report_workers(rounds: list[dict], trials: int, epochs: int, model: str, warm: dict) -> None:
    ratios = []
    for index, results in enumerate(rounds, 1):
        ratios.append(results[2]["per_hour"] / results[1]["per_hour"])
        for n, r in results.items():
            print(f"round {index}, {n} worker(s): {trials} trials of {epochs} epoch(s) of {model} in {r['seconds']:.1f} s "
                  f"= {r['per_hour']:.0f} trials/hour; per-trial overhead (asked -> first training point) median "
                  f"{r['overhead']:.2f} s; load average {r['load'][0]:.1f} at its start, {r['load'][1]:.1f} at its end")
    print(f"warm-up sweeps (not counted): {warm[1]:.1f} s (1 trial, 1 worker), {warm[2]:.1f} s (2 trials, 2 workers)")
    print("2 workers vs 1, each round: " + ", ".join(f"{r:.2f}x" for r in ratios))
    print(f"2 workers vs 1: median {statistics.median(ratios):.2f}x over {len(ratios)} rounds "
          f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x; goal >= 1.8x); per-trial overhead median "
          f"{statistics.median(r[n]['overhead'] for r in rounds for n in r):.2f} s")


def seed_trials(graph, user, trials: int):
    """A finished sweep of `trials` trials (rows written in bulk: the page reads the rows)."""
    from designer.runs.models import Run
    from designer.tuning.models import Trial

    rng = random.Random(0)
    config = {"space": [{"name": "optimizer.lr", "low": 1e-4, "high": 0.3, "log": True},
                        {"name": "conv1.out_channels", "type": "int", "low": 2, "high": 64},
                        {"name": "batch_size", "type": "categorical", "choices": [32, 64, 128]}],
              "n_trials": trials, "train": {"epochs": 1}}
    from workers.engine.tune import TuneConfig

    sweep = Run.objects.create(project=graph.project, graph_version=graph.head, kind="tune", state="succeeded",
                               config=TuneConfig.model_validate(config).model_dump(mode="json"),
                               dataset={"kind": "digits"}, created_by=user)
    rows = []
    for n in range(trials):
        params = {"optimizer.lr": 10 ** rng.uniform(-4, -0.5), "conv1.out_channels": rng.randint(2, 64),
                  "batch_size": rng.choice([32, 64, 128])}
        state = rng.choice(["complete"] * 8 + ["pruned", "fail"])
        rows.append(Trial(sweep=sweep, number=n, params=params, state=state,
                          values=[rng.uniform(0.1, 0.99)] if state == "complete" else None,
                          pruned_epoch=1 if state == "pruned" else None))
    Trial.objects.bulk_create(rows, batch_size=2000)
    return sweep


def draw_time(page, sweep_id: int, trials: int) -> float:
    page.goto(f"/sweeps/{sweep_id}")
    page.wait_for_function(
        f"""() => document.querySelector('[data-testid=trials-table][data-rows="{trials}"] .vt-row')
                 && document.querySelector('[data-testid=parallel-coords][data-drawn]')""", timeout=120_000)
    drawn = page.evaluate("() => performance.now()")
    answers = page.evaluate("""() => performance.getEntriesByType('resource').filter(e => e.name.includes('/api/'))
        .map(e => [e.name.split('/api/')[1], Math.round(e.responseStart - e.requestStart), Math.round(e.responseEnd),
                   e.encodedBodySize])""")
    print(f"  {trials} trials: drawn at {drawn:.0f} ms; answers [path, server ms, done at ms, bytes]: {answers}")
    return drawn


def page(trials: int) -> None:
    import subprocess

    from playwright.sync_api import sync_playwright

    from tests.api import documents

    with scratch_database("test_netweave_tune_page") as database, tempfile.TemporaryDirectory() as tmp:
        user, graph = owner_and_graph(documents.tiny_cnn())
        small, big = seed_trials(graph, user, 100), seed_trials(graph, user, trials)
        env = server_env(database, Path(tmp) / "var")
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        web, url = start_web(env, Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                tab = browser.new_page(viewport={"width": 1440, "height": 900}, base_url=url)
                log_in(tab, user.username)
                base = statistics.median(draw_time(tab, small.pk, 100) for _ in range(3))
                ours = statistics.median(draw_time(tab, big.pk, trials) for _ in range(3))
                browser.close()
        finally:
            web.stop()
    print(f"sweep page, 100 trials: table and parallel coordinates drawn {base:.0f} ms after navigation")
    print(f"sweep page, {trials} trials: {ours:.0f} ms (goal <= 2000 ms); {ours / base:.1f}x the 100-trial page")
