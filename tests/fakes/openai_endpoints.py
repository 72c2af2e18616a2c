"""What each endpoint of the fake OpenAI accepts, and the answer it builds, as pure functions:
:class:`tests.fakes.openai_api.FakeOpenAI` keeps the state (stored responses, latency, faults)
and calls these.

- ``POST /responses`` with one ``image_generation`` tool (``CreateResponse``, ``ImageGenTool``);
  ``previous_response_id`` continues a stored response (platform.md, "Editing and continuing").
- ``POST /images/generations`` (``CreateImageRequest``) and ``POST /images/edits`` (multipart
  ``CreateImageEditRequest`` or JSON ``EditImageBodyJsonParam``), answered with ``ImagesResponse``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.openai_answers import IMAGE, usage
from tests.fakes.openai_inputs import INPUT_IMAGE_TOKENS, EditForm, SeenImage, responses_input
from tests.fakes.openai_rules import (
    IMAGES_PARAMS,
    MODELS,
    RESPONSES_PARAMS,
    TOOL_PARAMS,
    ModelSpec,
    OpenAIError,
    check_options,
    invalid,
    missing,
    unknown,
)

TOOL_ACTIONS = ("generate", "edit", "auto")
#: Image models that take ``input_fidelity`` (the schema's ``InputFidelity``; platform.md: omit it
#: for gpt-image-2).
INPUT_FIDELITY_MODELS = frozenset({"gpt-image-1", "gpt-image-1.5"})


@dataclass
class StoredResponse:
    """A response kept because ``store`` was true: its ``prompt``, ``revised_prompt``, the
    ``previous_response_id`` it continued, the ``input_images`` it was given and the tokens it
    used (billed again as input when continued)."""

    id: str
    prompt: str
    revised_prompt: str
    previous_response_id: str | None
    input_images: list[SeenImage] = field(default_factory=list)
    tokens: int = 0


@dataclass(frozen=True)
class ResponsesCall:
    """A checked ``POST /responses`` body: the user ``prompt`` and ``images``, the image tool's
    ``options`` (resolved size, quality, background, output format), its ``action``, the
    ``previous_response_id`` and whether to ``store`` the answer."""

    body: dict[str, Any]
    prompt: str
    images: list[SeenImage]
    options: dict[str, str]
    action: str
    previous_response_id: str | None
    store: bool


def previous_not_found(response_id: str) -> OpenAIError:
    """OpenAI's answer for an unknown, expired or unstored ``previous_response_id``."""
    return OpenAIError(
        400,
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def check_input_fidelity(model: str, options: dict[str, Any], param: str) -> None:
    """Refuse ``input_fidelity`` for models that do not take it, and values other than
    ``high`` / ``low``."""
    if options.get("input_fidelity") is None:
        return
    if model not in INPUT_FIDELITY_MODELS:
        raise OpenAIError(400, f"Invalid '{param}': input_fidelity is not supported for {model}.",
                          param=param, code="invalid_value")  # fmt: skip
    if options["input_fidelity"] not in ("high", "low"):
        raise invalid(param, options["input_fidelity"], ("high", "low"))


def check_responses(body: dict[str, Any], model_for: Any) -> ResponsesCall:
    """Check a ``POST /responses`` body; ``model_for(name, param)`` returns the image model's
    :class:`ModelSpec` or raises (404 for retired models). Raises :class:`OpenAIError`."""
    for name in ("model", "input"):
        if name not in body:
            raise missing(name)
    for name in body:
        if name not in RESPONSES_PARAMS:
            raise unknown(name)
    if not isinstance(body["model"], str) or body["model"] in MODELS:
        raise invalid("model", body["model"])  # an image model is no mainline model
    previous = body.get("previous_response_id")
    if previous is not None and not (isinstance(previous, str) and previous.startswith("resp_")):
        raise invalid("previous_response_id", previous)
    store = body.get("store", True)
    if not isinstance(store, bool):
        raise invalid("store", store)
    prompt, images = responses_input(body["input"])
    tools = body.get("tools")
    if not isinstance(tools, list):
        raise missing("tools")
    image_tools = [
        (i, t)
        for i, t in enumerate(tools)
        if isinstance(t, dict) and t.get("type") == "image_generation"
    ]
    if len(image_tools) != 1:
        message = "Expected exactly one tool of type 'image_generation'."
        raise OpenAIError(400, message, param="tools", code="invalid_value")
    index, tool = image_tools[0]
    prefix = f"tools[{index}]."
    for name in tool:
        if name not in TOOL_PARAMS:
            raise unknown(prefix + name)
    model = tool.get("model", "gpt-image-1")
    spec: ModelSpec = model_for(model, prefix + "model")
    if not spec.gpt_image:
        raise invalid(prefix + "model", model)
    action = tool.get("action", "auto")
    if action not in TOOL_ACTIONS:
        raise invalid(prefix + "action", action, TOOL_ACTIONS)
    if action == "edit" and previous is None and not images:
        raise OpenAIError(400, "The image generation tool's action 'edit' needs an image: give an "
                          "input_image or a previous_response_id.", param=prefix + "action",
                          code="invalid_value")  # fmt: skip
    check_input_fidelity(model, tool, prefix + "input_fidelity")
    options = check_options(spec, tool, prefix)
    return ResponsesCall(body, prompt, images, options, action, previous, store)


def responses_payload(
    call: ResponsesCall, response_id: str, number: int, revised: str, previous_tokens: int
) -> dict[str, Any]:
    """The ``Response`` object for ``call`` (one ``image_generation_call`` whose ``result`` is the
    :data:`IMAGE` placeholder, and an assistant message). ``usage`` follows ``ResponseUsage``:
    input tokens count the text, ``INPUT_IMAGE_TOKENS`` per input image, and
    ``previous_tokens`` of the conversation so far."""
    text_usage = usage(call.prompt, call.options["quality"], 1)
    input_tokens = (
        text_usage["input_tokens"] + INPUT_IMAGE_TOKENS * len(call.images) + previous_tokens
    )
    output_tokens = text_usage["output_tokens"]
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "model": call.body["model"],
        "previous_response_id": call.previous_response_id,
        "store": call.store,
        "output": [
            {
                "type": "image_generation_call",
                "id": f"ig_{number:08d}",
                "status": "completed",
                "action": "edit" if call.action == "edit" else "generate",
                "result": IMAGE,
                "revised_prompt": revised,
                **call.options,
            },
            {
                "type": "message",
                "id": f"msg_{number:08d}",
                "role": "assistant",
                "status": "completed",
                "content": [
                    {"type": "output_text", "text": "Here is your image.", "annotations": []}
                ],
            },
        ],
        "tools": call.body["tools"],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }


def new_response_id(number: int) -> str:
    """A Response id like OpenAI's: ``resp_`` and hex."""
    return f"resp_{number:08d}{secrets.token_hex(8)}"


@dataclass(frozen=True)
class ImagesCall:
    """A checked Images API request: ``model``, ``prompt``, ``n``, the resolved ``options``,
    ``response_format`` (DALL·E only) and the input ``images`` (edits)."""

    model: str
    spec: ModelSpec
    prompt: str
    n: int
    options: dict[str, Any]
    response_format: str | None
    images: list[SeenImage]


def check_images(body: dict[str, Any], model_for: Any, *, default_model: str) -> ImagesCall:
    """Check ``POST /images/generations`` (``default_model`` dall-e-2, as at OpenAI)."""
    for name in body:
        if name not in IMAGES_PARAMS:
            raise unknown(name)
    return _check_image_options(body, model_for, default_model, images=[])


def check_edit(form: EditForm, model_for: Any) -> ImagesCall:
    """Check a parsed ``POST /images/edits`` (default model gpt-image-1.5, as the schema says).
    GPT Image models take 1-16 images; dall-e-2 one square PNG under 4 MB; dall-e-3 no edits."""
    options = form.options
    model = options.get("model") or "gpt-image-1.5"
    call = _check_image_options(options, model_for, model, images=form.images)
    if model == "dall-e-3":
        raise OpenAIError(400, "Invalid 'model': dall-e-3 does not support image edits.",
                          param="model", code="invalid_value")  # fmt: skip
    if not call.spec.gpt_image and (
        len(form.images) != 1 or form.images[0].mimetype != "image/png"
        or form.images[0].size >= 4 * 1024 * 1024
    ):  # fmt: skip
        raise OpenAIError(400, "Invalid 'image': dall-e-2 edits take one square PNG under 4 MB.",
                          param="image", code="invalid_value")  # fmt: skip
    check_input_fidelity(model, options, "input_fidelity")
    if options.get("stream"):
        raise invalid("stream", True)  # this fake does not stream
    return call


def _check_image_options(
    body: dict[str, Any], model_for: Any, default_model: str, *, images: list[SeenImage]
) -> ImagesCall:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise missing("prompt")
    model = body.get("model") or default_model
    spec: ModelSpec = model_for(model, "model")
    if len(prompt) > spec.max_prompt:
        raise OpenAIError(400, f"Invalid 'prompt': string too long. Expected a string with maximum length "
                          f"{spec.max_prompt}, but got a string with length {len(prompt)} instead.",
                          param="prompt", code="string_above_max_length")  # fmt: skip
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= spec.max_n:
        raise invalid("n", n)
    response_format = body.get("response_format")
    if response_format is not None and (
        spec.gpt_image or response_format not in ("url", "b64_json")
    ):
        raise (
            unknown("response_format")
            if spec.gpt_image
            else invalid("response_format", response_format)
        )
    options = check_options(spec, body)
    return ImagesCall(model, spec, prompt, n, options, response_format, images)


def images_usage(call: ImagesCall) -> dict[str, Any]:
    """``usage`` of an ``ImagesResponse`` (GPT Image models): input image tokens counted in
    ``input_tokens`` and ``input_tokens_details.image_tokens``."""
    result = usage(call.prompt, call.options["quality"], call.n)
    image_tokens = INPUT_IMAGE_TOKENS * len(call.images)
    result["input_tokens"] += image_tokens
    result["total_tokens"] += image_tokens
    result["input_tokens_details"]["image_tokens"] = image_tokens
    return result
