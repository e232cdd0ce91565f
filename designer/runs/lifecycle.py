"""A run's state machine: queued → running → succeeded | failed | cancelled.

Every change goes through here, is guarded by the row lock or by who holds
the run (worker machine + process), and appends a `state` event that the
SSE stream sends. Redelivered messages, lost workers and the reaper all meet
in `claim()` and `reap()`.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psutil
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from designer.core import store
from designer.runs import live, scheduling
from designer.runs.models import EventKind, Run, RunEvent, RunState

log = logging.getLogger("netweave.runs.lifecycle")


@dataclass(frozen=True)
class Holder:
    """The worker process that holds a run."""

    hostname: str
    pid: int

    @classmethod
    def me(cls) -> "Holder":
        return cls(socket.gethostname(), os.getpid())

    def owns(self):
        return {"worker_hostname": self.hostname, "worker_pid": self.pid, "state": RunState.RUNNING}


def add_event(run_id: int, kind: str, data: dict) -> int:
    """Append an event and wake listeners once the transaction commits."""
    event = RunEvent.build(run_id, kind, data)
    event.save()
    transaction.on_commit(lambda: live.publish(run_id, event.pk))
    return event.pk


def _state_event(run: Run) -> None:
    add_event(run.pk, EventKind.STATE, {"state": run.state, "error": run.error})


def pid_alive(pid: int | None) -> bool:
    """Is this process running? A zombie is not: a worker killed with its pool
    stays a zombie until PID 1 reaps it, and taking it for alive would drop the
    redelivered run as a duplicate."""
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def heartbeat_fresh(run: Run, now=None) -> bool:
    now = now or timezone.now()
    timeout = timedelta(seconds=settings.NETWEAVE_HEARTBEAT_TIMEOUT)
    return run.heartbeat is not None and now - run.heartbeat < timeout


def holder_alive(run: Run) -> bool:
    """Is the worker that holds this run still working on it?

    On the same machine a dead process settles it at once; elsewhere only
    the heartbeat can tell.
    """
    if not heartbeat_fresh(run):
        return False
    if run.worker_hostname == socket.gethostname():
        return pid_alive(run.worker_pid)
    return True


@dataclass(frozen=True)
class Claim:
    run: Run
    holder: Holder
    resume_from: Path | None


def claim(run_id: int, holder: Holder) -> Claim | None:
    """Take a run for this worker, or say why not (None): the idempotence point.

    A message for a finished run does nothing; for a running run whose holder
    is alive (a duplicate delivery) nothing either; for a running run whose
    worker is gone, this worker takes over and resumes from last.pt. A queued
    run whose person is at the cap stays queued, its message sent again later.
    """
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.is_terminal:
            log.info("run %s: nothing to do (%s)", run_id, run.state if run else "no such run")
            return None
        resume = Path(run.resume_from) if run.resume_from else None
        if run.state == RunState.RUNNING:
            if holder_alive(run):
                log.info("run %s is held by %s pid %s; duplicate delivery ignored",
                         run_id, run.worker_hostname, run.worker_pid)
                return None
            stop_stale_child(run)
            if fail_if_worn(run):
                return None
            if store.has_run_file(run.pk, "checkpoints/last.pt"):  # sent by the lost worker
                resume = run.last_checkpoint
            add_event(run.pk, EventKind.LOG, {
                "level": "warning",
                "message": f"worker {run.worker_hostname} pid {run.worker_pid} was lost; "
                           f"{'resuming from ' + resume.name if resume else 'starting again'}"})
        elif run.cancel_requested:
            return _finish_locked(run, RunState.CANCELLED, "cancelled before it started")
        elif scheduling.over_cap(run):  # another worker started this person's last allowed run meanwhile
            log.info("run %s: its person is at NETWEAVE_MAX_RUNNING_PER_USER; sent again", run_id)
            queue = run.queue
            transaction.on_commit(lambda: scheduling.send_again(run_id, queue, delay=scheduling.DEFER_S))
            return None
        run.state = RunState.RUNNING
        run.started = run.started or timezone.now()
        run.heartbeat = timezone.now()
        run.worker_hostname, run.worker_pid = holder.hostname, holder.pid
        run.attempts += 1
        run.save(update_fields=["state", "started", "heartbeat", "worker_hostname", "worker_pid", "attempts"])
        _state_event(run)
    return Claim(run, holder, resume)


def stop_stale_child(run: Run) -> None:
    """Kill the training child a lost worker left behind on this machine.

    The child runs in its own session, so it outlives its worker; two
    children writing the same checkpoints would corrupt them.
    """
    if run.worker_hostname != socket.gethostname() or not run.child_pgid:
        return
    from designer.runs.process import kill_group, is_training_child

    if is_training_child(run.child_pgid, run.run_dir):
        kill_group(run.child_pgid, grace=settings.NETWEAVE_CANCEL_GRACE)


def fail_if_worn(run: Run) -> bool:
    """Fail a run (its row locked) whose worker was lost as many times as it may be taken up;
    its coordinating parent (a sweep) hears of it now and goes on."""
    from designer.runs import hooks

    cap = hooks.max_attempts(run, settings.NETWEAVE_MAX_ATTEMPTS)
    if run.attempts < cap:
        return False
    fail_locked(run, f"worker lost {run.attempts} times (last {run.worker_hostname} pid {run.worker_pid}); "
                     f"not resumed again: {cap - 1} {'retry' if cap == 2 else 'retries'} allowed")
    hooks.nudge_parent(run)
    return True


def fail_locked(run: Run, error: str) -> None:
    """Fail a run the caller holds the row lock of (housekeeping)."""
    _finish_locked(run, RunState.FAILED, error)


def _finish_locked(run: Run, state: str, error: str = "", **fields) -> None:
    run.state = state
    run.error = error[:4000]
    run.finished = timezone.now()
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=["state", "error", "finished", *fields])
    _state_event(run)


def finish(run_id: int, holder: Holder, state: str, error: str = "", **fields) -> bool:
    """End a run this worker holds; False when it no longer holds it."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id, **holder.owns()).first()
        if run is None:
            return False
        _finish_locked(run, state, error, **fields)
    return True


def beat(run_id: int, holder: Holder, heartbeat: bool) -> tuple[bool, bool]:
    """Return (still held by `holder`, cancel requested); write the heartbeat if asked."""
    if heartbeat:
        Run.objects.filter(pk=run_id, **holder.owns()).update(heartbeat=timezone.now())
    row = Run.objects.filter(pk=run_id).values_list(
        "cancel_requested", "state", "worker_hostname", "worker_pid").first()
    if row is None:
        return False, False
    cancel, state, hostname, pid = row
    return (state == RunState.RUNNING and (hostname, pid) == (holder.hostname, holder.pid)), cancel


@contextmanager
def beating(run_id: int, holder: Holder):
    """Keep the run's heartbeat from a thread while the worker does something long
    before its watch loop beats (fetching files, a warm process still importing).

    A silent minute looked like a lost worker: the housekeeping sent the run
    again and a second worker trained it beside the first.
    """
    done = threading.Event()

    def beat_on() -> None:
        try:
            while not done.wait(settings.NETWEAVE_HEARTBEAT_SECONDS):
                try:
                    beat(run_id, holder, heartbeat=True)
                except DatabaseError as exc:  # the database is away: the next beat tries again
                    log.warning("run %s: heartbeat failed: %s", run_id, exc)
        finally:
            connection.close()  # this thread's own

    thread = threading.Thread(target=beat_on, name=f"heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=10)


def request_cancel(run: Run) -> Run:
    """Cancel a queued run at once; ask the worker of a running one to stop it."""
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        if run.is_terminal:
            return run
        run.cancel_requested = True
        run.save(update_fields=["cancel_requested"])
        if run.state == RunState.QUEUED:
            _finish_locked(run, RunState.CANCELLED, "cancelled before it started")
        else:
            add_event(run.pk, EventKind.LOG, {"level": "info", "message": "cancel requested"})
    return run


def reap_after() -> float:
    """Seconds of silence after which a running run is declared failed.

    A run whose worker is lost is sent again within seconds (see
    services.send_lost_again); only a run that no worker took up within
    NETWEAVE_REQUEUE_AFTER after that is failed.
    """
    override = os.environ.get("NETWEAVE_REAP_AFTER")
    if override:
        return float(override)
    return settings.NETWEAVE_HEARTBEAT_TIMEOUT + settings.NETWEAVE_REQUEUE_AFTER


def holder_lost(run: Run) -> bool:
    """A running run whose worker stopped heart-beating, or (on this machine) died."""
    return run.state == RunState.RUNNING and not holder_alive(run)


def each_locked(**match):
    """Each run matching `match`, locked and matched again under the lock, in
    its own transaction (the loop's body runs inside it): housekeeping never
    acts on a run another process changed meanwhile."""
    for run_id in Run.objects.filter(**match).values_list("pk", flat=True):
        with transaction.atomic():
            run = Run.objects.select_for_update().filter(pk=run_id, **match).first()
            if run is not None:
                yield run


def reap() -> list[int]:
    """Mark runs whose heartbeat stopped as failed ("worker lost")."""
    cutoff = timezone.now() - timedelta(seconds=reap_after())
    reaped = []
    from designer.runs.hooks import coordinated_kinds

    coordinating = coordinated_kinds()
    for run in each_locked(state=RunState.RUNNING, heartbeat__lt=cutoff):
        if run.kind in coordinating:  # holds no process to lose: its steps go on by any worker
            continue
        stop_stale_child(run)
        _finish_locked(run, RunState.FAILED,
                       f"worker lost: {run.worker_hostname} pid {run.worker_pid} stopped "
                       f"heart-beating at {run.heartbeat:%Y-%m-%d %H:%M:%S} UTC")
        reaped.append(run.pk)
    if reaped:
        log.warning("reaped runs whose worker was lost: %s", reaped)
    return reaped
