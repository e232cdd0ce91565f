"""Generate the JSON Schema file from the pydantic models.

Run ``python -m workers.engine.schema.generate`` after changing models.py;
tests/engine/graph/test_schema.py fails while the committed file is stale.
"""
from __future__ import annotations

import json
from pathlib import Path

from .models import GraphDocument

SCHEMA_FILE = Path(__file__).with_name("netweave.graph.v1.json")


def json_schema() -> dict:
    schema = GraphDocument.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://netweave.dev/schema/netweave.graph.v1.json", **schema}


def render() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render())
    print(f"wrote {SCHEMA_FILE}")
