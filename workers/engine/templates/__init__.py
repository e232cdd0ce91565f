"""Ready-made graphs shipped as JSON files in this folder: list them and load one by name."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

FOLDER = Path(__file__).parent
_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")


@lru_cache(maxsize=None)
def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def _files() -> list[Path]:
    return sorted(FOLDER.glob("*.json"))


def list_templates() -> list[dict]:
    """``{name, title, description, tags}`` of every template, by name."""
    out = []
    for path in _files():
        doc = _read(path)
        meta = doc.get("metadata", {}).get("template", {})
        out.append({"name": path.stem, "title": meta.get("title", path.stem),
                    "description": doc.get("description", ""), "tags": meta.get("tags", [])})
    return out


def load_template(name: str) -> dict:
    """A fresh copy of template ``name``'s graph document; KeyError when there is none."""
    # The name is matched against the files in this folder, never joined into a path.
    if not isinstance(name, str) or not _NAME.match(name):
        raise KeyError(name)
    for path in _files():
        if path.stem == name:
            return json.loads(json.dumps(_read(path)))
    raise KeyError(name)
