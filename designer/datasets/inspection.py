"""Uploads are checked in a forked child process with a memory and time limit.

Unpacking a crafted NPZ or zip of PNGs inside the web process grew it from
1 GB to 3 GB before any check could refuse it. The check now runs in a child
forked from this process (the engine is already imported there, so it starts
in milliseconds) whose data segment may grow by at most
NETWEAVE_INSPECT_MEMORY_BYTES (RLIMIT_DATA) and which is killed after
NETWEAVE_INSPECT_SECONDS: a bomb costs the child, never the server, and is
answered with a 400. The child touches no database connection and leaves
with os._exit, so nothing it inherited is closed or flushed twice.
"""
from __future__ import annotations

import json
import os
import resource
import select
import signal
import time

from django.conf import settings

from designer.core.errors import InputProblem, error

TOO_LARGE = ("the upload could not be checked within the memory allowed "
             "(NETWEAVE_INSPECT_MEMORY_BYTES); it unpacks too large")


def inspect_in_child(path: str, kind: str, options: dict) -> dict:
    """The upload's description, or InputProblem naming what is wrong with it."""
    from PIL import Image  # noqa: F401  (imported here, not in the child: see _child)

    from workers.engine import data

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        _child(write_end, data, path, kind, options)
    os.close(write_end)
    try:
        raw = _read_all(read_end, pid, settings.NETWEAVE_INSPECT_SECONDS)
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    if raw is None:
        raise InputProblem([error(f"checking the upload took longer than {settings.NETWEAVE_INSPECT_SECONDS:.0f} s "
                                  "(NETWEAVE_INSPECT_SECONDS)", field="file")])
    answer = json.loads(raw) if raw else {"errors": [error(TOO_LARGE, field="path")]}
    if "errors" in answer:
        raise InputProblem([{**e, "field": "file" if e.get("field") == "path" else e.get("field")}
                            for e in answer["errors"]])
    return answer["description"]


def _child(out: int, data, path: str, kind: str, options: dict) -> None:
    """Inspect under the memory limit, write one JSON answer, leave at once."""
    code = 0
    try:
        _one_thread()
        resource.setrlimit(resource.RLIMIT_DATA, (_data_now() + settings.NETWEAVE_INSPECT_MEMORY_BYTES,) * 2)
        try:
            answer = {"description": data.inspect_upload(path, kind, options)}
        except data.DatasetError as exc:
            answer = {"errors": exc.errors}
        except MemoryError:
            answer = {"errors": [error(TOO_LARGE, field="path")]}
        payload = json.dumps(answer, default=str).encode()
        while payload:
            payload = payload[os.write(out, payload):]
    except BaseException:  # anything else: no answer, the parent reports it
        code = 1
    finally:
        os._exit(code)


def _one_thread() -> None:
    """Run torch's operations inline in the child.

    fork() copies only the calling thread: had this process used torch's
    intra-op (OpenMP) pool before, the child's first parallel operation would
    wait forever for workers that do not exist in it.
    """
    import torch

    torch.set_num_threads(1)


def _data_now() -> int:
    """This process's data segment now (VmData), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def _read_all(fd: int, pid: int, timeout: float) -> bytes | None:
    """Everything the child writes until it closes the pipe; None (child killed) after `timeout`."""
    chunks, deadline = [], time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            os.kill(pid, signal.SIGKILL)
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
