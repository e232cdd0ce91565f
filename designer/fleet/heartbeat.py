"""A worker process announces itself: its fleet row, renewed every NETWEAVE_FLEET_HEARTBEAT s.

A thread of the Celery pool process (the one that claims runs and holds
them as `Run.worker_hostname` / `worker_pid`), started when the process
starts: an idle worker beats too, so the fleet shows it before it has work.
A process killed outright stops beating and shows as lost after
NETWEAVE_HEARTBEAT_TIMEOUT; one that shuts down says "stopped".
"""
from __future__ import annotations

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from designer.fleet import devices
from designer.fleet.models import Worker, WorkerState
from designer.fleet.services import forget_stale

log = logging.getLogger("netweave.fleet")


class Announcer(threading.Thread):
    def __init__(self, node: str, queues: list[str]):
        super().__init__(name="netweave-fleet-heartbeat", daemon=True)
        self.node, self.queues = node, queues
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.since = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            self.beat(WorkerState.RUNNING, first=True)
            while not self.stopping.wait(settings.NETWEAVE_FLEET_HEARTBEAT):
                self.beat(WorkerState.RUNNING)
            self.beat(WorkerState.STOPPED)
        except Exception:  # noqa: BLE001 - never silently: the fleet would show this worker lost
            log.exception("worker %s pid %s stopped announcing itself", self.node, self.pid)

    def beat(self, state: str, first: bool = False) -> None:
        try:
            if first:
                forget_stale()
            Worker.objects.update_or_create(host=self.host, pid=self.pid, defaults={
                "name": self.node, "queues": self.queues, "devices": devices.describe(), "state": state,
                "started": self.since, "heartbeat": timezone.now()})
        except DatabaseError as exc:  # the database restarts: try again at the next beat
            log.warning("worker %s pid %s could not announce itself: %s", self.node, self.pid, exc)
        finally:
            connection.close()  # back to the process's pool between beats


_announcer: Announcer | None = None


def consumed_queues() -> list[str]:
    """The queues this worker consumes (`celery worker -Q`), as the pool process inherited them."""
    from designer.celery import app

    return sorted(app.amqp.queues.consume_from or app.amqp.queues)


def connect_announcer(**_kwargs) -> None:
    """worker_init (the main worker process, before its pool starts): announce from each pool process."""
    from celery.signals import worker_process_init

    worker_process_init.connect(start, weak=False)


def start(sender=None, **_kwargs) -> None:
    """worker_process_init: `sender` is the Celery node name."""
    global _announcer
    _announcer = Announcer(str(sender or socket.gethostname()), consumed_queues())
    _announcer.start()


def stop(**_kwargs) -> None:
    if _announcer is not None and _announcer.is_alive():
        _announcer.stopping.set()
        _announcer.join(timeout=10)
