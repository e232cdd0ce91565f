"""Refuse oversized API requests before anything reads their body; a database
that is unavailable is a 503.

Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only when `request.body` is read;
DRF's JSON parser reads the stream directly, so the limit is checked here
from Content-Length instead. Uploads (multipart) have their own, larger limit.
Under ASGI Django reads the whole body to a temporary file before any
middleware runs: designer/core/body_limit.py refuses it earlier there.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import OperationalError
from django.http import JsonResponse

log = logging.getLogger("netweave.core")


def body_limit(content_type: str) -> tuple[int, str]:
    """The largest body allowed for this content type, and the setting that sets it."""
    if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
        return settings.NETWEAVE_MAX_UPLOAD_BYTES, "NETWEAVE_MAX_UPLOAD_BYTES"
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "NETWEAVE_MAX_REQUEST_BYTES"


def too_large(limit: int, setting: str, length: int | None = None) -> dict:
    """The 400 body for a request over its limit (`length`: its Content-Length, if it said)."""
    size = f"The request body is {length:,} bytes" if length is not None else "The request body is larger"
    return {
        "detail": f"{size}; the limit is {limit:,} bytes. Send less, or raise {setting} on the server.",
        "errors": [{"node": None, "port": None, "field": None, "message": f"request body over {limit:,} bytes"}],
    }


class RequestSizeLimitMiddleware:
    """Content-Length checked before a view reads the body (WSGI and the test
    client; under ASGI `BodyLimit` has refused it before Django saw it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            refusal = self.refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def refusal(request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Content-Length is not a number."}, status=400)
        limit, setting = body_limit(request.content_type or "")
        if length > limit:
            return JsonResponse(too_large(limit, setting, length), status=400)
        return None


class DatabaseUnavailableMiddleware:
    """A database that is down, restarting or out of pooled connections is a
    503 the client may retry, not a 500: nothing was wrong with the request."""

    RETRY_AFTER_SECONDS = 2

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError) or not request.path.startswith("/api/"):
            return None
        log.warning("database unavailable for %s %s: %s", request.method, request.path, exception)
        response = JsonResponse(
            {"detail": "The database is busy or unavailable; try again in a moment."}, status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
