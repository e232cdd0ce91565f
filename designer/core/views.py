"""Accounts (session login for the browser, tokens for scripts), health, and the fallbacks:
a JSON 404 for unknown API paths and the editor's index.html for everything else."""
from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.db import connection
from django.http import FileResponse, Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from designer.core import lockout
from designer.core.errors import InputProblem, error

log = logging.getLogger("netweave.core")


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)


USER_SHAPE = inline_serializer("User", {"id": serializers.IntegerField(), "username": serializers.CharField()})


def user_json(user) -> dict:
    return {"id": user.pk, "username": user.get_username()}


def check_credentials(request):
    lockout.refuse_if_locked_out(request)
    body = CredentialsSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    user = authenticate(request, **body.validated_data)
    if user is None:
        lockout.record_failure(request)
        raise InputProblem(
            [error("Wrong username or password.", field="password")],
            detail="Wrong username or password.",
        )
    return user


@method_decorator(ensure_csrf_cookie, name="dispatch")
class MeView(APIView):
    """The signed-in user; also hands the browser its CSRF cookie."""

    @extend_schema(responses=USER_SHAPE)
    def get(self, request):
        return Response(user_json(request.user))


@method_decorator(csrf_protect, name="dispatch")
class LoginView(APIView):
    # A login form is a CSRF target too (login CSRF): the browser sends X-CSRFToken.
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=CredentialsSerializer, responses=USER_SHAPE)
    def post(self, request):
        user = check_credentials(request)
        login(request, user)
        return Response(user_json(user))


class LogoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenView(APIView):
    """A token for scripts: send username and password, or call it while signed in."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=CredentialsSerializer,
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request):
        user = request.user if request.user.is_authenticated and not request.data else None
        if user is None:
            user = check_credentials(request)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class HealthView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=inline_serializer("Health", {"status": serializers.CharField()}))
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:  # the point of a health check is to report, not raise
            # The error names hosts and ports: the log has it, anonymous callers do not.
            log.exception("health check: the database does not answer")
            return Response({"status": "unhealthy", "database": "unavailable"}, status=503)
        return Response({"status": "ok", "database": "ok"})


def api_not_found(request, path=""):
    detail = f"No API endpoint at {request.path}. The list is at /api/docs/."
    if request.path.endswith("/") and _is_api_endpoint(request.path.rstrip("/")):
        detail = f"No API endpoint at {request.path}: API paths have no trailing slash ({request.path.rstrip('/')})."
    return JsonResponse({"detail": detail}, status=404)


def _is_api_endpoint(path: str) -> bool:
    try:
        return resolve(path).func is not api_not_found
    except Resolver404:
        return False


def editor_index(request, path=""):
    """The editor is a single-page app: its router handles every non-API path.

    index.html is read from the collected static files when they exist: it
    names hashed asset files, so it must come from the same copy whitenoise
    serves, or a rebuild of frontend/dist after collectstatic loads a blank page.
    """
    for index in (Path(settings.STATIC_ROOT) / "index.html", settings.FRONTEND_DIST / "index.html"):
        if index.is_file():
            return FileResponse(index.open("rb"), content_type="text/html")
    raise Http404("The editor is not built yet: run `make frontend` (or `make run`).")


def server_error(request, *args, **kwargs):
    """A bug on our side: API callers still get JSON, with where to look."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Something went wrong on the server; the server log has the details."},
            status=500,
        )
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request, *args, **kwargs)
