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
    """Thread-safe JSON-lines writer (the training loop and the system monitor share it)."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.lock = threading.Lock()

    @classmethod
    def capture(cls) -> "EventWriter":
        sys.stdout.flush()
        events = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        return cls(events)

    def emit(self, event: dict[str, Any]) -> None:
        try:
            line = json.dumps(event, allow_nan=False, separators=(",", ":"))
        except ValueError:
            line = json.dumps(_finite(event), separators=(",", ":"))
        with self.lock:
            self.stream.write(line + "\n")

    def close(self) -> None:
        with self.lock:
            self.stream.flush()
