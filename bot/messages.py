"""Every sentence a Slack user or admin reads from Imagine, in one module.

Texts are Slack mrkdwn. Functions take the data they show; none of them ever receives a secret.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bot import errors
from bot.slack_text import escape_mrkdwn

if TYPE_CHECKING:
    from bot.capabilities import ModelCapabilities


def _join(values: tuple[str, ...] | list[str]) -> str:
    quoted = [f"`{v}`" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def plural(count: int, word: str) -> str:
    """``1 image``, ``2 images``."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


# --- Usage -----------------------------------------------------------------------------------


def usage(max_images: int, prompt_max_chars: int) -> str:
    """The help text of ``/imagine``."""
    return (
        "*Imagine* turns a prompt into images, right here.\n"
        "`/imagine [options] <prompt>`, for example `/imagine --n 2 --size landscape a flying "
        "car over the sea`\n"
        f"• `--n N`: how many images, 1 to {max_images}\n"
        "• `--size`: `square`, `landscape`, `portrait`, `auto` or `WIDTHxHEIGHT`\n"
        "• `--quality`: `low`, `medium`, `high` or `auto`\n"
        "• `--background`: `transparent`, `opaque` or `auto`\n"
        "Write `--opt=value` if you prefer, and `--` before a prompt that starts with dashes.\n"
        f"A prompt can be up to {prompt_max_chars:,} characters. `/imagine` alone opens a form; "
        "`/imagine usage` shows what you have generated. Mention me in a thread to get images "
        "there, or use the message shortcuts *Imagine a slide* and *Imagine a brand asset*.\n"
        f"{REFINE_HELP}"
    )


# --- Validation --------------------------------------------------------------------------------

PROMPT_EMPTY = (
    "Your prompt is empty. Describe the image you want, e.g. `/imagine a red fox in snow`."
)


def prompt_too_long(length: int, limit: int) -> str:
    """Shown when the prompt is over PROMPT_MAX_CHARS."""
    return (
        f"Your prompt is {length:,} characters; the limit is {limit:,}. Shorten it and try again."
    )


def framed_prompt_too_long(length: int, limit: int, model: str) -> str:
    """Shown when a preset's frame pushes the prompt over the model's own limit."""
    return (
        f"With the preset's instructions your prompt is {length:,} characters, but {model} takes "
        f"at most {limit:,}. Shorten your text and try again."
    )


def option_unknown(token: str) -> str:
    """Shown for an option that does not exist."""
    return (
        f"I don't know the option `{token.split('=')[0]}`. The options are `--n`, `--size`, "
        "`--quality` and `--background`; put `--` before a prompt that starts with dashes."
    )


def option_needs_value(name: str) -> str:
    """Shown when an option is last or followed by another option."""
    return f"`--{name}` needs a value, e.g. `--{name} {_EXAMPLES[name]}`."


def option_repeated(name: str) -> str:
    """Shown when an option is given twice."""
    return f"`--{name}` is given twice; keep one."


_EXAMPLES = {"n": "2", "size": "landscape", "quality": "high", "background": "transparent"}


def n_invalid(value: str, max_images: int) -> str:
    """Shown when ``--n`` is not a whole number in range."""
    return f"`--n` must be a whole number from 1 to {max_images}; you wrote `{value[:20]}`."


def size_unknown(value: str, caps: ModelCapabilities) -> str:
    """Shown for a size that is not a size at all."""
    return f"`{value[:40]}` is not a size. {_sizes_sentence(caps)}"


def size_name_unsupported(name: str, caps: ModelCapabilities) -> str:
    """Shown when a named size has no match for the model (dall-e-2 has only squares)."""
    return f"{caps.name} has no {name} size. {_sizes_sentence(caps)}"


def size_unsupported(size: str, caps: ModelCapabilities) -> str:
    """Shown for a ``WxH`` the model does not take."""
    return f"{caps.name} cannot make {size} images. {_sizes_sentence(caps)}"


def size_rule_broken(size: str, rule: str, caps: ModelCapabilities) -> str:
    """Shown for a custom gpt-image-2 size that breaks one of its rules."""
    return f"{size} does not work: for {caps.name}, {rule}. {_sizes_sentence(caps)}"


def _sizes_sentence(caps: ModelCapabilities) -> str:
    names = [n for n in ("square", "landscape", "portrait") if n in caps.named_sizes]
    fixed = [s for s in caps.sizes]
    text = f"Use {_join(names + fixed)}"
    if caps.custom_sizes:
        text += ", or any `WIDTHxHEIGHT` with sides divisible by 16, up to 3840x2160"
    return text + "."


def quality_unsupported(value: str, caps: ModelCapabilities) -> str:
    """Shown for a quality the model does not take."""
    return f"{caps.name} does not offer quality `{value[:20]}`. Use {_join(caps.qualities)}."


def background_unknown(value: str) -> str:
    """Shown for a background that does not exist."""
    return f"`{value[:20]}` is not a background. Use {_join(('transparent', 'opaque', 'auto'))}."


def background_unsupported(caps: ModelCapabilities) -> str:
    """Shown when the model has no background option (DALL·E)."""
    return f"{caps.name} cannot set a background; leave `--background` out."


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
    if isinstance(exc, errors.InvalidResponseError):
        return ":warning: OpenAI sent back something that was not a usable image. Please try again."
    if isinstance(exc, errors.PreviousResponseNotFoundError):
        return EDIT_SOURCE_GONE
    if isinstance(exc, errors.BadRequestError):
        return ":warning: OpenAI refused the request's options. Please tell your Slack admin."
    if isinstance(exc, errors.ChannelUnreachableError):
        return ARCHIVED_CHANNEL if exc.error == "is_archived" else PRIVATE_CHANNEL
    if isinstance(exc, errors.DeliveryError):
        return UPLOAD_FAILED.format(error=exc.error)
    if isinstance(exc, errors.CapacityWaitError):
        return capacity_wait_expired(exc.max_wait_s)
    return UNEXPECTED


# --- Quotas, usage and interrupted jobs (the store) ----------------------------------------------


def slack_date(when: datetime, *, fmt: str = "{date_short_pretty} at {time}") -> str:
    """``when`` as a Slack date token, shown in each reader's own time zone, with a UTC fallback
    for clients that cannot render it (Slack "Formatting text for app surfaces": ``<!date^…>``)."""
    utc = when.astimezone(UTC)
    return f"<!date^{int(utc.timestamp())}^{fmt}|{utc:%Y-%m-%d %H:%M} UTC>"


def usd(amount: float) -> str:
    """An estimated amount of dollars: ``$12.50``, ``$0.042`` (three decimals under $1)."""
    if amount == 0 or abs(amount) >= 1:
        return f"${amount:,.2f}"
    return f"${amount:.3f}"


def quota_user_daily(limit: int, used: int, resets_at: datetime, requested: int | None) -> str:
    """Shown when a request would go over USER_DAILY_IMAGE_LIMIT."""
    text = f":no_entry: You've used {used:,} of your {plural(limit, 'image')} for today"
    if requested is not None and used < limit:
        text += f", and this request asks for {requested:,}. Ask for {limit - used:,} or fewer"
    return f"{text}. Your daily limit resets {slack_date(resets_at)}."


def quota_monthly_budget(
    limit_usd: float, used_usd: float, resets_at: datetime, requested_usd: float | None
) -> str:
    """Shown when a request would go over MONTHLY_BUDGET_USD (estimated costs)."""
    text = (
        f":money_with_wings: This workspace has used an estimated {usd(used_usd)} of its "
        f"{usd(limit_usd)} monthly image budget"
    )
    if requested_usd is not None:
        text += f", and this request would cost about {usd(requested_usd)}"
    return (
        f"{text}. The budget resets {slack_date(resets_at)}; "
        "ask your Slack admin if you need more before then."
    )


def interrupted_notice(user_prompt: str) -> str:
    """Sent to the owner of a job that a crash or restart cut short (with a Regenerate button)."""
    shown = user_prompt if len(user_prompt) <= 200 else user_prompt[:199] + "…"
    return (
        f":warning: Imagine restarted before your images were ready: “{escape_mrkdwn(shown)}”. "
        "Press *Regenerate* to run the request again."
    )


# --- Conversations: refine, variations, people's images (issue #8) ------------------------------

REFINE_HELP = (
    "*Refine a result* in its thread: `@Imagine make the kite green` edits image 1 of the latest "
    "result there (the default); name another with `#2 make it green`. Each result also has "
    "*Edit…* and *Variations*. Attach PNG, JPEG or WebP images to a mention to use them as "
    "input. In a DM with me, write a prompt, and reply in a result's thread to refine it."
)
REFINE_NO_RESULT = "Reply in the thread of an Imagine image, or start with /imagine."
EDIT_EMPTY = (
    "Tell me what to change, e.g. `@Imagine make the sky pink`, or `#2 make it green` to edit "
    "image 2."
)
EDIT_BUTTON = "Edit…"
VARIATIONS_BUTTON = "Variations"
EDIT_MENU = "Edit an image…"
VARIATIONS_MENU = "Variations of…"
EDIT_MODAL_TITLE = "Edit image"
EDIT_MODAL_SUBMIT = "Edit"
EDIT_INSTRUCTION_LABEL = "What should change?"
EDIT_INSTRUCTION_PLACEHOLDER = "Make the kite green and add a second one"
EDIT_IMAGE_LABEL = "Image to edit"
LEAVE_OUT_IMAGES = "Leave them out"
RESULT_NOT_LOCATED = (
    ":hourglass: I can't find where that image was posted yet. Please try again in a moment."
)


def image_label(number: int) -> str:
    """An image's name in menus: ``Image 2``."""
    return f"Image {number}"


def edit_too_long(length: int, limit: int) -> str:
    """Shown when a refine instruction is over PROMPT_MAX_CHARS."""
    return (
        f"Your instruction is {length:,} characters; the limit is {limit:,}. "
        "Shorten it and try again."
    )


def no_such_image(number: int, count: int) -> str:
    """Shown when ``#k`` names an image the latest result does not have."""
    if count == 1:
        return (
            f"The latest result has only one image, so there is no #{number}. Leave the number out."
        )
    return f"The latest result has {count} images; pick one from #1 to #{count}."


def edit_expired(retention_days: int) -> str:
    """Shown for Edit/Variations on a result whose conversation state is gone."""
    return (
        f"That image can no longer be edited: results can be refined for {retention_days} days. "
        "Start again with /imagine."
    )


def using_images(count: int) -> str:
    """The shortcut modal's note when the message has images."""
    return f"Using {plural(count, 'image')} from the message as a reference."


def result_caption(
    user_id: str,
    revised_prompts: list[str],
    *,
    source: str,
    instruction: str = "",
    image: int | None = None,
    named: bool = False,
) -> str:
    """The caption of a result: :func:`caption` for new images; for an edit, what changed (the
    instruction), which image it started from (saying when it is the default) and the revised
    prompt; for variations, which image they vary."""
    if source == "variation":
        lead = f"<@{user_id}> made {plural(len(revised_prompts), 'variation')} of image #{image}"
        return _with_prompts(lead, revised_prompts)
    if source != "edit":
        return caption(user_id, revised_prompts, regenerated=source == "regenerate")
    which = f"image #{image}"
    if not named:
        which = f"image #{image or 1} (the default; name another with `#2 …`)"
    lead = f"<@{user_id}> edited {which}: “{escape_mrkdwn(instruction)}”"
    return _with_prompts(lead, revised_prompts)


def _with_prompts(lead: str, revised_prompts: list[str]) -> str:
    unique = list(dict.fromkeys(revised_prompts))
    if len(unique) == 1:
        return f"{lead}\nRevised prompt: {escape_mrkdwn(unique[0])}"
    lines = "\n".join(f"{i}. {escape_mrkdwn(p)}" for i, p in enumerate(revised_prompts, 1))
    return f"{lead}\nRevised prompts:\n{lines}"
# --- Waiting for OpenAI, cancel and resume (issue #10) -------------------------------------------

WAITING_PREFIX = ":hourglass: Waiting for OpenAI capacity"
CANCEL_LABEL = "Cancel"


def _about(seconds: float) -> str:
    if seconds < 60:
        return "in less than a minute"
    minutes = math.ceil(seconds / 60)
    return f"in about {plural(minutes, 'minute')}"


def waiting_for_capacity(seconds: float) -> str:
    """Told once when a request waits for OpenAI's rate limit; ``seconds`` is the estimate."""
    return (
        f"{WAITING_PREFIX}: OpenAI limits how many images this workspace can make per minute, "
        f"and others asked first. Your request starts {_about(seconds)}."
    )


def capacity_wait_expired(max_wait_s: float) -> str:
    """Shown when a request waited MAX_WAIT_S for OpenAI capacity and was given up."""
    minutes = max_wait_s / 60
    span = plural(round(minutes), "minute") if minutes >= 1 else plural(int(max_wait_s), "second")
    return (
        f":warning: OpenAI had no capacity for your request for {span}, so I gave it up. "
        "Please try again later."
    )


def waiting_own_jobs(n: int, position: int, running: int) -> str:
    """The ack when the user already has ``running`` requests generating (MAX_JOBS_PER_USER)."""
    return (
        f":hourglass_flowing_sand: You're number {position:,} in line: you already have "
        f"{plural(running, 'request')} generating, and this one ({plural(n, 'image')}) starts "
        "when one of them is done."
    )


CANCELLED = ":no_entry_sign: Cancelled. Nothing was posted."
CANCEL_TOO_LATE = "Your images are already being posted, so this request can't be cancelled."
CANCEL_GONE = "This request has already finished."


def cancel_not_yours(owner_id: str) -> str:
    """Shown to someone who presses another person's Cancel button."""
    return f"Only <@{owner_id}> can cancel this request."


def cancelled_notice(user_prompt: str) -> str:
    """Replaces the ack of a cancelled request."""
    return f":no_entry_sign: Cancelled “{_short_prompt(user_prompt)}”. Nothing was posted."


def resumed_notice(user_prompt: str) -> str:
    """Told to the owner of a request that resumed by itself after a restart."""
    return (
        f":arrows_counterclockwise: Imagine restarted; your request “{_short_prompt(user_prompt)}” "
        "was resumed after a restart and is on its way."
    )


def _short_prompt(user_prompt: str) -> str:
    shown = user_prompt if len(user_prompt) <= 200 else user_prompt[:199] + "…"
    return escape_mrkdwn(shown)


def history_source(source: str, parent_prompt: str | None = None) -> str:
    """The Home tab's note for an edit, variations or a DM request (empty for the others),
    naming the image it started from by that request's prompt when known."""
    earlier = "an earlier image"
    if parent_prompt:
        shown = parent_prompt if len(parent_prompt) <= 60 else parent_prompt[:59] + "…"
        earlier = f"“{escape_mrkdwn(shown)}”"
    return {
        "edit": f":pencil2: edit of {earlier}",
        "variation": f":art: variations of {earlier}",
        "dm": ":speech_balloon: from a DM",
    }.get(source, "")


def source_counts(by_source: dict[str, int]) -> str:
    """``2 edits, 1 variation request, 3 from DMs`` for the sources shown apart (empty when
    none)."""
    parts = []
    if count := by_source.get("edit"):
        parts.append(plural(count, "edit"))
    if count := by_source.get("variation"):
        parts.append(plural(count, "variation request"))
    if count := by_source.get("dm"):
        parts.append(f"{count:,} from DMs")
    return ", ".join(parts)
# --- Models and shutdown dates (issue #10); read by admins ------------------------------------

OTHER_MAINLINE_MODEL = (
    "a current mainline model from the gpt-4.1, gpt-5 or o3 families, or set IMAGE_API=images"
)


def _instead(setting: str, replacement: str | None) -> str:
    if replacement is None:
        return OTHER_MAINLINE_MODEL if setting == "RESPONSES_MODEL" else "another image model"
    return f"{setting}={replacement}"


def model_shut_down(setting: str, model: str, shutdown_date: date, replacement: str | None) -> str:
    """A settings problem: ``model`` is past OpenAI's shutdown date and OPENAI_BASE_URL is
    OpenAI's own API."""
    return (
        f"{setting}={model} was shut down by OpenAI on {shutdown_date:%Y-%m-%d}; use "
        f"{_instead(setting, replacement)} instead (older models work only on an "
        "OpenAI-compatible server set in OPENAI_BASE_URL)."
    )


def model_not_found(setting: str, model: str, base_url: str, replacement: str | None) -> str:
    """Start refused: ``GET /models/{model}`` answered 404."""
    return (
        f"{setting}={model} is not available at {base_url} (404 model_not_found: the model is "
        f"retired, misspelt, or this API key may not use it); use "
        f"{_instead(setting, replacement)} instead."
    )


def api_key_rejected(base_url: str, code: str | None) -> str:
    """Start refused: ``GET /models/{model}`` answered 401."""
    return (
        f"OPENAI_API_KEY was rejected by {base_url} (401 {code or 'unauthorized'}); create a "
        "key at platform.openai.com > API keys and set OPENAI_API_KEY to it."
    )


def model_shutdown_notice(
    setting: str,
    model: str,
    shutdown_date: date,
    replacement: str | None,
    *,
    today: date,
    advisory: bool,
) -> str:
    """A model's shutdown date is near or past (a WARNING log line and the admins' Home tab).
    ``advisory``: OPENAI_BASE_URL is not OpenAI's, which may keep serving the model."""
    days = (shutdown_date - today).days
    if days > 0:
        when = f"shuts down on {shutdown_date:%Y-%m-%d} (in {plural(days, 'day')})"
    elif days == 0:
        when = f"shuts down today, {shutdown_date:%Y-%m-%d}"
    else:
        when = f"was shut down by OpenAI on {shutdown_date:%Y-%m-%d}"
    text = f"{setting}={model} {when}; switch to {_instead(setting, replacement)}"
    text += " before then." if days > 0 else "."
    if advisory:
        text += " (OpenAI's date; your OPENAI_BASE_URL server may keep serving it.)"
    return text


def home_model_notice(text: str) -> str:
    """The admins' Home tab line for a model notice from :func:`model_shutdown_notice`."""
    return f":warning: *Model notice:* {escape_mrkdwn(text)}"


# --- Input images and edits (issue #8, OpenAI side) ---------------------------------------------

EDIT_REFUSED = (
    ":no_entry_sign: OpenAI's safety system refused this edit. "
    "Please rephrase the instruction or use another image, and try again."
)
EDIT_SOURCE_GONE = (
    ":warning: The image to edit is no longer available at OpenAI (it keeps them for 30 days). "
    "Start again with `/imagine`."
)
EDIT_NEEDS_GPT_IMAGE = (
    ":wrench: Editing images needs a GPT Image model, and Imagine is set to use {model}. "
    "Please tell your Slack admin."
)
INPUT_IMAGE_TYPES = "PNG, JPEG or WebP"
_KIND_NAMES = {
    "image/svg+xml": "an SVG",
    "application/pdf": "a PDF",
    "image/gif": "a GIF",
    "image/heic": "a HEIC photo",
    "image/heif": "a HEIF photo",
    "image/tiff": "a TIFF",
    "image/bmp": "a BMP",
}


def _size(count: int) -> str:
    """``2.5 MB``, ``830 KB``, ``12 bytes`` (decimal units, as Slack shows file sizes)."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}".removesuffix(".0") + " MB"
    if count >= 1_000:
        return f"{count / 1_000:.0f} KB"
    return plural(count, "byte")


def input_not_an_image(name: str, mimetype: str, filetype: str = "") -> str:
    """Shown for an attached file that is not a PNG, JPEG or WebP (``logo.svg is an SVG; …``)."""
    kind = _KIND_NAMES.get(mimetype.lower())
    if kind is None and filetype:
        kind = f"a {filetype.upper()} file"
    what = f"is {kind}" if kind else "is not an image I can use"
    return f"{escape_mrkdwn(name)} {what}; attach a {INPUT_IMAGE_TYPES}."


def input_content_mismatch(name: str) -> str:
    """Shown when a file says it is an image but its bytes are not a PNG, JPEG or WebP."""
    return (
        f"{escape_mrkdwn(name)} does not contain a {INPUT_IMAGE_TYPES} image "
        f"(the file may be damaged); attach a {INPUT_IMAGE_TYPES}."
    )


def input_too_big(name: str, size: int | None, limit: int) -> str:
    """Shown for a file over MAX_INPUT_IMAGE_BYTES (``size`` ``None``: found while downloading)."""
    what = f"is {_size(size)}" if size is not None else f"is larger than {_size(limit)}"
    return (
        f"{escape_mrkdwn(name)} {what}; images can be at most {_size(limit)}. Attach a smaller one."
    )


def input_too_many(count: int, limit: int) -> str:
    """Shown when a message carries more images than MAX_INPUT_IMAGES."""
    return (
        f"You attached {plural(count, 'image')}; I can use at most {limit:,} at a time. "
        "Attach fewer and try again."
    )


INPUT_NO_ACCESS = (
    ":wrench: Imagine isn't allowed to read files in this workspace (it needs the `files:read` "
    "permission). Please ask your Slack admin to reinstall the app."
)
INPUT_LOGIN_PAGE = (
    ":wrench: Slack would not let me read the attached file: it answered with a sign-in page "
    "instead of the image. Imagine is missing the `files:read` permission (or its token is wrong); "
    "please ask your Slack admin to reinstall the app."
)


def input_unavailable(name: str) -> str:
    """Shown when Slack will not hand over a file (deleted, not shared with the app, …)."""
    return (
        f"I couldn't get {escape_mrkdwn(name)} from Slack (it may have been deleted, or not be "
        "shared with me). Attach it again and retry."
    )


def input_download_failed(name: str) -> str:
    """Shown when downloading a file from Slack failed (network, timeout, Slack error)."""
    return f"I couldn't download {escape_mrkdwn(name)} from Slack just now. Please try again."


# --- Per-workspace settings (issue #11) ---------------------------------------------------------

SETTINGS_TITLE = "Imagine settings"
SETTINGS_ADMINS_ONLY = (
    ":lock: Only this workspace's admins and owners (or Imagine's operators) can change "
    "Imagine's settings."
)
CHANNEL_LIST_SHOWN = 10


def channel_not_allowed(allowed: list[str]) -> str:
    """Shown for a request in a channel outside the workspace's allowed channels."""
    shown = [f"<#{channel}>" for channel in allowed[:CHANNEL_LIST_SHOWN]]
    more = len(allowed) - len(shown)
    if more > 0:
        shown.append(f"{plural(more, 'other channel')}")
    where = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return (
        f":no_entry: Imagine isn't enabled in this channel. You can use it in {where}, "
        "or in a direct message with Imagine."
    )


def brand_guide_too_long(length: int, limit: int) -> str:
    """Settings modal: the brand guide is over its limit."""
    return f"The brand guide is {length:,} characters; the limit is {limit:,}. Shorten it."


def whole_number_needed(what: str, maximum: int) -> str:
    """Settings modal: a count that is not a whole number from 0 to ``maximum``."""
    return f"{what} must be a whole number from 0 to {maximum:,}, or empty for no limit."


def amount_needed(what: str, maximum: float) -> str:
    """Settings modal: an amount of dollars that is not a number from 0 to ``maximum``."""
    return f"{what} must be an amount in USD from 0 to {maximum:,.0f}, or empty for no budget."


def channels_invalid(count: int, maximum: int) -> str:
    """Settings modal: too many channels, or something that is not a channel."""
    if count > maximum:
        return f"Pick at most {maximum} channels ({count} chosen)."
    return "Pick public or private channels only (direct messages are always allowed)."


def settings_change_line(who: str, when: datetime, parts: list[str]) -> str:
    """One line of the settings history on the Home tab."""
    return f"{slack_date(when)} · <@{who}> " + "; ".join(parts)


# --- Workflow Builder step "Generate images" (issue #9) ------------------------------------------
# Sent to Slack with functions.completeError; Workflow Builder shows them to the workflow's owner
# and the person who ran it.

STEP_CHANNEL_MISSING = (
    "Choose the channel to post the images in (the step's “Channel” input is empty or not a "
    "channel)."
)


def step_input_malformed(name: str) -> str:
    """Shown when an input arrives with the wrong type (e.g. an object for the prompt)."""
    return f"The step's input `{name}` has a value I can't use. Check it in Workflow Builder."


def step_n_invalid(value: str, max_images: int) -> str:
    """Shown when “Number of images” is not a whole number in range."""
    return (
        f"“Number of images” must be a whole number from 1 to {max_images}; it was `{value[:20]}`."
    )


def step_preset_unknown(value: str) -> str:
    """Shown for a preset other than none, slide or brand."""
    return f"`{value[:20]}` is not a preset. Use `none`, `slide` or `brand`."


def step_thread_elsewhere(thread_channel: str, channel_id: str) -> str:
    """Shown when the message to reply under is not in the chosen channel."""
    return (
        f"The message to reply under is in <#{thread_channel}>, but the images are to go to "
        f"<#{channel_id}>. Choose the same channel for both."
    )


def step_thread_ts_invalid(value: str) -> str:
    """Shown when the thread timestamp is not a message timestamp."""
    return f"`{value[:40]}` is not a message timestamp (like `1700000000.000100`)."


def step_user_invalid(value: str) -> str:
    """Shown when “Requested by” is not a user id."""
    return f"`{value[:40]}` is not a Slack user. Choose a person for “Requested by”."


STEP_INTERRUPTED = (
    "Imagine restarted before this step finished, so no images were posted. "
    "Run the workflow again."
)


# --- Installation pages and uninstalled workspaces (OAuth mode, issue #11) ---------------------

INSTALL_PAGE_TITLE = "Add Imagine to Slack"
INSTALL_PAGE_TEXT = (
    "Imagine turns a prompt into images right where your team works: /imagine, message "
    "shortcuts and mentions. Add it to your Slack workspace:"
)
INSTALLED_TITLE = "Imagine is installed"
INSTALL_FAILED_TITLE = "Imagine was not installed"
INSTALL_AGAIN = "Start again from the Add to Slack page"
NOT_INSTALLED = (
    ":warning: Imagine is no longer installed in this workspace, so it cannot answer. "
    "Ask a workspace admin to add it again."
)
_INSTALL_FAILURES = {
    "access_denied": "The installation was cancelled, so nothing was installed.",
    "invalid_browser": (
        "This installation was started in another browser, or its link has expired, so it "
        "cannot be finished here."
    ),
    "invalid_state": "This installation link has expired or has already been used.",
    "missing_code": "Slack did not send an authorization code.",
    "invalid_code": (
        "Slack did not accept the installation: the authorization code was refused or has "
        "expired, or Slack could not be reached."
    ),
    "storage_error": "Imagine could not save the installation. Please try again in a few minutes.",
    "server_error": "Imagine could not finish the installation. Please try again in a few minutes.",
}


def installed(team_name: str | None) -> str:
    """The page after a successful installation (plain text; the page escapes it)."""
    where = f"the {team_name} workspace" if team_name else "your workspace"
    return (
        f"Imagine is now in {where}. Type /imagine and a prompt in any channel, or open "
        "Imagine's Home tab to get started."
    )


def install_failed(reason: str) -> str:
    """Why an installation failed (``reason``: Bolt's failure reason, or the ``error`` Slack put
    on the redirect), in plain text; the page escapes it."""
    known = _INSTALL_FAILURES.get(reason)
    if known is None:
        known = f"Slack reported an error: {reason[:100]}."
    return f"{known} {INSTALL_AGAIN}."
