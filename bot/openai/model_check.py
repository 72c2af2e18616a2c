"""The start-up model check: is the configured model there, and when does it shut down?

OpenAI recommends checking ``GET {base}/models/{id}`` (platform.md, "OpenAI image generation"): it
answers 404 ``model_not_found`` for a model the key cannot use, and its ``Model`` object
(``shared/specs/openai-openapi.yaml``, ``Model``: ``id``, ``object``, ``created``, ``owned_by``,
``shutdown_date`` ``YYYY-MM-DD`` or null) carries the announced shutdown date.

:func:`check_models` asks for IMAGE_MODEL (and RESPONSES_MODEL when IMAGE_API=responses):

- 404 (from OpenAI itself, or with code ``model_not_found`` from another server) and 401 stop
  the start with :class:`bot.errors.ConfigError` (exit code 2), naming the model and what to
  use instead, or the rejected key (never its value); a 401 that only says a restricted key
  lacks the ``api.model.read`` scope is a warning (the key may still generate images);
- a shutdown date within :data:`NOTICE_DAYS` days, from the answer or else from the capability
  table, gives a :class:`ModelNotice`: a WARNING log line, and a line on the admins' Home tab;
  with a server other than OpenAI's the table's dates are advisory (said so in the notice);
- a network error, a timeout or any other answer is logged as a warning and the app starts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from bot import messages
from bot.capabilities import capabilities_for, shutting_down_soon
from bot.errors import ConfigError
from bot.openai.models import ErrorEnvelope
from bot.settings import Settings, is_openai_api

log = logging.getLogger(__name__)

MODEL_CHECK_TIMEOUT_S = 5.0
NOTICE_DAYS = 60


class ModelObject(BaseModel):
    """OpenAI's ``Model`` object; unknown fields are ignored, an unreadable
    ``shutdown_date`` counts as none."""

    model_config = ConfigDict(extra="ignore")

    id: str
    object: str = "model"
    created: int | None = None
    owned_by: str | None = None
    shutdown_date: Any = None  # read by shutdown(), not coerced (true is not 1970-01-01)

    def shutdown(self) -> date | None:
        """``shutdown_date`` as a date (UTC): ``YYYY-MM-DD`` as the spec has it, and also an
        ISO 8601 date-time or Unix seconds, as ``created`` is given; ``None`` when absent or
        unreadable."""
        value = self.shutdown_date
        try:
            if isinstance(value, bool) or value is None or value == "":
                return None
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)  # Unix seconds as a string
            if isinstance(value, int | float):
                return datetime.fromtimestamp(value, UTC).date()
            if not isinstance(value, str):
                return None
            if len(value) == 10:
                return date.fromisoformat(value)
            moment = datetime.fromisoformat(value)
            return (moment.astimezone(UTC) if moment.tzinfo else moment).date()
        except (ValueError, OverflowError, OSError):
            return None


@dataclass(frozen=True)
class ModelNotice:
    """A configured model whose shutdown is near or past: ``setting`` (``IMAGE_MODEL`` or
    ``RESPONSES_MODEL``), ``model``, ``shutdown_date``, ``replacement`` (``None``: unknown),
    ``source`` (``"openai"``: the server's answer; ``"table"``: the capability table),
    ``advisory`` (OPENAI_BASE_URL is not OpenAI's) and ``text``, the sentence admins read."""

    setting: str
    model: str
    shutdown_date: date
    replacement: str | None
    source: str
    advisory: bool
    text: str

    def text_on(self, today: date) -> str:
        """The sentence as of ``today`` (days left counted from it), for the Home tab."""
        return messages.model_shutdown_notice(
            self.setting,
            self.model,
            self.shutdown_date,
            self.replacement,
            today=today,
            advisory=self.advisory,
        )


@dataclass(frozen=True)
class _Target:
    setting: str
    model: str
    table_date: date | None
    replacement: str | None


def public_url(url: str) -> str:
    """``url`` without user info, query or fragment, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _targets(settings: Settings) -> list[_Target]:
    caps = capabilities_for(settings.image_model)
    targets = [_Target("IMAGE_MODEL", settings.image_model, caps.shutdown_date, caps.replacement)]
    if settings.image_api == "responses":
        targets.append(_Target("RESPONSES_MODEL", settings.responses_model, None, None))
    return targets


async def check_models(
    settings: Settings,
    *,
    http: httpx.AsyncClient | None = None,
    today: date | None = None,
    timeout_s: float = MODEL_CHECK_TIMEOUT_S,
) -> list[ModelNotice]:
    """Check the configured models at ``OPENAI_BASE_URL`` (one GET each, concurrently, no
    retries, ``timeout_s`` seconds) and return the notices to show (see the module docstring).
    ``today`` defaults to the UTC date now; ``http`` to a client made and closed here.

    Raises :class:`ConfigError` (one problem per failing model; one for a rejected key).
    """
    today = today or datetime.now(UTC).date()
    targets = _targets(settings)
    own = http is None
    client = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s))
    try:
        answers = await asyncio.gather(
            *(_retrieve(client, settings, target, timeout_s) for target in targets),
            return_exceptions=True,
        )
    finally:
        if own:
            await client.aclose()
    problems: list[str] = []
    for answer in answers:
        if isinstance(answer, ConfigError):
            problems += [p for p in answer.problems if p not in problems]
        elif isinstance(answer, BaseException):
            raise answer
    if problems:
        raise ConfigError(problems)
    notices = []
    advisory = not is_openai_api(settings.openai_base_url)
    for target, answer in zip(targets, answers, strict=True):
        info = answer if isinstance(answer, ModelObject) else None
        notice = _notice(target, info, today=today, advisory=advisory)
        if notice is not None:
            log.warning("model notice: %s", notice.text)
            notices.append(notice)
    return notices


def _notice(
    target: _Target, info: ModelObject | None, *, today: date, advisory: bool
) -> ModelNotice | None:
    announced = info.shutdown() if info is not None else None
    shutdown, source = (announced, "openai") if announced else (target.table_date, "table")
    if shutdown is None or not shutting_down_soon(shutdown, today, within_days=NOTICE_DAYS):
        return None
    advisory = advisory and source == "table"
    text = messages.model_shutdown_notice(
        target.setting, target.model, shutdown, target.replacement, today=today, advisory=advisory
    )
    return ModelNotice(
        target.setting, target.model, shutdown, target.replacement, source, advisory, text
    )


async def _retrieve(
    client: httpx.AsyncClient, settings: Settings, target: _Target, timeout_s: float
) -> ModelObject | None:
    """``GET /models/{model}``: the Model object, ``None`` when it could not be checked.
    Raises :class:`ConfigError` for 404 and 401."""
    base = settings.openai_base_url.rstrip("/")
    shown = public_url(base)
    url = f"{base}/models/{quote(target.model, safe='/:')}"
    headers = {"Authorization": f"Bearer {settings.openai_api_key.get_secret_value()}"}
    try:
        response = await client.get(url, headers=headers, timeout=timeout_s)
    except httpx.TimeoutException:
        log.warning("could not check %s=%s at %s: timed out; starting anyway",
                    target.setting, target.model, shown)  # fmt: skip
        return None
    except httpx.TransportError as exc:
        log.warning("could not check %s=%s at %s (%s); starting anyway",
                    target.setting, target.model, shown, type(exc).__name__)  # fmt: skip
        return None
    code, message = _error_of(response)
    if response.status_code == 401 and _missing_scope(message):
        log.warning("could not check %s=%s at %s: the API key may not read models (a restricted "
                    "key without api.model.read); starting anyway",
                    target.setting, target.model, shown)  # fmt: skip
        return None
    if response.status_code == 401:
        raise ConfigError([messages.api_key_rejected(shown, code)])
    if response.status_code == 404 and (is_openai_api(base) or code == "model_not_found"):
        raise ConfigError(
            [messages.model_not_found(target.setting, target.model, shown, target.replacement)]
        )
    if response.status_code != 200:
        log.warning(
            "could not check %s=%s at %s: HTTP %d %s; starting anyway",
            *(target.setting, target.model, shown, response.status_code, code or ""),
        )
        return None
    try:
        info = ModelObject.model_validate_json(response.content)
    except ValidationError:
        log.warning("could not check %s=%s at %s: the answer is not a Model object",
                    target.setting, target.model, shown)  # fmt: skip
        return None
    log.info("%s=%s is available at %s", target.setting, target.model, shown)
    return info


def _error_of(response: httpx.Response) -> tuple[str | None, str]:
    """OpenAI's error ``code`` and ``message`` of an answer (``None``, ``""`` when absent)."""
    if response.status_code < 400:
        return None, ""
    try:
        error = ErrorEnvelope.model_validate_json(response.content).error
    except ValidationError:
        return None, ""
    return error.code, error.message


def _missing_scope(message: str) -> bool:
    """A 401 for a restricted key that lacks a permission ("You have insufficient permissions
    for this operation. Missing scopes: api.model.read ..."), not for a wrong key: such a key
    may still generate images."""
    lowered = message.lower()
    return "missing scopes" in lowered or "insufficient permissions" in lowered
