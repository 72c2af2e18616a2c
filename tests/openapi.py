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


@lru_cache(maxsize=32)
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": _components()}
    )


def schema_errors(name: str, body: dict[str, Any]) -> list[str]:
    """Messages of every way ``body`` breaks ``#/components/schemas/{name}``."""
    validator = _validator(name)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
    ]


@lru_cache(maxsize=64)
def declared_properties(name: str) -> frozenset[str]:
    """Every property name ``#/components/schemas/{name}`` declares, through ``allOf``, ``anyOf``,
    ``oneOf`` and ``$ref``. The schemas allow extra keys, so tests check keys against this too."""
    schemas = _components()["schemas"]
    seen: set[str] = set()

    def walk(node: Any) -> set[str]:
        if not isinstance(node, dict):
            return set()
        found = set(node.get("properties", {}))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            found |= walk(schemas[ref.rsplit("/", 1)[1]])
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(key, []):
                found |= walk(sub)
        return found

    return frozenset(walk(schemas[name]))


def check_body(name: str, body: dict[str, Any]) -> list[str]:
    """Schema errors plus any top-level key the schema does not declare."""
    unknown = sorted(set(body) - declared_properties(name))
    return schema_errors(name, body) + [f"undeclared property: {key}" for key in unknown]
