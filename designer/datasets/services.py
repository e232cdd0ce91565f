"""Datasets for the API and for runs: built-ins from the engine, uploads checked by it."""
from __future__ import annotations

import functools
import json
import uuid

from django.conf import settings

from designer.core import store
from designer.core.errors import InputProblem, error
from designer.datasets.inspection import inspect_in_child
from designer.datasets.models import UPLOAD_KINDS, Dataset

SUFFIX = {"csv": ".csv", "image_zip": ".zip", "npz": ".npz"}


def _engine():
    from workers.engine import data

    return data


@functools.lru_cache(maxsize=64)
def _describe_builtin(kind: str) -> str:
    """A built-in's description, cached per process (loading it takes a moment)."""
    data = _engine()
    try:
        return json.dumps({"available": True, **data.describe_dataset({"kind": kind})})
    except data.DatasetError as exc:
        return json.dumps({"available": False, "error": str(exc)})


def builtins() -> list[dict]:
    """Every registered kind that is not an upload, described."""
    out = []
    for info in _engine().list_datasets():
        if info["source"] == "upload":
            continue
        out.append({"id": info["kind"], "name": info["kind"], **info, **json.loads(_describe_builtin(info["kind"]))})
    return out


# Per-column details: thousands of entries for a wide CSV. A list shows how
# many; GET /api/datasets/<id> shows them.
PER_COLUMN = ("features", "normalization")


def upload_row(dataset: Dataset, brief: bool = False) -> dict:
    description = _public(dataset.description)
    if brief:
        description = {k: v for k, v in description.items() if k not in PER_COLUMN}
        if "features" in dataset.description:
            description["feature_count"] = len(dataset.description["features"])
    return {"id": dataset.pk, "name": dataset.name, "kind": dataset.kind, "source": "upload",
            "project": dataset.project_id, "size": dataset.size, "options": dataset.options,
            "created": dataset.created, "available": True, **description}


def _public(description: dict) -> dict:
    return {k: v for k, v in description.items() if k not in {"name", "kind", "path"}}


def store_upload(project, user, name: str, kind: str, upload, options: dict) -> Dataset:
    """Save the file under MEDIA_ROOT, let the engine check it, keep it only if sound
    (and, with the object store, only once the store has it too)."""
    if kind not in UPLOAD_KINDS:
        raise InputProblem([error(f"kind must be one of {', '.join(UPLOAD_KINDS)}", field="kind")])
    if upload.size > settings.NETWEAVE_MAX_UPLOAD_BYTES:
        raise InputProblem([error(
            f"the file is {upload.size:,} bytes; the limit is {settings.NETWEAVE_MAX_UPLOAD_BYTES:,}",
            field="file")])
    relative = f"datasets/{project.pk}/{uuid.uuid4().hex}{SUFFIX[kind]}"
    target = store.write_upload(relative, upload)
    try:
        description = inspect_in_child(str(target), kind, options)
        store.put_media(relative)
    except Exception:
        target.unlink(missing_ok=True)
        raise
    return Dataset.objects.create(
        project=project, name=name, kind=kind, file=str(relative), original_name=upload.name[:255],
        size=upload.size, options=options, description=description, created_by=user,
    )


def resolve(spec, project) -> tuple[dict, dict]:
    """A run's dataset field → (the engine spec, its description). Raises InputProblem.

    Accepts an upload id ({"id": 5} or 5) of the run's project, or a
    built-in spec ({"kind": "digits", "options": {...}}).
    """
    upload_id = spec if isinstance(spec, int) else (spec.get("id") if isinstance(spec, dict) else None)
    if isinstance(upload_id, int) and not isinstance(upload_id, bool):
        dataset = Dataset.objects.filter(pk=upload_id, project=project).first()
        if dataset is None:
            raise InputProblem([error(f"no uploaded dataset {upload_id} in this project", field="dataset.id")])
        # Messages name the dataset as the person called it, not its file kind.
        return dataset.spec(), {**dataset.description, "name": dataset.name}
    if not isinstance(spec, dict) or not isinstance(spec.get("kind"), str):
        raise InputProblem([error("give a built-in {'kind': 'digits', 'options': {}} or an upload {'id': N}",
                                  field="dataset")])
    data = _engine()
    clean = {"kind": spec["kind"], "options": spec.get("options") or {}}
    kinds = {info["kind"]: info["source"] for info in data.list_datasets()}
    if kinds.get(clean["kind"]) == "upload":
        raise InputProblem([error("uploaded datasets are chosen by id: {'id': N}", field="dataset.kind")])
    try:
        return clean, data.describe_dataset(clean)
    except data.DatasetError as exc:
        raise InputProblem([{**e, "field": f"dataset.{e['field']}".replace("dataset.dataset", "dataset")
                             if e.get("field") else "dataset"} for e in exc.errors]) from None
