"""What a job kind adds to the service, beyond the engine's registry: per-kind hooks.

Most kinds need none: a run is claimed, its job child started and watched
(supervisor.py). A kind whose run coordinates other runs (``tune``: a sweep
whose trials are child runs) registers here, from its app's ``ready()``:

- ``step(run_id)``: one idempotent, short step of the coordination, run by any
  worker in a task instead of a job child; the coordinated run holds no
  process, so it is never reaped as lost, and any worker carries it on;
- ``child_job(child, copy=False)``: what a child run's job.json gets beyond its
  own row (the trial's graph and its Optuna trial); ``copy=True`` for a clone or
  a resume of the child (the trial's graph, no trial to report to);
- ``attempts(child)``: how many times a child run may be taken up (its first try
  and each resume after its worker died), when the parent's config says so
  (a sweep's ``trial_retries``); otherwise NETWEAVE_MAX_ATTEMPTS.

Launch checks that need the graph or the dataset are not hooks: they are the
kind's config model's ``check_job(graph, description)``, in the engine
(validation.check_kind). Everything here is looked up by kind: no
``if kind == ...`` in the runs app.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class KindHooks:
    step: Callable[[int], None] | None = None
    child_job: Callable | None = None
    attempts: Callable | None = None


_HOOKS: dict[str, KindHooks] = {}


def register(kind: str, hooks: KindHooks) -> None:
    from workers.engine.jobs import get_job

    get_job(kind)  # only a kind the engine knows
    if kind in _HOOKS:
        raise ValueError(f"hooks for job kind {kind!r} are already registered")
    _HOOKS[kind] = hooks


def of(kind: str) -> KindHooks:
    return _HOOKS.get(kind) or KindHooks()


def coordinated_kinds() -> list[str]:
    return [kind for kind, hooks in _HOOKS.items() if hooks.step is not None]


MAX_COPIES = 50


def child_job(run) -> dict:
    """Extra job.json fields of a child run, from its parent's kind (none for other runs).

    A copy (clone, resume: same kind and graph version, its parent the run it copies) of a
    child, or a copy of a copy, asks the same hook about the child it comes from."""
    source = run
    for _ in range(MAX_COPIES):
        parent = source.parent
        if parent is None:
            return {}
        hook = of(parent.kind).child_job
        if hook is not None:
            return hook(source, copy=source is not run)
        if (parent.kind, parent.graph_version_id) != (source.kind, source.graph_version_id):
            return {}  # started from another run (an input), not a copy of it
        source = parent
    return {}


def graph_of(run) -> dict:
    """The graph a run trains: its parent kind's say (a sweep's trial, or a copy of one), else its version's.
    What a job that starts from the run (evaluate, compress, an ensemble's member) must build."""
    return child_job(run).get("graph") or run.graph_version.document


def max_attempts(run, default: int) -> int:
    """How many times ``run`` may be taken up: its parent kind's say, else ``default``."""
    parent = run.parent
    hook = of(parent.kind).attempts if parent is not None else None
    return hook(run) if hook is not None else default


def nudge(run_id: int, countdown: float | None = None) -> None:
    """Send the coordination step of run `run_id` (once the transaction commits)."""
    from django.db import transaction

    from designer.celery import app
    from designer.runs.queues import COORDINATE_RUN

    transaction.on_commit(lambda: app.send_task(COORDINATE_RUN, (run_id,), countdown=countdown))


def take_step(step: Callable[[int], None], run_id: int) -> None:
    """Run a step; one that fails (a database hiccup) is tried again in a few seconds, so a
    sweep never waits for the next housekeeping pass. The error still reaches Celery's log."""
    try:
        step(run_id)
    except Exception:
        nudge(run_id, countdown=5)
        raise


def nudge_parent(run) -> None:
    """A child run ended: its coordinating parent takes its next step now, not at the next sweep."""
    if run.parent_id is not None:
        kind = type(run).objects.filter(pk=run.parent_id).values_list("kind", flat=True).first()
        if kind in coordinated_kinds():
            nudge(run.parent_id)


def nudge_all() -> list[int]:
    """Housekeeping: a step for every running coordinated run (a lost message costs one period)."""
    from designer.runs.models import Run, RunState

    ids = list(Run.objects.filter(state=RunState.RUNNING, kind__in=coordinated_kinds())
               .values_list("pk", flat=True))
    for run_id in ids:
        nudge(run_id)
    return ids
