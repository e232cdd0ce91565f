"""A sweep's coordination: short, idempotent steps that any worker may take.

A step locks the sweep's row (so steps never overlap), then:

1. adopts Optuna trials that have no row (a step that died between ``ask`` and
   its commit): a running one gets its run now, with the params it was asked
   with, so no trial is lost;
2. tells the study how each trial whose run ended did (values, pruned, failed);
3. asks for new trials while fewer than ``parallelism`` are queued or running and
   the budget and time limit allow; each is checked (graph and config) before a
   run exists, and an invalid one is told failed with the engine's error;
4. ends the sweep once every trial it will run has ended (or on cancel).

The sweep keeps no state but the study and the rows: a step is sent when a
trial ends, when the sweep is cancelled, and by every housekeeping pass, so a
worker killed mid-step costs a few seconds and nothing else.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from designer.runs import lifecycle, services
from designer.runs.lifecycle import Holder
from designer.runs.models import MetricSummary, Run, RunState
from designer.tuning.models import Trial, TrialState
from designer.tuning.study import open_sweep_study, sweep_config, trial_ids

log = logging.getLogger("netweave.tuning")

ENDED = {RunState.SUCCEEDED: TrialState.COMPLETE, RunState.PRUNED: TrialState.PRUNED,
         RunState.FAILED: TrialState.FAIL, RunState.CANCELLED: TrialState.FAIL}


def step(run_id: int) -> None:
    from workers.engine.tune.study import close_study

    with transaction.atomic():
        sweep = Run.objects.select_for_update().filter(pk=run_id, state=RunState.RUNNING).first()
        if sweep is None:
            return
        holder = Holder.me()
        Run.objects.filter(pk=sweep.pk).update(worker_hostname=holder.hostname, worker_pid=holder.pid,
                                               heartbeat=timezone.now())
        config = sweep_config(sweep)
        study = open_sweep_study(sweep, config, pooled=True)
        try:
            _step(sweep, study, config, holder)
        finally:
            close_study(study)


def _step(sweep: Run, study, config, holder: Holder) -> None:
    adopt(sweep, study, config)
    tell_ended(sweep, study, config)
    if sweep.cancel_requested:
        return _cancel(sweep, study, holder)
    ask(sweep, study, config)
    if not sweep.trials.filter(state=TrialState.RUNNING).exists() and not _may_ask(sweep, config):
        lifecycle.finish(sweep.pk, holder, RunState.SUCCEEDED, summary=summarise(sweep, study))


def _may_ask(sweep: Run, config) -> bool:
    if sweep.trials.count() >= config.n_trials:
        return False
    return config.timeout_s is None or timezone.now() < sweep.started + timedelta(seconds=config.timeout_s)


def adopt(sweep: Run, study, config) -> None:
    """Rows for the study's trials that have none (numbers are 0, 1, ... in order of asking)."""
    storage, study_id = trial_ids(study)
    known = set(sweep.trials.values_list("number", flat=True))
    for number in sorted(set(range(storage.get_n_trials(study_id))) - known):
        frozen = storage.get_trial(storage.get_trial_id_from_study_id_trial_number(study_id, number))
        if frozen.state.name == "RUNNING":
            log.warning("sweep %s: trial %s was asked but has no run; starting it now", sweep.pk, number)
            start_trial(sweep, study, config, number, frozen.params)
        else:
            Trial.objects.create(sweep=sweep, number=number, params=frozen.params,
                                 state=_state_of(frozen.state), values=frozen.values,
                                 error=frozen.user_attrs.get("error", ""), finished=timezone.now())


def _state_of(state) -> str:
    return {"COMPLETE": TrialState.COMPLETE, "PRUNED": TrialState.PRUNED}.get(state.name, TrialState.FAIL)


def ask(sweep: Run, study, config) -> None:
    active = sweep.trials.filter(state=TrialState.RUNNING).count()
    while active < config.parallelism and _may_ask(sweep, config):
        trial = study.ask(config.distributions)
        if start_trial(sweep, study, config, trial.number, trial.params):
            active += 1


def start_trial(sweep: Run, study, config, number: int, params: dict) -> bool:
    """The trial's row and, when its graph and config are valid, its run; False when invalid."""
    from workers.engine.tune.trials import plan_trial

    plan = plan_trial(sweep.graph_version.document, config, params,
                      param_budget=settings.NETWEAVE_PARAM_BUDGET)
    if plan.error:
        study.tell(number, state=_optuna_state("FAIL"), skip_if_finished=True)
        Trial.objects.create(sweep=sweep, number=number, params=params, state=TrialState.FAIL,
                             error=plan.error[:4000], finished=timezone.now())
        return False
    run = Run.objects.create(
        project=sweep.project, graph_version=sweep.graph_version, kind="train", parent=sweep,
        name=f"{sweep.name or f'sweep {sweep.pk}'} · trial {number}", dataset=sweep.dataset,
        config=plan.config, devices=1, queue=sweep.queue, created_by=sweep.created_by, tags=list(sweep.tags))
    Trial.objects.create(sweep=sweep, number=number, run=run, params=params, totals=plan.totals)
    lifecycle.add_event(run.pk, "state", {"state": run.state, "error": ""})
    services.enqueue(run)
    return True


def _optuna_state(name: str):
    import optuna

    return getattr(optuna.trial.TrialState, name)


def tell_ended(sweep: Run, study, config) -> None:
    """Tell the study how each trial whose run ended did; mirror it in the trial's row."""
    from workers.engine.tune.trials import objective_values

    ended = sweep.trials.filter(state=TrialState.RUNNING, run__state__in=list(ENDED)).select_related("run")
    for trial in ended:
        run, state = trial.run, ENDED[trial.run.state]
        values = None
        if state == TrialState.COMPLETE:
            values = objective_values(config, trial.totals, val_best(run, config), run.summary or {})
            if isinstance(values, str):
                state, trial.error, values = TrialState.FAIL, values, None
        elif state == TrialState.FAIL:
            trial.error = run.error or f"its run was {run.state}"
        elif state == TrialState.PRUNED:
            storage, study_id = trial_ids(study)
            reported = storage.get_trial(storage.get_trial_id_from_study_id_trial_number(
                study_id, trial.number)).intermediate_values
            trial.pruned_epoch = max(reported) if reported else None
        study.tell(trial.number, values, state=None if values else _optuna_state(state.name),
                   skip_if_finished=True)
        trial.state, trial.values, trial.finished = state, values, run.finished or timezone.now()
        trial.save(update_fields=["state", "values", "error", "pruned_epoch", "finished"])


def val_best(run: Run, config) -> dict[str, float]:
    """The best value of each val objective over the run's evaluations, in its direction."""
    wanted = {o.metric: o.goal for o in config.objectives if o.metric.startswith("val/")}
    best = {}
    for key, low, high in MetricSummary.objects.filter(run=run, key__in=list(wanted)).values_list(
            "key", "minimum", "maximum"):
        best[key] = high if wanted[key] == "maximize" else low
    return best


def summarise(sweep: Run, study) -> dict:
    counts = {state: 0 for state in TrialState.values}
    for state in sweep.trials.values_list("state", flat=True):
        counts[state] += 1
    best = study.best_trials  # the best trial, or the Pareto front for several objectives
    return {"trials": sum(counts.values()), **counts, "best_trials": sorted(t.number for t in best),
            "best_values": best[0].values if len(best) == 1 else None}


def _cancel(sweep: Run, study, holder: Holder) -> None:
    """Cancel the trials still queued or running, tell them failed, end the sweep cancelled."""
    for trial in sweep.trials.filter(state=TrialState.RUNNING).select_related("run"):
        if trial.run is not None and not trial.run.is_terminal:
            services.cancel(trial.run)
        study.tell(trial.number, state=_optuna_state("FAIL"), skip_if_finished=True)
        trial.state, trial.error, trial.finished = TrialState.FAIL, "the sweep was cancelled", timezone.now()
        trial.save(update_fields=["state", "error", "finished"])
    lifecycle.finish(sweep.pk, holder, RunState.CANCELLED, "", summary=summarise(sweep, study))
