"""What the sweep page draws, from the trial rows and Optuna's own evaluators.

The trials table reads the rows only (10,000 trials in one query); the
analysis loads the study once for what only Optuna computes: parameter
importance (its importance evaluators), the Pareto front, intermediate values.
"""
from __future__ import annotations

from designer.runs.models import Run
from designer.tuning.models import Trial
from designer.tuning.study import open_sweep_study, sweep_config

COLUMNS = ["number", "state", "params", "values", "pruned_epoch", "run", "run_state", "duration_s", "error"]


def trial_rows(sweep: Run) -> list[list]:
    """One compact row per trial, in ``COLUMNS`` order (a 10,000-trial sweep is ~1 MB of JSON)."""
    rows = []
    for t in (Trial.objects.filter(sweep=sweep).order_by("number")
              .values_list("number", "state", "params", "values", "pruned_epoch", "run_id", "run__state",
                           "run__started", "run__finished", "error")):
        number, state, params, values, pruned, run_id, run_state, started, finished, err = t
        duration = round((finished - started).total_seconds(), 2) if started and finished else None
        rows.append([number, state, params, values, pruned, run_id, run_state, duration, err[:300]])
    return rows


def importance(study, config) -> dict[str, float]:
    """Optuna's parameter importance for the first objective (fANOVA); {} with too few trials."""
    import optuna

    complete = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))]
    if len(complete) < 2 or len(config.space) < 1:
        return {}
    try:
        return dict(optuna.importance.get_param_importances(
            study, target=(lambda t: t.values[0]) if len(config.objectives) > 1 else None))
    except (RuntimeError, ValueError):  # e.g. every complete trial has the same params
        return {}


def analyse(sweep: Run) -> dict:
    import optuna

    config = sweep_config(sweep)
    if not Trial.objects.filter(sweep=sweep).exists():  # nothing asked yet: the page never creates the study
        return {"objectives": [{"metric": o.metric, "direction": o.goal} for o in config.objectives],
                "space": [d.model_dump(mode="json") for d in config.space], "importance": {}, "best_trials": [],
                "intermediate": {}}
    study = open_sweep_study(sweep, config)
    trials = study.get_trials(deepcopy=False)
    finished = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    return {
        "objectives": [{"metric": o.metric, "direction": o.goal} for o in config.objectives],
        "space": [d.model_dump(mode="json") for d in config.space],
        "importance": importance(study, config),
        "best_trials": sorted(t.number for t in study.best_trials) if finished else [],
        "intermediate": {str(t.number): sorted([int(k), v] for k, v in t.intermediate_values.items())
                         for t in trials if t.intermediate_values},
    }
