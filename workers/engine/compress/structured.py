"""Structured pruning of a compiled graph with Torch-Pruning's dependency graph.

Channels and features are physically removed: Torch-Pruning's
``DependencyGraph`` groups every layer whose channels are coupled (a conv
and its batch norm, the two sides of a residual add, the inputs of a
concatenation, a flatten into a linear layer), so a group is pruned as one.
What is written here is only the glue: which layers must keep their width
(those whose outputs are the model's outputs), how a parameter or FLOP
target becomes a channel ratio, and errors that name the layer or node.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import torch
import torch_pruning as tp
from torch import fx, nn

from ..schema import GraphError, error

# Layers whose output channels Torch-Pruning may remove (groups start from these).
ROOT_TYPES = (nn.modules.conv._ConvNd, nn.Linear, nn.LSTM)
SEARCH_STEPS = 14  # bisection steps for a parameter/FLOP target (ratio to within 1e-4)


class PruneError(GraphError):
    """Pruning cannot be done as asked; ``errors`` name the node or field."""


@dataclass(frozen=True)
class PruneTarget:
    """How much to remove: exactly one of ratio, params or flops.

    ``ratio``: the fraction of channels/features removed from every prunable
    layer. ``params`` / ``flops``: the pruned model keeps at most this fraction
    of the source's parameters / FLOPs (the channel ratio is searched for)."""

    ratio: float | None = None
    params: float | None = None
    flops: float | None = None

    def __post_init__(self) -> None:
        given = [(k, v) for k, v in (("ratio", self.ratio), ("params", self.params),
                                     ("flops", self.flops)) if v is not None]
        if len(given) != 1:
            raise PruneError([error("give exactly one of ratio, target_params or target_flops",
                                    field="ratio")])
        name, value = given[0]
        if not 0 < value < 1:
            raise PruneError([error(f"{name} must be between 0 and 1 (exclusive); got {value}",
                                    field=name)])


def module_names(model: nn.Module) -> dict[nn.Module, str]:
    return {m: name for name, m in model.named_modules() if name}


def protected_layers(model: fx.GraphModule) -> list[nn.Module]:
    """The layers whose output channels are the model's outputs (class scores, the
    reconstructed image): walking back from the output through layers that keep
    the channel count (norms, activations, adds), the first root layer met."""
    out = [n for n in model.graph.nodes if n.op == "output"]
    stack, seen, found = list(out[0].all_input_nodes) if out else [], set(), []
    while stack:
        node = stack.pop()
        if node in seen or node.op == "placeholder":
            continue
        seen.add(node)
        if node.op == "call_module" and isinstance(model.get_submodule(node.target), ROOT_TYPES):
            found.append(model.get_submodule(node.target))
            continue
        stack.extend(node.all_input_nodes)
    return found


def _graph(model: nn.Module, example: tuple) -> tp.DependencyGraph:
    try:
        return tp.DependencyGraph().build_dependency(model, example_inputs=example)
    except Exception as exc:  # noqa: BLE001 - any tracing failure is reported, with the node
        raise PruneError([error(f"Torch-Pruning cannot trace this graph: "
                                f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")]) from None


def prunable_widths(model: nn.Module, example: tuple, keep: list[nn.Module]) -> dict[str, int]:
    """``{layer path: output channels}`` of the layers a pruning step would shrink."""
    dg, names = _graph(model, example), module_names(model)
    widths = {}
    for group in dg.get_all_groups(ignored_layers=keep, root_module_types=list(ROOT_TYPES)):
        root = group[0].dep.target.module
        if root in names:
            widths[names[root]] = dg.get_out_channels(root)
    return widths


def check_ratio(widths: dict[str, int], ratio: float) -> None:
    """A ratio that would leave a layer with no channel is refused, naming the layer."""
    for name, width in sorted(widths.items(), key=lambda kv: kv[1]):
        if int(width * (1 - ratio)) < 1:
            limit = 1 - 1 / width
            raise PruneError([error(
                f"ratio {ratio:g} would remove every channel of '{name}' ({width} wide); "
                f"use a ratio below {limit:.4f}", node=name.split(".")[0], field="ratio")])


def max_ratio(widths: dict[str, int]) -> tuple[float, str]:
    """The largest ratio that keeps one channel in every layer, and the layer that sets it."""
    name = min(widths, key=widths.__getitem__)
    return 1 - 1 / widths[name] - 1e-9, name


def _counts(model: nn.Module, example: tuple) -> tuple[float, float]:
    macs, params = tp.utils.count_ops_and_params(model, example)
    return float(macs), float(params)


def _pruner(model: nn.Module, example: tuple, ratio: float, steps: int, keep: list[nn.Module],
            p: int) -> tp.pruner.BasePruner:
    return tp.pruner.BasePruner(model, example, importance=tp.importance.MagnitudeImportance(p=p),
                                pruning_ratio=ratio, iterative_steps=steps, ignored_layers=keep,
                                root_module_types=list(ROOT_TYPES))


def _step(pruner: tp.pruner.BasePruner, names: dict[nn.Module, str]) -> None:
    """One pruning step, group by group, so a failure names the layer it came from."""
    for group in pruner.step(interactive=True):
        root = group[0].dep.target.module
        try:
            group.prune()
        except Exception as exc:  # noqa: BLE001
            name = names.get(root, type(root).__name__)
            raise PruneError([error(
                f"Torch-Pruning cannot prune '{name}' ({type(root).__name__}): "
                f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                node=name.split(".")[0])]) from None


def ratio_for(model: nn.Module, example: tuple, target: PruneTarget, keep_names: list[str],
              widths: dict[str, int], p: int) -> float:
    """The channel ratio that meets ``target`` (bisection over one-shot prunes of copies)."""
    if target.ratio is not None:
        check_ratio(widths, target.ratio)
        return target.ratio
    which = "params" if target.params is not None else "flops"
    goal = target.params if target.params is not None else target.flops
    if goal is None:
        raise ValueError("a PruneTarget sets one of ratio, params and flops")
    index = 1 if which == "params" else 0
    full = _counts(model, example)[index]

    def kept(ratio: float) -> float:
        trial = copy.deepcopy(model)
        keep = [trial.get_submodule(n) for n in keep_names]
        _step(_pruner(trial, example, ratio, 1, keep, p), module_names(trial))
        return _counts(trial, example)[index] / full

    top, narrowest = max_ratio(widths)
    if kept(top) > goal:
        raise PruneError([error(
            f"keeping at most {goal:g} of the {which} cannot be reached: even keeping one channel of "
            f"'{narrowest}' ({widths[narrowest]} wide) leaves {kept(top):.3f} of the {which}; "
            f"pruning further would remove that layer", node=narrowest.split(".")[0],
            field=f"target_{which}")])
    low, high = 0.0, top
    for _ in range(SEARCH_STEPS):
        mid = (low + high) / 2
        low, high = (low, mid) if kept(mid) <= goal else (mid, high)
    return high


def prune_structured(model: fx.GraphModule, example: tuple, target: PruneTarget, *, steps: int = 1,
                     norm: int = 1, after_step: Callable[[int], None] | None = None) -> float:
    """Prune ``model`` in place; ``after_step(i)`` runs after each of ``steps`` steps (the
    fine-tuning). Returns the channel ratio used. Layers whose outputs are the model's
    outputs keep their width."""
    if steps < 1:
        raise PruneError([error("steps must be at least 1", field="steps")])
    model.eval()
    keep = protected_layers(model)
    names = module_names(model)
    keep_names = [names[m] for m in keep]
    widths = prunable_widths(model, example, keep)
    if not widths:
        raise PruneError([error("nothing to prune: the graph has no convolution or linear layer "
                                "whose width is not fixed by the output")])
    ratio = ratio_for(model, example, target, keep_names, widths, norm)
    pruner = _pruner(model, example, ratio, steps, keep, norm)
    for i in range(steps):
        model.eval()
        _step(pruner, names)
        check_runs(model, example)
        if after_step is not None:
            after_step(i)
    return ratio


@torch.no_grad()
def check_runs(model: fx.GraphModule, example: tuple) -> None:
    """Run the pruned graph node by node; a node that no longer fits is named."""
    interp = fx.Interpreter(model)
    env_iter = iter(example)
    for node in model.graph.nodes:
        try:
            if node.op == "placeholder":
                interp.env[node] = next(env_iter)
            else:
                interp.env[node] = interp.run_node(node)
        except Exception as exc:  # noqa: BLE001
            raise PruneError([error(f"after pruning, node '{node.name}' no longer runs: "
                                    f"{str(exc).splitlines()[0][:200]}", node=node.name)]) from None
