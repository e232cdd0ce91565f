"""An ensemble as ONE deployable module: standalone ``.py``, TorchScript, ONNX.

The ``.py`` holds every member's class (the graph exporter's own code,
``exchange.python_source.class_source``), the combining code copied from
``recipes.ensemble`` (so the file and the job cannot disagree), and a
``build()`` that assembles them; the weights are the state dict saved next
to it (``ensemble.pt``, read with ``weights_only=True``). TorchScript and
ONNX hold the weights themselves; ONNX has a dynamic batch axis.
"""
from __future__ import annotations

import inspect
import io
import warnings

import torch

from ..exchange._compiled import compile_for_export
from ..exchange.binary import ONNX_OPSET, _QUIET
from ..exchange.python_source import class_source
from . import ensemble

HEADER = '''"""Ensemble of runs {runs} ({method}): exported from Netweave (runs with PyTorch alone).

    model = build()
    model.load_state_dict(torch.load("ensemble.pt", weights_only=True))
    log_probs = model(x)           # (N, classes); argmax is the prediction
"""'''


def export_python(graphs: list[dict], runs: list[int], method: str) -> str:
    """The ensemble's ``.py``: member classes ``Member0..``, ``Ensemble`` and ``build()``."""
    imports: list[str] = []
    classes: list[str] = []
    for i, doc in enumerate(graphs):
        lines_in, body = class_source(compile_for_export(doc), f"Member{i}")
        imports += [line for line in lines_in if line not in imports]
        classes += body + ["", ""]
    shared = [inspect.getsource(f) for f in (ensemble.first_tensor, ensemble.combine, ensemble.Ensemble)]
    members = ", ".join(f"Member{i}()" for i in range(len(graphs)))
    build = ["def build():", '    """The ensemble with fresh members; load ensemble.pt into it."""',
             f"    return Ensemble([{members}], {method!r}, torch.zeros({len(graphs)}))"]
    text = [HEADER.format(runs=", ".join(map(str, runs)), method=method), *imports, "", "",
            *classes, "\n\n".join(shared), "", *build]
    return "\n".join(text) + "\n"


def export_torchscript(model: ensemble.Ensemble, example: torch.Tensor) -> bytes:
    """Traced: the members' code is plain tensor code, and the method is fixed per export."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _QUIET)
        traced = torch.jit.trace(model.eval(), (example,), strict=False)
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer)
    return buffer.getvalue()


def export_onnx(model: ensemble.Ensemble, example: torch.Tensor) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _QUIET)
        torch.onnx.export(model.eval(), (example,), buffer, opset_version=ONNX_OPSET,
                          input_names=["x"], output_names=["log_probs"],
                          dynamic_axes={"x": {0: "batch"}, "log_probs": {0: "batch"}}, dynamo=False)
    return buffer.getvalue()
