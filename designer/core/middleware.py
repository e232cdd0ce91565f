"""Refuse oversized API requests before anything reads their body.

Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only when `request.body` is read;
DRF's JSON parser reads the stream directly, so the limit is checked here
from Content-Length instead. Uploads (multipart) have their own, larger limit.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import OperationalError
from django.http import JsonResponse

log = logging.getLogger("netweave.core")


class RequestSizeLimitMiddleware:
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
        if request.content_type == "multipart/form-data":
            limit, setting = settings.NETWEAVE_MAX_UPLOAD_BYTES, "NETWEAVE_MAX_UPLOAD_BYTES"
        else:
            limit, setting = settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "NETWEAVE_MAX_REQUEST_BYTES"
        if length > limit:
            return JsonResponse(
                {
                    "detail": f"The request body is {length:,} bytes; the limit is {limit:,} bytes. "
                    f"Send less, or raise {setting} on the server.",
                    "errors": [
                        {"node": None, "port": None, "field": None,
                         "message": f"request body over {limit:,} bytes"}
                    ],
                },
                status=400,
            )
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
