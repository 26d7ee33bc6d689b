"""Traffic for the autoscaling replay: a trace file (time, rate) or a generated pattern.

A trace is a table (CSV or any format ``read_table`` takes) with a time column (``time``, ``t``,
``seconds``, ``timestamp``: seconds from the start, or date-times) and a rate column (``rate``, ``rps``,
``qps``, ``requests_per_s``: requests per second).  Between rows the rate is interpolated linearly.
Patterns: ``diurnal`` (a day, rate between base and peak, highest at noon), ``spike`` (two hours at the
base rate with a ten-minute jump to the peak after 30 minutes) and ``ramp`` (an hour, a linear climb from
base to peak over the first half, then the peak).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InputFileError, PreflightError

PATTERNS = ("diurnal", "spike", "ramp")
TIME_NAMES = ("time", "t", "seconds", "time_s", "timestamp", "ts")
RATE_NAMES = ("rate", "rps", "qps", "requests_per_s", "requests_per_second")
MAX_DURATION_S = 7 * 86400
DEFAULT_DURATION = {"diurnal": 86400.0, "spike": 7200.0, "ramp": 3600.0}


@dataclass(frozen=True)
class Traffic:
    times: tuple      # seconds from the start, increasing
    rates: tuple      # requests per second at those times
    source: str       # "trace FILE" or "pattern NAME"

    @property
    def duration_s(self) -> float:
        return float(self.times[-1])

    def rate_at(self, t) -> np.ndarray:
        return np.interp(t, self.times, self.rates)

    def to_dict(self) -> dict:
        return {"source": self.source, "duration_s": self.duration_s, "points": len(self.times),
                "peak_rate": float(max(self.rates)), "mean_rate": self.mean_rate()}

    def mean_rate(self) -> float:
        t, r = np.asarray(self.times, float), np.asarray(self.rates, float)
        return float(np.trapezoid(r, t) / t[-1]) if t[-1] > 0 else float(r[0])


def pattern(name: str, base_rate: float, peak_rate: float, duration_s: float | None = None) -> Traffic:
    if name not in PATTERNS:
        raise PreflightError(f"unknown pattern {name!r}; use one of {', '.join(PATTERNS)}")
    for what, v in (("base rate", base_rate), ("peak rate", peak_rate)):
        if not (math.isfinite(v) and v >= 0):
            raise PreflightError(f"the {what} must be 0 or more requests/s (got {v!r})")
    if peak_rate < base_rate:
        raise PreflightError(f"the peak rate ({peak_rate:g}) is below the base rate ({base_rate:g})")
    d = float(duration_s or DEFAULT_DURATION[name])
    if not 60 <= d <= MAX_DURATION_S:
        raise PreflightError(f"the duration must be between 60 s and {MAX_DURATION_S:,} s (got {d:g})")
    if name == "diurnal":
        t = np.linspace(0, d, 289)
        r = base_rate + (peak_rate - base_rate) * (1 - np.cos(2 * np.pi * t / d)) / 2
    elif name == "spike":
        start, length = d / 4, d / 12
        t = np.array([0, start, start + 1e-6, start + length, start + length + 1e-6, d])
        r = np.array([base_rate, base_rate, peak_rate, peak_rate, base_rate, base_rate])
    else:
        t = np.array([0, d / 2, d])
        r = np.array([base_rate, peak_rate, peak_rate])
    return Traffic(tuple(float(x) for x in t), tuple(float(x) for x in r), f"pattern {name}")


def _column(df: pd.DataFrame, names, path, what: str) -> str:
    lower = {str(c).strip().lower(): c for c in df.columns}
    for n in names:
        if n in lower:
            return lower[n]
    raise InputFileError(path, f"has no {what} column (looked for {', '.join(names)}); columns: "
                               + ", ".join(map(str, df.columns)))


def trace_from_table(table) -> Traffic:
    """The traffic of a loaded table (``core.data.tables.read_table``); errors name the row and column."""
    df, path = table.df, table.path
    tcol = _column(df, TIME_NAMES, path, "time")
    rcol = _column(df, RATE_NAMES, path, "rate")
    if len(df) < 2:
        raise InputFileError(path, "a trace needs at least two rows")
    raw_t = df[tcol]
    times = pd.to_numeric(raw_t, errors="coerce").to_numpy(float)
    if np.isnan(times).any():
        stamps = pd.to_datetime(raw_t.astype(str), errors="coerce", utc=True)
        bad = stamps.isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputFileError(path, f"column {tcol!r}, row {row + 1}: {str(raw_t.iloc[row])!r} is neither seconds "
                                       "nor a date-time")
        times = (stamps - stamps.iloc[0]).dt.total_seconds().to_numpy(float)
    rates = pd.to_numeric(df[rcol], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(rates) | (rates < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputFileError(path, f"column {rcol!r}, row {row + 1}: {str(df[rcol].iloc[row])!r} is not a rate of 0 "
                                   "or more requests/s")
    if not np.isfinite(times).all():
        row = int(np.flatnonzero(~np.isfinite(times))[0])
        raise InputFileError(path, f"column {tcol!r}, row {row + 1}: not a finite time")
    back = np.flatnonzero(np.diff(times) <= 0)
    if back.size:
        row = int(back[0]) + 1
        raise InputFileError(path, f"column {tcol!r}, row {row + 1}: time {str(raw_t.iloc[row])!r} does not come "
                                   f"after the previous row's {str(raw_t.iloc[row - 1])!r}")
    times = times - times[0]
    if times[-1] > MAX_DURATION_S:
        raise InputFileError(path, f"the trace spans {times[-1]:,.0f} s; at most {MAX_DURATION_S:,} s is replayed")
    return Traffic(tuple(times.tolist()), tuple(rates.tolist()), f"trace {path}")
