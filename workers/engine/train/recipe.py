"""The training recipe: setup / train / save_checkpoint / cleanup (torchtune's shape).

One code path for one process and for N under DDP: ``Placement`` says which
process this is; rank 0 alone emits events and writes checkpoints, and every
decision that depends on metrics (best, early stopping, plateau) is taken
from all-reduced figures so that every process takes the same one.
"""
from __future__ import annotations

import contextlib
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist
from torch import nn

from ..data import DatasetBundle
from ..recipes.images import reconstructions
from .checks import check_compatible, check_output, first_output
from .checkpoint import CheckpointWriter, cpu_copy, load_checkpoint, rng_state, set_rng_state
from .config import TrainConfig
from .loaders import eval_loader, to_device, train_loader
from .meter import EventSink, NullSink, TrainMeter
from .metrics import EvalAccumulator, compute_loss
from .optim import build_optimizer, build_schedule


class Cancelled(Exception):
    """Raised between two steps once a stop was asked for (SIGTERM)."""


@dataclass
class Placement:
    """Where this process trains: device, and its rank in a DDP group."""

    device: torch.device
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


# Validation's confusion matrix and per-class figures go out at most this often (and after
# the last epoch): every epoch, a run of short epochs spent most of its service's work on them.
FIGURES_SECONDS = 2.0


@dataclass
class LoopState:
    """The loop's position, saved in every checkpoint."""

    epoch: int = 0  # index of the epoch in progress (0-based)
    batch_in_epoch: int = 0  # batches of that epoch already trained on
    step: int = 0  # optimizer steps so far
    best: float | None = None  # best monitored value so far
    bad_evals: int = 0  # evaluations since the monitored metric last improved
    last_eval_step: int = -1
    stopped_early: bool = False


def _checkpoint_event(name: str, epoch: int, step: int) -> dict[str, Any]:
    return {"type": "checkpoint", "path": f"checkpoints/{name}.pt", "epoch": epoch, "step": step,
            "best": name == "best"}


class TrainRecipe:
    def __init__(self, model: nn.Module, data: DatasetBundle, config: TrainConfig, *,
                 run_dir: str | Path, placement: Placement | None = None,
                 sink: EventSink | None = None, should_stop: Callable[[], bool] = lambda: False,
                 epoch_hook: Callable[[int, dict[str, float] | None], None] | None = None):
        self.model, self.data, self.cfg = model, data, config
        self.run_dir = Path(run_dir)
        self.place = placement or Placement(torch.device("cpu"))
        self.sink = sink if (sink is not None and self.place.is_main) else NullSink()
        self.should_stop = should_stop
        # Called after each epoch's validation with (epoch, val metrics): a tuner's
        # report / prune question (engine.tune.report); it may raise jobs.Pruned.
        self.epoch_hook = epoch_hook
        self.last_val: dict[str, float] | None = None
        self.task = config.task or data.task
        self.state = LoopState()
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.best_step: int | None = None  # the step best_weights were taken at (this process)
        # The loop's position when best_weights were taken, and whether best.pt
        # lags behind them: best.pt is written with last.pt, not at each improvement.
        self.best_state: dict[str, Any] | None = None
        self.best_pending = False
        self.saved_at = time.monotonic()  # the last write of last.pt (or the start)
        self.saved_any = False  # has this process written last.pt
        self.writer = CheckpointWriter()
        # The latest validation's confusion matrix and per-class figures, sent at most every
        # FIGURES_SECONDS and always after the last epoch (the run page shows the latest).
        self.figures: tuple[int, dict[str, Any]] | None = None
        self.figures_at = -math.inf

    # -- setup ---------------------------------------------------------------
    def setup(self, resume_from: str | Path | None = None) -> None:
        cfg, place = self.cfg, self.place
        check_compatible(cfg, place.device, place.world_size, self.data, self.task)
        torch.manual_seed(cfg.seed)
        self.module = self.model.to(place.device)
        check_output(self.module, self.data, self.task, place.device)
        self.net = self.module
        if place.distributed:
            ids = [place.device.index] if place.device.type == "cuda" else None
            self.net = nn.parallel.DistributedDataParallel(self.module, device_ids=ids)
        cuda = place.device.type == "cuda"
        per_rank = cfg.batch_size // place.world_size
        self.loader, self.sampler, self.batches = train_loader(
            self.data.train, per_rank, rank=place.rank, world_size=place.world_size,
            seed=cfg.seed, num_workers=cfg.num_workers, cuda=cuda)
        self.eval_loaders = {name: eval_loader(getattr(self.data, name), per_rank * 2, rank=place.rank,
                                               world_size=place.world_size, num_workers=0, cuda=cuda)
                             for name in ("val", "test")}
        self.optimizer = build_optimizer(self.module.parameters(), cfg.optimizer)
        self.schedule = build_schedule(self.optimizer, cfg.schedule, lr=cfg.optimizer.lr,
                                       total_steps=cfg.epochs * len(self.batches), mode=cfg.mode)
        amp = cfg.precision != "fp32"
        self.autocast = (lambda: torch.autocast(place.device.type, dtype=getattr(torch, {
            "bf16": "bfloat16", "fp16": "float16"}[cfg.precision]))) if amp else contextlib.nullcontext
        self.scaler = torch.amp.GradScaler("cuda") if cfg.precision == "fp16" else None
        self.meter = TrainMeter(self.sink, world_size=place.world_size, enabled=place.is_main)
        if resume_from:
            self._restore(load_checkpoint(resume_from))  # on the CPU: RNG states must stay there

    # -- train ---------------------------------------------------------------
    def train(self) -> dict[str, Any]:
        """Fit, then test the best weights; returns the run's summary."""
        self.fit()
        return self.test()

    def fit(self) -> None:
        """The epochs: steps, validation, checkpoints, early stopping."""
        cfg, st = self.cfg, self.state
        self.net.train()
        while st.epoch < cfg.epochs and not st.stopped_early:
            self.sink.emit({"type": "phase", "phase": "training", "epoch": st.epoch + 1, "epochs": cfg.epochs})
            started = time.monotonic()
            self.sampler.set_epoch(st.epoch)
            self.batches.skip = st.batch_in_epoch
            for batch in self.loader:
                self.meter.begin()
                self._step(*to_device(batch, self.place.device))
                if st.stopped_early:  # decided by an evaluation inside the epoch
                    break
            self._end_epoch(time.monotonic() - started)
        self._emit_figures(due=True)
        if not self.saved_any:  # resumed after its last epoch: this run still gets its checkpoints
            self._save()

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        cfg, st = self.cfg, self.state
        # Before the forward pass, as the classic loop does: the last step's
        # gradients are freed before the activations are allocated.
        self.optimizer.zero_grad(set_to_none=True)
        with self.autocast():
            loss = self.loss(x, y)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        if cfg.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.module.parameters(), cfg.grad_clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.schedule.step("step")
        st.step += 1
        st.batch_in_epoch += 1
        self.meter.add(st.step, st.epoch + 1, loss, self.optimizer.param_groups[0]["lr"], len(x))
        if cfg.eval_every_steps and st.step % cfg.eval_every_steps == 0:
            self._validate()  # best.pt follows with the next last.pt
        if self._stop_requested():
            raise Cancelled()

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training loss of one batch (a subclass may change it: distillation)."""
        return compute_loss(self.task, first_output(self.net(x)), x, y)

    def _stop_requested(self) -> bool:
        stop = self.should_stop()
        if self.place.distributed:
            # Every process must stop after the same step, or the others would
            # wait in the next collective for ever: agree on the flag.
            flag = torch.tensor([float(stop)], device=self.place.device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            stop = bool(flag.item())
        return stop

    def _end_epoch(self, seconds: float) -> None:
        cfg, st = self.cfg, self.state
        epoch_loss = self.meter.epoch_loss()
        st.epoch += 1
        st.batch_in_epoch = 0
        if self.place.is_main:
            values = {"epoch_time": seconds}
            if epoch_loss is not None:
                values["epoch_loss"] = epoch_loss
            self._emit_metric("train", values)
        self.schedule.step("epoch")
        if st.last_eval_step != st.step:
            self._validate()
        # By time, not by epoch: on short epochs a checkpoint each epoch cost ~6 % of
        # the run (docs/benchmarks.md). The last epoch (early stopping included) always writes.
        final = st.epoch >= cfg.epochs or st.stopped_early
        if final or time.monotonic() - self.saved_at >= cfg.checkpoint_seconds:
            self._save()
        self.sink.emit({"type": "log", "level": "info",
                        "message": f"epoch {st.epoch}/{cfg.epochs} done in {seconds:.2f} s"})
        if self.epoch_hook is not None and self.place.is_main:
            self.epoch_hook(st.epoch, self.last_val)
        if st.stopped_early:
            self.sink.emit({"type": "log", "level": "info", "message":
                            f"early stopping: {cfg.monitor} did not improve for "
                            f"{st.bad_evals} evaluations"})

    # -- evaluation ----------------------------------------------------------
    def evaluate(self, split: str) -> tuple[dict[str, float], dict[str, Any] | None]:
        """Metrics of ``split`` ("val" or "test"), identical on every process."""
        self.meter.pause()
        acc = EvalAccumulator(self.task, self.data.num_classes, self.place.device)
        self.module.eval()
        with torch.no_grad(), self.autocast():
            for batch in self.eval_loaders[split]:
                x, y = to_device(batch, self.place.device)
                acc.update(first_output(self.module(x)), x, y)
        self.module.train()
        acc.all_reduce()
        values, details = acc.result()
        self._emit_metric(split, values)
        if self.task == "reconstruction" and split == "val" and self.place.is_main \
                and len(self.data.input_shape) == 3:  # images (C, H, W): a grid a person can look at
            self._emit_artifact("reconstructions", reconstructions(self.module, self.data.val, self.place.device))
        if details is not None and split == "test":
            # Test figures get their own kinds: the service names artifacts
            # "<kind>/<step>", and the test runs at the last validation's step.
            self._emit_details("test_", self.state.step, details)
        elif details is not None:
            self.figures = (self.state.step, details)
            self._emit_figures(due=False)
        return values, details

    def _emit_details(self, prefix: str, step: int, details: dict[str, Any]) -> None:
        """An evaluation's confusion matrix and per-class figures, as two artifacts."""
        rest = {k: v for k, v in details.items() if k != "confusion_matrix"}
        self._emit_artifact(f"{prefix}confusion_matrix", details["confusion_matrix"], step)
        self._emit_artifact(f"{prefix}per_class", {"labels": self.data.classes, **rest}, step)

    def _emit_figures(self, due: bool) -> None:
        """The pending validation figures, if ``due`` or FIGURES_SECONDS have passed since the
        last: a run of short epochs sent two documents an epoch, most of its service's work."""
        if self.figures is None or not (due or time.monotonic() - self.figures_at >= FIGURES_SECONDS):
            return
        step, details = self.figures
        self.figures, self.figures_at = None, time.monotonic()
        self._emit_details("", step, details)

    def _validate(self) -> bool:
        """Evaluate on the validation split; True when the monitored metric improved."""
        cfg, st = self.cfg, self.state
        st.last_eval_step = st.step
        if len(self.data.val) == 0:
            return False
        values, _ = self.evaluate("val")
        self.last_val = values
        value = values[cfg.monitor.split("/", 1)[1]]
        self.schedule.step("eval", value)
        sign = 1 if cfg.mode == "min" else -1
        if st.best is None or sign * (st.best - value) > cfg.early_stopping.min_delta:
            st.best, st.bad_evals = value, 0
            self.best_weights = cpu_copy(self.module.state_dict())
            self.best_step, self.best_state, self.best_pending = st.step, asdict(st), True
            return True
        st.bad_evals += 1
        patience = cfg.early_stopping.patience
        st.stopped_early = patience is not None and st.bad_evals >= patience
        return False

    def test(self) -> dict[str, Any]:
        """Test the best weights (when validation chose some) and summarise."""
        self.writer.wait()  # the checkpoints' events come before the summary
        if self.best_weights is not None:
            self.module.load_state_dict(self.best_weights)
        summary: dict[str, Any] = {"epochs": self.state.epoch, "steps": self.state.step,
                                   "stopped_early": self.state.stopped_early}
        if self.state.best is not None:
            summary[f"best_{self.cfg.monitor.replace('/', '_')}"] = self.state.best
        if len(self.data.test):
            self.sink.emit({"type": "phase", "phase": "testing"})
            values, _ = self.evaluate("test")
            summary.update({f"test_{k}": v for k, v in values.items()})
        return summary

    # -- events and checkpoints ---------------------------------------------
    def _emit_metric(self, split: str, values: dict[str, float]) -> None:
        self.sink.emit({"type": "metric", "step": self.state.step, "epoch": self.state.epoch,
                        "split": split, "values": values, "time": time.time()})

    def _emit_artifact(self, kind: str, data: Any, step: int | None = None) -> None:
        self.sink.emit({"type": "artifact", "kind": kind, "step": self.state.step if step is None else step,
                        "data": data})

    def save_checkpoint(self, name: str = "last") -> Path | None:
        """Write ``checkpoints/<name>.pt`` (and best.pt if it lags) now (rank 0); returns its path.
        A cancelled or pruned run's latest validation figures go out with it."""
        self._emit_figures(due=True)
        self._save(name)
        self.writer.wait()
        return self.run_dir / "checkpoints" / f"{name}.pt" if self.place.is_main else None

    def _save(self, name: str = "last") -> None:
        """Snapshot the state and write it in the background, with best.pt when it changed."""
        self.meter.flush()
        if not self.place.is_main:
            return
        st = self.state
        self.saved_at, self.saved_any = time.monotonic(), True
        # Best weights taken at this very step are the model's weights: the
        # checkpoint shares them (torch.save stores shared tensors once).
        fresh = self.best_weights is not None and self.best_step == st.step
        payload = cpu_copy({
            "model": {} if fresh else self.module.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.schedule.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else {},
            "state": asdict(st), "config": self.cfg.model_dump(mode="json"),
            "rng": rng_state(include_cuda=self.place.device.type == "cuda"), "best_state": self.best_state,
        })
        payload["best_weights"] = self.best_weights or {}  # already a CPU copy, never mutated
        if fresh:
            payload["model"] = self.best_weights
        paths = [self.run_dir / "checkpoints" / f"{name}.pt"]
        writes = [(paths, payload)]
        events = [_checkpoint_event(name, st.epoch, st.step)]
        if self.best_pending and name != "best" and self.best_state is not None:
            best = self.run_dir / "checkpoints" / "best.pt"
            if fresh:  # the same file: a hard link
                paths.append(best)
            else:  # the best weights where the loop was then, without the optimizer's state
                writes.append(([best], {**payload, "model": self.best_weights, "optimizer": {}, "scheduler": {},
                                        "scaler": {}, "best_weights": {}, "state": self.best_state}))
            events.append(_checkpoint_event("best", self.best_state["epoch"], self.best_state["step"]))
            self.best_pending = False

        def announce() -> None:
            for event in events:
                self.sink.emit(event)

        self.writer.submit(writes, announce)

    def _restore(self, ckpt: dict[str, Any]) -> None:
        self.module.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.schedule.load_state_dict(ckpt["scheduler"])
        if self.scaler is not None and ckpt["scaler"]:
            self.scaler.load_state_dict(ckpt["scaler"])
        self.state = LoopState(**ckpt["state"])
        self.best_weights = {k: v.cpu() for k, v in ckpt["best_weights"].items()} or None
        # The resumed run writes its own best.pt with its first checkpoint (older checkpoints
        # lack best_state: best.pt then waits for the next improvement).
        self.best_state = ckpt.get("best_state") if self.best_weights else None
        self.best_pending = self.best_state is not None
        set_rng_state(ckpt["rng"])
        self.sink.emit({"type": "log", "level": "info", "message":
                        f"resumed at epoch {self.state.epoch + 1}, step {self.state.step}"})

    def cleanup(self) -> None:
        if getattr(self, "meter", None) is not None:
            self.meter.flush()
        try:
            self.writer.close()
        except RuntimeError as exc:  # already ending; the run's own error is the one to report
            print(f"warning: {exc}", file=sys.stderr)
        self.loader, self.eval_loaders = None, {}  # stops persistent loader workers
