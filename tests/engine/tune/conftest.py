"""Shared pieces of the tuning tests: one torch thread, the digits CNN template."""
from __future__ import annotations

import pytest
import torch

from workers.engine import load_template


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def cnn():
    """The digits CNN with a graph variable ``width`` driving conv1 and a repeatable ReLU."""
    doc = load_template("digits_cnn")
    doc["variables"]["width"] = 8
    for node in doc["nodes"]:
        if node["id"] == "conv1":
            node["params"]["out_channels"] = "=width"
    return doc
