"""Netweave settings: every knob comes from the environment (see designer/env.py).

Defaults are the standalone mode of `make run`: SQLite and the generated
secret key under var/, an embedded filesystem broker for Celery.
`docker compose up` sets DATABASE_URL and REDIS_URL instead.
"""
from pathlib import Path

from designer.env import (
    database_from_url,
    envbool,
    envchoice,
    envfloat,
    envint,
    envlist,
    envstr,
    envurl,
    s3_storage,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("NETWEAVE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = secret_key(VAR_DIR)
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# Production behind HTTPS (`manage.py check --deploy` is clean with all of
# them on). Off by default: standalone mode serves plain HTTP on localhost.
SECURE_SSL_REDIRECT = envbool("NETWEAVE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^api/health$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = envint("NETWEAVE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("NETWEAVE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("NETWEAVE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("NETWEAVE_SECURE_COOKIES", False)
if envbool("NETWEAVE_BEHIND_TLS_PROXY", False):
    # The proxy terminates TLS and says so; only trust this behind one that sets it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here, not a CDN: works offline
    "designer.core",
    "designer.graphs",
    "designer.datasets",
    "designer.runs",
    "designer.dashboards",
    "designer.tuning",
    "designer.fleet",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "designer.core.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, and sync-only: under ASGI Django then runs the whole chain in one
    # thread. Above the built-in ones (which can run async) it made them run
    # on the event loop, each hook a trip to a thread and back: a dozen trips
    # a request, each waiting its turn behind the SSE streams on a busy loop.
    "designer.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "designer.urls"
ASGI_APPLICATION = "designer.asgi.application"
WSGI_APPLICATION = "designer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "designer" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Each process (web, worker) opens at most NETWEAVE_DB_CONNECTIONS connections
# to PostgreSQL; a request that finds them all busy waits up to
# NETWEAVE_DB_WAIT seconds for one, then gets a 503. Budget the server's
# max_connections as (web processes + worker processes) x this.
NETWEAVE_DB_CONNECTIONS = envint("NETWEAVE_DB_CONNECTIONS", 10, minimum=1)
NETWEAVE_DB_WAIT = envfloat("NETWEAVE_DB_WAIT", 10.0)
DATABASES = {
    "default": database_from_url(
        envstr("DATABASE_URL", "sqlite:///var/netweave.sqlite3"), BASE_DIR,
        pool={"min_size": 0, "max_size": NETWEAVE_DB_CONNECTIONS, "timeout": NETWEAVE_DB_WAIT,
              # Idle connections beyond what the load needs close after a minute.
              "max_idle": 60.0},
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
# The production build of the editor (frontend/dist) is served by whitenoise.
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.exists() else []
MEDIA_ROOT = Path(envstr("NETWEAVE_MEDIA_ROOT", str(VAR_DIR / "media")))
RUNS_ROOT = Path(envstr("NETWEAVE_RUNS_ROOT", str(VAR_DIR / "runs")))
# Where uploads and run files live for every host (designer/core/store.py, docs/storage.md):
# "local" (the default): MEDIA_ROOT and RUNS_ROOT are the files, so every process must see
# the same folders; "s3": an S3-compatible bucket (MinIO, ...) holds them and each host's
# folders are its cache. Nothing in the bucket is public: every read goes through the API.
NETWEAVE_STORAGE = envchoice("NETWEAVE_STORAGE", "local", ("local", "s3"))
NETWEAVE_STORE_SYNC_SECONDS = envfloat("NETWEAVE_STORE_SYNC_SECONDS", 5.0)
if NETWEAVE_STORAGE == "s3":
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "netweave": s3_storage(),
    }

# Limits: bad or oversized input is refused with a 400 that says which limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("NETWEAVE_MAX_REQUEST_BYTES", 10 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
NETWEAVE_MAX_UPLOAD_BYTES = envint("NETWEAVE_MAX_UPLOAD_BYTES", 200 * 1024 * 1024, minimum=1024)
# Uploads are checked in a child process under these limits (designer/datasets/inspection.py).
NETWEAVE_INSPECT_MEMORY_BYTES = envint("NETWEAVE_INSPECT_MEMORY_BYTES", 2 * 1024**3, minimum=256 * 1024**2)
NETWEAVE_INSPECT_SECONDS = envfloat("NETWEAVE_INSPECT_SECONDS", 120.0)
NETWEAVE_MAX_NODES = envint("NETWEAVE_MAX_NODES", 10_000, minimum=1)
NETWEAVE_PARAM_BUDGET = envint("NETWEAVE_PARAM_BUDGET", 2_000_000_000, minimum=1)
# Failed logins from one address before it must wait, and for how long.
NETWEAVE_LOGIN_FAILURES = envint("NETWEAVE_LOGIN_FAILURES", 10, minimum=1)
NETWEAVE_LOGIN_LOCKOUT_SECONDS = envint("NETWEAVE_LOGIN_LOCKOUT_SECONDS", 300, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "designer.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "designer.core.pagination.Pagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "designer.core.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Netweave API",
    "DESCRIPTION": "Design PyTorch models as graphs, train them on workers, compare runs.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies get their own components (RunCreate vs Run...): the editor's generated
    # types then mark what a response always has as required.
    "COMPONENT_SPLIT_REQUEST": True,
    # The shared error answers, the graph document and the live events stream (designer/core/openapi.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "designer.core.openapi.complete_schema"],
}

# Celery: Redis when REDIS_URL is set (team mode), else kombu's filesystem
# transport under var/broker (standalone mode; polled every 0.1 s for low
# latency). Queues and task routing live in designer/runs/queues.py.
REDIS_URL = envurl("REDIS_URL", "", {"redis", "rediss", "unix"})
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_POLL_INTERVAL = envfloat("CELERY_BROKER_POLL_INTERVAL", 0.1)
BROKER_DIR = Path(envstr("NETWEAVE_BROKER_DIR", str(VAR_DIR / "broker")))
# A message not acknowledged within this many seconds is delivered again
# (Redis): the run task acks late and is idempotent, so a run whose worker
# died is picked up by another worker. Longer than any pause of a live worker.
CELERY_VISIBILITY_TIMEOUT = envint("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder in and out: producer and consumer share this machine.
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": CELERY_BROKER_POLL_INTERVAL,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # Look for overdue unacknowledged messages every N seconds (one scan
        # of a small sorted set), so a lost worker's run comes back promptly.
        "unacked_restore_interval": envint("CELERY_UNACKED_RESTORE_INTERVAL", 10, minimum=1),
        "unacked_restore_throttle": 1,
    }
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
# Celery's Django fix-up closes a prefork worker's whole connection pool before
# and after every task unless this is set: each run's task then opened a fresh
# PostgreSQL connection (about 10 ms of submit -> start). The pool lives as long
# as the pool process (closed every this many tasks); designer/celery.py hands
# the task's connection back to it around each task, and the pool checks a
# connection before handing it out again (CONN_HEALTH_CHECKS, designer/env.py).
CELERY_DB_REUSE_MAX = envint("CELERY_DB_REUSE_MAX", 1000, minimum=1)
# Late acks + one message at a time: a worker that dies mid-run leaves its
# message unacknowledged, so the broker hands it to another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Heartbeats of running runs: written every NETWEAVE_HEARTBEAT_SECONDS; a run
# silent for NETWEAVE_HEARTBEAT_TIMEOUT seconds has lost its worker.
NETWEAVE_HEARTBEAT_SECONDS = envfloat("NETWEAVE_HEARTBEAT_SECONDS", 2.0)
NETWEAVE_HEARTBEAT_TIMEOUT = envfloat("NETWEAVE_HEARTBEAT_TIMEOUT", 10.0)
# A lost run is sent again at once (the next housekeeping, every
# NETWEAVE_HOUSEKEEPING_SECONDS in beat and in every supervising worker) and
# resumes from its checkpoint; after this many lost workers it is failed.
NETWEAVE_HOUSEKEEPING_SECONDS = envfloat("NETWEAVE_HOUSEKEEPING_SECONDS", 5.0)
NETWEAVE_MAX_ATTEMPTS = envint("NETWEAVE_MAX_ATTEMPTS", 3, minimum=1)
# A run still queued this many seconds after its task was sent is sent again
# (its message may be lost: a flushed or restarted broker); the task is
# idempotent, so a duplicate behind a long queue does nothing.
NETWEAVE_REQUEUE_AFTER = envfloat("NETWEAVE_REQUEUE_AFTER", 600.0)
# Seconds between SIGTERM and SIGKILL when a run is cancelled.
NETWEAVE_CANCEL_GRACE = envfloat("NETWEAVE_CANCEL_GRACE", 10.0)
# Warm starts: each worker process keeps a pre-imported fork server (zygote)
# that forks single-device job children in well under a second; off, every
# job starts a fresh interpreter (the cold path multi-device runs always take).
NETWEAVE_WARM_START = envbool("NETWEAVE_WARM_START", True)
# How long a job waits for its worker's zygote to finish importing before
# starting cold instead.
NETWEAVE_WARM_WAIT = envfloat("NETWEAVE_WARM_WAIT", 120.0)
# The nice value job processes run at (warm or cold): training takes the CPU
# only when the web process and the worker leave it (a child on an otherwise idle
# machine trains as fast). 0: the same priority as the worker.
NETWEAVE_JOB_NICE = envint("NETWEAVE_JOB_NICE", 10, minimum=0, maximum=19)
# Seconds between a worker process's announcements on the fleet page (a
# worker silent for NETWEAVE_HEARTBEAT_TIMEOUT shows as lost).
NETWEAVE_FLEET_HEARTBEAT = envfloat("NETWEAVE_FLEET_HEARTBEAT", 3.0)
# Where the workers of one machine hold their GPUs' lock files (one job per
# GPU); empty: <tmp>/netweave-gpus. Containers sharing GPUs share this folder.
NETWEAVE_GPU_LOCK_DIR = envstr("NETWEAVE_GPU_LOCK_DIR", "")
# The most jobs one person's runs may hold at once across the fleet (a sweep
# waits behind everyone else's runs beyond it); 0: no cap.
NETWEAVE_MAX_RUNNING_PER_USER = envint("NETWEAVE_MAX_RUNNING_PER_USER", 0, minimum=0)
# Multi-node runs: how long a worker waits for the rest of its run's gang
# before it leaves (its message is sent again), and the address the other
# nodes reach this worker at for the rendezvous (empty: its host name).
NETWEAVE_GANG_WAIT = envfloat("NETWEAVE_GANG_WAIT", 120.0)
NETWEAVE_NODE_ADDRESS = envstr("NETWEAVE_NODE_ADDRESS", "")

LOGIN_URL = "/login"
CSRF_FAILURE_VIEW = "designer.core.views.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}
