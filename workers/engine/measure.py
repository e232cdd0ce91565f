"""Measuring a model as it would be served: CPU latency, parameters, size on disk.

Shared by every job that reports on a model (evaluate, compress, ensemble),
so their figures are taken the same way and compare: median of repeated
timings after a warm-up, with the number of CPU threads fixed.
"""
from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import torch
from torch import nn


@contextmanager
def cpu_threads(threads: int) -> Iterator[None]:
    """Run the block with ``threads`` intra-op threads, then restore the setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def batch_of(sample: torch.Tensor, size: int) -> torch.Tensor:
    """A batch of ``size`` made by repeating the samples given (one or more)."""
    reps = -(-size // sample.shape[0])
    return sample.repeat(reps, *([1] * (sample.ndim - 1)))[:size].contiguous()


@torch.no_grad()
def median_latency_ms(model: nn.Module, x: torch.Tensor, repeats: int, warmup: int = 3) -> float:
    """Median wall time of ``model(x)`` in milliseconds (eval mode, no autograd)."""
    for _ in range(warmup):
        model(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(x)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cpu_latency(model: nn.Module, sample: torch.Tensor, batch_sizes: tuple[int, ...] | list[int],
                repeats: int, threads: int) -> dict[str, float]:
    """``{"batch_1_ms": ..., "batch_64_ms": ...}``: CPU latency per batch size."""
    was_training = model.training
    model.eval()
    try:
        with cpu_threads(threads):
            return {f"batch_{b}_ms": median_latency_ms(model, batch_of(sample.cpu(), b), repeats)
                    for b in batch_sizes}
    finally:
        model.train(was_training)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def state_bytes(state: dict[str, Any]) -> int:
    """Bytes of the tensors in a state dict (what a dense weights file holds)."""
    return sum(t.numel() * t.element_size() for t in state.values() if isinstance(t, torch.Tensor))


def file_size(path: str | Path) -> int | None:
    try:
        return Path(path).stat().st_size
    except OSError:
        return None
