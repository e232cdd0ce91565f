"""Celery tasks: ids in, rows re-read, work handed to designer/ and workers/engine."""
