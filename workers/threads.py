"""A job process's share of the machine's cores, as torch's intra-op threads.

torch starts as many intra-op threads as the machine has cores. Two jobs side by
side on one machine, each with every core, ran twenty times slower than each
with its share (docs/benchmarks.md, "Tuning"): their OpenMP threads wait on each
other. So the worker that starts a job gives it ``cores // (job slots on this
machine × the job's own processes)`` threads in ``NETWEAVE_JOB_THREADS``, and
the job process sets them before its first torch operation. A worker started
with ``OMP_NUM_THREADS`` set gives none: the operator chose.

"This machine" is the running kernel, not the hostname: containers on one host
(``docker compose``'s CPU and GPU workers) each have a hostname of their own but
share the host's cores, and the kernel's boot id, which they share too, tells so.
A container's CPU limit (cgroup v2 ``cpu.max``) caps its cores.

Torch-free and Django-free: the worker computes the share, the job applies it.
"""
from __future__ import annotations

import math
import os
import socket
from collections.abc import Mapping
from pathlib import Path

THREADS_VAR = "NETWEAVE_JOB_THREADS"
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


def share(slots: int, processes: int = 1, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The job's environment entry: its threads when ``slots`` jobs may run on this machine at
    once and the job has ``processes`` processes of its own; empty under OMP_NUM_THREADS."""
    if environ.get("OMP_NUM_THREADS"):
        return {}
    return {THREADS_VAR: str(max(1, cores() // (max(1, slots) * max(1, processes))))}


def apply(environ: Mapping[str, str] = os.environ) -> int | None:
    """Set torch's intra-op threads from NETWEAVE_JOB_THREADS; the count set, or None."""
    value = environ.get(THREADS_VAR, "")
    if not value.isdigit() or int(value) < 1:
        return None
    import torch

    torch.set_num_threads(int(value))
    return int(value)
