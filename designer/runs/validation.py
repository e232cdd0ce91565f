"""Checking a launch before a run row exists: graph, dataset binding, config, resources.

Every problem comes back as a 400 listing errors in the shared shape, with
the node (graph, binding) or the field (config.optimizer.lr, dataset.kind)
it belongs to, so the launch form can show each one where it belongs.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from designer.core.errors import InputProblem, error
from designer.datasets import services as datasets
from designer.graphs import engine
from designer.graphs.models import GraphVersion
from designer.runs.models import RUNNABLE_KINDS, RunKind
from workers.tasks.queues import Queue

MAX_DEVICES = 64


@dataclass(frozen=True)
class Launch:
    dataset: dict
    config: dict


def check_graph(version: GraphVersion) -> None:
    report = engine.call("validate_graph", version.document,
                         param_budget=settings.NETWEAVE_PARAM_BUDGET, max_nodes=settings.NETWEAVE_MAX_NODES)
    if not report.get("ok"):
        raise InputProblem(report.get("errors") or [error("the graph does not compile")],
                           detail=f"graph version {version.number} does not compile; fix it in the editor")


def check_binding(document: dict, description: dict) -> None:
    """The graph's one Input must take what the dataset gives."""
    inputs = [n for n in document.get("nodes", []) if isinstance(n, dict) and n.get("op") == "Input"]
    if len(inputs) != 1:
        raise InputProblem([error(f"training needs exactly one Input node; the graph has {len(inputs)}",
                                  field="graph")])
    node = inputs[0]
    declared = (node.get("params") or {}).get("shape")
    wanted = description.get("input_shape")
    if declared is not None and wanted is not None and list(declared) != list(wanted):
        raise InputProblem([error(
            f"Input '{node.get('id')}' takes shape {list(declared)} but dataset "
            f"{description.get('name', '')!r} gives {list(wanted)}: set the Input's shape to {list(wanted)}",
            node=node.get("id"), field="shape")])


def check_config(config) -> dict:
    from workers.engine.train import ConfigError, parse_config

    if config is not None and not isinstance(config, dict):
        raise InputProblem([error("config must be an object", field="config")])
    try:
        return parse_config(config).model_dump(mode="json")
    except ConfigError as exc:
        raise InputProblem([{**e, "field": f"config.{e['field']}" if e.get("field") else "config"}
                            for e in exc.errors]) from None


def check_resources(kind: str, devices: int, queue: str) -> None:
    problems = []
    if kind not in RunKind.values:
        problems.append(error(f"kind must be one of {', '.join(RunKind.values)}", field="kind"))
    elif kind not in RUNNABLE_KINDS:
        problems.append(error(f"{kind!r} runs are not available yet; use 'train'", field="kind"))
    if not 1 <= devices <= MAX_DEVICES:
        problems.append(error(f"devices must be between 1 and {MAX_DEVICES}", field="devices"))
    if queue not in Queue.names():
        problems.append(error(f"queue must be one of {', '.join(Queue.names())}", field="queue"))
    if problems:
        raise InputProblem(problems)


def check_launch(version: GraphVersion, dataset, config, *, kind: str, devices: int, queue: str) -> Launch:
    """All checks, cheapest first; returns the dataset spec and the full config to pin."""
    check_resources(kind, devices, queue)
    full_config = check_config(config)
    spec, description = datasets.resolve(dataset, version.graph.project)
    check_graph(version)
    check_binding(version.document, description)
    return Launch(dataset=spec, config=full_config)
