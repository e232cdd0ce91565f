"""The ``tune`` kind: a sweep of training trials chosen by Optuna.

The service runs a tune run as a coordinator that spreads its trials over
the workers as child runs (designer/tuning); this recipe is the same sweep
in one process, for the engine on its own (``python -m workers.engine.jobs``
on a tune job.json, a notebook, the benchmarks): trials one after another,
the study in memory or in the storage the job names.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..data import DatasetBundle, load_dataset
from ..tune import TuneConfig, check_space, check_tune
from .binding import check_input_shape
from .kinds import JobContext, JobError, register_job


class TuneJob:
    def __init__(self, ctx: JobContext):
        self.ctx, self.cfg = ctx, ctx.config
        self.trials: list[Any] = []
        self.data: DatasetBundle | None = None

    @property
    def step(self) -> int:
        return len(self.trials)

    def setup(self, resume_from: str | None) -> None:
        from ..tune import open_study

        ctx = self.ctx
        self.data = data = load_dataset(ctx.dataset)
        check_input_shape(ctx.graph, data.input_shape, data.name)
        errors = check_space(self.cfg.space, ctx.graph, self.cfg.train.model_dump(mode="json")) \
            + check_tune(self.cfg, self.cfg.train.task or data.task)
        if errors:
            raise JobError(errors[0]["field"], errors[0]["message"])
        url = ctx.job.get("storage") or "sqlite:///" + str(ctx.run_dir / "study.sqlite3")
        self.study = open_study(url, f"sweep-{ctx.job.get('run_id', 0)}", self.cfg)

    def run(self) -> dict[str, Any]:
        from ..tune.local import optimize

        def emitted(trial) -> None:
            self.trials.append(trial)
            values = {"state_" + trial.state.name.lower(): 1.0}
            if trial.values:
                values.update({f"objective_{i}": v for i, v in enumerate(trial.values)})
            self.ctx.sink.emit({"type": "metric", "step": trial.number, "split": "tune", "values": values})

        if self.data is None:
            raise RuntimeError("run() before setup()")
        optimize(self.study, self.cfg, self.ctx.graph, self.data, run_dir=self.ctx.run_dir / "trials",
                 on_trial=emitted, should_stop=self.ctx.should_stop)
        best = self.study.best_trials
        return {"trials": len(self.trials), "best_trials": [t.number for t in best],
                "best_values": best[0].values if best else None}

    def save_checkpoint(self, name: str) -> Path | None:
        return None  # the study is the sweep's record

    def cleanup(self) -> None:
        self.data = None


register_job(
    "tune", TuneConfig, TuneJob, title="Tune",
    description="Search training settings, graph variables and node params with Optuna: samplers "
                "(grid, random, TPE, CMA-ES, GP, NSGA-II for several objectives), pruners "
                "(median, successive halving, Hyperband); each trial is a training run.",
    own_dialog=True)
