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

import json
from collections import defaultdict

from django.db import connection, transaction

from designer.runs.models import ROLLUP_WIDTHS, MetricPoint, MetricRollup, MetricSummary
from designer.runs.storage import is_postgres

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


def _plan(run_ids: list[int], keys: list[str] | None, points: int):
    """Which series are sent whole, and which are read from rollups of which width."""
    summaries = MetricSummary.objects.filter(run_id__in=run_ids)
    if keys:
        summaries = summaries.filter(key__in=keys)
    buckets = max(points // 4, 1)
    raw, by_width = {}, defaultdict(dict)
    for run_id, key, count, first, last in summaries.values_list(
            "run_id", "key", "count", "first_step", "last_step"):
        if count <= points:
            raw[(run_id, key)] = count
        else:
            by_width[choose_width(last - first + 1, buckets)][(run_id, key)] = count
    return raw, by_width


def series_lines(run_ids: list[int], keys: list[str] | None, points: int = 1000,
                 x: str = "step") -> dict[int, list[str]]:
    """{run_id: [JSON text of {key, count, step[], value[], time[]}]}, lines sorted by key.

    On PostgreSQL the lines are built as JSON by the database: a compare view
    of 100 runs sends ~200,000 numbers, which Python would spend most of the
    request turning into objects and back into text.
    """
    raw, by_width = _plan(run_ids, keys, points)
    found = _sql_lines(raw, by_width, x) if is_postgres() else _python_lines(raw, by_width, x)
    result: dict[int, list[tuple[str, str]]] = {run_id: [] for run_id in run_ids}
    for (run_id, key), text in found:
        result[run_id].append((key, text))
    return {run_id: [text for _, text in sorted(lines)] for run_id, lines in result.items()}


def series_for(run_ids: list[int], keys: list[str] | None, points: int = 1000,
               x: str = "step") -> dict[int, list[dict]]:
    """The same as objects: {run_id: [{key, count, step[], value[], time[]}]}."""
    return {run_id: [json.loads(line) for line in lines]
            for run_id, lines in series_lines(run_ids, keys, points, x).items()}


def _python_lines(raw: dict, by_width: dict, x: str):
    for (run_id, key), rows in _raw_series(raw):
        yield (run_id, key), json.dumps(_columns(key, raw[(run_id, key)], rows, x))
    for width, wanted in by_width.items():
        for (run_id, key), rows in _rolled_series(width, wanted):
            yield (run_id, key), json.dumps(_columns(key, wanted[(run_id, key)], rows, x))


def _raw_series(counts: dict):
    """Series short enough to send as stored."""
    if not counts:
        return
    rows = (MetricPoint.objects
            .filter(run_id__in={r for r, _ in counts}, key__in={k for _, k in counts})
            .order_by("run_id", "key", "step", "id")
            .values_list("run_id", "key", "step", "value", "time"))
    groups = defaultdict(list)
    for run_id, key, step, value, at in rows:
        if (run_id, key) in counts:
            groups[(run_id, key)].append((step, value, at))
    yield from groups.items()


def _rolled_series(width: int, counts: dict):
    rows = (MetricRollup.objects
            .filter(width=width, run_id__in={r for r, _ in counts}, key__in={k for _, k in counts})
            .order_by("run_id", "key", "bucket")
            .values_list("run_id", "key", "first_step", "first_value", "first_time",
                         "last_step", "last_value", "last_time", "min_step", "min_value", "min_time",
                         "max_step", "max_value", "max_time"))
    groups = defaultdict(list)
    for r in rows:
        if (r[0], r[1]) in counts:
            groups[(r[0], r[1])].append((r[2:5], r[5:8], r[8:11], r[11:14]))
    for pair, buckets in groups.items():
        yield pair, _flatten(buckets)


# The aggregates read rows in the order the subquery gives them (one ORDER BY
# there, not one per json_agg). Rollups need no sort at all for x=step: the
# index yields buckets in order and each bucket's points come out sorted.
_AS_JSON = """SELECT run_id, key, json_build_object(
    'step', json_agg(step), 'value', json_agg(value), 'time', json_agg(time))::text
    FROM ({rows}) AS d GROUP BY run_id, key"""
_RAW_ROWS = """SELECT run_id, key, step, value, time FROM {points}
    WHERE run_id = ANY(%s) AND key = ANY(%s) ORDER BY run_id, key, {order}, id"""
# The four points of each bucket in step order (first <= min, max <= last;
# whichever of min and max comes first goes second), each once: a bucket's
# first point is often its min or max.
_LOW_FIRST = "r.min_step <= r.max_step"
_ROLLED_ROWS = f"""SELECT r.run_id, r.key, p.step, p.value, p.time
    FROM {{rollups}} AS r CROSS JOIN LATERAL (VALUES
        (1, r.first_step, r.first_value, r.first_time),
        (2, LEAST(r.min_step, r.max_step), CASE WHEN {_LOW_FIRST} THEN r.min_value ELSE r.max_value END,
            CASE WHEN {_LOW_FIRST} THEN r.min_time ELSE r.max_time END),
        (3, GREATEST(r.min_step, r.max_step), CASE WHEN {_LOW_FIRST} THEN r.max_value ELSE r.min_value END,
            CASE WHEN {_LOW_FIRST} THEN r.max_time ELSE r.min_time END),
        (4, r.last_step, r.last_value, r.last_time)
    ) AS p(n, step, value, time)
    WHERE r.width = %s AND r.run_id = ANY(%s) AND r.key = ANY(%s)
      AND NOT (p.n = 2 AND p.step = r.first_step)
      AND NOT (p.n = 3 AND p.step IN (r.first_step, LEAST(r.min_step, r.max_step)))
      AND NOT (p.n = 4 AND r.last_step IN (r.first_step, r.min_step, r.max_step))
    ORDER BY r.run_id, r.key, r.bucket, p.n{{then}}"""


def _sql_lines(raw: dict, by_width: dict, x: str):
    queries = []
    if raw:
        rows = _RAW_ROWS.format(points=MetricPoint._meta.db_table, order="time, step" if x == "time" else "step")
        queries.append((rows, [], raw))
    for width, wanted in by_width.items():
        then = ""
        rows = _ROLLED_ROWS.format(rollups=MetricRollup._meta.db_table, then=then)
        if x == "time":
            rows = f"SELECT * FROM ({rows}) AS t ORDER BY run_id, key, time, step"
        queries.append((rows, [width], wanted))
    with transaction.atomic(), connection.cursor() as cursor:
        # Sorts in memory, not on disk (4 MB default); and one process, so
        # rows reach the aggregates in the subquery's order.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        for rows, params, counts in queries:
            cursor.execute(_AS_JSON.format(rows=rows),
                           [*params, sorted({r for r, _ in counts}), sorted({k for _, k in counts})])
            for run_id, key, text in cursor.fetchall():
                if (run_id, key) in counts:
                    # '{"step" : ...}' becomes '{"key": ..., "count": N, "step" : ...}'.
                    yield (run_id, key), f'{{"key": {json.dumps(key)}, "count": {counts[(run_id, key)]}, {text[1:]}'
