"""``GET /v1/models/{model}`` for :class:`tests.fakes.openai_api.FakeOpenAI`: OpenAI's
``retrieveModel`` (``shared/specs/openai-openapi.yaml``), answered with a ``Model`` object
``{"id", "object": "model", "created", "owned_by"}`` plus ``shutdown_date`` (``YYYY-MM-DD``)
when one is configured in ``fake.shutdown_dates``; 404 ``model_not_found`` for a model the fake
does not serve (unknown, or in ``fake.retired_models``). Authentication and injected faults
(``fake.fail_next("/models/gpt-image-2", ...)``) go through the fake's middleware as for every
other endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.openai_api import FakeOpenAI

# Mainline models the fake knows (the Responses API's ``model``); platform.md lists the gpt-4o,
# gpt-4.1 and gpt-5 families and o3 as able to call the image generation tool.
MAINLINE_MODELS = frozenset(
    {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5", "gpt-5-mini",
     "gpt-5-nano", "o3"}
)  # fmt: skip
CREATED = 1_745_000_000  # a fixed "created" timestamp (2025-04-18)


def model_object(model: str, shutdown_date: str | None) -> dict[str, Any]:
    """The ``Model`` object for ``model``; ``shutdown_date`` only when given."""
    body: dict[str, Any] = {
        "id": model,
        "object": "model",
        "created": CREATED,
        "owned_by": "system",
    }
    if shutdown_date is not None:
        body["shutdown_date"] = shutdown_date
    return body


def add_model_routes(fake: FakeOpenAI) -> None:
    """Register ``GET /v1/models/{model}`` on ``fake`` (model ids may contain ``/``)."""
    from tests.fakes.openai_rules import MODELS, OpenAIError

    async def retrieve(request: web.Request) -> web.Response:
        model = request.match_info["model"]
        served = (model in MODELS and model not in fake.retired_models) or model in MAINLINE_MODELS
        if not served:
            message = f"The model `{model}` does not exist or you do not have access to it."
            raise OpenAIError(404, message, param="model", code="model_not_found")
        return web.json_response(model_object(model, fake.shutdown_dates.get(model)))

    fake.app.router.add_get("/v1/models/{model:.+}", retrieve)
