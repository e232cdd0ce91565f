"""Every Celery queue in one place, with what runs there."""
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
