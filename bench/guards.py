"""record() with budget guards beside record() without: what guards add to the hot path.

Three trackers in the same run, cases taking turns round after round (as bench/record.py):
no guard at all, three guards (session, tier:Tier 3, day) far from their thresholds, and a tracker
whose only guard was closed again (record() must be back to paying nothing). Also printed, with
no target: the known worst case, a guard on an idle tier sitting just below a threshold
($0.49 of $1.00 spent in Tier 1, so $0.01 of room) while Tier 3 records: every call counts
against that room, so a settle comes every other call.
Target (issue 12): with guards <= 1.10x record() without.

Then the threads check (``--runs``, default 20): 8 threads x 2,000 calls ($0.0025 each) switching
every microsecond, guards on the session, on Tier 3 and on the day: every threshold must fire
exactly once, ascending, and the spend when it is found is printed as calls past the threshold
(the share logic promises "within a call or two per thread"; tests/test_guards.py allows 20).
Run: python bench/guards.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
from decimal import Decimal

from _common import batch_mean_ns, check, header

from costpanel import CostTracker, Usage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20, help="runs of the threads check")
    args = parser.parse_args()
    header("record() with and without budget guards")
    usage = Usage(input=1200, output=300)  # gpt-4o: $0.006 a call

    plain = CostTracker(fallback=False)
    guarded = CostTracker(fallback=False)
    for scope in ("session", "tier:Tier 3", "day"):
        guarded.guard(10**9, scope=scope)  # $1e9: no threshold is near, so no settle in the loop
    closed = CostTracker(fallback=False)
    closed.guard(10**9).close()
    idle = CostTracker(fallback=False)
    idle.record("gpt-4o", Usage(input=196_000), "Tier 1")  # $0.49
    idle.guard(1, scope="tier:Tier 1")

    cases = (("record() no guards", plain.record), ("record() 3 guards", guarded.record),
             ("record() guard closed", closed.record), ("idle tier guard near 50%", idle.record))
    for _, rec in cases:
        for _ in range(20_000):
            rec("gpt-4o", usage, "Tier 3")  # warm up
    rounds = 20
    batches: dict[str, list[float]] = {label: [] for label, _ in cases}
    for _ in range(rounds):
        for label, rec in cases:
            batches[label] += batch_mean_ns(lambda rec=rec: rec("gpt-4o", usage, "Tier 3"), 1_000,
                                            max(3, args.calls // 1_000 // rounds))
    base = statistics.median(batches[cases[0][0]])
    print(f"{'case':24} {'ns/call':>9} {'x no guards':>12}")
    for label, _ in cases:
        ns = statistics.median(batches[label])
        print(f"{label:24} {ns:9.0f} {ns / base:12.3f}")
    ratio = statistics.median(batches[cases[1][0]]) / base
    closed_ratio = statistics.median(batches[cases[2][0]]) / base
    print(check("target 3 guards <= 1.10x no guards", ratio <= 1.10))
    print(check("closed guard ~ no guards (<= 1.03x)", closed_ratio <= 1.03))
    assert guarded.guards()[0].spent() == plain.snapshot().total_usd  # the same calls, counted exactly
    threads_check(args.runs)


def threads_check(runs: int) -> None:
    call = Decimal("0.0025")
    worst, wrong = Decimal(0), 0
    for _ in range(runs):
        tracker = CostTracker(fallback=False)
        found: list[tuple[str, Decimal, Decimal]] = []
        lock = threading.Lock()

        def note(c: object) -> None:
            with lock:
                found.append((c.scope, c.threshold, c.spent - c.limit * c.threshold))  # type: ignore[attr-defined]

        for limit, scope in ((20, "session"), (10, "tier:Tier 3"), (30, "day")):
            tracker.guard(limit, scope=scope, on_cross=note)
        start = threading.Barrier(8)

        def work(n: int) -> None:
            start.wait()
            for _ in range(2_000):
                tracker.record("gpt-4o", Usage(input=1_000), "Tier 3" if n % 2 else "Tier 1")

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            for th in threads:
                th.start()
            for th in threads:
                th.join()
        finally:
            sys.setswitchinterval(interval)
        for scope in ("session", "tier:Tier 3", "day"):
            if [t for s, t, _ in found if s == scope] != [Decimal("0.5"), Decimal("0.8"), Decimal(1)]:
                wrong += 1
        worst = max([worst, *(late for _, _, late in found)])
    print(f"threads check: {runs} runs x 9 thresholds, {wrong} guard(s) not fired exactly once in order; "
          f"found at most {worst / call:.0f} call(s) past a threshold")
    print(check("threads: exactly once, ascending", wrong == 0))


if __name__ == "__main__":
    main()
