"""Finished runs made straight in the database, with points written through the ingest.

Real training is covered by the workers' tests; the dashboards only read
what the ingest stored, so they are tested on rows written the same way.
"""
from __future__ import annotations

import math

from django.db import transaction

from designer.runs.ingest import Point, write_points


def add_points(run, key: str, values, start: int = 0, every: int = 1, t0: float = 1_700_000_000.0) -> None:
    """Points at steps start, start + every, ...; one second apart."""
    points = [Point(key, start + i * every, float(v), t0 + start + i * every) for i, v in enumerate(values)]
    with transaction.atomic():
        for i in range(0, len(points), 1000):
            write_points(run.pk, points[i:i + 1000])


def loss_curve(n: int, scale: float = 1.0) -> list[float]:
    return [scale * (2.0 * math.exp(-i / (n / 4)) + 0.05) for i in range(n)]


def make_run(version, owner, *, lr: float = 0.001, state: str = "succeeded", **fields):
    from django.utils import timezone

    from designer.runs.models import Run

    now = timezone.now()
    config = {"epochs": 2, "batch_size": 64, "optimizer": {"name": "adam", "lr": lr}, "seed": 0}
    fields.setdefault("started", now - timezone.timedelta(seconds=90))
    fields.setdefault("finished", None if state == "running" else now)
    fields.setdefault("dataset", {"kind": "digits", "options": {}})
    return Run.objects.create(project=version.graph.project, graph_version=version, created_by=owner,
                              config=config, state=state, **fields)
