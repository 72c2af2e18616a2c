"""The burst's load generator: signed requests fired at once from a process of its own.

Slack sends a burst of commands from many machines; a load generator that shares its event
loop with the fake Slack and OpenAI servers, or spends a millisecond of CPU per request in a
general-purpose HTTP client, adds its own queueing to every latency it measures. So the burst
is fired by :class:`BurstClient`: one worker process (started, and its imports paid, before the
burst) that writes each prepared HTTP/1.1 request on its own connection with plain asyncio
streams and reads the answer to the end (``Connection: close``). Latency is from just before
the connection is opened to the last byte of the answer; ``time.monotonic`` is system-wide on
Linux, so the moment the first request was sent is comparable with the parent's clock.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from urllib.parse import urlsplit

from bench.report import Ack

REQUEST_TIMEOUT_S = 60.0


class BurstClient:
    """A worker process that fires bursts: use as ``with BurstClient() as client`` and
    ``await client.fire(url, requests)``."""

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )

    def __enter__(self) -> BurstClient:
        self._pool.submit(_ready).result()  # the worker is up and has imported this module
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(cancel_futures=True)

    async def fire(
        self, url: str, requests: list[tuple[str, dict[str, str]]]
    ) -> tuple[float, list[Ack]]:
        """POST each ``(body, headers)`` to ``url`` at once. Returns the moment the first was
        sent (``time.monotonic()``) and one :class:`Ack` per request, in order."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _fire_blocking, url, requests)


def _ready() -> bool:
    return True


def _fire_blocking(url: str, requests: list[tuple[str, dict[str, str]]]) -> tuple[float, list[Ack]]:
    return asyncio.run(_fire(url, requests))


async def _fire(url: str, requests: list[tuple[str, dict[str, str]]]) -> tuple[float, list[Ack]]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    prepared = [
        (_http_request(host, port, parts.path, body, headers), body.startswith("{"))
        for body, headers in requests
    ]
    first_sent = time.monotonic()
    acks = await asyncio.gather(*(_one(host, port, raw, event) for raw, event in prepared))
    return first_sent, list(acks)


def _http_request(host: str, port: int, path: str, body: str, headers: dict[str, str]) -> bytes:
    data = body.encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Connection: close",
        f"Content-Length: {len(data)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _one(host: str, port: int, raw: bytes, event: bool) -> Ack:
    sent = time.monotonic()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(raw)
                answer = await _read_answer(reader)
            finally:
                writer.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
        return Ack(time.monotonic() - sent, 0, error=f"{type(exc).__name__}: {exc}")
    latency_s = time.monotonic() - sent
    status, body = _parse_response(answer)
    if status == 0:
        return Ack(latency_s, 0, error=f"unreadable answer: {answer[:80]!r}")
    try:
        text = str(json.loads(body).get("text", ""))
    except (ValueError, AttributeError):
        text = body[:200].decode(errors="replace")
    return Ack(latency_s, status, text, event=event)


async def _read_answer(reader: asyncio.StreamReader) -> bytes:
    """An HTTP/1.1 answer, read up to the end of its body: ``Content-Length`` bytes after the
    head when it gives one (as Slack reads an ack), else to the end of the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return head + await reader.readexactly(int(value))
    return head + await reader.read()


def _parse_response(answer: bytes) -> tuple[int, bytes]:
    """``(status, body)`` of an HTTP/1.1 answer read to the end (``(0, b"")`` when it is not
    one); a chunked body is joined."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    fields = status_line.split()
    if len(fields) < 2 or not fields[0].startswith(b"HTTP/") or not fields[1].isdigit():
        return 0, b""
    chunked = any(
        line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower()
        for line in header_lines
    )
    return int(fields[1]), _unchunk(body) if chunked else body


def _unchunk(body: bytes) -> bytes:
    joined, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        joined, rest = joined + rest[:size], rest[size + 2 :]
    return joined
