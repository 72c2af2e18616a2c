"""Jobs that continue a result (issue #8): an edit (an instruction in the result's thread, or
the Edit… modal), variations, and requests that bring people's own images.

How an edit reaches OpenAI is the backend's business (:class:`bot.openai.backends.EditInputs`):
it continues the response that drew the image (``previous_response_id``) and, when OpenAI no
longer has it (or with the Images API), sends the image itself, downloaded from Slack by its
file id (:func:`bot.inputs.download_input_images`, inside the job, under its payload slot).

Which image: ``#k`` at the start of an instruction names image k of the latest result in the
thread; without it, image 1 (the default, stated in the help text and in the caption).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.command import RawOptions, parse_command_text
from bot.errors import UserInputError
from bot.inputs import InputImage, check_input_files, download_input_images
from bot.jobs import Destination, Job, Source
from bot.openai.backends import EditInputs
from bot.request import ImageRequest, build_request
from bot.settings import Settings
from bot.slack_text import drop_mentions
from bot.store.conversations import Turn

if TYPE_CHECKING:
    from bot.threads import Threads

DEFAULT_IMAGE = 1
VARIATIONS = 3
# Sent to OpenAI with the image to vary (not shown to people).
VARIATION_INSTRUCTION = (
    "Make a new variation of this image: keep its composition, subject and style, and vary the "
    "details."
)
# "#2 make it green", "#2: make it green", "#2, make it green", "#2 - make it green"; a dash
# only as a word of its own, so that "#2 --size landscape …" keeps its options
_IMAGE_NUMBER = re.compile(
    r"^\s*#(\d{1,3})(?=[\s:,;)]|\.(?!\d)|$)(?:[:,;)]|\.(?!\d)|\s+[-–—](?=\s|$)|\s)*"
)


@dataclass(frozen=True)
class Instruction:
    """A parsed refine instruction: ``text`` (Slack escapes undone), the ``options`` given, and
    the image ``number`` (``named`` when the person wrote ``#k``)."""

    text: str
    options: RawOptions
    number: int
    named: bool
    kind: str = "edit"  # "edit", or "help" / "usage" when that is all it says


def parse_instruction(
    text: str, *, max_images: int, prompt_max_chars: int, drop_user_ids: tuple[str, ...] = ()
) -> Instruction:
    """Parse ``[#k] [options] instruction`` (Slack's escaped text of a mention or DM).

    Raises :class:`UserInputError` with the message for the person: an empty instruction
    (:data:`bot.messages.EDIT_EMPTY`), one over ``prompt_max_chars`` (its length and the
    limit), or an option error (as for ``/imagine``).
    """
    text = drop_mentions(text, drop_user_ids)
    number, named = DEFAULT_IMAGE, False
    if match := _IMAGE_NUMBER.match(text):
        number, named, text = int(match.group(1)), True, text[match.end() :]
    parsed = parse_command_text(text, max_images=max_images)
    if parsed.kind == "usage" or (parsed.kind == "help" and text.strip()):
        return Instruction("", RawOptions(), number, named, kind=parsed.kind)
    prompt = parsed.prompt
    if not named and (match := _IMAGE_NUMBER.match(prompt)):
        number, named, prompt = int(match.group(1)), True, prompt[match.end() :]
    return Instruction(check_instruction(prompt, prompt_max_chars), parsed.options, number, named)


def check_instruction(text: str, prompt_max_chars: int) -> str:
    """``text`` stripped; raises :class:`UserInputError` (field ``prompt``) when it is empty
    (:data:`bot.messages.EDIT_EMPTY`) or longer than ``prompt_max_chars`` (its length and the
    limit)."""
    text = text.strip()
    if not text:
        raise UserInputError(messages.EDIT_EMPTY, field="prompt")
    if len(text) > prompt_max_chars:
        raise UserInputError(messages.edit_too_long(len(text), prompt_max_chars), field="prompt")
    return text


def names_an_image(text: str, drop_user_ids: tuple[str, ...] = ()) -> bool:
    """Whether ``text`` (after the mentions) starts with ``#k``: an instruction for an image."""
    return bool(_IMAGE_NUMBER.match(drop_mentions(text, drop_user_ids)))


def edit_request(
    instruction: str, options: RawOptions, parent: Turn, settings: Settings, *, n: int | None = None
) -> ImageRequest:
    """The request of an edit of ``parent``: the instruction as the prompt (no preset frame),
    ``options`` over the parent's size, quality and background, one image unless asked.
    Raises :class:`UserInputError` as :func:`bot.request.build_request` does."""
    base = parent.image_request()
    merged = RawOptions(
        n=options.n if options.n is not None else n,
        size=options.size or (base.size if base else None),
        quality=options.quality or (base.quality if base else None),
        background=options.background or (base.background if base else None),
    )
    return build_request(instruction, merged, settings)


def variations_request(parent: Turn, settings: Settings) -> ImageRequest:
    """The request of variations of an image of ``parent``: :data:`VARIATIONS` images (at most
    MAX_IMAGES) at the parent's size, quality and background, with the variation instruction
    as the prompt and the parent's own words as ``user_prompt`` (history)."""
    request = edit_request(
        VARIATION_INSTRUCTION,
        RawOptions(),
        parent,
        settings,
        n=min(VARIATIONS, settings.max_images),
    )
    user_prompt = parent.user_prompt or request.user_prompt
    return ImageRequest(**{**request.to_dict(), "user_prompt": user_prompt})  # type: ignore[arg-type]


def continue_from(
    client: AsyncWebClient, parent: Turn, number: int, settings: Settings, *, action: str = "edit"
) -> EditInputs:
    """Inputs that continue image ``number`` of ``parent``: its response id, and its Slack file
    as the fallback. Raises :class:`UserInputError` when there is no such image."""
    image = parent.image(number)
    if image is None:
        raise UserInputError(messages.no_such_image(number, len(parent.images)), field="image")
    file_id = image.file_id

    async def images() -> list[InputImage]:
        return await download_input_images(
            client,
            [{"id": file_id}],
            max_bytes=settings.max_input_image_bytes,
            max_images=1,
        )

    return EditInputs(previous_response_id=image.response_id, images=images, action=action)


def attached(client: AsyncWebClient, files: list[dict[str, Any]], settings: Settings) -> EditInputs:
    """Inputs made of the files a person attached (mention, DM, or the message a shortcut was
    used on); checked and downloaded only inside the job."""
    chosen = [dict(file) for file in files]

    async def images() -> list[InputImage]:
        return await download_input_images(
            client,
            chosen,
            max_bytes=settings.max_input_image_bytes,
            max_images=settings.max_input_images,
        )

    return EditInputs(images=images)


def inputs_again(
    client: AsyncWebClient,
    settings: Settings,
    *,
    parent: Turn | None,
    parent_image: int | None,
    files: tuple[str, ...],
) -> EditInputs:
    """The inputs of a job that started from images, made again from what is kept of it (for a
    Regenerate, or to resume it after a restart): image ``parent_image`` (default 1) of
    ``parent`` continued as :func:`continue_from` does, and people's images by Slack file id
    (``files``), fetched again inside the job. Pass ``parent=None`` for a job with files only.
    Raises :class:`UserInputError` when ``parent`` no longer has that image."""
    if parent is None:
        return attached(client, [{"id": file_id} for file_id in files], settings)
    number = parent_image or DEFAULT_IMAGE
    if not files:
        return continue_from(client, parent, number, settings)
    return with_files(client, parent, number, [{"id": file_id} for file_id in files], settings)


def with_files(
    client: AsyncWebClient,
    parent: Turn,
    number: int,
    files: list[dict[str, Any]],
    settings: Settings,
) -> EditInputs:
    """Inputs that edit image ``number`` of ``parent`` together with ``files`` (people's images,
    file objects or ``{"id": ...}``): all are sent as input images, downloaded inside the job.
    Raises :class:`UserInputError` when there is no such image."""
    image = parent.image(number)
    if image is None:
        raise UserInputError(messages.no_such_image(number, len(parent.images)), field="image")
    chosen = [{"id": image.file_id}, *(dict(file) for file in files)]

    async def images() -> list[InputImage]:
        return await download_input_images(
            client, chosen, max_bytes=settings.max_input_image_bytes, max_images=len(chosen)
        )

    return EditInputs(images=images, action="edit")


async def with_inputs_again(
    job: Job, *, client: AsyncWebClient, settings: Settings, threads: Threads
) -> Job:
    """``job`` (rebuilt from a Regenerate entry or the journal, without inputs) with its inputs
    made again by :func:`inputs_again`, its parent turn read from ``threads``. Raises
    :class:`UserInputError` (:func:`bot.messages.edit_expired`) when that turn is no longer
    kept, or when it no longer has the image."""
    parent = None
    if job.parent_id is not None:
        parent = await threads.get(job.parent_id)
        if parent is None:
            raise UserInputError(messages.edit_expired(settings.conversation_retention_days))
    inputs = inputs_again(
        client, settings, parent=parent, parent_image=job.parent_image, files=job.input_files
    )
    return dataclasses.replace(job, inputs=inputs)


def edit_job(
    client: AsyncWebClient,
    parent: Turn,
    instruction: Instruction,
    destination: Destination,
    settings: Settings,
) -> Job:
    """The job that edits image ``instruction.number`` of ``parent`` and posts to
    ``destination`` (the parent's thread). Raises :class:`UserInputError` for a bad option or
    image number."""
    request = edit_request(instruction.text, instruction.options, parent, settings)
    return Job(
        request=request,
        destination=destination,
        source="edit",
        inputs=continue_from(client, parent, instruction.number, settings),
        parent_id=parent.job_id,
        parent_image=instruction.number,
        image_named=instruction.named,
    )


def attached_edit_job(
    client: AsyncWebClient,
    parent: Turn,
    instruction: Instruction,
    files: list[dict[str, Any]],
    destination: Destination,
    settings: Settings,
) -> Job:
    """An edit of ``parent``'s image that also uses the files attached to the instruction
    ("put this logo on it"): the image and the attachments are all sent as input images.
    Raises :class:`UserInputError` for a bad option or image number, or too many files."""
    check_input_files(
        files, max_bytes=settings.max_input_image_bytes, max_images=settings.max_input_images
    )
    request = edit_request(instruction.text, instruction.options, parent, settings)
    inputs = with_files(client, parent, instruction.number, files, settings)
    return Job(
        request=request,
        destination=destination,
        source="edit",
        inputs=inputs,
        parent_id=parent.job_id,
        parent_image=instruction.number,
        image_named=instruction.named,
        input_files=file_ids(files),
    )


def variations_job(
    client: AsyncWebClient, parent: Turn, number: int, destination: Destination, settings: Settings
) -> Job:
    """The job that makes variations of image ``number`` of ``parent`` in ``destination``."""
    return Job(
        request=variations_request(parent, settings),
        destination=destination,
        source="variation",
        inputs=continue_from(client, parent, number, settings),
        parent_id=parent.job_id,
        parent_image=number,
        image_named=True,
    )


def new_job(
    prompt: str,
    options: RawOptions,
    destination: Destination,
    settings: Settings,
    *,
    source: Source,
    client: AsyncWebClient,
    files: list[dict[str, Any]] | None = None,
) -> Job:
    """A new generation; with ``files``, those images are its input. Raises
    :class:`UserInputError` for a bad prompt or option, and for files that are visibly unusable
    (too many, not PNG/JPEG/WebP, too big: :func:`bot.inputs.check_input_files`), so the person
    hears it at once."""
    request = build_request(prompt, options, settings)
    if files:
        check_input_files(
            files, max_bytes=settings.max_input_image_bytes, max_images=settings.max_input_images
        )
    inputs = attached(client, files, settings) if files else None
    return Job(
        request=request,
        destination=destination,
        source=source,
        inputs=inputs,
        input_files=file_ids(files or []),
    )


def file_ids(files: list[dict[str, Any]]) -> tuple[str, ...]:
    """The Slack file ids of ``files`` (file objects of a message or ``{"id": ...}``)."""
    return tuple(str(file["id"]) for file in files if file.get("id"))
