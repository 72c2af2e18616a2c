"""Validating request bodies against OpenAI's OpenAPI schemas (tests/specs/README.md)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

SPEC = Path(__file__).with_name("specs") / "openai-image-schemas.json"


@lru_cache(maxsize=1)
def _components() -> dict[str, Any]:
    return json.loads(SPEC.read_text())["components"]


def schema_errors(name: str, body: dict[str, Any]) -> list[str]:
    """Messages of every way ``body`` breaks ``#/components/schemas/{name}``."""
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": _components()}
    )
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
