"""Pacing to OpenAI's rate limits (bot/openai/pacing.py): header parsing, the model against
recorded header sequences, and simulations against the fake's limiter on a made-up clock (no
sleeping): a burst under 10 images per minute goes out without 429s and near the floor, also
from two instances that share nothing but the headers."""

from __future__ import annotations

import heapq
import itertools
import math
import random

import pytest

from bot.openai.pace_model import BACK_OFF, MARGIN_S, PaceModel
from bot.openai.ratelimit_headers import parse_duration, read_windows, try_again_in
from tests.fakes.openai_limits import RateLimits, go_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("59.04s", 59.04),
        ("0s", 0.0),
        ("12", 12.0),
        ("150us", 0.00015),
        ("soon", None),
        ("6x", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_duration(text: str | None, seconds: float | None) -> None:
    parsed = parse_duration(text)
    assert parsed == (None if seconds is None else pytest.approx(seconds))


def test_durations_written_by_the_fake_read_back() -> None:
    for seconds in (0.02, 0.5, 1, 6, 6.5, 59.9, 60, 61.25, 360):
        assert parse_duration(go_duration(seconds)) == pytest.approx(seconds, abs=0.001)


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("Rate limit reached for images per minute (IPM): Limit 5, Used 5, Requested 1. "
         "Please try again in 12s.", 12.0),
        ("... Please try again in 1m30s. Visit https://platform.openai.com", 90.0),
        ("Please try again in 20ms.", 0.02),
        ("Please try again in 6.5s", 6.5),
        ("Rate limit reached.", None),
        (None, None),
    ],
)  # fmt: skip
def test_try_again_in(message: str | None, seconds: float | None) -> None:
    assert try_again_in(message) == (None if seconds is None else pytest.approx(seconds))


def test_read_windows_finds_every_dimension_case_insensitively() -> None:
    windows = read_windows(
        {
            "X-RateLimit-Limit-Requests": "500",
            "x-ratelimit-remaining-requests": "499",
            "x-ratelimit-reset-requests": "120ms",
            "x-ratelimit-limit-tokens": "100000",
            "x-ratelimit-remaining-tokens": "99000",
            "x-ratelimit-reset-tokens": "600ms",
            "x-ratelimit-limit-images": "10",
            "x-ratelimit-remaining-images": "0",
            "x-ratelimit-reset-images": "6m0s",
            "x-request-id": "req_1",
        }
    )
    assert set(windows) == {"requests", "tokens", "images"}
    assert windows["images"].limit == 10 and windows["images"].remaining == 0
    assert windows["images"].reset_s == 360
    assert windows["requests"].reset_s == pytest.approx(0.12)


def images_headers(limit: int, remaining: int, reset: str) -> dict[str, str]:
    return {
        "x-ratelimit-limit-images": str(limit),
        "x-ratelimit-remaining-images": str(remaining),
        "x-ratelimit-reset-images": reset,
    }


def test_recorded_sequence_paces_a_ten_per_minute_organisation() -> None:
    model = PaceModel(now=0)
    probe = model.admit(0, 1)
    # Nothing known yet: a few probes go (the lowest tier's 5 IPM), the rest wait for headers.
    for _ in range(4):
        assert model.delay(0, 1) == 0
        model.admit(0, 1)
    assert math.isinf(model.delay(0, 1))
    # The probe's answer (recorded from the fake at 10 IPM): 9 left, full again in 6 s.
    model.observe(5.0, probe, images_headers(10, 9, "6s"))
    # 5 admitted since: 10 - 5 = 5 left, plus 5 s of refill (10/min) = ~5.83.
    assert model.buckets["images"].level(5.0) == pytest.approx(5 + 5 / 6, abs=0.01)
    for _ in range(5):
        assert model.delay(5.0, 1) == 0
        model.admit(5.0, 1)
    # 0.83 token: 1 s to the next (plus the margin kept for clock noise)
    assert model.delay(5.0, 1) == pytest.approx(1 + MARGIN_S, abs=0.02)
    assert model.delay(5.0, 1, ahead=2) == pytest.approx(13 + MARGIN_S, abs=0.02)  # third


def test_lower_remaining_from_another_instance_is_adopted() -> None:
    model = PaceModel(now=0)
    first = model.admit(0, 1)
    model.observe(1.0, first, images_headers(10, 9, "6s"))
    assert model.delay(1.0, 1) == 0
    # Someone else used 6 images meanwhile: the next answer says only 2 were left.
    second = model.admit(2.0, 1)
    model.observe(3.0, second, images_headers(10, 2, "48s"))
    assert model.buckets["images"].level(3.0) == pytest.approx(2 + 1 / 6, abs=0.01)
    model.admit(3.0, 1)
    model.admit(3.0, 1)
    # 0.17 token left, and from now on it counts on a smaller share of the refill.
    assert model.buckets["images"].factor == pytest.approx(BACK_OFF)
    assert model.delay(3.0, 1) == pytest.approx(5 / BACK_OFF + MARGIN_S, abs=0.1)


def test_a_429_blocks_until_its_hint_and_counts() -> None:
    model = PaceModel(now=0, images_per_minute=600)  # a ceiling far above these calls
    call = model.admit(0, 1)
    model.observe(0.1, call, {})  # a server without rate-limit headers
    assert model.delay(0.1, 1) == 0
    model.rate_limit(0.2, 0.75, "Please try again in 750ms.")  # retry-after-ms: 750
    assert model.delay(0.2, 1) == pytest.approx(0.75, abs=0.2)
    assert model.delay(1.2, 1) == 0
    model.rate_limit(1.2, None, "Rate limit reached. Please try again in 12s.")
    assert model.delay(1.2, 1) == pytest.approx(12, abs=0.2)
    model.rate_limit(20.0, None, "Rate limit reached.")  # no hint at all: a short backoff
    assert 0 < model.delay(20.0, 1) <= 2.2
    assert model.rate_limited == 3


def test_without_headers_a_429s_stated_limit_paces_the_calls() -> None:
    """A server that sends no rate-limit headers: the limit its 429 names paces what follows
    (a burst sent before anything was known comes back as 429s about one limit, and counts
    once), so the calls held back do not all go at once when the hint has passed."""
    model = PaceModel(now=0, rng=random.Random(1))
    model.observe(0.1, model.admit(0, 1), {})  # answered, no headers
    burst = [model.admit(0.2, 1) for _ in range(20)]
    message = (
        "Rate limit reached for gpt-image-2 in organization org-x on images per minute (IPM): "
        "Limit 10, Used 10, Requested 1. Please try again in 6s."
    )
    for admission in burst[10:]:
        model.observe(1.0, admission, {"retry-after": "6"})
        model.rate_limit(1.0, 6.0, message)
    bucket = model.buckets["images"]
    assert (bucket.capacity, bucket.factor) == (10, 1.0)  # the stated limit, counted once
    first = 1.0 + model.delay(1.0, 1)
    assert first >= 7.0  # not before the hint has passed
    model.admit(first, 1)
    assert model.delay(first, 1) == pytest.approx(6, abs=0.2)  # then one image every 6 s


def test_a_429_that_names_no_limit_paces_by_its_hint_and_adapts() -> None:
    """No headers, and a 429 that names no limit: pace at one image per hint (the server asked
    for that wait), growing while calls are answered and shrinking at each later refusal."""
    model = PaceModel(now=0, rng=random.Random(1))
    model.observe(0.1, model.admit(0, 1), {})
    model.rate_limit(1.0, 6.0, "Too many requests")  # retry-after: 6
    guess = model.buckets["images"]
    assert guess.capacity == pytest.approx(10) and guess.guessed
    first = 1.0 + model.delay(1.0, 1)
    assert first == pytest.approx(7.0, abs=0.2)
    model.admit(first, 1)
    assert model.delay(first, 1) == pytest.approx(6, abs=0.2)
    for t in range(3):
        model.observe(100.0 + t, model.admit(100.0 + t, 1), {})
    assert guess.capacity == pytest.approx(13)
    model.rate_limit(200.0, 6.0, "Too many requests")
    assert guess.capacity == pytest.approx(13 * 0.7)  # refused: x 0.7, at most the hint's pace
    headers = {"x-ratelimit-limit-images": "20", "x-ratelimit-remaining-images": "19",
               "x-ratelimit-reset-images": "3s"}  # fmt: skip
    model.observe(201.0, model.admit(201.0, 1), headers)
    assert model.buckets["images"].capacity == 20 and not model.buckets["images"].guessed


def test_tokens_exhausted_blocks_until_their_reset() -> None:
    model = PaceModel(now=0)
    call = model.admit(0, 1)
    model.observe(
        1.0,
        call,
        {
            "x-ratelimit-limit-tokens": "40000",
            "x-ratelimit-remaining-tokens": "0",
            "x-ratelimit-reset-tokens": "1.5s",
        },
    )
    assert model.delay(1.0, 1) == pytest.approx(1.5)


def test_known_ceiling_is_a_full_bucket_at_start() -> None:
    model = PaceModel(images_per_minute=5, now=0)
    model.observe(0, None, {})  # an answer came: the ceiling alone paces
    for _ in range(4):
        assert model.delay(0, 1) == 0
        model.admit(0, 1)
    assert model.delay(0, 1) <= MARGIN_S  # the last one, with the margin to spare
    model.admit(0, 1)
    assert model.delay(0, 1) == pytest.approx(12 + MARGIN_S)
    assert model.delay(0, 3) == pytest.approx(36 + MARGIN_S)  # a call for 3 images: 3 tokens


def simulate(
    models: list[PaceModel], calls: int, ipm: int, latency: float, *, images_headers: bool = True
) -> tuple[float, int, int]:
    """Run ``calls`` one-image calls split over ``models`` (instances) against the fake's
    limiter on a made-up clock; each instance sends only when its model says so
    (``images_headers=False``: the answers name only the requests and tokens limits). Returns
    (time the last image arrived, 429s, images delivered)."""
    clock = [0.0]
    server = RateLimits(ipm, clock=lambda: clock[0], images_headers=images_headers)
    pending = [calls // len(models) + (i < calls % len(models)) for i in range(len(models))]
    events: list[tuple[float, int, int, object, object]] = []
    order = itertools.count()
    delivered = 0
    while delivered < calls:
        now = clock[0]
        for index, model in enumerate(models):
            while pending[index] and model.delay(now, 1) <= 1e-9:
                admission = model.admit(now, 1)
                verdict = server.take(1)
                pending[index] -= 1
                when = now + (latency if verdict.allowed else 0.05)
                heapq.heappush(events, (when, next(order), index, admission, verdict))
        wake = [now + model.delay(now, 1) for i, model in enumerate(models) if pending[i]]
        wake = [w for w in wake if not math.isinf(w)]
        next_time = min([events[0][0]] if events else [] + wake) if events or wake else None
        if events and (not wake or events[0][0] <= min(wake)):
            when, _, index, admission, verdict = heapq.heappop(events)
            clock[0] = max(now, when)
            model = models[index]
            model.observe(clock[0], admission, verdict.headers)  # type: ignore[attr-defined]
            if verdict.allowed:  # type: ignore[attr-defined]
                delivered += 1
            else:
                model.rate_limit(clock[0], verdict.retry_after_s, verdict.message)  # type: ignore[attr-defined]
                pending[index] += 1  # back in line, no retry used
        else:
            assert next_time is not None
            clock[0] = max(now, min(wake) + 1e-6)
    return clock[0], server.refused, delivered


def test_fifty_at_ten_per_minute_no_429_and_near_the_floor() -> None:
    latency = 5.0
    done, refused, delivered = simulate([PaceModel(now=0)], 50, 10, latency)
    floor = (50 - 10) / 10 * 60 + latency
    assert delivered == 50 and refused == 0
    assert done <= floor * 1.05, (done, floor)


def test_before_the_first_answer_even_a_known_ceiling_sends_only_probes() -> None:
    """After a restart the organisation's limit may be used up already (by the instance
    before): at most 5 images go before an answer tells how much is left."""
    model = PaceModel(images_per_minute=10, now=0)
    for _ in range(5):
        assert model.delay(0, 1) == 0
        model.admit(0, 1)
    assert model.delay(0, 1) == math.inf
    headers = {
        "x-ratelimit-limit-images": "10", "x-ratelimit-remaining-images": "0",
        "x-ratelimit-reset-images": "60s",
    }  # fmt: skip
    model.observe(1, None, headers)  # used up: the next image in about 6 s
    assert 5 < model.delay(1, 1) < 8


def test_with_the_known_ceiling_too() -> None:
    done, refused, _ = simulate([PaceModel(images_per_minute=10, now=0)], 50, 10, 5.0)
    assert refused == 0 and done <= 245 * 1.05


@pytest.mark.parametrize(("ipm", "latency"), [(10, 5.0), (10, 30.0), (20, 5.0), (5, 30.0)])
def test_without_images_headers_a_slow_start_finds_the_limit(ipm: int, latency: float) -> None:
    """OpenAI's answers name only the requests and tokens limits (platform.md): the images
    limit is guessed low and grown per answer until a 429 names it, instead of the whole
    burst going out at once (which made 40 429s of 50 calls at 10 a minute)."""
    done, refused, delivered = simulate(
        [PaceModel(now=0, rng=random.Random(1))], 50, ipm, latency, images_headers=False
    )
    floor = (50 - ipm) / ipm * 60 + latency
    assert delivered == 50 and refused <= 2, refused
    assert done <= floor * 1.10, (done, floor)


def test_a_call_for_a_whole_bucket_goes_when_the_bucket_is_full() -> None:
    """n at or above the images-per-minute limit (n=5 at tier 1) can never find "its tokens
    plus a margin": it goes when the bucket is full, and the calls after it wait."""
    model = PaceModel(images_per_minute=5, now=0)
    model.observe(0, None, {})
    assert model.delay(0, 5) == 0
    model.admit(0, 5)
    assert model.delay(0, 5) == pytest.approx(60)  # a full bucket again
    assert model.delay(0, 6) == pytest.approx(60)  # more than a bucket: when it is full
    assert model.delay(30, 1) == 0  # a smaller call goes as soon as its tokens are back


def test_the_estimate_counts_every_call_ahead() -> None:
    """The "starts in about N minutes" estimate: 29 images ahead at 10 a minute, with the
    bucket empty, is three minutes, not one bucket's refill."""
    model = PaceModel(images_per_minute=10, now=0)
    model.observe(0, None, {})
    for _ in range(10):
        model.admit(0, 1)
    assert model.delay(0, 1, ahead=29) == pytest.approx(180 + MARGIN_S, abs=0.01)
    assert model.delay(0, 1, ahead=9) == pytest.approx(60 + MARGIN_S, abs=0.01)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_instances_converge_from_the_headers_alone(seed: int) -> None:
    latency = 5.0
    models = [PaceModel(now=0, rng=random.Random(seed + i)) for i in range(2)]
    done, refused, delivered = simulate(models, 50, 10, latency)
    floor = (50 - 10) / 10 * 60 + latency
    assert delivered == 50
    # Both probe at once at the start (10 calls for a bucket of 10), then learn from the
    # headers that someone else shares the limit and each counts on less.
    assert refused <= 8, refused
    assert done <= floor * 1.25, (done, floor)


def test_a_429_on_requests_counts_on_less_of_requests_only() -> None:
    """The message names the dimension it hit; "gpt-image-2" in it is the model, not the
    images-per-minute limit."""
    model = PaceModel(now=0, rng=random.Random(1))
    headers = {
        "x-ratelimit-limit-images": "20", "x-ratelimit-remaining-images": "19",
        "x-ratelimit-reset-images": "3s", "x-ratelimit-limit-requests": "60",
        "x-ratelimit-remaining-requests": "59", "x-ratelimit-reset-requests": "1s",
    }  # fmt: skip
    model.observe(0.5, model.admit(0, 1), headers)
    message = (
        "Rate limit reached for gpt-image-2 in organization org-x on requests per min (RPM): "
        "Limit 60, Used 60, Requested 1. Please try again in 1s."
    )
    model.rate_limit(1.0, 1.0, message)
    assert model.buckets["requests"].factor < 1.0
    assert model.buckets["images"].factor == 1.0


def test_a_named_limit_replaces_a_guess_and_a_tokens_limit_makes_none() -> None:
    model = PaceModel(now=0, rng=random.Random(1))
    model.observe(0.1, model.admit(0, 1), {})
    model.rate_limit(1.0, 20.0, "Rate limit reached on tokens per min (TPM): Limit 100, Used 99")
    assert model.buckets == {}  # a tokens limit: the hint holds the calls, no images guess
    model.rate_limit(30.0, 6.0, "Too many requests")
    assert model.buckets["images"].guessed
    stated = "Rate limit reached on images per minute (IPM): Limit 20, Used 20. Try again in 3s."
    model.rate_limit(40.0, 3.0, stated)
    bucket = model.buckets["images"]
    assert (bucket.capacity, bucket.guessed) == (20, False)
