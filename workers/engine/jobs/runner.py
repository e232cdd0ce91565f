"""``python -m workers.engine.jobs <run_dir>``: the job child of a Celery task.

The protocol (docs/contracts.md, section 3): ``<run_dir>/job.json`` in, JSON
lines on stdout out, exit 0 = succeeded, 3 = pruned, 143 = cancelled (SIGTERM, after
saving ``checkpoints/last.pt``), anything else = failed with the error on
stderr. ``execute`` is the one place that turns interruption and failure
into a status, an event and an exit code (Lightning's ``call.py`` idea).
"""
from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

from workers import threads

from ..system import SystemMonitor
from ..train import Cancelled, NullSink
from . import catalogue  # noqa: F401 - registers the built-in job kinds
from .distributed import teardown
from .events import EventWriter
from .kinds import JobContext, JobError, Pruned, get_job

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_PRUNED, EXIT_CANCELLED = 0, 1, 2, 3, 143


class StopFlag:
    """Set by SIGTERM/SIGINT; the loop checks it between steps, which runs ``between`` too
    (the job's share of the cores follows its worker: workers/threads.Follow)."""

    def __init__(self, between: Callable[[], None] | None = None) -> None:
        self.set = False
        self.between = between

    def __call__(self) -> bool:
        if self.between is not None:
            self.between()
        return self.set

    def trip(self) -> None:
        self.set = True

    def install(self) -> None:
        def handler(signum, frame):
            self.trip()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def read_job(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "job.json"
    try:
        job = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise JobError("job", f"cannot read {path}: {exc}") from None
    if not isinstance(job, dict):
        raise JobError("job", f"{path} must hold a JSON object")
    return job


def build_recipe(job: dict[str, Any], run_dir: Path, sink, stop: StopFlag):
    """The registered kind's recipe for this job (its config validated first)."""
    kind = get_job(job.get("kind"))
    config = kind.parse_config(job.get("config"))
    return kind.recipe(JobContext(job=job, config=config, run_dir=run_dir, sink=sink, should_stop=stop))


def start_monitor(recipe, sink) -> SystemMonitor | None:
    """CPU/memory/GPU figures from the main process, on the recipe's own x-axis."""
    place = getattr(recipe, "place", None)
    if place is not None and not place.is_main:
        return None
    gpus = place.world_size if place is not None and place.device.type == "cuda" else 0
    cfg = getattr(getattr(recipe, "ctx", None), "config", None)
    monitor = SystemMonitor(sink.emit, lambda: recipe.step, gpus=gpus,
                            every_s=getattr(cfg, "system_every_s", 5.0))
    monitor.start()
    return monitor


def _fail(sink, code: int, message: str) -> int:
    message = " ".join(message.split())  # one line: the task keeps stderr's last line
    print(f"error: {message}", file=sys.stderr, flush=True)
    sink.emit({"type": "done", "status": "failed", "error": message})
    return code


def execute(run_dir: Path, sink, stop: StopFlag) -> int:
    """Run the job in ``run_dir``; return the exit code. Never raises."""
    recipe, monitor, code = None, None, EXIT_FAILED
    try:
        job = read_job(run_dir)
        recipe = build_recipe(job, run_dir, sink, stop)
        recipe.setup(job.get("resume_from"))
        monitor = start_monitor(recipe, sink)
        summary = recipe.run()
        sink.emit({"type": "done", "status": "succeeded", "summary": summary})
        code = EXIT_OK
    except Cancelled:
        code = _cancelled(recipe, sink)
    except Pruned as exc:
        code = _pruned(recipe, sink, exc)
    except Exception as exc:  # noqa: BLE001 - every failure ends as a status and a message
        code = _failed(exc, sink)
    finally:
        if monitor is not None:
            monitor.stop()
        if recipe is not None:
            recipe.cleanup()
        teardown(clean=code in (EXIT_OK, EXIT_CANCELLED, EXIT_PRUNED))
    return code


def _cancelled(recipe, sink) -> int:
    try:
        recipe.save_checkpoint("last")
    except Exception:  # noqa: BLE001 - a cancel that cannot checkpoint is a failure
        traceback.print_exc(file=sys.stderr)
        return _fail(sink, EXIT_FAILED, "cancelled, but saving checkpoints/last.pt failed")
    sink.emit({"type": "done", "status": "cancelled", "summary": {"step": recipe.step}})
    return EXIT_CANCELLED


def _pruned(recipe, sink, exc: Pruned) -> int:
    # Checkpoints are written by time: the trial's last epoch may not be on disk yet.
    try:
        if recipe is not None:
            recipe.save_checkpoint("last")
    except Exception:  # noqa: BLE001 - the trial was pruned all the same
        traceback.print_exc(file=sys.stderr)
    sink.emit({"type": "done", "status": "pruned", "summary": {"step": recipe.step if recipe is not None else 0,
                                                            "reason": str(exc)}})
    return EXIT_PRUNED


def _failed(exc: Exception, sink) -> int:
    errors = getattr(exc, "errors", None)
    if isinstance(errors, list) and errors:  # bad input: kind, config, dataset, graph, inputs
        message = "; ".join(f"{e.get('node') or e.get('field') or 'job'}: {e.get('message')}"
                            for e in errors)
        return _fail(sink, EXIT_BAD_INPUT, message)
    traceback.print_exc(file=sys.stderr)
    return _fail(sink, EXIT_FAILED, f"{type(exc).__name__}: {exc}")


def main(argv: list[str]) -> int:
    stop = StopFlag()
    stop.install()  # first, so a cancel during start-up is not lost
    threads.apply()  # the worker's share of the cores for this job, before any torch operation
    writer = EventWriter.capture(on_lost=stop.trip)
    sink = writer if os.environ.get("RANK", "0") == "0" else None
    if len(argv) != 1:
        print("usage: python -m workers.engine.jobs <run_dir>", file=sys.stderr)
        return EXIT_BAD_INPUT
    run_dir = Path(argv[0]).resolve()
    stop.between = threads.Follow(run_dir)
    try:
        return execute(run_dir, sink or NullSink(), stop)
    finally:
        writer.close()
