"""Scaling policies replayed by :mod:`core.load.autoscale`.

* :class:`SeedPolicy` / :class:`SeedScaler`: the checklist's ``ScalingPolicy`` (metric, target, min/max,
  scale-up and scale-down thresholds as multiples of the target, cooldown).  Above ``target ×
  scale_up_threshold`` it asks for ``ceil(current × metric / target)`` replicas, below ``target ×
  scale_down_threshold`` for the same formula (at least ``min_replicas``).  The cooldown runs from the
  **last scaling event**; before the first one there is none (target 10 queue depth, min 2, max 20,
  thresholds 1.5/0.5, cooldown 300 s, 2 replicas: a queue depth of 25 asks for ceil(2 × 2.5) = 5).
* :class:`HpaPolicy` / :class:`HpaScaler`: the Kubernetes HorizontalPodAutoscaler (autoscaling/v2 defaults):
  ``desired = ceil(ready × metric / target)`` with no change while ``|metric/target − 1| ≤ tolerance``
  (0.1); with the utilisation metric, replicas that did not report it (still starting, or ready only since
  the sample) count as 0% of the target when scaling up and 100% when scaling down;
  a 300 s scale-down stabilisation window (the highest recommendation in the window wins, the window
  starting with the initial replica count); at most 100% of the pods removed per 15 s; at most
  max(100%, 4 pods) added per 15 s; then clamped to [min, max].  The HPA is evaluated every ``sync_s``.

Metrics (see :mod:`core.load.autoscale`): ``utilisation`` (busy share of the ready replicas, 0..1),
``queue_depth`` (requests waiting, system-wide) and ``p95_ms`` (p95 latency).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from core.errors import PreflightError

METRICS = ("utilisation", "queue_depth", "p95_ms")
POLICIES = ("hpa", "seed")


def _check_common(p) -> None:
    if p.metric not in METRICS:
        raise PreflightError(f"unknown metric {p.metric!r}; use one of {', '.join(METRICS)}")
    if not (math.isfinite(p.target) and p.target > 0):
        raise PreflightError(f"the metric target must be a positive number (got {p.target!r})")
    if not 1 <= p.min_replicas <= p.max_replicas:
        raise PreflightError(f"replica bounds must satisfy 1 <= min <= max (got min {p.min_replicas}, "
                             f"max {p.max_replicas})")
    if p.max_replicas > 10_000:
        raise PreflightError("max replicas above 10,000 are not replayed")


@dataclass(frozen=True)
class SeedPolicy:
    metric: str = "utilisation"
    target: float = 0.6
    min_replicas: int = 2
    max_replicas: int = 20
    scale_up_threshold: float = 1.5
    scale_down_threshold: float = 0.5
    cooldown_s: float = 300.0
    sync_s: float = 15.0

    name = "seed"

    def check(self) -> None:
        _check_common(self)
        if not 0 <= self.scale_down_threshold < self.scale_up_threshold:
            raise PreflightError("the scale-down threshold must be below the scale-up threshold")
        if self.cooldown_s < 0 or self.sync_s <= 0:
            raise PreflightError("the cooldown cannot be negative and the evaluation period must be positive")

    def to_dict(self) -> dict:
        return {"name": self.name, **asdict(self)}

    def describe(self) -> str:
        return (f"seed policy: {self.metric} target {self.target:g}, up above x{self.scale_up_threshold:g}, "
                f"down below x{self.scale_down_threshold:g}, cooldown {self.cooldown_s:g} s, "
                f"{self.min_replicas}-{self.max_replicas} replicas")

    def scaler(self, current: int) -> "SeedScaler":
        return SeedScaler(self, current)


class SeedScaler:
    def __init__(self, policy: SeedPolicy, current: int):
        self.policy = policy
        self.current = current
        self.last_event: float | None = None  # no cooldown before the first scaling event

    def evaluate(self, now: float, value: float, ready: int | None = None, total: int | None = None
                 ) -> tuple[int, str]:
        """The replica count after this evaluation and why (``ready`` is not used by this policy)."""
        p = self.policy
        if total is not None:
            self.current = total
        if self.last_event is not None and now - self.last_event < p.cooldown_s:
            return self.current, f"cooldown ({now - self.last_event:g} s of {p.cooldown_s:g} s since the last change)"
        ratio = value / p.target
        if ratio > p.scale_up_threshold:
            desired = min(p.max_replicas, math.ceil(self.current * ratio))
        elif ratio < p.scale_down_threshold:
            desired = max(p.min_replicas, math.ceil(self.current * ratio))
        else:
            return self.current, f"{p.metric} {value:.4g} within the thresholds"
        if desired == self.current:
            return self.current, f"{p.metric} {value:.4g}: already at the bound"
        why = f"{p.metric} {value:.4g} vs target {p.target:g}: {self.current} -> {desired}"
        self.current, self.last_event = desired, now
        return desired, why


@dataclass(frozen=True)
class HpaPolicy:
    metric: str = "utilisation"
    target: float = 0.6
    min_replicas: int = 2
    max_replicas: int = 20
    tolerance: float = 0.1
    sync_s: float = 15.0
    down_window_s: float = 300.0
    down_percent: float = 100.0
    down_period_s: float = 15.0
    up_percent: float = 100.0
    up_pods: int = 4
    up_period_s: float = 15.0

    name = "hpa"

    def check(self) -> None:
        _check_common(self)
        if not 0 <= self.tolerance < 1:
            raise PreflightError("the HPA tolerance must be between 0 and 1")
        if self.sync_s <= 0 or self.down_window_s < 0:
            raise PreflightError("the sync period must be positive and the stabilisation window not negative")

    def to_dict(self) -> dict:
        return {"name": self.name, **asdict(self)}

    def describe(self) -> str:
        return (f"HPA: {self.metric} target {self.target:g} (tolerance {self.tolerance:g}), sync {self.sync_s:g} s, "
                f"scale-down window {self.down_window_s:g} s, up max(+{self.up_percent:g}%, +{self.up_pods} pods)"
                f"/{self.up_period_s:g} s, {self.min_replicas}-{self.max_replicas} replicas")

    def scaler(self, current: int) -> "HpaScaler":
        return HpaScaler(self, current)


class HpaScaler:
    def __init__(self, policy: HpaPolicy, current: int, now: float = 0.0):
        self.policy = policy
        self.current = current
        # the window starts with the initial count, so the HPA does not scale down right after it starts
        self.recommendations: list[tuple[float, int]] = [(now, current)] if policy.down_window_s > 0 else []
        self.events: list[tuple[float, int]] = []   # (time, replicas added (+) or removed (-))

    def raw_desired(self, value: float, ready: int, unready: int) -> tuple[int, str]:
        """The metric's recommendation before stabilisation and rate limits (the replica calculator).

        ``ready`` replicas reported the metric, ``unready`` did not (still starting, or ready only since the
        sample).  For utilisation those count as 0% of the target when scaling up and 100% when scaling down.
        """
        p, current = self.policy, ready + unready
        if ready == 0:
            return current, "no ready replica reports the metric"
        ratio = value / p.target
        if p.metric != "utilisation" or unready == 0 or ratio == 1.0:
            if abs(1.0 - ratio) <= p.tolerance:
                return current, f"{p.metric}/target {ratio:.3f} within the tolerance"
            return math.ceil(ratio * ready), f"{p.metric}/target {ratio:.3f} over {ready} ready"
        fill, word = (0.0, "0%") if ratio > 1.0 else (1.0, "100%")
        new_ratio = (ratio * ready + fill * unready) / current
        why = f"{p.metric}/target {new_ratio:.3f} counting {unready} replica(s) without metrics at {word}"
        if abs(1.0 - new_ratio) <= p.tolerance or (ratio > 1.0) != (new_ratio > 1.0):
            return current, why
        desired = math.ceil(new_ratio * current)
        if (new_ratio > 1.0 and desired < current) or (new_ratio < 1.0 and desired > current):
            return current, why
        return desired, why

    def _changed_in(self, now: float, period: float, sign: int) -> int:
        return sum(abs(d) for t, d in self.events if now - t < period and d * sign > 0)

    def evaluate(self, now: float, value: float, ready: int, total: int | None = None) -> tuple[int, str]:
        p = self.policy
        if total is not None:
            self.current = total
        current = self.current
        desired, why = self.raw_desired(value, ready, current - ready)
        # stabilisation: the scale-down recommendation is the highest in the window
        cutoff = now - p.down_window_s
        self.recommendations = [(t, r) for t, r in self.recommendations if t > cutoff]
        down_rec = max([desired] + [r for _t, r in self.recommendations])
        self.recommendations.append((now, desired))
        stabilised = min(max(current, desired), down_rec)
        if stabilised != desired:
            why += f"; held at {stabilised} by the {p.down_window_s:g} s scale-down window"
        # rate limits over the events of the period
        up_start = current - self._changed_in(now, p.up_period_s, +1)
        up_limit = max(math.ceil(up_start * (1 + p.up_percent / 100)), up_start + p.up_pods, current)
        down_start = current + self._changed_in(now, p.down_period_s, -1)
        down_limit = min(int(down_start * (1 - p.down_percent / 100)), current)
        new = min(stabilised, p.max_replicas, up_limit)
        if new < stabilised and stabilised <= p.max_replicas:
            why += f"; scale-up limited to {new}"
        new = max(new, p.min_replicas, down_limit)
        if new != current:
            self.events.append((now, new - current))
            self.events = [(t, d) for t, d in self.events if now - t < max(p.up_period_s, p.down_period_s)]
            self.current = new
        return new, why
