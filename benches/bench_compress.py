"""Compression on digits, each method measured against its source in the same process.

Trains the digits CNN template once (the engine's train job), then runs the
``compress`` and ``distill`` kinds in this process as a worker's child would:

1. structured pruning to at least 4x fewer parameters, fine-tuned (goal: <= 1 point
   accuracy lost after <= 5 fine-tune epochs, CPU latency <= 0.6x at batch 64);
2. static int8 (PT2E, ONNX, onnxruntime) of the source (goal: <= 0.5 point lost,
   file <= 0.3x, latency <= 0.7x); the fp32 graph in onnxruntime is timed too, so
   the runtime's share of the speed-up is visible;
3. distillation into a student with a quarter of the teacher's parameters, against
   the same student trained alone for the same epochs with the same seed (goal: >= 50 %
   of the gap to the teacher closed);
4. ResNet-18 (template, 224x224) pruned to half its FLOPs: measured CPU latency ratio
   (untrained weights: latency does not depend on their values).

    .venv/bin/python benches/bench_compress.py [--epochs 20] [--finetune 5] [--no-resnet]
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from tests.engine.compress.helpers import run_kind, train_source  # noqa: E402
from workers.engine import export_onnx, load_template, validate_graph  # noqa: E402
from workers.engine.compress import PruneTarget, prune_structured  # noqa: E402
from workers.engine.compress.quantize import OrtModule  # noqa: E402
from workers.engine.exchange._compiled import compile_for_export  # noqa: E402
from workers.engine.measure import cpu_latency, parameter_count  # noqa: E402


def rows(sink) -> dict:
    return {r["model"]: r for r in sink.of("artifact", kind="compress_report")[0]["data"]["rows"]}


def show(title: str, src: dict, new: dict) -> None:
    drop = (src["metrics"]["accuracy"] - new["metrics"]["accuracy"]) * 100
    print(f"{title}: accuracy {src['metrics']['accuracy']:.4f} -> {new['metrics']['accuracy']:.4f} "
          f"({drop:.2f} points lost); params {src['params']:,} -> {new['params']:,} "
          f"(x{new['ratios']['params']:.3f}); file {src['file_bytes']:,} -> {new['file_bytes']:,} B "
          f"(x{new['ratios']['file']:.3f}); latency b1 {src['latency_b1_ms']:.3f} -> "
          f"{new['latency_b1_ms']:.3f} ms (x{new['ratios']['latency_b1']:.3f}), b64 "
          f"{src['latency_b64_ms']:.3f} -> {new['latency_b64_ms']:.3f} ms (x{new['ratios']['latency_b64']:.3f})")


def structured(base: Path, source: dict, finetune: int) -> None:
    config = {"structured": {"enabled": True, "target": "params", "amount": 0.75,
                             "finetune_epochs": finetune}, "latency_repeats": 200}
    _, sink = run_kind("compress", base / "structured", source["graph"], config, [source])
    r = rows(sink)
    show(f"structured pruning (>= 4x fewer params, {finetune} fine-tune epochs)", r["source"], r["pruned"])


def int8(base: Path, source: dict) -> None:
    config = {"quantize": {"enabled": True, "mode": "static", "calibration_batches": 8},
              "latency_repeats": 200}
    _, sink = run_kind("compress", base / "int8", source["graph"], config, [source])
    r = rows(sink)
    show("int8 static (PT2E -> ONNX -> onnxruntime)", r["source"], r["int8_static"])
    onnx = base / "fp32.onnx"
    onnx.write_bytes(export_onnx(source["graph"]))
    sample = torch.zeros(1, 1, 8, 8)
    fp32 = cpu_latency(OrtModule(onnx, threads=1), sample, [1, 64], 200, 1)
    print(f"  fp32 graph in onnxruntime: b1 {fp32['batch_1_ms']:.3f} ms, b64 {fp32['batch_64_ms']:.3f} ms "
          f"(int8/ort-fp32 at b64: x{r['int8_static']['latency_b64_ms'] / fp32['batch_64_ms']:.3f})")


def narrower(doc: dict, factor: int) -> dict:
    out = copy.deepcopy(doc)
    for node in out["nodes"]:
        for name in ("out_channels", "out_features"):
            value = node["params"].get(name)
            if isinstance(value, int):
                node["params"][name] = max(1, value // factor)
    return out


def distill(base: Path, source: dict, epochs: int) -> None:
    teacher = source["summary"]["test_accuracy"]
    settings = {"epochs": epochs, "batch_size": 64, "seed": 0, "monitor": "val/accuracy",
                "optimizer": {"name": "adam", "lr": 0.003}}
    for factor in (2, 8):
        student = narrower(source["graph"], factor)
        params = validate_graph(student)["totals"]["params"]
        alone, _ = run_kind("train", base / f"alone{factor}", student, settings, [])
        taught, _ = run_kind("distill", base / f"distill{factor}", student,
                             {**settings, "temperature": 8.0, "alpha": 0.9}, [source])
        gap = teacher - alone["test_accuracy"]
        closed = (taught["test_accuracy"] - alone["test_accuracy"]) / gap if gap > 0 else float("nan")
        print(f"distillation, student at 1/{factor} width ({params:,} params, "
              f"x{params / validate_graph(source['graph'])['totals']['params']:.3f} of the teacher), "
              f"{epochs} epochs: alone {alone['test_accuracy']:.4f}, distilled {taught['test_accuracy']:.4f}, "
              f"teacher {teacher:.4f}: {closed:.0%} of the gap closed")


def resnet() -> None:
    c = compile_for_export(load_template("resnet18"), seed=0)
    model, example = c.module.eval(), c.example_inputs(2)
    sample = example[0][:1]
    before = cpu_latency(model, sample, [1, 8], 5, 1)
    params = parameter_count(model)
    flops = validate_graph(load_template("resnet18"))["totals"]["flops"]
    prune_structured(model, example, PruneTarget(flops=0.5))
    after = cpu_latency(model, sample, [1, 8], 5, 1)
    import torch_pruning as tp
    macs, _ = tp.utils.count_ops_and_params(model, example)
    print(f"ResNet-18 224x224 pruned to half its FLOPs: MACs {flops / 2:,.0f} -> {macs:,.0f} "
          f"(x{macs / (flops / 2):.3f}), params {params:,} -> {parameter_count(model):,}; CPU latency "
          f"b1 {before['batch_1_ms']:.1f} -> {after['batch_1_ms']:.1f} ms "
          f"(x{after['batch_1_ms'] / before['batch_1_ms']:.3f}), b8 {before['batch_8_ms']:.1f} -> "
          f"{after['batch_8_ms']:.1f} ms (x{after['batch_8_ms'] / before['batch_8_ms']:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20, help="source and student training epochs")
    parser.add_argument("--finetune", type=int, default=5, help="fine-tune epochs after pruning")
    parser.add_argument("--no-resnet", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        source = train_source(base / "source", epochs=args.epochs)
        print(f"source: digits CNN, {args.epochs} epochs, test accuracy {source['summary']['test_accuracy']:.4f}")
        structured(base, source, args.finetune)
        int8(base, source)
        distill(base, source, args.epochs * 2)
    if not args.no_resnet:
        resnet()


if __name__ == "__main__":
    main()
