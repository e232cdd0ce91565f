"""Slow down password guessing: after too many failed logins from one address, refuse for a while.

Only failures count, so people who type their password right are never held
up. Counts live in Django's cache (per process unless a shared cache is set).
"""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled


def _key(request) -> str:
    return f"netweave:failed-logins:{request.META.get('REMOTE_ADDR', '')}"


def refuse_if_locked_out(request) -> None:
    if cache.get(_key(request), 0) >= settings.NETWEAVE_LOGIN_FAILURES:
        raise Throttled(
            wait=settings.NETWEAVE_LOGIN_LOCKOUT_SECONDS,
            detail="Too many failed logins from this address; try again later.",
        )


def record_failure(request) -> None:
    key = _key(request)
    cache.add(key, 0, timeout=settings.NETWEAVE_LOGIN_LOCKOUT_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.NETWEAVE_LOGIN_LOCKOUT_SECONDS)
