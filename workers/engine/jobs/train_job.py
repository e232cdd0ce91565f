"""The ``train`` kind: fit a graph on a dataset (the recipe in ``engine.train``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..data import load_dataset
from ..train import TrainConfig, TrainRecipe
from .binding import check_input_shape, wanted_device
from .distributed import setup_placement
from .kinds import JobContext, register_job


def trial_hook(job: dict[str, Any]):
    """A sweep's trial reports each epoch to its Optuna trial (job.json ``trial``)."""
    if not job.get("trial"):
        return None
    from ..tune.report import reporter_for_job  # imports Optuna: only trials pay for it

    return reporter_for_job(job["trial"])


class TrainJob:
    """Adapts ``TrainRecipe`` to the job shape; the graph is compiled in ``setup``."""

    def __init__(self, ctx: JobContext):
        self.ctx = ctx
        self.recipe: TrainRecipe | None = None
        self.reporter = None  # a sweep's trial: reports each epoch, measures the model at the end

    @property
    def step(self) -> int:
        return self.recipe.state.step if self.recipe is not None else 0

    @property
    def place(self):
        return self.recipe.place if self.recipe is not None else None

    def setup(self, resume_from: str | None) -> None:
        from .. import compile_graph  # the graph compiler (contracts, section 2)

        ctx, cfg = self.ctx, self.ctx.config
        placement = setup_placement(wanted_device(cfg.device, ctx.resources))
        ctx.sink.emit({"type": "phase", "phase": "loading data"})
        data = load_dataset(ctx.dataset)
        check_input_shape(ctx.graph, data.input_shape, data.name)
        ctx.sink.emit({"type": "phase", "phase": "building the model"})
        model = compile_graph(ctx.graph, seed=cfg.seed)
        self.recipe = self.build(model, data, placement)
        self.recipe.setup(resume_from=resume_from)

    def build(self, model, data, placement) -> TrainRecipe:
        """The training recipe; a kind that trains differently (finetune) builds its own."""
        ctx = self.ctx
        self.reporter = trial_hook(ctx.job)
        return TrainRecipe(model, data, ctx.config, run_dir=ctx.run_dir, placement=placement,
                           sink=ctx.sink, should_stop=ctx.should_stop, epoch_hook=self.reporter)

    def run(self) -> dict[str, Any]:
        if self.recipe is None:
            raise RuntimeError("run() before setup()")
        summary = self.recipe.train()
        if self.reporter is not None:
            self.reporter.flush()
            summary.update(self.reporter.measure(self.recipe.module, self.recipe.data))
        return summary

    def save_checkpoint(self, name: str) -> Path | None:
        return self.recipe.save_checkpoint(name) if self.recipe is not None else None

    def cleanup(self) -> None:
        if self.recipe is not None:
            self.recipe.cleanup()
        if self.reporter is not None:
            self.reporter.close()


register_job(
    "train", TrainConfig, TrainJob, title="Train",
    description="Fit the graph on a dataset: optimizer, schedule, precision, early stopping, "
                "checkpoints every few seconds (checkpoint_seconds) and at the end; the best weights are "
                "tested at the end.",
    distributed=True, resumable=True, checkpoints=True)
