"""What a worker may use: CPU cores, memory, and its GPUs as NVML sees them.

GPUs are read through NVML (nvidia-ml-py, installed with torch), never
through torch.cuda: the worker does not import torch, and a process that
forks (the zygote) must never have touched CUDA. A worker uses every GPU
NVML shows, or those named by NETWEAVE_GPUS / CUDA_VISIBLE_DEVICES (indices
or UUIDs), so several workers on one machine can split its GPUs.
"""
from __future__ import annotations

import logging
import os

import psutil

from workers import threads

log = logging.getLogger("netweave.fleet.devices")

_nvml_ready: bool | None = None


def _nvml():
    """pynvml, initialised once; None without a driver or a GPU."""
    global _nvml_ready
    try:
        import pynvml
    except ImportError:
        return None
    if _nvml_ready is None:
        try:
            pynvml.nvmlInit()
            _nvml_ready = True
        except Exception:  # noqa: BLE001 - NVMLError_LibraryNotFound, DriverNotLoaded, ...
            _nvml_ready = False
    return pynvml if _nvml_ready else None


def allowed_gpus() -> list[str] | None:
    """The GPUs this worker may use (indices or UUIDs), None for all that NVML shows."""
    for name in ("NETWEAVE_GPUS", "CUDA_VISIBLE_DEVICES"):
        raw = os.environ.get(name)
        if raw is not None:
            return [part.strip() for part in raw.split(",") if part.strip()]
    return None


def gpus() -> list[dict]:
    """Each GPU this worker may use: index, uuid, name, memory and utilisation now."""
    nvml = _nvml()
    if nvml is None:
        return []
    allowed = allowed_gpus()
    found = []
    try:
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            uuid = _text(nvml.nvmlDeviceGetUUID(handle))
            if allowed is not None and str(index) not in allowed and uuid not in allowed:
                continue
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            found.append({"index": index, "uuid": uuid, "name": _text(nvml.nvmlDeviceGetName(handle)),
                          "memory_mb": memory.total // 2**20, "memory_used_mb": memory.used // 2**20,
                          "utilization_percent": nvml.nvmlDeviceGetUtilizationRates(handle).gpu})
    except Exception as exc:  # noqa: BLE001 - a GPU fell off the bus: report what was read
        log.warning("reading the GPUs through NVML failed: %s", exc)
    return found


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def describe() -> dict:
    """The devices a worker announces (designer/fleet/models.py, Worker.devices)."""
    return {"cpus": threads.cores(), "memory_mb": psutil.virtual_memory().total // 2**20, "gpus": gpus(),
            "machine": threads.machine()}
