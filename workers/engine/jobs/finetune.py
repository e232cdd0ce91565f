"""The ``finetune`` kind: training a graph whose backbone node starts from pretrained weights.

Everything ``train`` does, plus: each backbone node's ``weights_file`` is
checked (keys and shapes, ``weights_only=True``) at launch and at start; the
backbone trains at ``backbone_lr_multiplier`` times the base learning rate;
with ``unfreeze_epoch`` it stays frozen (no gradient, BatchNorm statistics
kept) for the epochs before that one. One process only: DDP cannot add
parameters to its gradient buckets half-way through a run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from ..recipes.finetune import Freezer, backbone_nodes, check_weights, split_parameters
from ..train import ConfigError, TrainConfig, TrainRecipe, load_checkpoint
from ..train.optim import build_optimizer, build_schedule
from .kinds import JobError, register_job
from .train_job import TrainJob


class FinetuneConfig(TrainConfig):
    backbone_lr_multiplier: float = Field(
        0.1, gt=0, le=10, description="The backbone's learning rate is the base rate times this "
        "(discriminative fine-tuning); its new head and the other layers train at the base rate")
    unfreeze_epoch: int | None = Field(
        None, ge=1, le=100000, description="The backbone is frozen before this epoch (1-based) and "
        "trains from it on; empty = each backbone node's own 'freeze' setting holds for the whole run")

    def check_job(self, graph: dict, description: dict | None = None) -> None:
        """A backbone node to fine-tune, and every weights file fitting its node."""
        nodes = backbone_nodes(graph)
        if not nodes:
            raise JobError("graph", "fine-tuning needs a backbone node (ResNet18, MobileNetV3Small, ...)")
        for node in nodes:
            params = node.get("params") or {}
            if params.get("weights_file"):
                check_weights(params["weights_file"], node["op"], params, node=node["id"])


class FinetuneRecipe(TrainRecipe):
    """``TrainRecipe`` with two optimizer groups and a backbone frozen until an epoch."""

    cfg: FinetuneConfig

    def __init__(self, *args: Any, graph: dict, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.graph = graph

    def setup(self, resume_from: str | Path | None = None) -> None:
        super().setup(resume_from=None)  # the optimizer is rebuilt below, then the state restored
        cfg = self.cfg
        backbone, rest, modules = split_parameters(self.module, self.graph)
        groups = [g for g in ({"params": rest}, {"params": backbone, "lr": cfg.optimizer.lr * cfg.backbone_lr_multiplier})
                  if g["params"]]
        self.optimizer = build_optimizer(groups, cfg.optimizer)
        self.schedule = build_schedule(self.optimizer, cfg.schedule, lr=[g["lr"] for g in self.optimizer.param_groups],
                                       total_steps=cfg.epochs * len(self.batches), mode=cfg.mode)
        self.freezer = Freezer(backbone, modules)
        if resume_from:
            self._restore(load_checkpoint(resume_from))
        frozen_by_node = any((n.get("params") or {}).get("freeze") for n in backbone_nodes(self.graph))
        if (self.state.epoch + 1 < cfg.unfreeze_epoch) if cfg.unfreeze_epoch else frozen_by_node:
            self.freezer.freeze()
        else:
            self.freezer.unfreeze()

    def _end_epoch(self, seconds: float) -> None:
        super()._end_epoch(seconds)
        start = self.cfg.unfreeze_epoch
        if self.freezer.frozen and start and self.state.epoch + 1 >= start:
            self.freezer.unfreeze()
            self.sink.emit({"type": "log", "level": "info", "message": f"backbone unfrozen: it trains from "
                            f"epoch {self.state.epoch + 1} at {self.optimizer.param_groups[-1]['lr']:.3g}"})


class FinetuneJob(TrainJob):
    def setup(self, resume_from: str | None) -> None:
        self.ctx.config.check_job(self.ctx.graph)
        super().setup(resume_from)

    def build(self, model, data, placement) -> TrainRecipe:
        ctx = self.ctx
        if placement.distributed:
            raise ConfigError([{"node": None, "port": None, "field": "devices",
                                "message": "fine-tuning runs as one process"}])
        return FinetuneRecipe(model, data, ctx.config, graph=ctx.graph, run_dir=ctx.run_dir, placement=placement,
                              sink=ctx.sink, should_stop=ctx.should_stop)


register_job(
    "finetune", FinetuneConfig, FinetuneJob, title="Fine-tune",
    description="Train a graph whose backbone node starts from uploaded pretrained weights: the backbone "
                "frozen until a chosen epoch, then trained at a fraction of the learning rate.",
    resumable=True, checkpoints=True)
