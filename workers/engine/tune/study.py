"""A sweep's configuration and the Optuna pieces built from it: study, sampler, pruner.

Optuna does the searching: this module only maps the config's names onto
Optuna's samplers (grid, random, TPE, CMA-ES, Gaussian process, NSGA-II) and
pruners (median, successive halving, Hyperband), and opens the study in an
RDB storage on the project's own database.
"""
from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..train import ConfigError, TrainConfig
from .space import Dimension, check_space

# Objectives measured without training: from the trial graph's validation report.
GRAPH_METRICS = {"params": "minimize", "flops": "minimize"}
# Objectives measured on the trained model at the end of the trial (report.EpochReporter.measure).
MEASURED_METRICS = {"latency_ms": "minimize"}
TASK_METRICS = {"classification": ("loss", "accuracy", "precision", "recall", "f1"),
                "regression": ("loss", "mae", "rmse", "r2"), "reconstruction": ("loss", "mae", "rmse", "r2")}
LOWER_IS_BETTER = {"loss", "mae", "rmse"}
MULTI_OBJECTIVE_SAMPLERS = {"auto", "random", "grid", "tpe", "gp", "nsga2"}
# The "auto" sampler (the default): a Gaussian process while it is cheap and sample-efficient (one
# objective, a few dimensions, a budget whose GP fits stay short), TPE past that and for several
# objectives (NSGA-II needs generations of 50 trials). docs/benchmarks.md "Tuning" has the figures:
# GP reached random search's best of 40 in a median of 13 trials, no TPE setting did in <= 20.
AUTO_GP_MAX_DIMS = 8
AUTO_GP_MAX_TRIALS = 300
# Random trials before the model when the sweep does not say: the best of each on the bench's
# tuning seeds (docs/benchmarks.md "Tuning").
STARTUP_TRIALS = {"gp": 5, "tpe": 10}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Objective(_Strict):
    metric: str = Field("val/accuracy", pattern=r"^((val|test)/[a-z_0-9]+|params|flops|latency_ms)$",
                        description="What a trial is scored on: the best val/<metric> of its epochs, a "
                        "test/<metric> of its best weights, the graph's params / flops, or latency_ms: "
                        "the trained model's median CPU latency at batch 1 on one thread")
    direction: Literal["auto", "minimize", "maximize"] = Field(
        "auto", description="auto: minimize losses, errors, params and FLOPs, maximize the rest")

    @property
    def goal(self) -> str:
        if self.direction != "auto":
            return self.direction
        if self.metric in GRAPH_METRICS or self.metric in MEASURED_METRICS:
            return {**GRAPH_METRICS, **MEASURED_METRICS}[self.metric]
        return "minimize" if self.metric.split("/", 1)[1] in LOWER_IS_BETTER else "maximize"


class SamplerConfig(_Strict):
    name: Literal["auto", "random", "grid", "tpe", "cmaes", "gp", "nsga2"] = Field(
        "auto", description="How trials are chosen: grid, random, TPE, CMA-ES, Gaussian process, "
        "NSGA-II (several objectives); auto: a Gaussian process for one objective over at most "
        f"{AUTO_GP_MAX_DIMS} params and {AUTO_GP_MAX_TRIALS} trials, TPE otherwise")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the sampler")
    n_startup_trials: int | None = Field(None, ge=0, le=1000, description="TPE / GP: random trials "
                                         "before the model; empty: 5 for GP, 10 for TPE")
    multivariate: bool = Field(True, description="TPE: model the params jointly (Optuna's multivariate "
                               "TPE); off: one model per param")
    group: bool = Field(False, description="TPE (multivariate): one model per group of params that "
                        "appear together (spaces where params depend on others)")
    constant_liar: bool = Field(True, description="TPE: count trials still running as poor ones, so "
                                "parallel trials spread out instead of asking the same region")
    n_ei_candidates: int = Field(24, ge=1, le=10000, description="TPE: candidates drawn per ask; more "
                                 "exploit the model harder")


class PrunerConfig(_Strict):
    name: Literal["none", "median", "successive_halving", "hyperband"] = Field(
        "none", description="Stop poor trials early from their per-epoch validation metric")
    n_startup_trials: int = Field(5, ge=0, le=1000, description="median: trials finished before pruning")
    n_warmup_steps: int = Field(1, ge=0, le=100000, description="median: epochs before a trial may be pruned")
    min_resource: int = Field(1, ge=1, le=100000, description="successive halving / Hyperband: "
                              "epochs every trial gets")
    reduction_factor: int = Field(3, ge=2, le=100, description="successive halving / Hyperband: "
                                  "one in this many trials goes on at each rung")


class TuneConfig(_Strict):
    train: TrainConfig = Field(default_factory=TrainConfig, description="The base training config of "
                               "every trial")
    space: list[Dimension] = Field(min_length=1, max_length=32, description="What to search")
    objectives: list[Objective] = Field(default_factory=lambda: [Objective()], min_length=1, max_length=4,
                                        description="What to optimise; several give a Pareto front")
    sampler: SamplerConfig = Field(default_factory=SamplerConfig, description="Sampler")
    pruner: PrunerConfig = Field(default_factory=PrunerConfig, description="Pruner")
    n_trials: int = Field(20, ge=1, le=100000, description="Trials in all")
    parallelism: int = Field(2, ge=1, le=64, description="Trials queued or running at once")
    timeout_s: float | None = Field(None, gt=0, le=30 * 86400, description="Ask no new trial after this "
                                    "many seconds; empty = no limit")
    trial_retries: int = Field(2, ge=0, le=10, description="Times a trial whose worker died resumes "
                               "from its checkpoint; one lost more often fails and the sweep goes on")

    @model_validator(mode="after")
    def _check(self) -> "TuneConfig":
        names = [d.name for d in self.space]
        if len(set(names)) != len(names):
            raise ValueError(f"space names {sorted({n for n in names if names.count(n) > 1})} more than once")
        metrics = [o.metric for o in self.objectives]
        if len(set(metrics)) != len(metrics):
            raise ValueError("objectives repeat a metric")
        several = len(self.objectives) > 1
        if several and self.sampler.name not in MULTI_OBJECTIVE_SAMPLERS:
            raise ValueError(f"sampler {self.sampler.name!r} optimises one objective; "
                             f"for several use nsga2, tpe, gp, random or grid")
        if self.pruner.name != "none" and (several or not self.objectives[0].metric.startswith("val/")):
            raise ValueError("a pruner needs exactly one objective, a val/ metric reported every epoch")
        return self

    def check_job(self, graph: dict, description: dict) -> None:
        """Launch checks: the space against the graph and the training config, the objectives
        against the dataset's task; a ``ConfigError`` naming each field (``config.space[0].high``)."""
        task = self.train.task or description.get("task")
        errors = check_space(self.space, graph, self.train.model_dump(mode="json")) + check_tune(self, task)
        if errors:
            raise ConfigError([{**e, "field": f"config.{e['field']}"} for e in errors])

    @property
    def directions(self) -> list[str]:
        return [o.goal for o in self.objectives]

    @property
    def distributions(self) -> dict[str, Any]:
        return {d.name: d.distribution() for d in self.space}

    def grid(self) -> dict[str, list] | None:
        values = {d.name: grid for d in self.space if (grid := d.grid()) is not None}
        return values if len(values) == len(self.space) else None


def check_tune(config: TuneConfig, task: str | None) -> list[dict]:
    """What needs the dataset's task or the sampler's shape of space: errors naming the field."""
    errors = []
    for i, objective in enumerate(config.objectives):
        split, _, name = objective.metric.partition("/")
        if name and name not in TASK_METRICS.get(task or "", ()):
            errors.append(("objectives[%d].metric" % i, f"{objective.metric} is not measured for "
                           f"{task or 'this task'}; use one of "
                           + ", ".join(f"{split}/{m}" for m in TASK_METRICS.get(task or "", ()))))
    if config.sampler.name == "grid":
        grid = config.grid()
        if grid is None:
            errors.append(("sampler.name", "a grid needs every dimension categorical, int, or float with a step"))
        elif (size := math.prod(len(v) for v in grid.values())) > config.n_trials:
            errors.append(("n_trials", f"the grid has {size} points but the budget is {config.n_trials} "
                           "trials: raise n_trials or shrink the grid"))
    if config.sampler.name == "cmaes" and all(d.type == "categorical" for d in config.space):
        errors.append(("sampler.name", "CMA-ES searches int and float dimensions and this space has only "
                       "categorical ones (Optuna would draw them at random): choose tpe, gp or random, "
                       "or add a range"))
    return [{"node": None, "port": None, "field": f, "message": m} for f, m in errors]


def _optuna():
    # Imported on first use: importing the job kinds (every job child does) must not load Optuna.
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def sampler_name(config: TuneConfig) -> str:
    """The sampler a sweep uses: its own name, or what ``auto`` stands for in this sweep."""
    if config.sampler.name != "auto":
        return config.sampler.name
    small = len(config.space) <= AUTO_GP_MAX_DIMS and config.n_trials <= AUTO_GP_MAX_TRIALS
    return "gp" if small and len(config.objectives) == 1 else "tpe"


def build_sampler(config: TuneConfig, offset: int = 0):
    """The sampler; ``offset`` (trials so far) moves the seed on, so a coordinator that
    starts again does not draw the same values again."""
    optuna = _optuna()
    s, name = config.sampler, sampler_name(config)
    seed = s.seed + offset
    startup = s.n_startup_trials if s.n_startup_trials is not None else STARTUP_TRIALS.get(name, 10)
    if name == "grid":
        return _grid_sampler(optuna)(config.grid(), seed=s.seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=s.multivariate,
                                          group=s.group and s.multivariate, constant_liar=s.constant_liar,
                                          n_ei_candidates=s.n_ei_candidates)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=startup,
                                         warn_independent_sampling=False)
    return optuna.samplers.NSGAIISampler(seed=seed)


def _grid_sampler(optuna):
    from optuna.samplers import GridSampler  # optuna is imported (and quietened) by the caller

    class AskTellGrid(GridSampler):
        """Optuna's grid, minus its ``study.stop()`` once every point was asked: that works inside
        ``optimize`` only, and a sweep asks and tells; its budget ends it (n_trials >= the grid)."""

        def after_trial(self, study, trial, state, values) -> None:
            return None

    return AskTellGrid


def build_pruner(config: TuneConfig):
    optuna, p = _optuna(), config.pruner
    if p.name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=p.n_startup_trials, n_warmup_steps=p.n_warmup_steps)
    if p.name == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=p.min_resource,
                                                      reduction_factor=p.reduction_factor)
    if p.name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=p.min_resource, max_resource=config.train.epochs,
                                              reduction_factor=p.reduction_factor)
    return optuna.pruners.NopPruner()


def storage(url: str | None, create: bool = True, pooled: bool = False):
    """Optuna's RDB storage on ``url`` (SQLAlchemy form), holding no idle connection: the
    service's own pool and its test databases stay the only long-lived connections.
    ``pooled``: its connections are kept for reuse until ``close_study`` (an ask and a tell
    open some ten sessions: one connection for all of them, not one each, for a short user
    such as a coordination step). No url: a study in this process's memory."""
    from sqlalchemy.pool import NullPool

    if url is None:
        return _optuna().storages.InMemoryStorage()
    engine_kwargs = {"pool_size": 1, "max_overflow": 4} if pooled else {"poolclass": NullPool}
    return _optuna().storages.RDBStorage(url, engine_kwargs=engine_kwargs,
                                      skip_table_creation=not create, skip_compatibility_check=not create)


def open_study(url: str | None, name: str, config: TuneConfig, *, offset: int = 0, create: bool = True,
               pooled: bool = False):
    """The sweep's study (an ``optuna.Study``), created on first use; ``create=False`` trusts that
    Optuna's tables exist (no table creation, no schema check)."""
    return _optuna().create_study(storage=storage(url, create, pooled), study_name=name,
                                  directions=config.directions, sampler=build_sampler(config, offset),
                                  pruner=build_pruner(config), load_if_exists=True)


def close_study(study) -> None:
    """Close the connections a pooled study keeps (``open_study(..., pooled=True)``)."""
    backend = getattr(study._storage, "_backend", study._storage)  # Optuna wraps RDB storage in a cache
    engine = getattr(backend, "engine", None)
    if engine is not None:
        engine.dispose()
