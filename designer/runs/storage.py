"""Fast bulk writes for the metric tables, one way per database.

The ORM costs more per row than the database does (expression resolution,
query conversion): at 1,000 points a batch that caps ingest near 10,000
points/s. PostgreSQL gets COPY for points and `unnest` arrays for upserts
(one short statement whatever the batch size); SQLite gets executemany.
"""
from __future__ import annotations

import psycopg
from django.db import connection

# Column types for PostgreSQL's unnest(): the upsert sends one array per column.
BIGINT, TEXT, FLOAT = "bigint", "text", "double precision"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def binary_rows(queryset) -> list[tuple]:
    """A values_list queryset's rows, in binary on PostgreSQL (the same tuples, parsed faster)."""
    if not is_postgres():
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Append rows (no conflicts possible): COPY on PostgreSQL."""
    if not rows:
        return
    if is_postgres():
        copy_text(table, columns, _copy_text(rows))
        return
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def copy_text(table: str, columns: tuple[str, ...], text: str) -> None:
    """PostgreSQL: COPY rows already written in COPY's text format."""
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(text)


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(rows: list[tuple]) -> str:
    """Rows in COPY's text format: strings escaped (once per distinct value),
    numbers as repr (which keeps every bit of a float)."""
    escaped: dict[str, str] = {}

    def field(value) -> str:
        if value.__class__ is str:
            text = escaped.get(value)
            if text is None:
                text = escaped[value] = value.translate(COPY_ESCAPES)
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
    if is_postgres():
        server_bound(upsert_sql(table, columns, conflict, updates), unnest_params(rows))
        return
    names = ", ".join(columns)
    tail = f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {tail}", rows)


def upsert_sql(table: str, columns: dict[str, str], conflict: tuple[str, ...], updates: str) -> str:
    """PostgreSQL: the upsert of `upsert_rows` as one statement taking one
    binary array per column (parameters from `unnest_params`); it can also
    stand as a data-modifying WITH query of a larger statement."""
    arrays = ", ".join(f"%b::{kind}[]" for kind in columns.values())
    return (f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}")


def unnest_params(rows: list[tuple]) -> list[list]:
    return [list(column) for column in zip(*rows)]


def server_bound(sql: str, params: list):
    """Execute with server-side parameters and return the first row (or None):
    Django's client-side binding would quote every array element in Python,
    the largest cost of a batch."""
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        # Binary parameters (%b): text arrays would be quoted element by element.
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


def relax_commit() -> None:
    """Inside an ingest transaction: do not wait for the WAL flush on commit.

    A crash of PostgreSQL itself may lose the last fraction of a second of
    metric points (never corrupt anything); every batch saves a disk sync.
    """
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
