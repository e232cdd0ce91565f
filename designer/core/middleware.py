"""Refuse oversized API requests before anything reads their body.

Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only when `request.body` is read;
DRF's JSON parser reads the stream directly, so the limit is checked here
from Content-Length instead. Uploads (multipart) have their own, larger limit.
"""
from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse


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
