"""Multi-node runs: a gang of N workers, all reserved before any starts.

A run with `nodes: N` sends N messages. A worker that takes one joins the
oldest *forming* gang of its queue (one with members but not all), else the
message's run: two gangs can never each hold one worker of two and wait for
ever. Each member writes its row (RunNode) and beats it while it waits,
watching for cancel; one that waits NETWEAVE_GANG_WAIT in vain leaves and
sends its message again, so a gang never holds a worker that other runs need.
When the last member joins, all are ranked in the order they joined; rank 0
claims the run (it alone is its holder: ingest, heartbeat, state), picks a
free port on its host as the rendezvous endpoint, and every member starts
torch.distributed.run there (designer/runs/process.child_command).
Members watch their own launcher and the run row (designer/runs/member.py).
"""
from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from designer.runs import lifecycle, scheduling
from designer.runs.lifecycle import Claim, Holder
from designer.runs.models import TERMINAL_STATES, Run, RunNode, RunState

log = logging.getLogger("netweave.runs.gang")

POLL_S = 0.2


@dataclass(frozen=True)
class Member:
    """This worker's place in a formed gang."""

    run_id: int
    node_id: int  # its RunNode row
    rank: int
    endpoint: str  # host:port of node 0's rendezvous
    claim: Claim | None = None  # rank 0's: it holds the run


def address() -> str:
    """The address other hosts reach this worker at."""
    return settings.NETWEAVE_NODE_ADDRESS or socket.gethostname()


def free_endpoint() -> str:
    with socket.socket() as probe:
        probe.bind(("", 0))
        port = probe.getsockname()[1]
    return f"{address()}:{port}"


def rendezvous_id(run_id: int) -> str:
    return f"run-{run_id}"


def forming(queue: str) -> int | None:
    """The oldest (in queue order) queued multi-node run of `queue` with some members but not all."""
    return (Run.objects.filter(state=RunState.QUEUED, queue=queue, nodes__gt=1, cancel_requested=False)
            .annotate(joined=Count("gang")).filter(joined__gt=0, joined__lt=F("nodes"))
            .order_by(*scheduling.QUEUE_ORDER).values_list("pk", flat=True).first())


def target(run: Run) -> int:
    """The gang a message about multi-node `run` brings a worker to."""
    return forming(run.queue) or run.pk


def join(run_id: int, holder: Holder) -> int | None:
    """Add this worker to the run's gang (its RunNode id); None when the run waits for no one."""
    stale = timezone.now() - timedelta(seconds=settings.NETWEAVE_HEARTBEAT_TIMEOUT)
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(
            pk=run_id, state=RunState.QUEUED, cancel_requested=False).first()
        if run is None:
            return None
        # Members whose worker died while waiting, and this process's own leftovers.
        run.gang.filter(rank__isnull=True, heartbeat__lt=stale).delete()
        run.gang.filter(host=holder.hostname, pid=holder.pid).delete()
        members = list(run.gang.order_by("id").values_list("pk", flat=True))
        if len(members) >= run.nodes:
            return None
        me = RunNode.objects.create(run=run, host=holder.hostname, pid=holder.pid, heartbeat=timezone.now())
        members.append(me.pk)
        if len(members) == run.nodes:  # the last one in ranks everyone, in the order they joined
            for rank, pk in enumerate(members):
                RunNode.objects.filter(pk=pk).update(rank=rank)
    log.info("run %s: joined its gang as member %s of %s", run_id, len(members), run.nodes)
    return me.pk


def assemble(run_id: int, node_id: int, holder: Holder) -> Member | None:
    """Wait (beating) until the gang is whole and node 0 named the endpoint; None when this worker left."""
    deadline = time.monotonic() + settings.NETWEAVE_GANG_WAIT
    while True:
        RunNode.objects.filter(pk=node_id).update(heartbeat=timezone.now())
        node = RunNode.objects.filter(pk=node_id).values("rank", "endpoint").first()
        run = Run.objects.filter(pk=run_id).values("state", "cancel_requested").first()
        if node is None or run is None or run["state"] in TERMINAL_STATES or run["cancel_requested"]:
            RunNode.objects.filter(pk=node_id).delete()
            return None
        if node["rank"] == 0:
            return _lead(run_id, node_id, holder)
        if node["rank"] is not None:
            endpoint = RunNode.objects.filter(run_id=run_id, rank=0).values_list("endpoint", flat=True).first()
            if endpoint:
                return Member(run_id, node_id, node["rank"], endpoint)
        if time.monotonic() >= deadline and leave(run_id, node_id):
            return None
        time.sleep(POLL_S)


def _lead(run_id: int, node_id: int, holder: Holder) -> Member | None:
    """Node 0: hold the run and name the rendezvous."""
    claimed = lifecycle.claim(run_id, holder)
    if claimed is None:  # cancelled before it started: the members see it end
        return None
    endpoint = free_endpoint()
    RunNode.objects.filter(pk=node_id).update(endpoint=endpoint, heartbeat=timezone.now())
    nodes = claimed.run.nodes
    lifecycle.add_event(run_id, "log", {
        "level": "info", "message": f"all {nodes} nodes reserved; node 0 on {holder.hostname}, "
                                    f"rendezvous at {endpoint}"})
    return Member(run_id, node_id, 0, endpoint, claimed)


def leave(run_id: int, node_id: int) -> bool:
    """Give up waiting: unrank the gang (its node 0 may be gone) and send this worker's message again.

    False when the run started meanwhile (this worker stays: node 0 counts on it)."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id, state=RunState.QUEUED).first()
        if run is None:
            return not RunNode.objects.filter(pk=node_id).exists()
        RunNode.objects.filter(pk=node_id).delete()
        run.gang.update(rank=None)
        log.info("run %s: its gang did not fill in %.0f s; this worker leaves it", run_id,
                 settings.NETWEAVE_GANG_WAIT)
        transaction.on_commit(lambda: scheduling.send_again(run_id, run.queue, delay=scheduling.DEFER_S))
    return True


def beat(node_id: int) -> None:
    RunNode.objects.filter(pk=node_id).update(heartbeat=timezone.now())


class NodeWatch:
    """What node 0's supervisor asks about the rest of the gang while it holds the run."""

    def __init__(self, run_id: int):
        self.run_id = run_id

    def lost(self) -> str:
        """Why the run must end now: a member whose worker stopped beating ('' when none)."""
        stale = timezone.now() - timedelta(seconds=settings.NETWEAVE_HEARTBEAT_TIMEOUT)
        node = RunNode.objects.filter(run_id=self.run_id, rank__gt=0, heartbeat__lt=stale).first()
        if node is None:
            return ""
        return (f"node {node.rank} ({node.host} pid {node.pid}) stopped heart-beating; the run ends on every "
                "node and saves checkpoints/last.pt: resume the run to continue from it")

    def stopped(self) -> str:
        """The job stopped as if cancelled: why, when no person asked ('' when one did).

        A member's worker that dies sends its launcher SIGTERM; every rank
        agrees to stop after the same step and rank 0 saves last.pt, so the
        job says "cancelled" although it was a lost node.
        """
        if Run.objects.filter(pk=self.run_id, cancel_requested=True).exists():
            return ""
        return ("another node of the run stopped (its worker was lost or stopped); checkpoints/last.pt was "
                "saved: resume the run to continue from it")


def fail_if_holder_lost(run_id: int, why: str) -> bool:
    """A member whose launcher ended while node 0's worker is gone fails the run for it."""
    for run in lifecycle.each_locked(pk=run_id, state=RunState.RUNNING):
        if lifecycle.holder_lost(run):
            lifecycle.fail_locked(run, why)
            return True
    return False
