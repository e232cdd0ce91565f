"""Standalone mode end to end: SQLite, kombu's filesystem broker, a real Celery worker,
the real training child, and SSE served by polling the database (no Redis)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from tests.workers.processes import ROOT, read_events, start_web, start_worker

pytestmark = pytest.mark.integration


def test_a_run_trains_on_the_filesystem_broker_with_sqlite_and_streams_by_polling(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'netweave.sqlite3'}", NETWEAVE_BROKER_DIR=str(tmp_path / "broker"),
               NETWEAVE_RUNS_ROOT=str(tmp_path / "runs"), OMP_NUM_THREADS="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    worker = start_worker("solo", env, tmp_path, wait=False)
    web = None
    try:
        web, url = start_web(env, tmp_path)
        worker.wait_for_output(" ready.")
        launched = subprocess.run([sys.executable, "tests/workers/standalone_launch.py"], cwd=ROOT, env=env,
                                  check=True, capture_output=True, text=True)
        made = json.loads(launched.stdout.strip().splitlines()[-1])
        events = read_events(url, made["run"], made["token"])
    finally:
        if web is not None:
            web.stop()
        worker.stop()
    assert "filesystem" in worker.output()
    states = [data["state"] for _, kind, data in events if kind == "state"]
    assert states[-1] == "succeeded", events[-1]
    streamed = sum(len(data["points"]) for _, kind, data in events if kind == "metrics")
    with sqlite3.connect(tmp_path / "netweave.sqlite3") as db:
        stored = db.execute("SELECT count(*) FROM runs_metricpoint WHERE run_id = ?", (made["run"],)).fetchone()[0]
        state = db.execute("SELECT state FROM runs_run WHERE id = ?", (made["run"],)).fetchone()[0]
    assert state == "succeeded"
    assert stored == streamed > 0
