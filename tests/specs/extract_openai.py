"""Extract the OpenAPI schemas the tests validate against into openai-image-schemas.json.

Run from the repository root: ``python tests/specs/extract_openai.py ../shared/specs/openai-openapi.yaml``.
It copies ``CreateImageRequest``, ``CreateImageEditRequest``, ``EditImageBodyJsonParam``,
``ImagesResponse``, ``CreateResponse``, ``ResponseUsage``, ``Error``, ``Model`` and everything
they reference, unchanged, from OpenAI's OpenAPI document (MIT, Copyright (c) OpenAI).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOTS = (
    "CreateImageRequest",
    "CreateImageEditRequest",
    "EditImageBodyJsonParam",
    "ImagesResponse",
    "CreateResponse",
    "ResponseUsage",
    "Error",
    "Model",
)
OUT = Path(__file__).with_name("openai-image-schemas.json")


def _refs(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def main(source: str) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    schemas = yaml.load(Path(source).read_text(), Loader=loader)["components"]["schemas"]
    wanted, todo = set(), list(ROOTS)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        todo.extend(_refs(schemas[name]) - wanted)
    out = {"components": {"schemas": {name: schemas[name] for name in sorted(wanted)}}}
    OUT.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(wanted)} schemas to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/specs/openai-openapi.yaml")
