"""The fleet: every worker process, as it last announced itself."""
from __future__ import annotations

from django.db import models


class WorkerState(models.TextChoices):
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


class Worker(models.Model):
    """One Celery worker process: it takes one job at a time from its queues.

    Written by the process itself every NETWEAVE_FLEET_HEARTBEAT seconds
    (designer/fleet/heartbeat.py). (host, pid) is what a run it holds records
    in `Run.worker_hostname` / `Run.worker_pid`, so its jobs need no extra key.
    """

    # The Celery node it belongs to ("cpu@host"): a node with --concurrency N
    # has N processes, each a row.
    name = models.CharField(max_length=255)
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    queues = models.JSONField(default=list)
    # {"cpus": 16, "memory_mb": 64000, "gpus": [{"index", "uuid", "name",
    #  "memory_mb", "memory_used_mb", "utilization_percent"}]}: what the
    # process may use (GPUs from NVML, never torch.cuda).
    devices = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=WorkerState.choices, default=WorkerState.RUNNING)
    started = models.DateTimeField()
    heartbeat = models.DateTimeField()

    class Meta:
        ordering = ["name", "pid"]
        constraints = [models.UniqueConstraint(fields=["host", "pid"], name="unique_worker_process")]

    def __str__(self) -> str:
        return f"worker {self.name} pid {self.pid} ({self.state})"
