"""Shared helpers for the training tests: one thread, a recording sink, tiny graphs."""
from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # The test machine has two cores shared with other suites.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


class RecordingSink:
    """Collects events as the job protocol would print them."""

    def __init__(self):
        self.events = []

    def emit(self, event):
        self.events.append(event)

    def of(self, type_, **match):
        return [e for e in self.events if e["type"] == type_
                and all(e.get(k) == v for k, v in match.items())]


class StopAfter:
    """A ``should_stop`` that says yes from its ``steps``-th call (one call per step)."""

    def __init__(self, steps):
        self.calls, self.steps = 0, steps

    def __call__(self):
        self.calls += 1
        return self.calls >= self.steps


@pytest.fixture
def sink():
    return RecordingSink()


def mlp_graph(shape=(1, 8, 8), hidden=16, classes=10, dropout=0.0):
    """A small graph document: Input -> Flatten -> Linear -> ReLU [-> Dropout] -> Linear -> Output."""
    chain = [("x", "Input", {"shape": list(shape), "dtype": "float32"}),
             ("flat", "Flatten", {}),
             ("fc1", "Linear", {"out_features": hidden}),
             ("act", "ReLU", {})]
    if dropout:
        chain.append(("drop", "Dropout", {"p": dropout}))
    chain += [("fc2", "Linear", {"out_features": classes}), ("y", "Output", {})]
    nodes = [{"id": i, "op": op, "params": p} for i, op, p in chain]
    edges = [{"source": a[0], "source_port": "out", "target": b[0], "target_port": "in"}
             for a, b in zip(chain, chain[1:])]
    return {"schema": "netweave.graph/1", "name": "mlp", "variables": {}, "nodes": nodes,
            "edges": edges, "blocks": {}}
