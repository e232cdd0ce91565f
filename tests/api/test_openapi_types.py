"""The editor's API types are generated from the OpenAPI schema (`make api-types`):
the committed frontend/src/api/schema.ts must be what the schema gives now."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from drf_spectacular.generators import SchemaGenerator

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "frontend" / "node_modules" / ".bin" / "openapi-typescript"
COMMITTED = ROOT / "frontend" / "src" / "api" / "schema.ts"
# As the Makefile's api-types runs it: a field with a default is one a request may leave out.
OPTIONS = ["--default-non-nullable", "false"]


def test_every_view_is_described():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    undescribed = [f"{method.upper()} {path}" for path, ops in schema["paths"].items()
                   for method, op in ops.items()
                   if not any(answer.get("content") or code == "204"
                              for code, answer in op["responses"].items() if code.startswith("2"))]
    assert undescribed == []


def free_form(schema: dict) -> bool:
    """An answer the schema says nothing about: `object` (or a list of them) without properties."""
    if schema.get("type") == "array":
        return free_form(schema.get("items", {}))
    return "$ref" not in schema and schema.get("type") in ("object", None) and not schema.get("properties")


def test_no_json_answer_is_a_free_form_object():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    vague = [f"{method.upper()} {path} {code}" for path, ops in schema["paths"].items() if path != "/api/schema/"
             for method, op in ops.items() for code, answer in op["responses"].items()
             if free_form(answer.get("content", {}).get("application/json", {}).get("schema", {"$ref": ""}))]
    assert vague == []


def test_the_editors_types_match_the_schema(tmp_path):
    assert GENERATOR.exists(), "frontend/node_modules is missing: cd frontend && npm ci (make test does)"
    schema = SchemaGenerator().get_schema(request=None, public=True)
    (tmp_path / "openapi.json").write_text(json.dumps(schema, default=str))
    subprocess.run([str(GENERATOR), str(tmp_path / "openapi.json"), *OPTIONS, "-o", str(tmp_path / "schema.ts")],
                   cwd=ROOT / "frontend", check=True, capture_output=True, timeout=120)
    generated = (tmp_path / "schema.ts").read_text()
    assert generated == COMMITTED.read_text(), \
        "frontend/src/api/schema.ts differs from the API's schema: run `make api-types` and commit it"
