"""Imagine's error hierarchy: small, one class per failure kind, data carried as attributes.

- :class:`ConfigError`: settings are missing or malformed (the process exits with code 2).
- :class:`UserInputError`: what the user typed cannot be used; ``text`` is the message for them.
- :class:`OpenAIError` and subclasses: a failed call to OpenAI, mapped from HTTP status and error
  code in one place (:func:`bot.openai.client.error_from_response`), after the table in
  ``shared/docs/platform.md`` ("Errors").
- :class:`DeliveryError` and subclasses: Slack refused to take the images.
- :class:`QueueFullError`, :class:`ShuttingDownError`: the app cannot take more work now;
  :class:`CapacityWaitError`: OpenAI had no capacity for a job within MAX_WAIT_S.

The text shown to users lives in :mod:`bot.messages`, not here.
"""

from __future__ import annotations


class ImagineError(Exception):
    """Base of every error this app raises on purpose."""


class ConfigError(ImagineError):
    """Settings are missing or malformed.

    ``problems`` is one readable line per variable (never a secret value).
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class UserInputError(ImagineError):
    """The user's prompt or options cannot be used. ``text`` is the message to show them
    (Slack mrkdwn), ``field`` names the option or modal field at fault, if any."""

    def __init__(self, text: str, *, field: str | None = None) -> None:
        self.text = text
        self.field = field
        super().__init__(text)


class InputFileError(UserInputError):
    """A file attached as an input image cannot be used (:mod:`bot.inputs`). ``reason`` is one
    of ``type``, ``content``, ``too_big``, ``too_many``, ``no_access`` (the app may not read
    files: an admin problem), ``unavailable``, ``download_failed``; ``file_name`` names the file
    when one is at fault."""

    def __init__(self, text: str, *, reason: str, file_name: str | None = None) -> None:
        self.reason = reason
        self.file_name = file_name
        super().__init__(text, field="files")


# --- OpenAI -------------------------------------------------------------------------------------


class OpenAIError(ImagineError):
    """A call to OpenAI failed.

    Attributes: ``status`` (HTTP status, ``None`` for transport errors), ``code`` and ``type`` from
    the error body, ``request_id`` (the ``x-request-id`` header), ``retryable`` (whether a retry
    may help), ``retry_after`` (seconds the server asked us to wait, if it said).
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        type: str | None = None,  # noqa: A002 - OpenAI's field name
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.type = type
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class APIConnectionError(OpenAIError):
    """The connection to OpenAI failed before an answer arrived."""

    retryable = True


class APITimeoutError(APIConnectionError):
    """OpenAI did not answer within the request timeout."""


class InvalidResponseError(OpenAIError):
    """OpenAI answered 2xx but the body was not what the API reference describes."""


class NoImageError(OpenAIError):
    """The Responses API answered with words and no image (the model declined, or asked a
    question); ``message`` is what it said (at most 500 characters)."""


class ModerationBlockedError(OpenAIError):
    """400 ``moderation_blocked`` / ``content_policy_violation``: the safety system refused the
    prompt. Never retried. ``edit`` is true when the refused request edited an image (an earlier
    result or the user's own), so the user is told it was the edit that was refused."""

    edit = False


class BadRequestError(OpenAIError):
    """400 of another kind (``invalid_value``, ``unknown_parameter``): a bug on our side."""


class InputImageRejectedError(BadRequestError):
    """400 about an input image (a code naming an image, such as ``invalid_image``,
    ``invalid_image_format``, ``image_too_large``, or a ``param`` naming one): the person's or
    the result's image could not be used; another image may work."""


class PreviousResponseNotFoundError(BadRequestError):
    """400 ``previous_response_not_found``: the response to continue is unknown to OpenAI
    (older than its 30 days, stored with ``store: false``, or made with another API key or
    project; platform.md "Editing and continuing an image"). The backends fall back to sending
    the image itself, so users only see it when no image was available."""


class AuthenticationError(OpenAIError):
    """401: the API key is wrong or revoked (admin problem)."""


class PermissionDeniedError(OpenAIError):
    """403: the key's project may not use this model or endpoint (admin problem)."""


class ModelNotFoundError(OpenAIError):
    """404 ``model_not_found``: a retired or unavailable model is configured (admin problem)."""


class RateLimitError(OpenAIError):
    """429 ``rate_limit_exceeded``: retried after ``retry_after`` with jittered backoff."""

    retryable = True


class InsufficientQuotaError(OpenAIError):
    """429 with type ``insufficient_quota``: quota or credit used up. Never retried."""


class TransientStatusError(OpenAIError):
    """408, 409 or 5xx: retried with backoff."""

    retryable = True


# --- Slack delivery -----------------------------------------------------------------------------


class DeliveryError(ImagineError):
    """Slack did not take the images. ``error`` is Slack's error code, ``channel_id`` where."""

    def __init__(self, error: str, *, channel_id: str) -> None:
        self.error = error
        self.channel_id = channel_id
        super().__init__(f"{error} (channel {channel_id})")


class ChannelUnreachableError(DeliveryError):
    """The bot is not in the channel and cannot join it (private channel, DM, archived)."""


# --- Capacity -----------------------------------------------------------------------------------


class QueueFullError(ImagineError):
    """Every job slot and every queue place is taken. ``limit`` is the queue's bound."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"queue full ({limit} waiting)")


class ShuttingDownError(ImagineError):
    """The app is stopping and takes no new work."""


class CapacityWaitError(ImagineError):
    """A job waited ``max_wait_s`` seconds in all for OpenAI capacity (MAX_WAIT_S) and was given
    up before its call was sent (:mod:`bot.openai.pacing`)."""

    def __init__(self, max_wait_s: float) -> None:
        self.max_wait_s = max_wait_s
        super().__init__(f"waited {max_wait_s:g}s for OpenAI capacity")


# --- Installations (OAuth mode) -----------------------------------------------------------------


class NotInstalledError(ImagineError):
    """No usable installation (bot token) for the workspace ``team_id`` (of the Enterprise Grid
    org ``enterprise_id``, if any): it uninstalled the app or revoked its token."""

    def __init__(self, team_id: str | None, enterprise_id: str | None = None) -> None:
        self.team_id = team_id
        self.enterprise_id = enterprise_id
        super().__init__(f"no installation for team={team_id} enterprise={enterprise_id}")
