"""``export_python``: a standalone ``.py`` that defines the model as an ``nn.Module``.

The file imports torch (and torchvision for backbone nodes) and nothing of
Netweave. ``__init__`` builds the same submodules under the same names
(blocks become ``nn.ModuleDict`` holders, as in the compiled module), so
``load_state_dict`` of the compiled module's state_dict works with
``strict=True``; ``forward`` is the compiled ``GraphModule``'s code with fx's
memory bookkeeping removed. The engine writes this text and never runs it.
"""
from __future__ import annotations

import re
import types

from ..graph.compiler import class_name
from ._compiled import Compiled, compile_for_export
from .constructors import constructor

INDENT = " " * 4
_FREE = re.compile(r";\s+[\w\s=]+ = None$")  # fx's `;  x = None` after each statement
_GETATTR = re.compile(r'getattr\(([\w.\[\]"]+), "(\w+)"\)')
_LAST_STEP = re.compile(r"\[\(slice\(None, None, None\), (-?\d+)\)\]")  # x[:, -1]
_UNSAFE = re.compile(r"[^\w .,:()+-]")


def _attr(key: str) -> str:
    first, *rest = key.split(".")
    return f"self.{first}" + "".join(f'["{part}"]' for part in rest)


def _init_lines(c: Compiled) -> tuple[list[str], bool]:
    """Statements of ``__init__`` and whether torchvision is needed."""
    lines, holders, vision = [], set(), False
    a = c.analysis
    for node in a.flat:
        if node.alias or node.spec is None or not (node.spec.is_module or node.spec.tensor):
            continue
        parts = node.key.split(".")
        for depth in range(1, len(parts)):
            holder = ".".join(parts[:depth])
            if holder not in holders:
                holders.add(holder)
                lines.append(f"{_attr(holder)} = nn.ModuleDict()")
        if node.spec.tensor:
            lines.append(_tensor_line(node.key, a.params[node.key]))
            continue
        attr = _attr(node.key)
        expr, after = constructor(node.key, node.op, c.module.get_submodule(node.key),
                                  a.params[node.key], a.in_shapes[node.key], attr)
        vision = vision or expr.startswith("torchvision.")
        lines.append(f"{attr} = {expr}")
        lines.extend(after)
    return lines, vision


def _tensor_line(key: str, p: dict) -> str:
    """A Parameter node: the holder registers it (its values come with the state_dict, or,
    fixed in the graph, are written out and kept out of it)."""
    *parents, leaf = key.split(".")
    holder = _attr(".".join(parents)) if parents else "self"
    dtype = ", dtype=torch.long" if p["dtype"] == "int64" else ""
    if p["values"] is not None:
        shape = ", ".join(map(str, p["shape"]))
        return (f"{holder}.register_buffer({leaf!r}, torch.tensor({list(p['values'])!r}"
                f"{dtype}).reshape({shape}), persistent=False)")
    value = f"torch.zeros({', '.join(map(str, p['shape']))}{dtype})"
    if p["trainable"]:
        return f"{holder}.register_parameter({leaf!r}, nn.Parameter({value}))"
    return f"{holder}.register_buffer({leaf!r}, {value})"


def _readable(src: str) -> str:
    """fx's code, reading like hand-written PyTorch."""
    out = []
    for line in src.strip().splitlines():
        line = _FREE.sub("", line.rstrip())
        while _GETATTR.search(line):
            line = _GETATTR.sub(r'\1["\2"]', line)
        line = _LAST_STEP.sub(r"[:, \1]", line)
        out.append(line)
    return "\n".join(out)


def _extra_imports(src: str, names: dict) -> list[str]:
    """Imports for the few globals fx code may use besides torch (inf, nan, ...)."""
    lines = []
    for name, obj in sorted(names.items()):
        if name == "torch" or not re.search(rf"\b{re.escape(name)}\b", src):
            continue
        if isinstance(obj, types.ModuleType):
            lines.append(f"import {obj.__name__} as {name}")
        elif isinstance(obj, float):
            lines.append(f"from math import {name}")
        else:
            lines.append(f"from {obj.__module__} import {obj.__qualname__} as {name}")
    return lines


def _example(c: Compiled, cls: str) -> list[str]:
    args = []
    for _, shape, dtype in c.inputs():
        dims = ", ".join(str(d) for d in (1, *shape[1:]))
        args.append(f"torch.zeros({dims}, dtype=torch.long)" if dtype == "int64"
                    else f"torch.randn({dims})")
    show = "out.shape" if len(c.outputs()) == 1 else "{k: v.shape for k, v in out.items()}"
    return ['if __name__ == "__main__":', f"{INDENT}model = {cls}().eval()",
            f"{INDENT}out = model({', '.join(args)})", f"{INDENT}print({show})"]


# How a run's checkpoint (workers/engine/train: a dict of model, optimizer, ... states)
# loads into the exported class; tests run these very lines on a real checkpoint.
CHECKPOINT_LOAD = ['    checkpoint = torch.load(path, map_location="cpu", weights_only=True)',
                   '    model.load_state_dict(checkpoint["model"])']


def class_source(c: Compiled, cls: str) -> tuple[list[str], list[str]]:
    """``(imports, lines)``: the module's class named ``cls``, standalone but for the imports."""
    # The graph's name is text a person typed; in a file others will run it must never
    # close the docstring, so only plain characters are kept.
    title = _UNSAFE.sub("_", c.name)[:80]
    init, vision = _init_lines(c)
    code = c.module.graph.python_code(root_module="self")
    forward = _readable(code.src)
    imports = ["import torch", "from torch import nn"] + (["import torchvision"] if vision
                                                          else [])
    imports += _extra_imports(forward, code.globals)
    body = [f"class {cls}(nn.Module):",
            f'{INDENT}"""{title}, drawn in Netweave."""', "",
            f"{INDENT}def __init__(self):", f"{INDENT * 2}super().__init__()"]
    body += [INDENT * 2 + line for line in init] + [""]
    body += [INDENT + line if line else "" for line in forward.splitlines()]
    return imports, body


def render(c: Compiled) -> str:
    cls = class_name(c.name)
    title = _UNSAFE.sub("_", c.name)[:80]
    imports, body = class_source(c, cls)
    header = [f'"""{title}: exported from Netweave (runs with PyTorch alone).',
              "", "Load a run's trained weights (a checkpoint from the run page, checkpoints/last.pt",
              "or best.pt: a dict whose \"model\" entry holds the weights) with",
              f"    model = {cls}()", *CHECKPOINT_LOAD, '"""']
    return "\n".join(header + imports + ["", ""] + body + ["", ""] + _example(c, cls)) + "\n"


def export_python(doc) -> str:
    """A standalone ``.py`` defining the graph as an ``nn.Module``; raises GraphError."""
    return render(compile_for_export(doc))
