"""Runs and what they record: metric points, per-key summaries, live events, artifacts.

A Run is one job on a worker, of a kind registered in the engine
(workers/engine/jobs: train, evaluate, ...); every kind shares the same row,
task and supervision. The database is the record of everything a run did;
Redis only wakes up listeners.
"""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import models


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # A tuner's pruner stopped the run early: an outcome of tuning, not a
    # person's cancel and not a failure.
    PRUNED = "pruned", "Pruned"


TERMINAL_STATES = {RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED, RunState.PRUNED}


class Run(models.Model):
    project = models.ForeignKey("graphs.Project", on_delete=models.CASCADE, related_name="runs")
    # Pinned: a run always reopens the exact graph it trained.
    graph_version = models.ForeignKey(
        "graphs.GraphVersion", on_delete=models.PROTECT, related_name="runs"
    )
    # A kind registered in workers/engine/jobs (checked at launch, not a
    # database choice: adding a kind needs no migration).
    kind = models.CharField(max_length=16, default="train")
    name = models.CharField(max_length=200, blank=True)
    # The dataset spec handed to the engine ({kind, path?, options}) and the
    # full validated config (defaults filled in), so a clone is exact.
    dataset = models.JSONField(default=dict)
    config = models.JSONField(default=dict)
    devices = models.PositiveSmallIntegerField(default=1)
    # Workers the run spans (multi-node DDP): `devices` processes on each of
    # `nodes` workers, all reserved before any starts (designer/runs/gang.py).
    nodes = models.PositiveSmallIntegerField(default=1)
    queue = models.CharField(max_length=16, default="cpu")
    # Queued runs of a queue start highest priority first, then oldest first
    # (designer/runs/scheduling.py); a person's cap on running jobs applies.
    priority = models.SmallIntegerField(default=0)
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    # When the run's task message was last sent: a run still queued long after
    # it had its message lost (a flushed broker) and is sent again.
    enqueued = models.DateTimeField(null=True, blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # Who holds the run: the worker's node name and the task's process, the
    # training child's process group, and when the holder last said so.
    worker_hostname = models.CharField(max_length=255, blank=True)
    worker_pid = models.IntegerField(null=True, blank=True)
    child_pgid = models.IntegerField(null=True, blank=True)
    # The GPUs the job ran on ([{"index", "uuid", "name"}]; empty on the CPU).
    gpus = models.JSONField(default=list, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    # How many times a worker has started the training child for this run
    # (more than one after a worker was lost and the message came again).
    attempts = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    log_tail = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True, max_length=10_000)
    # Clone and resume make a new run whose parent is the original; a resumed
    # run starts from the checkpoint named here.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    resume_from = models.CharField(max_length=1024, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["project", "-created"], name="run_project_created"),
            models.Index(fields=["state", "heartbeat"], name="run_state_heartbeat"),
            models.Index(fields=["state", "queue", "-priority", "created"], name="run_queue_order"),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.kind}, {self.state})"

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def run_dir(self) -> Path:
        return Path(settings.RUNS_ROOT) / str(self.pk)

    @property
    def last_checkpoint(self) -> Path:
        return self.checkpoint_path("last")

    def checkpoint_path(self, name: str) -> Path:
        """``checkpoints/<name>.pt`` in the run folder (name: "best" or "last")."""
        return self.run_dir / "checkpoints" / f"{name}.pt"

    @property
    def inputs(self) -> list[dict]:
        """The runs this job starts from, in order: ``[{"run": id, "checkpoint": "best"}]``."""
        return [{"run": link.source_id, "checkpoint": link.checkpoint} for link in self.input_links.all()]

    def set_inputs(self, inputs: list[dict]) -> None:
        """Record the (checked) inputs of a new run."""
        RunInput.objects.bulk_create([RunInput(run=self, source_id=i["run"], checkpoint=i["checkpoint"],
                                               position=n) for n, i in enumerate(inputs)])


class RunInput(models.Model):
    """One finished run a job starts from and which of its checkpoints (evaluate, compress,
    distill, ensemble). Rows, not a JSON list, so a run's page can list what used it."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="input_links")
    # Kept when the source goes (a deleted source leaves the record of what it was).
    source = models.ForeignKey(Run, null=True, on_delete=models.SET_NULL, related_name="used_by")
    checkpoint = models.CharField(max_length=8)  # "best" or "last"
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"], name="unique_input_position")]


class RunNode(models.Model):
    """One worker of a multi-node run's gang: joined while the run waits, ranked once all joined.

    Each member writes its own row (its heartbeat while it waits and while its
    torch.distributed.run lives); the member ranked 0 holds the run (claim,
    ingest, state) and names the rendezvous endpoint the others meet at.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="gang")
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    # The node rank, given to every member at once when the last one joins.
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    # `host:port` of the rendezvous (rank 0 only, set when it starts).
    endpoint = models.CharField(max_length=300, blank=True)
    heartbeat = models.DateTimeField()
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "host", "pid"], name="unique_gang_member"),
                       models.UniqueConstraint(fields=["run", "rank"], name="unique_gang_rank")]

    def __str__(self) -> str:
        return f"node {self.rank} of run {self.run_id} ({self.host} pid {self.pid})"


class MetricPoint(models.Model):
    """One value of one key at one step: the table charts downsample from."""

    # No separate run index (the (run, key, step) index serves run lookups)
    # and no database-level constraint: PostgreSQL checks deferred foreign
    # keys row by row at commit, a third of a batch's cost. Rows are only
    # written by the ingest for an existing run; deleting a run deletes them.
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+", db_index=False,
                            db_constraint=False)
    key = models.CharField(max_length=128)
    step = models.BigIntegerField()
    value = models.FloatField()
    # Unix seconds when the child measured it (x=time series).
    time = models.FloatField()

    class Meta:
        # One value per (run, key, step): a run resumed after its worker died
        # sends again the steps since its last checkpoint; the ingest keeps
        # the first and counts it once (writes ignore duplicates).
        constraints = [models.UniqueConstraint(fields=["run", "key", "step"], name="unique_metric_point")]


class MetricSummary(models.Model):
    """Latest, best, min and max per (run, key): run tables never scan the points."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="metric_summaries")
    key = models.CharField(max_length=128)
    # "min" when lower is better (losses, errors, times), else "max".
    goal = models.CharField(max_length=3, default="max")
    latest = models.FloatField()
    latest_step = models.BigIntegerField()
    best = models.FloatField()
    best_step = models.BigIntegerField()
    minimum = models.FloatField()
    maximum = models.FloatField()
    count = models.BigIntegerField(default=0)
    # The extent of the series, so downsampling buckets need no scan first.
    first_step = models.BigIntegerField()
    last_step = models.BigIntegerField()
    first_time = models.FloatField()
    last_time = models.FloatField()

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="unique_summary_key")]


class EventKind(models.TextChoices):
    METRICS = "metrics", "Metric batch"
    STATE = "state", "State change"
    LOG = "log", "Log line"
    CHECKPOINT = "checkpoint", "Checkpoint"
    ARTIFACT = "artifact", "Artifact"
    # What the run is doing now (loading data, training epoch 3/10, ...): shown
    # before the first metric arrives.
    PHASE = "phase", "Phase"


class RunEvent(models.Model):
    """What the SSE stream sends; its id is the event id a browser resumes from."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    # The JSON text of the SSE `data:` line, stored as written: the stream
    # sends it verbatim and the ingest skips a JSONB parse of every batch.
    data = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "id"], name="event_run_id")]

    @classmethod
    def build(cls, run_id: int, kind: str, payload: dict) -> "RunEvent":
        data = json.dumps({"run": run_id, **payload}, separators=(",", ":"), allow_nan=False)
        return cls(run_id=run_id, kind=kind, data=data)


class Artifact(models.Model):
    """A file or a small document a run produced: checkpoints, confusion matrices."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="artifacts")
    kind = models.CharField(max_length=32)
    # For files: the name inside the run folder (checkpoints/last.pt); unique
    # per run so a checkpoint written every epoch stays one row.
    name = models.CharField(max_length=255)
    epoch = models.IntegerField(null=True, blank=True)
    step = models.BigIntegerField(null=True, blank=True)
    best = models.BooleanField(default=False)
    data = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="unique_artifact_name")]

    @property
    def path(self) -> Path:
        return self.run.run_dir / self.name


class IngestMark(models.Model):
    """The last batch of a run's output the ingest stored (designer/runs/ingest.py).

    Points are unique per (run, key, step), so a batch stored twice keeps
    them once; log, phase, checkpoint and artifact events are not. When a
    connection drops during COMMIT the writer cannot tell whether the batch
    went in and sends it again: its mark, written in the same transaction,
    says it did. One row per run, overwritten by each batch.
    """

    run = models.OneToOneField(Run, on_delete=models.CASCADE, primary_key=True, related_name="+")
    batch = models.CharField(max_length=32)


# Widths (in steps) of the pre-aggregated buckets kept for every series: each
# level a quarter as many rows as the one before, so a series of any length
# is read as at most a few hundred rows per line (see designer/runs/series.py).
ROLLUP_WIDTHS = (16, 64, 256, 1024, 4096, 16384, 65536, 262144)


class MetricRollup(models.Model):
    """The first, last, lowest and highest point of each bucket of `width` steps (M4).

    Kept up to date by the ingest; drawing these four points per bucket
    keeps every spike and both ends of the line.
    """

    # Unconstrained for the same reason as MetricPoint.run.
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+", db_index=False,
                            db_constraint=False)
    key = models.CharField(max_length=128)
    width = models.IntegerField()
    bucket = models.BigIntegerField()
    count = models.BigIntegerField()
    first_step = models.BigIntegerField()
    first_value = models.FloatField()
    first_time = models.FloatField()
    last_step = models.BigIntegerField()
    last_value = models.FloatField()
    last_time = models.FloatField()
    min_step = models.BigIntegerField()
    min_value = models.FloatField()
    min_time = models.FloatField()
    max_step = models.BigIntegerField()
    max_value = models.FloatField()
    max_time = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "key", "width", "bucket"], name="unique_rollup_bucket"),
        ]
