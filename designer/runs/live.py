"""Wake-ups for live listeners: Redis publish/subscribe on channel `db<n>:run:<id>`.

The database is the record; a message here only says "run 12 has new events
up to id N", so a lost message costs a listener at most one poll interval.
Without Redis (standalone mode) nothing is published and listeners poll.

And the other way: a web process with streams of a run marks it watched (a key that
expires, renewed while they last: designer/runs/wakeups.py), so that the run's
supervisor writes its points every 0.1 s for them and once a second for nobody.
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


# A mark of a watched run lives this long; the hub of a process with streams of it renews it
# every WATCH_RENEW_SECONDS.
WATCHED_SECONDS = 6
WATCH_RENEW_SECONDS = 2.0


def watched_key(run_id: int | str) -> str:
    """Keys live in REDIS_URL's database already: no prefix by number needed, unlike channels."""
    return f"netweave:watched:{run_id}"


def watched(run_id: int) -> bool:
    """Does someone follow the run live? True when nobody can tell (no Redis, Redis away):
    a run then writes as promptly as it would for a viewer."""
    if not redis_enabled():
        return True
    try:
        return bool(_client().exists(watched_key(run_id)))
    except Exception as exc:  # never fail a training run over a hint
        log.debug("could not read whether run %s is watched: %s", run_id, exc)
        return True
