"""Small, strict readers for settings taken from the environment.

A bad value stops start-up with a message that names the variable and what
was expected, instead of surfacing later as a confusing failure.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


class SettingsError(SystemExit):
    """Raised when an environment variable holds a value we cannot use.

    A SystemExit on purpose: whoever loads the settings (manage.py, uvicorn,
    celery) stops with this one line on stderr and exit status 1, not a traceback.
    """

    def __init__(self, message: str):
        super().__init__(f"Netweave cannot start: {message}")


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean; use true/false, 1/0, yes/no or on/off")


def envint(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name}={value} is below the minimum of {minimum}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name}={value} is above the maximum of {maximum}")
    return value


def envfloat(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envurl(name: str, default: str, schemes: set[str]) -> str:
    """A URL whose scheme is one we can use (empty means "not set")."""
    raw = os.environ.get(name, default).strip()
    if raw and urlparse(raw).scheme not in schemes:
        raise SettingsError(
            f"{name}={raw!r} is not a URL we can use; it must start with "
            f"{' or '.join(sorted(s + '://' for s in schemes))}"
        )
    return raw


def envchoice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = (os.environ.get(name) or default).strip().lower()
    if raw not in choices:
        raise SettingsError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return raw


def s3_storage(environ=None) -> dict:
    """The STORAGES entry of the object store (django-storages' S3Storage), from NETWEAVE_S3_*.

    Path-style addressing and SigV4 suit MinIO and most S3-compatible servers;
    objects are private (no ACL, no presigned URLs handed out)."""
    environ = os.environ if environ is None else environ
    bucket = environ.get("NETWEAVE_S3_BUCKET", "").strip()
    if not bucket:
        raise SettingsError("NETWEAVE_STORAGE=s3 needs NETWEAVE_S3_BUCKET (and NETWEAVE_S3_ENDPOINT for MinIO)")
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": bucket,
        "endpoint_url": environ.get("NETWEAVE_S3_ENDPOINT", "").strip() or None,
        "access_key": environ.get("NETWEAVE_S3_ACCESS_KEY") or None,
        "secret_key": environ.get("NETWEAVE_S3_SECRET_KEY") or None,
        "region_name": environ.get("NETWEAVE_S3_REGION", "").strip() or "us-east-1",
        "addressing_style": "path", "signature_version": "s3v4",
        "default_acl": None, "querystring_auth": False, "file_overwrite": True,
    }}


def database_from_url(url: str, base_dir: Path, pool: dict | None = None) -> dict:
    """Translate a DATABASE_URL (sqlite:///path or postgres://...) into Django's dict.

    PostgreSQL connections come from psycopg's pool (`pool`: its options):
    under ASGI every request runs in its own thread, and persistent
    per-thread connections pile up until the server refuses everyone, so
    CONN_MAX_AGE is 0 and a connection goes back to the pool after each
    request. The pool's max_size is the process's connection budget.
    """
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if path.startswith("//"):  # sqlite:////abs/path
            path = path[1:]
        elif path.startswith("/"):  # sqlite:///relative/path
            path = path[1:]
        if not path:
            raise SettingsError(f"DATABASE_URL={url!r} names no SQLite file")
        db_path = Path(path) if Path(path).is_absolute() else base_dir / path
        db_path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(db_path),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    if parsed.scheme in {"postgres", "postgresql", "postgis"}:
        name = parsed.path.lstrip("/")
        if not name:
            raise SettingsError(f"DATABASE_URL={url!r} names no database")
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "designer.core.postgres",  # Django's, its pool replacing dead connections at once
            "NAME": unquote(name),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 0,
            # The pool checks a connection before handing it out: after a
            # database restart no request gets a dead one.
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {**options, "pool": dict(pool or {"min_size": 0})},
        }
    raise SettingsError(
        f"DATABASE_URL={url!r}: unsupported scheme {parsed.scheme!r}; "
        "use sqlite:///var/netweave.sqlite3 or postgres://user@host:5432/name"
    )


def secret_key(var_dir: Path) -> str:
    """SECRET_KEY from the environment, else a key generated once under var/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        if len(key) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters long")
        return key
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        _create_once(key_file, secrets.token_urlsafe(50))
    key = key_file.read_text().strip()
    if len(key) < 32:
        raise SettingsError(f"{key_file} holds no usable key; delete it and a new one is generated")
    return key


def _create_once(path: Path, text: str) -> None:
    """Write a new owner-only file atomically. The web process and the workers may
    start together on one volume: whoever links first wins, the rest read that."""
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    draft.write_text(text)
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
