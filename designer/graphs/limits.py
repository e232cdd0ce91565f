"""Limits on graph documents, checked before the engine spends time on them.

Each refusal says which limit and where, in the shared error shape.
"""
from __future__ import annotations

from django.conf import settings

from designer.core.errors import InputProblem, error

MAX_STRING = 10_000  # any single string inside a document (names, params, help)
MAX_DEPTH = 32  # JSON nesting; real documents stay under ten


def count_nodes(document: dict) -> int:
    """Nodes of the document plus those inside its blocks (both cost the engine time)."""
    total = len(document.get("nodes") or [])
    blocks = document.get("blocks") or {}
    if isinstance(blocks, dict):
        total += sum(len(b.get("nodes") or []) for b in blocks.values() if isinstance(b, dict))
    return total


def _within_limits(document) -> bool:
    """The fast pass, level by level: no paths built, no recursion (most documents are fine)."""
    level, depth = [document], 0
    while level:
        if depth > MAX_DEPTH:
            return False
        below = []
        for value in level:
            kind = type(value)
            if kind is str:
                if len(value) > MAX_STRING:
                    return False
            elif kind is dict:
                if value and max(map(len, value)) > MAX_STRING:
                    return False
                below.extend(value.values())
            elif kind is list:
                below.extend(value)
        level, depth = below, depth + 1
    return True


def _walk(value, where: str, depth: int, problems: list[dict]) -> None:
    """The slow pass, only for documents that broke a limit: say where."""
    if len(problems) >= 20:
        return
    if depth > MAX_DEPTH:
        problems.append(error(f"nested deeper than {MAX_DEPTH} levels", field=where or None))
    elif isinstance(value, str):
        if len(value) > MAX_STRING:
            problems.append(
                error(f"string of {len(value):,} characters; the limit is {MAX_STRING:,}", field=where)
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            if len(key) > MAX_STRING:
                problems.append(error(f"key longer than {MAX_STRING:,} characters", field=where))
            else:
                _walk(item, f"{where}.{key}" if where else key, depth + 1, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{where}[{index}]", depth + 1, problems)


def check_document(document) -> dict:
    """Refuse a document that is not an object, too big, too deep or has huge strings."""
    if not isinstance(document, dict):
        raise InputProblem([error("the graph document must be a JSON object", field="document")])
    nodes = count_nodes(document) if isinstance(document.get("nodes", []), list) else 0
    limit = settings.NETWEAVE_MAX_NODES
    if nodes > limit:
        raise InputProblem(
            [error(f"the graph has {nodes:,} nodes; the limit is {limit:,} (NETWEAVE_MAX_NODES)",
                   field="nodes")]
        )
    if _within_limits(document):
        return document
    problems: list[dict] = []
    _walk(document, "", 0, problems)
    raise InputProblem(problems)
