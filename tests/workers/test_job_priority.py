"""Job processes run below the web process and the worker (NETWEAVE_JOB_NICE), warm or cold.

The kernel's view of each process is the truth: its nice value (/proc/<pid>/stat)
and, where the kernel shares CPU time between sessions first (autogroups), its
session's (/proc/<pid>/autogroup): a job child leads its own session, and there
the process's nice value alone would weigh nothing against the web process.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
import pytest

from designer.runs.models import Run, RunEvent
from designer.runs.process import kill_group, start_child
from tests.api import documents
from tests.workers.processes import purge_queues, start_worker, wait_until, worker_env

DEFAULT_NICE = 10
# Never ends on its own (a warm worker trains 40 epochs in seconds): the test cancels it.
LONG = {"epochs": 5000, "batch_size": 16, "system_every_s": 1.0}
OWN_NICE = os.getpriority(os.PRIO_PROCESS, 0)


def nice_of(pid: int) -> int:
    # Field 19 of /proc/<pid>/stat; the command (field 2) may hold spaces, so count after its ')'.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


def session_nice_of(pid: int) -> int | None:
    """The nice value of the process's autogroup ("/autogroup-42 nice 10"), None without autogroups."""
    enabled = Path("/proc/sys/kernel/sched_autogroup_enabled")
    if not enabled.exists() or enabled.read_text().strip() != "1":
        return None
    return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])


def niced(pid: int, nice: int) -> bool:
    return nice_of(pid) == nice and session_nice_of(pid) in {nice, None}


@pytest.fixture
def worker(django_db_setup, tmp_path, settings):
    settings.RUNS_ROOT = tmp_path / "runs"
    env = worker_env(settings.RUNS_ROOT, NETWEAVE_WARM_START="true")
    env.pop("NETWEAVE_JOB_NICE", None)  # the default
    purge_queues(settings.REDIS_URL)
    process = start_worker("priority", env, tmp_path, queues=["cpu"])
    yield process
    process.stop()
    purge_queues(settings.REDIS_URL)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_workers_job_child_runs_niced_and_the_worker_does_not(worker, owner_client, project):
    graph = owner_client.post(f"/api/projects/{project.pk}/graphs",
                              {"name": "digits-cnn", "document": documents.tiny_cnn()}, format="json").json()
    body = {"graph": graph["id"], "dataset": {"kind": "digits"}, "config": LONG}
    run_id = owner_client.post("/api/runs", body, format="json").json()["id"]
    # Once its job process exists, not once it trains: on a busy machine a niced child
    # may wait long for the CPU, which is the point.
    run = wait_until(lambda: (r := Run.objects.get(pk=run_id)).child_pgid and r, timeout=240,
                     what="the run's job process")
    assert run.worker_pid in {c.pid for c in psutil.Process(worker.proc.pid).children(recursive=True)}
    started = RunEvent.objects.filter(run=run, kind="log", data__contains="job process").get().data
    assert "forked from this worker's warm process" in started
    # The forked child sets its priority a moment after the zygote answers with its pid.
    wait_until(lambda: niced(run.child_pgid, max(DEFAULT_NICE, OWN_NICE)), timeout=10, what="the child's nice value")
    # The worker that supervises it (reads its output, writes the points) keeps the priority
    # it was started at, and so does its session.
    assert nice_of(run.worker_pid) == OWN_NICE
    assert session_nice_of(run.worker_pid) in {0, None}
    assert owner_client.post(f"/api/runs/{run_id}/cancel").status_code == 200
    wait_until(lambda: Run.objects.get(pk=run_id).is_terminal, timeout=60, what="the cancelled run to end")


@pytest.mark.parametrize("setting, expected", [(5, max(5, OWN_NICE)), (0, OWN_NICE)])
def test_a_cold_child_runs_at_the_configured_nice(settings, tmp_path, setting, expected):
    settings.NETWEAVE_JOB_NICE = setting
    proc = start_child([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path)
    try:
        assert nice_of(proc.pid) == expected  # set before exec: no waiting
        assert session_nice_of(proc.pid) in {expected if setting else 0, None}
    finally:
        kill_group(proc.pid, 5, proc)
        proc.wait()
