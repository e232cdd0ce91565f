"""Under load, uvicorn stays within its database connection budget (real PostgreSQL).

With persistent per-thread connections every request thread and every SSE
stream kept one: 120 viewers exhausted PostgreSQL's 100 and /api/health
stayed 503 afterwards. Now connections come from a pool of
NETWEAVE_DB_CONNECTIONS and a stream holds none while it waits.
"""
from __future__ import annotations

import asyncio
import os
import threading

import httpx
import psycopg
import pytest
from django.conf import settings

from tests.workers.processes import database_url_for_children, start_web

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BUDGET = 4
VIEWERS = 150
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


async def _load(url: str, run_id: int, token: str) -> tuple[list[int], list[int]]:
    """VIEWERS streams replay the run's first event and wait for more; while
    they all wait, READERS clients read. Streams that held their connection
    would starve the readers (503 after NETWEAVE_DB_WAIT) and each other."""
    headers = {"Authorization": f"Token {token}"}
    limits = httpx.Limits(max_connections=VIEWERS + READERS + 5)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        all_waiting, reads_done, replayed = asyncio.Event(), asyncio.Event(), []

        async def view():
            async with client.stream("GET", f"/api/runs/{run_id}/events") as response:
                async for line in response.aiter_lines():
                    if line.startswith("id: "):  # the replayed event: this stream read the database
                        replayed.append(response.status_code)
                        break
                if len(replayed) == VIEWERS:
                    all_waiting.set()
                await reads_done.wait()

        async def read(n: int):
            await all_waiting.wait()
            return [(await client.get(f"/api/runs/{run_id}")).status_code for _ in range(n)]

        viewers = [asyncio.create_task(view()) for _ in range(VIEWERS)]
        try:
            reads = await asyncio.wait_for(asyncio.gather(*(read(5) for _ in range(READERS))), timeout=90)
        finally:
            reads_done.set()
            await asyncio.gather(*viewers, return_exceptions=True)
    return replayed, [code for codes in reads for code in codes]


def test_streams_and_requests_stay_within_the_connection_budget(make_run, owner, tmp_path):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs DATABASE_URL=postgres://...")
    from rest_framework.authtoken.models import Token

    from designer.runs.models import EventKind, RunEvent

    run = make_run()  # queued, never sent: its streams wait for events after the first
    RunEvent.build(run.pk, EventKind.LOG, {"level": "info", "message": "queued"}).save()
    token = Token.objects.create(user=owner).key
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "PGAPPNAME": APP_NAME,
           "NETWEAVE_DB_CONNECTIONS": str(BUDGET), "NETWEAVE_DB_WAIT": "5", "OMP_NUM_THREADS": "1"}
    web, url = start_web(env, tmp_path)
    counter = ConnectionCounter()
    counter.start()
    try:
        stream_codes, read_codes = asyncio.run(_load(url, run.pk, token))
        counter.stopped.set()
        counter.join()
        assert stream_codes == [200] * VIEWERS
        assert read_codes == [200] * (READERS * 5)
        assert 0 < counter.most <= BUDGET, f"{counter.most} connections over {counter.samples} samples"
        assert httpx.get(f"{url}/api/health", timeout=10).json() == {"status": "ok", "database": "ok"}
    finally:
        counter.stopped.set()
        web.stop()
