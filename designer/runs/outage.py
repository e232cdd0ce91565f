"""Riding out a database that restarts or drops its connections, while a run trains.

The training child does not need the database: its supervisor keeps reading
what it prints into the ingest's buffer and retries the writes with backoff;
nothing is lost (the ingest keeps a batch until it is stored, and storing a
batch twice is harmless: points are unique on (run, key, step)). Only an
outage longer than MAX_OUTAGE_SECONDS ends the supervision.
"""
from __future__ import annotations

import logging
import time

from django.db import InterfaceError, OperationalError, connection

log = logging.getLogger("netweave.runs.outage")

TRANSIENT = (OperationalError, InterfaceError)
MAX_OUTAGE_SECONDS = 600.0
FIRST_BACKOFF, MAX_BACKOFF = 0.25, 5.0


class Outage:
    """Backoff state of one supervision: when to try the database again."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.since: float | None = None
        self.failures = 0
        self.retry_at = 0.0

    def ready(self) -> bool:
        return time.monotonic() >= self.retry_at

    def failed(self, exc: Exception) -> None:
        """Note a transient failure: back off, or re-raise once the outage lasted too long."""
        now = time.monotonic()
        if self.since is None:
            self.since = now
            log.warning("run %s: the database is unavailable (%s); the child keeps training, "
                        "its output is buffered", self.run_id, str(exc).strip().splitlines()[0:1])
        if now - self.since > MAX_OUTAGE_SECONDS:
            raise exc
        self.failures += 1
        self.retry_at = now + min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (self.failures - 1))
        try:
            connection.close()  # a broken connection goes back to the pool, which drops it
        except TRANSIENT:
            pass

    def recovered(self) -> None:
        if self.since is not None:
            log.warning("run %s: the database is back after %.1f s", self.run_id, time.monotonic() - self.since)
            self.since, self.failures, self.retry_at = None, 0, 0.0

    def call(self, fn, *args, **kwargs):
        """fn(*args, **kwargs), retried with backoff through an outage."""
        while True:
            try:
                result = fn(*args, **kwargs)
            except TRANSIENT as exc:
                self.failed(exc)
                time.sleep(max(0.0, self.retry_at - time.monotonic()))
                continue
            self.recovered()
            return result
