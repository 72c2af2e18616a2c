"""Prometheus metrics (prometheus-client), served as ``GET /metrics`` in the Prometheus text
format by :func:`bot.server.create_web_app`.

One :class:`Metrics` is built per app in :func:`bot.services.build_services`, on a
``CollectorRegistry`` of its own (not the library's global default), so two apps in one process
(the tests) never share counts. Code that records something receives the ``Metrics`` object:

=========================================  =========  =====================  ========================
name                                       type       labels                 what
=========================================  =========  =====================  ========================
``imagine_requests_total``                 counter    ``source``,            requests by where they
                                                      ``outcome``            came from and how they
                                                                             ended (:func:`outcome_of`)
``imagine_queue_jobs``                     gauge      ``state``              jobs ``running`` and
                                                                             ``waiting`` in the queue
``imagine_waiting_for_capacity``           gauge                             jobs held until OpenAI
                                                                             has capacity again
``imagine_openai_429_total``               counter    ``code``               429 answers from OpenAI,
                                                                             by error code
``imagine_job_duration_seconds``           histogram  ``model``,             from acceptance to the
                                                      ``quality``            job's end
``imagine_openai_request_duration_seconds`` histogram ``model``,             one HTTP call to OpenAI
                                                      ``quality``            (answers and errors)
``imagine_estimated_spend_usd_total``      counter    ``model``              estimated USD of the
                                                                             images delivered
=========================================  =========  =====================  ========================

Plus the library's ``process_*`` metrics (CPU, resident memory, open files) on Linux.
Sources are the job sources of :mod:`bot.jobs` (``command``, ``modal``, ``shortcut:slide``, …);
quality is the requested one (``low``, ``medium``, ``high``, ``auto``, DALL·E's ``standard``/``hd``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

# Image generation takes seconds at low quality and up to about 2 minutes at high (platform.md).
OPENAI_BUCKETS_S = (0.25, 0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180)
JOB_BUCKETS_S = (0.5, 1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def outcome_of(outcome: str) -> str:
    """A job outcome as a label value: ``ok``, ``partial``, ``timeout``, ``interrupted`` stay;
    an error class name becomes snake case without ``Error`` (``ModerationBlockedError`` ->
    ``moderation_blocked``), so the label set stays small and stable."""
    if not outcome[:1].isupper():
        return outcome
    return _CAMEL.sub("_", outcome.removesuffix("Error")).lower() or "error"


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
