"""Arrival times of an open-loop plan, computed from the plan's clock (never from the replies).

The stages define a rate ``r(t)``; its integral ``L(t)`` counts the expected arrivals so far.  A
constant-rate plan sends request ``k`` when ``L(t) = k``; a Poisson plan sends at ``L(t) = S_k`` where
``S_k`` are the partial sums of unit exponential gaps (a time-changed Poisson process).  Within a stage
ramping linearly from ``r0`` to ``r1`` over ``D`` seconds, ``L`` is quadratic and is inverted exactly:
``t = 2u / (r0 + sqrt(r0^2 + 2 a u))`` with ``a = (r1 - r0) / D``.

With ``share = (i, n)`` a process gets its part of the arrivals: every n-th one starting at the i-th
(constant rate), or an independent Poisson process at 1/n of the rate (their union is the full
Poisson process).  Times are seconds from the start of the plan, in chunks, so memory stays bounded.
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

CHUNK = 32768


def _stage_table(stages) -> tuple[np.ndarray, ...]:
    t_start = [0.0]
    l_start = [0.0]
    r0, acc = [], []
    for s in stages:
        end_rate = s.rate if s.ramp_to is None else s.ramp_to
        r0.append(float(s.rate))
        acc.append((float(end_rate) - float(s.rate)) / float(s.duration_s))
        t_start.append(t_start[-1] + float(s.duration_s))
        l_start.append(l_start[-1] + float(s.duration_s) * (float(s.rate) + float(end_rate)) / 2.0)
    return (np.asarray(t_start), np.asarray(l_start), np.asarray(r0), np.asarray(acc))


def times_for(u: np.ndarray, table) -> np.ndarray:
    """Map points ``u`` of the cumulative-arrival axis (each < the plan's total) to times in seconds."""
    t_start, l_start, r0, acc = table
    idx = np.searchsorted(l_start[1:], u, side="right")
    idx = np.minimum(idx, len(r0) - 1)
    local = np.maximum(u - l_start[idx], 0.0)
    a, r = acc[idx], r0[idx]
    denom = r + np.sqrt(np.maximum(r * r + 2.0 * a * local, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        dt = np.where(denom > 0, 2.0 * local / np.where(denom > 0, denom, 1.0), 0.0)
    return t_start[idx] + dt


def share_count(max_requests: int, share: tuple[int, int]) -> int:
    """How many of ``max_requests`` the process ``share = (i, n)`` may send (the shares add up)."""
    i, n = share
    return max(0, (max_requests - i + n - 1) // n)


def iter_arrivals(stages, arrival: str = "constant", *, seed: int = 0, share: tuple[int, int] = (0, 1),
                  max_requests: int | None = None, chunk: int = CHUNK) -> Iterator[np.ndarray]:
    """Sorted arrival times (s from the plan's start) in chunks, for process ``share`` of the plan."""
    table = _stage_table(stages)
    total = float(table[1][-1])
    i, n = share
    limit = share_count(max_requests, share) if max_requests is not None else math.inf
    sent = 0
    if arrival == "poisson":
        rng = np.random.default_rng([int(seed), int(i), int(n)])
        pos = 0.0
        while sent < limit:
            size = int(min(chunk, limit - sent))
            u = pos + np.cumsum(rng.exponential(float(n), size))
            pos = float(u[-1])
            u = u[u < total]
            if u.size:
                yield times_for(u, table)
                sent += int(u.size)
            if pos >= total:
                return
        return
    k = 0
    while sent < limit:
        size = int(min(chunk, limit - sent))
        u = (i + n * (k + np.arange(size))).astype(float)
        u = u[u < total]
        if not u.size:
            return
        yield times_for(u, table)
        sent += int(u.size)
        k += size
