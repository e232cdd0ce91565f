"""What /api/schema/ says beyond each view's own serializers (docs/contracts.md section 5).

- The error answers every view shares (`{detail, errors?, code?}`): 400, 403, 404,
  409, 429 and 503 as the API gives them, added to each operation by one hook
  instead of one decorator per view.
- The graph document: the engine's own JSON Schema (generated from its pydantic
  models, workers/engine/schema/netweave.graph.v1.json) as components, so that a
  template, a version and a graph say what a document is without a third copy of it.
- The live events stream (a plain async Django view, which drf-spectacular cannot see).

schemathesis (`make fuzz`) holds the server to all of it: status codes, content
types and bodies.
"""
from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers as s

DOCUMENT_SCHEMA = Path(__file__).resolve().parents[2] / "workers/engine/schema/netweave.graph.v1.json"
# The engine's $defs, renamed so they read as parts of a document among the API's components.
DOCUMENT_PARTS = {"Block": "DocumentBlock", "BlockParam": "DocumentBlockParam", "Edge": "DocumentEdge",
                  "Node": "DocumentNode", "Position": "DocumentPosition"}
GRAPH_DOCUMENT = {"$ref": "#/components/schemas/GraphDocument"}


class ErrorItem(s.Serializer):
    """One problem, where it is (docs/contracts.md section 2): graph problems name the node,
    form problems the field. One found inside a block also says where (the engine's
    report; absent at the top level and in a 400's errors)."""

    node = s.CharField(allow_null=True)
    port = s.CharField(allow_null=True)
    field = s.CharField(allow_null=True)
    message = s.CharField()
    path = s.CharField(required=False, help_text="the flat key of the node that failed")
    block = s.CharField(required=False, help_text="the innermost block definition to blame")
    block_node = s.CharField(required=False, help_text="its node to blame")
    in_blocks = s.DictField(child=s.CharField(), required=False,
                            help_text="block name → node id in its body, on the way down to the cause")


@extend_schema_field(ErrorItem(many=True))
class ReportErrorsField(s.JSONField):
    """A stored validation report's errors, sent as they are."""


ERROR_ANSWER = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "one sentence"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorItem"},
                   "description": "a 400 about the input: each problem"},
        "code": {"type": "string", "description": "not_authenticated: sign in (again)"},
    },
    "required": ["detail"],
}


@extend_schema_field(GRAPH_DOCUMENT)
class DocumentField(s.JSONField):
    """A graph document (netweave.graph/1) in an answer."""


def _openapi(node):
    """JSON Schema 2020-12 (pydantic's) → OpenAPI 3.0: nullable instead of a null type,
    enum instead of const, refs to components."""
    if isinstance(node, list):
        return [_openapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _openapi(value) for key, value in node.items() if key not in ("title", "$id", "$schema")}
    if "$ref" in node:
        node["$ref"] = "#/components/schemas/" + DOCUMENT_PARTS[node["$ref"].rsplit("/", 1)[1]]
    if "const" in node:
        node["enum"] = [node.pop("const")]
    options = node.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        del node["anyOf"]
        if len(rest) == 1 and "$ref" not in rest[0]:
            node.update(rest[0])
        else:
            node["anyOf" if len(rest) > 1 else "allOf"] = rest
        node["nullable"] = True
    return node


@cache
def document_components() -> dict:
    raw = json.loads(DOCUMENT_SCHEMA.read_text())
    parts = {DOCUMENT_PARTS[name]: _openapi(schema) for name, schema in raw.pop("$defs").items()}
    return {"GraphDocument": _openapi(raw), **parts}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorAnswer"}}}}


HEALTH, SCHEMA = "/api/health", "/api/schema/"
SIGN_IN = ("/api/auth/login", "/api/auth/token")  # no session needed; rate-limited per address
CONFLICTS = ("/cancel", "/resume", "/extend", "/promote", "/versions")  # and every DELETE: still in use


def _error_codes(path: str, method: str, operation: dict) -> dict:
    codes = {}
    if operation.get("parameters") or "requestBody" in operation or "{" in path:
        codes["400"] = "bad input or a limit (errors: each problem)"
    if path in SIGN_IN:
        codes["403"] = "the CSRF check failed (a browser without X-CSRFToken)"
        codes["429"] = "too many failed logins from this address (Retry-After)"
    elif path == HEALTH:
        codes["503"] = "the database does not answer"
    else:
        codes["403"] = "not signed in (code not_authenticated), or the role is too small"
        if path != SCHEMA:
            codes["404"] = "missing, or not yours"
    if method == "delete" or (method == "post" and path.endswith(CONFLICTS)):
        codes["409"] = "conflicts with the current state"
    return codes


STREAM_EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "increases per run; resume after it"},
        "event": {"type": "string", "description": "metrics, state, phase, log, checkpoint or artifact"},
        "data": {"type": "string", "description": 'JSON that names its "run" (docs/contracts.md section 4)'},
    },
    "required": ["id", "event", "data"],
}
EVENTS_PATH = {
    "get": {
        "operationId": "runs_events",
        "description": "Server-Sent Events of a run (docs/contracts.md section 4): `metrics`, `state`, `phase`, "
                       "`log`, `checkpoint`, `artifact`; replays what came after `Last-Event-ID` (or `?after=`) "
                       "and ends after the run's final state.",
        "tags": ["runs"],
        "parameters": [
            {"in": "path", "name": "id", "required": True, "schema": {"type": "integer"}},
            {"in": "query", "name": "after", "required": False, "schema": {"type": "integer", "minimum": 0},
             "description": "the last event id seen (for clients that cannot send Last-Event-ID)"},
        ],
        "security": [{"cookieAuth": []}, {"tokenAuth": []}],
        "responses": {"200": {"description": "the stream: one schema for each event",
                              "content": {"text/event-stream": {"schema": STREAM_EVENT}}}},
    },
}


def _events_path() -> dict:
    from designer.runs.models import EventKind  # the schema is built once the apps are loaded

    path = copy.deepcopy(EVENTS_PATH)
    event = path["get"]["responses"]["200"]["content"]["text/event-stream"]["schema"]["properties"]["event"]
    event["enum"] = list(EventKind.values)
    return path


def complete_schema(result, generator, request, public):
    """drf-spectacular postprocessing hook: the shared errors, the document, the stream."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(document_components())
    paths = result["paths"]
    paths["/api/runs/{id}/events"] = _events_path()
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, description in _error_codes(path, method, operation).items():
                responses.setdefault(code, _error(description))
    components["ErrorAnswer"] = ERROR_ANSWER
    return result
