"""Downsampled series for charts: about `points` points a line, spikes and ends kept.

Short series are returned as they are. Long ones are read from the M4
rollups the ingest keeps (designer/runs/rollup.py): the finest width whose
buckets number at most points/4, four points each (first, last, lowest,
highest). So 100 runs × 10,000 steps read ~16,000 small rows, not a million.
Points must be written through designer.runs.ingest.write_points (the
ingest does), which keeps the summary and rollups this module reads; `m4()`
is the same downsampling over raw rows (the reference the tests compare to).
"""
from __future__ import annotations

from collections import defaultdict

from designer.runs.models import ROLLUP_WIDTHS, MetricPoint, MetricRollup, MetricSummary

MAX_POINTS = 10_000
X_AXES = ("step", "time")


def choose_width(extent: int, buckets: int) -> int:
    """The finest rollup width that cuts `extent` steps into at most `buckets` buckets."""
    for width in ROLLUP_WIDTHS:
        if -(-extent // width) <= buckets:
            return width
    return ROLLUP_WIDTHS[-1]


def m4(rows, buckets: int) -> list[tuple]:
    """M4 over (step, value, time) rows sorted by step: first, last, min, max per bucket."""
    if len(rows) <= buckets * 4:
        return list(rows)
    lo, hi = rows[0][0], rows[-1][0]
    span = hi - lo + 1
    chosen: dict[int, list] = {}
    for row in rows:
        index = (row[0] - lo) * buckets // span
        slot = chosen.get(index)
        if slot is None:
            chosen[index] = [row, row, row, row]
            continue
        slot[1] = row
        if row[1] < slot[2][1]:
            slot[2] = row
        if row[1] > slot[3][1]:
            slot[3] = row
    return _flatten(chosen[i] for i in sorted(chosen))


def _flatten(groups) -> list[tuple]:
    out = []
    for group in groups:
        for point in sorted(set(group)):
            if not out or out[-1] != point:
                out.append(point)
    return out


def _columns(key: str, count: int, rows: list[tuple], x: str) -> dict:
    if x == "time":
        rows = sorted(rows, key=lambda r: r[2])
    return {"key": key, "count": count, "step": [r[0] for r in rows],
            "value": [r[1] for r in rows], "time": [r[2] for r in rows]}


def series_for(run_ids: list[int], keys: list[str] | None, points: int = 1000,
               x: str = "step") -> dict[int, list[dict]]:
    """{run_id: [{key, count, step[], value[], time[]}]} for the runs and keys asked."""
    summaries = MetricSummary.objects.filter(run_id__in=run_ids)
    if keys:
        summaries = summaries.filter(key__in=keys)
    buckets = max(points // 4, 1)
    raw, by_width = [], defaultdict(list)
    for s in summaries.values_list("run_id", "key", "count", "first_step", "last_step"):
        run_id, key, count, first, last = s
        if count <= points:
            raw.append((run_id, key, count))
        else:
            by_width[choose_width(last - first + 1, buckets)].append((run_id, key, count))
    result: dict[int, list[dict]] = {run_id: [] for run_id in run_ids}
    for run_id, key, count, rows in _raw_series(raw):
        result[run_id].append(_columns(key, count, rows, x))
    for width, wanted in by_width.items():
        for run_id, key, count, rows in _rolled_series(width, wanted):
            result[run_id].append(_columns(key, count, rows, x))
    for lines in result.values():
        lines.sort(key=lambda line: line["key"])
    return result


def _raw_series(short: list[tuple]):
    """Series short enough to send as stored."""
    if not short:
        return
    counts = {(run_id, key): count for run_id, key, count in short}
    rows = (MetricPoint.objects
            .filter(run_id__in={r for r, _ in counts}, key__in={k for _, k in counts})
            .order_by("run_id", "key", "step", "id")
            .values_list("run_id", "key", "step", "value", "time"))
    groups = defaultdict(list)
    for run_id, key, step, value, at in rows:
        if (run_id, key) in counts:
            groups[(run_id, key)].append((step, value, at))
    for (run_id, key), points in groups.items():
        yield run_id, key, counts[(run_id, key)], points


def _rolled_series(width: int, wanted: list[tuple]):
    counts = {(run_id, key): count for run_id, key, count in wanted}
    rows = (MetricRollup.objects
            .filter(width=width, run_id__in={r for r, _, _ in wanted}, key__in={k for _, k, _ in wanted})
            .order_by("run_id", "key", "bucket")
            .values_list("run_id", "key", "first_step", "first_value", "first_time",
                         "last_step", "last_value", "last_time", "min_step", "min_value", "min_time",
                         "max_step", "max_value", "max_time"))
    groups = defaultdict(list)
    for r in rows:
        if (r[0], r[1]) in counts:
            groups[(r[0], r[1])].append((r[2:5], r[5:8], r[8:11], r[11:14]))
    for (run_id, key), buckets in groups.items():
        yield run_id, key, counts[(run_id, key)], _flatten(buckets)
