"""The parts of a graph node the importer makes from one fx call: its params as a person
would set them, a module call's tensor inputs, the Refs its ports give, and where an
error points (the module path and the op)."""
from __future__ import annotations

from torch import fx, nn

from .function_rules import Ref, Tuple
from .module_rules import Unmappable


def tidy(spec, params: dict) -> dict:
    """Params as a person would set them: [3, 3] as 3, defaults left out."""
    out = {}
    for name, value in params.items():
        if isinstance(value, list) and value and len(set(value)) == 1 and \
                spec.param_index[name].type == "ints":
            value = value[0]
        default = spec.param_index[name].default
        if value != (list(default) if isinstance(default, tuple) else default) or \
                name == "mode":  # the recurrent mode is switched later; keep it explicit
            out[name] = value
    return out


def module_inputs(op: str, args, kwargs) -> list[Ref]:
    if op == "MultiheadAttention":
        # Self-attention only: query, key and value are the same tensor, no masks.
        if len(args) != 3 or len(set(args)) != 1 or any(
                kwargs.get(k) is not None for k in ("key_padding_mask", "attn_mask")) \
                or kwargs.get("is_causal"):
            raise Unmappable("only self-attention (query = key = value, no masks) maps to "
                             "MultiheadAttention")
        args = args[:1]
    elif any(v is not None for v in kwargs.values()):
        raise Unmappable(f"is called with keyword arguments {sorted(kwargs)}")
    if not all(isinstance(a, Ref) for a in args):
        raise Unmappable("is called with a value that is not a tensor of the graph")
    return list(args)


def port_refs(node_id: str, op: str, params: dict):
    if op == "Chunk":
        return Tuple(tuple(Ref(node_id, f"out{i}") for i in range(params["chunks"])))
    if op == "Split":
        return Tuple(tuple(Ref(node_id, f"out{i}") for i in range(len(params["sizes"]))))
    return Ref(node_id)


def where(root: nn.Module, node: fx.Node) -> str:
    """'layer1.0.conv1 (call_module Conv2d)' or "'add' in 'layer1.0' (BasicBlock, operator.add)"."""
    stack = node.meta.get("nn_module_stack") or {}
    owner = next(reversed(stack.values()), None) if stack else None
    if node.op == "call_module":
        return f"module '{node.target}' ({type(root.get_submodule(node.target)).__name__})"
    target = node.target if isinstance(node.target, str) else \
        f"{getattr(node.target, '__module__', None) or 'builtins'}." \
        f"{getattr(node.target, '__name__', repr(node.target))}"
    inside = f" in module '{owner[0]}' ({owner[1].__name__})" if owner else ""
    return f"'{node.name}' ({node.op} {target}){inside}"
