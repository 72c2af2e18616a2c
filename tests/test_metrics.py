"""``GET /metrics``: Prometheus text from the app's own registry, moved by real requests going
through the app (signed /imagine, FakeSlack, respx OpenAI)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics, outcome_of
from tests.conftest import responses_answer

METRIC_NAMES = {
    "imagine_requests",
    "imagine_queue_jobs",
    "imagine_waiting_for_capacity",
    "imagine_openai_429",
    "imagine_job_duration_seconds",
    "imagine_openai_request_duration_seconds",
    "imagine_estimated_spend_usd",
}


async def scrape(imagine: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``GET /metrics`` parsed: (sample name, sorted labels) -> value."""
    response = await imagine.http.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    families = list(text_string_to_metric_families(await response.text()))
    names = {family.name for family in families}
    assert names >= METRIC_NAMES
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def rate_limited(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        429,
        headers={"retry-after-ms": "20", "x-request-id": "req_429"},
        json={
            "error": {
                "message": "Rate limit reached for images per minute. Please try again in 1s.",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        },
    )


async def test_a_real_imagine_moves_the_counters(start_imagine: Any, openai_mock: Any) -> None:
    openai_mock["responses"].side_effect = [rate_limited, responses_answer]
    async with start_imagine(user_daily_image_limit=1) as imagine:
        before = await scrape(imagine)
        assert before[("imagine_queue_jobs", (("state", "running"),))] == 0
        assert ("imagine_requests_total", (("outcome", "ok"), ("source", "command"))) not in before

        refused = await imagine.command("--n 2 two foxes")  # over the daily limit of 1
        assert "daily" in refused.body["text"]
        assert (await imagine.command("a fox")).status == 200
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 0)
        after = await scrape(imagine)

    labels = (("outcome", "ok"), ("source", "command"))
    assert after[("imagine_requests_total", labels)] == 1
    refused_labels = (("outcome", "refused_quota"), ("source", "command"))
    assert after[("imagine_requests_total", refused_labels)] == 1
    assert after[("imagine_openai_429_total", (("code", "rate_limit_exceeded"),))] == 1
    model = (("model", "gpt-image-2"), ("quality", "auto"))
    assert after[("imagine_openai_request_duration_seconds_count", model)] == 2  # 429 + answer
    assert after[("imagine_job_duration_seconds_count", model)] == 1
    assert after[("imagine_job_duration_seconds_sum", model)] > 0
    # gpt-image-2 is priced from usage: 12 input and 30 output tokens in the mocked answer.
    spend = after[("imagine_estimated_spend_usd_total", (("model", "gpt-image-2"),))]
    assert spend == pytest.approx((12 * 5.0 + 30 * 30.0) / 1_000_000)
    assert after[("imagine_waiting_for_capacity", ())] == 0


async def test_failures_are_counted_by_kind(start_imagine: Any, openai_mock: Any) -> None:
    openai_mock["responses"].side_effect = [
        httpx.Response(
            400,
            json={"error": {"message": "blocked", "type": "image_generation_user_error",
                            "param": None, "code": "moderation_blocked"}},
        )
    ]  # fmt: skip
    async with start_imagine() as imagine:
        await imagine.command("something refused")
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 0)
        await imagine.slack.wait_for(lambda: imagine.slack.responses)
        metrics = await scrape(imagine)
    labels = (("outcome", "moderation_blocked"), ("source", "command"))
    assert metrics[("imagine_requests_total", labels)] == 1
    assert ("imagine_openai_429_total", (("code", "rate_limit_exceeded"),)) not in metrics
    assert metrics.get(("imagine_estimated_spend_usd_total", (("model", "gpt-image-2"),)), 0) == 0


def test_each_app_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.requests.labels("command", "ok").inc()
    assert (
        second.registry.get_sample_value(
            "imagine_requests_total", {"source": "command", "outcome": "ok"}
        )
        is None
    )
    waiting = [3]
    first.watch_queue(lambda: 1, lambda: waiting[0])
    assert first.registry.get_sample_value("imagine_queue_jobs", {"state": "waiting"}) == 3
    waiting[0] = 0
    assert first.registry.get_sample_value("imagine_queue_jobs", {"state": "waiting"}) == 0


@pytest.mark.parametrize(
    ("outcome", "label"),
    [("ok", "ok"), ("timeout", "timeout"), ("ModerationBlockedError", "moderation_blocked"),
     ("InsufficientQuotaError", "insufficient_quota"), ("APITimeoutError", "api_timeout")],
)  # fmt: skip
def test_outcome_labels(outcome: str, label: str) -> None:
    assert outcome_of(outcome) == label
