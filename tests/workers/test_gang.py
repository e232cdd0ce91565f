"""Forming a multi-node run's gang (designer/runs/gang.py, member.py) on the real database: who joins
which gang, ranks, the leader's claim and endpoint, leaving, cancel, and a lost node."""
from __future__ import annotations

import sys
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from designer.runs import gang, lifecycle, member, placement, services
from designer.runs.lifecycle import Holder
from designer.runs.models import Run, RunNode

pytestmark = pytest.mark.django_db(transaction=True)

A, B = Holder("host-a", 101), Holder("host-b", 202)


@pytest.fixture
def gang_run(make_run, settings):
    settings.NETWEAVE_NODE_ADDRESS = "10.0.0.5"
    return lambda **fields: make_run(nodes=2, **fields)


def test_a_worker_joins_the_oldest_forming_gang_so_two_gangs_never_hold_one_worker_each(gang_run):
    older, newer = gang_run(), gang_run()
    assert gang.target(newer) == newer.pk  # nothing forming: the message's own run
    gang.join(older.pk, A)
    assert gang.target(newer) == older.pk  # a message for the newer gang completes the older
    gang.join(older.pk, B)
    ranks = dict(RunNode.objects.filter(run=older).values_list("pid", "rank"))
    assert ranks == {A.pid: 0, B.pid: 1}  # ranked in the order they joined, once all are in
    assert gang.target(newer) == newer.pk  # a full gang forms no longer
    assert gang.join(older.pk, Holder("host-c", 303)) is None


def test_node_0_holds_the_run_and_names_the_endpoint_the_others_meet_at(gang_run):
    run = gang_run()
    first, second = gang.join(run.pk, A), gang.join(run.pk, B)
    leader = gang.assemble(run.pk, first, A)
    follower = gang.assemble(run.pk, second, B)
    assert (leader.rank, follower.rank) == (0, 1)
    assert leader.endpoint == follower.endpoint and leader.endpoint.startswith("10.0.0.5:")
    assert leader.claim is not None and follower.claim is None
    run.refresh_from_db()
    assert run.state == "running" and (run.worker_hostname, run.worker_pid) == (A.hostname, A.pid)


def test_a_member_that_waits_in_vain_leaves_and_sends_its_message_again(gang_run, settings):
    settings.NETWEAVE_GANG_WAIT = 0.3
    run = gang_run()
    node = gang.join(run.pk, A)
    assert gang.assemble(run.pk, node, A) is None
    assert not RunNode.objects.filter(run=run).exists()
    run.refresh_from_db()
    assert run.state == "queued" and run.enqueued is not None  # scheduling.send_again stamps it


def test_a_cancel_while_the_gang_forms_ends_the_run_and_frees_its_members(gang_run):
    run = gang_run()
    node = gang.join(run.pk, A)
    services.cancel(run)
    assert gang.assemble(run.pk, node, A) is None
    assert Run.objects.get(pk=run.pk).state == "cancelled"
    assert not RunNode.objects.filter(run=run).exists()


def test_node_0_is_told_when_a_member_stops_beating_and_why_a_run_stopped(gang_run, settings):
    run = gang_run()
    gang.join(run.pk, A)
    gang.join(run.pk, B)
    watch = gang.NodeWatch(run.pk)
    assert watch.lost() == ""
    RunNode.objects.filter(run=run, rank=1).update(
        heartbeat=timezone.now() - timedelta(seconds=settings.NETWEAVE_HEARTBEAT_TIMEOUT + 1))
    assert "node 1 (host-b pid 202) stopped heart-beating" in watch.lost()
    assert "resume the run" in watch.lost()  # however the loss is seen, the person learns what to do
    assert "resume" in watch.stopped()  # the job said "cancelled" but nobody asked
    Run.objects.filter(pk=run.pk).update(cancel_requested=True)
    assert watch.stopped() == ""


def test_a_member_stops_its_launcher_when_the_run_is_cancelled(gang_run):
    run = gang_run()
    nodes = [gang.join(run.pk, A), gang.join(run.pk, Holder.me())]
    gang.assemble(run.pk, nodes[0], A)
    follower = gang.assemble(run.pk, nodes[1], Holder.me())
    run.run_dir.mkdir(parents=True)
    threading.Timer(1.0, lambda: Run.objects.filter(pk=run.pk).update(cancel_requested=True)).start()
    started = time.monotonic()
    member.follow(run, follower, [sys.executable, "-c", "import time; time.sleep(60)"], {}, Holder.me())
    assert time.monotonic() - started < 30  # stopped by the cancel, not by the sleep's end


def test_a_gang_whose_node_0_worker_is_lost_fails_for_a_person_to_resume(gang_run, settings):
    run = gang_run()
    gang.join(run.pk, A)
    gang.join(run.pk, B)
    lifecycle.claim(run.pk, A)
    Run.objects.filter(pk=run.pk).update(
        heartbeat=timezone.now() - timedelta(seconds=settings.NETWEAVE_HEARTBEAT_TIMEOUT + 1), enqueued=None)
    assert services.send_lost_again() == []  # not sent again as a one-node run
    run.refresh_from_db()
    assert run.state == "failed" and "resume the run" in run.error


def test_node_0_that_fails_to_start_its_job_fails_the_run_at_once(gang_run, monkeypatch):
    run = gang_run()

    def unwritable(claim):
        raise OSError("disk full")

    def second_member():  # this worker joined first: it is node 0
        gang.join(run.pk, B)
        connection.close()  # the thread's own: the test database can be dropped at the end

    monkeypatch.setattr(member, "write_job", unwritable)
    threading.Timer(0.5, second_member).start()
    with pytest.raises(OSError):
        member._serve(run, placement.Placement({}))
    run.refresh_from_db()
    # Ended now, not left running until the housekeeping calls node 0 lost: the members stop.
    assert run.state == "failed" and run.error == "worker error: disk full"
    assert "OSError" in run.log_tail
