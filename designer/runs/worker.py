"""How a Netweave worker is started (standalone mode, tests, docker compose)."""
from __future__ import annotations

import sys

from workers.tasks.queues import Queue


def worker_command(queues: list[str] | None = None, concurrency: int = 1, name: str = "") -> list[str]:
    """`celery worker` for the given queues (all by default).

    One task at a time per process (prefetch 1, late acks); no gossip or
    mingle: workers share nothing but the broker and the database, and a
    worker starts faster without them.
    """
    command = [sys.executable, "-m", "celery", "-A", "designer", "worker",
               "--loglevel", "INFO", "--concurrency", str(concurrency),
               "-Q", ",".join(queues or Queue.names()),
               "--without-gossip", "--without-mingle"]
    if name:
        command += ["--hostname", name]
    return command
