"""Editor positions for an imported graph: a layered layout by topological depth.

Each node sits one row below its deepest input; the nodes of a row are
centred around x = 0, so chains run straight down and branches (a residual
shortcut, a U-Net skip) sit side by side.
"""
from __future__ import annotations

from collections import defaultdict

ROW = 110  # vertical distance between rows, in editor pixels
COLUMN = 220  # horizontal distance between nodes of one row


def layered_positions(order: list[str], edges: list[dict]) -> dict[str, dict]:
    """``{node id: {"x", "y"}}`` for nodes given in topological ``order``."""
    sources = defaultdict(list)
    for e in edges:
        sources[e["target"]].append(e["source"])
    depth: dict[str, int] = {}
    rows: dict[int, list[str]] = defaultdict(list)
    for node_id in order:
        depth[node_id] = 1 + max((depth[s] for s in sources[node_id]), default=-1)
        rows[depth[node_id]].append(node_id)
    positions = {}
    for row, ids in rows.items():
        for i, node_id in enumerate(ids):
            positions[node_id] = {"x": (i - (len(ids) - 1) / 2) * COLUMN, "y": row * ROW}
    return positions
