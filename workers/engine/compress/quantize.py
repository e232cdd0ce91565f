"""int8 post-training quantization and half-precision export, each measured as exported.

Static int8 (CNNs) follows PyTorch's PT2E flow from torchao: ``torch.export``,
``prepare_pt2e`` with the x86 quantizer (per-channel weights, batch norm
folded), calibration on training batches, ``convert_pt2e``; the result is
exported to ONNX (QuantizeLinear/DequantizeLinear pairs, int8 weights) and
run by onnxruntime, which fuses them into int8 kernels. An op the quantizer
has no int8 kernel for stays fp32 in the same model, and is named.

Quantization-aware training takes the same path with fake quantization in
the graph while it fine-tunes (``prepare_qat_pt2e``), then converts.

Dynamic int8 (Linear, LSTM, GRU: weights int8, activations quantized on the
fly) uses ``torch.ao.quantization.quantize_dynamic``, the one CPU path with
int8 LSTM/GRU kernels, exported as TorchScript. Half precision stores the
weights as fp16/bf16 and runs in that dtype where the CPU has kernels.

Every figure is taken from the exported file loaded back (an onnxruntime
session, ``torch.jit.load``), never from the model before export.
"""
from __future__ import annotations

import contextlib
import copy
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Literal

import torch
from torch import fx, nn

from ..schema import GraphError, error

log = logging.getLogger(__name__)
ONNX_OPSET = 18
DYNAMIC_TYPES = {nn.Linear, nn.LSTM, nn.GRU}
# Ops that carry weights or do the arithmetic: each is int8 or named as fp32.
COMPUTE = ("conv", "linear", "matmul", "addmm", "bmm", "lstm", "gru", "rnn", "layer_norm",
           "group_norm", "embedding", "batch_norm", "instance_norm", "scaled_dot_product")
_QUIET = (torch.jit.TracerWarning, UserWarning, DeprecationWarning, FutureWarning)


@dataclass
class Exported:
    """A compressed model as written to disk, loaded back to be measured."""

    module: nn.Module
    path: Path
    notes: list[str] = field(default_factory=list)
    float_nodes: list[str] = field(default_factory=list)


class OrtModule(nn.Module):
    """An onnxruntime session (CPU, threads fixed) called like a module."""

    def __init__(self, path: Path, threads: int):
        super().__init__()
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.session.run(None, {self.input: x.numpy()})[0])


@contextlib.contextmanager
def quiet_loggers(*names: str):
    """The ONNX exporter's passes log every rewrite at INFO: keep the job's stderr readable."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _batch_dim():
    return ({0: torch.export.Dim("batch", min=1, max=65536)},)


def _is_dequantize(node) -> bool:
    return isinstance(node, fx.Node) and "dequantize" in str(node.target)


def _int8(node: fx.Node) -> bool:
    """A compute op runs in int8 when its weight (or second operand) is dequantized from int8."""
    rest: list = []
    for arg in node.args[1:]:
        rest.extend(arg if isinstance(arg, (list, tuple)) else [arg])
    return any(_is_dequantize(a) for a in rest)


def float_compute_nodes(converted: fx.GraphModule) -> list[str]:
    """The module paths (and ops) of compute ops left in fp32 by the quantizer."""
    names = []
    for node in converted.graph.nodes:
        if node.op != "call_function" or not any(k in str(node.target) for k in COMPUTE):
            continue
        if _int8(node):
            continue
        stack = node.meta.get("nn_module_stack") or {}
        path = list(stack.values())[-1][0] if stack else node.name
        label = f"{path} ({str(node.target).split('.')[1] if '.' in str(node.target) else node.target})"
        if label not in names:
            names.append(label)
    return names


def save_lean(proto, path: Path) -> None:
    """Save the ONNX model without the exporter's per-node metadata (stack traces, names),
    which would otherwise weigh as much as the int8 weights of a small model."""
    import onnx

    for node in proto.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    for value in proto.graph.value_info:
        del value.metadata_props[:]
    onnx.save(proto, str(path))


def _captured(model: nn.Module, example: torch.Tensor) -> fx.GraphModule:
    """The model as ``torch.export`` captures it (batch dimension dynamic)."""
    try:
        return torch.export.export(model, (example,), dynamic_shapes=_batch_dim()).module()
    except Exception as exc:  # noqa: BLE001
        raise GraphError([error(f"torch.export cannot capture this graph for quantization: "
                                f"{str(exc).splitlines()[0][:300]}")]) from None


def _quantizer(qat: bool):
    from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as x86

    config = x86.get_default_x86_inductor_quantization_config(is_qat=qat)
    return x86.X86InductorQuantizer().set_global(config)


def _exported_int8(converted: fx.GraphModule, example: torch.Tensor, path: Path,
                   threads: int) -> Exported:
    """A converted PT2E model to ONNX, loaded back in onnxruntime; fp32 ops named."""
    fallback = float_compute_nodes(converted)
    with quiet_loggers("onnxscript", "onnx_ir", "torch.onnx"):
        program = torch.onnx.export(converted, (example,), dynamo=True, verbose=False,
                                    dynamic_shapes=_batch_dim(), opset_version=ONNX_OPSET)
    save_lean(program.model_proto, path)
    notes = [f"{name} has no int8 kernel: it stays fp32" for name in fallback]
    return Exported(OrtModule(path, threads), path, notes, fallback)


def static_int8(model: nn.Module, example: torch.Tensor, calibration: Iterable[torch.Tensor],
                path: Path, threads: int) -> Exported:
    """PT2E static quantization, calibrated on ``calibration`` batches, exported to ONNX."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    model = copy.deepcopy(model).cpu().eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore", _QUIET)
        prepared = prepare_pt2e(_captured(model, example), _quantizer(qat=False))
        for batch in calibration:
            prepared(batch)
        return _exported_int8(convert_pt2e(prepared), example, path, threads)


def qat_int8(model: nn.Module, example: torch.Tensor, train: Callable[[nn.Module], None],
             path: Path, threads: int) -> Exported:
    """Quantization-aware training (PT2E): fake-quantized fine-tuning by ``train(module)``
    (the module switches train/eval like any other), then int8 as ``static_int8``."""
    from torchao.quantization.pt2e import allow_exported_model_train_eval
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_qat_pt2e

    model = copy.deepcopy(model).cpu().train()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _QUIET)
        prepared = prepare_qat_pt2e(_captured(model, example), _quantizer(qat=True))
        allow_exported_model_train_eval(prepared)
        train(prepared)
        prepared.cpu().eval()
        with torch.no_grad():
            return _exported_int8(convert_pt2e(prepared), example, path, threads)


def dynamic_int8(model: nn.Module, example: torch.Tensor, path: Path) -> Exported:
    """Dynamic quantization of Linear/LSTM/GRU, exported and reloaded as TorchScript."""
    model = copy.deepcopy(model).cpu().eval()
    found = {type(m) for m in model.modules()} & DYNAMIC_TYPES
    if not found:
        raise GraphError([error("dynamic int8 quantizes Linear, LSTM and GRU layers and this graph "
                                "has none: use static quantization", field="quantize.mode")])
    others = sorted({type(m).__name__ for m in model.modules() if any(
        True for _ in m.parameters(recurse=False))} - {t.__name__ for t in DYNAMIC_TYPES})
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore", _QUIET)
        quantized = torch.ao.quantization.quantize_dynamic(model, DYNAMIC_TYPES, dtype=torch.qint8)
        traced = torch.jit.trace(quantized, (example,), strict=False)
        torch.jit.save(traced, str(path))
    notes = [f"{name} layers have no dynamic int8 kernel: they stay fp32" for name in others]
    return Exported(torch.jit.load(str(path)), path, notes, others)


class _Cast(nn.Module):
    """Runs ``inner`` in ``dtype`` on float32 batches and gives float32 back."""

    def __init__(self, inner: nn.Module, dtype: torch.dtype):
        super().__init__()
        self.inner, self.dtype = inner, dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.inner(x.to(self.dtype))
        out = next(iter(out.values())) if isinstance(out, dict) else out
        return out.float()


def half(model: nn.Module, dtype: Literal["fp16", "bf16"], example: torch.Tensor,
         path: Path) -> Exported:
    """The weights saved in fp16/bf16; measured running in that dtype on the CPU, or, where
    the CPU lacks a kernel, with the rounded weights computed in fp32 (and said so)."""
    torch_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[dtype]
    low = copy.deepcopy(model).cpu().eval().to(torch_dtype)
    torch.save(low.state_dict(), path)
    runner: nn.Module = _Cast(low, torch_dtype)
    notes = []
    try:
        with torch.no_grad():
            runner(example)
    except (RuntimeError, NotImplementedError) as exc:
        rounded = copy.deepcopy(low).float()
        runner = _Cast(rounded, torch.float32)
        notes.append(f"the CPU cannot run this graph in {dtype} ({str(exc).splitlines()[0][:120]}); "
                     f"accuracy and latency are of the {dtype} weights computed in fp32")
    return Exported(runner, path, notes)
