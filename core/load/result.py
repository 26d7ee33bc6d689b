"""What a load test found: :class:`LoadResult`, the same shape for native and imported runs.

Latency fields (``p50_ms`` ... ``mean_ms``) are timed from each request's *intended* send time, so a
server stall counts in full for every request that should have gone out during it (no coordinated
omission); ``service_*`` fields are timed from the moment the request actually left.  Percentiles may
be None for an imported run whose tool did not report them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

NATIVE_MEANING = (
    "Open-loop: requests left on a fixed schedule whatever the server did, and each latency is timed from the "
    "moment its request was due to leave, so queueing behind a stalled server counts in full (no coordinated "
    "omission). Service time is timed from the actual send. Percentiles come from a log-linear histogram "
    "with under 1% relative error; the maximum and the mean are exact.")


COUNT_KEYS = ("sent", "completed", "errors")
MIN_RATE_SPAN = 0.5  # a last second shorter than this gives no rate (a few replies in a sliver of time)


def per_second(point: dict, key: str):
    """A timeline point's value for a per-second chart: counts (``sent``, ``completed``, ``errors``) become
    rates over the part of the second the run covered (the point's ``seconds``, 1 for a whole second), and
    a last second shorter than :data:`MIN_RATE_SPAN` gives None; other values are returned as they are."""
    value = point.get(key)
    span = point.get("seconds", 1.0)
    if key not in COUNT_KEYS or value is None or span == 1.0:
        return value
    try:
        span = float(span)
    except (TypeError, ValueError):
        return None
    return value / span if span >= MIN_RATE_SPAN else None


def verdict(*, requests: int, success_rate: float | None, p95_ms: float | None, slo_p95_ms: float = 200.0,
            slo_success_rate: float = 0.99, stopped_early: bool = False, stop_reason: str = "",
            generator_limited: bool = False) -> tuple[bool, list[str]]:
    """The readiness verdict: success rate above ``slo_success_rate`` and p95 below ``slo_p95_ms``.

    Returns (production_ready, reasons); the reasons say why it failed, or what held when it passed.
    A run stopped by an SLO stop rule fails; ``generator_limited`` only adds a note.
    """
    reasons: list[str] = []
    ok = True
    if not requests:
        return False, ["no request completed, so nothing was measured"]
    if success_rate is None:
        ok = False
        reasons.append("the success rate is unknown")
    elif not success_rate > slo_success_rate:
        ok = False
        reasons.append(f"success rate {success_rate * 100:.2f}% is not above {slo_success_rate * 100:g}%")
    else:
        reasons.append(f"success rate {success_rate * 100:.2f}% is above {slo_success_rate * 100:g}%")
    if p95_ms is None:
        ok = False
        reasons.append("p95 latency is unknown")
    elif not p95_ms < slo_p95_ms:
        ok = False
        reasons.append(f"p95 latency {p95_ms:.1f} ms is not below {slo_p95_ms:g} ms")
    else:
        reasons.append(f"p95 latency {p95_ms:.1f} ms is below {slo_p95_ms:g} ms")
    if stopped_early and stop_reason.startswith("slo"):
        ok = False
        reasons.append(f"stopped early: {stop_reason}")
    if generator_limited:
        reasons.append("the load generator, not the server, limited this run: the server may do better")
    return ok, reasons


def _hist() -> dict:
    return {"bounds_ms": [], "counts": []}


@dataclass(frozen=True)
class LoadResult:
    requests: int                       # requests sent (completed or failed)
    errors: int                         # requests that failed: non-2xx status or an exception
    success_rate: float | None
    target_rate: float                  # requests per second the plan asked for (mean over the plan)
    achieved_rate: float                # requests per second actually sent
    late_sends: int                     # requests that left more than 1 ms after their intended time
    p50_ms: float | None = None
    p90_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    p999_ms: float | None = None
    max_ms: float | None = None
    mean_ms: float | None = None
    service_p50_ms: float | None = None
    service_p95_ms: float | None = None
    service_p99_ms: float | None = None
    service_max_ms: float | None = None
    timeline: list = field(default_factory=list)
    status_counts: dict = field(default_factory=dict)
    error_types: dict = field(default_factory=dict)
    generator_limited: bool = False
    generator_notes: list = field(default_factory=list)
    in_flight_cap_hits: int = 0
    production_ready: bool = False
    verdict_reasons: list = field(default_factory=list)
    stopped_early: bool = False
    stop_reason: str = ""
    histogram: dict = field(default_factory=_hist)
    service_histogram: dict = field(default_factory=_hist)
    slo: dict = field(default_factory=lambda: {"p95_ms": 200.0, "success_rate": 0.99})
    source: dict = field(default_factory=lambda: {"tool": "preflight", "version": "", "files": [],
                                                  "meaning": NATIVE_MEANING})
    extra: dict = field(default_factory=dict)   # anything else: duration_s, health figures, ...

    def to_dict(self) -> dict:
        d = asdict(self)
        extra = d.pop("extra")
        for k, v in extra.items():
            d.setdefault(k, v)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "LoadResult":
        names = {f.name for f in fields(cls)} - {"extra"}
        kw = {k: v for k, v in d.items() if k in names}
        extra = dict(d.get("extra") or {})
        extra.update({k: v for k, v in d.items() if k not in names and k != "extra"})
        return cls(**kw, extra=extra)

    def with_verdict(self) -> "LoadResult":
        """A copy whose ``production_ready``/``verdict_reasons`` follow :func:`verdict` and ``slo``."""
        slo = self.slo or {}
        ok, reasons = verdict(requests=self.requests, success_rate=self.success_rate, p95_ms=self.p95_ms,
                              slo_p95_ms=float(slo.get("p95_ms", 200.0)),
                              slo_success_rate=float(slo.get("success_rate", 0.99)),
                              stopped_early=self.stopped_early, stop_reason=self.stop_reason,
                              generator_limited=self.generator_limited)
        d = asdict(self)
        d.update(production_ready=ok, verdict_reasons=reasons)
        return LoadResult(**d)
