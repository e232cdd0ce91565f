"""A job process's share of the machine's cores, as torch's intra-op threads.

torch starts as many intra-op threads as the machine has cores. Two jobs side by
side on one machine, each with every core, ran twenty times slower than each
with its share (docs/benchmarks.md, "Tuning"): their OpenMP threads wait on each
other. So the worker that starts a job gives it ``cores // (jobs running on this
machine, this one counted × the job's own processes)`` threads in ``NETWEAVE_JOB_THREADS``, and
the job process sets them before its first torch operation. A worker started
with ``OMP_NUM_THREADS`` set gives none: the operator chose.

"This machine" is the running kernel, not the hostname: containers on one host
(``docker compose``'s CPU and GPU workers) each have a hostname of their own but
share the host's cores, and the kernel's boot id, which they share too, tells so.
A container's CPU limit (cgroup v2 ``cpu.max``) caps its cores.

The share follows the machine's load: its worker writes the job's count again to
``<run dir>/threads`` as other jobs start and end there, and the job reads that file
between steps (``Follow``): a job alone takes every core, two side by side half each.

Torch-free and Django-free: the worker computes the share, the job applies it.
"""
from __future__ import annotations

import math
import os
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path

THREADS_VAR = "NETWEAVE_JOB_THREADS"
SHARE_FILE = "threads"  # in the run folder: the share now, written by the worker
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def cores() -> int:
    """The cores this process may run on: its CPU affinity, capped by its cgroup's CPU limit."""
    try:
        allowed = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        allowed = os.cpu_count() or 1
    return min(allowed, cpu_limit() or allowed)


def cpu_limit() -> int | None:
    """cgroup v2's CPU quota in whole cores, rounded up (``cpus: 2.5`` in compose is 3); None
    when there is none or it cannot be read."""
    try:
        quota, period = CPU_MAX.read_text().split()[:2]
        if quota == "max":
            return None
        return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError, ZeroDivisionError):
        return None


def machine() -> str:
    """What names the cores this process shares: the running kernel's boot id (the same in
    every container of one host, new at each boot), else the hostname."""
    try:
        return BOOT_ID.read_text().strip() or socket.gethostname()
    except OSError:
        return socket.gethostname()


def count(jobs: int, processes: int = 1) -> int:
    """A job's threads when ``jobs`` jobs run on this machine and it has ``processes`` processes."""
    return max(1, cores() // (max(1, jobs) * max(1, processes)))


def operator_chose(environ: Mapping[str, str] = os.environ) -> bool:
    """OMP_NUM_THREADS is set: every job keeps it, and there is no share to work out."""
    return bool(environ.get("OMP_NUM_THREADS"))


def share(jobs: int, processes: int = 1, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The job's environment entry at its start: its threads (``count``); empty under
    OMP_NUM_THREADS."""
    if operator_chose(environ):
        return {}
    return {THREADS_VAR: str(count(jobs, processes))}


def write_share(run_dir: Path, threads: int) -> None:
    """The worker's side of ``Follow``: the job's threads from now on, replaced whole."""
    partial = run_dir / f".{SHARE_FILE}.partial"
    partial.write_text(str(threads))
    os.replace(partial, run_dir / SHARE_FILE)


class Follow:
    """The job's side: between steps, at most every ``every_s``, set torch's threads to what
    ``<run dir>/threads`` says when it changed. No file, or no number in it: nothing changes."""

    def __init__(self, run_dir: Path, every_s: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.path, self.every_s, self.clock = run_dir / SHARE_FILE, every_s, clock
        self.next = -math.inf
        self.text = ""

    def __call__(self) -> None:
        now = self.clock()
        if now < self.next:
            return
        self.next = now + self.every_s
        try:
            text = self.path.read_text()
        except OSError:
            return
        if text != self.text:
            self.text = text
            _set(text)


def apply(environ: Mapping[str, str] = os.environ) -> int | None:
    """Set torch's intra-op threads from NETWEAVE_JOB_THREADS; the count set, or None."""
    return _set(environ.get(THREADS_VAR, ""))


def _set(text: str) -> int | None:
    """torch's intra-op threads from a count written as text; None (nothing set) when it is none."""
    if not text.isdigit() or int(text) < 1:
        return None
    import torch

    torch.set_num_threads(int(text))
    return int(text)
