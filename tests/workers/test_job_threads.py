"""Each job gets its share of the machine's cores as torch threads (workers/threads.py):
jobs side by side that each took every core slowed each other down many times over."""
from __future__ import annotations

import json
import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import torch
from django.utils import timezone

from designer.fleet.models import Worker
from designer.runs import placement
from designer.runs.lifecycle import Holder
from designer.runs.models import Run, RunEvent, RunNode, RunState
from designer.runs.supervisor import Supervisor
from workers import threads
from workers.engine.jobs.runner import StopFlag


@pytest.fixture
def four_cores(monkeypatch):
    monkeypatch.setattr(threads, "cores", lambda: 4)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_the_share_divides_the_cores_among_job_slots_and_the_jobs_processes(four_cores):
    assert threads.share(1) == {threads.THREADS_VAR: "4"}
    assert threads.share(2) == {threads.THREADS_VAR: "2"}
    assert threads.share(2, processes=2) == {threads.THREADS_VAR: "1"}
    assert threads.share(16) == {threads.THREADS_VAR: "1"}  # never none
    assert threads.share(2, environ={"OMP_NUM_THREADS": "3"}) == {}  # the operator chose


def test_a_job_follows_its_share_file_between_steps(tmp_path):
    """The worker writes the share again as jobs come and go; the job reads it at most every second."""
    now = [0.0]
    follow = threads.Follow(tmp_path, every_s=1.0, clock=lambda: now[0])
    stop = StopFlag(between=follow)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert stop() is False and torch.get_num_threads() == 2  # no file yet: nothing changes
        threads.write_share(tmp_path, 1)
        assert stop() is False and torch.get_num_threads() == 2  # read again only after a second
        now[0] = 1.0
        stop()
        assert torch.get_num_threads() == 1
        torch.set_num_threads(2)
        now[0] = 2.0
        stop()
        assert torch.get_num_threads() == 2  # the same text again: set once, not every second
        for unusable in ("0", "two", ""):
            (tmp_path / threads.SHARE_FILE).write_text(unusable)
            now[0] += 1.0
            stop()
            assert torch.get_num_threads() == 2
        assert not list(tmp_path.glob(".*partial"))
    finally:
        torch.set_num_threads(before)


def test_a_job_process_sets_torchs_threads_from_its_share():
    before = torch.get_num_threads()
    try:
        assert threads.apply({threads.THREADS_VAR: "1"}) == 1 and torch.get_num_threads() == 1
        for unusable in ({}, {threads.THREADS_VAR: "0"}, {threads.THREADS_VAR: "two"}):
            assert threads.apply(unusable) is None and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_a_containers_cpu_limit_caps_its_cores(monkeypatch, tmp_path):
    monkeypatch.setattr(threads, "CPU_MAX", tmp_path / "cpu.max")
    affinity = len(os.sched_getaffinity(0))
    assert threads.cpu_limit() is None and threads.cores() == affinity  # no cgroup file
    for text, limit in (("max 100000\n", None), ("150000 100000\n", 2), ("50000 100000", 1),
                        ("100000 100000", 1), ("garbage", None), ("1 0", None)):
        (tmp_path / "cpu.max").write_text(text)
        assert threads.cpu_limit() == limit, text
        assert threads.cores() == min(affinity, limit or affinity)


def test_the_machine_is_the_running_kernel_and_the_hostname_without_one(monkeypatch, tmp_path):
    assert threads.machine() == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    monkeypatch.setattr(threads, "BOOT_ID", tmp_path / "absent")
    assert threads.machine() == socket.gethostname()


def _worker(host: str, pid: int, silent_for: float = 0.0, machine: str | None = None) -> Worker:
    beat = timezone.now() - timedelta(seconds=silent_for)
    return Worker.objects.create(name=f"cpu@{host}", host=host, pid=pid, queues=["cpu"], started=beat,
                                 heartbeat=beat, devices={"cpus": 4, "machine": machine} if machine else {})


def _running(make_run, host: str, pid: int) -> Run:
    return make_run(state=RunState.RUNNING, worker_hostname=host, worker_pid=pid)


@pytest.mark.django_db
def test_the_jobs_are_the_busy_worker_processes_of_this_host_and_this_one(four_cores, settings, make_run):
    run = Run(devices=1)
    assert placement.thread_env(run) == {threads.THREADS_VAR: "4"}  # this worker, not announced yet
    here = socket.gethostname()
    _worker(here, os.getpid())  # this one: counted once
    _worker(here, 1)
    _worker(here, 2)  # idle: takes no core
    _worker(here, 3, silent_for=settings.NETWEAVE_HEARTBEAT_TIMEOUT + 60)  # gone
    _worker("elsewhere", 4)
    for host, pid in ((here, os.getpid()), (here, 1), (here, 3), ("elsewhere", 4)):
        _running(make_run, host, pid)
    assert placement.thread_env(run) == {threads.THREADS_VAR: "2"}
    assert placement.thread_env(Run(devices=2)) == {threads.THREADS_VAR: "1"}
    # A node of a multi-node run keeps its worker busy too.
    member = _running(make_run, "elsewhere", 4)
    RunNode.objects.create(run=member, host=here, pid=2, rank=1, heartbeat=timezone.now())
    assert placement.thread_env(run) == {threads.THREADS_VAR: "1"}


@pytest.mark.django_db
def test_busy_workers_in_other_containers_of_this_machine_count_too(four_cores, make_run):
    """docker compose's CPU and GPU workers: two hostnames, one kernel, the same cores."""
    here = threads.machine()
    for host, pid, machine in (("gpu-container", 2, here), ("cpu-container-2", 3, here),
                               ("another-machine", 4, "another-boot-id")):
        _worker(host, pid, machine=machine)
        _running(make_run, host, pid)
    assert placement.thread_env(Run(devices=1)) == {threads.THREADS_VAR: "1"}  # 4 cores, 3 jobs


@pytest.mark.django_db
def test_the_supervisor_gives_a_job_more_threads_or_fewer_as_jobs_start_and_end(four_cores, make_run):
    run = _running(make_run, socket.gethostname(), os.getpid())
    run.run_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(run, Holder.me())
    assert supervisor.threads == 4  # alone on the machine
    other = _running(make_run, "gpu-container", 7)
    _worker("gpu-container", 7, machine=threads.machine())
    supervisor._reshare()  # fewer at once
    assert (run.run_dir / threads.SHARE_FILE).read_text() == "2"
    Run.objects.filter(pk=other.pk).update(state=RunState.SUCCEEDED)
    supervisor._reshare()  # more cores only when the next beat says so too (a sweep's next trial may start)
    assert (run.run_dir / threads.SHARE_FILE).read_text() == "2"
    supervisor._reshare()
    supervisor._reshare()  # no change: no second note
    assert (run.run_dir / threads.SHARE_FILE).read_text() == "4"
    notes = [json.loads(e.data)["message"] for e in RunEvent.objects.filter(run=run, kind="log").order_by("id")]
    assert notes == ["2 job(s) on this machine now: 2 torch threads", "1 job(s) on this machine now: 4 torch threads"]
    # A multi-node run's share stays as it started; so does the operator's OMP_NUM_THREADS.
    assert Supervisor(run, Holder.me(), watch=object()).threads is None


@pytest.mark.django_db
def test_under_the_operators_omp_num_threads_no_share_is_given_and_the_fleet_is_not_asked(
        monkeypatch, django_assert_num_queries):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    with django_assert_num_queries(0):
        assert placement.thread_env(Run(devices=1)) == {}
