"""A pruned module mapped back to a graph document, with weights that load into it.

A graph without blocks keeps its node ids, positions, variables and
descriptions: only the width params (``out_channels``, ``out_features``,
``groups``, ...) of the nodes that shrank are rewritten, and the inferred
ones (``in_channels``, ``num_features``) follow by shape inference. A graph
with blocks or repeats cannot say that two instances of one block now have
different widths, so its pruned model is imported back as a flat graph
(node ids from the module paths, ``layer1.0.conv1`` -> ``layer1_0_conv1``).
Either way the result is checked: it validates, compiles, loads the pruned
weights strictly and gives exactly the pruned module's outputs.
"""
from __future__ import annotations

import copy
from typing import Any

import torch
from torch import fx, nn

from ..exchange import import_module, state_dict_for_graph
from ..exchange.module_rules import module_rule
from ..graph.api import analyse, compile_graph
from ..schema import GraphError, error

# The params a structured pruning step can change; everything else stays as drawn.
WIDTH_PARAMS = ("out_channels", "out_features", "groups", "embedding_dim", "hidden_size",
                "dim_feedforward", "num_parameters", "num_groups", "nhead", "num_heads")


def uses_blocks(doc: dict) -> bool:
    return any(str(n.get("op", "")).startswith("block:") or n.get("repeat") is not None
               for n in doc.get("nodes", []))


def _same(a: Any, b: Any) -> bool:
    listy = (list, tuple)
    if isinstance(a, listy) or isinstance(b, listy):
        return list(a if isinstance(a, listy) else [a]) == list(b if isinstance(b, listy) else [b])
    return a == b


def _rewrite_widths(doc: dict, module: nn.Module) -> dict:
    """A copy of the flat ``doc`` whose nodes carry the pruned module's widths."""
    _, _, analysis, errors = analyse(doc)
    if errors:
        raise GraphError(errors)
    out = copy.deepcopy(doc)
    layers = dict(module.named_modules())
    for node in out["nodes"]:
        layer = layers.get(node["id"])
        rule = module_rule(layer) if layer is not None else None
        if rule is None:
            continue
        _, now = rule(layer)
        drawn = analysis.params.get(node["id"], {})
        for name in WIDTH_PARAMS:
            if name in now and name in drawn and not _same(now[name], drawn[name]):
                node.setdefault("params", {})[name] = now[name]
    return out


def _flattened(doc: dict, module: fx.GraphModule, example: tuple) -> tuple[dict, dict]:
    """The pruned module imported as a flat graph, and its weights renamed to fit it."""
    flat = import_module(module, example, name=doc.get("name"), blocks=False)
    flat["description"] = (doc.get("description") or "") + \
        " Pruned: blocks expanded, since their instances now differ in width."
    flat["variables"] = {}
    state = state_dict_for_graph(flat, module.state_dict())
    meta = flat.setdefault("metadata", {})
    meta.pop("import", None)
    return flat, state


def graph_for_pruned(doc: dict, module: fx.GraphModule, example: tuple) -> tuple[dict, dict]:
    """``(document, state_dict)`` of the pruned ``module``; raises GraphError when the
    document would not reproduce it (naming the node whose weights do not fit)."""
    if uses_blocks(doc):
        new_doc, state = _flattened(doc, module, example)
    else:
        new_doc, state = _rewrite_widths(doc, module), module.state_dict()
    check_reproduces(new_doc, state, module, example)
    return new_doc, {k: v.detach().clone() for k, v in state.items()}


@torch.no_grad()
def check_reproduces(doc: dict, state: dict, module: nn.Module, example: tuple) -> None:
    """The document compiles, loads ``state`` strictly and matches ``module`` exactly."""
    rebuilt = compile_graph(doc, seed=0)
    try:
        rebuilt.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if "size mismatch for" in ln]
        where = lines[0].split("for ", 1)[1].split(":")[0] if lines else ""
        raise GraphError([error(f"the pruned weights do not fit the pruned graph: "
                                f"{(lines or [str(exc).splitlines()[0]])[0][:300]}",
                                node=where.split(".")[0] or None)]) from None
    was = module.training
    module.eval()
    rebuilt.eval()
    want, got = module(*example), rebuilt(*example)
    module.train(was)
    pairs = zip(want.values(), got.values()) if isinstance(want, dict) else [(want, got)]
    for a, b in pairs:
        if not torch.equal(a, b):
            raise GraphError([error("the pruned graph does not reproduce the pruned model's "
                                    f"outputs (largest difference {(a - b).abs().max().item():.3g})")])
