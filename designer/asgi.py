"""ASGI entry point (uvicorn): needed for the Server-Sent Events streams."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designer.settings")
application = get_asgi_application()

# Import the engine (torch, the layer registry) now rather than on the first
# validation request, which would otherwise wait several seconds.
import workers.engine  # noqa: E402,F401
