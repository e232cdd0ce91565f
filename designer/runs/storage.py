"""Fast bulk writes for the metric tables, one way per database.

The ORM costs more per row than the database does (expression resolution,
query conversion): at 1,000 points a batch that caps ingest near 10,000
points/s. PostgreSQL gets COPY for points and `unnest` arrays for upserts
(one short statement whatever the batch size); SQLite gets executemany.
"""
from __future__ import annotations

from django.db import connection

# Column types for PostgreSQL's unnest(): the upsert sends one array per column.
BIGINT, TEXT, FLOAT = "bigint", "text", "double precision"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Append rows (no conflicts possible): COPY on PostgreSQL."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if is_postgres():
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(_copy_text(rows))
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(rows: list[tuple]) -> str:
    """Rows in COPY's text format: strings escaped (once per distinct value),
    numbers as repr (which keeps every bit of a float)."""
    escaped: dict[str, str] = {}

    def field(value) -> str:
        if value.__class__ is str:
            text = escaped.get(value)
            if text is None:
                text = escaped[value] = value.translate(_ESCAPES)
            return text
        return repr(value)

    return "".join("\t".join([field(v) for v in row]) + "\n" for row in rows)


def upsert_rows(table: str, columns: dict[str, str], rows: list[tuple],
                conflict: tuple[str, ...], updates: str) -> None:
    """INSERT ... ON CONFLICT (conflict) DO UPDATE SET updates, for many rows at once.

    `columns` maps each column to its PostgreSQL type; `updates` may use
    `excluded.<col>` and `<table>.<col>` (same syntax on both databases).
    Each conflict key may appear once in `rows`.
    """
    if not rows:
        return
    names = ", ".join(columns)
    tail = f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
    if is_postgres():
        arrays = ", ".join(f"%b::{kind}[]" for kind in columns.values())
        _server_bound(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {tail}",
                      [list(column) for column in zip(*rows)])
        return
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {tail}", rows)


def _server_bound(sql: str, params: list) -> None:
    """Execute with server-side parameters: Django's client-side binding would
    quote every array element in Python, the largest cost of a batch."""
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        # Binary parameters (%b): text arrays would be quoted element by element.
        cursor.execute(sql, params)


def relax_commit() -> None:
    """Inside an ingest transaction: do not wait for the WAL flush on commit.

    A crash of PostgreSQL itself may lose the last fraction of a second of
    metric points (never corrupt anything); every batch saves a disk sync.
    """
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
