"""The layer registry: an allow-list of ops, filled by a decorator that refuses duplicates.

Reads like torchvision's model registry (``register_model`` / ``get_model`` /
``list_models``). A graph names ops only through this table: nothing a person
types is ever imported, evaluated or looked up with getattr.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

REQUIRED = object()  # default of a param a person must set


@dataclass(frozen=True)
class Param:
    """One parameter of an op, as the editor's form and the validator see it."""

    name: str
    type: str  # int | float | bool | str | choice | ints | shape | path
    default: Any = REQUIRED
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None
    inferred: bool = False  # filled from the input shape; a person need not set it
    nullable: bool = False  # null is a meaningful value (e.g. stride = kernel_size)

    def as_json(self) -> dict:
        return {"name": self.name, "type": self.type,
                "default": None if self.default is REQUIRED else _jsonable(self.default),
                "required": self.default is REQUIRED and not self.inferred,
                "min": self.min, "max": self.max,
                "choices": list(self.choices) if self.choices else None,
                "help": self.help, "inferred": self.inferred}


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Port:
    name: str
    variadic: bool = False  # in0, in1, ... (inputs) or out0, out1, ... (outputs)
    min_count: int = 1  # for variadic ports: how many must be connected


ShapeRule = Callable[[dict, list], "tuple | dict"]


@dataclass(frozen=True)
class OpSpec:
    """Everything the engine knows about one op.

    ``build(p, shapes)`` makes the nn.Module for module ops; ``emit(g, args, p,
    shapes)`` adds fx nodes for graph ops (and for modules whose output needs
    unpacking) and returns ``{port: fx.Node}``. ``shape(p, shapes)`` is the
    pure-Python shape rule: a tuple for single-output ops or ``{port: tuple}``.
    Shapes are tuples with ``None`` for the batch dimension.
    """

    name: str
    category: str
    help: str
    inputs: tuple[Port, ...] = (Port("in"),)
    outputs: tuple[Port, ...] = (Port("out"),)
    params: tuple[Param, ...] = ()
    build: Callable | None = None
    emit: Callable | None = None
    shape: ShapeRule | None = None
    infer: Callable[[dict, list], dict] | None = None  # (params, input shapes) -> inferred
    count: Callable[[dict, list], int] | None = None  # parameters, from params and shapes
    flops: Callable[[dict, list, list], int] | None = None  # per sample
    rank: tuple[int, ...] | None = None  # allowed ranks of every input, batch included
    layout: str = ""  # how the input reads, e.g. "(N, C, H, W)"
    input_dtype: str | tuple[str, ...] = "float"  # float | long | any, or one per port
    # None: same as the first input; "promote": PyTorch's promotion of its inputs (int64
    # and float32 give float32); or a dtype name.
    out_dtype: str | None = None
    # Where the inputs' batch dim may be: "first" (dim 0, as shape rules and param counts
    # read it), "broadcast" (dim 0, or no batch dim at all: a Parameter, for the math ops
    # that broadcast) or "anywhere" (an RNN's h_n into Transpose, Permute, Output).
    batch: str = "first"
    # For a Parameter: (params) -> the tensor the compiled module holds at the node's key.
    tensor: Callable | None = None
    param_index: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self.param_index.update({p.name: p for p in self.params})

    @property
    def is_module(self) -> bool:
        return self.build is not None

    def as_json(self) -> dict:
        return {"op": self.name, "category": self.category, "help": self.help,
                "inputs": [{"name": p.name, "variadic": p.variadic} for p in self.inputs],
                "outputs": [{"name": p.name, "variadic": p.variadic} for p in self.outputs],
                "params": [p.as_json() for p in self.params]}


_OPS: dict[str, OpSpec] = {}


def register(spec: OpSpec) -> OpSpec:
    if spec.name in _OPS:
        raise ValueError(f"op {spec.name!r} is already registered")
    _OPS[spec.name] = spec
    return spec


def register_op(name: str, **kwargs) -> Callable:
    """Decorator: the decorated function is the op's builder (``kind='module'``,
    the default) or its fx emitter (``kind='function'``)."""
    kind = kwargs.pop("kind", "module")

    def wrap(fn: Callable) -> Callable:
        build, emit = (fn, None) if kind == "module" else (None, fn)
        register(OpSpec(name=name, build=build, emit=emit, **kwargs))
        return fn
    return wrap


def get_op(name: str) -> OpSpec | None:
    _load_ops()
    return _OPS.get(name)


def op_spec(name: str) -> OpSpec:
    """The spec of an op the caller knows is registered (the document was checked, or the
    name is the engine's own); KeyError otherwise."""
    spec = get_op(name)
    if spec is None:
        raise KeyError(f"{name!r} is not a registered op")
    return spec


def list_ops() -> list[str]:
    _load_ops()
    return sorted(_OPS)


def catalogue() -> list[dict]:
    """The registry as JSON, for the API's /api/layers and the editor's palette."""
    _load_ops()
    return [spec.as_json() for spec in sorted(_OPS.values(), key=lambda s: (s.category, s.name))]


_loaded = False


def _load_ops() -> None:
    # Importing the ops package runs the decorators once; kept lazy so that
    # ``core`` has no import cycle with the op modules that import it.
    global _loaded
    if not _loaded:
        from . import ops  # noqa: F401
        _loaded = True
