"""The one reader of metric series: about `points` points a line, spikes and ends kept.

Every series answer comes from here: `GET /api/series` (one run's or many runs'
lines as JSON, or with `format=csv` every stored point, `stored_points`) and the
compare view's (`GET /api/compare`).

What is read: short series (at most `points` stored) as they are; long ones
from the M4 rollups the ingest keeps (designer/runs/rollup.py): the finest
width whose buckets number at most points/4, each bucket's first, last, lowest
and highest point, in step order, a point equal to the one before dropped. So
100 runs × 10,000 steps read ~31,000 small rows, not two million. Points must be
written through designer.runs.ingest.write_points (the ingest does), which keeps
the summaries and rollups read here; `m4()` is the same downsampling over raw
rows (the reference the tests compare to).

How it is read on PostgreSQL: the database packs each line's columns into one
bytea apiece (int8send / float8send, in bucket order), numpy reads them without
a Python object per point and flattens the buckets, and the views write the
arrays with orjson (benches/bench_runs_series.py, bench_dashboard_compare.py).
Other databases (standalone SQLite) read rows through the ORM.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import psycopg
from django.db import connection, transaction

from designer.runs.models import ROLLUP_WIDTHS, MetricPoint, MetricRollup, MetricSummary
from designer.runs.storage import is_postgres

MAX_POINTS = 10_000
# Rows fetched at a time by the CSV export (a series of millions of points is streamed).
CHUNK = 2000
X_AXES = ("step", "time")
PARTS = ("first", "last", "min", "max")
FIELDS = {"step": ("int8send", ">i8"), "value": ("float8send", ">f8"), "time": ("float8send", ">f8")}


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


def flatten_buckets(parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """(buckets, 4) arrays per field → each bucket's four points in step order, a point
    equal to the one before dropped (`_flatten`, vectorised)."""
    order = np.argsort(parts["step"], axis=1, kind="stable")
    flat = {f: np.take_along_axis(a, order, axis=1).ravel() for f, a in parts.items()}
    keep = np.ones(flat["step"].shape, dtype=bool)
    same = np.ones(flat["step"].shape[0] - 1 if flat["step"].size else 0, dtype=bool)
    for a in flat.values():
        same &= a[1:] == a[:-1]
    keep[1:] = ~same
    return {f: a[keep] for f, a in flat.items()}


def _plan(run_ids: list[int], keys: list[str] | None, points: int):
    """Which lines are sent whole, and which are read from rollups of which width:
    ([(run, key, count)], {width: [(run, key, count)]})."""
    summaries = MetricSummary.objects.filter(run_id__in=run_ids)
    if keys:
        summaries = summaries.filter(key__in=keys)
    buckets = max(points // 4, 1)
    short, by_width = [], defaultdict(list)
    for run_id, key, count, first, last in summaries.values_list(
            "run_id", "key", "count", "first_step", "last_step"):
        if count <= points:
            short.append((run_id, key, count))
        else:
            by_width[choose_width(last - first + 1, buckets)].append((run_id, key, count))
    return short, by_width


def read_series(run_ids: list[int], keys: list[str] | None, points: int = 1000, x: str = "step",
                times: bool = True) -> dict[int, list[dict]]:
    """{run_id: [{key, count, step, value, time}]}, lines sorted by key, columns of equal
    length (numpy arrays on PostgreSQL, lists elsewhere: orjson writes both). x=time
    orders each line by time; `times=False` leaves the time column out unless x=time."""
    with_time = times or x == "time"
    fields = ("step", "value", "time") if with_time else ("step", "value")
    short, by_width = _plan(run_ids, keys, points)
    result: dict[int, list[dict]] = {run_id: [] for run_id in run_ids}
    found = _postgres_lines(short, by_width, fields) if is_postgres() else _orm_lines(short, by_width, fields)
    for run_id, key, count, line in found:
        result[run_id].append(_line(key, count, line, x))
    for lines in result.values():
        lines.sort(key=lambda line: line["key"])
    return result


def series_for(run_ids: list[int], keys: list[str] | None, points: int = 1000,
               x: str = "step") -> dict[int, list[dict]]:
    """read_series with plain lists (for Python callers and tests)."""
    return {run_id: [{k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in line.items()}
                     for line in lines]
            for run_id, lines in read_series(run_ids, keys, points, x).items()}


def _line(key: str, count: int, line: dict, x: str) -> dict:
    if x == "time":
        order = np.argsort(np.asarray(line["time"]), kind="stable")
        line = {f: np.asarray(a)[order] for f, a in line.items()}
    return {"key": key, "count": count, **line}


# PostgreSQL: one row a line, each column packed in bytea.

def _postgres_lines(short: list, by_width: dict, fields: tuple):
    # A hundred runs' buckets (~30,000 rows, a few MB) are sorted in memory, not on disk.
    with transaction.atomic():
        with connection.cursor() as django_cursor:
            django_cursor.execute("SET LOCAL work_mem = '64MB'")
        with psycopg.Cursor(connection.connection) as cursor:
            yield from _raw(cursor, short, fields)
            for width, wanted in by_width.items():
                yield from _rolled(cursor, width, wanted, fields)


def _where(wanted: list[tuple]) -> tuple[str, list]:
    """Rows of the runs and keys asked (a pair not asked is skipped by `_rows`)."""
    return ("t.run_id = ANY(%s) AND t.key = ANY(%s)",
            [sorted({r for r, _, _ in wanted}), sorted({k for _, k, _ in wanted})])


def _packed(column: str, field: str, order: str) -> str:
    send, _ = FIELDS[field]
    return f"string_agg({send}(t.{column}), ''::bytea ORDER BY {order})"


def _unpack(blob: bytes | None, field: str) -> np.ndarray:
    return np.frombuffer(blob or b"", dtype=FIELDS[field][1]).astype(FIELDS[field][1][1:])


def _rows(cursor, sql: str, params: list, wanted: list[tuple]):
    counts = {(r, k): c for r, k, c in wanted}
    cursor.execute(sql, params, binary=True)
    for run_id, key, *blobs in cursor.fetchall():
        if (run_id, key) in counts:
            yield run_id, key, counts[(run_id, key)], blobs


def _raw(cursor, short: list[tuple], fields: tuple):
    if not short:
        return
    where, params = _where(short)
    columns = ", ".join(_packed(f, f, "t.step, t.id") for f in fields)
    sql = (f"SELECT t.run_id, t.key, {columns} FROM {MetricPoint._meta.db_table} t WHERE {where} "
           "GROUP BY t.run_id, t.key")
    for run_id, key, count, blobs in _rows(cursor, sql, params, short):
        yield run_id, key, count, {f: _unpack(b, f) for f, b in zip(fields, blobs)}


def _rolled(cursor, width: int, wanted: list[tuple], fields: tuple):
    where, params = _where(wanted)
    columns = ", ".join(_packed(f"{part}_{f}", f, "t.bucket") for part in PARTS for f in fields)
    sql = (f"SELECT t.run_id, t.key, {columns} FROM {MetricRollup._meta.db_table} t "
           f"WHERE {where} AND t.width = %s GROUP BY t.run_id, t.key")
    for run_id, key, count, blobs in _rows(cursor, sql, [*params, width], wanted):
        # (buckets, 4) per field: each bucket's first, last, min and max point.
        parts = {f: np.stack([_unpack(blobs[i * len(fields) + j], f) for i in range(len(PARTS))], axis=1)
                 for j, f in enumerate(fields)}
        yield run_id, key, count, flatten_buckets(parts)


# Other databases: rows through the ORM, flattened in Python.

def _orm_lines(short: list, by_width: dict, fields: tuple):
    wanted = {(r, k): c for r, k, c in short}
    groups = defaultdict(list)
    if wanted:
        rows = (MetricPoint.objects.filter(run_id__in={r for r, _ in wanted}, key__in={k for _, k in wanted})
                .order_by("run_id", "key", "step", "id").values_list("run_id", "key", "step", "value", "time"))
        for run_id, key, *point in rows:
            if (run_id, key) in wanted:
                groups[(run_id, key)].append(tuple(point))
    for width, pairs in by_width.items():
        yield from _orm_rolled(width, {(r, k): c for r, k, c in pairs}, fields)
    for (run_id, key), points in groups.items():
        yield run_id, key, wanted[(run_id, key)], _columns(points, fields)


def _orm_rolled(width: int, wanted: dict, fields: tuple):
    columns = [f"{part}_{f}" for part in PARTS for f in ("step", "value", "time")]
    rows = (MetricRollup.objects
            .filter(width=width, run_id__in={r for r, _ in wanted}, key__in={k for _, k in wanted})
            .order_by("run_id", "key", "bucket").values_list("run_id", "key", *columns))
    groups = defaultdict(list)
    for run_id, key, *values in rows:
        if (run_id, key) in wanted:
            groups[(run_id, key)].append([tuple(values[i:i + 3]) for i in range(0, 12, 3)])
    for (run_id, key), buckets in groups.items():
        yield run_id, key, wanted[(run_id, key)], _columns(_flatten(buckets), fields)


def _columns(points: list[tuple], fields: tuple) -> dict:
    return {f: [p[i] for p in points] for i, f in enumerate(("step", "value", "time")) if f in fields}


def stored_points(run_ids: list[int], keys: list[str] | None):
    """A header, then every stored point (not downsampled) of the runs and keys asked, in step order."""
    yield ["run", "key", "step", "value", "time"]
    points = MetricPoint.objects.filter(run_id__in=run_ids)
    if keys:
        points = points.filter(key__in=keys)
    rows = points.order_by("run_id", "key", "step", "id").values_list("run_id", "key", "step", "value", "time")
    yield from rows.iterator(chunk_size=CHUNK)
