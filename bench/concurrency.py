"""4 producer threads recording as fast as they can while a reader takes snapshots at 60 Hz.

Targets (issue 3): >= 300k events/s in total on 2 cores, p99 record() latency <= 50 us, zero
events lost (the tracker's totals equal what the producers sent, to the unit).
Run: python bench/concurrency.py
"""

from __future__ import annotations

import argparse
import threading
import time

from _common import check, header, percentile

from costpanel import CostTracker, Usage

MODELS = ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-flash", "gpt-5-nano", "deepseek-chat", "unknown-local-model"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--events", type=int, default=250_000, help="per producer")
    args = parser.parse_args()
    header("concurrent record() with a 60 Hz snapshot reader")

    tracker = CostTracker()
    catalog = tracker.catalog
    usages = [Usage(input=500 + n % 3000, cache_read=(n % 5) * 100, output=50 + n % 400) for n in range(1000)]
    latencies: list[list[int]] = [[] for _ in range(args.producers)]
    expected_units = [0] * args.producers
    start = threading.Barrier(args.producers + 2)  # producers, reader, and this thread
    stop_reader = threading.Event()
    frames: list[float] = []

    def producer(k: int) -> None:
        record, now = tracker.record, time.perf_counter_ns
        model, tier = MODELS[k % len(MODELS)], f"Tier {k % 4 + 1}"
        lat = latencies[k]
        units = 0
        start.wait()
        for n in range(args.events):
            u = usages[n % 1000]
            t0 = now()
            ev = record(model, u, tier)
            lat.append(now() - t0)
            units += ev.cost_units or 0
        expected_units[k] = units

    def reader() -> None:
        start.wait()
        while not stop_reader.is_set():
            t0 = time.perf_counter()
            s = tracker.snapshot()
            _ = s.by_tier, s.by_model, s.total_usd  # what a panel frame reads
            frames.append(time.perf_counter() - t0)
            time.sleep(1 / 60)

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(args.producers)]
    watcher = threading.Thread(target=reader)
    for t in (*threads, watcher):
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    stop_reader.set()
    watcher.join()

    total_events = args.producers * args.events
    s = tracker.snapshot()
    lost = total_events - s.calls
    exact = s.total.cost_units == sum(expected_units)
    all_lat = [v for lat in latencies for v in lat]
    rate = total_events / elapsed
    p50, p99 = percentile(all_lat, 50) / 1000, percentile(all_lat, 99) / 1000
    print(f"producers={args.producers} events={total_events:,} elapsed={elapsed:.2f}s")
    print(f"throughput: {rate:,.0f} events/s (target 300,000; ratio {rate / 300_000:.2f})")
    print(f"record() latency: p50 {p50:.2f} us, p99 {p99:.2f} us, max {max(all_lat) / 1000:.0f} us")
    print(f"snapshot+rows in reader: {len(frames)} frames, median {percentile(frames, 50) * 1e6:.0f} us")
    print(f"events lost: {lost}; totals exact: {exact}")
    print(check("target >= 300k events/s", rate >= 300_000))
    print(check("target p99 <= 50 us", p99 <= 50))
    print(check("target zero lost and exact", lost == 0 and exact))
    assert catalog is tracker.catalog


if __name__ == "__main__":
    main()
