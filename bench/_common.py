"""Small helpers shared by the benchmarks: percentiles and a uniform report line."""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def timer_overhead_ns(samples: int = 200_000) -> float:
    """Median cost of two back-to-back perf_counter_ns() calls, subtracted from per-call timings."""
    now = time.perf_counter_ns
    return statistics.median(-(now() - now()) for _ in range(samples))


def per_call_ns(fn: Callable[[], object], calls: int) -> list[float]:
    """Wall time of each call in ns, timer overhead removed."""
    now = time.perf_counter_ns
    out = []
    for _ in range(calls):
        t0 = now()
        fn()
        out.append(now() - t0)
    overhead = timer_overhead_ns(20_000)
    return [max(0.0, v - overhead) for v in out]


def batch_mean_ns(fn: Callable[[], object], batch: int, batches: int) -> list[float]:
    """Mean ns per call of each batch: no timer inside the loop, so no timer overhead."""
    now = time.perf_counter_ns
    out = []
    for _ in range(batches):
        t0 = now()
        for _ in range(batch):
            fn()
        out.append((now() - t0) / batch)
    return out


def header(title: str) -> None:
    print(f"# {title}")
    print(f"# python {platform.python_version()} on {platform.machine()}, {sys.platform}")


def check(label: str, ok: bool) -> str:
    return f"{label}: {'PASS' if ok else 'MISS'}"
