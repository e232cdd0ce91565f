"""ASGI entry point (uvicorn): needed for the Server-Sent Events streams."""
import gc
import os
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")
application = get_asgi_application()


def _warm_up() -> None:
    # Import the engine (torch, the layer registry) now rather than on the first
    # validation request, and in the background so the server answers at once;
    # a request that needs the engine meanwhile waits on Python's import lock.
    import workers.engine  # noqa: F401

    # torch leaves ~400,000 long-lived objects; without this every full garbage
    # collection walks them all and stalls a request for ~0.7 s (measured with
    # benches/bench_api_validate.py). Frozen objects are never scanned.
    gc.freeze()


threading.Thread(target=_warm_up, name="netweave-warm-up", daemon=True).start()
