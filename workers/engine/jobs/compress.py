"""The ``compress`` kind: a finished run's model made smaller, and measured against it.

Methods chain in one run, in this order: structured pruning (with
fine-tuning epochs after each step) → unstructured magnitude pruning →
int8 quantization and/or half-precision export. Every model on the way is
measured on the same test split in this job (``compress.report``). Outputs:
``outputs/graph.json`` (the pruned graph, which the service saves as a new
version of the source graph), ``checkpoints/best.pt`` (its float weights as
a normal training checkpoint), the exported files under ``outputs/``, and a
``compress_report`` artifact with the before/after table.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch

from ..compress import PruneError, graph_for_pruned, prune_structured
from ..compress.quantize import dynamic_int8, half, qat_int8, static_int8
from ..compress.report import Bench, compare, summary_of
from ..compress.sparse import sparse_bytes, sparsify, sparsity
from ..data import load_dataset
from ..graph.api import compile_graph, validate_graph
from ..measure import parameter_count
from ..train import NullSink, TrainConfig, TrainRecipe
from .binding import check_input_shape, wanted_device
from .compress_config import CompressConfig
from .distributed import setup_placement
from .kinds import JobContext, JobError, register_job
from .sources import load_source, weights_bytes, write_training_checkpoint



class CompressJob:
    def __init__(self, ctx: JobContext):
        self.ctx, self.cfg = ctx, ctx.config
        self.sink = ctx.sink or NullSink()
        self.step = 0
        self.outputs = ctx.run_dir / "outputs"

    def setup(self, resume_from: str | None) -> None:
        ctx = self.ctx
        self.data = load_dataset(ctx.dataset)
        check_input_shape(ctx.graph, self.data.input_shape, self.data.name)
        self.source = load_source(ctx, ctx.graph)
        self.model = self.source.model
        self.task = self.source.train_config.get("task") or self.data.task
        if len(self.data.test) == 0:
            raise JobError("dataset", f"dataset {self.data.name!r} has no test split to measure on")
        self.place = setup_placement(wanted_device(self.cfg.device, ctx.resources))
        self.bench = Bench(self.data.test, self.task, self.data.num_classes,
                           repeats=self.cfg.latency_repeats, threads=self.cfg.threads)
        self.example = (self.data.train[[0, min(1, len(self.data.train) - 1)]][0],)
        self.doc = ctx.graph
        self.outputs.mkdir(parents=True, exist_ok=True)

    # -- the chain -----------------------------------------------------------
    def run(self) -> dict[str, Any]:
        rows = [self._figures("source", self.model, self.doc)]
        cfg = self.cfg
        if cfg.section("structured"):
            self._structured()
            rows.append(self._figures("pruned", self.model, self.doc))
        if cfg.section("unstructured"):
            rows.append(self._unstructured())
        float_rows = len(rows)
        if cfg.section("half"):
            dtype = cfg.half.dtype
            rows.append(self._exported(dtype, half(self.model, dtype, self.example[0],
                                                   self.outputs / f"model_{dtype}.pt")))
        if cfg.section("quantize"):
            rows.append(self._exported(f"int8_{cfg.quantize.mode}", self._quantize()))
        self._log(f"checkpoints/best.pt holds the {rows[float_rows - 1].model} model's float weights")
        report = compare(rows, self.task)
        self._artifact("compress_report", report)
        self._save()
        summary = summary_of(report)
        final = report["rows"][-1]
        self._metric("test", final["metrics"])  # the runs table's test columns: the final model's
        self._metric("model", {k: v for k, v in summary.items()
                               if not k.startswith(("source_", "test_")) and v is not None})
        return summary

    def _figures(self, name: str, model: torch.nn.Module, doc: dict, **kw: Any):
        model = model.to("cpu").eval()
        flops = validate_graph(doc)["totals"]["flops"]
        fig = self.bench.figures(name, model, params=parameter_count(model), flops=flops,
                                 file_bytes=weights_bytes(model.state_dict()), **kw)
        self._log(f"{name}: {fig.metrics} params {fig.params:,} FLOPs {fig.flops:,} "
                  f"file {fig.file_bytes:,} B latency b1 {fig.latency_b1_ms:.3f} ms "
                  f"b64 {fig.latency_b64_ms:.3f} ms")
        return fig

    def _structured(self) -> None:
        cfg = self.cfg.structured
        try:
            ratio = prune_structured(self.model, self.example, cfg.prune_target(), steps=cfg.steps,
                                     norm=cfg.norm, after_step=self._finetune)
        except PruneError as exc:  # the engine's field names are this config's amount
            for e in exc.errors:
                if e.get("field") in ("ratio", "params", "flops", "target_params", "target_flops"):
                    e["field"] = "structured.amount"
            raise
        self.doc, state = graph_for_pruned(self.doc, self.model.to("cpu"), self.example)
        # Go on with the graph's own module (the same outputs, checked): its weights' names
        # are the document's, also when blocks were expanded.
        self.model = compile_graph(self.doc, seed=0)
        self.model.load_state_dict(state)
        self.model.eval()
        (self.outputs / "graph.json").write_text(json.dumps(self.doc, indent=1))
        self._log(f"structured pruning: channel ratio {ratio:.4f} in {cfg.steps} step(s)")

    def _unstructured(self):
        cfg = self.cfg.unstructured
        layers = sparsify(self.model, cfg.amount, cfg.scope)
        pruned, overall = sparsity(self.model)
        state = self.model.state_dict()
        packed = sparse_bytes(state, {f"{name}.weight" for name in layers})
        notes = [f"{pruned:.1%} of the conv/linear weights are zero ({overall:.1%} of all parameters); "
                 "a dense file, the FLOPs and a dense matmul do not get smaller: the dense figures "
                 f"are unchanged, a sparse CSR file would take {packed:,} bytes"]
        return self._figures("sparse", self.model, self.doc, notes=notes, sparsity=pruned,
                             sparse_file_bytes=packed, layer_sparsity=layers)

    def _quantize(self):
        cfg = self.cfg.quantize
        if cfg.mode == "dynamic":
            return dynamic_int8(self.model, self.example[0], self.outputs / "model_int8_dynamic.pt")
        if cfg.mode == "qat":
            return qat_int8(self.model, self.example[0], lambda m: self._train(m, cfg.qat_epochs),
                            self.outputs / "model_int8.onnx", self.cfg.threads)
        generator = torch.Generator().manual_seed(self.cfg.seed)
        order = torch.randperm(len(self.data.train), generator=generator).tolist()
        size = self.cfg.batch_size or int(self.source.train_config.get("batch_size") or 64)
        batches = [self.data.train[order[i:i + size]][0]
                   for i in range(0, min(len(order), size * cfg.calibration_batches), size)]
        return static_int8(self.model, self.example[0], batches, self.outputs / "model_int8.onnx",
                           self.cfg.threads)

    def _exported(self, name: str, exported):
        for note in exported.notes:
            self.sink.emit({"type": "log", "level": "warning", "message": note})
        fig = self.bench.figures(name, exported.module, params=parameter_count(self.model),
                                 flops=validate_graph(self.doc)["totals"]["flops"],
                                 file_bytes=exported.path.stat().st_size, notes=exported.notes,
                                 file=f"outputs/{exported.path.name}", float_nodes=exported.float_nodes)
        self._log(f"{name}: {fig.metrics} file {fig.file_bytes:,} B latency b1 "
                  f"{fig.latency_b1_ms:.3f} ms b64 {fig.latency_b64_ms:.3f} ms")
        return fig

    def _finetune(self, index: int) -> None:
        epochs = self.cfg.structured.finetune_epochs
        self._log(f"pruning step {index + 1}/{self.cfg.structured.steps}: "
                  f"{parameter_count(self.model):,} parameters; fine-tuning {epochs} epoch(s)")
        if epochs:
            self._train(self.model, epochs)

    def _train(self, model: torch.nn.Module, epochs: int) -> None:
        """Fine-tune ``model`` in place (its best validation weights kept), then on the CPU."""
        recipe = TrainRecipe(model, self.data, self.finetune_config(epochs), run_dir=self.ctx.run_dir,
                             placement=self.place, sink=self.sink, should_stop=self.ctx.should_stop)
        try:
            recipe.setup()
            recipe.state.step = self.step  # the curves go on from the previous step
            recipe.fit()
            if recipe.best_weights is not None:
                model.load_state_dict(recipe.best_weights)
            self.step = recipe.state.step
        finally:
            recipe.cleanup()
        model.to("cpu").eval()

    def finetune_config(self, epochs: int) -> TrainConfig:
        """The source run's training settings for ``epochs``, at ``finetune_lr`` if set."""
        base = self.source.train_config
        base.pop("early_stopping", None)
        optimizer = dict(base.get("optimizer") or {})
        source_lr = optimizer.get("lr", TrainConfig().optimizer.lr)
        optimizer["lr"] = self.cfg.finetune_lr or source_lr
        data = {**base, "epochs": epochs, "optimizer": optimizer, "seed": self.cfg.seed,
                "device": self.cfg.device, "eval_every_steps": None}
        if self.cfg.batch_size:
            data["batch_size"] = self.cfg.batch_size
        data.pop("schedule", None)  # a constant rate for fine-tuning
        return TrainConfig.model_validate(data)

    # -- outputs -------------------------------------------------------------
    def _save(self) -> None:
        state = self.model.state_dict()
        config = self.finetune_config(max(1, self.cfg.structured.finetune_epochs))
        for rel in write_training_checkpoint(self.ctx.run_dir, state, config.model_dump(mode="json"),
                                             self.step):
            self.sink.emit({"type": "checkpoint", "path": rel, "epoch": 0, "step": self.step,
                            "best": rel.endswith("best.pt")})

    def _metric(self, split: str, values: dict[str, float]) -> None:
        self.sink.emit({"type": "metric", "step": self.step, "epoch": 0, "split": split,
                        "values": values, "time": time.time()})

    def _artifact(self, kind: str, data: Any) -> None:
        self.sink.emit({"type": "artifact", "kind": kind, "step": self.step, "data": data})

    def _log(self, message: str) -> None:
        self.sink.emit({"type": "log", "level": "info", "message": message})

    def save_checkpoint(self, name: str) -> Path | None:
        return None  # a cancelled compression keeps nothing half-done

    def cleanup(self) -> None:
        self.model = None


register_job(
    "compress", CompressConfig, CompressJob, title="Compress",
    description="Make a finished run's model smaller and faster: structured pruning (a new, "
                "narrower graph version) with fine-tuning, unstructured pruning, int8 "
                "quantization, half precision; measured against the source on the same test split "
                "(accuracy, parameters, FLOPs, file size, CPU latency at batch 1 and 64).",
    inputs=(1, 1), checkpoints=True)
