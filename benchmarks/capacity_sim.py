"""Capacity model timings: the discrete-event simulation (requests per second of wall time), the closed-form
curves the Capacity view redraws on every slider move, and an autoscaling replay of a day.

    python benchmarks/capacity_sim.py

Prints the median of 5 runs of each case (after one warm-up run).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.load import capacity as cap  # noqa: E402
from core.load.capacity_run import AutoscaleSettings, CapacitySettings, quick_capacity, run_autoscale  # noqa: E402
from core.load.simulate import simulate  # noqa: E402


def median_time(fn, repeat: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    cases = [("M/M/4, rho 0.8", 80, 4, cap.exponential(40)), ("lognormal CV 1.5, c=4", 80, 4, cap.lognormal(40, 1.5)),
             ("M/M/100, rho 0.95", 2375, 100, cap.exponential(40))]
    for name, rate, c, dist in cases:
        for n in (200_000, 400_000):
            t = median_time(lambda: simulate(rate, c, dist, requests=n, seed=1))
            print(f"simulate {name:24s} {n:>7,} requests: {t:.3f} s ({n / t / 1e6:.2f} M requests/s)")
    s = CapacitySettings(rate=20, service_ms=40, replicas=4)
    for label, dist in (("exponential", cap.exponential(40)), ("lognormal", cap.lognormal(40, 1.5))):
        t = median_time(lambda: quick_capacity(s, dist))
        print(f"closed-form curves + sizing ({label}): {1000 * t:.1f} ms")
    t = median_time(lambda: run_autoscale(AutoscaleSettings(pattern="diurnal", peak_rate=300, compare="seed")), 3)
    print(f"autoscale replay, one day in 15 s steps, two policies: {t:.2f} s")


if __name__ == "__main__":
    main()
