"""ASGI entry point (uvicorn): needed for the Server-Sent Events streams."""
import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")
application = get_asgi_application()

# Import the engine (torch, the layer registry) now rather than on the first
# validation request, which would otherwise wait several seconds.
import workers.engine  # noqa: E402,F401

# torch leaves ~400,000 long-lived objects; without this every full garbage
# collection walks them all and stalls a request for ~0.7 s (measured with
# benches/bench_api_validate.py). Frozen objects are never scanned.
gc.freeze()
