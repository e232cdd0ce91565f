"""Django's PostgreSQL backend, its pool replacing every dead connection as soon as it finds one.

psycopg's pool checks a connection before handing it out and, when the check fails,
waits before trying the next one (1 s, then 2, 4, 8...). After PostgreSQL restarts, or
drops every connection, each idle connection of a process is dead: a process holding
four of them made its next request wait past the pool's timeout and fail. Here the first
failed check checks every idle connection at once (the pool's own `check()`: it discards
the dead ones and opens their replacements), so the next try finds a live one.
"""
from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


class _Pool(ConnectionPool):
    def __init__(self, *args, check=None, **kwargs):
        super().__init__(*args, check=self._check_or_sweep if check else None, **kwargs)

    def _check_or_sweep(self, conn) -> None:
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            self.check()  # the others are likely dead too: replace them all now
            raise


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        options = self.settings_dict["OPTIONS"].get("pool", False)
        if not options or self.alias in (base.NO_DB_ALIAS, *self._connection_pools):
            return super().pool
        if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
            raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
        pool = _Pool(
            kwargs={**self.get_connection_params(), "autocommit": True},  # as Django's: it sets autocommit later
            open=False, configure=self._configure_connection,
            check=self.settings_dict["CONN_HEALTH_CHECKS"],
            **({} if options is True else options),
        )
        # setdefault: of two threads creating the first pool, one pool wins (it is not open yet).
        return self._connection_pools.setdefault(self.alias, pool)
