"""The fleet as a person sees it: workers, the jobs each runs, the queues and what waits in them."""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from designer.core.permissions import projects_visible_to
from designer.fleet.models import Worker, WorkerState
from designer.runs.models import Run, RunNode, RunState
from designer.runs.queues import Queue
from designer.runs.scheduling import QUEUE_ORDER

log = logging.getLogger("netweave.fleet")

# A worker not heard from for this long leaves the page (and the table).
FORGET_AFTER = timedelta(hours=1)


def _alive_since():
    return timezone.now() - timedelta(seconds=settings.NETWEAVE_HEARTBEAT_TIMEOUT)


def workers_serving(queue: str) -> list[Worker]:
    """Worker processes that consume `queue` and announced themselves lately.

    The launch checks ask it whether a run can be served at all (a gpu-queue
    run needs a worker there with GPUs: `any(w.devices.get("gpus") for w in ...)`).
    """
    alive = Worker.objects.filter(state=WorkerState.RUNNING, heartbeat__gte=_alive_since())
    return [worker for worker in alive if queue in worker.queues]


def jobs_on(machine: str, me: tuple[str, int]) -> int:
    """Jobs running now on `machine`, counting the worker processes that announced that machine
    id (workers/threads.machine; or are on `me`'s host, if one announces none) and hold a running
    run or a node of one; `me` (host, pid), the worker asking, counts once, announced or not."""
    alive = Worker.objects.filter(state=WorkerState.RUNNING, heartbeat__gte=_alive_since())
    here = set(alive.filter(Q(devices__machine=machine) | Q(host=me[0])).values_list("host", "pid"))
    busy = set(Run.objects.filter(state=RunState.RUNNING).values_list("worker_hostname", "worker_pid"))
    busy |= set(RunNode.objects.filter(run__state=RunState.RUNNING, rank__gt=0).values_list("host", "pid"))
    return len((here & busy) - {me}) + 1


def forget_stale() -> int:
    """Drop the rows of workers silent for FORGET_AFTER (housekeeping)."""
    deleted, _ = Worker.objects.filter(heartbeat__lt=timezone.now() - FORGET_AFTER).delete()
    return deleted


def broker_messages(queues: list[str]) -> dict[str, int | None]:
    """Messages waiting in the broker per queue (None when the broker cannot be asked)."""
    from kombu.exceptions import ChannelError

    from designer.celery import app

    counts: dict[str, int | None] = dict.fromkeys(queues)
    try:
        with app.pool.acquire(block=True, timeout=2) as conn:  # pooled: the page asks every 2 s
            channel = conn.default_channel
            for name in queues:
                try:
                    counts[name] = channel.queue_declare(queue=name, passive=True).message_count
                except ChannelError:  # never declared, or emptied and gone: nothing waits
                    counts[name] = 0
    except Exception as exc:  # noqa: BLE001 - the page still shows the database's view
        log.warning("cannot count the broker's messages: %s", exc)
    return counts


def job(run: Run, visible: set[int]) -> dict:
    """A run as the fleet shows it; runs of projects the person cannot see stay anonymous."""
    if run.project_id not in visible:
        return {"id": None, "hidden": True, "state": run.state, "queue": run.queue}
    return {"id": run.pk, "hidden": False, "name": run.name, "kind": run.kind, "state": run.state,
            "queue": run.queue, "project": {"id": run.project_id, "name": run.project.name},
            "user": run.created_by.username if run.created_by else None, "devices": run.devices,
            "priority": run.priority, "gpus": [gpu["index"] for gpu in run.gpus],
            "created": run.created, "started": run.started, "heartbeat": run.heartbeat}


def worker_state(worker: Worker, jobs: list, alive_since) -> str:
    if worker.state == WorkerState.STOPPED:
        return "stopped"
    if worker.heartbeat < alive_since:
        return "lost"
    return "busy" if jobs else "idle"


def snapshot(user) -> dict:
    """Everything the fleet page shows, in one read."""
    visible = set(projects_visible_to(user).values_list("pk", flat=True))
    alive_since = _alive_since()
    running = defaultdict(list)
    for run in Run.objects.filter(state=RunState.RUNNING).select_related("project", "created_by"):
        running[(run.worker_hostname, run.worker_pid)].append(job(run, visible))
    # The other nodes of multi-node runs: their workers are busy with the run too.
    for node in RunNode.objects.filter(run__state=RunState.RUNNING, rank__gt=0) \
            .select_related("run__project", "run__created_by"):
        running[(node.host, node.pid)].append(job(node.run, visible))
    workers = []
    for worker in Worker.objects.filter(heartbeat__gte=timezone.now() - FORGET_AFTER):
        jobs = running.get((worker.host, worker.pid), [])
        workers.append({"name": worker.name, "host": worker.host, "pid": worker.pid, "queues": worker.queues,
                        "devices": worker.devices, "state": worker_state(worker, jobs, alive_since),
                        "started": worker.started, "heartbeat": worker.heartbeat, "jobs": jobs})
    queued = defaultdict(list)
    for run in Run.objects.filter(state=RunState.QUEUED).select_related("project", "created_by") \
            .order_by(*QUEUE_ORDER):
        queued[run.queue].append(job(run, visible))
    names = sorted(set(Queue.names()) | set(queued))
    messages = broker_messages(names)
    return {"workers": workers,
            "queues": [{"name": name, "messages": messages[name], "queued": queued.get(name, []),
                        "workers": sum(1 for w in workers if name in w["queues"] and w["state"] in ("idle", "busy"))}
                       for name in names]}
