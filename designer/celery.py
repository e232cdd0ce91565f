"""The Celery app: configured from Django settings (CELERY_* names).

Queues are named in designer/runs/queues.py; tasks live in their app's
tasks.py (designer/runs/tasks.py) and go through the house decorator in
designer/core/tasks.py. Nothing under workers/ imports Celery.
"""
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")

app = Celery("netweave")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["designer.runs"])

# Housekeeping for `celery beat` in team mode; workers also reap at start-up
# and from every run's supervision loop, so standalone mode needs no beat.
app.conf.task_default_queue = "cpu"
_every = settings.NETWEAVE_HOUSEKEEPING_SECONDS
app.conf.beat_schedule = {
    # Expires: a message that waited longer than the interval (busy workers) is dropped, not piled up.
    "reap-lost-runs": {"task": "netweave.reap_runs", "schedule": _every, "options": {"expires": _every}},
}


@task_prerun.connect
@task_postrun.connect
def _back_to_the_pool(**_kwargs) -> None:
    """Each task starts with a connection from the pool (checked there), not one left over.

    Celery's own fix-up would close the whole pool instead (see
    CELERY_DB_REUSE_MAX in settings): a fresh connection per task.
    """
    close_old_connections()
