"""The house decorator every Netweave task goes through.

One place sets a task's explicit name and queue, logs its start and end
with timing, and handles failure: an unexpected exception is logged with the
task's arguments and re-raised so Celery records it, never swallowed.
"""
from __future__ import annotations

import enum
import functools
import logging
import time
from typing import Callable

from designer.celery import app

log = logging.getLogger("netweave.tasks")


def netweave_task(name: str, queue: enum.Enum, **options) -> Callable:
    """Register `fn` as the Celery task `netweave.<name>` routed to `queue`.

    Tasks take primary keys, re-read rows and must be idempotent: messages
    are acknowledged late, so a worker that dies mid-task has its message
    delivered again.
    """

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            started = time.monotonic()
            log.info("task %s%r starting", name, args)
            try:
                result = fn(*args, **kwargs)
            except Exception:
                log.exception("task %s%r failed after %.1f s", name, args, time.monotonic() - started)
                raise
            log.info("task %s%r done in %.1f s", name, args, time.monotonic() - started)
            return result

        full_name = f"netweave.{name}"
        # Routes, not the deprecated `queue` task attribute; a caller may still
        # pick another queue per message (a run goes to its own queue).
        app.conf.task_routes = {**(app.conf.task_routes or {}), full_name: {"queue": queue.value}}
        return app.task(name=full_name, acks_late=True, **options)(run)

    return decorate
