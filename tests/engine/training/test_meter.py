"""The training meter's samples/s: the steps' own rate from the first step on, not the time
around them (warm-up before the first batch, waiting for the loader, an epoch's start)."""
from __future__ import annotations

import torch

from workers.engine.train.meter import TrainMeter


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Events:
    def __init__(self):
        self.metrics: list[dict] = []

    def emit(self, event: dict) -> None:
        if event["type"] == "metric":
            self.metrics.append(event)


def step(meter: TrainMeter, clock: Clock, number: int, waited: float, took: float) -> None:
    clock.now += waited  # the loader (or the job getting ready) before the batch is in hand
    meter.begin()
    clock.now += took
    meter.add(number, 1, torch.tensor(1.0 / number), 0.1, samples=32)


def test_samples_per_second_counts_the_steps_only_and_starts_with_the_first():
    clock, events = Clock(), Events()
    meter = TrainMeter(events, clock=clock)
    step(meter, clock, 1, waited=12.0, took=0.1)  # 12 s of warm-up: data loaded, model built
    [first] = events.metrics
    assert first["step"] == 1 and abs(first["values"]["samples_per_sec"] - 320.0) < 1e-6
    for number in range(2, 6):  # a slow loader: 0.3 s between steps that take 0.1 s
        step(meter, clock, number, waited=0.3, took=0.1)
    step(meter, clock, 6, waited=5.0, took=0.1)  # a new epoch: the loader's workers start again
    rates = [e["values"]["samples_per_sec"] for e in events.metrics if "samples_per_sec" in e["values"]]
    assert len(rates) >= 3 and all(abs(r - 320.0) < 1e-6 for r in rates)
    assert [e["step"] for e in events.metrics] == [1, 2, 3, 4, 5, 6]
