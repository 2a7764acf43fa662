"""``costpanel demo``: the simulated four-tier conductor feeding a tracker."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..money import format_usd
from ..pricing import PricingError
from .output import console, error


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="run the simulated orchestrator and show its costs",
                       description="Run a simulated four-tier agent session and show what it costs.")
    p.add_argument("--rate", type=float, default=200.0, metavar="EVENTS_PER_S",
                   help="simulated model calls per second (default 200)")
    p.add_argument("--seconds", type=float, default=3.0, metavar="S", help="how long to run (default 3)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..sim import Conductor
    from ..tracker import CostTracker

    if args.rate <= 0:
        error(f"--rate must be > 0, got {args.rate}")
        return 2
    if args.seconds <= 0:
        error(f"--seconds must be > 0, got {args.seconds}")
        return 2
    try:
        tracker = CostTracker()
    except PricingError as exc:
        error(str(exc))
        return 1
    conductor = Conductor(tracker, seed=args.seed)
    conductor.start(rate=args.rate)
    try:
        time.sleep(args.seconds)
    finally:
        conductor.stop()
    print_snapshot(tracker.snapshot())
    return 0


def print_snapshot(snap: Any) -> None:
    """Session header, tier table and model table, as the panel shows them."""
    from rich.table import Table

    out = console()
    unpriced = f" · {snap.unpriced_calls:,} calls unpriced ({', '.join(snap.unpriced)})" if snap.unpriced_calls else ""
    out.print(f"[bold]Session {snap.session}[/]: {format_usd(snap.total_usd)} · {snap.tokens:,} tokens · "
              f"{snap.calls:,} calls · {snap.elapsed_s:.1f} s{unpriced}")
    tiers = Table(title="By tier", title_justify="left")
    for col in ("Tier", "Model(s)", "Calls", "Input", "Cache read", "Cache write", "Output", "Est. cost", "Share"):
        tiers.add_column(col, justify="left" if col in ("Tier", "Model(s)") else "right")
    for name, row in snap.by_tier.items():
        tiers.add_row(name, ", ".join(row.models), f"{row.calls:,}", f"{row.input:,}", f"{row.cache_read:,}",
                      f"{row.cache_write + row.cache_write_1h:,}", f"{row.output:,}", _cost(row), f"{row.share:.1%}")
    models = Table(title="By model", title_justify="left")
    for col in ("Model", "Provider", "Calls", "Tokens", "Est. cost", "$/call", "Share"):
        models.add_column(col, justify="left" if col in ("Model", "Provider") else "right")
    for name, row in snap.by_model.items():
        models.add_row(name, row.provider or "—", f"{row.calls:,}", f"{row.tokens:,}", _cost(row),
                       format_usd(row.usd_per_call, unpriced="—"), f"{row.share:.1%}")
    out.print(tiers)
    out.print(models)
    if snap.discarded.calls:
        out.print(f"discarded fallback attempts: {snap.discarded.calls:,} calls, "
                  f"{format_usd(snap.discarded.cost_usd)} (not in the total)")


def _cost(row: Any) -> str:
    text = format_usd(row.cost_usd)
    return text + " (+unpriced)" if row.unpriced_calls and row.cost_usd is not None else text
