"""The compare view's series: the runs app's M4 downsampling, read the fast way on PostgreSQL.

designer/runs/series.py decides what to read (raw points for short series,
the rollup width for long ones) and how a bucket's four points become a
line; this module reuses those pieces and changes only how rows come back.
For 100 runs × 2 keys that is ~31,000 rollup rows: psycopg's text parsing of
them took ~350 ms on the development machine, binary results ~100 ms
(benches/bench_dashboard_compare.py). Times are sent only for x=time, where
they are the axis. Other databases (standalone SQLite) use series_for as is.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import groupby

import psycopg
from django.db import connection, transaction

from designer.runs.models import MetricPoint, MetricRollup, MetricSummary
from designer.runs.series import _flatten, choose_width, series_for

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
    for run_id, key, count, rows in _raw(cursor, short, with_time):
        result[run_id].append(_line(key, count, rows, with_time))
    for width, wanted in by_width.items():
        for run_id, key, count, rows in _rolled(cursor, width, wanted, with_time):
            result[run_id].append(_line(key, count, rows, with_time))


def _where(wanted: list[tuple]) -> tuple[str, list]:
    """Rows of the runs and keys asked (a pair not asked is skipped by the caller)."""
    return "t.run_id = ANY(%s) AND t.key = ANY(%s)", [sorted({r for r, _, _ in wanted}), sorted({k for _, k, _ in wanted})]


def _raw(cursor, short: list[tuple], with_time: bool):
    if not short:
        return
    counts = {(r, k): c for r, k, c in short}
    where, params = _where(short)
    columns = "t.run_id, t.key, t.step, t.value" + (", t.time" if with_time else "")
    cursor.execute(f"SELECT {columns} FROM {MetricPoint._meta.db_table} t WHERE {where} "
                   "ORDER BY t.run_id, t.key, t.step, t.id", params, binary=True)
    for (run_id, key), rows in groupby(cursor.fetchall(), key=lambda r: (r[0], r[1])):
        if (run_id, key) in counts:
            yield run_id, key, counts[(run_id, key)], [r[2:] for r in rows]


def _rolled(cursor, width: int, wanted: list[tuple], with_time: bool):
    counts = {(r, k): c for r, k, c in wanted}
    where, params = _where(wanted)
    fields = ("step", "value", "time") if with_time else ("step", "value")
    columns = ", ".join(f"t.{part}_{f}" for part in PARTS for f in fields)
    cursor.execute(f"SELECT t.run_id, t.key, {columns} FROM {MetricRollup._meta.db_table} t "
                   f"WHERE {where} AND t.width = %s ORDER BY t.run_id, t.key, t.bucket", [*params, width], binary=True)
    n = len(fields)
    for (run_id, key), rows in groupby(cursor.fetchall(), key=lambda r: (r[0], r[1])):
        if (run_id, key) in counts:
            groups = ([r[2 + i * n:2 + (i + 1) * n] for i in range(len(PARTS))] for r in rows)
            yield run_id, key, counts[(run_id, key)], _flatten(groups)


def _line(key: str, count: int, rows: list[tuple], with_time: bool) -> dict:
    if with_time:
        rows = sorted(rows, key=lambda r: r[2])
    line = {"key": key, "count": count, "step": [r[0] for r in rows], "value": [r[1] for r in rows]}
    if with_time:
        line["time"] = [r[2] for r in rows]
    return line
