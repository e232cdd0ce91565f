"""A job's files on the worker's host: fetched before it starts, sent back as it goes.

With the object store (NETWEAVE_STORAGE=s3, designer/core/store.py) a worker's
run folders and media folder are its own: before the job child starts, the
supervisor fetches what job.json names (the uploaded dataset, backbone weights,
the input runs' checkpoints, the checkpoint to resume from) and points job.json
at this host's copies; while the job runs, a `Publisher` sends the run's
checkpoints and outputs to the store as they change, and once more when the
child has ended, before the run's end is recorded. With local files (the
default) nothing moves and job.json is written as it always was.
"""
from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

from django.conf import settings

from designer.core import store
from designer.datasets.models import Dataset
from designer.runs.models import Run

log = logging.getLogger("netweave.runs.files")

# What a run leaves for other hosts (docs/contracts.md section 3): the rest of
# its folder (job.json, stderr.log, a sweep's trials) stays with the worker.
SHARED = ("checkpoints", "outputs")
# An uploaded weights file, wherever the host that took it keeps MEDIA_ROOT.
WEIGHTS = re.compile(r"(?:^|/)(weights/\d+/[0-9a-f]{32}\.pt)$")
# A checkpoint in some host's run folder: <RUNS_ROOT>/<run id>/checkpoints/<name>.
CHECKPOINT = re.compile(r"(?:^|/)(\d+)/(checkpoints/[^/]+)$")


def prepare(job: dict) -> dict:
    """job.json's fields with this host's paths, the files fetched (the job as it is when local)."""
    if not store.remote():
        return job
    job = dict(job)
    job["dataset"] = _dataset(job.get("dataset"))
    job["inputs"] = [{**i, "path": str(store.run_file(i["run"], f"checkpoints/{i['checkpoint']}.pt"))}
                     if i.get("path") else i for i in job.get("inputs", [])]
    if job.get("resume_from"):
        job["resume_from"] = _checkpoint(job["resume_from"])
    return _weights(job)


def _dataset(spec):
    """An upload's spec pointing at this host's copy of the file."""
    if not isinstance(spec, dict) or not isinstance(spec.get("upload"), int):
        return spec
    name = Dataset.objects.filter(pk=spec["upload"]).values_list("file", flat=True).first()
    return {**spec, "path": str(store.media_file(name))} if name else spec


def _checkpoint(path: str) -> str:
    match = CHECKPOINT.search(path)
    return str(store.run_file(int(match[1]), match[2])) if match else path


def _weights(value):
    """Every backbone's ``weights_file`` (graphs, blocks, input graphs) at this host's copy."""
    if isinstance(value, dict):
        out = {k: _weights(v) for k, v in value.items()}
        wanted = out.get("weights_file")
        match = WEIGHTS.search(wanted) if isinstance(wanted, str) else None
        if match:
            out["weights_file"] = str(store.media_file(match[1]))
        return out
    if isinstance(value, list):
        return [_weights(v) for v in value]
    return value


class Publisher:
    """Sends a run's checkpoints and outputs to the store while its job runs and at its end."""

    def __init__(self, run: Run):
        self.run_id, self.run_dir = run.pk, run.run_dir
        self.sent: dict[Path, tuple[int, int]] = {}
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> "Publisher":
        if store.remote():
            self.thread = threading.Thread(target=self._loop, name=f"publish-run-{self.run_id}", daemon=True)
            self.thread.start()
        return self

    def finish(self) -> str:
        """Stop sending in the background and send what changed; an error message ("" when all went)."""
        if self.thread is None:
            return ""
        self.stop.set()
        self.thread.join()
        try:
            self.sync()
        except Exception as exc:  # the store is away: the run's end is still recorded, and says so
            log.exception("run %s: its files could not be sent to the store", self.run_id)
            return f"the run's checkpoints could not be sent to the object store: {exc}"
        return ""

    def _loop(self) -> None:
        while not self.stop.wait(settings.NETWEAVE_STORE_SYNC_SECONDS):
            try:
                self.sync()
            except Exception:  # tried again next time, and at the end
                log.warning("run %s: sending files to the store failed; trying again", self.run_id,
                            exc_info=True)

    def sync(self) -> int:
        """Send every shared file that is new or changed since it was last sent; how many were sent."""
        count = 0
        for path in self._files():
            try:
                stat = path.stat()
            except FileNotFoundError:  # replaced or removed since it was listed: the next round sees it
                continue
            seen = (stat.st_size, stat.st_mtime_ns)
            if self.sent.get(path) == seen:
                continue
            store.put(store.run_key(self.run_id, path.relative_to(self.run_dir).as_posix()), path)
            self.sent[path] = seen
            count += 1
        return count

    def _files(self) -> list[Path]:
        # Hidden names are files being written (checkpoint.py's .<name>.<pid>.tmp).
        return sorted(p for folder in SHARED for p in (self.run_dir / folder).rglob("*")
                      if p.is_file() and not any(part.startswith(".") for part in p.relative_to(self.run_dir).parts))
