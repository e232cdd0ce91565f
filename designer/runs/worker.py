"""How a Netweave worker is started (standalone mode, tests, docker compose)."""
from __future__ import annotations

import sys

from designer.runs.queues import Queue


def worker_command(queues: list[str] | None = None, concurrency: int = 1, name: str = "",
                   beat_schedule: str = "") -> list[str]:
    """`celery worker` for the given queues (all by default).

    One task at a time per process (prefetch 1, late acks); no gossip or
    mingle: workers share nothing but the broker and the database, and a
    worker starts faster without them. With `beat_schedule` (a file) the
    worker also runs the housekeeping schedule itself (`-B`): the one worker
    of standalone mode, where no separate `celery beat` runs.
    """
    command = [sys.executable, "-m", "celery", "-A", "designer", "worker",
               "--loglevel", "INFO", "--concurrency", str(concurrency),
               "-Q", ",".join(queues or Queue.names()),
               "--without-gossip", "--without-mingle"]
    if name:
        command += ["--hostname", name]
    if beat_schedule:
        command += ["--beat", "--schedule", beat_schedule]
    return command
