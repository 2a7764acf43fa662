"""``costpanel price MODEL``: the exact cost of one call."""

from __future__ import annotations

import argparse
from typing import Any

from ..money import format_usd, usd_str
from ..paths import config_dir
from ..usage import BUCKETS, REGISTRY, Usage
from . import args as types
from .output import catalog_or_none, console, error, print_json

EXIT_UNKNOWN_MODEL = 3


def add_parser(sub: Any) -> None:
    p = sub.add_parser("price", help="price one call of a model", description="Price one model call exactly.")
    p.add_argument("model", help="model name as your code sends it (prefixes and date suffixes are understood)")
    for bucket in REGISTRY:
        p.add_argument("--" + bucket.name.replace("_", "-"), dest=bucket.name, type=types.count,
                       default=bucket.default, metavar="N",
                       help=f"{bucket.label.lower()} ({'tokens' if bucket.unit == 'tokens' else 'count'}, "
                            f"default {bucket.default})")
    p.add_argument("--at", type=types.when, default=None, metavar="DATE",
                   help="price the call as of this date/time (price history); default now")
    p.add_argument("--variant", default=None, metavar="NAME",
                   help="price variant: batch, flex, priority, fast, us … (several joined by +); default standard")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    catalog = catalog_or_none()
    if catalog is None:
        return 1
    usage = Usage(**{b: getattr(args, b) for b in BUCKETS})
    try:
        from ..quote import quote  # here: dataclasses and inspect cost every other command ~10 ms

        q = quote(catalog, args.model, usage, args.at, args.variant)
    except ValueError as exc:  # a name no call could have: too long, control characters
        error(str(exc))
        return 2
    if args.json:
        print_json(q.to_json())
    if not q.priced and q.unstated:
        error(f"{q.matched} has no {', '.join(b.replace('_', ' ') for b in q.unstated)} price in {_where(q)}; "
              "a call with them is counted unpriced, never at $0")
        return EXIT_UNKNOWN_MODEL
    if not q.priced and q.matched is not None:
        offered = ", ".join(q.offered) or "none"
        error(f"{q.matched} has no {q.variant!r} price in {_where(q)} (variants it offers: {offered}); "
              "a call billed so is counted unpriced")
        return EXIT_UNKNOWN_MODEL
    if not q.priced:
        close = catalog.suggestions(args.model)
        hint = f" Close model ids: {', '.join(close)}." if close else ""
        error(f"unknown model {args.model!r}: no price in the catalog nor in genai-prices.{hint} To price it, add a TOML file "
              f"to {config_dir() / 'pricing'} (or point COSTPANEL_PRICING at one; schema in docs/pricing.md) "
              "and validate it with `costpanel pricing check`.")
        return EXIT_UNKNOWN_MODEL
    if not args.json:
        if _counts_given(args):
            _print_table(q)
        else:  # `costpanel price MODEL`: what does it cost? Its rates, not a table of zeros
            _print_rates(q, args)
    return 0


def _counts_given(args: argparse.Namespace) -> bool:
    return any(getattr(args, b.name) != b.default for b in REGISTRY)


def _rates_text(rates: dict[str, Any]) -> str:
    """``input $2.50 · cache read $0.25 · output $15.00``: the token buckets with a price, per 1M; a
    cache write billed as input (OpenAI's, Gemini's), or a 1-hour write billed as a 5-minute one
    (a price file that states none), is not said apart."""
    names = {b.name: b.label.lower() for b in REGISTRY if b.unit == "tokens"}
    shown = {k: v for k, v in rates.items() if k in names and v
             and not (k.startswith("cache_write") and v == rates.get("input"))
             and not (k == "cache_write_1h" and v == rates.get("cache_write"))}  # a 1-hour write at the 5-minute rate
    return " · ".join(f"{names[k]} {_dollars(v)}" for k, v in shown.items())


def _dollars(value: Any) -> str:
    """``$2.50``, ``$0.125``, ``$15.00``: a price with at least cents, and every digit it has."""
    text = usd_str(value)
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def _print_rates(q: Any, args: argparse.Namespace) -> None:
    """The model's prices per 1M tokens (and its fees), as billed at ``--at`` under ``--variant``."""
    c = console()
    name = f"{q.model} → {q.matched}" if q.matched != q.model else q.model
    variant = f" · {q.variant}" if q.variant else ""
    where = f"{q.priced_by}" + (f" ({q.price_file})" if q.price_file else "")
    c.print(f"{name} ({q.provider}){variant}: USD per 1M tokens, prices as of {q.at.date().isoformat()}, "
            f"priced by {where}", markup=False, highlight=False)
    rates = q.rates_per_1m()
    c.print("  " + (_rates_text(rates) or "free: $0 for every token"), markup=False, highlight=False)
    for limit, tier in q.tiers:
        c.print(f"  a prompt above {limit:,} tokens bills the whole call at: {_rates_text(q.rates_per_1m(tier))}",
                markup=False, highlight=False)
    fees = [f"{_dollars(rates[k])} per 1,000 {what}" for k, what in (("requests", "requests"),
                                                                      ("web_search", "web searches"))
            if rates.get(k)]
    if fees:
        c.print("  plus " + ", ".join(fees), markup=False, highlight=False)
    if q.offered and not q.variant:  # batch, service tiers …: what else a call of it may be billed at
        c.print(f"  price variants: {', '.join(q.offered)} (--variant NAME shows one's rates)",
                markup=False, highlight=False)
    import shlex

    same = "".join(f" {flag} {shlex.quote(str(value))}" for flag, value in (
        ("--variant", args.variant), ("--at", args.at.date().isoformat() if args.at else None)) if value)
    c.print(f"one call's cost: costpanel price {shlex.quote(args.model)}{same} --input N --output N (--cache-read N …)",
            markup=False, highlight=False)
    if q.source:
        c.print(f"source: {q.source}", markup=False, highlight=False)
    retirement = _retirement_note(q)
    if retirement:
        c.print(retirement, markup=False, highlight=False)


def _where(q: Any) -> str:
    """Where the matched model's prices come from, for a message (``priced_by`` is None when the
    call is unpriced: the entry's own source says it)."""
    if q.price_file:
        return f"your price file {q.price_file}"
    source = q.priced_by or q.listed_by
    return source if source and source != "catalog" else "the catalog"


def _print_table(q: Any) -> None:
    from rich.markup import escape

    from .tables import Col, print_table

    title = f"{q.model}" + (f" → {q.matched} ({q.provider})" if q.matched != q.model else f" ({q.provider})")
    if q.variant:
        title += f" · {q.variant}"
    rows = [[bucket, f"{getattr(q.usage, bucket):,}", usd_str(q.breakdown[bucket])] for bucket in BUCKETS
            if getattr(q.usage, bucket) or q.breakdown[bucket]]
    rows.append(["[bold]total[/]", f"{q.usage.total_tokens:,} tokens", f"[bold]{usd_str(q.cost_usd)}[/]"])
    c = console()
    print_table(c, escape(title), [Col("bucket", name=True), Col("count"), Col("cost (USD)")], rows)
    note = f"≈ {format_usd(q.cost_usd)}; prices as of {q.at.date().isoformat()}; priced by {q.priced_by}"
    if q.price_file:  # the user's own price: say which file, so a mistake in it is found
        note += f" ({q.price_file})"
    if q.tier_threshold is not None:
        note += f"; long-context tier (prompt > {q.tier_threshold:,} tokens) applied to the whole request"
    c.print(note)
    if q.source:
        c.print(f"source: {q.source}")
    retirement = _retirement_note(q)
    if retirement:
        c.print(retirement, markup=False, highlight=False)


def _retirement_note(q: Any) -> str:
    """A line saying the model is retired (or when it will be), or ``""`` for a current model."""
    from ..pricing.retirement import retirement_status

    status = retirement_status(q.retired)
    if status == "current":
        return ""
    day = q.retired.isoformat()
    if status == "scheduled":
        if q.at.date() >= q.retired:  # --at a day past it: that call, not today's, is what is asked about
            return (f"note: {q.matched} retires on {day}: a call on {q.at.date().isoformat()} comes after that day "
                    "(it would fail or be redirected); priced at its last price")
        return f"note: {q.matched} retires on {day}; calls after that day will fail or be redirected"
    if q.at.date() >= q.retired:
        return f"note: {q.matched} was retired on {day}; priced at its last price (calls now fail or are redirected)"
    return f"note: {q.matched} was retired on {day} (calls now fail or are redirected)"
