"""Per-step training figures, emitted in batches.

Each step's loss stays a tensor until a flush (every ``interval_s`` or
``max_steps``, and at the very first step, so the curves start with it), when
one ``tolist()`` syncs them all: on a GPU a ``.item()`` per step would stall
the pipeline, and one print per step costs throughput.

``samples_per_sec`` is the rate of the training steps themselves: the samples
of a flush over the time its steps took, from a batch in hand (``begin``) to
its optimizer step, plus the sync that reads their losses. Waiting for the
data loader, starting an epoch, evaluating and saving checkpoints fall between
steps and do not count, so the series does not dip at every epoch or start
with the time the job spent getting ready.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
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
                 max_steps: int = 500, enabled: bool = True, clock: Callable[[], float] = time.monotonic):
        self.sink, self.world_size, self.enabled, self.clock = sink, world_size, enabled, clock
        self.interval_s, self.max_steps = interval_s, max_steps
        self.rows: list[tuple[int, int, float]] = []
        self.losses: list[torch.Tensor] = []
        self.samples = 0
        self.busy = 0.0  # seconds the buffered steps took
        self.epoch_sum, self.epoch_steps = 0.0, 0  # this epoch's losses, read at its end
        self.warned = False
        self.started: float | None = None
        self.previous = self.clock()
        self.last = -math.inf  # the first step flushes at once

    def begin(self) -> None:
        """A batch is in hand: its step starts now (what came before it is not training)."""
        self.started = self.clock()

    def add(self, step: int, epoch: int, loss: torch.Tensor, lr: float, samples: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        # Without a begin() the step is timed from the previous one.
        self.busy += now - (self.started if self.started is not None else self.previous)
        self.started, self.previous = None, now
        self.rows.append((step, epoch, lr))
        self.losses.append(loss.detach())
        self.samples += samples
        if now - self.last >= self.interval_s or len(self.rows) >= self.max_steps:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        if not self.rows:
            return
        synced = self.clock()
        losses = torch.stack(self.losses).float().tolist()  # waits for steps still running on a GPU
        self.busy += self.clock() - synced
        self.epoch_sum += math.fsum(v for v in losses if math.isfinite(v))
        self.epoch_steps += len(losses)
        bad = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
        if bad is not None and not self.warned:
            self.warned = True  # JSON has no NaN: say it once, points carry null
            self.sink.emit({"type": "log", "level": "warning", "message":
                            f"the training loss is not finite at step {self.rows[bad][0]}: "
                            "lower the learning rate or clip gradients (grad_clip)"})
        wall = time.time()
        rate = self.samples * self.world_size / max(self.busy, 1e-9)
        for i, ((step, epoch, lr), loss) in enumerate(zip(self.rows, losses)):
            values = {"loss": loss, "lr": lr}
            if i == len(self.rows) - 1:
                values["samples_per_sec"] = rate
            self.sink.emit({"type": "metric", "step": step, "epoch": epoch, "split": "train",
                            "values": values, "time": wall})
        self.rows.clear()
        self.losses.clear()
        self.samples, self.busy = 0, 0.0
        self.last = synced if now is None else now
        self.previous = self.clock()

    def epoch_loss(self) -> float | None:
        """Mean training loss since the last call (this process's batches)."""
        self.flush()
        mean = self.epoch_sum / self.epoch_steps if self.epoch_steps else None
        self.epoch_sum, self.epoch_steps = 0.0, 0
        return mean

    def pause(self) -> None:
        """Flush before an evaluation (its time is not training throughput)."""
        self.flush()
        self.previous = self.clock()
