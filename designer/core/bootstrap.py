"""The first account on a fresh install: `admin`, with a generated password shown once."""
from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model

ADMIN = "admin"


def ensure_admin() -> str | None:
    """Create the admin account if missing; return its new password, or None if it existed.

    Only the password's hash is stored: the caller prints the password once and
    nothing keeps it. A forgotten one is reset with `manage.py changepassword admin`.
    """
    users = get_user_model()
    if users.objects.filter(username=ADMIN).exists():
        return None
    password = secrets.token_urlsafe(12)
    users.objects.create_superuser(username=ADMIN, email="", password=password)
    return password
