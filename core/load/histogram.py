"""A log-linear latency histogram: bounded memory, mergeable, under 1% relative error.

Bucket ``i`` holds values in ``[LOW_MS * RATIO**(i-1), LOW_MS * RATIO**i)`` (bucket 0 holds everything
below ``LOW_MS``), with ``RATIO = 1.02``.  A percentile is read as the geometric middle of its bucket,
which is within ``sqrt(1.02) - 1`` (0.995%) of any value in that bucket, and then clamped to the exact
minimum and maximum.  The count, sum, minimum and maximum are exact, so ``max`` and ``mean`` are exact.
Percentiles use the nearest-rank definition: the smallest recorded value with at least ``q`` of the
values at or below it (numpy's ``method="inverted_cdf"``).
"""

from __future__ import annotations

import math

import numpy as np

LOW_MS = 0.001                  # 1 microsecond
HIGH_MS = 3_600_000.0           # one hour; larger values share the last bucket (max stays exact)
RATIO = 1.02
_LOG_RATIO = math.log(RATIO)
N_BUCKETS = int(math.ceil(math.log(HIGH_MS / LOW_MS) / _LOG_RATIO)) + 2
#: upper edge of each bucket, in ms (bucket 0: [0, LOW_MS))
UPPER_MS = LOW_MS * RATIO ** np.arange(N_BUCKETS, dtype=float)
LOWER_MS = np.concatenate([[0.0], UPPER_MS[:-1]])
#: the value a bucket stands for: its geometric middle (bucket 0: LOW_MS / 2)
MIDDLE_MS = np.concatenate([[LOW_MS / 2], LOW_MS * RATIO ** (np.arange(1, N_BUCKETS) - 0.5)])
PERCENTILES = (("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999))


def bucket_index(values_ms) -> np.ndarray:
    """The bucket of each value (ms), as an int array."""
    v = np.asarray(values_ms, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        idx = np.floor(np.log(np.maximum(v, LOW_MS * 0.5) / LOW_MS) / _LOG_RATIO).astype(np.int64) + 1
    idx[v < LOW_MS] = 0
    # floating-point rounding at an exact edge: make sure LOWER <= v < UPPER
    idx = np.clip(idx, 0, N_BUCKETS - 1)
    too_high = (idx < N_BUCKETS - 1) & (v >= UPPER_MS[idx])
    idx[too_high] += 1
    too_low = (idx > 0) & (v < LOWER_MS[idx])
    idx[too_low] -= 1
    return idx


class Histogram:
    """Counts per log bucket plus exact count, sum, min and max (all in milliseconds)."""

    __slots__ = ("counts", "count", "total", "min", "max")

    def __init__(self):
        self.counts = np.zeros(N_BUCKETS, dtype=np.int64)
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf

    def record_many(self, values_ms) -> None:
        v = np.asarray(values_ms, dtype=float)
        if v.size == 0:
            return
        v = v[np.isfinite(v)]
        if v.size == 0:
            return
        v = np.maximum(v, 0.0)
        self.counts += np.bincount(bucket_index(v), minlength=N_BUCKETS)
        self.count += int(v.size)
        self.total += float(v.sum())
        self.min = min(self.min, float(v.min()))
        self.max = max(self.max, float(v.max()))

    def record(self, value_ms: float) -> None:
        self.record_many([value_ms])

    def merge(self, other: "Histogram") -> "Histogram":
        self.counts += other.counts
        self.count += other.count
        self.total += other.total
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        return self

    def copy(self) -> "Histogram":
        return Histogram().merge(self)

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def percentile(self, q: float) -> float | None:
        """Nearest-rank q-quantile (q in [0, 1]), or None when empty."""
        if not self.count:
            return None
        rank = max(1, int(math.ceil(q * self.count - 1e-9)))
        i = int(np.searchsorted(np.cumsum(self.counts), rank))
        return float(min(max(MIDDLE_MS[i], self.min), self.max))

    def summary(self, prefix: str = "") -> dict:
        """{p50_ms, p90_ms, p95_ms, p99_ms, p999_ms, max_ms, mean_ms, count} (with ``prefix``)."""
        out = {f"{prefix}{name}_ms": self.percentile(q) for name, q in PERCENTILES}
        out[f"{prefix}max_ms"] = self.max if self.count else None
        out[f"{prefix}mean_ms"] = self.mean
        return out

    # ------------------------------------------------------------------ exchange
    def to_dict(self) -> dict:
        """The non-empty span of buckets: ``bounds_ms`` (len counts + 1) and ``counts``, for charts and for
        rebuilding (``first``: index of the first bucket shown), plus the exact count, sum, min and max."""
        nz = np.flatnonzero(self.counts)
        if nz.size == 0:
            return {"bounds_ms": [], "counts": [], "first": 0, "count": 0, "sum_ms": 0.0, "min_ms": None,
                    "max_ms": None}
        lo, hi = int(nz[0]), int(nz[-1]) + 1
        bounds = np.concatenate([[LOWER_MS[lo]], UPPER_MS[lo:hi]])
        return {"bounds_ms": [float(b) for b in bounds], "counts": [int(c) for c in self.counts[lo:hi]],
                "first": lo, "count": self.count, "sum_ms": self.total, "min_ms": self.min, "max_ms": self.max}

    @classmethod
    def from_dict(cls, d: dict) -> "Histogram":
        h = cls()
        counts = d.get("counts") or []
        if not counts:
            return h
        first = int(d.get("first", 0))
        h.counts[first:first + len(counts)] = np.asarray(counts, dtype=np.int64)
        h.count = int(d.get("count", int(h.counts.sum())))
        h.total = float(d.get("sum_ms", float((h.counts * MIDDLE_MS).sum())))
        nz = np.flatnonzero(h.counts)
        h.min = float(d["min_ms"]) if d.get("min_ms") is not None else float(LOWER_MS[nz[0]])
        h.max = float(d["max_ms"]) if d.get("max_ms") is not None else float(UPPER_MS[nz[-1]])
        return h

    def state(self) -> tuple:
        """A compact picklable state (sparse counts) for sending between processes."""
        nz = np.flatnonzero(self.counts)
        return (nz.astype(np.int32), self.counts[nz], self.count, self.total, self.min, self.max)

    @classmethod
    def from_state(cls, state: tuple) -> "Histogram":
        h = cls()
        idx, cnt, h.count, h.total, h.min, h.max = state
        h.counts[np.asarray(idx, dtype=np.int64)] = cnt
        return h
