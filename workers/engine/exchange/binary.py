"""``export_torchscript`` and ``export_onnx``: the compiled module as bytes for deployment.

TorchScript scripts the GraphModule (its code is plain PyTorch) and falls back
to tracing on example inputs. ONNX uses a fixed opset and a dynamic batch
axis; input and output names are the graph's Input and Output node ids. A
graph the exporter cannot express is refused with GraphError naming the ops.
"""
from __future__ import annotations

import io
import logging
import warnings

import torch

from ..schema import GraphError, error
from ._compiled import Compiled, compile_for_export

log = logging.getLogger(__name__)
ONNX_OPSET = 18
# Exporting is a deployment step: a tracer or exporter warning is noise here, and a
# real failure raises (and is turned into a GraphError below).
_QUIET = (torch.jit.TracerWarning, UserWarning, DeprecationWarning, FutureWarning)


def _ops(c: Compiled) -> str:
    seen = []
    for node in c.analysis.flat:
        if not node.alias and node.op not in ("Input", "Output") and node.op not in seen:
            seen.append(node.op)
    return ", ".join(seen)


def export_torchscript(doc) -> bytes:
    """The compiled module as a TorchScript archive (``torch.jit.load`` reads it)."""
    c = compile_for_export(doc)
    module = c.module.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _QUIET)
        try:
            scripted = torch.jit.script(module)
        except Exception as exc:  # scripting is stricter than tracing; tracing is exact here
            log.info("torch.jit.script failed (%s); tracing instead", exc)
            try:
                scripted = torch.jit.trace(module, c.example_inputs(), strict=False)
            except Exception as exc2:
                raise GraphError([error(f"TorchScript cannot express this graph (ops: "
                                        f"{_ops(c)}): {str(exc2).splitlines()[0][:300]}")]) \
                    from None
        buffer = io.BytesIO()
        torch.jit.save(scripted, buffer)
    return buffer.getvalue()


def export_onnx(doc) -> bytes:
    """The compiled module as an ONNX model (opset 18, batch axis dynamic)."""
    c = compile_for_export(doc)
    module = c.module.eval()
    inputs = [name for name, _, _ in c.inputs()]
    outputs = c.outputs()
    axes = {name: {0: "batch"} for name in inputs + outputs}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _QUIET)
        try:
            torch.onnx.export(module, c.example_inputs(), buffer, opset_version=ONNX_OPSET,
                              input_names=inputs, output_names=outputs, dynamic_axes=axes,
                              dynamo=False)
        except Exception as exc:
            raise GraphError([error(f"ONNX cannot express this graph (ops: {_ops(c)}): "
                                    f"{str(exc).splitlines()[0][:300]}")]) from None
    return buffer.getvalue()
