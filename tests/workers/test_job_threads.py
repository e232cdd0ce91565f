"""Each job gets its share of the machine's cores as torch threads (workers/threads.py):
jobs side by side that each took every core slowed each other down many times over."""
from __future__ import annotations

import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import torch
from django.utils import timezone

from designer.fleet.models import Worker
from designer.runs import placement
from designer.runs.models import Run
from workers import threads


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


@pytest.mark.django_db
def test_the_slots_are_the_worker_processes_heard_from_on_this_host(four_cores, settings):
    run = Run(devices=1)
    assert placement.thread_env(run) == {threads.THREADS_VAR: "4"}  # this worker, not announced yet
    here = socket.gethostname()
    _worker(here, 1)
    _worker(here, 2)
    _worker(here, 3, silent_for=settings.NETWEAVE_HEARTBEAT_TIMEOUT + 60)  # gone
    _worker("elsewhere", 4)
    assert placement.thread_env(run) == {threads.THREADS_VAR: "2"}
    assert placement.thread_env(Run(devices=2)) == {threads.THREADS_VAR: "1"}


@pytest.mark.django_db
def test_workers_in_other_containers_of_this_machine_take_slots_too(four_cores):
    """docker compose's CPU and GPU workers: two hostnames, one kernel, the same cores."""
    here = threads.machine()
    _worker(socket.gethostname(), 1, machine=here)
    _worker("gpu-container", 2, machine=here)
    _worker("cpu-container-2", 3, machine=here)
    _worker("another-machine", 4, machine="another-boot-id")
    assert placement.thread_env(Run(devices=1)) == {threads.THREADS_VAR: "1"}  # 4 cores, 3 slots
