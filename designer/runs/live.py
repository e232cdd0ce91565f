"""Wake-ups for live listeners: Redis publish/subscribe on channel `db<n>:run:<id>`.

The database is the record; a message here only says "run 12 has new events
up to id N", so a lost message costs a listener at most one poll interval.
Without Redis (standalone mode) nothing is published and listeners poll.
"""
from __future__ import annotations

import logging
import threading

from django.conf import settings
from redis.connection import parse_url

log = logging.getLogger("netweave.runs.live")

_local = threading.local()


def channel(run_id: int | str) -> str:
    """The run's channel in this Redis database's namespace. Publish/subscribe ignores the
    database number: two deployments (or test shards) on one Redis server, each on its own
    database, would otherwise wake each other's streams (as kombu prefixes Celery's fanout)."""
    db = parse_url(settings.REDIS_URL).get("db", 0) if settings.REDIS_URL else 0
    return f"db{db}:run:{run_id}"


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)


def _client():
    import redis

    client = getattr(_local, "client", None)
    if client is None:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        _local.client = client
    return client


def publish(run_id: int, event_id: int) -> None:
    """Announce new events of a run; never fails the caller (the DB has them)."""
    if not redis_enabled():
        return
    try:
        _client().publish(channel(run_id), str(event_id))
    except Exception as exc:  # a broken Redis must not fail a training run
        log.warning("could not publish run %s event %s on Redis: %s", run_id, event_id, exc)
