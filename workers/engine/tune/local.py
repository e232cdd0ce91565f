"""A sweep in one process: the engine alone (a notebook, a benchmark, the ``tune`` job child).

Each trial is trained here, one after the other, with the same plan, report
hook and values as a trial run on a worker; the service instead spreads the
trials over its workers (designer/tuning).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import optuna

from ..data import DatasetBundle
from ..graph.api import compile_graph
from ..jobs.kinds import Pruned
from .report import EpochReporter
from ..train import NullSink, TrainRecipe, parse_config
from .study import TuneConfig
from .trials import objective_values, plan_trial


def run_trial(study: optuna.Study, sweep: TuneConfig, graph: dict, data: DatasetBundle, run_dir: Path,
              should_stop: Callable[[], bool] = lambda: False) -> optuna.trial.FrozenTrial:
    """Ask, train, tell: one trial in this process."""
    trial = study.ask(sweep.distributions)
    plan = plan_trial(graph, sweep, trial.params)
    if plan.error:
        trial.set_user_attr("error", plan.error)
        return study.tell(trial, state=optuna.trial.TrialState.FAIL)
    config = parse_config(plan.config)
    reporter = EpochReporter(trial, sweep)
    recipe = TrainRecipe(compile_graph(plan.graph, seed=config.seed), data, config,
                         run_dir=run_dir / str(trial.number), sink=NullSink(), should_stop=should_stop,
                         epoch_hook=reporter)
    recipe.setup()
    try:
        summary = recipe.train()
        summary.update(reporter.measure(recipe.module, data))
    except Pruned:
        trial.set_user_attr("epochs", reporter.epochs)
        return study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    finally:
        reporter.flush()
        recipe.cleanup()
    trial.set_user_attr("epochs", reporter.epochs)
    values = objective_values(sweep, plan.totals, reporter.best, summary)
    if isinstance(values, str):
        trial.set_user_attr("error", values)
        return study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return study.tell(trial, values)


def optimize(study: optuna.Study, sweep: TuneConfig, graph: dict, data: DatasetBundle, *,
             n_trials: int | None = None, run_dir: Path | None = None,
             on_trial: Callable[[optuna.trial.FrozenTrial], None] | None = None,
             should_stop: Callable[[], bool] = lambda: False) -> list[optuna.trial.FrozenTrial]:
    """Run ``n_trials`` (default: the sweep's budget) trials one after the other."""
    done: list[Any] = []
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(run_dir or scratch)
        for _ in range(n_trials or sweep.n_trials):
            if should_stop():
                break
            done.append(run_trial(study, sweep, graph, data, base, should_stop))
            if on_trial is not None:
                on_trial(done[-1])
    return done
