"""snapshot() latency after 1k, 100k and 1M events with 40 (tier, model) rows.

Target (issue 3): <= 50 us median, flat in the number of events recorded.
Prints two figures: snapshot() itself (the part under the tracker's lock) and snapshot() plus
building every row a panel shows (by_tier, by_model, by_tier_model, total, series).
Run: python bench/snapshot.py
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import check, header

from costpanel import CostTracker, Usage

MODELS = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-5", "gpt-5-nano",
          "claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-pro", "gemini-2.5-flash"]
TIERS = ["Tier 1", "Tier 2", "Tier 3", "Tier 4"]  # 4 x 10 = 40 rows


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2_000)
    args = parser.parse_args()
    header("snapshot() latency, 40 rows")
    tracker = CostTracker()
    usage = Usage(input=1000, cache_read=200, output=100)
    recorded = 0
    results = []
    for target in (1_000, 100_000, 1_000_000):
        while recorded < target:
            n = recorded
            tracker.record(MODELS[n % 10], usage, TIERS[(n // 10) % 4])
            recorded += 1
        snap = tracker.snapshot()
        assert len(snap.by_tier_model) == 40 and snap.calls == target

        def full() -> None:
            s = tracker.snapshot()
            _ = (s.total, s.by_tier, s.by_model, s.by_tier_model, s.total_series)

        results.append((target, timed(tracker.snapshot, args.repeat), timed(full, args.repeat // 4)))
    print(f"{'events':>10} {'snapshot() us':>14} {'+ all rows us':>14}")
    for n, bare, full in results:
        print(f"{n:>10,} {bare:14.1f} {full:14.1f}")
    flat = results[-1][1] / results[0][1]
    print(f"growth 1k -> 1M: x{flat:.2f} (snapshot()), x{results[-1][2] / results[0][2]:.2f} (+ all rows)")
    print(check("target snapshot() median <= 50 us", max(r[1] for r in results) <= 50))
    print(check("target flat (<= 1.5x from 1k to 1M)", flat <= 1.5))


if __name__ == "__main__":
    main()
