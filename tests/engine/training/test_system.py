"""System figures: CPU and memory from psutil (GPU figures need NVML and a GPU)."""
from __future__ import annotations

import threading

import psutil

from workers.engine.system import SystemMonitor, sample_system


def test_a_sample_has_cpu_and_memory_figures():
    values = sample_system(psutil.Process())
    assert 0 <= values["cpu_percent"] <= 100
    assert values["memory_rss_mb"] > 10 and 0 < values["memory_percent"] <= 100


def test_the_monitor_emits_system_metrics_until_stopped():
    events, seen = [], threading.Event()

    def emit(event):
        events.append(event)
        seen.set()

    monitor = SystemMonitor(emit, lambda: 42, every_s=0.5, gpus=0)
    monitor.start()
    try:
        assert seen.wait(timeout=30)
    finally:
        monitor.stop()
    assert not monitor.is_alive()
    assert events[0]["split"] == "system" and events[0]["step"] == 42
    assert "gpu_util_percent" not in events[0]["values"]
