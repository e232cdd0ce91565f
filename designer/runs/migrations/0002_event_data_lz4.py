"""Compress RunEvent.data with lz4 instead of pglz (PostgreSQL 14+ built with lz4).

A metrics event holds ~80 kB of JSON per 1,000 points. pglz took ~1.4 ms to
compress one on insert, lz4 ~0.3 ms for about the same size on disk
(measured on PostgreSQL 15; see docs/benchmarks.md). Rows already stored
keep their pglz data and read as before. Elsewhere (SQLite, a PostgreSQL
without lz4) this does nothing.
"""
from django.db import DatabaseError, migrations, transaction


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("ALTER TABLE runs_runevent ALTER COLUMN data SET COMPRESSION lz4")
    except DatabaseError:
        pass  # no lz4 in this server: pglz it stays


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE runs_runevent ALTER COLUMN data SET COMPRESSION default")


class Migration(migrations.Migration):

    dependencies = [("runs", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
