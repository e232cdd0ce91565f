"""A worker's part in a multi-node run: reserve, join the gang, start its node, watch it.

Node 0 holds the run like any other (designer/runs/supervisor.Supervisor:
ingest of global rank 0's events, heartbeat, state), and also ends it when
a member's worker stops beating. Every other member only follows: it beats
its RunNode row, stops its launcher when the run ends or is cancelled, and,
when its launcher ends because node 0's worker is gone, fails the run for
it (lifecycle.beat and claim assume one holder per run: members never call
them). A lost member takes its launcher with it (PR_SET_PDEATHSIG), global
rank 0 fails in its next collective, and the run ends failed, resumable from
its last checkpoint.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from pathlib import Path

from django.conf import settings

from designer.fleet import devices
from designer.runs import gang, lifecycle, placement, scheduling
from designer.runs.lifecycle import Claim, Holder
from designer.runs.models import TERMINAL_STATES, EventKind, Run, RunState
from designer.runs.process import child_command, kill_group, start_child
from designer.runs.supervisor import CANCEL_POLL, Supervisor, write_job

log = logging.getLogger("netweave.runs.member")


def execute(run: Run, message_run_id: int, resent: bool) -> str | None:
    """Take part in multi-node `run` (or the oldest forming gang of its queue) for one message."""
    if run.state != RunState.QUEUED:
        return None  # a gang's spare message: its run started (or ended) with the members it had
    target = gang.target(run)
    if target != message_run_id and not resent:  # this worker serves another gang: the message goes back
        scheduling.send_again(message_run_id, run.queue)
    run = Run.objects.filter(pk=target).first() if target != run.pk else run
    if run is None:
        return None
    try:
        placed = placement.place(run, devices.gpus())
    except placement.Busy as busy:
        log.info("%s; its task comes back in %.0f s", busy, scheduling.DEFER_S)
        scheduling.send_again(run.pk, run.queue, delay=scheduling.DEFER_S)
        return None
    except placement.Unplaceable as never:
        for locked in lifecycle.each_locked(pk=run.pk, state=RunState.QUEUED):
            lifecycle.fail_locked(locked, str(never))
        return RunState.FAILED
    try:
        return _serve(run, placed)
    finally:
        placed.release()


def _serve(run: Run, placed: placement.Placement) -> str | None:
    holder = Holder.me()
    node_id = gang.join(run.pk, holder)
    if node_id is None:
        return None
    member = gang.assemble(run.pk, node_id, holder)
    if member is None:
        return None
    command = child_command(run.run_dir, run.devices, run.nodes, member.endpoint, gang.rendezvous_id(run.pk),
                            member.rank)
    if member.claim is not None:
        try:
            write_job(member.claim)
            return Supervisor(member.claim.run, holder, placed.env, watch=gang.NodeWatch(run.pk)) \
                .supervise(command)
        except Exception as exc:
            # As supervisor._execute does for one node: node 0 holds the run, so its own failure ends
            # the run now, with the traceback; otherwise the run stayed `running` on a live worker that
            # no longer beats it, the other members' launchers waiting at the rendezvous, until the
            # housekeeping called it a lost node 0.
            lifecycle.finish(run.pk, holder, RunState.FAILED, f"worker error: {exc}",
                             log_tail=traceback.format_exc()[-8000:])
            raise
    run.refresh_from_db()
    write_job(Claim(run, holder, Path(run.resume_from) if run.resume_from else None))
    return follow(run, member, command, placed.env, holder)


def follow(run: Run, member: gang.Member, command: list[str], env: dict[str, str], holder: Holder) -> str:
    """Run this node's launcher until it ends; stop it when the run ends or is cancelled."""
    proc = start_child(command, run.run_dir, {**placement.thread_env(run), **env})
    lifecycle.add_event(run.pk, EventKind.LOG, {
        "level": "info", "message": f"node {member.rank} of {run.nodes}: job process {proc.pid} started "
                                    f"on {holder.hostname}"})
    # Only global rank 0 prints events: what this node prints is user output, kept in the worker's log.
    threading.Thread(target=_log_lines, args=(proc.stdout, run.pk), daemon=True).start()
    stopping = False
    try:
        while proc.poll() is None:
            gang.beat(member.node_id)
            row = Run.objects.filter(pk=run.pk).values("state", "cancel_requested").first()
            if not stopping and (row is None or row["state"] in TERMINAL_STATES or row["cancel_requested"]):
                stopping = True
                threading.Thread(target=kill_group, daemon=True,
                                 args=(proc.pid, settings.NETWEAVE_CANCEL_GRACE, proc)).start()
            time.sleep(CANCEL_POLL)
    finally:
        if proc.poll() is None:  # this loop failed (the database went away): never leave the launcher behind
            kill_group(proc.pid, settings.NETWEAVE_CANCEL_GRACE, proc)
        proc.wait()
    gang.beat(member.node_id)
    if not stopping and gang.fail_if_holder_lost(
            run.pk, f"node 0's worker was lost; node {member.rank} ({holder.hostname}) stopped with it: "
                    f"resume the run to continue from its last checkpoint"):
        return RunState.FAILED
    return Run.objects.filter(pk=run.pk).values_list("state", flat=True).first() or RunState.FAILED


def _log_lines(stream, run_id: int) -> None:
    for raw in stream:
        text = raw.decode("utf-8", "replace").rstrip()
        if text:
            log.info("run %s (member node): %s", run_id, text)
