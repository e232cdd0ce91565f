"""A job process's share of the machine's cores, as torch's intra-op threads.

torch starts as many intra-op threads as the machine has cores. Two jobs side by
side on one machine, each with every core, ran twenty times slower than each
with its share (docs/benchmarks.md, "Tuning"): their OpenMP threads wait on each
other. So the worker that starts a job gives it ``cores // (job slots on this
machine × the job's own processes)`` threads in ``NETWEAVE_JOB_THREADS``, and
the job process sets them before its first torch operation. A worker started
with ``OMP_NUM_THREADS`` set gives none: the operator chose.

Torch-free and Django-free: the worker computes the share, the job applies it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

THREADS_VAR = "NETWEAVE_JOB_THREADS"


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


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
