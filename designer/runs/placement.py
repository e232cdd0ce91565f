"""Where a run's job runs on this worker: the GPUs it holds and what CUDA_VISIBLE_DEVICES says.

A run asks for GPUs by its queue (`gpu`) or its config (`device: cuda`), as
many as its `devices`. The worker gives it that many of its own GPUs that no
other job on the machine holds (designer/fleet/gpus.py) and names them by
UUID in the job's CUDA_VISIBLE_DEVICES; any other job on a GPU machine gets
CUDA_VISIBLE_DEVICES="" so that it cannot take a GPU by accident
(`device: auto`). A run that asks for a GPU on a worker without one starts
all the same: the job finds no GPU and fails with its clear error (the
engine's, workers/engine/jobs/distributed.py), never training on the CPU.
"""
from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from designer.fleet.gpus import Reservation, reserve
from designer.runs.models import Run
from designer.runs.queues import Queue
from workers import threads


class Busy(Exception):
    """The GPUs the run needs are held by other jobs now: try again later."""


class Unplaceable(Exception):
    """This worker can never run it (it asks for more GPUs than the worker has)."""


@dataclass
class Placement:
    env: dict[str, str]
    reservation: Reservation | None = None

    @property
    def gpus(self) -> list[dict]:
        return self.reservation.gpus if self.reservation else []

    def release(self) -> None:
        if self.reservation:
            self.reservation.release()


def gpus_wanted(run: Run) -> int:
    asks = run.queue == Queue.GPU.value or (run.config or {}).get("device") == "cuda"
    return max(1, run.devices) if asks else 0


def lock_dir() -> Path:
    from django.conf import settings

    return Path(settings.NETWEAVE_GPU_LOCK_DIR or Path(tempfile.gettempdir()) / "netweave-gpus")


def place(run: Run, available: list[dict]) -> Placement:
    """The placement of `run` among this worker's GPUs (`available`, from NVML)."""
    wanted = gpus_wanted(run)
    if not wanted:
        return Placement({"CUDA_VISIBLE_DEVICES": ""} if available else {})
    if not available:
        return Placement({})
    if wanted > len(available):
        names = ", ".join(f"{g['index']} ({g['name']})" for g in available)
        raise Unplaceable(f"run {run.pk} asks for {wanted} GPUs but this worker has {len(available)}: {names}; "
                          f"ask for at most {len(available)} devices")
    reservation = reserve(available, wanted, lock_dir())
    if reservation is None:
        raise Busy(f"run {run.pk} waits for {wanted} free GPU(s) of this worker")
    return Placement({"CUDA_VISIBLE_DEVICES": reservation.visible_devices}, reservation)


def jobs_here() -> int:
    """Jobs running on this machine, whatever its container, this worker's own counted."""
    from designer.fleet.services import jobs_on

    return jobs_on(threads.machine(), (socket.gethostname(), os.getpid()))


def thread_env(run: Run) -> dict[str, str]:
    """The job's share of this machine's cores at its start (workers/threads.py): the cores over
    the jobs running here, this one counted; the supervisor follows it as jobs come and go.
    Nothing, and no count of the fleet, when the operator set OMP_NUM_THREADS."""
    return {} if threads.operator_chose() else threads.share(jobs_here(), run.devices)


def describe(gpus: list[dict], host: str) -> str:
    return f"on {host}, GPU " + ", ".join(f"{g['index']} ({g['name']})" for g in gpus)
