"""parse_graph, validate_graph and compile_graph: the engine's entry points for a document.

One pipeline for all three: cheap size checks on the raw JSON, the pydantic
models, scope checks, variables, block expansion, shape inference. Each stage
adds structured errors; the next one runs only on what passed.
"""
from __future__ import annotations

import contextlib
import gc
import logging
import re

from pydantic import ValidationError
from torch import fx

from ..schema import GraphDocument, GraphError, error
from . import compiler, infer
from .expand import Expander
from .expr import ExprError, resolve
from .limits import (DEFAULT_ALLOC, DEFAULT_MAX_NODES, DEFAULT_MEMORY, DEFAULT_PARAMS, Budget,
                     capped, size_errors)
from .report import build_report
from .structure import check_document, skip_unfed

log = logging.getLogger(__name__)
_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_INTERNAL = error("the engine could not check this graph (an internal error, logged); please "
                  "report it with the document")


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _raw_id(container, loc: tuple):
    """The id of the raw node at ``loc`` (``("nodes", 3, ...)``) in ``container``, if any."""
    if len(loc) < 2 or loc[0] != "nodes" or not isinstance(loc[1], int):
        return None
    raw = container["nodes"][loc[1]]
    return raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None


def _pydantic_errors(exc: ValidationError, doc: dict) -> list[dict]:
    errors = []
    for item in exc.errors()[:50]:
        loc = item["loc"]
        message = item["msg"].removeprefix("Value error, ")
        e = error(f"{_loc(loc) or 'document'}: {message}", node=_raw_id(doc, loc),
                  field=_loc(loc) or None)
        if len(loc) >= 2 and loc[0] == "blocks" and isinstance(loc[1], str):
            # A node of a block body: name the block and the node, as later checks do.
            e["block"], inner = loc[1], _raw_id(doc["blocks"][loc[1]], loc[2:])
            if inner is not None:
                e["block_node"], e["in_blocks"] = inner, {loc[1]: inner}
        errors.append(e)
    return errors


def parse_graph(doc) -> GraphDocument:
    """The pydantic model of ``doc``; raises GraphError with every problem found."""
    errors = size_errors(doc, DEFAULT_MAX_NODES)
    if errors:
        raise GraphError(errors)
    try:
        return GraphDocument.model_validate(doc)
    except ValidationError as exc:
        raise GraphError(_pydantic_errors(exc, doc)) from None


def _variables(graph: GraphDocument, errors: list[dict]) -> dict:
    env: dict = {}
    for name, value in graph.variables.items():
        if not _VAR.match(name):
            errors.append(error(f"variable name {name[:64]!r} must be letters, digits and '_'",
                                field=f"variables.{name[:64]}"))
            continue
        try:
            env[name] = resolve(value, env)
        except ExprError as exc:
            errors.append(error(f"variable {name!r}: {exc}", field=f"variables.{name}"))
    return env


def analyse(doc, budget: Budget = Budget(), max_nodes: int = DEFAULT_MAX_NODES):
    """(document model, expander, analysis, errors); later parts are None after a failure.
    At most MAX_ERRORS errors are kept (and counted beyond that)."""
    graph, exp, analysis, errors = _analyse(doc, budget, max_nodes)
    return graph, exp, analysis, capped(errors)


def _analyse(doc, budget: Budget, max_nodes: int):
    errors = size_errors(doc, max_nodes)
    if errors:
        return None, None, None, errors
    try:
        graph = GraphDocument.model_validate(doc)
    except ValidationError as exc:
        return None, None, None, _pydantic_errors(exc, doc)
    scopes, errors = check_document(graph)
    env = _variables(graph, errors)
    loose = scopes[None].loose
    if len(errors) > len(loose):  # loose errors alone still let the connected part through
        return graph, None, None, errors
    skip_unfed(scopes[None])
    exp = Expander(graph, scopes, env, max_nodes)
    flat = exp.run()
    if exp.errors:
        return graph, exp, None, _dedupe(loose + exp.errors)
    analysis = infer.run(flat, budget)
    return graph, exp, analysis, _dedupe(loose + analysis.errors)


def _dedupe(errors: list[dict]) -> list[dict]:
    """A mistake inside a block repeats in every copy; report it once (the first copy's),
    but keep apart the same mistake made by two nodes of one block."""
    seen, out = set(), []
    for e in errors:
        key = (e["node"], e.get("block"), e.get("block_node"), e["field"],
               re.sub(r"'[\w.]+'", "", e["message"]))
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


@contextlib.contextmanager
def _no_gc_pauses():
    """Inference allocates many small dicts and tuples and no cycles; the cyclic
    collector would walk the whole heap (torch included) several times for a big
    graph, a third of the time at 5,000 nodes. Reference counting frees them all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _budget(param_budget, alloc_budget, memory_budget) -> Budget:
    return Budget(param_budget, alloc_budget, memory_budget)


def validate_graph(doc, *, param_budget: float = DEFAULT_PARAMS,
                   alloc_budget: float = DEFAULT_ALLOC, memory_budget: float = DEFAULT_MEMORY,
                   max_nodes: int = DEFAULT_MAX_NODES) -> dict:
    """The validation report; never raises for bad user input. The budgets: parameters,
    bytes of weights compiling may allocate, activation bytes per sample."""
    try:
        with _no_gc_pauses():
            graph, exp, analysis, errors = analyse(
                doc, _budget(param_budget, alloc_budget, memory_budget), max_nodes)
            return build_report(graph, exp, analysis, errors)
    except RecursionError:
        return build_report(None, None, None, [error("the document nests too deeply")])
    except Exception:  # a bug must not become a 500 for the person drawing the graph
        log.exception("validate_graph failed on a document")
        return build_report(None, None, None, [dict(_INTERNAL)])


def compile_graph(doc, *, seed: int | None = None, param_budget: float = DEFAULT_PARAMS,
                  alloc_budget: float = DEFAULT_ALLOC, memory_budget: float = DEFAULT_MEMORY,
                  max_nodes: int = DEFAULT_MAX_NODES) -> fx.GraphModule:
    """A GraphModule for ``doc``; raises GraphError with every problem found (and never
    another exception: an engine bug becomes a GraphError that says so)."""
    try:
        graph, _, analysis, errors = analyse(
            doc, _budget(param_budget, alloc_budget, memory_budget), max_nodes)
    except RecursionError:
        raise GraphError([error("the document nests too deeply")]) from None
    except Exception as exc:
        log.exception("compile_graph failed on a document")
        raise GraphError([dict(_INTERNAL)]) from exc
    if errors:
        raise GraphError(errors)
    return compiler.build(analysis, graph.name, seed)
