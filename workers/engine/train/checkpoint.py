"""Checkpoints that load with ``torch.load(weights_only=True)`` and resume exactly.

A checkpoint holds only tensors and primitive containers: the model's and
optimizer's state dicts, the scheduler's (built-in schedulers only), the
loop's position and every random generator's state. Files are written to a
temporary name and renamed, so a crash never leaves half a checkpoint.

``CheckpointWriter`` writes in the background: the loop pays only for a CPU
copy of the state, and the serialising and fsync overlap the next steps (on
small epochs they otherwise cost a tenth of the run).
"""
from __future__ import annotations

import os
import pickle
import queue
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

FORMAT = "netweave.checkpoint/1"


def rng_state(include_cuda: bool) -> dict[str, Any]:
    numpy_state = np.random.get_state(legacy=True)
    if not isinstance(numpy_state, tuple):  # legacy=True gives the tuple: this is for the type
        raise TypeError("numpy's legacy random state is a tuple")
    kind, keys, pos, has_gauss, gauss = numpy_state
    version, internal, py_gauss = random.getstate()
    state = {
        # Python's state is 625 ints: as one tensor it pickles in microseconds.
        "python": {"version": version, "internal": torch.tensor(internal, dtype=torch.int64),
                   "gauss": py_gauss},
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "gauss": float(gauss)},
        "torch": torch.get_rng_state(),
    }
    if include_cuda:
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"].tolist()), py["gauss"]))
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["gauss"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _write_tmp(path: Path, payload: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        # Straight into the file: serialising to bytes first, then writing them,
        # cost a third more CPU (two more copies of every tensor's bytes).
        torch.save({"format": FORMAT, **payload}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def _write_atomic(paths: list[Path], payload: dict[str, Any]) -> None:
    """Write ``payload`` to every path through temporary names and renames.

    The file is written and synced once; further paths are hard links to
    that file (renamed into place like the first), or written again where the
    file system has no hard links. Files are only ever replaced, never
    rewritten in place, so a link shared by last.pt and best.pt is safe.
    """
    first = _write_tmp(paths[0], payload)
    tmps = [first]
    for path in paths[1:]:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)  # left by a crash
        try:
            os.link(first, tmp)
        except OSError:
            tmp = _write_tmp(path, payload)
        tmps.append(tmp)
    for tmp, path in zip(tmps, paths):
        os.replace(tmp, path)


def cpu_copy(value: Any) -> Any:
    """A snapshot on the CPU: tensors copied, containers rebuilt, the rest kept.

    GPU tensors are copied into pinned memory without waiting (one wait per
    tensor would stall the loop ~30 times per checkpoint): whoever reads the
    copies on the CPU first waits for ``copies_done()``'s event.
    """
    if isinstance(value, torch.Tensor):
        if value.is_cuda:
            out = torch.empty(value.shape, dtype=value.dtype, pin_memory=True)
            return out.copy_(value.detach(), non_blocking=True)
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: cpu_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(cpu_copy(v) for v in value)
    return value


def copies_done() -> Any:
    """An event after the GPU copies queued so far (``None`` on the CPU)."""
    if not torch.cuda.is_initialized():  # never initialises CUDA itself
        return None
    event = torch.cuda.Event()
    event.record()
    return event


class CheckpointWriter:
    """One background write at a time; ``wait()`` re-raises a failed write.

    The writing thread lives from the first ``submit`` to ``close()``: starting
    a thread per checkpoint made the loop wait for the new thread to be
    scheduled and to hand the GIL back (~5-8 ms per epoch on a busy machine).
    """

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._idle = threading.Event()
        self._idle.set()
        self._error: BaseException | None = None

    def submit(self, writes: list[tuple[list[Path], dict[str, Any]]], done: Callable[[], None]) -> None:
        """Write each ``(paths, payload)`` (a ``cpu_copy`` snapshot to every path), then call ``done``.

        One job for all of them: a second ``submit`` would wait for the first write."""
        self.wait()  # back-pressure: never two writes in flight
        ready = copies_done()

        def work() -> None:
            if ready is not None:
                ready.synchronize()
            for paths, payload in writes:
                _write_atomic(paths, payload)
            done()

        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="netweave-checkpoint", daemon=True)
            self._thread.start()
        self._idle.clear()
        self._jobs.put(work)

    def _run(self) -> None:
        while (work := self._jobs.get()) is not None:
            try:
                work()
            except BaseException as exc:  # handed to the training thread by wait()
                self._error = exc
            finally:
                self._idle.set()

    def wait(self) -> None:
        self._idle.wait()
        if self._error is not None:
            error, self._error = self._error, None
            raise RuntimeError(f"writing a checkpoint failed: {error}") from error

    def close(self) -> None:
        """Wait for the last write (re-raising its error) and end the thread."""
        try:
            self.wait()
        finally:
            if self._thread is not None:
                self._jobs.put(None)
                self._thread.join()
                self._thread = None


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by ``CheckpointWriter``; refuse anything else."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"checkpoint {path} cannot be read: {first}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a Netweave checkpoint ({FORMAT})")
    return data
