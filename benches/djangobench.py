"""Shared set-up for the benchmarks that need Django: settings and a scratch database."""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path


def setup(default_database: str) -> None:
    """Configure Django on DATABASE_URL, or on `default_database` on the local PostgreSQL."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{default_database}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")
    import django

    django.setup()


@contextlib.contextmanager
def scratch_database(test_name: str | None = None):
    """A migrated throw-away database (test_<name>, or `test_name`), dropped afterwards."""
    from django.db import connection

    if test_name:
        connection.settings_dict["TEST"]["NAME"] = test_name
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
