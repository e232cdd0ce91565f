"""Per-step training figures, emitted in batches.

Each step's loss stays a tensor until a flush (every ``interval_s`` or
``max_steps``), when one ``tolist()`` syncs them all: on a GPU a ``.item()``
per step would stall the pipeline, and one print per step costs throughput.
"""
from __future__ import annotations

import math
import time
from typing import Any, Protocol

import torch


class EventSink(Protocol):
    def emit(self, event: dict[str, Any]) -> None: ...


class NullSink:
    """Drops events (processes other than rank 0, benchmarks)."""

    def emit(self, event: dict[str, Any]) -> None:
        pass


class TrainMeter:
    """Buffers ``(step, epoch, loss, lr)`` and emits ``metric`` lines in batches."""

    def __init__(self, sink: EventSink, *, world_size: int = 1, interval_s: float = 0.5,
                 max_steps: int = 500, enabled: bool = True):
        self.sink, self.world_size, self.enabled = sink, world_size, enabled
        self.interval_s, self.max_steps = interval_s, max_steps
        self.rows: list[tuple[int, int, float]] = []
        self.losses: list[torch.Tensor] = []
        self.samples = 0
        self.epoch_sum, self.epoch_steps = 0.0, 0  # this epoch's losses, read at its end
        self.warned = False
        self.since = self.last = time.monotonic()

    def add(self, step: int, epoch: int, loss: torch.Tensor, lr: float, samples: int) -> None:
        if not self.enabled:
            return
        self.rows.append((step, epoch, lr))
        self.losses.append(loss.detach())
        self.samples += samples
        now = time.monotonic()
        if now - self.last >= self.interval_s or len(self.rows) >= self.max_steps:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        if not self.rows:
            return
        now = time.monotonic() if now is None else now
        losses = torch.stack(self.losses).float().tolist()
        self.epoch_sum += math.fsum(v for v in losses if math.isfinite(v))
        self.epoch_steps += len(losses)
        bad = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
        if bad is not None and not self.warned:
            self.warned = True  # JSON has no NaN: say it once, points carry null
            self.sink.emit({"type": "log", "level": "warning", "message":
                            f"the training loss is not finite at step {self.rows[bad][0]}: "
                            "lower the learning rate or clip gradients (grad_clip)"})
        wall = time.time()
        rate = self.samples * self.world_size / max(now - self.since, 1e-9)
        for i, ((step, epoch, lr), loss) in enumerate(zip(self.rows, losses)):
            values = {"loss": loss, "lr": lr}
            if i == len(self.rows) - 1:
                values["samples_per_sec"] = rate
            self.sink.emit({"type": "metric", "step": step, "epoch": epoch, "split": "train",
                            "values": values, "time": wall})
        self.rows.clear()
        self.losses.clear()
        self.samples = 0
        self.since = self.last = now

    def epoch_loss(self) -> float | None:
        """Mean training loss since the last call (this process's batches)."""
        self.flush()
        mean = self.epoch_sum / self.epoch_steps if self.epoch_steps else None
        self.epoch_sum, self.epoch_steps = 0.0, 0
        return mean

    def pause(self) -> None:
        """Flush and restart the clock (evaluation time is not training throughput)."""
        self.flush()
        self.since = self.last = time.monotonic()
