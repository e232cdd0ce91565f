"""What a worker does for one run: claim it, start the training child, watch it, record the end.

The child's stdout (JSON lines) is read by a thread into a queue; the loop
drains what is there, writes it as one batch (so latency stays low when the
child is quiet and batches grow when it is busy), beats the heart, watches
for cancel, and sweeps for lost runs now and then.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings

from designer.fleet import devices
from designer.runs import files, hooks, lifecycle, live, outputs, placement, scheduling, services, warm
from designer.runs.ingest import BATCH, Ingest
from designer.runs.lifecycle import Claim, Holder
from designer.runs.models import EventKind, Run, RunState
from designer.runs.outage import TRANSIENT, Outage
from designer.runs.process import describe_exit, kill_group, start_child, tail
from workers import threads
from workers.threads import THREADS_VAR

log = logging.getLogger("netweave.runs.supervisor")

CANCEL_POLL = 0.5
# Once it trains, a child printing faster than this (epochs of a few ms, each with its figures)
# is written in batches at most this old: one transaction per epoch was most of such a run's
# database work. What comes less often is written as soon as it comes, and so is everything
# before the first training point: the start-up phases a person watches on the run page.
FLUSH_EVERY = 0.1
# ... while someone follows the run live (live.watched); for nobody, once a second: a tenth of
# the transactions, and the CPU they took from training beside it (two trials on two cores ran
# about a tenth slower; docs/benchmarks.md "Trials per hour").
FLUSH_UNWATCHED = 1.0
EXIT_GRACE = 60.0
_EOF = object()


def execute(run_id: int, command: list[str] | None = None) -> str | None:
    """Start a run for a message about `run_id` and see it to its end; its final state (None: none).

    The run started is the queue's next (designer/runs/scheduling.py), which
    may be another than `run_id`; a run passed over has its task sent again.
    `command` replaces the job's process (tests run a stand-in); by default
    the job is forked warm from this worker's zygote or started cold.
    """
    chosen = scheduling.next_run(run_id)
    if chosen != run_id:
        queue = Run.objects.filter(pk=run_id).values_list("queue", flat=True).first()
        scheduling.send_again(run_id, queue, delay=scheduling.DEFER_S if chosen is None else 0)
    if chosen is None:
        return None
    run = Run.objects.filter(pk=chosen).first()
    if run is not None and run.nodes > 1:  # a gang of workers (designer/runs/gang.py)
        from designer.runs import member

        return member.execute(run, run_id, resent=chosen != run_id)
    if run is None or run.is_terminal:
        return _execute(chosen, placement.Placement({}), command)  # claim() says why not
    try:
        placed = placement.place(run, devices.gpus())
    except placement.Busy as busy:
        if run.state == RunState.QUEUED:  # a running run's duplicate needs nothing; a lost one the housekeeping sends
            log.info("%s; its task comes back in %.0f s", busy, scheduling.DEFER_S)
            scheduling.send_again(chosen, run.queue, delay=scheduling.DEFER_S)
        return None
    except placement.Unplaceable as never:
        placed = never
    try:
        return _execute(chosen, placed, command)
    finally:
        if isinstance(placed, placement.Placement):
            placed.release()


def _execute(run_id: int, placed, command: list[str] | None) -> str | None:
    claimed = lifecycle.claim(run_id, Holder.me())
    if claimed is None:
        return None
    run, holder = claimed.run, claimed.holder
    step = hooks.of(run.kind).step
    if step is not None:  # a coordinating run (a sweep) holds no process: its first step, then any worker's
        hooks.take_step(step, run.pk)
        return RunState.RUNNING
    if isinstance(placed, placement.Unplaceable):
        lifecycle.finish(run.pk, holder, RunState.FAILED, str(placed))
        return RunState.FAILED
    try:
        if placed.gpus:
            Run.objects.filter(pk=run.pk).update(gpus=placed.gpus)
            lifecycle.add_event(run.pk, EventKind.LOG, {
                "level": "info", "message": placement.describe(placed.gpus, holder.hostname)})
        with lifecycle.beating(run.pk, holder):  # fetching its files from the object store may take long
            write_job(claimed)
        return Supervisor(run, holder, placed.env).supervise(command)
    except Exception as exc:
        # One place for the worker's own failures: the run ends failed with
        # the traceback, the worker lives on, Celery logs the exception.
        lifecycle.finish(run.pk, holder, RunState.FAILED, f"worker error: {exc}",
                         log_tail=traceback.format_exc()[-8000:])
        raise


def write_job(claimed: Claim) -> Path:
    """job.json for the child (docs/contracts.md section 3), written atomically."""
    run = claimed.run
    run.run_dir.mkdir(parents=True, exist_ok=True)
    (run.run_dir / "checkpoints").mkdir(exist_ok=True)
    job = {
        "kind": run.kind,
        "run_id": run.pk,
        "graph": run.graph_version.document,
        "dataset": run.dataset,
        "config": run.config,
        "inputs": job_inputs(run),
        "resources": {"queue": run.queue, "devices": run.devices},
        "resume_from": str(claimed.resume_from) if claimed.resume_from else None,
        **hooks.child_job(run),  # a sweep's trial: its graph and its Optuna trial
    }
    job = files.prepare(job)  # this host's copies of the files it names (object store)
    path = run.run_dir / "job.json"
    # Each writer its own partial file: every member of a multi-node run writes job.json, and where
    # their run folders are one (nodes on one machine, a shared file system) a common name let one
    # member's rename take the file from under the other's (FileNotFoundError, and a node 0 that
    # never started its job).
    partial = path.with_name(f"job.json.{socket.gethostname()}-{os.getpid()}.partial")
    partial.write_text(json.dumps(job, indent=1))
    partial.replace(path)
    return path


def job_inputs(run: Run) -> list[dict]:
    """The runs this job starts from, with their checkpoint files (checked at launch)."""
    sources = Run.objects.select_related("graph_version").in_bulk([i["run"] for i in run.inputs])
    # A source deleted since the launch gets no path: the job says which run is gone.
    # Each input carries its own graph: an ensemble's members may differ from the run's, and a
    # sweep's trial trained its own graph, not its version's.
    return [{**i, "path": str(sources[i["run"]].checkpoint_path(i["checkpoint"])) if i["run"] in sources else "",
             "graph": hooks.graph_of(sources[i["run"]]) if i["run"] in sources else None}
            for i in run.inputs]


class Watch(Protocol):
    def lost(self) -> str:
        """Asked with each cancel check: why the run must end now ('' when it need not)."""

    def stopped(self) -> str:
        """Asked when the job stopped as if cancelled without this holder's cancel: why ('' a person did)."""


@dataclass
class Outcome:
    returncode: int
    cancelled: bool  # asked for by a person
    lost: bool  # the run was taken from this worker
    # The warm process died under the job: its SIGTERM to the child is no cancel.
    zygote_lost: bool = False


class Supervisor:
    def __init__(self, run: Run, holder: Holder, env: dict[str, str] | None = None,
                 watch: Watch | None = None):
        self.run, self.holder = run, holder
        self.env = {**placement.thread_env(run), **(env or {})}
        # Its torch threads, followed as other jobs start and end on this machine (one node only:
        # a multi-node run's share stays as it started); None under OMP_NUM_THREADS.
        self.threads = int(self.env[THREADS_VAR]) if THREADS_VAR in self.env and watch is None else None
        self.growing: int | None = None  # a larger share seen on the last beat
        # The rest of a multi-node run's gang (designer/runs/gang.NodeWatch).
        self.watch = watch
        self.failure = ""
        self.ingest = Ingest(run.pk)
        self.lines: queue.Queue = queue.Queue()
        now = time.monotonic()
        self.next_beat = now + settings.NETWEAVE_HEARTBEAT_SECONDS
        self.next_cancel_check = now + CANCEL_POLL
        self.next_reap = now + settings.NETWEAVE_HOUSEKEEPING_SECONDS
        self.flush_every = self._flush_every()
        self.cancelled = self.lost = False
        self.outage = Outage(run.pk)

    def supervise(self, command: list[str] | None = None) -> str:
        run_dir = self.run.run_dir
        if self.threads is not None:  # the job reads it between steps from the start (no stale one)
            threads.write_share(run_dir, self.threads)
        else:
            (run_dir / threads.SHARE_FILE).unlink(missing_ok=True)
        with lifecycle.beating(self.run.pk, self.holder):  # a busy machine's warm process may still import
            proc = (start_child(command, run_dir, self.env) if command else
                    warm.start_job(run_dir, self.run.devices, self.env))
        how = "forked from this worker's warm process" if isinstance(proc, warm.ForkedChild) else "started"
        share = f", {self.env[THREADS_VAR]} torch threads" if THREADS_VAR in self.env else ""
        lifecycle.add_event(self.run.pk, EventKind.LOG, {
            "level": "info", "message": f"job process {proc.pid} {how} on {self.holder.hostname}{share}"})
        Run.objects.filter(pk=self.run.pk).update(child_pgid=proc.pid)
        reader = threading.Thread(target=self._read, args=(proc,), daemon=True)
        reader.start()
        publisher = files.Publisher(self.run).start()  # checkpoints to the object store as they change
        try:
            self._watch(proc)
            # Its stdout closes a moment before the child exits (interpreter
            # teardown): give it time to finish before anything forceful.
            proc.wait(timeout=EXIT_GRACE)
        finally:
            if proc.poll() is None:  # the loop failed or the child hangs: never leave it behind
                kill_group(proc.pid, settings.NETWEAVE_CANCEL_GRACE, proc)
            proc.wait()
            reader.join(timeout=5)
            unsent = publisher.finish()  # before the end is recorded: a finished run's files are reachable
        self._drain(block=False)
        self.outage.call(self.ingest.flush)
        if unsent:
            self.outage.call(lifecycle.add_event, self.run.pk, EventKind.LOG, {"level": "error", "message": unsent})
        return self._record_end(Outcome(proc.returncode, self.cancelled, self.lost,
                                        getattr(proc, "zygote_lost", False)))

    def _read(self, proc) -> None:
        for raw in proc.stdout:
            self.lines.put(raw)
        self.lines.put(_EOF)

    def _watch(self, proc) -> None:
        ended, flushed, training = False, 0.0, False
        while True:
            ended = self._drain(block=True) or ended
            if not self.outage.ready():
                continue  # the database is away: keep buffering what the child prints
            if training and not ended and time.monotonic() - flushed < self.flush_every \
                    and len(self.ingest.points) < BATCH:
                continue  # more may come within the moment: one transaction for all of it
            try:
                training = training or bool(self.ingest.points)
                self.ingest.flush()
                flushed = time.monotonic()
                self._housekeeping(proc)
            except TRANSIENT as exc:
                self.outage.failed(exc)
                continue
            self.outage.recovered()
            if ended:
                return

    def _drain(self, block: bool) -> bool:
        """Parse what the child printed; True once its stdout closed."""
        try:
            item = self.lines.get(timeout=0.1) if block else self.lines.get_nowait()
        except queue.Empty:
            return False
        while True:
            if item is _EOF:
                return True
            self._parse(item)
            if len(self.ingest.points) >= BATCH:
                return False
            try:
                item = self.lines.get_nowait()
            except queue.Empty:
                return False

    def _parse(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace").strip()
        if not text:
            return
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            # Stray prints from user code: keep them, as log lines.
            message = {"type": "log", "level": "stdout", "message": text}
        self.ingest.handle(message)

    def _housekeeping(self, proc) -> None:
        now = time.monotonic()
        if now >= self.next_cancel_check:
            heartbeat = now >= self.next_beat
            held, cancel = lifecycle.beat(self.run.pk, self.holder, heartbeat)
            self.next_cancel_check = now + CANCEL_POLL
            self.flush_every = self._flush_every()
            if heartbeat:
                self.next_beat = now + settings.NETWEAVE_HEARTBEAT_SECONDS
                self._reshare()
            if (cancel or not held) and not self.stopping and proc.poll() is None:
                self.cancelled, self.lost = cancel, not held
                self._stop(proc, "cancel" if cancel else "lost")
            elif self.watch is not None and not self.stopping and (why := self.watch.lost()):
                self.failure = why
                lifecycle.add_event(self.run.pk, EventKind.LOG, {"level": "error", "message": why})
                self._stop(proc, why)
        if now >= self.next_reap:
            self.next_reap = now + settings.NETWEAVE_HOUSEKEEPING_SECONDS
            services.housekeeping()

    def _flush_every(self) -> float:
        return FLUSH_EVERY if live.watched(self.run.pk) else FLUSH_UNWATCHED

    def _reshare(self) -> None:
        """The job's share of the cores again, as jobs started or ended on this machine
        (workers/threads.Follow reads it in the job)."""
        if self.threads is None:
            return
        jobs = placement.jobs_here()
        now = threads.count(jobs, self.run.devices)
        # Fewer at once; more only when two beats in a row say so: a sweep's next trial starts a
        # moment after the last one ended, and growing in between would crowd the cores again.
        if now > self.threads and self.growing != now:
            self.growing = now
            return
        self.growing = None
        if now != self.threads:
            try:
                threads.write_share(self.run.run_dir, now)
            except OSError as exc:  # the job keeps the share it has
                log.warning("run %s: cannot write its thread share: %s", self.run.pk, exc)
                return
            self.threads = now
            lifecycle.add_event(self.run.pk, EventKind.LOG, {
                "level": "info", "message": f"{jobs} job(s) on this machine now: {now} torch threads"})

    @property
    def stopping(self) -> bool:
        return self.cancelled or self.lost or bool(self.failure)

    def _stop(self, proc, why: str) -> None:
        log.info("run %s: %s; stopping the child", self.run.pk, why)
        # Stop in a thread: the loop keeps ingesting what the child prints while it saves last.pt.
        threading.Thread(target=kill_group, daemon=True,
                         args=(proc.pid, settings.NETWEAVE_CANCEL_GRACE, proc)).start()

    def _record_end(self, outcome: Outcome) -> str:
        stderr_tail = tail(self.run.run_dir / "stderr.log")
        done = self.ingest.done or {}
        summary = done.get("summary") if isinstance(done.get("summary"), dict) else {}
        # A `done`/cancelled is trusted whatever the exit code: torch.distributed.run
        # exits 1 after its ranks saved last.pt on SIGTERM (docs/contracts.md section 3).
        if not self.failure and done.get("status") == "cancelled" and not outcome.cancelled and self.watch:
            self.failure = self.watch.stopped()
        if self.failure:
            state, error = RunState.FAILED, self.failure
        elif outcome.cancelled or (done.get("status") == "cancelled" and not outcome.zygote_lost):
            state, error = RunState.CANCELLED, ""
        elif done.get("status") == "pruned":
            state, error = RunState.PRUNED, ""
        elif outcome.returncode == 0:
            state, error = RunState.SUCCEEDED, ""
        else:
            state, error = RunState.FAILED, describe_exit(outcome.returncode, stderr_tail)
        if state == RunState.SUCCEEDED and not outcome.lost:
            error = outputs.publish(self.run)  # a graph the job produced becomes a version
            state = RunState.FAILED if error else state
        if outcome.lost:
            log.warning("run %s was taken from this worker; not recording %s", self.run.pk, state)
            return state
        self.outage.call(lifecycle.finish, self.run.pk, self.holder, state, error, log_tail=stderr_tail,
                         summary=summary)
        hooks.nudge_parent(self.run)
        return state
