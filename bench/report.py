"""What the benchmark measured (:class:`Report`) and how it is judged (:class:`Target`):
issue #4's load targets, and with ``--openai-ipm`` / ``--heavy-user`` issue #10's."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

# Targets from issue #4.
ACK_DEADLINE_S = 3.0
ACK_P99_LIMIT_MS = 500.0
RSS_LIMIT_MB = 300.0
LOOP_LAG_LIMIT_MS = 100.0
# Targets from issue #10.
MAX_PROVIDER_429 = 5
FLOOR_FACTOR = 1.15
HEAVY_USER_OTHERS_S = 60.0


# --- results --------------------------------------------------------------------------------


@dataclass
class Ack:
    """One command's answer: ``latency_s`` from send to the full response, HTTP ``status``
    (0 when the request failed), the ack ``text``, and ``error`` for a failed request."""

    latency_s: float
    status: int
    text: str = ""
    error: str | None = None
    event: bool = False  # an Events API ack (--with-input-images): an empty 200

    @property
    def accepted(self) -> bool:
        """True when the ack says the images are being generated (now or after a wait), or
        is an event's 200."""
        return self.status == 200 and (self.event or "generating" in self.text.lower())

    @property
    def queued(self) -> bool:
        """True when the ack gives a place in line."""
        return self.accepted and "in line" in self.text


@dataclass
class Target:
    """One of issue #4's targets: what was measured against what limit."""

    name: str
    measured: str
    passed: bool


@dataclass
class Report:
    """Everything the benchmark measured; :meth:`targets` judges it."""

    commands: int
    n_per_command: int
    latency_s: float
    image_bytes: int
    max_concurrent_jobs: int
    max_payloads_in_memory: int
    with_quotas: bool = False
    with_input_images: bool = False
    openai_ipm: int | None = None
    heavy_user: int = 0
    acks_200: int = 0
    acks_non_200: int = 0
    acks_accepted: int = 0
    acks_queued: int = 0
    acked_under_3s: int = 0
    ack_p50_ms: float = 0.0
    ack_p99_ms: float = 0.0
    ack_max_ms: float = 0.0
    burst_cpu_s: float | None = None  # the app's CPU time while the burst was being acked
    images_expected: int = 0
    images_delivered: int = 0
    delivered_bytes_min: int = 0
    delivered_bytes_max: int = 0
    error_notices: int = 0
    waiting_notices: int = 0
    provider_429s: int = 0
    floor_s: float | None = None
    others_delivered_max_s: float | None = None
    others_delivered: int = 0
    others_expected: int = 0
    delivery_s: float | None = None
    peak_rss_mb: float = 0.0
    max_sampled_rss_mb: float = 0.0
    rss_samples: int = 0
    loop_lag_max_ms: float | None = None
    bench_loop_lag_max_ms: float = 0.0
    peak_running: int = 0
    peak_waiting: int = 0
    exit_code: int | None = None
    timed_out: bool = False
    notes: list[str] = field(default_factory=list)
    app_log_tail: list[str] = field(default_factory=list)
    ack_errors: list[str] = field(default_factory=list)

    def targets(self) -> list[Target]:
        """PASS/FAIL per target of issue #4, plus a clean exit on SIGTERM."""
        lag = self.loop_lag_max_ms
        return [
            Target(
                f"every command acked under {ACK_DEADLINE_S:g} s",
                f"{self.acked_under_3s}/{self.commands}",
                self.acked_under_3s == self.commands and self.acks_accepted == self.commands,
            ),
            Target(
                f"ack p99 under {ACK_P99_LIMIT_MS:g} ms",
                f"{self.ack_p99_ms:.0f} ms",
                self.ack_p99_ms < ACK_P99_LIMIT_MS,
            ),
            Target(
                "every image delivered",
                f"{self.images_delivered}/{self.images_expected}",
                self.images_delivered == self.images_expected and self.error_notices == 0,
            ),
            Target(
                f"peak RSS under {RSS_LIMIT_MB:g} MB",
                f"{self.peak_rss_mb:.0f} MB",
                0 < self.peak_rss_mb < RSS_LIMIT_MB,
            ),
            Target(
                f"event loop lag under {LOOP_LAG_LIMIT_MS:g} ms",
                "unknown" if lag is None else f"{lag:.0f} ms",
                lag is not None and lag < LOOP_LAG_LIMIT_MS,
            ),
            Target("exit code 0 after SIGTERM", str(self.exit_code), self.exit_code == 0),
        ] + self._limit_targets()

    def _limit_targets(self) -> list[Target]:
        """Issue #10: under ``--openai-ipm``, few 429s and close to the floor; with
        ``--heavy-user``, every other user's image within the first minute."""
        targets = []
        if self.openai_ipm is not None:
            targets.append(
                Target(
                    f"at most {MAX_PROVIDER_429} provider 429s",
                    str(self.provider_429s),
                    self.provider_429s <= MAX_PROVIDER_429,
                )
            )
        # With a heavy user the per-user cap serializes their requests on purpose, so the
        # floor (which assumes any request may go as soon as OpenAI allows) does not apply.
        if self.openai_ipm is not None and self.floor_s is not None and not self.heavy_user:
            limit = self.floor_s * FLOOR_FACTOR
            done = self.delivery_s
            targets += [
                Target(
                    f"done within {FLOOR_FACTOR:g}x the floor ({self.floor_s:.0f} s)",
                    "not finished"
                    if done is None
                    else f"{done:.0f} s ({done / self.floor_s:.2f}x)",
                    done is not None and done <= limit,
                ),
            ]
        if self.heavy_user:
            worst = self.others_delivered_max_s
            targets.append(
                Target(
                    f"other users' images within {HEAVY_USER_OTHERS_S:g} s",
                    f"{self.others_delivered}/{self.others_expected}, last at "
                    + ("-" if worst is None else f"{worst:.1f} s"),
                    self.others_delivered == self.others_expected
                    and worst is not None
                    and worst <= HEAVY_USER_OTHERS_S,
                )
            )
        return targets

    @property
    def passed(self) -> bool:
        """True when every target passed."""
        return all(target.passed for target in self.targets())

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (for ``--json``), targets included."""
        data = asdict(self)
        data["targets"] = [asdict(target) for target in self.targets()]
        data["passed"] = self.passed
        return data

    def render(self) -> str:
        """The human-readable report."""
        mb = self.image_bytes / 1e6
        delivery = "not finished" if self.delivery_s is None else f"{self.delivery_s:.1f} s"
        lines = [
            f"Imagine benchmark: {self.commands} x /imagine ({self.n_per_command} image(s) each), "
            f"backend latency {self.latency_s:g} s, PNG {mb:.2f} MB, "
            f"MAX_CONCURRENT_JOBS={self.max_concurrent_jobs}, "
            f"MAX_PAYLOADS_IN_MEMORY={self.max_payloads_in_memory}"
            + (", quotas on" if self.with_quotas else "")
            + (", mentions with a PNG to use" if self.with_input_images else "")
            + (f", OpenAI limit {self.openai_ipm} images/min" if self.openai_ipm else "")
            + (f", heavy user sends {self.heavy_user} first" if self.heavy_user else ""),
            f"  commands       {self.commands}",
            f"  acks           {self.acks_200} HTTP 200, {self.acks_non_200} other; "
            f"{self.acks_accepted} 'Generating' ({self.acks_queued} of them queued)",
            f"  acked < 3 s    {self.acked_under_3s}/{self.commands}",
            f"  ack latency    p50 {self.ack_p50_ms:.0f} ms, p99 {self.ack_p99_ms:.0f} ms, "
            f"max {self.ack_max_ms:.0f} ms"
            + (
                ""
                if self.burst_cpu_s is None
                else f"; app CPU {self.burst_cpu_s * 1000:.0f} ms while acking "
                f"({self.burst_cpu_s * 1e6 / max(self.commands, 1):.0f} us per command)"
            ),
            f"  images         {self.images_delivered}/{self.images_expected} delivered "
            f"({self.delivered_bytes_min / 1e6:.2f}-{self.delivered_bytes_max / 1e6:.2f} MB each), "
            f"{self.error_notices} failure messages, {self.waiting_notices} waiting notices",
            f"  provider 429s  {self.provider_429s}"
            + ("" if self.floor_s is None else f" (floor {self.floor_s:.0f} s)"),
            f"  delivery time  {delivery} (first command sent -> last image delivered)",
            f"  jobs           peak {self.peak_running} running, {self.peak_waiting} waiting",
            f"  peak RSS       {self.peak_rss_mb:.0f} MB (VmHWM; max sampled VmRSS "
            f"{self.max_sampled_rss_mb:.0f} MB over {self.rss_samples} samples)",
            f"  loop lag       max {self.loop_lag_max_ms} ms (app /healthz); "
            f"{self.bench_loop_lag_max_ms:.0f} ms in the benchmark's own loop",
            f"  exit code      {self.exit_code} after SIGTERM",
            "targets:",
        ]
        for target in self.targets():
            lines.append(
                f"  {'PASS' if target.passed else 'FAIL'}  {target.name:<34} {target.measured}"
            )
        lines += [f"note: {note}" for note in self.notes]
        if self.ack_errors:
            lines.append("ack errors (first 5): " + "; ".join(self.ack_errors[:5]))
        if self.timed_out:
            lines.append("delivery timed out")
        if not self.passed and self.app_log_tail:
            lines.append("app log (last lines):")
            lines += [f"  | {line}" for line in self.app_log_tail[-20:]]
        return "\n".join(lines)


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank ``pct`` percentile of ``values`` (0 for an empty list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
