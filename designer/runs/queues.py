"""Every Celery queue in one place, with what runs there, and the names tasks are sent by."""
from __future__ import annotations

import enum


class Queue(str, enum.Enum):
    # Jobs that need no accelerator: CPU training, evaluation, housekeeping.
    CPU = "cpu"
    # Jobs that need a GPU: only workers started with `-Q gpu` consume it,
    # so a run asking for a GPU never lands on a CPU-only machine.
    GPU = "gpu"

    @classmethod
    def names(cls) -> list[str]:
        return [q.value for q in cls]


# The service sends tasks by name (``app.send_task``), so creating a run never
# imports the task modules, and the tasks (designer/runs/tasks.py) may import
# the services without a cycle.
EXECUTE_RUN = "netweave.execute_run"
REAP_RUNS = "netweave.reap_runs"
