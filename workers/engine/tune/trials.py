"""One trial from ask to tell: its graph and config, their checks, and the values it scored.

Shared by the service's coordinator (trials are runs on the workers) and the
in-process sweep of the ``tune`` job kind (``local.py``): the same params give
the same graph, the same checks and the same objective values either way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..graph.api import validate_graph
from ..train import ConfigError, parse_config
from .space import apply_params
from .study import MEASURED_METRICS, TuneConfig


@dataclass
class TrialPlan:
    """What a trial runs, or why it cannot (``error``)."""

    graph: dict
    config: dict
    totals: dict  # params, flops, memory of the trial's graph
    error: str = ""


def plan_trial(base_graph: dict, sweep: TuneConfig, params: dict[str, Any], *,
               param_budget: float = 2e9) -> TrialPlan:
    """The trial's graph and config with ``params`` applied, validated as a launch would be."""
    graph, config = apply_params(base_graph, sweep.train.model_dump(mode="json"), params)
    try:
        config = parse_config(config).model_dump(mode="json")
    except ConfigError as exc:
        return TrialPlan(graph, config, {}, "; ".join(f"config.{e['field']}: {e['message']}" for e in exc.errors))
    report = validate_graph(graph, param_budget=param_budget)
    if not report.get("ok"):
        first = (report.get("errors") or [{"message": "the graph does not compile"}])[:3]
        message = "; ".join(f"{e.get('node') or e.get('field') or 'graph'}: {e.get('message')}" for e in first)
        return TrialPlan(graph, config, {}, message)
    return TrialPlan(graph, config, dict(report.get("totals") or {}))


def objective_values(sweep: TuneConfig, totals: dict, val_best: dict[str, float],
                     summary: dict[str, Any]) -> list[float] | str:
    """The trial's value per objective, or why one is missing (the trial then fails).

    ``val_best``: the best value of each val metric over the epochs, in the
    objective's direction; ``summary``: the run's summary (``test_<metric>``,
    ``latency_ms``).
    """
    values = []
    for objective in sweep.objectives:
        metric = objective.metric
        if metric in ("params", "flops"):
            value = totals.get(metric)
        elif metric.startswith("val/"):
            value = val_best.get(metric)
        elif metric in MEASURED_METRICS:
            value = summary.get(metric)
        else:
            value = summary.get("test_" + metric.split("/", 1)[1])
        if not isinstance(value, (int, float)):
            return f"the trial measured no {metric}"
        values.append(float(value))
    return values
