"""No secret reaches a log line: every logger at DEBUG, a whole job, and tracebacks."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import RedactingFormatter, configure_logging
from tests.conftest import BOT_TOKEN, OPENAI_KEY, SIGNING_SECRET

SECRETS = (BOT_TOKEN, SIGNING_SECRET, OPENAI_KEY)


@pytest.fixture
def captured_logs():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("DEBUG", SECRETS, stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def test_formatter_redacts_values_shapes_and_tracebacks(captured_logs) -> None:
    log = logging.getLogger("anything.at.all")
    log.debug("token %s and key %s", BOT_TOKEN, OPENAI_KEY)
    log.info(
        "headers {'Authorization': 'Bearer xoxb-9-9-other'} hook https://hooks.slack.com/actions/T1/2/abc"
    )
    log.warning("app token xapp-1-A1-123-abc signing %s", SIGNING_SECRET)
    log.debug("event {'bot_access_token': 'xwfp-1-2-workflowsteptoken'}")
    try:
        raise RuntimeError(f"failed with {OPENAI_KEY} and {SIGNING_SECRET}")
    except RuntimeError:
        log.exception("boom")
    text = captured_logs.getvalue()
    shapes = ("xoxb-9-9-other", "xapp-1-A1-123-abc", "/actions/T1/2/abc", "xwfp-1-2-workflow")
    for secret in (*SECRETS, *shapes):
        assert secret not in text
    assert text.count("[redacted]") >= 8
    assert "Traceback" in text and "RuntimeError" in text


def test_redact_keeps_ordinary_text() -> None:
    formatter = RedactingFormatter("%(message)s", ["s3cr3t-value"])
    assert formatter.redact("a flying car, sk-short") == "a flying car, sk-short"
    assert formatter.redact("x s3cr3t-value y") == "x [redacted] y"


async def test_a_whole_job_at_debug_logs_no_secret(captured_logs, start_imagine) -> None:
    async with start_imagine(log_level="DEBUG") as imagine:
        await imagine.command("--n 2 a fox")
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        await imagine.slack.wait_for(lambda: imagine.slack.calls_to("chat.postMessage"))
        await imagine.command("--n 9 a fox")  # a refused one too
    text = captured_logs.getvalue()
    assert "job id=" in text and "outcome=ok" in text  # the run was logged
    assert (
        "slack_sdk" in text or "slack_bolt" in text or "bot.bolt" in text
    )  # library DEBUG output seen
    for secret in SECRETS:
        assert secret not in text
