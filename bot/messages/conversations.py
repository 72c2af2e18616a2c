"""Conversations: refine in the thread, variations, people's images as input (issue #8).

Part of :mod:`bot.messages` (every sentence users read); Slack mrkdwn.
"""

from __future__ import annotations

from bot.messages.format import plural
from bot.messages.progress import caption
from bot.slack_text import escape_mrkdwn

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


NOTHING_MADE_TO_EDIT = (
    "The image this was meant to change was not made (it failed or was cancelled), so there "
    "is nothing to edit. Mention me with a prompt, or start with /imagine."
)

EDIT_AFTER_CURRENT = (
    ":hourglass_flowing_sand: Got it: I'll make this change to the version being made now, "
    "as soon as it is ready."
)


def images_without_words(in_dm: bool) -> str:
    """Shown for images sent with no instruction (a mention with nothing else, or a DM)."""
    mention = "" if in_dm else "@Imagine "
    return (
        "Tell me what to do with your image, in the same message: e.g. "
        f"`{mention}make this photo a watercolour` or `{mention}put this logo on a coffee mug`."
    )


def using_images(count: int) -> str:
    """The shortcut modal's note when the message has images."""
    return f"Using {plural(count, 'image')} from the message as a reference."


def images_beyond(count: int, limit: int) -> str:
    """The shortcut modal's note when the message has more usable images than
    MAX_INPUT_IMAGES."""
    return f"the message has {plural(count, 'image')}; the first {limit:,} are used."


def images_left_out(reasons: list[str]) -> str:
    """The shortcut modal's note on the message's images that cannot be used, one reason each
    (from :func:`input_not_an_image`, :func:`input_too_big`, :func:`input_too_many`)."""
    return ":information_source: Left out: " + " ".join(reasons)


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


# --- Input images and edits (issue #8, OpenAI side) ---------------------------------------------

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
    """Shown for a file over MAX_INPUT_IMAGE_BYTES (``size`` ``None``: found while downloading);
    sizes that round alike are given in bytes ("20,000,001 bytes; … at most 20,000,000")."""
    if size is not None and _size(size) == _size(limit):
        what, most = f"is {size:,} bytes", f"{limit:,} bytes"
    else:
        what = f"is {_size(size)}" if size is not None else f"is larger than {_size(limit)}"
        most = _size(limit)
    return f"{escape_mrkdwn(name)} {what}; images can be at most {most}. Attach a smaller one."


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


def input_hidden(name: str) -> str:
    """Shown for a file Slack hides from the app because of the workspace's plan limits
    (``mode: hidden_by_limit``: older than the free plan's visible history)."""
    return (
        f"I can't see {escape_mrkdwn(name)}: Slack hides it because of this workspace's plan "
        "limits (older files). Upload it again and retry."
    )


def input_download_failed(name: str) -> str:
    """Shown when downloading a file from Slack failed (network, timeout, Slack error)."""
    return f"I couldn't download {escape_mrkdwn(name)} from Slack just now. Please try again."


__all__ = [
    "EDIT_BUTTON",
    "EDIT_EMPTY",
    "EDIT_IMAGE_LABEL",
    "EDIT_INSTRUCTION_LABEL",
    "EDIT_INSTRUCTION_PLACEHOLDER",
    "EDIT_MENU",
    "EDIT_MODAL_SUBMIT",
    "EDIT_MODAL_TITLE",
    "EDIT_NEEDS_GPT_IMAGE",
    "INPUT_IMAGE_TYPES",
    "INPUT_LOGIN_PAGE",
    "INPUT_NO_ACCESS",
    "LEAVE_OUT_IMAGES",
    "REFINE_HELP",
    "REFINE_NO_RESULT",
    "RESULT_NOT_LOCATED",
    "VARIATIONS_BUTTON",
    "VARIATIONS_MENU",
    "edit_expired",
    "images_without_words",
    "EDIT_AFTER_CURRENT",
    "NOTHING_MADE_TO_EDIT",
    "images_beyond",
    "images_left_out",
    "edit_too_long",
    "image_label",
    "input_content_mismatch",
    "input_download_failed",
    "input_hidden",
    "input_not_an_image",
    "input_too_big",
    "input_too_many",
    "input_unavailable",
    "no_such_image",
    "result_caption",
    "using_images",
]
