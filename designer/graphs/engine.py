"""The service's one door into workers/engine.

Views call `engine.<name>(...)` through `call()`: a function the engine does
not offer (yet) answers 501 "not available yet" instead of a 500, and the
engine's GraphError becomes a 400 carrying its node-level errors.
"""
from __future__ import annotations

import importlib

from designer.core.errors import InputProblem, NotAvailableYet


def _module():
    try:
        return importlib.import_module("workers.engine")
    except ImportError:
        return None


def function(name: str):
    """The engine's function `name` (a constant from our code, never user input)."""
    found = getattr(_module(), name, None)
    if found is None:
        raise NotAvailableYet(f"The engine does not offer {name}() yet: not available yet.")
    return found


def graph_error_class() -> type[Exception]:
    return getattr(_module(), "GraphError", None) or _NeverRaised


class _NeverRaised(Exception):
    pass


def call(name: str, /, *args, **kwargs):
    """Call an engine function; its GraphError becomes a 400 with node-level errors."""
    fn = function(name)
    try:
        return fn(*args, **kwargs)
    except graph_error_class() as exc:
        errors = list(getattr(exc, "errors", None) or [{"message": str(exc)}])
        raise InputProblem(errors) from exc
