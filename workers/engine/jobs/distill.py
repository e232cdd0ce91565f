"""The ``distill`` kind: a student graph trained to imitate a finished run (the teacher).

Knowledge distillation (Hinton et al., 2015): the student's loss is
``alpha · KL(softmax(teacher/T) ‖ softmax(student/T)) · T² + (1 − alpha) · CE(student, y)``,
with the temperature T and the weight alpha settable. Everything else is a
normal training run (``engine.train.TrainRecipe``: optimizer, schedule,
validation, checkpoints, live curves); the teacher is the input run's
checkpoint in its own graph, frozen, in eval mode, on the same device.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator

from ..data import load_dataset
from ..train import TrainConfig, TrainRecipe
from ..train.recipe import first_output
from .binding import check_input_shape, wanted_device
from .distributed import setup_placement
from .kinds import JobError, register_job
from .sources import load_source
from .train_job import TrainJob


class DistillConfig(TrainConfig):
    temperature: float = Field(4.0, gt=0, le=100, description="Softening temperature T of both "
                               "models' outputs in the distillation term")
    alpha: float = Field(0.7, ge=0, le=1, description="Weight of the distillation term; "
                         "1 - alpha weighs the cross-entropy with the labels")

    @model_validator(mode="after")
    def _classification(self) -> "DistillConfig":
        if self.task not in (None, "classification"):
            raise ValueError("distillation matches class probabilities: task must be classification")
        return self


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor, y: torch.Tensor,
                      temperature: float, alpha: float) -> torch.Tensor:
    """alpha · KL(teacher_T ‖ student_T) · T² + (1 − alpha) · CE(student, y)."""
    t = temperature
    soft = F.kl_div(F.log_softmax(student.float() / t, dim=1), F.log_softmax(teacher.float() / t, dim=1),
                    reduction="batchmean", log_target=True) * (t * t)
    return alpha * soft + (1 - alpha) * F.cross_entropy(student.float(), y)


class DistillRecipe(TrainRecipe):
    """``TrainRecipe`` with the distillation loss; the teacher is frozen."""

    cfg: DistillConfig

    def __init__(self, *args: Any, teacher: torch.nn.Module, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.teacher = teacher

    def setup(self, resume_from: str | Path | None = None) -> None:
        super().setup(resume_from)
        self.teacher = self.teacher.to(self.place.device).eval().requires_grad_(False)

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            teacher = first_output(self.teacher(x))
        student = first_output(self.net(x))
        if teacher.shape != student.shape:
            raise JobError("inputs", f"the teacher gives {list(teacher.shape[1:])} per sample and the "
                                     f"student {list(student.shape[1:])}: they must score the same classes")
        return distillation_loss(student, teacher, y, self.cfg.temperature, self.cfg.alpha)


class DistillJob(TrainJob):
    """The train kind's job with the teacher loaded and the distillation loss."""

    def setup(self, resume_from: str | None) -> None:
        from .. import compile_graph

        ctx, cfg = self.ctx, self.ctx.config
        placement = setup_placement(wanted_device(cfg.device, ctx.resources))
        data = load_dataset(ctx.dataset)
        if data.task != "classification":
            raise JobError("dataset", f"distillation needs a classification dataset; "
                                      f"{data.name!r} is for {data.task}")
        check_input_shape(ctx.graph, data.input_shape, data.name)
        teacher_graph = ctx.inputs[0].get("graph") if ctx.inputs else None
        if not teacher_graph:
            raise JobError("inputs", "the teacher run's graph is missing from the job")
        teacher = load_source(ctx, teacher_graph).model
        student = compile_graph(ctx.graph, seed=cfg.seed)
        self.recipe = DistillRecipe(student, data, cfg, run_dir=ctx.run_dir, placement=placement,
                                    sink=ctx.sink, should_stop=ctx.should_stop, teacher=teacher)
        self.recipe.setup(resume_from=resume_from)


register_job(
    "distill", DistillConfig, DistillJob, title="Distill",
    description="Train this graph (the student) to imitate a finished run (the teacher): "
                "alpha · KL of the temperature-softened outputs · T² + (1 - alpha) · cross-entropy; "
                "a normal training run with live curves.",
    inputs=(1, 1), checkpoints=True)
