"""The job protocol's output: one JSON object per line on the real stdout.

``EventWriter.capture()`` keeps a private copy of file descriptor 1 for
events and points fd 1 (and ``sys.stdout``) at stderr, so a stray print in a
library - even from C - can never corrupt the event stream.
"""
from __future__ import annotations

import json
import math
import os
import sys
import threading
from collections.abc import Callable
from typing import IO, Any


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: a diverged loss is sent as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class EventWriter:
    """Thread-safe JSON-lines writer (the training loop and the system monitor share it).

    When nobody reads the events any more (the worker was killed: a broken
    pipe), further events are dropped and `on_lost` is called once, so the
    job stops as it would on SIGTERM and saves checkpoints/last.pt for the
    worker that resumes it, instead of failing on the write or training on
    unseen.
    """

    def __init__(self, stream: IO[str], on_lost: Callable[[], None] | None = None):
        self.stream = stream
        self.lock = threading.Lock()
        self.on_lost = on_lost
        self.lost = False

    @classmethod
    def capture(cls, on_lost: Callable[[], None] | None = None) -> "EventWriter":
        sys.stdout.flush()
        events = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        return cls(events, on_lost)

    def emit(self, event: dict[str, Any]) -> None:
        try:
            line = json.dumps(event, allow_nan=False, separators=(",", ":"))
        except ValueError:
            line = json.dumps(_finite(event), separators=(",", ":"))
        with self.lock:
            if self.lost:
                return
            try:
                self.stream.write(line + "\n")
            except BrokenPipeError:
                self._reader_gone()

    def close(self) -> None:
        with self.lock:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        """Point the stream at /dev/null (what it still buffers goes nowhere) and say so once."""
        if self.lost:
            return
        self.lost = True
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, self.stream.fileno())
        os.close(null)
        print("the worker stopped reading this job's events (it is gone): stopping, saving "
              "checkpoints/last.pt for the worker that resumes the run", file=sys.stderr, flush=True)
        if self.on_lost is not None:
            self.on_lost()
