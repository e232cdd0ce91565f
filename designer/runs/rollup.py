"""Keeping the M4 buckets of every series (first, last, min, max per bucket) as points arrive.

A batch is folded into buckets in Python (the finest width from the points,
each coarser width from the one below, so the cost is one pass), then merged
into the stored buckets with one INSERT ... ON CONFLICT DO UPDATE per width.
The same SQL runs on PostgreSQL and SQLite.
"""
from __future__ import annotations

from typing import Iterable

from designer.runs.models import ROLLUP_WIDTHS, MetricRollup
from designer.runs.storage import BIGINT, FLOAT, TEXT, upsert_rows, upsert_sql

# A bucket in memory: [count, first, last, low, high], each point a (step, value, time).
Bucket = list


def _merge(a: Bucket, b: Bucket) -> None:
    """Fold bucket b into a. Ties: first keeps the earlier, last takes the newer."""
    a[0] += b[0]
    if b[1][0] < a[1][0]:
        a[1] = b[1]
    if b[2][0] >= a[2][0]:
        a[2] = b[2]
    if b[3][1] < a[3][1]:
        a[3] = b[3]
    if b[4][1] > a[4][1]:
        a[4] = b[4]


def fold_points(points: Iterable) -> dict[int, dict[tuple[str, int], Bucket]]:
    """{width: {(key, bucket): [count, first, last, low, high]}} for a batch."""
    finest = ROLLUP_WIDTHS[0]
    levels: dict[int, dict] = {finest: {}}
    level = levels[finest]
    for p in points:
        at = (p.step, p.value, p.time)
        slot = (p.key, p.step // finest)
        bucket = level.get(slot)
        if bucket is None:
            level[slot] = [1, at, at, at, at]
        else:
            _merge(bucket, [1, at, at, at, at])
    for below, width in zip(ROLLUP_WIDTHS, ROLLUP_WIDTHS[1:]):
        factor = width // below
        level = levels[width] = {}
        for (key, index), bucket in levels[below].items():
            slot = (key, index // factor)
            if slot in level:
                _merge(level[slot], bucket)
            else:
                level[slot] = list(bucket)
    return levels


COLUMNS = {"run_id": BIGINT, "key": TEXT, "width": BIGINT, "bucket": BIGINT, "count": BIGINT,
           **{f"{part}_{field}": kind
              for part in ("first", "last", "min", "max")
              for field, kind in (("step", BIGINT), ("value", FLOAT), ("time", FLOAT))}}


def _take(prefix: str, when: str, table: str) -> str:
    return ", ".join(
        f"{prefix}_{part} = CASE WHEN {when} THEN excluded.{prefix}_{part} ELSE {table}.{prefix}_{part} END"
        for part in ("step", "value", "time")
    )


def _updates(table: str) -> str:
    return ", ".join([
        f"count = {table}.count + excluded.count",
        _take("first", f"excluded.first_step < {table}.first_step", table),
        _take("last", f"excluded.last_step >= {table}.last_step", table),
        _take("min", f"excluded.min_value < {table}.min_value", table),
        _take("max", f"excluded.max_value > {table}.max_value", table),
    ])


CONFLICT = ("run_id", "key", "width", "bucket")


def rollup_rows(run_id: int, points: list) -> list[tuple]:
    """A batch's buckets of every width as rows of COLUMNS."""
    rows = []
    for width, buckets in fold_points(points).items():
        for (key, index), (count, first, last, low, high) in buckets.items():
            rows.append((run_id, key, width, index, count, *first, *last, *low, *high))
    return rows


def rollup_upsert_sql() -> str:
    """PostgreSQL: the merge of rollup_rows as one statement (see storage.upsert_sql)."""
    table = MetricRollup._meta.db_table
    return upsert_sql(table, COLUMNS, CONFLICT, _updates(table))


def update_rollups(run_id: int, points: list) -> None:
    """Merge a batch of points into the stored buckets of every width."""
    table = MetricRollup._meta.db_table
    upsert_rows(table, COLUMNS, rollup_rows(run_id, points), CONFLICT, _updates(table))
