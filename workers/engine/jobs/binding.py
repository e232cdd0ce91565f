"""Binding a job to its data: the graph's one Input takes the dataset's shape."""
from __future__ import annotations

from typing import Any

from .kinds import JobError


def check_input_shape(graph: dict[str, Any], shape: list[int], dataset: str) -> None:
    """Same shape as the dataset, or a clear error naming the Input node."""
    inputs = [n for n in graph.get("nodes", []) if isinstance(n, dict) and n.get("op") == "Input"]
    if len(inputs) != 1:
        raise JobError("graph", f"this job needs a graph with exactly one Input node; it has {len(inputs)}")
    declared = (inputs[0].get("params") or {}).get("shape")
    if declared is not None and list(declared) != list(shape):
        raise JobError("graph", f"Input '{inputs[0].get('id')}' has shape {declared} but dataset "
                                f"{dataset!r} gives {shape}: set the Input's shape to {shape}")


def wanted_device(config_device: str, resources: dict[str, Any]) -> str:
    """A run sent to the gpu queue must train on a GPU, never on the CPU in silence."""
    return "cuda" if resources.get("queue") == "gpu" else config_device
