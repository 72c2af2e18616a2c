"""Strict local fakes of the Slack Web API and the OpenAI image API, for tests and benchmarks.

Both are aiohttp applications served on 127.0.0.1 at an OS-chosen port while used as an async
context manager in the running event loop::

    async with FakeSlack(bot_token="xoxb-test") as slack:        # slack.base_url ends in /api/
        client = AsyncWebClient(base_url=slack.base_url, token="xoxb-test")
    async with FakeOpenAI(api_key="sk-test") as oai:             # oai.base_url ends in /v1
        ...

Each module also runs standalone (``python -m tests.fakes.slack_api --port 8010``) and prints
``READY <base_url>`` once it listens. This package holds the machinery both share
(:class:`LocalServer`, :class:`FaultQueue`); the fakes themselves are imported lazily so that
``python -m`` does not import a module twice.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aiohttp import web

if TYPE_CHECKING:  # the real imports happen lazily, in __getattr__
    from tests.fakes.images import make_png, png_base64, png_chunks, png_size
    from tests.fakes.openai_api import FakeOpenAI, OpenAIFault, OpenAIRequest
    from tests.fakes.slack_api import FakeSlack, SlackCall, SlackFault, SlackMessage

__all__ = [
    "FakeOpenAI",
    "FakeSlack",
    "FaultQueue",
    "LocalServer",
    "OpenAIFault",
    "OpenAIRequest",
    "SlackCall",
    "SlackFault",
    "SlackMessage",
    "make_png",
    "png_base64",
    "png_chunks",
    "png_size",
]

_LAZY = {
    "FakeSlack": "slack_api",
    "SlackCall": "slack_api",
    "SlackFault": "slack_api",
    "SlackMessage": "slack_api",
    "FakeOpenAI": "openai_api",
    "OpenAIFault": "openai_api",
    "OpenAIRequest": "openai_api",
    "make_png": "images",
    "png_base64": "images",
    "png_chunks": "images",
    "png_size": "images",
}


def __getattr__(name: str) -> Any:
    """Import the public classes of the submodules on first use (PEP 562)."""
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


F = TypeVar("F")


@dataclass
class _Pending(Generic[F]):
    key: str
    fault: F
    remaining: int


class FaultQueue(Generic[F]):
    """Faults waiting to be served, in the order they were added.

    :meth:`add` queues ``fault`` for ``times`` requests whose key matches; :meth:`take` hands out
    (and uses up) the first matching fault, or ``None``.
    """

    def __init__(self) -> None:
        self._pending: list[_Pending[F]] = []

    def add(self, key: str, fault: F, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests matching ``key``."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._pending.append(_Pending(key, fault, times))

    def take(self, matches: Callable[[str], bool]) -> F | None:
        """The first queued fault whose key satisfies ``matches``, consumed once; else ``None``."""
        for pending in self._pending:
            if matches(pending.key):
                pending.remaining -= 1
                if pending.remaining == 0:
                    self._pending.remove(pending)
                return pending.fault
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        self._pending.clear()

    def __len__(self) -> int:
        return sum(p.remaining for p in self._pending)


class LocalServer:
    """An aiohttp :class:`web.Application` (``self.app``) served on ``host`` at ``port``
    (0 = chosen by the OS) in the current event loop.

    Use ``async with server:`` (or :meth:`start` / :meth:`stop`). ``origin`` is
    ``http://127.0.0.1:PORT``. ``closing`` is set while the server stops, so handlers that
    sleep or hang can end early. Subclasses add routes and override :meth:`describe`,
    :meth:`add_arguments` and :meth:`from_args` for the command line (:meth:`main`).
    """

    #: Largest request body accepted, in bytes (uploads of generated images are a few MB).
    max_body_bytes = 64 * 1024 * 1024

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=self.max_body_bytes)
        self.closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def origin(self) -> str:
        """``http://HOST:PORT`` (the port is known once started)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The URL clients are configured with; subclasses define it."""
        raise NotImplementedError

    async def start(self) -> None:
        """Bind the socket and serve. ``port`` becomes the real port."""
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        self.closing.clear()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner

    async def stop(self) -> None:
        """Wake sleeping or hanging handlers, close connections and release the port."""
        self.closing.set()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Any:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` (``inf`` = until the server stops). Returns False when the server
        began stopping first, so the handler can give up."""
        try:
            await asyncio.wait_for(
                self.closing.wait(), None if seconds == float("inf") else seconds
            )
        except TimeoutError:
            return True
        return False

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll ``predicate()`` every 20 ms until it returns something truthy, and return that.

        Raises ``AssertionError`` after ``timeout`` seconds, listing what the fake recorded.
        """
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"condition not met within {timeout:g}s; {type(self).__name__} recorded:\n"
                    + self.describe()
                )
            await asyncio.sleep(0.02)

    def describe(self) -> str:
        """A short human-readable account of what the server received (for failure messages)."""
        return "(nothing)"

    # --- command line ---------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add the subclass's own command-line options."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> LocalServer:
        """Build the server from parsed command-line options."""
        return cls(host=args.host, port=args.port)

    @classmethod
    def main(cls, argv: list[str] | None = None) -> None:
        """Serve until SIGTERM or SIGINT; print ``READY <base_url>`` (flushed) once listening."""
        parser = argparse.ArgumentParser(description=(cls.__doc__ or "").strip().splitlines()[0])
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
        )
        parser.add_argument(
            "--port", type=int, default=0, help="port to bind (default: any free port)"
        )
        cls.add_arguments(parser)
        args = parser.parse_args(argv)

        async def serve() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            async with cls.from_args(args) as server:
                print(f"READY {server.base_url}", flush=True)
                await stop.wait()

        asyncio.run(serve())
        sys.stdout.flush()
