"""Progress of a request and the messages for a failed job.

Part of :mod:`bot.messages` (every sentence users read); Slack mrkdwn.
"""

from __future__ import annotations

from bot import errors
from bot.messages.capacity import capacity_wait_expired
from bot.messages.format import plural
from bot.slack_text import escape_mrkdwn

# --- Progress ----------------------------------------------------------------------------------


def generating(n: int, position: int) -> str:
    """The ack: ``position`` 0 means the job started, k means k-th in line."""
    what = f"Generating {plural(n, 'image')}…"
    if position <= 0:
        return f":hourglass_flowing_sand: {what}"
    return (
        f":hourglass_flowing_sand: You're number {position:,} in line; {what[0].lower()}"
        f"{what[1:]} as soon as a slot frees up."
    )


QUEUE_FULL = (
    ":no_entry: Imagine is at capacity right now and can't take more requests. "
    "Please try again in a few minutes."
)
SHUTTING_DOWN = ":arrows_counterclockwise: Imagine is restarting. Please try again in a minute."


def caption(user_id: str, revised_prompts: list[str], *, regenerated: bool = False) -> str:
    """The message that carries the images: who asked and the revised prompt(s) drawn."""
    verb = "regenerated" if regenerated else "imagined"
    unique = list(dict.fromkeys(revised_prompts))
    if len(unique) == 1:
        return f"<@{user_id}> {verb}: {escape_mrkdwn(unique[0])}"
    lines = "\n".join(f"{i}. {escape_mrkdwn(p)}" for i, p in enumerate(revised_prompts, 1))
    return f"<@{user_id}> {verb}:\n{lines}"


def partial_failure(failed: int, total: int, reason: str) -> str:
    """Shown when k of n images failed and the rest were posted."""
    return f":warning: {failed} of {total} images could not be generated: {reason}"


REGENERATE_PROMPT = "Want another take?"
REGENERATE_EXPIRED = (
    "That Regenerate button has expired. Run the request again with `/imagine` or the shortcut."
)


JOB_INTERRUPTED = (
    ":arrows_counterclockwise: Imagine restarted before the images were ready. Please try again."
)


def job_timed_out(seconds: float) -> str:
    """Shown when a job passed JOB_TIMEOUT_S."""
    return (
        f":warning: Your images took longer than {seconds:g} seconds and were given up. "
        "Try again, perhaps with fewer images or a lower quality."
    )


# --- Failures ----------------------------------------------------------------------------------

PRIVATE_CHANNEL = (
    ":lock: I can't post in this conversation because I'm not a member. "
    "Add me with `/invite @Imagine` and try again."
)
ARCHIVED_CHANNEL = ":lock: This channel is archived, so I can't post images here."
UPLOAD_FAILED = (
    ":warning: Your images were generated, but Slack did not accept the upload (`{error}`). "
    "Please try again in a moment."
)
UNEXPECTED = (
    ":warning: Something went wrong on our side while making your images. Please try again."
)
MALFORMED_REQUEST = "Slack sent a request I couldn't read. Please try again."


def for_error(exc: BaseException) -> str:
    """The message for a failed job, chosen by the exception's class (platform.md "Errors")."""
    if isinstance(exc, errors.UserInputError):
        return exc.text
    if isinstance(exc, errors.ModerationBlockedError) and exc.edit:
        return EDIT_REFUSED
    if isinstance(exc, errors.ModerationBlockedError):
        return (
            ":no_entry_sign: OpenAI's safety system refused this prompt. "
            "Please rephrase it and try again."
        )
    if isinstance(exc, errors.InsufficientQuotaError):
        return (
            ":money_with_wings: This workspace's OpenAI quota or credit is used up. "
            "Please ask your Slack admin to top it up."
        )
    if isinstance(exc, (errors.AuthenticationError, errors.PermissionDeniedError)):
        return (
            ":wrench: Imagine is misconfigured: OpenAI rejected its API key. "
            "Please tell your Slack admin."
        )
    if isinstance(exc, errors.ModelNotFoundError):
        return (
            ":wrench: Imagine is misconfigured: the image model it is set to use is not "
            "available. Please tell your Slack admin."
        )
    if isinstance(exc, errors.RateLimitError):
        return ":hourglass: OpenAI is busy right now (rate limited). Please try again in a minute."
    if isinstance(exc, errors.APITimeoutError):
        return ":hourglass: OpenAI took too long to answer. Please try again."
    if isinstance(exc, (errors.TransientStatusError, errors.APIConnectionError)):
        return ":cloud: OpenAI is having trouble right now. Please try again in a few minutes."
    if isinstance(exc, errors.NoImageError):
        said = exc.message if len(exc.message) <= 300 else exc.message[:299] + "…"
        return (
            f":speech_balloon: OpenAI answered without an image: “{escape_mrkdwn(said)}” "
            "Try rephrasing your prompt."
        )
    if isinstance(exc, errors.InvalidResponseError):
        return ":warning: OpenAI sent back something that was not a usable image. Please try again."
    if isinstance(exc, errors.PreviousResponseNotFoundError):
        return EDIT_SOURCE_GONE
    if isinstance(exc, errors.InputImageRejectedError):
        return (
            ":frame_with_picture: OpenAI could not use the image it was given (it may be damaged, "
            "too large or in an unusual format). Please try another PNG, JPEG or WebP."
        )
    if isinstance(exc, errors.BadRequestError):
        return ":warning: OpenAI refused the request's options. Please tell your Slack admin."
    if isinstance(exc, errors.ChannelUnreachableError):
        return ARCHIVED_CHANNEL if exc.error == "is_archived" else PRIVATE_CHANNEL
    if isinstance(exc, errors.DeliveryError):
        return UPLOAD_FAILED.format(error=exc.error)
    if isinstance(exc, errors.CapacityWaitError):
        return capacity_wait_expired(exc.max_wait_s)
    return UNEXPECTED


EDIT_REFUSED = (
    ":no_entry_sign: OpenAI's safety system refused this edit. "
    "Please rephrase the instruction or use another image, and try again."
)
EDIT_SOURCE_GONE = (
    ":warning: The image to edit is no longer available at OpenAI (it keeps them for 30 days). "
    "Start again with `/imagine`."
)


__all__ = [
    "ARCHIVED_CHANNEL",
    "EDIT_REFUSED",
    "EDIT_SOURCE_GONE",
    "JOB_INTERRUPTED",
    "MALFORMED_REQUEST",
    "PRIVATE_CHANNEL",
    "QUEUE_FULL",
    "REGENERATE_EXPIRED",
    "REGENERATE_PROMPT",
    "SHUTTING_DOWN",
    "UNEXPECTED",
    "UPLOAD_FAILED",
    "caption",
    "for_error",
    "generating",
    "job_timed_out",
    "partial_failure",
]
