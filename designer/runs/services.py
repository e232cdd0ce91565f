"""Creating runs and acting on them: launch, clone, resume, cancel, enqueue."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from designer.core import store
from designer.core.errors import Conflict
from designer.graphs.models import GraphVersion
from designer.runs import hooks, lifecycle
from designer.runs.models import Run, RunState
from designer.runs.queues import EXECUTE_RUN
from designer.runs.validation import check_launch, job_kind

log = logging.getLogger("netweave.runs")


def enqueue(run: Run) -> None:
    """Send the run's task once the row is committed (a worker must find it); one per node."""
    from designer.celery import app

    run_id, queue, nodes = run.pk, run.queue, run.nodes
    Run.objects.filter(pk=run_id).update(enqueued=timezone.now())

    def send() -> None:
        for _ in range(nodes):
            app.send_task(EXECUTE_RUN, (run_id,), queue=queue)

    transaction.on_commit(send)


def redrive() -> list[int]:
    """Send again the task of runs queued for longer than NETWEAVE_REQUEUE_AFTER.

    The broker is not the record: a message lost with a flushed Redis would
    leave its run queued for ever. A duplicate is harmless (the task is
    idempotent); each re-send is told to the run's watchers.
    """
    wait = settings.NETWEAVE_REQUEUE_AFTER
    cutoff = timezone.now() - timedelta(seconds=wait)
    sent = []
    for run in lifecycle.each_locked(state=RunState.QUEUED, enqueued__lt=cutoff):
        lifecycle.add_event(run.pk, "log", {
            "level": "warning",
            "message": f"no worker took this run in {wait:.0f} s; its task was sent again to "
                       f"queue '{run.queue}' (is a worker consuming that queue?)"})
        enqueue(run)
        sent.append(run.pk)
    if sent:
        log.warning("sent again the tasks of runs still queued: %s", sent)
    return sent


def send_lost_again() -> list[int]:
    """Send again the task of running runs whose worker was lost.

    The row is the truth, not the broker: waiting for Redis to deliver the
    dead worker's message again took an hour (its visibility timeout). The
    worker that takes the task claims the run (the claim is idempotent) and
    resumes it from its last checkpoint. A run sent again is not sent again
    for NETWEAVE_HEARTBEAT_TIMEOUT; one whose workers were lost as many
    times as it may be taken up (NETWEAVE_MAX_ATTEMPTS, or its parent's say:
    a sweep's trial_retries; it may be what kills them) is failed.
    """
    recent = timezone.now() - timedelta(seconds=settings.NETWEAVE_HEARTBEAT_TIMEOUT)
    # A coordinating run (a sweep) holds no process to lose: any worker's next step carries it on.
    running = Run.objects.filter(state=RunState.RUNNING).exclude(kind__in=hooks.coordinated_kinds())
    lost = [run.pk for run in running.only(
        "state", "heartbeat", "worker_hostname", "worker_pid") if lifecycle.holder_lost(run)]
    sent = []
    for run in lifecycle.each_locked(state=RunState.RUNNING, pk__in=lost):
        if not lifecycle.holder_lost(run) or (run.enqueued and run.enqueued > recent):
            continue
        lifecycle.stop_stale_child(run)
        if run.nodes > 1:  # its gang is gone with node 0: a person resumes it on a new gang
            lifecycle.fail_locked(run, f"node 0's worker {run.worker_hostname} pid {run.worker_pid} was lost; "
                                       f"resume the run to continue from its last checkpoint")
            continue
        if lifecycle.fail_if_worn(run):
            continue
        lifecycle.add_event(run.pk, "log", {
            "level": "warning",
            "message": f"worker {run.worker_hostname} pid {run.worker_pid} stopped; the run was sent "
                       f"again to queue '{run.queue}' to resume from its last checkpoint"})
        enqueue(run)
        sent.append(run.pk)
    if sent:
        log.warning("sent again runs whose worker was lost: %s", sent)
    return sent


def housekeeping() -> dict:
    """What every worker does now and then: send again runs whose worker was
    lost and runs left queued; fail runs nobody took up since; step every
    coordinating run (a sweep: a lost coordination message costs one period)."""
    hooks.nudge_all()
    return {"resumed": send_lost_again(), "reaped": lifecycle.reap(), "sent_again": redrive()}


def launch(version: GraphVersion, user, *, dataset=None, config=None, kind: str = "train", devices: int = 1,
           queue: str = "cpu", name: str = "", tags=(), notes: str = "", inputs=None, priority: int = 0,
           nodes: int = 1) -> Run:
    """Check everything, then create the run and send its task on commit.

    `inputs` name the finished runs the job starts from; a job with inputs
    and no dataset uses the first input's dataset."""
    checked = check_launch(version, dataset, config, kind=kind, devices=devices, queue=queue, inputs=inputs,
                           nodes=nodes)
    with transaction.atomic():
        run = Run.objects.create(
            project=version.graph.project, graph_version=version, kind=kind, name=name,
            dataset=checked.dataset, config=checked.config, devices=devices, nodes=nodes, queue=queue,
            created_by=user, tags=list(tags), notes=notes, priority=priority,
        )
        run.set_inputs(checked.inputs)
        lifecycle.add_event(run.pk, "state", {"state": run.state, "error": ""})
        enqueue(run)
    return run


def _copy(run: Run, user, **fields) -> Run:
    with transaction.atomic():
        new = Run.objects.create(
            project=run.project, graph_version=run.graph_version, kind=run.kind, name=run.name,
            dataset=run.dataset, config=run.config, devices=run.devices, nodes=run.nodes, queue=run.queue,
            created_by=user, tags=list(run.tags), parent=run, priority=run.priority, **fields,
        )
        new.set_inputs(run.inputs)
        lifecycle.add_event(new.pk, "state", {"state": new.state, "error": ""})
        enqueue(new)
    return new


def clone(run: Run, user) -> Run:
    """The same graph version, dataset and config, from scratch."""
    return _copy(run, user)


def resume(run: Run, user) -> Run:
    """A new run that continues a stopped one from its last checkpoint."""
    if not job_kind(run.kind).resumable:
        raise Conflict(f"{run.kind!r} runs cannot be resumed; clone run {run.pk} to run it again")
    if run.state not in (RunState.FAILED, RunState.CANCELLED):
        raise Conflict(f"only failed or cancelled runs can be resumed; run {run.pk} is {run.state}")
    if not store.has_run_file(run.pk, "checkpoints/last.pt"):
        raise Conflict(f"run {run.pk} saved no checkpoint to resume from; clone it to start again")
    return _copy(run, user, resume_from=str(run.last_checkpoint))


def cancel(run: Run) -> Run:
    if run.is_terminal:
        raise Conflict(f"run {run.pk} has already ended ({run.state})")
    run = lifecycle.request_cancel(run)
    if run.kind in hooks.coordinated_kinds():  # no process polls for it: its next step stops it now
        hooks.nudge(run.pk)
    return run
