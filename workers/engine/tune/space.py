"""The search space of a sweep: what each trial may change, as Optuna distributions.

A dimension is named by what it changes, in one of three forms:

- a training field, dotted as in the config: ``optimizer.lr``, ``batch_size``,
  ``optimizer.name``;
- a graph variable, with the editor's ``=``: ``=width``;
- a top-level node's param or repeat count: ``conv1.out_channels``, ``drop.p``,
  ``stack.repeat``.

``check_space`` checks every dimension against what it changes (the training
config's own validation, the layer registry's allowed range and choices, the
block's declared params) and returns errors naming ``space[i].<field>``.
"""
from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..registry import ParamError, coerce, get_op
from ..registry.core import Param
from ..train import ConfigError, TrainConfig, parse_config

MAX_REPEAT = 1000
Choice = bool | int | float | str


class Dimension(BaseModel):
    """One thing a trial may change, and the values it may take."""

    # JSON's 1e309 parses as infinity: a range must have finite ends (a variable has no bounds of its own).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=130, description="What it changes: a training field "
                      "(optimizer.lr), a graph variable (=width) or a node's param (conv1.out_channels, "
                      "stack.repeat)")
    type: Literal["float", "int", "categorical"] = Field(
        "float", description="float / int: a range from low to high; categorical: one of choices")
    low: float | None = Field(None, description="Smallest value (float, int)")
    high: float | None = Field(None, description="Largest value (float, int)")
    log: bool = Field(False, description="Sample on a log scale (float, int; low must be > 0)")
    step: float | None = Field(None, gt=0, description="Spacing between values; empty = continuous "
                               "(float) or 1 (int)")
    choices: list[Choice] | None = Field(None, max_length=256, description="Values (categorical)")

    @model_validator(mode="after")
    def _check(self) -> "Dimension":
        if self.type == "categorical":
            if not self.choices:
                raise ValueError(f"{self.name}: a categorical dimension needs choices")
            if len({repr(c) for c in self.choices}) != len(self.choices):
                raise ValueError(f"{self.name}: choices repeat a value")
            return self
        if self.low is None or self.high is None:
            raise ValueError(f"{self.name}: a {self.type} range needs low and high")
        if not self.low < self.high:
            raise ValueError(f"{self.name}: low ({self.low:g}) must be below high ({self.high:g})")
        if self.log and self.low <= 0:
            raise ValueError(f"{self.name}: a log scale needs low > 0")
        if self.log and self.step is not None:
            raise ValueError(f"{self.name}: choose a log scale or a step, not both")
        if self.type == "int" and not all(float(v).is_integer() for v in (self.low, self.high, self.step or 1)):
            raise ValueError(f"{self.name}: an int range needs whole low, high and step")
        if self.step is not None and self.step > (self.high - self.low) * (1 + 1e-9):  # 0.3 - 0.1 < 0.2
            raise ValueError(f"{self.name}: step ({self.step:g}) is wider than the range {self.low:g}..{self.high:g}, "
                             f"which would hold only {self.low:g}")
        return self

    def bounds(self) -> tuple[float, float]:
        """low and high of a range (the check above requires both for float and int)."""
        if self.low is None or self.high is None:
            raise ValueError(f"{self.name}: a range needs low and high")
        return self.low, self.high

    def choice_values(self) -> list[Choice]:
        """The choices of a categorical dimension (the check above requires them)."""
        if not self.choices:
            raise ValueError(f"{self.name}: a categorical dimension needs choices")
        return self.choices

    def distribution(self):
        """The Optuna distribution (imported here: a job child that is no trial never loads Optuna)."""
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.type == "categorical":
            return CategoricalDistribution(self.choice_values())
        low, high = self.bounds()
        if self.type == "int":
            return IntDistribution(int(low), int(high), log=self.log, step=int(self.step or 1))
        return FloatDistribution(low, high, log=self.log, step=self.step)

    def grid(self) -> list[Choice] | None:
        """Every value, for a grid search; None for a continuous range."""
        if self.type == "categorical":
            return list(self.choice_values())
        if self.type == "float" and self.step is None:
            return None
        step, (low, high) = self.step or 1, self.bounds()
        count = int(math.floor((high - low) / step + 1e-9)) + 1
        cast = int if self.type == "int" else float
        return [cast(low + i * step) for i in range(count)]

    def extremes(self) -> list[tuple[str, Choice]]:
        """(field, value) pairs to check against what the dimension changes."""
        if self.type == "categorical":
            return [("choices", c) for c in self.choice_values()]
        cast = int if self.type == "int" else float
        low, high = self.bounds()
        return [("low", cast(low)), ("high", cast(high))]


def kind_of(name: str, graph: dict) -> tuple[str, str | None, str]:
    """(``"variable"`` | ``"node"`` | ``"train"``, node id or None, the field)."""
    if name.startswith("="):
        return "variable", None, name[1:]
    head, _, rest = name.partition(".")
    ids = {n.get("id") for n in graph.get("nodes") or () if isinstance(n, dict)}
    if rest and head in ids:
        return "node", head, rest
    return "train", None, name


def _node(graph: dict, node_id: str) -> dict:
    return next(n for n in graph["nodes"] if isinstance(n, dict) and n.get("id") == node_id)


def node_param(graph: dict, node_id: str, field: str) -> Param | None:
    """The registry's (or the block's) declaration of a node's param."""
    op = str(_node(graph, node_id).get("op") or "")
    if op.startswith("block:"):
        declared = ((graph.get("blocks") or {}).get(op[6:]) or {}).get("params") or {}
        spec = declared.get(field)
        if not isinstance(spec, dict):
            return None
        kind = spec.get("type", "int")
        return Param(field, kind, spec.get("default"), min=spec.get("min"), max=spec.get("max"),
                     choices=tuple(spec["choices"]) if spec.get("choices") else None)
    spec = get_op(op)
    return spec.param_index.get(field) if spec is not None else None


def _check_node(dim: Dimension, graph: dict, node_id: str, field: str) -> tuple[str, str] | None:
    if field == "repeat":
        for where, v in dim.extremes():
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= MAX_REPEAT:
                return where, f"a repeat count must be an integer between 1 and {MAX_REPEAT}, got {v!r}"
        return None
    param = node_param(graph, node_id, field)
    if param is None:
        op = _node(graph, node_id).get("op")
        return "name", f"node {node_id!r} ({op}) has no param {field!r}"
    if param.inferred:
        return "name", f"{node_id}.{field} is inferred from the input shape; search the layer before it instead"
    if param.type in ("int", "ints") and dim.type == "float":
        return "type", f"{node_id}.{field} is an integer: use type int or categorical"
    for where, value in dim.extremes():
        try:
            coerce(param, value)
        except ParamError as exc:
            return where, f"{node_id}.{exc}"
    return None


def _set_path(data: dict, dotted: str, value: Any) -> dict:
    out = dict(data)
    head, _, rest = dotted.partition(".")
    out[head] = _set_path(dict(out.get(head) or {}), rest, value) if rest else value
    return out


def _check_train(dim: Dimension, base: dict, field: str) -> tuple[str, str] | None:
    model: type[BaseModel] | None = TrainConfig
    parts = field.split(".")
    for i, part in enumerate(parts):
        info = model.model_fields.get(part) if model is not None else None
        if info is None:
            where = ".".join(parts[:i]) or "the training config"
            return "name", (f"{field!r} is not a training field, a node's param (node.param) or a graph "
                            f"variable (=name); {where} has: {', '.join(sorted(model.model_fields))}"
                            if model is not None else f"{'.'.join(parts[:i])} has no fields")
        kind = info.annotation
        model = kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None
    if model is not None:
        return "name", f"{field} is a group of settings; search one of its fields"
    for where, value in dim.extremes():
        try:
            parse_config(_set_path(base, field, value))
        except ConfigError as exc:
            return where, f"{field} = {value!r}: " + "; ".join(e["message"] for e in exc.errors)
    return None


def _check_variable(dim: Dimension, graph: dict, name: str) -> tuple[str, str] | None:
    variables = graph.get("variables") or {}
    if name not in variables:
        return "name", f"the graph has no variable {name!r} (variables: {', '.join(sorted(variables)) or 'none'})"
    for where, value in dim.extremes():
        if isinstance(value, (bool, str)):
            return where, f"variable {name!r} takes numbers, got {value!r}"
    return None


def check_space(space: list[Dimension], graph: dict, base_config: dict) -> list[dict]:
    """Every dimension against what it changes; errors name ``space[i].<field>``."""
    errors: list[dict] = []
    for i, dim in enumerate(space):
        kind, node_id, field = kind_of(dim.name, graph)
        if kind == "variable":
            problem = _check_variable(dim, graph, field)
        elif kind == "node" and node_id is not None:
            problem = _check_node(dim, graph, node_id, field)
        else:
            problem = _check_train(dim, base_config, field)
        if problem:
            errors.append({"node": node_id, "port": None, "field": f"space[{i}].{problem[0]}",
                           "message": problem[1]})
    return errors


def apply_params(graph: dict, config: dict, params: dict[str, Any]) -> tuple[dict, dict]:
    """The trial's graph document and training config: ``params`` set over the base ones."""
    doc = {**graph, "variables": dict(graph.get("variables") or {}),
           "nodes": [dict(n) if isinstance(n, dict) else n for n in graph.get("nodes") or ()]}
    by_id = {n.get("id"): n for n in doc["nodes"] if isinstance(n, dict)}
    for name, value in params.items():
        kind, node_id, field = kind_of(name, graph)
        if kind == "variable":
            doc["variables"][field] = value
        elif kind == "node" and field == "repeat":
            by_id[node_id]["repeat"] = value
        elif kind == "node":
            by_id[node_id]["params"] = {**(by_id[node_id].get("params") or {}), field: value}
        else:
            config = _set_path(config, field, value)
    return doc, config


def split_params(graph: dict, params: dict[str, Any]) -> tuple[dict, dict]:
    """(the params that change the graph, the training ones)."""
    on_graph = {k: v for k, v in params.items() if kind_of(k, graph)[0] != "train"}
    return on_graph, {k: v for k, v in params.items() if k not in on_graph}
