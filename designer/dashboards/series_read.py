"""The compare view's series: the runs app's M4 downsampling, read the fast way on PostgreSQL.

designer/runs/series.py decides what to read (raw points for short series,
the rollup width for long ones) and what a line is made of (each bucket's
first, last, lowest and highest point, in step order, without repeats);
this module keeps those rules and changes how the rows come back. For 100
runs × 2 keys that is ~31,000 rollup rows: as Python tuples (text or binary)
they cost 0.3-0.6 s on the development machine before a line was built.
Here PostgreSQL packs each line's columns into one bytea apiece (int8send /
float8send, in bucket order), numpy reads them without a Python object per
point and does the sort and de-duplication per bucket, and orjson writes
the arrays (benches/bench_dashboard_compare.py). Times are sent only for
x=time, where they are the axis. Other databases (standalone SQLite) use
series_for as it is.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import psycopg
from django.db import connection, transaction

from designer.runs.models import MetricPoint, MetricRollup, MetricSummary
from designer.runs.series import choose_width, series_for

PARTS = ("first", "last", "min", "max")


def compare_series(run_ids: list[int], keys: list[str], points: int, x: str) -> dict[int, list[dict]]:
    """{run_id: [{key, count, step[], value[], time[] (x=time only)}]}, lines sorted by key."""
    if connection.vendor != "postgresql":
        found = series_for(run_ids, keys, points, x)
        if x != "time":
            for lines in found.values():
                for line in lines:
                    line.pop("time", None)
        return found
    with_time = x == "time"
    buckets = max(points // 4, 1)
    short, by_width = [], defaultdict(list)
    for run_id, key, count, first, last in (MetricSummary.objects.filter(run_id__in=run_ids, key__in=keys)
                                            .values_list("run_id", "key", "count", "first_step", "last_step")):
        if count <= points:
            short.append((run_id, key, count))
        else:
            by_width[choose_width(last - first + 1, buckets)].append((run_id, key, count))
    result: dict[int, list[dict]] = {run_id: [] for run_id in run_ids}
    # A hundred runs' buckets (~30,000 rows, a few MB) are sorted in memory, not on disk.
    with transaction.atomic():
        with connection.cursor() as django_cursor:
            django_cursor.execute("SET LOCAL work_mem = '64MB'")
        with psycopg.Cursor(connection.connection) as cursor:
            _read(cursor, short, by_width, with_time, result)
    for lines in result.values():
        lines.sort(key=lambda line: line["key"])
    return result


def binary_rows(queryset) -> list[tuple]:
    """A values_list queryset's rows, in binary on PostgreSQL (the same tuples, parsed faster)."""
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def _read(cursor, short, by_width, with_time, result) -> None:
    for run_id, key, count, line in _raw(cursor, short, with_time):
        result[run_id].append(_line(key, count, line))
    for width, wanted in by_width.items():
        for run_id, key, count, line in _rolled(cursor, width, wanted, with_time):
            result[run_id].append(_line(key, count, line))


def _where(wanted: list[tuple]) -> tuple[str, list]:
    """Rows of the runs and keys asked (a pair not asked is skipped by the caller)."""
    return "t.run_id = ANY(%s) AND t.key = ANY(%s)", [sorted({r for r, _, _ in wanted}), sorted({k for _, k, _ in wanted})]


FIELDS = {"step": ("int8send", ">i8"), "value": ("float8send", ">f8"), "time": ("float8send", ">f8")}


def _packed(column: str, field: str, order: str) -> str:
    send, _ = FIELDS[field]
    return f"string_agg({send}(t.{column}), ''::bytea ORDER BY {order})"


def _unpack(blob: bytes | None, field: str) -> np.ndarray:
    return np.frombuffer(blob or b"", dtype=FIELDS[field][1]).astype(FIELDS[field][1][1:])


def _lines(cursor, sql: str, params: list, wanted: list[tuple]):
    counts = {(r, k): c for r, k, c in wanted}
    cursor.execute(sql, params, binary=True)
    for run_id, key, *blobs in cursor.fetchall():
        if (run_id, key) in counts:
            yield run_id, key, counts[(run_id, key)], blobs


def _raw(cursor, short: list[tuple], with_time: bool):
    if not short:
        return
    fields = ("step", "value", "time") if with_time else ("step", "value")
    where, params = _where(short)
    columns = ", ".join(_packed(f, f, "t.step, t.id") for f in fields)
    sql = (f"SELECT t.run_id, t.key, {columns} FROM {MetricPoint._meta.db_table} t WHERE {where} "
           "GROUP BY t.run_id, t.key")
    for run_id, key, count, blobs in _lines(cursor, sql, params, short):
        yield run_id, key, count, {f: _unpack(b, f) for f, b in zip(fields, blobs)}


def _rolled(cursor, width: int, wanted: list[tuple], with_time: bool):
    fields = ("step", "value", "time") if with_time else ("step", "value")
    where, params = _where(wanted)
    columns = ", ".join(_packed(f"{part}_{f}", f, "t.bucket") for part in PARTS for f in fields)
    sql = (f"SELECT t.run_id, t.key, {columns} FROM {MetricRollup._meta.db_table} t "
           f"WHERE {where} AND t.width = %s GROUP BY t.run_id, t.key")
    for run_id, key, count, blobs in _lines(cursor, sql, [*params, width], wanted):
        # (buckets, 4) per field: each bucket's first, last, min and max point.
        parts = {f: np.stack([_unpack(blobs[i * len(fields) + j], f) for i in range(len(PARTS))], axis=1)
                 for j, f in enumerate(fields)}
        yield run_id, key, count, flatten_buckets(parts)


def flatten_buckets(parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each bucket's four points in step order, a point equal to the one before dropped
    (designer.runs.series._flatten, vectorised)."""
    order = np.argsort(parts["step"], axis=1, kind="stable")
    flat = {f: np.take_along_axis(a, order, axis=1).ravel() for f, a in parts.items()}
    keep = np.ones(flat["step"].shape, dtype=bool)
    same = np.ones(flat["step"].shape[0] - 1 if flat["step"].size else 0, dtype=bool)
    for a in flat.values():
        same &= a[1:] == a[:-1]
    keep[1:] = ~same
    return {f: a[keep] for f, a in flat.items()}


def _line(key: str, count: int, line: dict[str, np.ndarray]) -> dict:
    """numpy arrays: orjson writes them as JSON arrays (OPT_SERIALIZE_NUMPY)."""
    if "time" in line:
        order = np.argsort(line["time"], kind="stable")
        line = {f: a[order] for f, a in line.items()}
    return {"key": key, "count": count, **line}
