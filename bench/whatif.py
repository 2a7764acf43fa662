"""What-if cost: ``Snapshot.reprice`` (from a session's sums) and ``costpanel whatif``'s call-by-call
reprice of a ledger, against the work they replace: a snapshot (what the panel takes every frame)
and ``costpanel report``'s query over the same range.

No target in issue 12; the figures are for docs/performance.md. Run: python bench/whatif.py [--calls N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import header

from costpanel import CostTracker, Usage, load_catalog
from costpanel.ledger.queries import parse_range, report
from costpanel.ledger.sqlite_storage import open_read_only
from costpanel.whatif import reprice_ledger

MODELS = ("claude-sonnet-4-5", "gpt-4o", "gemini-2.5-pro", "unknown-local-model")


def median_s(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    header(f"what-if: {args.calls:,} calls, 4 tiers, {len(MODELS)} models")
    catalog = load_catalog(overrides=False)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.sqlite3"
        tracker = CostTracker(catalog, ledger=path, fallback=False)
        for k in range(args.calls):
            tracker.record(MODELS[k % len(MODELS)], Usage(1000 + k % 5000, 200, cache_read=k % 3000),
                           tier=f"Tier {k % 4 + 1}")
        tracker.close()
        snap = tracker.snapshot()
        take = median_s(tracker.snapshot, 200)
        flat = median_s(lambda: snap.reprice("gpt-4o-mini"), 200)
        tiered = median_s(lambda: snap.reprice({"Tier 4": "claude-haiku-5-5"}), 200)
        print(f"snapshot():                          {take * 1e6:8.1f} us")
        print(f"Snapshot.reprice(model):             {flat * 1e6:8.1f} us  ({flat / take:.2f}x a snapshot)")
        print(f"Snapshot.reprice({{tier: model}}):     {tiered * 1e6:8.1f} us  ({tiered / take:.2f}x a snapshot)")
        conn = open_read_only(path)
        try:
            span = parse_range("all")
            query = median_s(lambda: report(conn, span, "tier"), 3)
            calls = median_s(lambda: reprice_ledger(conn, span, catalog, "claude-haiku-5-5"), 3)
        finally:
            conn.close()
        print(f"report --by tier (roll-ups):         {query * 1e3:8.1f} ms")
        print(f"reprice_ledger, call by call:        {calls * 1e3:8.1f} ms  ({calls / args.calls * 1e6:.1f} us a call, "
              f"{calls / query:.0f}x the report)")


if __name__ == "__main__":
    main()
