"""A job process's CPU priority: training yields the CPU to the web process's requests.

A training child uses every core it gets; on a small machine four of them
left uvicorn a sixth of the CPU and reads took seconds (issue #16 item 9).
Run at a higher nice value, a child loses to normal-priority processes only
when they want the CPU: on an otherwise idle machine it trains as fast as before.

Where the kernel groups CPU time by session (`CONFIG_SCHED_AUTOGROUP`, on in
most desktop and VM kernels when processes sit in the root cgroup), nice
only weighs processes of the same session against each other, and a job
child always starts its own session (so that a cancel reaches all of it). The
session's group has its own nice value, /proc/self/autogroup: it is set too.

Torch-free and Django-free: the worker calls it in a cold child before exec,
the zygote in each child it forks.
"""
from __future__ import annotations

import errno
import os
import time

AUTOGROUP = "/proc/self/autogroup"
# The kernel takes one autogroup change every 0.1 s from a process without CAP_SYS_ADMIN
# (EAGAIN otherwise): four children starting together may have to wait their turn.
AUTOGROUP_TRIES = 20


def lower_priority(nice: int) -> None:
    """Run this process, and the session it leads, at nice value `nice` (0: leave both).

    Never raises the priority: a process already nicer than `nice` keeps its value.
    Best effort: where the system refuses, the job runs at the priority it has. Call it
    only in a process that has just called setsid(): the autogroup is the whole session's.
    """
    if nice <= 0:
        return
    try:
        nice = max(nice, os.getpriority(os.PRIO_PROCESS, 0))
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except OSError:
        return
    _set_session_nice(nice)


def _set_session_nice(nice: int) -> None:
    for _ in range(AUTOGROUP_TRIES):
        try:
            with open(AUTOGROUP, "w") as group:
                group.write(str(nice))
            return
        except OSError as exc:  # no autogroups (not Linux, or built without): nothing to set
            if exc.errno != errno.EAGAIN:
                return
        time.sleep(0.02)
