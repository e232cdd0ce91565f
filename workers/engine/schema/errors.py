"""The one error type of the engine and the error shape shared with the API and editor.

Every problem a person can fix is an ``{node, port, field, message}`` dict
(docs/contracts.md section 2), so the editor can point at the node and field.
"""
from __future__ import annotations


def error(message: str, node: str | None = None, port: str | None = None,
          field: str | None = None) -> dict:
    """One structured error; ``node``/``port``/``field`` are None when not known."""
    return {"node": node, "port": port, "field": field, "message": message}


class GraphError(Exception):
    """A graph that cannot be parsed, validated or compiled; ``.errors`` says why and where."""

    def __init__(self, errors: list[dict]):
        self.errors = list(errors)
        first = self.errors[0]["message"] if self.errors else "invalid graph"
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(first + more)
