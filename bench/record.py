"""record() latency beside two dict+lock integer accumulators (the floors) and genai-prices.

Floors, measured in the same run:
- inline: one function, called directly, adding an integer cost under a lock (rates are constants);
- bare: the same behind a call layer, with a rate lookup per call (the issue-3 floor, kept for history).
Targets: median <= 2 us (issue 3); median <= 3x the *inline* floor (issue 9, every issue since).
Run: python bench/record.py
"""

from __future__ import annotations

import argparse
import statistics
import threading

from _common import batch_mean_ns, check, header, per_call_ns, percentile

from costpanel import CostTracker, Usage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()
    header("record() latency")

    lock = threading.Lock()
    acc: dict[tuple[str, str], int] = {}
    rates = {"gpt-4o": (2_500_000, 10_000_000)}  # integer micro-micro-dollars per token

    def bare_record(model: str, usage: Usage, tier: str) -> None:
        # The floor: a function taking the same arguments, a dict + lock adding integer money.
        r_in, r_out = rates[model]
        cost = usage.input * r_in + usage.output * r_out
        with lock:
            key = (tier, model)
            acc[key] = acc.get(key, 0) + cost

    R_IN, R_OUT = 2_500_000, 10_000_000

    def inline() -> None:
        # The tightest floor: one function, no call layer, no rate lookup.
        cost = usage.input * R_IN + usage.output * R_OUT
        with lock:
            key = ("Tier 3", "gpt-4o")
            acc[key] = acc.get(key, 0) + cost

    tracker = CostTracker()
    usage = Usage(input=1200, output=300)
    record = tracker.record

    def bare() -> None:
        bare_record("gpt-4o", usage, "Tier 3")

    def rec() -> None:
        record("gpt-4o", usage, "Tier 3")

    def rec_with_usage() -> None:  # what a caller pays including building the Usage
        record("gpt-4o", Usage(input=1200, output=300), "Tier 3")

    def rec_tiered() -> None:  # a model with a long-context cliff tier
        record("claude-sonnet-4-5", usage, "Tier 2")

    cases = (("inline dict+lock floor", inline), ("bare dict+lock floor", bare), ("record() priced", rec),
             ("record() + Usage(...)", rec_with_usage), ("record() tiered model", rec_tiered))
    for _, fn in cases:
        for _ in range(20_000):
            fn()  # warm up
    # The cases take turns, round after round: a busy moment of the machine then slows every case
    # alike instead of one, and the ratios to the floors (what travels between machines) hold.
    rounds = 20
    batches: dict[str, list[float]] = {label: [] for label, _ in cases}
    for _ in range(rounds):
        for label, fn in cases:
            batches[label] += batch_mean_ns(fn, 1_000, max(3, args.calls // 1_000 // rounds))
    rows = []
    for label, fn in cases:
        calls = per_call_ns(fn, args.calls)
        rows.append((label, statistics.median(batches[label]), percentile(calls, 50), percentile(calls, 99)))

    try:
        from decimal import Decimal

        import genai_prices
        from genai_prices import Usage as GUsage

        gusage = GUsage(input_tokens=1200, output_tokens=300)

        def genai() -> None:
            genai_prices.calc_price(gusage, model_ref="gpt-4o", provider_id="openai")

        assert genai_prices.calc_price(gusage, model_ref="gpt-4o", provider_id="openai").total_price == Decimal("0.006")
        for _ in range(200):
            genai()
        batches = batch_mean_ns(genai, 100, 20)
        calls = per_call_ns(genai, 2_000)
        rows.append(("genai_prices.calc_price", statistics.median(batches), percentile(calls, 50), percentile(calls, 99)))
    except ImportError:
        print("# genai-prices not installed: pip install -e . to compare")

    inline_floor, bare_floor = rows[0][1], rows[1][1]
    print(f"{'case':28} {'mean/batch us':>14} {'median us':>10} {'p99 us':>8} {'x inline':>9} {'x bare':>7}")
    for label, mean, med, p99 in rows:
        print(f"{label:28} {mean / 1000:14.3f} {med / 1000:10.3f} {p99 / 1000:8.3f} "
              f"{mean / inline_floor:9.2f} {mean / bare_floor:7.2f}")
    priced = rows[2]
    print(check("target median <= 2 us", priced[1] / 1000 <= 2.0))
    print(check("target <= 3x inline floor", priced[1] / inline_floor <= 3.0))


if __name__ == "__main__":
    main()
