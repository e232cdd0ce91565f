"""Which queued run a worker starts: highest priority, then oldest; a person's cap on running jobs."""
from __future__ import annotations

import pytest
from django.utils import timezone

from designer.runs.models import Run
from designer.runs.scheduling import next_run
from designer.runs.supervisor import execute
from tests.workers.test_supervisor import _take_sent_runs

pytestmark = pytest.mark.django_db(transaction=True)

QUICK = {"epochs": 1, "batch_size": 128, "system_every_s": 1.0}


def test_the_highest_priority_starts_first_then_the_oldest(make_run):
    old = make_run()
    urgent = make_run(priority=5)
    make_run(queue="gpu", priority=50)  # another queue: not this worker's business
    assert next_run(old.pk) == urgent.pk
    Run.objects.filter(pk=urgent.pk).update(state="running")
    assert next_run(old.pk) == old.pk


def test_a_person_at_the_cap_waits_behind_everyone_else(make_run, owner, editor, settings):
    settings.NETWEAVE_MAX_RUNNING_PER_USER = 1
    make_run(state="running", heartbeat=timezone.now(), worker_hostname="elsewhere", worker_pid=1)
    sweep_trial = make_run(priority=10)  # the owner's: already one running
    teammate = make_run(created_by=editor)
    assert next_run(sweep_trial.pk) == teammate.pk
    Run.objects.filter(pk=teammate.pk).update(state="running")
    assert next_run(sweep_trial.pk) is None
    settings.NETWEAVE_MAX_RUNNING_PER_USER = 0
    assert next_run(sweep_trial.pk) == sweep_trial.pk


def test_a_message_that_is_not_about_a_queued_run_stays_its_own(make_run):
    finished = make_run(state="succeeded")
    make_run(priority=9)
    assert next_run(finished.pk) == finished.pk
    assert next_run(10**9) == 10**9


def test_the_worker_starts_the_first_run_and_sends_the_passed_over_one_again(make_run, settings):
    settings.NETWEAVE_WARM_START = False  # one cold job: this test is about the choice
    passed_over = make_run(config=QUICK)
    first = make_run(config=QUICK, priority=3)
    _take_sent_runs("cpu")
    assert execute(passed_over.pk) == "succeeded"
    first.refresh_from_db()
    passed_over.refresh_from_db()
    assert first.state == "succeeded" and passed_over.state == "queued"
    assert _take_sent_runs("cpu") == [passed_over.pk]
    assert execute(passed_over.pk) == "succeeded"


def test_at_the_cap_the_message_comes_back_later_and_nothing_starts(make_run, settings):
    from designer.runs.scheduling import DEFER_S

    settings.NETWEAVE_MAX_RUNNING_PER_USER = 1
    make_run(state="running", heartbeat=timezone.now(), worker_hostname="elsewhere", worker_pid=1)
    waiting = make_run()
    _take_sent_runs("cpu")
    before = timezone.now()
    assert execute(waiting.pk) is None
    waiting.refresh_from_db()
    assert waiting.state == "queued" and waiting.enqueued >= before
    assert DEFER_S > 0 and _sent_later("cpu") == [waiting.pk]


def _sent_later(queue: str) -> list[int]:
    """Run ids of execute_run messages with an ETA (sent with a countdown), taken off the queue."""
    from designer.celery import app

    found = []
    with app.connection_for_write() as conn, conn.SimpleQueue(queue) as waiting:
        while True:
            try:
                message = waiting.get(block=False)
            except waiting.Empty:
                return found
            message.ack()
            if message.headers.get("eta"):
                found.append(message.decode()[0][0])


def test_concurrent_claims_keep_a_person_under_the_cap(make_run, editor, settings):
    """Six workers claim six of one person's runs at once on the real PostgreSQL: two start."""
    import threading

    from django.db import connection, connections

    from designer.runs.lifecycle import Holder, claim

    assert connection.vendor == "postgresql", "the race this guards against needs the real server"
    settings.NETWEAVE_MAX_RUNNING_PER_USER = 3
    make_run(state="running", heartbeat=timezone.now(), worker_hostname="elsewhere", worker_pid=1)
    runs = [make_run(config=QUICK) for _ in range(6)]
    teammate = make_run(config=QUICK, created_by=editor)
    _take_sent_runs("cpu")
    start = threading.Barrier(len(runs) + 1)
    claimed: dict[int, bool] = {}

    def worker(run_id: int, pid: int) -> None:
        try:
            start.wait()
            claimed[run_id] = claim(run_id, Holder("worker-host", pid)) is not None
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=worker, args=(run.pk, 1000 + i)) for i, run in enumerate(runs)]
    threads.append(threading.Thread(target=worker, args=(teammate.pk, 999)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    started = [run.pk for run in runs if claimed[run.pk]]
    assert len(started) == 2 and claimed[teammate.pk]  # 1 + 2 = the cap; another person is not held back
    states = dict(Run.objects.filter(pk__in=[r.pk for r in runs]).values_list("pk", "state"))
    assert sorted(pk for pk, state in states.items() if state == "running") == sorted(started)
    waiting = sorted(pk for pk, state in states.items() if state == "queued")
    assert len(waiting) == 4 and sorted(_sent_later("cpu")) == waiting  # each comes back later
