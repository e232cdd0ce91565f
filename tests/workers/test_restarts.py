"""Real restarts mid-run: PostgreSQL and Redis stopped and started again while
a real Celery worker trains on digits and a viewer follows the run over SSE.

The shared servers must not be restarted, so this module starts its own
(tests/workers/private_services.py) and points uvicorn, the worker and this
test process at them. After each restart: the run trained on and succeeded,
every step's point is stored once, the SSE stream delivered every event to
the end, and /api/health answers 200 again.
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from django.conf import settings
from django.db import OperationalError, connection

from designer.runs.models import MetricPoint, MetricSummary, Run, RunEvent
from tests.api import documents
from tests.workers.private_services import PrivatePostgres, PrivateRedis
from tests.workers.processes import Process, read_events, start_web, start_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DOWN_SECONDS = 2.0
# ~5,400 steps: several seconds of training on a warm worker, so the restart (2 s down, then the
# recovery) lands mid-run; 8 epochs once ended before PostgreSQL stopped on a quiet machine.
CONFIG = {"epochs": 60, "batch_size": 16, "system_every_s": 1.0}


@dataclass
class Stack:
    postgres: PrivatePostgres
    redis: PrivateRedis
    url: str
    web: Process
    worker: Process
    runs: Path


def _copy_schema(postgres: PrivatePostgres, name: str) -> None:
    """The session's migrated test database, copied: faster than migrating again (~20 s here)."""
    source = settings.DATABASES["default"]
    dump = subprocess.run([str(postgres.bin / "pg_dump"), "--no-owner", "--no-privileges", "-h", source["HOST"],
                           "-p", str(source["PORT"] or 5432), "-U", source["USER"], source["NAME"]],
                          capture_output=True, check=True, timeout=120)
    subprocess.run([str(postgres.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", postgres.url(name)],
                   input=dump.stdout, capture_output=True, check=True, timeout=120)


@contextmanager
def _this_process_on(url: str):
    """Point this test process's ORM at another server for a while (its pool closed and remade)."""
    saved = dict(connection.settings_dict)
    parsed = urlparse(url)
    connection.close()
    connection.close_pool()
    connection.settings_dict.update(NAME=parsed.path.lstrip("/"), HOST=parsed.hostname, PORT=parsed.port)
    try:
        yield
    finally:
        connection.close()
        connection.close_pool()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://... (the schema is copied from its test database)")
    base = tmp_path_factory.mktemp("restarts")
    postgres, redis = PrivatePostgres(), PrivateRedis(base)
    try:
        postgres.start()
        postgres.create_database("netweave")
        with django_db_blocker.unblock():
            _copy_schema(postgres, "netweave")
        redis.start()
        env = {**os.environ, "DATABASE_URL": postgres.url("netweave"), "REDIS_URL": redis.url(),
               "NETWEAVE_RUNS_ROOT": str(base / "runs"), "NETWEAVE_HEARTBEAT_SECONDS": "0.5",
               "NETWEAVE_DB_WAIT": "3", "OMP_NUM_THREADS": "1"}
        worker = start_worker("restarts", env, base, queues=["cpu"], wait=False)
        web, url = start_web(env, base)
        worker.wait_for_output(" ready.")
        with _this_process_on(postgres.url("netweave")):
            yield Stack(postgres, redis, url, web, worker, base / "runs")
        # Killed, not stopped: nothing is left to finish, and a graceful stop costs ~10 s of CI.
        web.kill()
        worker.kill()
    finally:
        redis.close()
        postgres.close()


@pytest.fixture
def launch(stack, owner, project):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=owner).key
    client = httpx.Client(base_url=stack.url, headers={"Authorization": f"Token {token}"}, timeout=60)
    graph = client.post(f"/api/projects/{project.pk}/graphs", json={"name": "digits", "document": documents.tiny_cnn()})
    assert graph.status_code == 201, graph.text

    def make() -> tuple[int, str]:
        response = client.post("/api/runs", json={"graph": graph.json()["id"], "dataset": {"kind": "digits"},
                                                  "config": CONFIG})
        assert response.status_code == 201, response.text
        return response.json()["id"], token

    yield make
    client.close()


def _quietly(query):
    """A read that may meet the database restarting: None then."""
    def read():
        try:
            return query()
        except OperationalError:
            connection.close()
            return None
    return read


class Viewer(threading.Thread):
    """Follows a run's SSE stream to its end, as a browser does."""

    def __init__(self, url: str, run_id: int, token: str):
        super().__init__(daemon=True)
        self.url, self.run_id, self.token, self.events, self.error = url, run_id, token, [], None

    def run(self):
        try:
            self.events = read_events(self.url, self.run_id, self.token, timeout=120)
        except Exception as exc:  # reported by the test
            self.error = exc


def _training(run_id: int, token: str, stack: Stack) -> Viewer:
    """A viewer on the run, once the run stores points."""
    viewer = Viewer(stack.url, run_id, token)
    viewer.start()
    wait_until(_quietly(lambda: MetricPoint.objects.filter(run_id=run_id, key="train/loss").count() > 20),
               timeout=180, what="the run's first points")
    return viewer


def _health(url: str) -> int:
    try:
        return httpx.get(f"{url}/api/health", timeout=15).status_code
    except httpx.HTTPError:
        return 0


def _assert_complete(run_id: int, viewer: Viewer, restarted_at: float) -> None:
    """The run succeeded in one attempt, trained through the restart, stored every step once,
    and the viewer got every event, in order, to the final state."""
    run = wait_until(_quietly(lambda: (r := Run.objects.get(pk=run_id)).is_terminal and r), timeout=240,
                     what="the run to end")
    assert (run.state, run.attempts) == ("succeeded", 1), run.error
    loss = MetricSummary.objects.get(run=run, key="train/loss")
    stored = MetricPoint.objects.filter(run=run, key="train/loss")
    assert loss.count == stored.count() == loss.last_step - loss.first_step + 1, "a step is missing"
    assert (loss.first_step, loss.last_step) == (1, run.summary["steps"])
    assert stored.filter(time__gt=restarted_at).exists(), "no training after the restart"
    viewer.join(timeout=120)
    assert viewer.error is None, viewer.error
    ids = [event_id for event_id, _, _ in viewer.events]
    assert ids == list(RunEvent.objects.filter(run=run).values_list("pk", flat=True))
    assert viewer.events[-1][2].get("state") == "succeeded"
    streamed = [p for _, kind, data in viewer.events if kind == "metrics" for p in data["points"]]
    assert len(streamed) == MetricPoint.objects.filter(run=run).count()


def test_a_postgresql_restart_mid_run_loses_nothing(stack, launch):
    run_id, token = launch()
    viewer = _training(run_id, token, stack)
    stack.postgres.stop()
    stopped = time.time()
    assert _health(stack.url) == 503
    time.sleep(DOWN_SECONDS)
    stack.postgres.start()
    started = time.time()
    wait_until(lambda: _health(stack.url) == 200, timeout=30, what="/api/health to recover")
    print(f"/api/health 200 again {time.time() - started:.1f} s after PostgreSQL started "
          f"({time.time() - stopped:.1f} s after it stopped)")
    _assert_complete(run_id, viewer, stopped)
    # The child trained on while the database was away: steps stamped during the outage were kept.
    assert MetricPoint.objects.filter(run_id=run_id, time__gt=stopped, time__lt=stopped + DOWN_SECONDS).exists()


def test_a_redis_restart_mid_run_loses_nothing(stack, launch):
    run_id, token = launch()
    logged = len(stack.web.output())
    viewer = _training(run_id, token, stack)
    stack.redis.stop()
    stopped = time.time()
    time.sleep(DOWN_SECONDS)
    assert _health(stack.url) == 200  # the database is the record: Redis away changes no answer
    stack.redis.start()
    _assert_complete(run_id, viewer, stopped)
    log = stack.web.output()[logged:]
    assert "Traceback" not in log, log[-3000:]
    assert "wake-ups lost" in log, log[-3000:]  # the streams' one subscription saw Redis go


def test_the_streams_subscription_comes_back_after_a_redis_restart(stack, settings):
    """Once Redis is back, wake-ups flow again (the test above may end before: its run is short)."""
    import asyncio

    import redis

    from designer.runs import live, wakeups

    settings.REDIS_URL = stack.redis.url()

    async def until(condition, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.05)

    async def scenario() -> None:
        listener = wakeups.listen(1)
        try:
            await until(lambda: listener.live)
            stack.redis.stop()
            await until(lambda: not listener.live)
            await asyncio.to_thread(stack.redis.start)
            await until(lambda: listener.live)
            listener.event.clear()
            assert redis.Redis.from_url(stack.redis.url()).publish(live.channel(1), "42") == 1  # one subscriber
            await asyncio.wait_for(listener.event.wait(), 10)  # TimeoutError: the wake-up never came
        finally:
            listener.close()

    asyncio.run(scenario())
