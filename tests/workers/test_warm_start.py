"""Warm starts: job children forked from the worker's zygote, with the real engine on digits."""
from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
from django.db import connection

from designer.runs import lifecycle, warm
from designer.runs.models import MetricPoint, Run, RunEvent
from designer.runs.supervisor import execute

pytestmark = pytest.mark.django_db(transaction=True)

QUICK = {"epochs": 1, "batch_size": 128, "system_every_s": 1.0}
# Never ends on its own (a warm worker trains 40 epochs in seconds): each test cancels or kills it.
LONG = {"epochs": 5000, "batch_size": 16, "system_every_s": 1.0}


@pytest.fixture
def zygote(settings):
    settings.NETWEAVE_WARM_START = True
    z = warm.zygote()
    z.connect(wait=180).close()  # warm before the clock of any test starts
    return z


def started(run) -> str:
    messages = [json.loads(e.data)["message"] for e in RunEvent.objects.filter(run=run, kind="log")]
    return next(m for m in messages if m.startswith("job process "))


def losses(run) -> list[float]:
    return list(MetricPoint.objects.filter(run=run, key="train/loss").order_by("step")
                .values_list("value", flat=True))


def in_thread(run):
    outcome = {}

    def work():
        try:
            outcome["state"] = execute(run.pk)
        finally:
            connection.close()  # the thread's own; the test database is dropped at the end

    thread = threading.Thread(target=work)
    thread.start()
    return thread, outcome


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def threads_of(pid: int) -> int:
    status = open(f"/proc/{pid}/status").read()
    return int(next(line for line in status.splitlines() if line.startswith("Threads:")).split()[1])


def test_the_zygote_forks_from_one_thread_with_cuda_untouched(zygote):
    # fork() copies only the calling thread, and CUDA cannot cross a fork. Loading
    # libcuda is harmless (cuBLASLt's initialiser does it within `import torch`);
    # initialising it (cuInit) starts driver threads, and so would torch's thread pools.
    assert threads_of(zygote.proc.pid) == 1


def test_a_warm_child_trains_exactly_like_a_cold_one(zygote, make_run, settings):
    warm_run = make_run(config=QUICK)
    assert execute(warm_run.pk) == "succeeded"
    settings.NETWEAVE_WARM_START = False
    cold_run = make_run(config=QUICK)
    assert execute(cold_run.pk) == "succeeded"
    assert "forked from this worker's warm process" in started(warm_run)
    assert "forked" not in started(cold_run)
    assert len(losses(warm_run)) == 10 and losses(warm_run) == losses(cold_run)
    warm_run.refresh_from_db()
    cold_run.refresh_from_db()
    assert warm_run.summary == cold_run.summary and warm_run.summary["test_accuracy"] > 0


def test_cancel_reaches_a_warm_child_which_saves_last_checkpoint(zygote, make_run, settings):
    settings.NETWEAVE_HEARTBEAT_SECONDS = 0.2
    run = make_run(config=LONG)
    thread, outcome = in_thread(run)
    wait_for(lambda: MetricPoint.objects.filter(run=run).exists())
    lifecycle.request_cancel(Run.objects.get(pk=run.pk))
    thread.join(timeout=60)
    run.refresh_from_db()
    assert outcome["state"] == run.state == "cancelled"
    assert "forked" in started(run) and run.last_checkpoint.is_file()
    assert zygote.alive()


def test_killing_a_warm_child_fails_the_run_and_the_zygote_serves_the_next(zygote, make_run):
    run = make_run(config=LONG)
    thread, outcome = in_thread(run)
    wait_for(lambda: MetricPoint.objects.filter(run=run).exists())
    os.killpg(Run.objects.get(pk=run.pk).child_pgid, signal.SIGKILL)
    thread.join(timeout=60)
    run.refresh_from_db()
    assert outcome["state"] == run.state == "failed"
    assert run.error == "training process was killed by SIGKILL"
    assert zygote.alive()
    following = make_run(config=QUICK)
    assert execute(following.pk) == "succeeded" and "forked" in started(following)


def test_a_warm_child_dies_with_its_zygote_and_the_run_says_why(make_run, settings):
    settings.NETWEAVE_WARM_START = True
    warm.zygote().connect(wait=180).close()
    run = make_run(config=LONG)
    thread, outcome = in_thread(run)
    wait_for(lambda: MetricPoint.objects.filter(run=run).exists())
    child = Run.objects.get(pk=run.pk).child_pgid
    warm.zygote().proc.kill()  # what happens to it when its worker dies (PR_SET_PDEATHSIG)
    thread.join(timeout=60)
    run.refresh_from_db()
    assert outcome["state"] == run.state == "failed"
    assert warm.LOST in run.error
    assert not lifecycle.pid_alive(child)
    # The next job finds the zygote dead and starts another.
    following = make_run(config=QUICK)
    assert execute(following.pk) == "succeeded" and "forked" in started(following)


def test_the_heartbeat_goes_on_while_a_cold_zygote_imports(make_run, settings):
    """A busy machine can take tens of seconds to import torch: a silent wait
    looked like a lost worker, and the run was sent to a second worker."""
    settings.NETWEAVE_WARM_START = True
    settings.NETWEAVE_HEARTBEAT_SECONDS = 0.1
    warm.shutdown()  # the next job finds no zygote: it starts one and waits for it to import
    run = make_run(config=QUICK)
    thread, outcome = in_thread(run)
    beats = set()
    while thread.is_alive() and not RunEvent.objects.filter(run=run, data__contains="job process").exists():
        if (heartbeat := Run.objects.filter(pk=run.pk).values_list("heartbeat", flat=True).first()) is not None:
            beats.add(heartbeat)
        time.sleep(0.05)
    thread.join(timeout=120)
    assert outcome["state"] == "succeeded" and "forked" in started(run)
    assert len(beats) >= 3, f"heartbeats written while the zygote imported: {len(beats)}"
