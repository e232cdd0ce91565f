"""The Celery app: configured from Django settings (CELERY_* names).

Queues are named in workers/tasks/queues.py; tasks live in workers/tasks and
go through the house decorator in workers/tasks/base.py.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")

app = Celery("netweave")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers.tasks"], related_name="runs")

# Housekeeping for `celery beat` in team mode; workers also reap at start-up
# and from every run's supervision loop, so standalone mode needs no beat.
app.conf.task_default_queue = "cpu"
app.conf.beat_schedule = {
    "reap-lost-runs": {"task": "netweave.reap_runs", "schedule": 60.0},
}
