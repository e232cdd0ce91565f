"""Which queued run a worker starts: priorities first, then age, and a cap per person.

The broker hands a worker a message about one run; the database decides
which run it starts. `next_run` takes the first run of that queue in
`QUEUE_ORDER` whose person runs fewer than NETWEAVE_MAX_RUNNING_PER_USER
jobs, so a sweep of a hundred trials cannot hold every worker while another
person's run waits. A run passed over keeps a message: the worker sends its
task again (`send_again`), and a message for a run that already started finds
it running and does nothing (the task is idempotent).
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Subquery
from django.utils import timezone

from designer.runs.models import Run, RunState
from designer.runs.queues import EXECUTE_RUN

log = logging.getLogger("netweave.runs.scheduling")

# Highest priority first, then the oldest.
QUEUE_ORDER = ("-priority", "created", "id")
# How far down a queue a worker looks for a run it may start.
LOOK_AHEAD = 200
# Seconds before a passed-over message comes back when nothing may start now.
DEFER_S = 5.0


def running_per_person(user_ids: set[int]) -> dict[int, int]:
    """Runs holding a worker per person; a coordinating run (a sweep) holds none."""
    from designer.runs import hooks

    rows = (Run.objects.filter(state=RunState.RUNNING, created_by_id__in=user_ids)
            .exclude(kind__in=hooks.coordinated_kinds())
            .values("created_by_id").annotate(n=Count("id")))
    return {row["created_by_id"]: row["n"] for row in rows}


def over_cap(run: Run) -> bool:
    """Would starting this queued run put its person over the cap? For claim(), in its transaction.

    next_run() chooses without locks, so two workers could each see a person one
    under the cap and both start a run: claim() asks again here, one claim per
    person at a time. PostgreSQL: the person's row is locked FOR NO KEY UPDATE
    (a second claim waits for the first to commit, then counts its run; inserting
    runs, which takes FOR KEY SHARE on it, is not blocked). SQLite: every
    transaction is IMMEDIATE (settings), so claims are already one at a time.
    A gang (nodes > 1) is checked at the choice only: its node 0 claims for
    workers that are already reserved.
    """
    from designer.runs import hooks

    cap = settings.NETWEAVE_MAX_RUNNING_PER_USER
    user = run.created_by_id
    if not cap or user is None or run.nodes > 1 or run.kind in hooks.coordinated_kinds():
        return False
    list(get_user_model().objects.select_for_update(no_key=True).filter(pk=user).values_list("pk"))
    return running_per_person({user}).get(user, 0) >= cap


def next_run(message_run_id: int) -> int | None:
    """The run to start for a message about `message_run_id`; None when none may start now.

    A message for a run that is not queued (running, finished, unknown) is
    that run's: claim() knows what to do with it (resume, ignore).

    One read in the common case (the message's run is its queue's first):
    every round trip to the database is a share of submit -> start
    (benches/bench_runs_latency.py). No row locks: they would last only as
    long as this choice, and locks are written to the WAL, so the commit
    waited for the disk; two workers that choose the same run meet in
    claim(), where the second finds it held and its own message was sent
    again, and two that choose two runs of one person at the cap's edge meet
    in over_cap(), called by claim().
    """
    queue = Run.objects.filter(pk=message_run_id).values("queue")
    waiting = (Run.objects.filter(state=RunState.QUEUED, queue=Subquery(queue), cancel_requested=False)
               .order_by(*QUEUE_ORDER).values_list("pk", "created_by_id"))
    cap = settings.NETWEAVE_MAX_RUNNING_PER_USER
    # The first will do without a cap; with one, look ahead for a person under it.
    waiting = list(waiting[:LOOK_AHEAD if cap else 1])
    if not waiting or waiting[0][0] != message_run_id:
        state = Run.objects.filter(pk=message_run_id).values_list("state", flat=True).first()
        if state != RunState.QUEUED:
            return message_run_id
    if not cap:
        return waiting[0][0] if waiting else None
    running = running_per_person({user for _, user in waiting if user is not None})
    for pk, user in waiting:
        if user is None or running.get(user, 0) < cap:
            return pk
    return None


def send_again(run_id: int, queue: str, delay: float = 0.0) -> None:
    """Send the task of a run that stays queued (it was passed over, or its GPUs are busy)."""
    from designer.celery import app

    Run.objects.filter(pk=run_id, state=RunState.QUEUED).update(enqueued=timezone.now())
    app.send_task(EXECUTE_RUN, (run_id,), queue=queue, countdown=delay or None)
