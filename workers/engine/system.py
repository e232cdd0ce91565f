"""System figures for a run: CPU and memory via psutil, GPUs via NVML.

NVML reads the driver directly, so sampling GPUs never touches ``torch.cuda``
(and never creates a CUDA context in a process that may fork).
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import psutil


class _Gpus:
    """NVML handles of the GPUs this job uses; empty when there is no NVML."""

    def __init__(self, count: int):
        self.handles: list[Any] = []
        if count <= 0:
            return
        try:
            import pynvml

            pynvml.nvmlInit()
        except Exception:  # no driver, no GPU: report CPU figures only
            return
        self.nvml = pynvml
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
        ids = [int(i) for i in visible.split(",") if i.strip().isdigit()] if visible else \
            list(range(pynvml.nvmlDeviceGetCount()))
        self.handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in ids[:count]]

    def sample(self) -> dict[str, float]:
        if not self.handles:
            return {}
        util = [self.nvml.nvmlDeviceGetUtilizationRates(h).gpu for h in self.handles]
        mem = [self.nvml.nvmlDeviceGetMemoryInfo(h) for h in self.handles]
        return {"gpu_util_percent": sum(util) / len(util),
                "gpu_memory_mb": sum(m.used for m in mem) / 2**20,
                "gpu_memory_percent": 100 * sum(m.used for m in mem) / sum(m.total for m in mem)}


def sample_system(process: psutil.Process, gpus: _Gpus | None = None,
                  children: list[psutil.Process] | None = None) -> dict[str, float]:
    """CPU % of the machine, memory of this process and its children, GPU figures.

    ``children`` (default: listed now) lets a caller reuse a recent listing:
    psutil finds children by reading every process's /proc entry.
    """
    rss = process.memory_info().rss
    for child in process.children(recursive=True) if children is None else children:
        try:
            rss += child.memory_info().rss
        except psutil.Error:  # a loader worker may exit between listing and reading
            pass
    values = {"cpu_percent": psutil.cpu_percent(interval=None), "memory_rss_mb": rss / 2**20,
              "memory_percent": psutil.virtual_memory().percent}
    if gpus is not None:
        values.update(gpus.sample())
    return values


class SystemMonitor(threading.Thread):
    """Emits a ``system`` metric every ``every_s`` seconds until ``stop()``.

    Child processes (loader workers) are listed again every
    ``children_every_s`` only: listing them scans all of /proc, ~5 ms of a
    training process's GIL each time on a busy machine.
    """

    children_every_s = 10.0

    def __init__(self, emit: Callable[[dict[str, Any]], None], step: Callable[[], int], *,
                 every_s: float = 5.0, gpus: int = 0):
        super().__init__(name="netweave-system", daemon=True)
        self.emit_event, self.step, self.every_s = emit, step, every_s
        self.gpus = _Gpus(gpus)
        self.process = psutil.Process()
        self._stop_event = threading.Event()
        self._children: list[psutil.Process] = []
        self._children_at = float("-inf")

    def _children_now(self) -> list[psutil.Process]:
        now = time.monotonic()
        if now - self._children_at >= self.children_every_s:
            self._children, self._children_at = self.process.children(recursive=True), now
        return self._children

    def run(self) -> None:
        psutil.cpu_percent(interval=None)  # the first reading only starts the clock
        while not self._stop_event.wait(self.every_s):
            try:
                values = sample_system(self.process, self.gpus, self._children_now())
            except psutil.Error:
                continue
            self.emit_event({"type": "metric", "step": self.step(), "epoch": None,
                             "split": "system", "values": values, "time": time.time()})

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=10)
