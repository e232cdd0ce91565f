"""A sweep's Optuna study, in the project's own database (PostgreSQL in team mode, SQLite standalone)."""
from __future__ import annotations

import time

from django.db import connection

from designer.runs.models import Run


def storage_url(hide_password: bool = False) -> str:
    """The service's database as a SQLAlchemy URL, for Optuna's RDBStorage.

    Trials get it with the password hidden (``***``) in their job.json: the
    child takes the password from the DATABASE_URL it inherits from its worker."""
    from sqlalchemy.engine import URL

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    url = URL.create("postgresql+psycopg", username=db.get("USER") or None, password=db.get("PASSWORD") or None,
                     host=db.get("HOST") or None, port=int(db["PORT"]) if db.get("PORT") else None,
                     database=db["NAME"])
    return url.render_as_string(hide_password=hide_password)


def study_name(sweep: Run) -> str:
    return f"netweave-sweep-{sweep.pk}"


def sweep_config(sweep: Run):
    from workers.engine.tune import TuneConfig

    return TuneConfig.model_validate(sweep.config)


# Storage URLs whose Optuna tables this process has made or checked: a sweep's first step
# elsewhere then skips the check (~1-4 s: Alembic's schema check); tables found missing later
# (a database made again) fail the first try, and the next one makes them.
_CHECKED: set[str] = set()


def open_sweep_study(sweep: Run, config, create: bool | None = None, pooled: bool = False):
    """The sweep's study; the sampler's seed moves on with the trials so far (docs/contracts.md).
    ``pooled``: one connection for all of this user's storage calls, closed by ``close_study``.

    Optuna creates its tables on first use: two processes doing it at once (two sweeps'
    first steps) may collide once, and the second try finds them made."""
    from optuna.exceptions import StorageInternalError
    from sqlalchemy.exc import SQLAlchemyError

    from workers.engine.tune import open_study

    count, url = sweep.trials.count(), storage_url()
    # Once a sweep has trials, Optuna's tables exist: skip creating and checking them.
    create = (count == 0 and url not in _CHECKED) if create is None else create
    for attempt in range(3):
        try:
            study = open_study(url, study_name(sweep), config, offset=count, create=create or attempt > 0,
                               pooled=pooled)
            _CHECKED.add(url)
            return study
        except (SQLAlchemyError, StorageInternalError):  # a collision, or tables not made yet: the next try makes them
            if attempt == 2:
                raise
            time.sleep(0.5 + attempt)
    raise AssertionError("unreachable")


def trial_ids(study) -> tuple:
    """(storage, study id): Optuna's storage calls by trial number."""
    return study._storage, study._study_id
