"""The genai-prices fallback: the first call of a name the catalog lacks, and every call after it.

Each cold figure runs in a fresh interpreter (genai-prices not yet imported), median of --runs:
- pending (what record() does): the first record() of an unknown name returns at once, counted
  as pending; the lookup (import + resolution) completes on a daemon thread — its latency is
  "priced after";
- inline, no warm-up: the same first call if record() resolved synchronously (what it would stall);
- background warm at tracker creation: CostTracker() + warm(), the agent's own start-up (--startup
  seconds), then the first record() resolves inline (genai-prices already loaded).
Steady state: record() of the fallback-priced name against a catalog model, after resolution
(both take the same plan-cache path). Target: ratio <= 1.1.
Run: python bench/fallback.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from _common import batch_mean_ns, check, header

from costpanel import CostTracker, Usage

NAME = "groq/llama-3.1-8b-instant"

PENDING = f"""
import json, time
from costpanel import CostTracker, Usage
t = CostTracker(ledger=False)
t.record("gpt-4o", Usage(input=1, output=1))  # the plan path warmed on a catalog name
u = Usage(input=1200, output=300)
t0 = time.perf_counter()
e = t.record({NAME!r}, u)
first = time.perf_counter() - t0
while t.snapshot().pending_calls:
    time.sleep(0.0005)
priced = time.perf_counter() - t0
print(json.dumps({{"first": first, "priced": priced, "status": e.status}}))
"""

INLINE = f"""
import json, time
from costpanel import CostTracker, Usage
from costpanel.pricing.fallback import shared_fallback
t = CostTracker(ledger=False)
t.record("gpt-4o", Usage(input=1, output=1))
t0 = time.perf_counter()
shared_fallback().resolve_now({NAME!r})  # a synchronous lookup on the recording thread
first = time.perf_counter() - t0
print(json.dumps({{"first": first}}))
"""

WARM = f"""
import json, time
from costpanel import CostTracker, Usage
from costpanel.pricing.fallback import shared_fallback
t0 = time.perf_counter()
t = CostTracker(ledger=False)
plain = time.perf_counter() - t0
t0 = time.perf_counter()
shared_fallback().warm()
warm = time.perf_counter() - t0
time.sleep({{startup}})  # the agent starting up
t0 = time.perf_counter()
e = t.record({NAME!r}, Usage(input=1200, output=300))
first = time.perf_counter() - t0
print(json.dumps({{"create": plain, "warm_call": warm, "first": first, "status": e.status}}))
"""


def cold(code: str, runs: int) -> list[dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.path.join(os.path.dirname(__file__), "..",
                                                                                   "src"), os.environ.get("PYTHONPATH")]))}
    out = []
    for _ in range(runs):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        out.append(json.loads(r.stdout.strip().splitlines()[-1]))
    return out


def med(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--startup", type=float, default=0.5, help="seconds between warm() and the first call")
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()
    header("genai-prices fallback")

    pending = cold(PENDING, args.runs)
    inline = cold(INLINE, args.runs)
    warm = cold(WARM.replace("{startup}", repr(args.startup)), args.runs)
    print(f"pending path (chosen): first record() {med(pending, 'first') * 1e6:,.0f} us "
          f"(status {pending[0]['status']}); priced after {med(pending, 'priced') * 1e3:,.0f} ms")
    print(f"inline, no warm-up:    first record() would take {med(inline, 'first') * 1e3:,.0f} ms")
    print(f"background warm at tracker creation: CostTracker() {med(warm, 'create') * 1e6:,.0f} us + warm() "
          f"{med(warm, 'warm_call') * 1e6:,.0f} us; first record() after {args.startup:g} s "
          f"{med(warm, 'first') * 1e3:,.2f} ms (status {warm[0]['status']})")

    tracker = CostTracker(ledger=False)
    usage = Usage(input=1200, output=300)
    tracker.record(NAME, usage)
    tracker.settle()
    record = tracker.record
    assert record(NAME, usage).source.startswith("genai-prices")

    def catalog_call() -> None:
        record("gpt-4o", usage, "Tier 3")

    def fallback_call() -> None:
        record(NAME, usage, "Tier 3")

    batch = 1000
    for fn in (catalog_call, fallback_call):
        batch_mean_ns(fn, batch, 20)  # warm-up
    cat_ns: list[float] = []
    fb_ns: list[float] = []
    for _ in range(args.calls // batch // 10):  # interleaved, so drift hits both alike
        cat_ns += batch_mean_ns(catalog_call, batch, 10)
        fb_ns += batch_mean_ns(fallback_call, batch, 10)
    cat, fb = statistics.median(cat_ns), statistics.median(fb_ns)
    print(f"steady state: record() catalog model {cat:,.0f} ns, genai-prices-priced model {fb:,.0f} ns "
          f"(ratio {fb / cat:.2f})")
    print(check("first record() of an unknown name returns in < 1 ms", med(pending, "first") < 1e-3))
    print(check("steady-state ratio <= 1.1", fb / cat <= 1.1))


if __name__ == "__main__":
    main()
