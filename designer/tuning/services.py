"""Sweeps beyond their steps: launch checks, a trial's job.json, extending, promoting a trial."""
from __future__ import annotations

from django.db import transaction

from designer.core.errors import Conflict, InputProblem, error
from designer.graphs.services import save_version
from designer.runs import lifecycle, services
from designer.runs.models import Run, RunState
from designer.tuning.models import Trial, TrialState
from designer.tuning.study import storage_url, study_name, sweep_config

MAX_TRIALS = 100_000


def trial_graph(sweep: Run, params: dict) -> dict:
    """The sweep's graph with a trial's graph params (variables, node params, repeats) applied."""
    from workers.engine.tune import apply_params, split_params

    document = sweep.graph_version.document
    return apply_params(document, {}, split_params(document, params)[0])[0]


def trial_job(run: Run, copy: bool = False) -> dict:
    """job.json of a trial run: its graph, and its Optuna trial to report each epoch to.

    ``copy``: ``run`` is the trial run a clone or resume copies; the copy trains the trial's
    graph (its config is the trial's already) as a run of its own, reporting to no trial."""
    trial = Trial.objects.filter(run=run).select_related("sweep__graph_version").first()
    if trial is None:
        return {}
    sweep = trial.sweep
    if copy:
        return {"graph": trial_graph(sweep, trial.params)}
    return {"graph": trial_graph(sweep, trial.params),
            "trial": {"storage": storage_url(hide_password=True), "study": study_name(sweep),
                      "number": trial.number, "sweep": sweep.config}}


def trial_attempts(run: Run) -> int:
    """A trial run may be taken up once, then resumed ``trial_retries`` times after its worker died."""
    return 1 + sweep_config(run.parent).trial_retries


def extend(sweep: Run, more: int) -> Run:
    """More trials for a finished sweep: the same study, so the sampler learns from all of them."""
    if not isinstance(more, int) or isinstance(more, bool) or not 1 <= more <= MAX_TRIALS:
        raise InputProblem([error(f"n_trials must be an integer between 1 and {MAX_TRIALS}", field="n_trials")])
    with transaction.atomic():
        sweep = Run.objects.select_for_update().get(pk=sweep.pk)
        if sweep.state not in (RunState.SUCCEEDED, RunState.CANCELLED):
            raise Conflict(f"only a finished sweep can be extended; sweep {sweep.pk} is {sweep.state}")
        total = sweep.config["n_trials"] + more
        if total > MAX_TRIALS:
            raise InputProblem([error(f"a sweep runs at most {MAX_TRIALS} trials; it has "
                                      f"{sweep.config['n_trials']}", field="n_trials")])
        sweep.config = {**sweep.config, "n_trials": total}
        sweep.state, sweep.finished, sweep.started, sweep.error = RunState.QUEUED, None, None, ""
        sweep.cancel_requested = False
        sweep.save(update_fields=["config", "state", "finished", "started", "error", "cancel_requested"])
        lifecycle.add_event(sweep.pk, "state", {"state": sweep.state, "error": ""})
        lifecycle.add_event(sweep.pk, "log", {"level": "info", "message": f"extended by {more} trials to {total}"})
        services.enqueue(sweep)
    return sweep


def promote(sweep: Run, number: int, user, message: str = ""):
    """The trial's graph params applied to the sweep's graph, saved as the graph's new version."""
    trial = sweep.trials.filter(number=number).select_related("run").first()
    if trial is None:
        raise InputProblem([error(f"sweep {sweep.pk} has no trial {number}", field="number")])
    if trial.state != TrialState.COMPLETE:
        raise Conflict(f"trial {number} is {trial.get_state_display().lower()}; only a complete trial can be promoted")
    params = ", ".join(f"{k}={v}" for k, v in trial.params.items())
    note = message or f"Promoted trial {number} of sweep {sweep.pk} (run {trial.run_id}): {params}"
    version = save_version(sweep.graph_version.graph, trial_graph(sweep, trial.params), user, note[:500])
    return trial, version
