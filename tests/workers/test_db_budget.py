"""Under load, uvicorn stays within its database connection budget (real PostgreSQL).

With persistent per-thread connections every request thread and every SSE
stream kept one: 120 viewers exhausted PostgreSQL's 100 and /api/health
stayed 503 afterwards. Now connections come from a pool of
NETWEAVE_DB_CONNECTIONS and a stream holds none while it waits; the streams
share one Redis subscription (designer/runs/wakeups.py) instead of one
connection each, and a live event reaches every one of them.
"""
from __future__ import annotations

import asyncio
import os
import threading
from urllib.parse import urlparse

import httpx
import psutil
import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.workers.processes import database_url_for_children, start_web, skip_without_team_services

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BUDGET = 4
VIEWERS = 500
READERS = 10
APP_NAME = "netweave-budget-test"


class ConnectionCounter(threading.Thread):
    """Samples pg_stat_activity for the web process's connections (by application_name)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.most, self.samples, self.stopped = 0, 0, threading.Event()

    def run(self):
        db = settings.DATABASES["default"]
        with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                             autocommit=True) as conn:
            while not self.stopped.wait(0.02):
                count = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                                     [APP_NAME]).fetchone()[0]
                self.most, self.samples = max(self.most, count), self.samples + 1


def _redis_connections(pid: int) -> int:
    """TCP connections from process `pid` to Redis' port."""
    port = urlparse(settings.REDIS_URL).port or 6379
    return sum(1 for c in psutil.Process(pid).net_connections("tcp") if c.raddr and c.raddr.port == port)


def _add_live_event(run_id: int) -> int:
    from designer.runs import lifecycle
    from designer.runs.models import EventKind

    try:
        return lifecycle.add_event(run_id, EventKind.LOG, {"level": "info", "message": "live"})
    finally:
        connection.close()


async def _load(url: str, run_id: int, token: str, web_pid: int) -> dict:
    """VIEWERS streams replay the run's first event and wait for more; while
    they all wait, READERS clients read. Streams that held their connection
    would starve the readers (503 after NETWEAVE_DB_WAIT) and each other.
    Then one event is added: every stream must get it (its Redis wake-up)."""
    headers = {"Authorization": f"Token {token}"}
    limits = httpx.Limits(max_connections=VIEWERS + READERS + 5)
    timeout = httpx.Timeout(120, connect=60)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout, limits=limits) as client:
        all_waiting, reads_done, replayed, settled, live = asyncio.Event(), asyncio.Event(), [], [], []
        seen = {}

        async def view():
            try:
                async with client.stream("GET", f"/api/runs/{run_id}/events") as response:
                    lines = response.aiter_lines()
                    async for line in lines:
                        if line.startswith("id: "):  # the replayed event: this stream read the database
                            replayed.append(response.status_code)
                            break
                    settled.append(1)
                    if len(settled) == VIEWERS:
                        all_waiting.set()
                    await reads_done.wait()
                    async for line in lines:
                        if line.startswith("id: "):
                            live.append(int(line[4:]))
                            return
            finally:
                if len(settled) < VIEWERS:  # this one failed: the readers must not wait for it
                    settled.append(0)
                    if len(settled) == VIEWERS:
                        all_waiting.set()

        async def read(n: int):
            await all_waiting.wait()
            return [(await client.get(f"/api/runs/{run_id}")).status_code for _ in range(n)]

        viewers = [asyncio.create_task(view()) for _ in range(VIEWERS)]
        try:
            reads = await asyncio.wait_for(asyncio.gather(*(read(5) for _ in range(READERS))), timeout=180)
            seen["redis"] = _redis_connections(web_pid)
            seen["event"] = await asyncio.to_thread(_add_live_event, run_id)
        finally:
            reads_done.set()
            await asyncio.wait_for(asyncio.gather(*viewers, return_exceptions=True), timeout=120)
    return {"streams": replayed, "reads": [code for codes in reads for code in codes], "live": live, **seen}


def test_streams_and_requests_stay_within_the_connection_budget(make_run, owner, tmp_path):
    skip_without_team_services()
    from rest_framework.authtoken.models import Token

    from designer.runs.models import EventKind, RunEvent

    run = make_run()  # queued, never sent: its streams wait for events after the first
    RunEvent.build(run.pk, EventKind.LOG, {"level": "info", "message": "queued"}).save()
    token = Token.objects.create(user=owner).key
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "PGAPPNAME": APP_NAME,
           "NETWEAVE_DB_CONNECTIONS": str(BUDGET), "NETWEAVE_DB_WAIT": "20", "OMP_NUM_THREADS": "1"}
    web, url = start_web(env, tmp_path)
    counter = ConnectionCounter()
    counter.start()
    try:
        seen = asyncio.run(_load(url, run.pk, token, web.proc.pid))
        counter.stopped.set()
        counter.join()
        assert seen["streams"] == [200] * VIEWERS
        assert seen["reads"] == [200] * (READERS * 5)
        assert 0 < counter.most <= BUDGET, f"{counter.most} connections over {counter.samples} samples"
        assert seen["redis"] <= 2, f"{seen['redis']} Redis connections for {VIEWERS} streams"
        assert seen["live"] == [seen["event"]] * VIEWERS
        assert httpx.get(f"{url}/api/health", timeout=10).json() == {"status": "ok", "database": "ok"}
    finally:
        counter.stopped.set()
        web.stop()
