"""The service's one door into workers/engine.

Views call `engine.call("<name>", ...)`: the engine's GraphError becomes a 400
carrying its node-level errors. The engine (and torch with it) is imported on
first use, not when Django starts, so management commands stay quick; the web
process warms it up in the background (designer/asgi.py).
"""
from __future__ import annotations

from designer.core.errors import InputProblem


def _engine():
    import workers.engine

    return workers.engine


def call(name: str, /, *args, **kwargs):
    """Call the engine's function `name` (a constant from our code, never user input)."""
    engine = _engine()
    try:
        return getattr(engine, name)(*args, **kwargs)
    except engine.GraphError as exc:
        raise InputProblem(list(exc.errors or [{"message": str(exc)}])) from exc
