"""A job's input run as a model: its checkpoint read (weights only) into its compiled graph.

Shared by the kinds that start from a finished run (compress, distill):
the same checks and the same errors, naming the input run.
"""
from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import fx

from ..train import load_checkpoint
from ..train.checkpoint import _write_atomic, rng_state
from ..train.recipe import LoopState
from .kinds import JobContext, JobError


@dataclass
class Source:
    run: Any
    path: Path
    checkpoint: dict[str, Any]
    model: fx.GraphModule

    @property
    def train_config(self) -> dict[str, Any]:
        return dict(self.checkpoint.get("config") or {})


def load_source(ctx: JobContext, graph: dict[str, Any], index: int = 0) -> Source:
    """Input ``index``'s checkpoint loaded into ``graph`` compiled (on the CPU, eval mode)."""
    from .. import compile_graph

    if len(ctx.inputs) <= index:
        raise JobError("inputs", f"this job needs {index + 1} input run(s); got {len(ctx.inputs)}")
    source = ctx.inputs[index]
    path = Path(str(source.get("path") or ""))
    try:
        ckpt = load_checkpoint(path)
    except (OSError, ValueError) as exc:
        raise JobError("inputs", f"run {source.get('run')}'s checkpoint: {exc}") from None
    model = compile_graph(graph, seed=0)
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise JobError("inputs", f"run {source.get('run')}'s checkpoint does not fit the graph: "
                                 f"{first}") from None
    return Source(source.get("run"), path, ckpt, model.eval())


def weights_bytes(state: dict[str, torch.Tensor]) -> int:
    """Bytes of the state dict saved with torch.save (what a weights file takes)."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getbuffer().nbytes


def write_training_checkpoint(run_dir: Path, state: dict[str, torch.Tensor], config: dict[str, Any],
                              step: int, names: tuple[str, ...] = ("best", "last")) -> list[str]:
    """The weights as a normal training checkpoint (what evaluate, compress or a resume-style
    input reads), written atomically to ``checkpoints/<name>.pt``; returns the relative paths."""
    payload = {"model": {k: v.detach().cpu().contiguous() for k, v in state.items()},
               "optimizer": {}, "scheduler": {}, "scaler": {}, "best_weights": {},
               "state": asdict(LoopState(step=step)), "config": config,
               "rng": rng_state(include_cuda=False)}
    rels = [f"checkpoints/{name}.pt" for name in names]
    _write_atomic([run_dir / rel for rel in rels], payload)
    return rels
