"""A small OpenAI HTTP client on httpx: authentication, timeouts, retries and error mapping.

The official SDK now depends on httpx2, which respx cannot mock (platform.md), so the few calls
this app makes are written here. Retry policy follows OpenAI's own SDK: 408, 409, 429 (rate limit)
and 5xx are retried with jittered exponential backoff from 0.5 s doubling to ``max_backoff_s``,
honouring ``retry-after-ms`` / ``retry-after`` up to :data:`MAX_RETRY_AFTER_S`.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
from pydantic import SecretStr, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from bot import errors
from bot.metrics import Metrics
from bot.openai.models import ErrorEnvelope
from bot.openai.pacing import Admission, Pacer, current_ticket

log = logging.getLogger(__name__)

# --- Retry constants: the only place they are set. ---------------------------------------------
INITIAL_BACKOFF_S = 0.5
MAX_RETRY_AFTER_S = 60.0
MAX_ERROR_BODY_BYTES = 64_000
MAX_RATE_LIMIT_REQUEUES = 50  # paced calls re-queued after 429s before it counts as a retry

MODERATION_CODES = frozenset({"moderation_blocked", "content_policy_violation"})
MODERATION_TYPES = frozenset({"image_generation_user_error"})
PREVIOUS_RESPONSE_NOT_FOUND = "previous_response_not_found"
QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "credit_balance_exhausted",
        "project_spend_limit_exceeded",
        "billing_hard_limit_reached",
        "billing_not_active",
    }
)

OnAnswer = Callable[[], Awaitable[None]]
#: A multipart file: ``(field, (filename, bytes, content_type))``, as httpx's ``files=`` takes it.
MultipartFile = tuple[str, tuple[str, bytes, str]]


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (milliseconds) or ``retry-after`` (seconds or an
    HTTP date); ``None`` when absent or unreadable."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(float(raw_ms) / 1000.0, 0.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def error_from_response(status: int, body: bytes, headers: Mapping[str, str]) -> errors.OpenAIError:
    """Map an HTTP error answer to one :class:`bot.errors.OpenAIError` subclass.

    The one place where status, ``error.code`` and ``error.type`` decide the failure kind, after
    the table in platform.md ("Errors"). A body that is not OpenAI's error shape still maps by
    status.
    """
    try:
        detail = ErrorEnvelope.model_validate_json(body[:MAX_ERROR_BODY_BYTES]).error
        message, code, kind = detail.message or f"HTTP {status}", detail.code, detail.type
        param = detail.param or ""
    except ValidationError:
        message, code, kind, param = f"HTTP {status}", None, None, ""
    fields: dict[str, Any] = {
        "status": status,
        "code": code,
        "type": kind,
        "request_id": headers.get("x-request-id"),
        "retry_after": parse_retry_after(headers),
    }
    message = message[:500]
    if status == 400 and (code in MODERATION_CODES or kind in MODERATION_TYPES):
        return errors.ModerationBlockedError(message, **fields)
    if status == 400 and code == PREVIOUS_RESPONSE_NOT_FOUND:
        return errors.PreviousResponseNotFoundError(message, **fields)
    if status == 400 and ("image" in (code or "") or _names_an_input_image(param)):
        return errors.InputImageRejectedError(message, **fields)
    if status == 401:
        return errors.AuthenticationError(message, **fields)
    if status == 403:
        return errors.PermissionDeniedError(message, **fields)
    if status == 404:
        return errors.ModelNotFoundError(message, **fields)
    if status == 429:
        if kind == "insufficient_quota" or code in QUOTA_CODES:
            return errors.InsufficientQuotaError(message, **fields)
        return errors.RateLimitError(message, **fields)
    if status in (408, 409) or status >= 500:
        return errors.TransientStatusError(message, **fields)
    return errors.BadRequestError(message, **fields)


def _names_an_input_image(param: str) -> bool:
    """Whether an error's ``param`` is an input image: ``image``, ``image[]``, ``images[0]``
    (Images API edits) or an ``input_image`` part's ``image_url`` (Responses API)."""
    return param.startswith(("image", "images")) or param.endswith("image_url")


def _images_in(body: dict[str, Any]) -> int:
    """Images a call makes: its ``n`` (Images API), else 1 (Responses: one per call)."""
    n = body.get("n")
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1


def call_labels(body: dict[str, Any]) -> tuple[str, str]:
    """The image model and quality of a request body, for metrics: the ``image_generation``
    tool's (Responses API) or the body's own (Images API); ``""`` when not given."""
    tools = body.get("tools")
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict) and tool.get("type") == "image_generation":
            return str(tool.get("model", "")), str(tool.get("quality", ""))
    return str(body.get("model", "")), str(body.get("quality", ""))


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, errors.OpenAIError) and exc.retryable


class OpenAIClient:
    """POSTs JSON or multipart forms to the OpenAI API and returns the raw body of a 2xx answer.

    ``timeout_s`` bounds one request (read and write), ``connect_timeout_s`` opening the
    connection; ``max_retries`` extra attempts are made for retryable failures (``sleep`` waits
    between them; tests pass a recorder). ``metrics``, when given, times every HTTP call
    (``imagine_openai_request_duration_seconds``, by the image model and quality in the body)
    and counts 429 answers by code. Raises a
    :class:`bot.errors.OpenAIError` subclass; the API key is only ever in the Authorization
    header, never in a message or log line.
    """

    def __init__(
        self,
        *,
        api_key: SecretStr,
        base_url: str,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 10.0,
        max_retries: int = 2,
        max_backoff_s: float = 8.0,
        max_download_bytes: int = 50_000_000,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        pacer: Pacer | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._sleep = sleep
        self.pacer = pacer
        self._metrics = metrics
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._max_retries = max_retries
        self._max_backoff_s = max_backoff_s
        self._max_download_bytes = max_download_bytes
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(multiplier=INITIAL_BACKOFF_S, max=self._max_backoff_s)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None and retry_after <= MAX_RETRY_AFTER_S:
            return retry_after
        return backoff(state)

    async def post(
        self,
        path: str,
        body: dict[str, Any] | bytes,
        *,
        on_answer: OnAnswer | None = None,
        labels: tuple[str, str] | None = None,
        images: int | None = None,
    ) -> bytes:
        """POST ``body`` as JSON to ``{base_url}/{path}``, with retries; return the 2xx body.

        ``body`` is a dict, or JSON already encoded (bytes), so that one large body (input images
        as data URLs) can be shared by concurrent calls without being encoded again; ``labels``
        (image model, quality) then name it in the metrics (read from a dict body otherwise).
        ``on_answer`` is awaited once a 2xx answer's headers have arrived and before its body is
        read, so a caller can bound how many large bodies are in memory at once. With a
        :class:`bot.openai.pacing.Pacer`, every attempt is admitted by it first (``images``: the
        images the call makes, default ``body["n"]`` or 1), its answers' headers teach it, and a
        429 ``rate_limit_exceeded`` goes back in its line without using a retry. Raises
        :class:`bot.errors.CapacityWaitError` when the job waited MAX_WAIT_S for capacity.
        """
        if isinstance(body, bytes):
            request = {"content": body, "headers": {"Content-Type": "application/json"}}
            labels = labels or ("", "")
            count = images or 1
        else:
            request = {"json": body}
            labels = labels or call_labels(body)
            count = images or _images_in(body)
        return await self._with_retries(path, request, labels, on_answer, count)

    async def post_multipart(
        self,
        path: str,
        fields: dict[str, str],
        files: list[MultipartFile],
        *,
        on_answer: OnAnswer | None = None,
    ) -> bytes:
        """POST a ``multipart/form-data`` body (``fields`` as text parts, ``files`` as file parts,
        e.g. ``("image[]", ("logo.png", data, "image/png"))``) to ``{base_url}/{path}``, with the
        same pacing, retries, error mapping and ``on_answer`` as :meth:`post`. The bytes are
        never logged.
        """
        request = {"data": fields, "files": files}
        count = _images_in({"n": int(fields["n"]) if fields.get("n", "").isdigit() else 1})
        return await self._with_retries(path, request, call_labels(fields), on_answer, count)

    async def _with_retries(
        self,
        path: str,
        request: dict[str, Any],
        labels: tuple[str, str],
        on_answer: OnAnswer | None,
        images: int = 1,
    ) -> bytes:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            reraise=True,
            before_sleep=self._log_retry,
            sleep=self._sleep,
        )
        async for attempt in retrying:
            with attempt:
                return await self._paced(path, request, labels, on_answer, images)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "openai retry attempt=%d after=%.2fs error=%s",
            state.attempt_number,
            state.upcoming_sleep,
            exc,
        )

    async def _paced(
        self,
        path: str,
        request: dict[str, Any],
        labels: tuple[str, str],
        on_answer: OnAnswer | None,
        images: int,
    ) -> bytes:
        """One attempt, admitted by the pacer; rate-limited answers wait in its line again."""
        if self.pacer is None:
            return await self._post_once(path, request, labels, on_answer)
        requeued = 0
        while True:
            admission = await self.pacer.admit(images)
            ticket = current_ticket.get()
            try:
                return await self._post_once(path, request, labels, on_answer, admission)
            except errors.RateLimitError as exc:
                self.pacer.rate_limited_by(exc)
                requeued += 1
                if requeued > MAX_RATE_LIMIT_REQUEUES:
                    raise
            finally:
                if ticket is not None:
                    ticket.call_ended()

    async def _post_once(
        self,
        path: str,
        request: dict[str, Any],
        labels: tuple[str, str],
        on_answer: OnAnswer | None,
        admission: Admission | None = None,
    ) -> bytes:
        url = f"{self._base_url}/{path.lstrip('/')}"
        headers = {
            **request.get("headers", {}),
            "Authorization": f"Bearer {self._api_key.get_secret_value()}",
        }
        body = {k: v for k, v in request.items() if k != "headers"}
        started = time.monotonic()
        answered = False
        try:
            async with self._http.stream("POST", url, headers=headers, **body) as response:
                answered = True
                if self.pacer is not None:
                    self.pacer.observe(admission, response.headers)
                self._observe(labels, started)
                if response.status_code >= 400:
                    content = await response.aread()
                    error = error_from_response(response.status_code, content, response.headers)
                    if self._metrics is not None and response.status_code == 429:
                        self._metrics.openai_429.labels(error.code or error.type or "").inc()
                    raise error
                if on_answer is not None:
                    await on_answer()
                # Not response.aread(): that keeps the body on the Response object, which sits
                # in reference cycles and so outlives the call until the garbage collector runs.
                return b"".join([chunk async for chunk in response.aiter_bytes()])
        except httpx.TimeoutException as exc:
            if not answered:
                self._observe(labels, started)
            raise errors.APITimeoutError(
                f"OpenAI request timed out ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            if not answered:
                self._observe(labels, started)
            raise errors.APIConnectionError(
                f"could not reach OpenAI ({type(exc).__name__})"
            ) from None
        finally:
            if not answered and self.pacer is not None and admission is not None:
                self.pacer.ended(admission)

    def _observe(self, labels: tuple[str, str], started: float) -> None:
        """Record one call's time to its answer's headers (or to its failure); ``labels`` are
        the image model and quality."""
        if self._metrics is not None:
            model, quality = labels
            elapsed = time.monotonic() - started
            self._metrics.openai_seconds.labels(model, quality).observe(elapsed)

    async def download_image(self, url: str) -> tuple[bytes, str]:
        """GET an image URL (compatible servers that still answer with ``url``).

        Returns ``(bytes, content_type)``. Raises :class:`bot.errors.InvalidResponseError` when
        the answer is not an image or is larger than ``max_download_bytes``; transport failures
        raise :class:`bot.errors.APIConnectionError`. No credentials are sent to the URL.
        """
        try:
            async with self._http.stream("GET", url) as response:
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                if response.status_code != 200:
                    raise errors.InvalidResponseError(
                        f"image download answered HTTP {response.status_code}"
                    )
                if not content_type.startswith("image/"):
                    raise errors.InvalidResponseError(
                        f"image download is {content_type or 'untyped'}, not an image"
                    )
                declared = int(response.headers.get("content-length") or 0)
                if declared > self._max_download_bytes:
                    raise errors.InvalidResponseError("image download is too large")
                chunks: list[bytes] = []
                received = 0
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                    if received > self._max_download_bytes:
                        raise errors.InvalidResponseError("image download is too large")
                    chunks.append(chunk)
                return b"".join(chunks), content_type
        except httpx.TimeoutException:
            raise errors.APITimeoutError("image download timed out") from None
        except httpx.TransportError as exc:
            raise errors.APIConnectionError(
                f"could not download the image ({type(exc).__name__})"
            ) from None
