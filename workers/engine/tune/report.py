"""The trial side: a training loop reports each epoch to its Optuna trial and asks to go on.

Optuna's own ``report`` / ``should_prune`` with the sweep's pruner; a trial
told to stop raises ``Pruned`` (the job's outcome ``pruned``, not a failure
or a cancel). Whoever runs the sweep, not the trial, tells the study how a
trial ended. Without a pruner nothing waits on a report, so a thread writes
them while the loop trains on.
"""
from __future__ import annotations

import copy
import logging
import os
import queue
import threading
from typing import Any
from urllib.parse import quote, urlparse

import optuna

from ..jobs.kinds import Pruned
from .study import TuneConfig, build_pruner, close_study, storage

LATENCY_REPEATS = 50
log = logging.getLogger("netweave.tune")


class EpochReporter:
    """The training loop's ``epoch_hook`` for one trial.

    Keeps each val objective's best value (in its direction) and, for a
    single val objective, reports it to the trial and asks the pruner."""

    def __init__(self, trial: optuna.trial.Trial | None, sweep: TuneConfig):
        self.trial, self.sweep = trial, sweep
        self.best: dict[str, float] = {}
        self.epochs = 0
        first = sweep.objectives[0].metric
        # Optuna keeps intermediate values (and prunes) for one objective only.
        self.reported = first.split("/", 1)[1] if len(sweep.objectives) == 1 and first.startswith("val/") else None
        self.writer: _ReportWriter | None = None

    def __call__(self, epoch: int, values: dict[str, float] | None) -> None:
        self.epochs = epoch
        values = values or {}
        for objective in self.sweep.objectives:
            name = objective.metric.partition("/")[2]
            if objective.metric.startswith("val/") and name in values:
                better = max if objective.goal == "maximize" else min
                old = self.best.get(objective.metric)
                self.best[objective.metric] = values[name] if old is None else better(old, values[name])
        if self.trial is None or self.reported not in values:
            return
        value = float(values[self.reported])
        if self.sweep.pruner.name == "none":
            # Each report is a transaction (a third of a trial of short epochs, written in line).
            self.writer = self.writer or _ReportWriter(self.trial)
            self.writer.put(value, epoch)
            return
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            raise Pruned(f"pruned at epoch {epoch} (val/{self.reported} = {value:.4g})")

    def flush(self) -> None:
        """Wait until every report is in the study (before the trial is told)."""
        if self.writer is not None:
            self.writer.join()
            self.writer = None

    def close(self) -> None:
        """Flush, then close the study's kept connection (a trial on a worker: ``reporter_for_job``)."""
        self.flush()
        if self.trial is not None:
            close_study(self.trial.study)

    def measure(self, model, data) -> dict[str, float]:
        """What the objectives measure on the trained model, for the run's summary: ``latency_ms``,
        the median of ``LATENCY_REPEATS`` CPU timings at batch 1 on one thread (engine.measure)."""
        if not any(o.metric == "latency_ms" for o in self.sweep.objectives):
            return {}
        from ..measure import cpu_latency

        sample = (data.val if len(data.val) else data.train)[[0]][0]
        on_cpu = all(p.device.type == "cpu" for p in model.parameters())
        model = model if on_cpu else copy.deepcopy(model).to("cpu")
        return {"latency_ms": cpu_latency(model, sample, [1], LATENCY_REPEATS, threads=1)["batch_1_ms"]}


class _ReportWriter:
    """A thread writing a trial's reports in epoch order; ``join`` waits for the last."""

    def __init__(self, trial: optuna.trial.Trial):
        self.trial = trial
        self.reports: queue.SimpleQueue[tuple[float, int] | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="netweave-trial-reports", daemon=True)
        self.thread.start()

    def put(self, value: float, epoch: int) -> None:
        self.reports.put((value, epoch))

    def join(self) -> None:
        self.reports.put(None)
        self.thread.join()

    def _run(self) -> None:
        while (report := self.reports.get()) is not None:
            try:
                self.trial.report(*report)
            except Exception:  # noqa: BLE001 - a lost curve point must not end the trial
                log.warning("reporting epoch %s to the study failed", report[1], exc_info=True)


def reporter_for_job(trial: dict[str, Any]) -> EpochReporter:
    """The reporter of a trial run on a worker: job.json's ``trial`` =
    ``{"storage": url, "study": name, "number": n, "sweep": tune config}``."""
    sweep = TuneConfig.model_validate(trial["sweep"])
    # One connection kept for the trial's life (closed by ``close``): a report each epoch on a
    # connection of its own was a third of a short-epoch trial's time (docs/benchmarks.md).
    study = optuna.load_study(study_name=trial["study"], pruner=build_pruner(sweep),
                              storage=storage(with_password(trial["storage"]), create=False, pooled=True))
    number = int(trial["number"])
    trial_id = study._storage.get_trial_id_from_study_id_trial_number(study._study_id, number)
    return EpochReporter(optuna.trial.Trial(study, trial_id), sweep)


def with_password(url: str) -> str:
    """The storage URL with its hidden password (``***``) filled from the DATABASE_URL this
    process inherited: job.json, a file on the worker's disk, never holds the password."""
    if ":***@" not in url:
        return url
    password = urlparse(os.environ.get("DATABASE_URL", "")).password
    return url.replace(":***@", f":{quote(password, safe='')}@", 1) if password else url
