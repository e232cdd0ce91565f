"""The supervision and ingest path, in process, with a stand-in training child."""
from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest

from designer.runs import lifecycle
from designer.runs.models import Artifact, MetricPoint, MetricSummary, Run, RunEvent
from designer.runs.supervisor import execute
from tests.workers.conftest import standin_command

pytestmark = pytest.mark.django_db(transaction=True)


def events_of(run, kind):
    return [json.loads(e.data) for e in RunEvent.objects.filter(run=run, kind=kind)]


def test_it_records_points_summaries_artifacts_and_success(make_run):
    run = make_run(config={"standin": {"steps": 30, "keys": 3, "checkpoint_every": 10}})
    assert execute(run.pk, standin_command(run)) == "succeeded"
    run.refresh_from_db()
    assert (run.state, run.attempts, run.error) == ("succeeded", 1, "")
    assert MetricPoint.objects.filter(run=run).count() == 90
    summary = MetricSummary.objects.get(run=run, key="train/k1")
    assert (summary.latest, summary.latest_step, summary.maximum, summary.count) == (58.0, 29, 58.0, 30)
    assert Artifact.objects.get(run=run, kind="checkpoint").name == "checkpoints/last.pt"
    assert Artifact.objects.get(run=run, kind="confusion_matrix").data == [[1, 0], [0, 1]]
    assert run.summary == {"test_accuracy": 0.5}
    job = json.loads((run.run_dir / "job.json").read_text())
    assert job["run_id"] == run.pk and job["graph"]["nodes"][0]["id"] == "x"
    sent = [p for e in events_of(run, "metrics") for p in e["points"]]
    assert len(sent) == 90 and sent[0] == {"key": "train/k0", "step": 0, "value": 0.0, "time": 1.7e9}
    assert [e["state"] for e in events_of(run, "state")] == ["running", "succeeded"]
    assert any(e["message"] == "a stray print from user code" for e in events_of(run, "log"))
    assert events_of(run, "phase") == [{"run": run.pk, "phase": "training", "epoch": 1, "epochs": 1}]


def test_points_come_in_tenths_of_a_second_for_a_viewer_and_once_a_second_for_nobody(make_run, settings):
    """A run nobody follows live is written in batches a second apart (a tenth of the transactions);
    one whose stream marked it watched (designer/runs/wakeups.py), every 0.1 s."""
    from designer.runs import live

    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (a real Redis)")
    batches = {}
    for watched in (False, True):
        run = make_run(config={"standin": {"steps": 60, "keys": 1, "sleep": 0.05}})  # 3 s of points
        if watched:
            live._client().set(live.watched_key(run.pk), 1, ex=120)
        assert execute(run.pk, standin_command(run)) == "succeeded"
        assert MetricPoint.objects.filter(run=run).count() == 60
        batches[watched] = len(events_of(run, "metrics"))
    assert batches[False] <= 6 and batches[True] >= 10, batches


def test_a_crash_in_the_child_fails_the_run_with_the_error(make_run):
    run = make_run(config={"standin": {"steps": 10, "crash_at": 4}})
    assert execute(run.pk, standin_command(run)) == "failed"
    run.refresh_from_db()
    assert run.state == "failed"
    assert "exited with code 1" in run.error and "crashed on purpose" in run.error
    assert "Traceback" in run.log_tail
    assert MetricPoint.objects.filter(run=run, key="train/k0").count() == 4


def test_a_finished_run_is_not_executed_again(make_run):
    run = make_run(config={"standin": {"steps": 3}})
    execute(run.pk, standin_command(run))
    assert execute(run.pk, standin_command(run)) is None
    assert MetricPoint.objects.filter(run=run).count() == 6


def test_a_live_holders_duplicate_delivery_is_ignored(make_run):
    from django.utils import timezone

    run = make_run(state="running", heartbeat=timezone.now(), worker_hostname=lifecycle.Holder.me().hostname,
                   worker_pid=os.getpid())
    assert execute(run.pk, standin_command(run)) is None
    assert Run.objects.get(pk=run.pk).attempts == 0


def test_a_run_whose_worker_died_resumes_from_last_checkpoint(make_run):
    from django.utils import timezone

    dead = _dead_pid()
    run = make_run(state="running", heartbeat=timezone.now(), worker_hostname=lifecycle.Holder.me().hostname,
                   worker_pid=dead, attempts=1, config={"standin": {"steps": 8}})
    (run.run_dir / "checkpoints").mkdir(parents=True)
    (run.run_dir / "checkpoints" / "last.pt").write_text(json.dumps({"step": 4}))
    assert execute(run.pk, standin_command(run)) == "succeeded"
    run.refresh_from_db()
    assert run.attempts == 2
    assert sorted(MetricPoint.objects.filter(run=run, key="train/k0").values_list("step", flat=True)) == [5, 6, 7]
    assert any("was lost" in e["message"] for e in events_of(run, "log"))


def test_cancel_stops_the_process_group_and_keeps_last_checkpoint(make_run, settings):
    settings.NETWEAVE_HEARTBEAT_SECONDS = 0.2
    run = make_run(config={"standin": {"steps": 10_000, "sleep": 0.02}})
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(state=execute(run.pk, standin_command(run))))
    worker.start()
    _wait_for(lambda: MetricPoint.objects.filter(run=run).exists())
    lifecycle.request_cancel(Run.objects.get(pk=run.pk))
    worker.join(timeout=30)
    run.refresh_from_db()
    assert outcome["state"] == "cancelled" and run.state == "cancelled"
    assert (run.run_dir / "checkpoints" / "last.pt").exists()
    assert not lifecycle.pid_alive(run.child_pgid) or _zombie(run.child_pgid)


def test_cancelling_a_queued_run_ends_it_before_any_worker(make_run):
    run = lifecycle.request_cancel(make_run())
    assert run.state == "cancelled"
    assert execute(run.pk, standin_command(run)) is None


def test_the_reaper_fails_runs_whose_heartbeat_stopped(make_run, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    monkeypatch.setenv("NETWEAVE_REAP_AFTER", "60")
    stale = make_run(state="running", heartbeat=timezone.now() - timedelta(seconds=120),
                     worker_hostname="elsewhere", worker_pid=1)
    fresh = make_run(state="running", heartbeat=timezone.now(), worker_hostname="elsewhere", worker_pid=1)
    assert lifecycle.reap() == [stale.pk]
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.state == "failed" and stale.error.startswith("worker lost")
    assert fresh.state == "running"


def _take_sent_runs(queue: str) -> list[int]:
    """Run ids of the execute_run messages waiting on the broker's queue (taken off it)."""
    from designer.celery import app

    runs = []
    with app.connection_for_write() as conn, conn.SimpleQueue(queue) as waiting:
        while True:
            try:
                message = waiting.get(block=False)
            except waiting.Empty:
                return runs
            message.ack()
            if message.headers.get("task") == "netweave.execute_run":
                runs.append(message.decode()[0][0])


def test_housekeeping_sends_again_only_runs_left_queued(make_run, settings):
    from datetime import timedelta

    from django.utils import timezone

    from designer.runs import services

    settings.NETWEAVE_REQUEUE_AFTER = 60
    long_ago = timezone.now() - timedelta(seconds=120)
    stale = make_run(enqueued=long_ago)
    fresh = make_run(enqueued=timezone.now())
    running = make_run(state="running", enqueued=long_ago, heartbeat=timezone.now(),
                       worker_hostname="elsewhere", worker_pid=1)
    _take_sent_runs("cpu")
    assert services.housekeeping() == {"resumed": [], "reaped": [], "sent_again": [stale.pk]}
    stale.refresh_from_db()
    assert stale.state == "queued" and stale.enqueued > long_ago
    [event] = events_of(stale, "log")
    assert "sent again to queue 'cpu'" in event["message"]
    # The message really went out on the run's queue (no worker here takes it).
    assert _take_sent_runs("cpu") == [stale.pk]
    assert not events_of(fresh, "log") and not events_of(running, "log")
    # Sent again just now: not again at the next round.
    assert services.redrive() == []


def test_housekeeping_sends_again_at_once_a_run_whose_worker_was_lost(make_run, settings):
    from datetime import timedelta

    from django.utils import timezone

    from designer.runs import services

    settings.NETWEAVE_HEARTBEAT_TIMEOUT = 10
    silent = make_run(state="running", heartbeat=timezone.now() - timedelta(seconds=15),
                      worker_hostname="elsewhere", worker_pid=1, attempts=1)
    # On this machine a dead worker process settles it before any heartbeat is missed.
    dead = make_run(state="running", heartbeat=timezone.now(), worker_hostname=socket.gethostname(),
                    worker_pid=_dead_pid(), attempts=1)
    alive = make_run(state="running", heartbeat=timezone.now(), worker_hostname="elsewhere", worker_pid=1)
    worn = make_run(state="running", heartbeat=timezone.now() - timedelta(seconds=15),
                    worker_hostname="elsewhere", worker_pid=1, attempts=settings.NETWEAVE_MAX_ATTEMPTS)
    _take_sent_runs("cpu")
    assert sorted(services.send_lost_again()) == sorted([silent.pk, dead.pk])
    assert sorted(_take_sent_runs("cpu")) == sorted([silent.pk, dead.pk])
    assert "sent again to queue 'cpu'" in events_of(silent, "log")[0]["message"]
    silent.refresh_from_db()
    worn.refresh_from_db()
    assert silent.state == "running" and worn.state == "failed" and "worker lost 3 times" in worn.error
    assert services.send_lost_again() == []  # sent just now: a worker is about to take them
    alive.refresh_from_db()
    assert alive.state == "running" and not events_of(alive, "log")


def _wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def _zombie(pid) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    except OSError:
        return False


def test_several_devices_go_through_torch_distributed_run(tmp_path):
    from designer.runs.process import child_command

    single = child_command(tmp_path, 1)
    assert single[1:] == ["-m", "workers.engine.jobs", str(tmp_path)]
    ddp = child_command(tmp_path, 2)
    assert ddp[1:ddp.index("-m", 3)] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    assert ddp[-3:] == ["-m", "workers.engine.jobs", str(tmp_path)]
