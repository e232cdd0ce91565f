"""The ``compress`` kind's settings: one section per method, each switched on by ``enabled``.

Every section is always there with its defaults, so the launch form (built
from this JSON Schema) shows each method with its settings and a switch;
a run applies the enabled ones in a fixed order: structured pruning (with
fine-tuning) → unstructured pruning → half precision → int8.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..compress import PruneTarget


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StructuredConfig(_Strict):
    enabled: bool = Field(False, description="Remove whole channels and features: a new, "
                          "narrower graph version")
    target: Literal["ratio", "params", "flops"] = Field(
        "ratio", description="What amount removes: that fraction of the channels of every layer "
        "(ratio), or at least that fraction of the parameters or FLOPs (the ratio is searched)")
    amount: float = Field(0.5, gt=0, lt=1, description="Fraction removed (0-1)")
    steps: int = Field(1, ge=1, le=20, description="Pruning steps (1 = one shot); the amount is "
                       "reached gradually, with fine-tuning after each step")
    finetune_epochs: int = Field(2, ge=0, le=1000, description="Fine-tuning epochs after each step")
    norm: Literal[1, 2] = Field(1, description="Channel importance: L1 or L2 norm of the weights")

    def prune_target(self) -> PruneTarget:
        if self.target == "ratio":
            return PruneTarget(ratio=self.amount)
        return PruneTarget(**{self.target: 1 - self.amount})


class UnstructuredConfig(_Strict):
    enabled: bool = Field(False, description="Zero the smallest weights (the dense size stays)")
    amount: float = Field(0.5, gt=0, lt=1, description="Fraction of the conv/linear weights set "
                          "to zero, smallest magnitude first (0-1)")
    scope: Literal["global", "layer"] = Field("global", description="global: the smallest weights "
                                              "of the whole model; layer: that fraction of each layer")


class HalfConfig(_Strict):
    enabled: bool = Field(False, description="Export the weights in half precision")
    dtype: Literal["fp16", "bf16"] = Field("fp16", description="Half-precision format")


class QuantizeConfig(_Strict):
    enabled: bool = Field(False, description="int8 post-training quantization")
    mode: Literal["static", "qat", "dynamic"] = Field(
        "static", description="static: weights and activations int8, calibrated (CNNs), exported "
        "to ONNX and run by onnxruntime; qat: the same after quantization-aware fine-tuning; "
        "dynamic: Linear/LSTM/GRU weights int8, TorchScript")
    calibration_batches: int = Field(8, ge=1, le=1000, description="Training batches that "
                                     "calibrate the activation ranges (static)")
    qat_epochs: int = Field(1, ge=1, le=1000, description="Quantization-aware fine-tuning epochs (qat)")


METHODS = ("structured", "unstructured", "half", "quantize")


class CompressConfig(_Strict):
    structured: StructuredConfig = Field(default_factory=StructuredConfig,
                                         description="Structured pruning")
    unstructured: UnstructuredConfig = Field(default_factory=UnstructuredConfig,
                                             description="Unstructured pruning")
    half: HalfConfig = Field(default_factory=HalfConfig, description="Half precision")
    quantize: QuantizeConfig = Field(default_factory=QuantizeConfig, description="int8 quantization")
    finetune_lr: float | None = Field(None, gt=0, le=10, description="Learning rate of the "
                                      "fine-tuning; empty = the source run's")
    batch_size: int | None = Field(None, ge=1, le=65536, description="Fine-tuning and calibration "
                                   "batch size; empty = the source run's")
    latency_repeats: int = Field(20, ge=3, le=1000, description="Timings per batch size (median)")
    threads: int = Field(1, ge=1, le=256, description="CPU threads for the latency timings")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed for fine-tuning and calibration")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="Where fine-tuning runs (latency is always timed on the CPU)")

    @model_validator(mode="after")
    def _some_method(self) -> "CompressConfig":
        if not self.enabled():
            raise ValueError(f"enable at least one method: {', '.join(METHODS)}")
        return self

    def enabled(self) -> list[str]:
        return [name for name in METHODS if getattr(self, name).enabled]

    def section(self, name: str):
        """The method's settings when enabled, else None."""
        value = getattr(self, name)
        return value if value.enabled else None
