"""Logging set-up with secret redaction.

:class:`RedactingFormatter` removes the configured secrets and anything shaped like a Slack
token, an OpenAI key, a bearer or basic credential or a ``response_url`` from every formatted
line, tracebacks included, whichever library logged it (slack_sdk, httpx, aiohttp, bolt).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

REDACTED = "[redacted]"
_PATTERNS = (
    re.compile(r"xox[abeoprs]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"xwfp-[A-Za-z0-9-]+"),  # a workflow step's execution token (issue #9)
    re.compile(r"sk-[A-Za-z0-9_-]{8,}"),
    re.compile(r"(?i)((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(https://hooks\.slack(?:-gov)?\.com/)\S+"),
)


class RedactingFormatter(logging.Formatter):
    """A formatter that replaces ``secrets`` (exact values) and token-shaped text with
    ``[redacted]`` in the whole formatted record, exception text included."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        # Longest first, so a secret that contains another is removed whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` with every secret removed."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
        return text

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def configure_logging(level: str, secrets: Iterable[str], stream: TextIO | None = None) -> None:
    """Send every logger's records to ``stream`` (stderr) at ``level`` through a
    :class:`RedactingFormatter`, replacing any handlers already on the root logger."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
