"""GPU placement on one machine: a job holds the GPUs it runs on, never two jobs on one GPU.

Each GPU is a lock file (`<NETWEAVE_GPU_LOCK_DIR>/<uuid>.lock`) that the
worker process holds with flock(2) while the job runs: workers of one
machine (several processes, several `celery worker`s) see each other's
claims, and the kernel drops a dead worker's locks by itself. The job is
told its GPUs by UUID in CUDA_VISIBLE_DEVICES, so CUDA's numbering cannot
disagree with NVML's.
"""
from __future__ import annotations

import fcntl
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


@dataclass
class Reservation:
    gpus: list[dict]
    locks: list[IO] = field(default_factory=list, repr=False)

    @property
    def visible_devices(self) -> str:
        return ",".join(gpu["uuid"] for gpu in self.gpus)

    def release(self) -> None:
        for lock in self.locks:
            lock.close()  # closing the file drops its flock
        self.locks.clear()


def reserve(candidates: list[dict], count: int, lock_dir: Path) -> Reservation | None:
    """`count` GPUs of `candidates` that no other job on this machine holds, or None."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    taken = Reservation([])
    for gpu in candidates:
        lock = open(lock_dir / f"{gpu['uuid']}.lock", "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        taken.gpus.append({"index": gpu["index"], "uuid": gpu["uuid"], "name": gpu["name"]})
        taken.locks.append(lock)
        if len(taken.gpus) == count:
            return taken
    taken.release()
    return None
