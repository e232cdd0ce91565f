"""Files every host can reach: uploads and run files, in a folder or an object store.

Netweave keeps two kinds of files (docs/storage.md):

- media: uploads, named relative to MEDIA_ROOT (``datasets/<project>/<hex>.csv``,
  ``weights/<project>/<hex>.pt``);
- run files: what a job leaves in its run folder (``checkpoints/last.pt``,
  ``outputs/graph.json``), named relative to ``RUNS_ROOT/<run id>``.

``NETWEAVE_STORAGE=local`` (the default, `make run`): the folders are the
files; every process must see the same ones (one host, or a shared volume).
``NETWEAVE_STORAGE=s3``: an S3-compatible bucket (MinIO, ...) holds them, as
``media/<name>`` and ``runs/<id>/<name>``, and each host's folders are its
cache. Files go in and out whole but in chunks, through boto3's transfer
manager (multipart, never one file in memory); downloads for a browser are
streamed from the bucket.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.storage import storages

log = logging.getLogger("netweave.store")

STORE = "netweave"  # the entry of settings.STORAGES used when NETWEAVE_STORAGE=s3
CHUNK = 1024 * 1024


def remote() -> bool:
    """Are files kept in the object store (not only in this host's folders)?"""
    return settings.NETWEAVE_STORAGE == "s3"


def _storage():
    return storages[STORE]


def _client():
    return _storage().connection.meta.client


def _bucket() -> str:
    return _storage().bucket_name


def _transfer():
    """boto3's transfer manager settings: 8 MiB parts, 4 at a time (memory stays near 4 parts
    whatever the file's size; benches/bench_store.py)."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_chunksize=8 * CHUNK, max_concurrency=4, io_chunksize=CHUNK)
    config.max_in_memory_upload_chunks = 4  # parts read ahead of the uploads (s3transfer's default: 10)
    return config


@contextlib.contextmanager
def reachable():
    """The store's failures as a 503 that says so (requests), never a 500."""
    from botocore.exceptions import BotoCoreError, ClientError

    from designer.core.errors import StoreUnavailable

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        log.warning("the object store failed: %s", exc)
        raise StoreUnavailable(f"The file store cannot be reached ({exc}); nothing was changed, "
                               "try again shortly.") from exc


def safe_name(name: str) -> str:
    """A relative name that stays inside its folder (no '..', not absolute), or ValueError."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"not a file name inside a folder: {name!r}")
    return str(path)


def media_key(name: str) -> str:
    return f"media/{safe_name(name)}"


def run_key(run_id: int, name: str) -> str:
    return f"runs/{int(run_id)}/{safe_name(name)}"


def media_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / safe_name(name)


def run_path(run_id: int, name: str) -> Path:
    return Path(settings.RUNS_ROOT) / str(int(run_id)) / safe_name(name)


# --- Putting files in -------------------------------------------------------

def put(key: str, path: Path) -> None:
    """Send a local file to the store under `key` (read from one open file:
    a file replaced meanwhile is sent as it was when opened)."""
    with open(path, "rb") as fh:
        _client().upload_fileobj(fh, _bucket(), key, Config=_transfer())


def write_upload(name: str, upload) -> Path:
    """An uploaded file (Django's UploadedFile) written to MEDIA_ROOT/name chunk by chunk; its path."""
    target = media_path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        for chunk in upload.chunks(CHUNK):
            fh.write(chunk)
    return target


def put_media(name: str) -> None:
    """An upload written to MEDIA_ROOT/name: into the store (no-op when local)."""
    if remote():
        with reachable():
            put(media_key(name), media_path(name))


def drop_media(name: str) -> None:
    """Delete an upload here and from the store."""
    if remote():
        with reachable():
            _storage().delete(media_key(name))
    media_path(name).unlink(missing_ok=True)


# --- Asking about files -----------------------------------------------------

def _head(key: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        return _client().head_object(Bucket=_bucket(), Key=key)
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            return None
        raise


def run_file_size(run_id: int, name: str) -> int | None:
    """The size of a run's file (None: there is none)."""
    if remote():
        with reachable():
            head = _head(run_key(run_id, name))
        return None if head is None else int(head["ContentLength"])
    path = run_path(run_id, name)
    return path.stat().st_size if path.is_file() else None


def has_run_file(run_id: int, name: str) -> bool:
    return run_file_size(run_id, name) is not None


def open_run_file(run_id: int, name: str):
    """(a binary stream, its size) of a run's file, or None: for downloads.

    From the store, the stream reads the object as the response is sent.
    """
    if not remote():
        folder = run_path(run_id, ".").resolve()
        path = run_path(run_id, name).resolve()
        # Names come from the training child: never serve outside its run folder (no symlinks out).
        if not path.is_relative_to(folder) or not path.is_file():
            return None
        return open(path, "rb"), path.stat().st_size
    from botocore.exceptions import ClientError

    key = run_key(run_id, name)
    with reachable():
        try:
            answer = _client().get_object(Bucket=_bucket(), Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                raise
            return None
    return answer["Body"], int(answer["ContentLength"])


# --- Getting files out ------------------------------------------------------

def _tag(path: Path) -> Path:
    """Beside a fetched copy: the ETag of the object it came from (hidden: never sent back)."""
    return path.with_name(f".{path.name}.etag")


def _current(path: Path, head: dict) -> bool:
    """Is the local copy the object, or newer? A fetched copy says which object it is
    (its ETag); a file a job wrote here counts when it is no older than the object."""
    try:
        modified = path.stat().st_mtime
    except OSError:
        return False
    try:
        return _tag(path).read_text() == head["ETag"]
    except OSError:
        return modified >= head["LastModified"].timestamp()


def fetch(key: str, path: Path) -> bool:
    """Make `path` this host's copy of `key`; False when the store has no such object.

    The download goes to a hidden file first, so a reader never sees half a file.
    """
    head = _head(key)
    if head is None:
        return False
    if _current(path, head):
        return True
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.download")
    try:
        with open(partial, "wb") as fh:
            _client().download_fileobj(_bucket(), key, fh, Config=_transfer())
        partial.replace(path)
        _tag(path).write_text(head["ETag"])
    finally:
        partial.unlink(missing_ok=True)
    log.info("fetched %s (%s bytes) into %s", key, head["ContentLength"], path)
    return True


def media_file(name: str) -> Path:
    """This host's path of an upload, fetched from the store when needed."""
    path = media_path(name)
    if remote():
        fetch(media_key(name), path)
    return path


def run_file(run_id: int, name: str) -> Path:
    """This host's path of a run's file, fetched from the store when needed."""
    path = run_path(run_id, name)
    if remote():
        fetch(run_key(run_id, name), path)
    return path
