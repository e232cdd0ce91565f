"""Netweave's Django project. Importing it loads the Celery app so tasks enqueue."""
from designer.celery import app as celery_app

__all__ = ["celery_app"]
