"""From an analysed flat graph to a ``torch.fx.GraphModule`` with real, nested submodules.

Placeholders for Input nodes, ``call_module`` for layers, ``call_function`` /
``call_method`` for graph ops; block paths become nested submodules
(``layer1.0.conv1``), so ``state_dict`` keys and ``.code`` read like a model
written by hand, and the forward pass has nothing in it but the layers.
"""
from __future__ import annotations

import contextlib
import re

import torch
from torch import fx, nn

from ..schema import GraphError, error
from .infer import Analysis, input_ports


def class_name(name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", name)
    text = "".join(w[:1].upper() + w[1:] for w in words) or "Model"
    return text if text[0].isalpha() else "Model" + text


def _attach(root: nn.Module, key: str, value, persistent: bool = True) -> None:
    """A submodule, parameter or buffer at the dotted ``key``, with holders on the way."""
    *parents, leaf = key.split(".")
    holder = root
    for part in parents:
        child = holder._modules.get(part)
        if child is None:
            child = nn.Module()
            holder.add_module(part, child)
        holder = child
    if isinstance(value, nn.Parameter):
        holder.register_parameter(leaf, value)
    elif isinstance(value, torch.Tensor):
        holder.register_buffer(leaf, value, persistent=persistent)
    else:
        holder.add_module(leaf, value)


def build(a: Analysis, name: str, seed: int | None) -> fx.GraphModule:
    try:
        return _build(a, name, seed)
    except GraphError:
        raise
    except Exception as exc:  # a bug, not the person's mistake: still a GraphError
        raise GraphError([error(f"the engine could not compile this graph ({type(exc).__name__}: "
                                f"{str(exc)[:200]}); please report it with the document")]) \
            from exc


def _build(a: Analysis, name: str, seed: int | None) -> fx.GraphModule:
    root, graph = nn.Module(), fx.Graph()
    values: dict[tuple, fx.Node] = {}
    results: dict[str, fx.Node] = {}
    rng = torch.random.fork_rng(devices=[]) if seed is not None else contextlib.nullcontext()
    with rng:
        if seed is not None:
            torch.manual_seed(seed)
        for node in a.flat:
            if node.alias:
                values[(node.key, "out")] = values[node.inputs["in"]]
            elif node.op == "Input":
                values[(node.key, "out")] = graph.placeholder(node.key)
            elif node.op == "Output":
                results[node.key] = values[node.inputs["in"]]
            else:
                _emit(root, graph, a, node, values)
    graph.output(next(iter(results.values())) if len(results) == 1 else results)
    module = fx.GraphModule(root, graph, class_name=class_name(name))
    module.graph.eliminate_dead_code()  # unused getitems of multi-output ops
    module.recompile()
    return module


class _Named:
    """The fx.Graph calls an emitter uses, naming the nodes after the graph node's path
    (``res_0_add`` rather than ``add_7``) so that ``.code`` reads like the drawing."""

    def __init__(self, graph: fx.Graph, key: str):
        self.graph, self.name = graph, key.replace(".", "_")

    def call_module(self, target, args=(), kwargs=None):
        return self.graph.create_node("call_module", target, args, kwargs, name=self.name)

    def call_function(self, fn, args=(), kwargs=None):
        return self.graph.create_node("call_function", fn, args, kwargs, name=self.name)

    def call_method(self, method, args=(), kwargs=None):
        return self.graph.create_node("call_method", method, args, kwargs, name=self.name)


def _emit(root, graph, a: Analysis, node, values: dict) -> None:
    spec, p, shapes = node.spec, a.params[node.key], a.in_shapes[node.key]
    args = [values[node.inputs[port]] for port in input_ports(node)]
    target = None
    if spec.is_module:
        try:
            module = spec.build(p, shapes)
        except Exception as exc:  # compile_graph raises GraphError and nothing else
            raise GraphError([error(f"{node.op} '{node.key}' cannot be built: {exc}",
                                    node=node.origin)]) from None
        _attach(root, node.key, module)
        target = node.key
    named = _Named(graph, node.key)
    if spec.tensor:  # the model's own tensor, read where it is used
        # Fixed values the graph itself holds are not part of the state_dict.
        _attach(root, node.key, spec.tensor(p), persistent=p.get("values") is None)
        outs = {"out": graph.create_node("get_attr", node.key, name=named.name)}
    elif spec.emit:
        outs = spec.emit(named, args, p, shapes, target)
    else:
        outs = {spec.outputs[0].name: named.call_module(target, tuple(args))}
    for port, value in outs.items():
        values[(node.key, port)] = value
