"""``costpanel whatif``: the ledger's calls repriced on another model, call by call (exact)."""

from __future__ import annotations

import argparse
from typing import Any

from ..money import format_usd, units_to_usd, usd_str
from .history import _common, _guarded, open_ledger
from .output import catalog_or_none, console, error, print_json


def add_parser(sub: Any) -> None:
    w = sub.add_parser(
        "whatif", help="what the recorded calls would have cost on another model",
        description="Reprice the ledger's calls in a range on another model, call by call, at its current "
                    "rates (each call's own prompt size picks a long-context tier: exact). Per tier and in total: "
                    "actual, what-if, difference and %. Cache tokens carry over where the target prices caching, "
                    "else they are billed as input (said in the notes).",
        epilog="Examples: costpanel whatif --model claude-haiku-5-5 --range today; "
               "costpanel whatif --tier 'Tier 4=claude-haiku-5-5' (other tiers unchanged)")
    w.add_argument("--model", default=None, metavar="MODEL",
                   help="reprice every tier on this model (tiers named by --tier excepted)")
    w.add_argument("--tier", action="append", default=[], type=_tier_target, metavar="TIER=MODEL",
                   help="reprice this tier on MODEL (repeatable); tiers named by neither flag keep their models")
    w.add_argument("--cheapest", choices=("overall", "per-tier"), nargs="?", const="overall", default=None,
                   help="instead of a model: the cheapest of your candidate list for these calls, one for all tiers "
                        "(overall, the default) or one per tier (list: whatif.toml in the config folder, else the "
                        "bundled one)")
    _common(w)
    w.add_argument("--json", action="store_true", help="machine-readable output")
    w.set_defaults(handler=run)


def _tier_target(text: str) -> tuple[str, str]:
    """``Tier 4=claude-haiku-5-5``: split at the last ``=`` (a model name has none)."""
    tier, sep, model = text.rpartition("=")
    if not sep or not tier.strip() or not model.strip():
        raise argparse.ArgumentTypeError(f"expected TIER=MODEL, e.g. 'Tier 4=claude-haiku-5-5', got {text!r}")
    return tier, model.strip()


def run(args: argparse.Namespace) -> int:
    return _guarded(_whatif, args)


def _whatif(args: argparse.Namespace) -> int:
    from ..ledger.queries import parse_range
    from ..whatif import make_plan, reprice_plan

    if args.cheapest is not None:
        if args.model is not None or args.tier:
            error("--cheapest picks the models itself: give it without --model and --tier")
            return 2
        return _cheapest(args)
    if args.model is None and not args.tier:
        error("say what to reprice on: --model MODEL (every tier) and/or --tier 'TIER=MODEL', or --cheapest")
        return 2
    per_tier: dict[str, str] = {}
    for tier, model in args.tier:
        if tier in per_tier:
            raise ValueError(f"--tier {tier!r} is given twice ({per_tier[tier]!r} and {model!r}): name each tier once")
        per_tier[tier] = model
    span = parse_range(args.range)
    catalog = catalog_or_none()
    if catalog is None:
        return 1
    # an unknown model: ValueError, exit 2
    plan = make_plan(catalog, args.model, per_tier, field="--model", tier_field="--tier {tier!r}")
    conn = open_ledger(args)
    try:
        result = reprice_plan(conn, span, plan)
    finally:
        conn.close()
    if not result.calls:
        error(f"no calls in range {span.label}: nothing to reprice (try --range all)")
        return 2
    unknown = [tier for tier in per_tier if tier not in result.by_tier]
    if unknown:
        raise ValueError(f"--tier {unknown[0]!r}: no calls of that tier in range {span.label} "
                         f"(tiers there: {', '.join(result.by_tier)})")
    if args.json:
        print_json({"range": span.label, **result.as_dict()})
        return 0
    _print(result, span.label, args.model, per_tier)
    return 0


def _cheapest(args: argparse.Namespace) -> int:
    from rich.markup import escape

    from ..ledger.queries import parse_range
    from ..whatif.candidates import cheapest_in_ledger, load_candidates

    span = parse_range(args.range)
    candidates = load_candidates()  # a malformed file: ValueError naming it, exit 2
    catalog = catalog_or_none()
    if catalog is None:
        return 1
    conn = open_ledger(args)
    try:
        choice = cheapest_in_ledger(conn, span, catalog, candidates, per_tier=args.cheapest == "per-tier")
    finally:
        conn.close()
    if not choice.ranked:
        error(f"no calls in range {span.label}: nothing to reprice (try --range all)")
        return 2
    if args.json:
        print_json({"range": span.label, "candidates": str(candidates.path),
                    "ranked": {k: [{"model": m, "what_if_usd": usd_str(units_to_usd(u))} for m, u in v]
                               for k, v in choice.ranked.items()},
                    "skipped": [{"model": m, "why": why} for m, why in choice.skipped],
                    "whatif": None if choice.whatif is None else choice.whatif.as_dict()})
        return 0
    out = console()
    for key, ranked in choice.ranked.items():
        listed = ", ".join(f"{m} {format_usd(units_to_usd(u))}" for m, u in ranked) or "none prices every call"
        out.print(f"{'all tiers' if key == '*' else escape(key)}: {escape(listed)}")
    for model, why in choice.skipped:
        out.print(f"skipped {escape(model)}: {escape(why)}")
    if choice.whatif is None:
        out.print(f"no candidate in {candidates.path} prices every call: nothing to compare")
        return 0
    target = choice.target
    _print(choice.whatif, span.label, target if isinstance(target, str) else None,
           {} if isinstance(target, str) or target is None else dict(target))
    return 0


def _print(result: Any, label: str, model: str | None, per_tier: dict[str, str]) -> None:
    from rich.markup import escape

    from ..whatif.view import model_lines, tier_lines
    from .tables import Col, print_table

    parts = [f"{tier} → {m}" for tier, m in per_tier.items()]
    if model:
        parts.append(f"{'every other tier' if per_tier else 'every tier'} → {model}")
    elif set(result.by_tier) - set(per_tier):
        parts.append("other tiers unchanged")
    out = console()
    head = ("Tier", "Target", "Calls", "Actual", "What-if", "Difference", "%")
    lines = tier_lines(result)
    rows = []
    for ln in lines:
        cells = [escape(ln.label), escape(ln.target), ln.calls, ln.actual, ln.what_if, ln.difference, ln.pct]
        rows.append([f"[bold]{c}[/]" for c in cells] if ln is lines[-1] else cells)
    # A narrow terminal: one target for every row is left to the title
    one = model if model and not per_tier else None
    title = f"What if: {', '.join(parts)} — range {label}, {result.calls:,} calls repriced one by one"
    tier_cols = [Col(c, name=c in ("Tier", "Target")) for c in head]
    print_table(out, title, tier_cols, rows, _without_target(tier_cols, rows, one))
    model_cols = [Col(c, name=c in ("Tier · model", "Target")) for c in ("Tier · model", *head[1:])]
    model_rows = [[escape(ln.label), escape(ln.target), ln.calls, ln.actual, ln.what_if, ln.difference, ln.pct]
                  for ln in model_lines(result)]
    print_table(out, f"By model (actual → {one})" if one else "By model (actual → target)", model_cols, model_rows,
                _without_target(model_cols, model_rows, one))
    for note in result.notes:
        out.print(f"note: {escape(note)}")
    if result.difference_usd is None:
        out.print("the difference is stated only where every call is priced on both sides (— otherwise)")


def _without_target(cols: list[Any], rows: list[list[Any]], target: str | None) -> tuple[list[Any], list[list[Any]]] | None:
    """The table without its Target column, where every row has the one ``target`` (None: not so)."""
    if target is None:
        return None
    return [cols[0], *cols[2:]], [[row[0], *row[2:]] for row in rows]
