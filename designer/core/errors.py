"""One error shape for every API failure.

Every error body has a `detail` sentence. Problems with specific input also
carry `errors`: a list of `{node, port, field, message}` (docs/contracts.md),
the same shape the engine uses for graph problems, so the editor can put
each message next to the node or form field it belongs to.
"""
from __future__ import annotations

from django.db.models import ProtectedError, RestrictedError
from rest_framework import status
from rest_framework.exceptions import APIException, AuthenticationFailed, NotAuthenticated, ValidationError
from rest_framework.response import Response


def error(message: str, *, node=None, port=None, field=None) -> dict:
    return {"node": node, "port": port, "field": field, "message": message}


class InputProblem(APIException):
    """A 400 with a list of errors in the shared shape."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request has problems; see errors."

    def __init__(self, errors: list[dict], detail: str | None = None):
        self.errors = [error(**{k: e.get(k) for k in ("node", "port", "field", "message")}) for e in errors]
        if detail is None:
            first = self.errors[0]["message"] if self.errors else ""
            more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            detail = f"{first}{more}" if first else self.default_detail
        super().__init__(detail)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."


class StoreUnavailable(APIException):
    """The object store (NETWEAVE_STORAGE=s3) did not answer: nothing was changed."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The file store cannot be reached; try again shortly."


def _flatten(detail, prefix: str = "") -> list[dict]:
    """DRF's nested {field: [messages]} → a flat list in the shared shape."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            if isinstance(key, int):  # a list item's errors: input_shape[1]
                out += _flatten(value, f"{prefix}[{key}]")
                continue
            name = key if key != "non_field_errors" else ""
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [error(str(item), field=prefix or None) for item in detail]
        out = []
        for index, item in enumerate(detail):
            out += _flatten(item, f"{prefix}[{index}]")
        return out
    return [error(str(detail), field=prefix or None)]


def exception_handler(exc, context):
    # Imported here: rest_framework.views loads the API settings, whose
    # pagination and parser classes import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, (ProtectedError, RestrictedError)):
        exc = Conflict(
            "It is still used elsewhere (for example by runs that pinned one of its versions); "
            "delete those first."
        )
    if isinstance(exc, ValidationError) and not isinstance(exc, InputProblem):
        exc = InputProblem(_flatten(exc.detail))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, InputProblem):
        response.data = {"detail": str(exc.detail), "errors": exc.errors}
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": str(response.data)}
    if isinstance(exc, (NotAuthenticated, AuthenticationFailed)):
        # Both come as 403 with session auth: the code tells "log in again" from "not allowed".
        response.data["code"] = "not_authenticated"
    return response


def json_error(message: str, status_code: int) -> Response:
    return Response({"detail": message}, status=status_code)
