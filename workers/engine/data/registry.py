"""An allow-list of dataset kinds (torchvision's model registry, for data).

A job's spec names a kind from this list, never a module path:
``{"kind": "digits", "path": null, "options": {"val_fraction": 0.1}}``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import DatasetBundle, DatasetError

Loader = Callable[[str | None, dict[str, Any]], DatasetBundle]

_LOADERS: dict[str, Loader] = {}
_INFO: dict[str, dict[str, Any]] = {}


def register_dataset(kind: str, *, task: str, source: str, help: str) -> Callable[[Loader], Loader]:
    """Register a loader ``fn(path, options) -> DatasetBundle`` under ``kind``."""

    def wrap(fn: Loader) -> Loader:
        if kind in _LOADERS:
            raise ValueError(f"dataset kind {kind!r} is already registered")
        _LOADERS[kind] = fn
        _INFO[kind] = {"kind": kind, "task": task, "source": source, "help": help}
        return fn

    return wrap


def list_datasets() -> list[dict[str, Any]]:
    """Registered kinds: ``{kind, task, source: builtin|local|upload, help}``."""
    return [dict(info) for info in _INFO.values()]


def load_dataset(spec: dict[str, Any] | None) -> DatasetBundle:
    """Load the dataset a job spec names (as job.json has it); raise ``DatasetError`` for a bad or missing spec."""
    if not isinstance(spec, dict):
        raise DatasetError("the dataset spec must be an object with 'kind'", field="dataset")
    kind = spec.get("kind")
    if kind not in _LOADERS:
        raise DatasetError(f"unknown dataset kind {kind!r}; known: {', '.join(sorted(_LOADERS))}",
                           field="dataset.kind")
    options = spec.get("options") or {}
    if not isinstance(options, dict):
        raise DatasetError("options must be an object", field="dataset.options")
    if _INFO[kind]["source"] == "upload" and not spec.get("path"):
        raise DatasetError(f"a {kind} dataset needs the uploaded file's path", field="dataset.path")
    return _LOADERS[kind](spec.get("path"), options)


def describe_dataset(spec: dict[str, Any]) -> dict[str, Any]:
    """``{name, kind, task, input_shape, num_classes, sizes, ...}`` for a spec."""
    return load_dataset(spec).describe()


def inspect_upload(path: str, kind: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check an uploaded file (size, content, structure) and describe it.

    Raises ``DatasetError`` with a message a person can act on.
    """
    if _INFO.get(kind, {}).get("source") != "upload":
        uploads = sorted(k for k, v in _INFO.items() if v["source"] == "upload")
        raise DatasetError(f"{kind!r} is not an upload kind; use one of {', '.join(uploads)}",
                           field="kind")
    return describe_dataset({"kind": kind, "path": path, "options": options or {}})
