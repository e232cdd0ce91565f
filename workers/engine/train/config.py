"""The training configuration: one typed, validated object per run.

Every field carries its description (the "comment per field"), and
``config_schema()`` exports the whole model as JSON Schema so the API and the
editor build the launch form (defaults, ranges, choices) from this one place.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class ConfigError(ValueError):
    """A configuration a person must fix; ``errors`` use the engine's error shape."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


class _Strict(BaseModel):
    # Unknown keys are refused so a typo ("learning_rate") is not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptimizerConfig(_Strict):
    name: Literal["sgd", "adam", "adamw"] = Field(
        "adam", description="Optimizer: SGD (with momentum/Nesterov), Adam or AdamW")
    lr: float = Field(1e-3, gt=0, le=10, description="Learning rate (peak rate for one-cycle)")
    weight_decay: float = Field(0.0, ge=0, le=1, description="L2 penalty (decoupled for AdamW)")
    momentum: float = Field(0.0, ge=0, lt=1, description="SGD momentum; 0 turns it off")
    nesterov: bool = Field(False, description="SGD Nesterov momentum (needs momentum > 0)")
    betas: tuple[float, float] = Field(
        (0.9, 0.999), description="Adam/AdamW coefficients for the running averages")
    eps: float = Field(1e-8, gt=0, le=1, description="Adam/AdamW term added for stability")

    @model_validator(mode="after")
    def _check(self) -> "OptimizerConfig":
        if self.nesterov and (self.name != "sgd" or self.momentum <= 0):
            raise ValueError("nesterov needs name 'sgd' and momentum > 0")
        if not all(0 <= b < 1 for b in self.betas):
            raise ValueError("betas must both be in [0, 1)")
        return self


class ScheduleConfig(_Strict):
    name: Literal["none", "step", "cosine", "onecycle", "reduce_on_plateau"] = Field(
        "none", description="Learning-rate schedule. step: per epoch; cosine and onecycle: "
        "per optimizer step over the whole run; reduce_on_plateau: at each evaluation "
        "on the monitored metric")
    step_size: int = Field(10, ge=1, le=100000, description="step: epochs between decays")
    gamma: float = Field(0.1, gt=0, le=1, description="step: factor applied at each decay")
    min_lr: float = Field(0.0, ge=0, description="cosine / reduce_on_plateau: lowest rate")
    pct_start: float = Field(0.3, gt=0, lt=1, description="onecycle: share of steps spent warming up")
    factor: float = Field(0.1, gt=0, lt=1, description="reduce_on_plateau: factor per reduction")
    patience: int = Field(2, ge=0, le=1000, description="reduce_on_plateau: evaluations without progress")


class EarlyStoppingConfig(_Strict):
    patience: int | None = Field(
        None, ge=1, le=10000,
        description="Stop after this many evaluations without progress on the monitored "
        "metric; empty turns early stopping off")
    min_delta: float = Field(0.0, ge=0, description="Smallest change that counts as progress")


class TrainConfig(_Strict):
    epochs: int = Field(10, ge=1, le=100000, description="Passes over the training split")
    batch_size: int = Field(
        64, ge=1, le=65536,
        description="Global batch size; under DDP each of N processes takes batch_size / N")
    optimizer: OptimizerConfig = Field(default_factory=OptimizerConfig, description="Optimizer")
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig, description="Learning-rate schedule")
    task: Literal["classification", "regression", "reconstruction"] | None = Field(
        None, description="Loss by task: classification = cross-entropy, regression = MSE, "
        "reconstruction = MSE against the input; empty = the dataset's task")
    precision: Literal["fp32", "bf16", "fp16"] = Field(
        "fp32", description="Mixed precision: bf16 on GPU (or CPU), fp16 on GPU only")
    grad_clip: float | None = Field(
        None, gt=0, le=1e6, description="Clip the gradients' global norm to this; empty = off")
    monitor: str = Field(
        "val/loss", pattern=r"^val/[a-z_0-9]+$",
        description="Validation metric that picks best.pt, drives early stopping and "
        "reduce_on_plateau (val/loss, val/accuracy, val/f1, ...)")
    monitor_mode: Literal["auto", "min", "max"] = Field(
        "auto", description="Whether lower or higher is better; auto: min for loss/mae/rmse")
    early_stopping: EarlyStoppingConfig = Field(
        default_factory=EarlyStoppingConfig, description="Early stopping")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed for weights, shuffling and dropout")
    eval_every_steps: int | None = Field(
        None, ge=1, le=10**9, description="Also evaluate every N optimizer steps; "
        "empty = only at the end of each epoch")
    num_workers: int = Field(0, ge=0, le=32, description="Data-loading worker processes")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="Where to train; auto = the GPU when there is one")
    system_every_s: float = Field(
        5.0, ge=0.5, le=3600, description="Seconds between CPU/memory/GPU figures")
    checkpoint_seconds: float = Field(
        10.0, ge=0, le=86400, description="Least seconds between two writes of checkpoints/last.pt "
        "(with best.pt when it changed) at the end of an epoch; they are always written after the "
        "last epoch and when the run is stopped. A run resumed after its worker was lost repeats "
        "at most this much training. 0 = after every epoch")

    @property
    def mode(self) -> str:
        """'min' or 'max' for the monitored metric."""
        if self.monitor_mode != "auto":
            return self.monitor_mode
        name = self.monitor.split("/", 1)[1]
        return "min" if name in {"loss", "mae", "rmse", "mse"} else "max"


def parse_model(model: type[BaseModel], data: dict[str, Any] | None) -> Any:
    """Validate ``data`` against a config model; raise ``ConfigError`` naming each bad field.

    Every job kind's config goes through here, so every kind reports a bad
    field the same way (``optimizer.lr``, ``split``)."""
    if data is not None and not isinstance(data, dict):
        raise ConfigError([{"node": None, "port": None, "field": None, "message": "config must be an object"}])
    try:
        return model.model_validate(data or {})
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or None
            message = err["msg"].removeprefix("Value error, ")
            errors.append({"node": None, "port": None, "field": field, "message": message})
        raise ConfigError(errors) from None


def parse_config(data: dict[str, Any] | None) -> TrainConfig:
    """Validate a training config dict; raise ``ConfigError`` naming each bad field."""
    return parse_model(TrainConfig, data)


def config_schema() -> dict[str, Any]:
    """JSON Schema of ``TrainConfig`` (defaults, ranges, choices, descriptions)."""
    return TrainConfig.model_json_schema()
