"""A strict fake of OpenAI's image generation: the Responses API with the ``image_generation``
tool (including ``previous_response_id`` and ``input_image``), the Images API's generations and
edits, as described in ``/work/shared/docs/platform.md``.

Point the app's ``openai_base_url`` at ``oai.base_url`` (``http://127.0.0.1:PORT/v1``). Requests
are checked against the model capability table (sizes, qualities, ``n``, prompt length,
parameters a model does not take) and the OpenAPI schemas, answered after ``latency_s`` seconds
with real-shaped bodies carrying a valid PNG, and recorded. Errors use OpenAI's body
``{"error": {"message", "type", "param", "code"}}``; every answer has an ``x-request-id``.
The rules live in :mod:`tests.fakes.openai_rules`, :mod:`tests.fakes.openai_inputs` and
:mod:`tests.fakes.openai_endpoints`; the answers' plumbing in :mod:`tests.fakes.openai_answers`.

Command line: ``python -m tests.fakes.openai_api --port 8020 --latency 5 --image-bytes 2000000``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import FaultQueue, LocalServer
from tests.fakes.images import make_png
from tests.fakes.openai_answers import (
    IMAGE,
    add_request_id,
    default_revise,
    fault_message,
    fault_type,
    image_args,
    send_with_images,
    shrink,
)
from tests.fakes.openai_endpoints import (
    ImagesCall,
    StoredResponse,
    check_edit,
    check_images,
    check_responses,
    images_usage,
    new_response_id,
    previous_not_found,
    responses_payload,
)
from tests.fakes.openai_inputs import SeenImage, edit_json, edit_multipart, read_form
from tests.fakes.openai_limits import RATE_LIMIT_HEADERS, RateLimits, add_rate_limit_headers
from tests.fakes.openai_models import add_model_routes
from tests.fakes.openai_rules import (
    MODELS,
    RETIRED_MODELS,
    ModelSpec,
    OpenAIError,
    check_api_key,
)

# Per-request storage keys (web.RequestKey where aiohttp has it, plain strings before 3.12).
_key: Callable[[str, Any], Any] = getattr(web, "RequestKey", lambda name, _type: name)


@dataclass
class OpenAIRequest:
    """One request received: ``method``, ``path`` (e.g. ``/v1/responses``), ``json`` (the parsed
    body, or ``None``; strings over 100,000 characters are replaced by ``"<N chars>"``; for a
    multipart body its text fields, each file as ``{"filename", "content_type", "size"}``),
    ``headers``, and ``images``: the input images it carried, once checked (:class:`SeenImage`:
    type, size, SHA-256; never the bytes)."""

    method: str
    path: str
    json: Any
    headers: dict[str, str]
    images: list[SeenImage] = field(default_factory=list)


@dataclass
class OpenAIFault:
    """An injected error answer (see :meth:`FakeOpenAI.fail_next`)."""

    status: int
    code: str | None
    type: str
    message: str
    headers: dict[str, str] | None
    hang: bool


RECORDED = _key("recorded", OpenAIRequest)
FIELDS = _key("fields", dict)
FILES = _key("files", list)
REPEATED = _key("repeated", str)


class FakeOpenAI(LocalServer):
    """A strict fake OpenAI API on ``http://127.0.0.1:PORT/v1``.

    Constructor:
        ``api_key``: the only key accepted (``Authorization: Bearer``). ``latency_s``: seconds
        before each successful answer. ``image_bytes``: approximate size of every generated PNG
        in bytes (``None``: a tiny image, at most 64 px a side, for unit tests). ``url_mode``:
        the Images API answers ``{"url": ...}`` (served by ``GET /v1/files/<id>.png``) instead of
        ``b64_json``. ``retired_models``: models answered with 404 ``model_not_found`` (default
        dall-e-2 and dall-e-3; pass ``()`` to play an OpenAI-compatible server that still has
        them). ``revise``: text -> revised prompt (default :func:`default_revise`).
        ``images_per_minute``: enforce OpenAI's organisation limits (``limits``, see
        :mod:`tests.fakes.openai_limits`; ``--ipm N`` on the command line), with
        ``images_headers=False`` naming only the requests and tokens limits in the headers.

    Attributes: ``requests`` (:class:`OpenAIRequest` list, every request incl. refused ones),
    ``stored`` (response id -> :class:`StoredResponse`: responses made with ``store`` true, which
    ``previous_response_id`` can continue; unknown ids get 400 ``previous_response_not_found``),
    ``latency_s``, ``image_bytes``, ``url_mode``, ``revise``, ``shutdown_dates`` (model ->
    ``YYYY-MM-DD`` for ``GET /v1/models/{id}``, :mod:`tests.fakes.openai_models`), all
    changeable while running.
    Methods: :meth:`fail_next`, :meth:`forget`, :meth:`requests_to`, :meth:`wait_for`.
    """

    def __init__(
        self,
        api_key: str = "sk-test",
        *,
        latency_s: float = 0.0,
        image_bytes: int | None = None,
        url_mode: bool = False,
        retired_models: frozenset[str] | tuple[str, ...] = RETIRED_MODELS,
        revise: Callable[[str], str] = default_revise,
        images_per_minute: int | None = None,
        images_headers: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.api_key = api_key
        self.latency_s = latency_s
        self.image_bytes = image_bytes
        self.url_mode = url_mode
        self.retired_models = frozenset(retired_models)
        self.revise = revise
        # the organisation's rate limits (tests/fakes/openai_limits.py), None: unlimited
        self.limits = (
            RateLimits(images_per_minute, images_headers=images_headers)
            if images_per_minute
            else None
        )
        self.requests: list[OpenAIRequest] = []
        self.stored: dict[str, StoredResponse] = {}
        self.faults: FaultQueue[OpenAIFault] = FaultQueue()
        self._ids = itertools.count(1)
        self._files: dict[str, tuple[int, int, int | None]] = {}  # url id -> make_png arguments
        self.shutdown_dates: dict[str, str] = {}  # GET /v1/models/{id}: model -> YYYY-MM-DD
        self.app.middlewares.append(self._middleware)
        self.app.on_response_prepare.append(add_request_id)
        self.app.on_response_prepare.append(add_rate_limit_headers(lambda: self.limits))
        self.app.router.add_post("/v1/responses", self._responses)
        self.app.router.add_post("/v1/images/generations", self._images)
        self.app.router.add_post("/v1/images/edits", self._edits)
        self.app.router.add_get("/v1/files/{file_id}.png", self._file)
        add_model_routes(self)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: the OpenAI base URL for clients."""
        return f"{self.origin}/v1"

    def requests_to(self, path_suffix: str) -> list[OpenAIRequest]:
        """Recorded requests whose path ends with ``path_suffix`` (e.g. ``"/responses"``)."""
        return [r for r in self.requests if r.path.endswith(path_suffix)]

    def forget(self, *response_ids: str) -> None:
        """Drop stored responses (all when no id is given), as when OpenAI's 30 days have passed
        or another API key asks: continuing them then gives 400 ``previous_response_not_found``."""
        for response_id in response_ids or list(self.stored):
            self.stored.pop(response_id, None)

    def fail_next(
        self,
        path_suffix: str,
        *,
        status: int = 500,
        code: str | None = None,
        type: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        hang: bool = False,
    ) -> None:
        """Answer the next ``times`` requests whose path ends with ``path_suffix`` with an error,
        before authentication or validation. Faults are used in the order they were added.

        ``type`` defaults from ``code`` and ``status``: ``image_generation_user_error`` for
        ``moderation_blocked``, ``insufficient_quota`` for quota codes, ``requests`` for other
        429s, ``server_error`` for 5xx, else ``invalid_request_error``. ``headers`` are added to
        the answer (e.g. ``{"retry-after-ms": "200"}``). ``hang=True`` never answers (until the
        client gives up or the server stops). Examples::

            oai.fail_next("/responses", status=400, code="moderation_blocked")
            oai.fail_next("/responses", status=429, code="rate_limit_exceeded", headers={"retry-after-ms": "50"})
            oai.fail_next("/responses", status=429, code="insufficient_quota")
            oai.fail_next("/responses", status=503, times=2)
        """
        type = type or fault_type(status, code)
        message = message or fault_message(status, code)
        self.faults.add(path_suffix, OpenAIFault(status, code, type, message, headers, hang), times)

    def describe(self) -> str:
        """The requests received: method, path and a short body."""
        lines = [f"  {r.method} {r.path} {json.dumps(r.json)[:160]}" for r in self.requests[-30:]]
        return "\n".join(lines) or "  (nothing)"

    # --- request pipeline ---------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[..., Any]
    ) -> web.StreamResponse:
        try:
            return await self._dispatch(request, handler)
        except OpenAIError as exc:
            return exc.response()
        except web.HTTPException as exc:  # no such route, body too large, ...
            message = (
                f"Invalid URL ({request.method} {request.path})"
                if exc.status in (404, 405)
                else exc.reason
            )
            return OpenAIError(exc.status, message).response()

    async def _dispatch(
        self, request: web.Request, handler: Callable[..., Any]
    ) -> web.StreamResponse:
        body: Any = None
        if request.content_type == "multipart/form-data":
            body, parsed = await self._read_form(request), True
        else:
            raw = await request.read() if request.can_read_body else b""
            try:
                body = json.loads(raw) if raw else None
                parsed = True
            except ValueError:
                parsed = False
        recorded = OpenAIRequest(request.method, request.path, shrink(body), dict(request.headers))
        self.requests.append(recorded)
        request[RECORDED] = recorded

        fault = self.faults.take(request.path.endswith)
        if fault is not None:
            if fault.hang:
                await self.pause(float("inf"))
            raise OpenAIError(
                fault.status, fault.message, type=fault.type, code=fault.code, headers=fault.headers
            )
        if not request.path.startswith("/v1/files/"):
            self._authenticate(request)
            if self.limits is not None and request.method == "POST":
                verdict = self.limits.take_request(body)
                request[RATE_LIMIT_HEADERS] = verdict.headers
                if not verdict.allowed:
                    raise OpenAIError(
                        429, verdict.message, type="requests", code="rate_limit_exceeded"
                    )
        if request.method == "POST" and not (parsed and isinstance(body, dict)):
            raise OpenAIError(400, "We could not parse the JSON body of your request. (HINT: This likely means you "
                              "aren't using your HTTP library correctly.)")  # fmt: skip
        return await handler(request)

    @staticmethod
    async def _read_form(request: web.Request) -> dict[str, Any]:
        """Parse a multipart body (:func:`read_form`): the summary is recorded, the fields and
        files are kept on the request for :meth:`_edits`."""
        form = await read_form(request)
        request[FIELDS], request[FILES] = form.fields, form.files
        if form.repeated:
            request[REPEATED] = form.repeated
        return form.summary

    def _authenticate(self, request: web.Request) -> None:
        check_api_key(request.headers.get("Authorization", ""), self.api_key)

    def _model(self, name: Any, param: str) -> ModelSpec:
        if name in self.retired_models or name not in MODELS:
            raise OpenAIError(404, f"The model `{name}` does not exist or you do not have access to it.",
                              param=param, code="model_not_found")  # fmt: skip
        return MODELS[name]

    async def _wait(self) -> None:
        if not await self.pause(self.latency_s):
            raise OpenAIError(503, "The server is shutting down.", type="server_error")

    # --- endpoints ----------------------------------------------------------------------------

    async def _responses(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/responses`` with exactly one ``image_generation`` tool: one image. A
        ``previous_response_id`` must name a stored response; the answer is stored unless
        ``store`` is false."""
        body: dict[str, Any] = await request.json()  # checked to be an object by _dispatch
        call = check_responses(body, self._model)
        request[RECORDED].images = call.images
        previous = call.previous_response_id
        if previous is not None and previous not in self.stored:
            raise previous_not_found(previous)
        await self._wait()

        number = next(self._ids)
        response_id = new_response_id(number)
        revised = self.revise(call.prompt)
        previous_tokens = self.stored[previous].tokens if previous is not None else 0
        payload = responses_payload(call, response_id, number, revised, previous_tokens)
        if call.store:
            self.stored[response_id] = StoredResponse(
                response_id, call.prompt, revised, previous, call.images,
                tokens=payload["usage"]["total_tokens"],
            )  # fmt: skip
        return await send_with_images(
            request, payload, image_args(call.options["size"], self.image_bytes)
        )

    async def _images(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/images/generations``: ``n`` images (``model`` defaults to dall-e-2, as at
        OpenAI, which today means ``model_not_found``)."""
        body: dict[str, Any] = await request.json()
        return await self._images_answer(
            request, check_images(body, self._model, default_model="dall-e-2")
        )

    async def _edits(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/images/edits``: multipart (``image`` / ``image[]`` files) or JSON
        (``images: [{"image_url"}]``); ``n`` edited images."""
        if FILES in request:
            if REPEATED in request:
                name = request[REPEATED]
                raise OpenAIError(400, f"Invalid '{name}': given more than once.", param=name,
                                  code="invalid_value")  # fmt: skip
            form = edit_multipart(request[FIELDS], request[FILES])
        else:
            form = edit_json(await request.json())
        request[RECORDED].images = form.images
        return await self._images_answer(request, check_edit(form, self._model))

    async def _images_answer(self, request: web.Request, call: ImagesCall) -> web.StreamResponse:
        await self._wait()
        image = image_args(call.options["size"], self.image_bytes)
        as_url = self.url_mode or (not call.spec.gpt_image and call.response_format != "b64_json")
        data = []
        for _ in range(call.n):
            item: dict[str, Any] = {"b64_json": IMAGE}
            if as_url:
                file_id = f"img_{next(self._ids):08d}"
                self._files[file_id] = image
                item = {"url": f"{self.base_url}/files/{file_id}.png"}
            if call.model == "dall-e-3":
                item["revised_prompt"] = self.revise(call.prompt)
            data.append(item)
        payload: dict[str, Any] = {"created": int(time.time()), "data": data}
        if call.spec.gpt_image:
            payload.update(call.options)
            payload["usage"] = images_usage(call)
        return await send_with_images(request, payload, image)

    async def _file(self, request: web.Request) -> web.Response:
        """``GET /v1/files/<id>.png``: an image issued in ``url_mode`` (no API key needed)."""
        image = self._files.get(request.match_info["file_id"])
        if image is None:
            raise OpenAIError(404, "No such file.", code="not_found")
        return web.Response(body=make_png(*image), content_type="image/png")

    # --- command line -------------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """``--api-key``, ``--latency`` (seconds), ``--image-bytes``, ``--url-mode``, ``--serve-dall-e``."""
        parser.add_argument("--api-key", default="sk-test", help="the accepted API key")
        parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
        parser.add_argument(
            "--image-bytes", type=int, default=None, help="approximate PNG size in bytes"
        )
        parser.add_argument("--url-mode", action="store_true", help="Images API answers with URLs")
        parser.add_argument("--serve-dall-e", action="store_true", help="keep dall-e-2/3 available")
        parser.add_argument("--ipm", type=int, default=None, help="images per minute enforced")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FakeOpenAI:
        """The server described by the command line."""
        return cls(
            args.api_key,
            latency_s=args.latency,
            image_bytes=args.image_bytes,
            url_mode=args.url_mode,
            retired_models=() if args.serve_dall_e else RETIRED_MODELS,
            images_per_minute=args.ipm,
            host=args.host,
            port=args.port,
        )


if __name__ == "__main__":
    FakeOpenAI.main()
