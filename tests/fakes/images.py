"""Valid PNG files made with the standard library, for the fake OpenAI server and for tests.

:func:`make_png` builds a real PNG (signature, ``IHDR``, ``IDAT``, ``IEND``, correct CRCs). With
``target_bytes`` it makes a large, incompressible one of about that size, which is what a
benchmark needs to push realistic payloads (1.5-3 MB per image) through base64, Slack uploads
and memory. Results are cached, so a server under load does no per-request CPU work.
"""

from __future__ import annotations

import base64
import functools
import math
import random
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = 3  # 8-bit RGB (colour type 2)
_OVERHEAD = 8 + 25 + 12 + 12  # signature, IHDR, IDAT framing, IEND (zlib framing is not counted)


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 of type + data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _gradient_rows(width: int, height: int) -> bytes:
    """Scanlines (filter byte 0 + RGB) of a smooth gradient: small once compressed."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes((x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 128))
    return bytes(rows)


def _noise_rows(width: int, height: int) -> bytes:
    """Scanlines of seeded pseudo-random pixels: the same bytes every run, incompressible."""
    noise = random.Random(20240601).randbytes(width * height * _CHANNELS)
    row = width * _CHANNELS
    return b"".join(b"\x00" + noise[y * row : (y + 1) * row] for y in range(height))


def _noise_dimensions(width: int, height: int, target_bytes: int) -> tuple[int, int]:
    """Width and height close to ``width:height`` whose raw RGB data is about ``target_bytes``."""
    scale = math.sqrt(max(target_bytes - _OVERHEAD, 1) / (width * height * _CHANNELS))
    new_width = max(1, round(width * scale))
    new_height = max(1, round((target_bytes - _OVERHEAD) / (new_width * _CHANNELS + 1)))
    return new_width, new_height


@functools.lru_cache(maxsize=32)
def make_png(width: int = 64, height: int = 64, target_bytes: int | None = None) -> bytes:
    """A valid 8-bit RGB PNG file (bytes).

    Without ``target_bytes``: exactly ``width`` x ``height`` pixels of a gradient, compressed
    (a 64x64 image is about 300 bytes). With ``target_bytes``: seeded random pixels stored with
    zlib level 0, the dimensions scaled from ``width:height`` (aspect ratio kept) so the file is
    within about 0.5% of ``target_bytes``; read the real size from ``IHDR`` (:func:`png_size`).
    Cached by arguments.
    """
    if width < 1 or height < 1:
        raise ValueError("width and height must be positive")
    if target_bytes is None:
        rows, level = _gradient_rows(width, height), 9
    else:
        width, height = _noise_dimensions(width, height, target_bytes)
        rows, level = _noise_rows(width, height), 0
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows, level)),
            _chunk(b"IEND", b""),
        )
    )


@functools.lru_cache(maxsize=32)
def png_base64(width: int = 64, height: int = 64, target_bytes: int | None = None) -> str:
    """``make_png(...)`` as base64 text (what OpenAI puts in ``b64_json`` / ``result``). Cached."""
    return base64.b64encode(make_png(width, height, target_bytes)).decode("ascii")


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split a PNG into ``(type, data)`` chunks, checking the signature and every CRC.

    Raises ``ValueError`` on anything malformed. Useful to assert that bytes are a real PNG.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG: bad signature")
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(data):
        if offset + 12 > len(data):
            raise ValueError(f"truncated chunk at byte {offset}")
        (length,) = struct.unpack_from(">I", data, offset)
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack_from(">I", data, offset + 8 + length)
        if len(body) != length or zlib.crc32(kind + body) != crc:
            raise ValueError(f"bad {kind!r} chunk at byte {offset}")
        chunks.append((kind, body))
        offset += 12 + length
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise ValueError("a PNG starts with IHDR and ends with IEND")
    return chunks


def png_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` in pixels from a PNG's ``IHDR`` (validated with :func:`png_chunks`)."""
    return struct.unpack(">II", png_chunks(data)[0][1][:8])
