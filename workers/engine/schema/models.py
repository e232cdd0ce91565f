"""Pydantic models of the graph document ``netweave.graph/1``.

They are the one source of truth for the format: the JSON Schema file next to
this module is generated from them (``python -m workers.engine.schema.generate``)
and a test keeps the two in step. Node ids are checked here for their shape
only; what they mean (duplicates, edges to nowhere, unknown ops) is checked by
``workers.engine.graph.structure`` so that every problem is reported at once.
"""
from __future__ import annotations

import builtins
import keyword
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator
from torch import fx, nn

SCHEMA_ID = "netweave.graph/1"
ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
_ID_RE = re.compile(ID_PATTERN)
# Names the compiled GraphModule already has (methods, ``training``, ``_modules``, ...):
# a submodule of that name would clash with it, so such ids are refused. Read off a real
# GraphModule, so a new torch release that adds one is covered too.
RESERVED_IDS = frozenset(dir(fx.GraphModule(nn.Module(), fx.Graph()))) | {
    "self", "torch", "operator", "inf", "nan"}
# An Input's id is a parameter of the generated ``forward``: it must not shadow a Python
# builtin or a name fx's generated code reads (``x[slice(None)]``, ``getattr(x, ...)``).
RESERVED_INPUT_IDS = frozenset(builtins.__dict__) | frozenset(fx.graph._custom_builtins)


def sanitize_id(text: str, *, is_input: bool = False) -> str:
    """Turn any label into a valid node id (what the editor and importer should propose);
    ``is_input``: the id of an Input node, which also must not shadow a builtin."""
    clean = re.sub(r"[^A-Za-z0-9_]", "_", str(text))[:64] or "node"
    if clean[0].isdigit():
        clean = ("n_" + clean)[:64]
    if keyword.iskeyword(clean) or clean in RESERVED_IDS or \
            (is_input and clean in RESERVED_INPUT_IDS):
        clean = clean + "_"
    return clean


def check_id(value: str) -> str:
    """Raise ValueError with a suggestion when ``value`` cannot be a submodule name."""
    if not _ID_RE.match(value) or keyword.iskeyword(value) or value in RESERVED_IDS:
        raise ValueError(
            f"id {value[:80]!r} cannot name a submodule: use letters, digits and '_', "
            f"start with a letter or '_', at most 64 characters, not a Python keyword "
            f"or nn.Module attribute (for example {sanitize_id(value)!r})")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Position(_Strict):
    """Where the editor draws a node. Editor-only: the compiler never reads it."""

    x: float = Field(0.0, description="Horizontal position in editor pixels.")
    y: float = Field(0.0, description="Vertical position in editor pixels.")


class Node(_Strict):
    """One layer, graph op, block instance, graph input or graph output."""

    id: str = Field(description="Unique within its graph or block; becomes the submodule name.",
                    json_schema_extra={"pattern": ID_PATTERN})
    op: str = Field(max_length=100, description="A registry op name (e.g. 'Conv2d', 'Input', "
                    "'Output') or 'block:<Name>' for a block of this document. Never a dotted path.")
    params: dict[str, Any] = Field(default_factory=dict, description="Op parameters as JSON "
                                   "values; a string starting with '=' is an expression over "
                                   "graph variables and block params.")
    repeat: StrictInt | str | None = Field(None, description="Stack this many copies in series (int "
                                     "or '=expr'); only for nodes with one input and one output.")
    position: Position | None = Field(None, description="Editor-only layout; ignored by the compiler.")

    _check_id = field_validator("id")(classmethod(lambda cls, v: check_id(v)))

    @model_validator(mode="after")
    def _input_id(self):
        if self.op == "Input" and self.id in RESERVED_INPUT_IDS:
            raise ValueError(f"Input id {self.id!r} would shadow the Python name {self.id!r} "
                             f"inside the generated forward; rename it (for example "
                             f"{self.id + '_'!r} or 'x')")
        return self


class Edge(_Strict):
    """A tensor flowing from a node's output port to another node's input port."""

    source: str = Field(description="Id of the node that produces the tensor.")
    source_port: str = Field("out", max_length=64, description="Output port of the source: "
                             "'out', or 'out0', 'out1', ... / named ports for multi-output ops.")
    target: str = Field(description="Id of the node that consumes the tensor.")
    target_port: str = Field("in", max_length=64, description="Input port of the target: 'in', "
                             "or 'in0', 'in1', ... for variadic ops, or a block's input name.")


class BlockParam(_Strict):
    """A parameter a block exposes; its body uses it as '=name' in node params."""

    type: Literal["int", "float", "bool", "str", "choice", "ints", "shape"] = Field(
        "int", description="Value type, as in the layer catalogue.")
    default: Any = Field(None, description="Value used when an instance does not set it "
                         "(null: the instance must set it).")
    min: float | None = Field(None, description="Smallest allowed value (numbers).")
    max: float | None = Field(None, description="Largest allowed value (numbers).")
    choices: list[Any] | None = Field(None, description="Allowed values (type 'choice').")
    help: str = Field("", max_length=500, description="One line shown in the editor's form.")


class Block(_Strict):
    """A named subgraph used as an op ('block:<Name>'): Input nodes are its input ports,
    Output nodes its output ports (a single one also answers to 'in' / 'out')."""

    description: str = Field("", max_length=2000, description="What the block does.")
    params: dict[str, BlockParam] = Field(default_factory=dict, description="Exposed "
                                          "parameters, by name.")
    nodes: list[Node] = Field(description="The block's nodes, Input and Output nodes included.")
    edges: list[Edge] = Field(default_factory=list, description="The block's edges.")


class GraphDocument(_Strict):
    """A whole model: ``netweave.graph/1``."""

    schema_: Literal["netweave.graph/1"] = Field(alias="schema", description="Format and "
                                                 "version of this document.")
    name: str = Field("model", max_length=200, description="Name of the model; the compiled "
                      "class is named after it.")
    description: str = Field("", max_length=5000, description="Free text about the model.")
    variables: dict[str, Any] = Field(default_factory=dict, description="Graph variables "
                                      "(numbers, or '=expr' over earlier variables) that "
                                      "params and repeat counts may reference.")
    nodes: list[Node] = Field(description="All nodes, Input and Output nodes included.")
    edges: list[Edge] = Field(default_factory=list, description="All edges of the top level.")
    blocks: dict[str, Block] = Field(default_factory=dict, description="Blocks by name, "
                                     "used by nodes with op 'block:<Name>'.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Editor-only data "
                                     "(viewport, colours); ignored by the compiler.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
