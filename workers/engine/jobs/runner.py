"""``python -m workers.engine.jobs <run_dir>``: the training child of a Celery task.

The protocol (docs/contracts.md, section 3): ``<run_dir>/job.json`` in, JSON
lines on stdout out, exit 0 = succeeded, 143 = cancelled (SIGTERM, after
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
from typing import Any

from ..data import load_dataset
from ..system import SystemMonitor
from ..train import Cancelled, NullSink, TrainRecipe, parse_config
from .distributed import setup_placement, teardown
from .events import EventWriter

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 143


class StopFlag:
    """Set by SIGTERM/SIGINT; the loop checks it between steps."""

    def __init__(self) -> None:
        self.set = False

    def __call__(self) -> bool:
        return self.set

    def install(self) -> None:
        def handler(signum, frame):
            self.set = True

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def read_job(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "job.json"
    try:
        job = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise JobError("job", f"cannot read {path}: {exc}") from None
    if not isinstance(job, dict) or job.get("kind") != "train":
        raise JobError("kind", f"this entry point runs 'train' jobs; {path} has kind "
                               f"{job.get('kind') if isinstance(job, dict) else None!r}")
    return job


class JobError(ValueError):
    def __init__(self, field: str, message: str):
        self.errors = [{"node": None, "port": None, "field": field, "message": message}]
        super().__init__(message)


def check_input_shape(graph: dict[str, Any], shape: list[int], dataset: str) -> None:
    """Bind the graph's Input node to the dataset: same shape, or a clear error."""
    inputs = [n for n in graph.get("nodes", []) if isinstance(n, dict) and n.get("op") == "Input"]
    if len(inputs) != 1:
        raise JobError("graph", f"training needs a graph with exactly one Input node; it has {len(inputs)}")
    declared = (inputs[0].get("params") or {}).get("shape")
    if declared is not None and list(declared) != list(shape):
        raise JobError("graph", f"Input '{inputs[0].get('id')}' has shape {declared} but dataset "
                                f"{dataset!r} gives {shape}: set the Input's shape to {shape}")


def build_recipe(job: dict[str, Any], run_dir: Path, sink, stop: StopFlag):
    from .. import compile_graph  # the graph compiler (contracts, section 2)

    config = parse_config(job.get("config"))
    placement = setup_placement(config.device)
    sink.emit({"type": "phase", "phase": "loading data"})
    data = load_dataset(job.get("dataset"))
    graph = job.get("graph") or {}
    check_input_shape(graph, data.input_shape, data.name)
    sink.emit({"type": "phase", "phase": "building the model"})
    model = compile_graph(graph, seed=config.seed)
    return TrainRecipe(model, data, config, run_dir=run_dir, placement=placement,
                       sink=sink, should_stop=stop)


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
        recipe.setup(resume_from=job.get("resume_from"))
        if recipe.place.is_main:
            monitor = SystemMonitor(sink.emit, lambda: recipe.state.step,
                                    every_s=recipe.cfg.system_every_s,
                                    gpus=recipe.place.world_size if recipe.place.device.type == "cuda" else 0)
            monitor.start()
        summary = recipe.train()
        sink.emit({"type": "done", "status": "succeeded", "summary": summary})
        code = EXIT_OK
    except Cancelled:
        try:
            recipe.save_checkpoint("last")
        except Exception:  # noqa: BLE001 - a cancel that cannot checkpoint is a failure
            traceback.print_exc(file=sys.stderr)
            code = _fail(sink, EXIT_FAILED, "cancelled, but saving checkpoints/last.pt failed")
        else:
            sink.emit({"type": "done", "status": "cancelled", "summary": {"step": recipe.state.step}})
            code = EXIT_CANCELLED
    except Exception as exc:  # noqa: BLE001 - every failure ends as a status and a message
        errors = getattr(exc, "errors", None)
        if isinstance(errors, list) and errors:  # bad input: config, dataset, graph
            message = "; ".join(f"{e.get('node') or e.get('field') or 'job'}: {e.get('message')}"
                                for e in errors)
            code = _fail(sink, EXIT_BAD_INPUT, message)
        else:
            traceback.print_exc(file=sys.stderr)
            code = _fail(sink, EXIT_FAILED, f"{type(exc).__name__}: {exc}")
    finally:
        if monitor is not None:
            monitor.stop()
        if recipe is not None:
            recipe.cleanup()
        teardown(clean=code in (EXIT_OK, EXIT_CANCELLED))
    return code


def main(argv: list[str]) -> int:
    stop = StopFlag()
    stop.install()  # first, so a cancel during start-up is not lost
    writer = EventWriter.capture()
    sink = writer if os.environ.get("RANK", "0") == "0" else None
    if len(argv) != 1:
        print("usage: python -m workers.engine.jobs <run_dir>", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return execute(Path(argv[0]).resolve(), sink or NullSink(), stop)
    finally:
        writer.close()
