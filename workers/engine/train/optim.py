"""Optimizers and learning-rate schedules built from the typed config.

Each schedule says when it steps (``per``): "step" after every optimizer
step, "epoch" at each epoch's end, "eval" after each evaluation (on the
monitored metric). Only built-in torch schedulers are used, so their
``state_dict()`` holds primitives and loads with ``weights_only=True``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.optim import lr_scheduler

from .config import OptimizerConfig, ScheduleConfig


def build_optimizer(params, cfg: OptimizerConfig) -> torch.optim.Optimizer:
    if cfg.name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum,
                               nesterov=cfg.nesterov, weight_decay=cfg.weight_decay)
    cls = torch.optim.Adam if cfg.name == "adam" else torch.optim.AdamW
    return cls(params, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay)


@dataclass
class Schedule:
    """A scheduler (or none) and when it steps."""

    scheduler: lr_scheduler.LRScheduler | lr_scheduler.ReduceLROnPlateau | None
    per: str  # "step", "epoch", "eval" or "never"

    def step(self, when: str, metric: float | None = None) -> None:
        if self.scheduler is None or when != self.per:
            return
        if self.per == "eval":
            self.scheduler.step(metric)
        else:
            self.scheduler.step()

    def state_dict(self) -> dict:
        return self.scheduler.state_dict() if self.scheduler is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.scheduler is not None and state:
            self.scheduler.load_state_dict(state)


def build_schedule(optimizer: torch.optim.Optimizer, cfg: ScheduleConfig, *, lr: float | list[float],
                   total_steps: int, mode: str) -> Schedule:
    if cfg.name == "step":
        return Schedule(lr_scheduler.StepLR(optimizer, cfg.step_size, cfg.gamma), "epoch")
    if cfg.name == "cosine":
        return Schedule(lr_scheduler.CosineAnnealingLR(optimizer, max(total_steps, 1),
                                                       eta_min=cfg.min_lr), "step")
    if cfg.name == "onecycle":
        return Schedule(lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=max(total_steps, 1),
                                                pct_start=cfg.pct_start), "step")
    if cfg.name == "reduce_on_plateau":
        return Schedule(lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=cfg.factor,
                                                       patience=cfg.patience, min_lr=cfg.min_lr), "eval")
    return Schedule(None, "never")
