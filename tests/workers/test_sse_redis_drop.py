"""Redis drops the SSE streams' pub/sub connections (what a Redis restart does
to them; CLIENT KILL on the real server, for this uvicorn's connections only):
the streams keep serving events and end only with the run."""
from __future__ import annotations

import os
import threading

import psutil
import pytest
import redis
from django.conf import settings

from designer.runs import lifecycle
from designer.runs.models import EventKind
from tests.workers.processes import database_url_for_children, read_events, start_web, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _drop_pubsub_connections(pid: int) -> int:
    """Kill the Redis connections of process `pid` (and its threads), as a restart would."""
    ports = {c.laddr.port for c in psutil.Process(pid).net_connections("tcp")
             if c.raddr and c.raddr.port == 6379}
    client = redis.Redis.from_url(settings.REDIS_URL)
    return sum(client.client_kill_filter(_type="pubsub", addr=f"127.0.0.1:{port}") for port in ports
               if any(c["addr"] == f"127.0.0.1:{port}" for c in client.client_list(_type="pubsub")))


def test_streams_survive_redis_dropping_their_connections(make_run, owner, tmp_path):
    if not settings.REDIS_URL or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL")
    from rest_framework.authtoken.models import Token

    run = make_run()
    first = lifecycle.add_event(run.pk, EventKind.LOG, {"level": "info", "message": "before"})
    token = Token.objects.create(user=owner).key
    env = {**os.environ, "DATABASE_URL": database_url_for_children(), "OMP_NUM_THREADS": "1"}
    web, url = start_web(env, tmp_path)
    streamed = {}
    reader = threading.Thread(target=lambda: streamed.update(events=read_events(url, run.pk, token, timeout=60)))
    try:
        reader.start()
        wait_until(lambda: _drop_pubsub_connections(web.proc.pid) > 0, timeout=30, what="the stream's subscription")
        lifecycle.add_event(run.pk, EventKind.LOG, {"level": "info", "message": "after"})
        lifecycle.add_event(run.pk, EventKind.STATE, {"state": "failed", "error": "the end"})
        run.state = "failed"
        run.save(update_fields=["state"])
        reader.join(timeout=60)
    finally:
        web.stop()
    messages = [data.get("message") or data.get("state") for _, _, data in streamed["events"]]
    assert messages == ["before", "after", "failed"], messages
    assert streamed["events"][0][0] == first
    assert "Traceback" not in web.output(), web.output()[-2000:]
