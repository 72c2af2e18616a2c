"""Prometheus metrics (prometheus-client), served as ``GET /metrics`` in the Prometheus text
format by :func:`bot.server.create_web_app`.

One :class:`Metrics` is built per app in :func:`bot.services.build_services`, on a
``CollectorRegistry`` of its own (not the library's global default), so two apps in one process
(the tests) never share counts. Code that records something receives the ``Metrics`` object:

- ``imagine_requests_total{source, outcome}`` (counter): requests by where they came from and
  how they ended (:func:`outcome_of`; ``refused_quota``, ``refused_queue_full``,
  ``refused_shutting_down``, ``refused_channel`` when refused at the ack);
- ``imagine_queue_jobs{state}`` (gauge): jobs ``running`` and ``waiting`` in the queue, read at
  each scrape;
- ``imagine_waiting_for_capacity`` (gauge): jobs held until OpenAI has capacity again;
- ``imagine_openai_429_total{code}`` (counter): 429 answers from OpenAI by error code
  (``rate_limit_exceeded``, ``insufficient_quota``, …);
- ``imagine_job_duration_seconds{model, quality}`` (histogram): from a job's acceptance to its
  end;
- ``imagine_openai_request_duration_seconds{model, quality}`` (histogram): one HTTP call to
  OpenAI, to its answer's headers or its failure;
- ``imagine_estimated_spend_usd_total{model}`` (counter): estimated USD of the images delivered
  (:mod:`bot.store.pricing`, not OpenAI's invoice).

Plus the library's ``process_*`` metrics (CPU, resident memory, open files) on Linux.
Sources are the job sources of :mod:`bot.jobs` (``command``, ``modal``, ``shortcut:slide``, …);
quality is the requested one (``low``, ``medium``, ``high``, ``auto``; DALL·E: ``standard``,
``hd``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

# Image generation takes seconds at low quality and up to about 2 minutes at high (platform.md).
OPENAI_BUCKETS_S = (0.25, 0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180)
JOB_BUCKETS_S = (0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900)
_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD = re.compile(r"([a-z\d])([A-Z])")


def outcome_of(outcome: str) -> str:
    """A job outcome as a label value: ``ok``, ``partial``, ``timeout``, ``interrupted`` stay;
    an error class name becomes snake case without ``Error`` (``ModerationBlockedError`` ->
    ``moderation_blocked``), so the label set stays small and stable."""
    if not outcome[:1].isupper():
        return outcome
    name = outcome.removesuffix("Error") or "error"
    return _WORD.sub(r"\1_\2", _ACRONYM.sub(r"\1_\2", name)).lower()


class Metrics:
    """The app's metrics on ``registry`` (a new ``CollectorRegistry`` by default); attributes
    are the prometheus-client objects listed in the module docstring."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "imagine_requests",
            "Image requests by source and outcome (refused_* when refused at the ack)",
            ["source", "outcome"],
            registry=r,
        )
        self.queue_jobs = Gauge(
            "imagine_queue_jobs", "Jobs in the queue, running or waiting", ["state"], registry=r
        )
        self.waiting_for_capacity = Gauge(
            "imagine_waiting_for_capacity",
            "Jobs held until OpenAI has capacity again (rate limits)",
            registry=r,
        )
        self.openai_429 = Counter(
            "imagine_openai_429",
            "429 answers from OpenAI, by error code (rate_limit_exceeded, insufficient_quota, …)",
            ["code"],
            registry=r,
        )
        self.job_seconds = Histogram(
            "imagine_job_duration_seconds",
            "Seconds from a job's acceptance to its end",
            ["model", "quality"],
            buckets=JOB_BUCKETS_S,
            registry=r,
        )
        self.openai_seconds = Histogram(
            "imagine_openai_request_duration_seconds",
            "Seconds one HTTP call to OpenAI took, answer or error",
            ["model", "quality"],
            buckets=OPENAI_BUCKETS_S,
            registry=r,
        )
        self.spend_usd = Counter(
            "imagine_estimated_spend_usd",
            "Estimated USD spent on delivered images (Imagine's price table, not the invoice)",
            ["model"],
            registry=r,
        )
        ProcessCollector(registry=r)

    def watch_queue(self, running: Callable[[], float], waiting: Callable[[], float]) -> None:
        """Read the queue's ``running`` and ``waiting`` counts at each scrape."""
        self.queue_jobs.labels("running").set_function(running)
        self.queue_jobs.labels("waiting").set_function(waiting)

    def job_done(
        self, source: str, model: str, quality: str, outcome: str, accepted_at: float
    ) -> None:
        """Count a finished job by ``source`` and :func:`outcome_of` ``outcome``, and time it
        from ``accepted_at`` (``time.monotonic()`` when it was accepted) to now."""
        self.requests.labels(source, outcome_of(outcome)).inc()
        elapsed = time.monotonic() - accepted_at
        self.job_seconds.labels(model, quality).observe(elapsed)

    def refused(self, source: str, reason: str) -> None:
        """Count a request refused at the ack: ``reason`` is ``quota``, ``queue_full``,
        ``shutting_down`` or ``channel`` (a channel the workspace does not allow; outcome
        ``refused_<reason>``)."""
        self.requests.labels(source, f"refused_{reason}").inc()
