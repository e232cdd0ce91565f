"""Tuning: search spaces over training fields and the graph, Optuna studies, the trials' report hook.

The service's coordinator (designer/tuning) asks the study for trials, turns
each into a child run with ``apply_params`` and tells the study how it ended;
a trial's training child reports every epoch (``report.TrialReporter``).
"""
from .space import Dimension, apply_params, check_space, kind_of, split_params
from .study import (GRAPH_METRICS, Objective, PrunerConfig, SamplerConfig, TuneConfig, build_pruner,
                    build_sampler, check_tune, open_study, storage)

__all__ = ["Dimension", "GRAPH_METRICS", "Objective", "PrunerConfig", "SamplerConfig", "TuneConfig",
           "apply_params", "build_pruner", "build_sampler", "check_space", "check_tune", "kind_of",
           "open_study", "split_params", "storage"]
