"""The registry of job kinds: what a run can be (train, evaluate, ...).

Like the layer and dataset registries (torchvision's ``_api.py`` idea): a
kind is registered once, with its config model and its recipe, and refused
if registered twice. Everything else is derived from here: the service's
config parsing and runnable kinds, the launch form (each kind's JSON
Schema), the job child's dispatch. Adding a kind is one ``register_job``
call and one recipe, never an ``if kind == ...`` elsewhere.

A recipe has one shape (torchtune's ``recipe_interfaces.py``): built from a
``JobContext``, then ``setup`` / ``run`` / ``save_checkpoint`` / ``cleanup``.
The runner (runner.py) owns signals, events and exit codes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from pydantic import BaseModel

from ..train import ConfigError, EventSink, parse_model

KIND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,15}$")


class JobError(ValueError):
    """A job a person must fix (bad kind, input or binding); ``errors`` use the engine's shape."""

    def __init__(self, field_name: str, message: str):
        self.errors = [{"node": None, "port": None, "field": field_name, "message": message}]
        super().__init__(message)


class Pruned(Exception):
    """Raised by a recipe when a tuner stopped it early: an outcome, not a failure or a cancel."""


@dataclass
class JobContext:
    """What a recipe is built from: the parsed job.json and the runner's hooks."""

    job: dict[str, Any]
    config: Any  # the kind's config model instance
    run_dir: Path
    sink: EventSink
    should_stop: Callable[[], bool]

    @property
    def graph(self) -> dict[str, Any]:
        return self.job.get("graph") or {}

    @property
    def dataset(self) -> dict[str, Any] | None:
        return self.job.get("dataset")

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """Runs this job starts from: ``[{run, checkpoint, path, graph, dataset}]``."""
        return list(self.job.get("inputs") or [])

    @property
    def resources(self) -> dict[str, Any]:
        return self.job.get("resources") or {}


class Recipe(Protocol):
    """The one shape of every job."""

    def setup(self, resume_from: str | None) -> None:
        """Build the model, data and state; restore ``resume_from`` when given."""

    def run(self) -> dict[str, Any]:
        """Do the job; return the run's summary (flat, JSON-able figures)."""

    def save_checkpoint(self, name: str) -> Path | None:
        """Write ``checkpoints/<name>.pt`` now (on cancel); None when the job keeps none."""

    def cleanup(self) -> None:
        """Release what setup took; called whatever happened."""

    @property
    def step(self) -> int:
        """Progress so far, for the system figures' x-axis."""


@dataclass(frozen=True)
class JobKind:
    kind: str
    config_model: type[BaseModel]
    recipe: Callable[[JobContext], Recipe]
    title: str
    description: str
    # How many finished runs the job starts from: (fewest, most).
    inputs: tuple[int, int] = (0, 0)
    # Whether the job may run as N processes under torch.distributed.run.
    distributed: bool = False
    # Whether a person may resume a stopped run of this kind from last.pt.
    resumable: bool = False
    # Whether a finished run leaves a model checkpoint other jobs can start from.
    checkpoints: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def parse_config(self, data: dict[str, Any] | None) -> BaseModel:
        """The kind's config, validated; ``ConfigError`` names each bad field."""
        return parse_model(self.config_model, data)

    def schema(self) -> dict[str, Any]:
        return self.config_model.model_json_schema()

    def describe(self) -> dict[str, Any]:
        """What ``GET /api/jobs`` serves for this kind."""
        return {"kind": self.kind, "title": self.title, "description": self.description,
                "inputs": {"min": self.inputs[0], "max": self.inputs[1]},
                "distributed": self.distributed, "resumable": self.resumable, "checkpoints": self.checkpoints,
                "config_schema": self.schema(), **self.extra}


_KINDS: dict[str, JobKind] = {}


def register_job(kind: str, config_model: type[BaseModel], recipe: Callable[[JobContext], Recipe], *,
                 title: str, description: str, inputs: tuple[int, int] = (0, 0),
                 distributed: bool = False, resumable: bool = False, checkpoints: bool = False,
                 **extra: Any) -> JobKind:
    """Add a job kind; a name registered twice is a programming error."""
    if not KIND_NAME.match(kind):
        raise ValueError(f"job kind {kind!r} must be lower-case letters, digits and _ (16 at most)")
    if kind in _KINDS:
        raise ValueError(f"job kind {kind!r} is already registered")
    if not (0 <= inputs[0] <= inputs[1]):
        raise ValueError(f"job kind {kind!r}: inputs must be (fewest, most) with fewest <= most")
    entry = JobKind(kind, config_model, recipe, title, description, inputs, distributed, resumable,
                    checkpoints, extra)
    _KINDS[kind] = entry
    return entry


def get_job(kind: Any) -> JobKind:
    """The registered kind, or a ``JobError`` on field ``kind`` listing the known ones."""
    entry = _KINDS.get(kind) if isinstance(kind, str) else None
    if entry is None:
        raise JobError("kind", f"unknown job kind {kind!r}; known kinds: {', '.join(sorted(_KINDS))}")
    return entry


def list_jobs() -> list[JobKind]:
    return [_KINDS[k] for k in sorted(_KINDS)]


def parse_job_config(kind: str, data: dict[str, Any] | None) -> BaseModel:
    return get_job(kind).parse_config(data)


__all__ = ["ConfigError", "JobContext", "JobError", "JobKind", "Pruned", "Recipe", "get_job",
           "list_jobs", "parse_job_config", "register_job"]
