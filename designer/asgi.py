"""ASGI entry point (uvicorn): needed for the Server-Sent Events streams."""
import gc
import os
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")
django_application = get_asgi_application()

from designer.core.body_limit import BodyLimit  # noqa: E402  (needs the settings loaded)

application = BodyLimit(django_application)


def _warm_up() -> None:
    # Import the engine (torch, the layer registry) now rather than on the first
    # validation request, and in the background so the server answers at once;
    # a request that needs the engine meanwhile waits on Python's import lock.
    import workers.engine  # noqa: F401

    # torch leaves ~400,000 long-lived objects; without this every full garbage
    # collection walks them all and stalls a request for ~0.7 s (measured with
    # benches/bench_api_validate.py). Frozen objects are never scanned.
    gc.freeze()


def _first_connection() -> None:
    # One connection before the warm-up starts: while torch's libraries load,
    # the pool's threads cannot open one (a new connection's name lookup
    # waits for the dynamic loader), and requests would time out waiting.
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception:  # the database may be down at start; requests say so with a 503
        pass
    finally:
        connection.close()


# In a thread: uvicorn loads the application inside its event loop, where the ORM refuses to run.
_opener = threading.Thread(target=_first_connection, name="netweave-first-connection")
_opener.start()
_opener.join(timeout=15)
threading.Thread(target=_warm_up, name="netweave-warm-up", daemon=True).start()
