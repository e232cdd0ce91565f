"""The torch.fx trace ``import_module`` reads, with every value's shape recorded.

Modules the registry maps (torch.nn layers, subclasses of them that keep the
parent's ``forward``, torchvision's StochasticDepth) stay leaves of the trace;
everything else is traced through. The example inputs' shapes are then
propagated through the trace in eval mode (no running statistics move), so
that size reads can be worked out (see ``static_rules``).
"""
from __future__ import annotations

import contextlib
import copy
import inspect
import io

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from ..schema import GraphError, error
from .module_rules import module_rule


class _Tracer(fx.Tracer):
    # A buffer read in forward is a get_attr of its own name (a Parameter node the weights
    # fill), not a constant copied into the trace: MaxViT's relative_position_index.view(-1)
    # would otherwise be a nameless constant and the buffer's state_dict key an orphan.
    proxy_buffer_attributes = True

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return module_rule(m) is not None or super().is_leaf_module(m, qualname)


def trace(module: nn.Module, examples: tuple) -> fx.GraphModule:
    try:
        tracer = _Tracer()
        with _containers_kept(module):
            graph = tracer.trace(module, concrete_args=_defaults(module, len(examples)))
    except Exception as exc:  # fx raises many types for code it cannot follow
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise GraphError([error(
            f"torch.fx cannot trace {type(module).__name__}: {why} (control flow that depends "
            f"on tensor values, as in detection models and RAFT, cannot be traced)")]) from None
    traced = fx.GraphModule(tracer.root, graph, type(module).__name__)
    traced.graph.eliminate_dead_code()
    _propagate(traced, examples)
    return traced


_MODULE_OWN = set(vars(nn.Module()))  # torch's own bookkeeping (_parameters, hooks, ...)


@contextlib.contextmanager
def _containers_kept(module: nn.Module):
    """The model's own dicts, lists and sets as they were before the trace: forward may
    cache into them (LeViT's attention_bias_cache), and what it caches while traced are
    fx proxies, which would break the model and any later import of it."""
    kept = [(value, copy.copy(value)) for m in module.modules() for key, value in
            vars(m).items() if key not in _MODULE_OWN and isinstance(value, (dict, list, set))]
    try:
        yield
    finally:
        for value, before in kept:
            value.clear()
            if isinstance(value, list):
                value.extend(before)
            else:
                value.update(before)


def _defaults(module: nn.Module, given: int) -> dict | None:
    """Forward arguments past the examples that have a default (timm's ``attn_mask=None``):
    traced as that constant, so ``if mask is not None`` takes the branch it would take."""
    try:
        params = list(inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        return None
    return {p.name: p.default for p in params[given:]
            if p.default is not p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                       p.KEYWORD_ONLY)} or None


def _propagate(traced: fx.GraphModule, examples: tuple) -> None:
    modes = {m: m.training for m in traced.modules()}
    traced.eval()
    try:  # ShapeProp prints the traceback of a failure itself: keep it quiet
        with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
            ShapeProp(traced).propagate(*examples)
    except Exception:  # noqa: BLE001 - sizes stay unknown; a size read then says so
        pass
    finally:
        for m, training in modes.items():
            m.training = training
