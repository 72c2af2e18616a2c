"""What the fake OpenAI accepts as input: the text and images of a Responses ``input``, and the
form or JSON body of ``POST /images/edits``.

Sources (platform.md, "Editing and continuing an image"; ``EasyInputMessage``,
``CreateImageEditRequest`` and ``EditImageBodyJsonParam`` in
``tests/specs/openai-image-schemas.json``):

- A Responses input message with list ``content`` is checked against ``EasyInputMessage`` (the
  OpenAPI document's ``InputItem`` is a ``oneOf`` that wrongly rejects every such message).
  ``input_image`` parts carry ``image_url`` = ``data:image/...;base64,...`` (or a URL, taken on
  trust: the fake does not fetch it); ``file_id`` is refused (the fake has no Files API).
- ``/images/edits`` multipart: ``image`` or ``image[]`` (1-16 PNG, JPEG or WebP files, each under
  50 MB), text fields from ``CreateImageEditRequest`` only. JSON: ``EditImageBodyJsonParam``.

Every image is decoded and its magic bytes checked against its declared type; what was seen is
kept as :class:`SeenImage` (type, size, SHA-256), never the bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from tests.fakes.openai_rules import OpenAIError, invalid, missing, unknown
from tests.openapi import declared_properties, schema_errors

EDIT_MIMETYPES = ("image/png", "image/jpeg", "image/webp")
VISION_MIMETYPES = (*EDIT_MIMETYPES, "image/gif")
MAX_EDIT_IMAGES = 16
MAX_IMAGE_BYTES = 50 * 1024 * 1024
#: Input tokens the fake bills per input image (a 1024x1024 image at detail auto is ~765).
INPUT_IMAGE_TOKENS = 765

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class SeenImage:
    """An input image the fake received: ``mimetype``, ``size`` in bytes, ``sha256`` (hex)."""

    mimetype: str
    size: int
    sha256: str

    @classmethod
    def of(cls, mimetype: str, data: bytes) -> SeenImage:
        """Describe ``data``."""
        return cls(mimetype, len(data), hashlib.sha256(data).hexdigest())


def sniff(data: bytes) -> str | None:
    """The image type the magic bytes of ``data`` say (PNG, JPEG, GIF, WebP), else ``None``."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for magic, mimetype in _MAGIC:
        if data.startswith(magic):
            return mimetype
    return None


def check_image(data: bytes, declared: str, param: str, allowed: tuple[str, ...]) -> SeenImage:
    """Raise :class:`OpenAIError` unless ``data`` is an image of an ``allowed`` type whose magic
    bytes agree with the ``declared`` type and which is under 50 MB."""
    declared = declared.lower().replace("image/jpg", "image/jpeg")
    if declared not in allowed:
        raise OpenAIError(
            400,
            f"Invalid file '{param}': unsupported mimetype ('{declared}'). Supported file formats "
            f"are {', '.join(repr(m) for m in allowed)}.",
            param=param,
            code="invalid_image_format",
        )
    if len(data) > MAX_IMAGE_BYTES:
        raise OpenAIError(400, f"Invalid file '{param}': the image is larger than 50 MB.",
                          param=param, code="image_too_large")  # fmt: skip
    if sniff(data) != declared:
        raise OpenAIError(
            400,
            f"Invalid image '{param}': the file is not a valid {declared.split('/')[1]} image.",
            param=param,
            code="invalid_image",
        )
    return SeenImage.of(declared, data)


def decode_data_url(url: str, param: str, allowed: tuple[str, ...]) -> SeenImage | None:
    """Decode ``data:<type>;base64,<data>`` and check it (:func:`check_image`). Returns ``None``
    for an ``http(s)`` URL (taken on trust); raises :class:`OpenAIError` for anything else."""
    if url.startswith(("https://", "http://")):
        return None
    head, sep, encoded = url.partition(",")
    if not (url.startswith("data:") and sep and head.endswith(";base64")):
        raise OpenAIError(
            400,
            f"Invalid '{param}'. Expected a base64-encoded data URL with an image MIME type "
            "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), or a URL.",
            param=param,
            code="invalid_value",
        )
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise OpenAIError(400, f"Invalid '{param}': the base64 data is malformed.", param=param,
                          code="invalid_value") from None  # fmt: skip
    return check_image(data, head.removeprefix("data:").removesuffix(";base64"), param, allowed)


def responses_input(value: Any) -> tuple[str, list[SeenImage]]:
    """The user's text and input images in a Responses ``input``: a string, or a list of
    ``message`` items (content a string or a list of ``input_text`` / ``input_image`` parts).

    Raises :class:`OpenAIError` for another type of ``input``, an item that is not a message
    (this fake models messages only), a message that breaks ``EasyInputMessage``, an
    ``input_image`` without a usable ``image_url``, or no text at all.
    """
    if isinstance(value, str):
        return value, []
    if not isinstance(value, list) or not value:
        message = "Invalid type for 'input': expected a string or a non-empty array."
        raise OpenAIError(400, message, param="input", code="invalid_type")
    texts: list[str] = []
    images: list[SeenImage] = []
    for index, item in enumerate(value):
        param = f"input[{index}]"
        if not isinstance(item, dict) or item.get("type", "message") != "message":
            raise invalid(param, item if not isinstance(item, dict) else item.get("type"))
        problems = schema_errors("EasyInputMessage", item)
        if problems:
            raise OpenAIError(400, f"Invalid '{param}': {problems[0][:300]}", param=param,
                              code="invalid_value")  # fmt: skip
        for key in item:
            if key not in declared_properties("EasyInputMessage"):
                raise unknown(f"{param}.{key}")
        if item["role"] != "user":
            continue
        content = item["content"]
        if isinstance(content, str):
            texts.append(content)
            continue
        for part_index, part in enumerate(content):
            part_param = f"{param}.content[{part_index}]"
            if part["type"] == "input_text":
                texts.append(part["text"])
            elif part["type"] == "input_image":
                images.extend(_input_image(part, part_param))
            else:
                raise invalid(f"{part_param}.type", part["type"], ("input_text", "input_image"))
    if not any(text.strip() for text in texts):
        raise missing("input[].content[].text")
    return "\n".join(texts), images


def _input_image(part: dict[str, Any], param: str) -> list[SeenImage]:
    if part.get("file_id") is not None:
        raise OpenAIError(404, f"No such File object: {part['file_id']}", param=f"{param}.file_id",
                          code="file_not_found")  # fmt: skip
    url = part.get("image_url")
    if not isinstance(url, str):
        raise missing(f"{param}.image_url")
    seen = decode_data_url(url, f"{param}.image_url", VISION_MIMETYPES)
    return [] if seen is None else [seen]


# --- /images/edits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EditForm:
    """A parsed ``/images/edits`` request: ``options`` (text fields, numbers already parsed),
    ``images`` seen, ``multipart`` whether it came as a form."""

    options: dict[str, Any]
    images: list[SeenImage]
    multipart: bool


_FORM_NUMBERS = ("n", "output_compression", "partial_images")


def edit_multipart(fields: dict[str, str], files: list[tuple[str, str, str, bytes]]) -> EditForm:
    """Check a multipart ``/images/edits`` body: ``fields`` (name -> text; repeated names are
    refused) and ``files`` as ``(field, filename, content_type, data)``.

    Raises :class:`OpenAIError` for a field ``CreateImageEditRequest`` does not declare, a file
    in a field other than ``image`` / ``image[]`` / ``mask``, no image, more than 16, or an image
    that is not PNG, JPEG or WebP by type and magic bytes.
    """
    declared = declared_properties("CreateImageEditRequest")
    for name in fields:
        if name in ("image", "image[]", "mask"):
            raise OpenAIError(400, f"Invalid '{name}': expected a file upload, got a text field.",
                              param=name, code="invalid_value")  # fmt: skip
        if name not in declared:
            raise unknown(name)
    images: list[SeenImage] = []
    for index, (field, filename, content_type, data) in enumerate(files):
        if field == "mask":
            check_image(data, content_type, "mask", ("image/png",))
            continue
        if field not in ("image", "image[]"):
            raise unknown(field)
        if not filename:
            raise OpenAIError(400, f"Invalid file 'image[{index}]': a filename is required.",
                              param="image", code="invalid_value")  # fmt: skip
        images.append(check_image(data, content_type, f"image[{index}]", EDIT_MIMETYPES))
    if not images:
        raise missing("image")
    if len(images) > MAX_EDIT_IMAGES:
        raise OpenAIError(400, f"Invalid 'image': expected at most {MAX_EDIT_IMAGES} images, got "
                          f"{len(images)}.", param="image", code="invalid_value")  # fmt: skip
    options: dict[str, Any] = dict(fields)
    for name in _FORM_NUMBERS:
        if name in options:
            try:
                options[name] = int(options[name])
            except ValueError:
                raise invalid(name, options[name]) from None
    if "stream" in options:
        if options["stream"] not in ("false", "true"):
            raise invalid("stream", options["stream"])
        options["stream"] = options["stream"] == "true"
    return EditForm(options, images, multipart=True)


def edit_json(body: dict[str, Any]) -> EditForm:
    """Check a JSON ``/images/edits`` body against ``EditImageBodyJsonParam`` and decode its
    ``images[].image_url`` data URLs (``file_id`` is refused: the fake has no Files API)."""
    for name in body:
        if name not in declared_properties("EditImageBodyJsonParam"):
            raise unknown(name)
    if "images" not in body:
        raise missing("images")
    problems = schema_errors("EditImageBodyJsonParam", body)
    if problems:
        raise OpenAIError(400, f"Invalid request: {problems[0][:300]}", code="invalid_value")
    images: list[SeenImage] = []
    for index, ref in enumerate(body["images"]):
        if "file_id" in ref:
            raise OpenAIError(404, f"No such File object: {ref['file_id']}",
                              param=f"images[{index}].file_id", code="file_not_found")  # fmt: skip
        seen = decode_data_url(ref["image_url"], f"images[{index}].image_url", EDIT_MIMETYPES)
        if seen is not None:
            images.append(seen)
    options = {k: v for k, v in body.items() if k not in ("images", "mask") and v is not None}
    return EditForm(options, images, multipart=False)
