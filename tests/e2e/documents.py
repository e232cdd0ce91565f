"""A graph document the end-to-end tests import, and importing it through the UI."""
from __future__ import annotations

import json
import re
from pathlib import Path


def small_cnn() -> dict:
    """A small CNN with a graph variable and a block (what exports must flatten), no positions."""
    def chain(ids_ops):
        nodes = [{"id": i, "op": op, "params": p} for i, op, p in ids_ops]
        return nodes, [{"source": a["id"], "source_port": "out", "target": b["id"], "target_port": "in"}
                       for a, b in zip(nodes, nodes[1:])]

    inner, inner_edges = chain([("inp", "Input", {}), ("conv", "Conv2d", {"out_channels": "=channels",
                                "kernel_size": 3, "padding": 1}), ("act", "ReLU", {}), ("out", "Output", {})])
    nodes, edges = chain([("x", "Input", {"shape": [1, 8, 8]}), ("body", "block:ConvBlock", {"channels": "=width"}),
                          ("pool", "MaxPool2d", {"kernel_size": 2}), ("flat", "Flatten", {}),
                          ("fc", "Linear", {"out_features": 10}), ("y", "Output", {})])
    return {"schema": "netweave.graph/1", "name": "small-cnn", "variables": {"width": 6},
            "nodes": nodes, "edges": edges,
            "blocks": {"ConvBlock": {"params": {"channels": {"type": "int", "default": 4, "min": 1}},
                                     "nodes": inner, "edges": inner_edges}}}


def import_graph(page, project: str, doc: dict, folder: Path) -> None:
    """From the projects page: make a project, import `doc` through its file chooser; ends in the editor."""
    page.get_by_label("New project name").fill(project)
    page.get_by_role("button", name="Create project").click()
    path = folder / f"{doc['name']}.json"
    path.write_text(json.dumps(doc))
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import document").click()
    chooser.value.set_files(str(path))
    page.wait_for_url(re.compile(r"/graphs/\d+$"))
