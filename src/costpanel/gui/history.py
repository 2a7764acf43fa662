"""The History tab's content from the ledger, as plain texts and series. No Dear PyGui here."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..budgets import BudgetLine, budget_line_text
from ..ledger.budgets import budget_lines, load_budgets
from ..ledger.queries import (
    ReportRow,
    daily_trend,
    day_bounds,
    discarded_total,
    open_read_only,
    parse_range,
    report,
    total,
)
from ..money import units_to_usd
from . import format as fmt

HISTORY_RANGES = ("today", "7d", "30d", "month", "all")
HISTORY_COLUMNS = ("Name", "Calls", "Tokens", "Cost", "Unpriced")
HALF_DAY = 12 * 3600
BUDGET_HINT = "type one above and Set budgets"  # the fields beside the bars


@dataclass(frozen=True, slots=True)
class HistoryView:
    range_label: str
    summary: str  # "30d: $123.45 over 4,321 calls (12 unpriced) - 3 discarded ($0.02) not in the total"
    bars: tuple[list[float], list[float]]  # local noon of each day (epoch seconds), cost USD that day
    days_shown: tuple[float, float]  # the x axis: exactly the range's days (for "all": first call to today)
    trend: tuple[list[float], list[float]]  # local noon of days, 7-day moving average USD (a line: $0 between)
    tables: dict[str, list[tuple[str, ...]]]  # "model" / "tier" -> rows of HISTORY_COLUMNS texts
    budgets: list[BudgetLine]
    budget_texts: list[str]


def _noon(day: str) -> float:
    """Epoch seconds of local noon on ``day`` (bars are centred there, covering their own day)."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12)).astimezone().timestamp()


def _row_texts(r: ReportRow) -> tuple[str, ...]:
    name = f"{r.key} [unpriced]" if r.cost_usd is None else r.key  # as the Models tab marks a model without a price
    return (name, f"{r.calls:,}", fmt.tokens(r.tokens, short=True), fmt.cost(r.cost_usd, r.unpriced_calls),
            f"{r.unpriced_calls:,}")


def history_view(conn: sqlite3.Connection, range_label: str, *, now: dt.datetime | None = None,
                 budgets_path: Path | None = None) -> HistoryView:
    span = parse_range(range_label, now=now)
    days = report(conn, span, "day")
    whole = total(days)
    discarded = discarded_total(conn, span)
    summary = f"{range_label}: {fmt.usd(units_to_usd(whole.cost_units))} over {whole.calls:,} calls"
    if whole.unpriced_calls:
        summary += f" ({whole.unpriced_calls:,} unpriced, not in the cost)"
    if discarded.calls:
        summary += f"; {discarded.calls:,} discarded fallback calls ({fmt.usd(discarded.cost_usd)}) not in the total"
    # bars centred on local noon, so each covers its own day on the time axis
    xs = [_noon(r.key) for r in days]
    ys = [float(units_to_usd(r.cost_units)) for r in days]
    today = (now or dt.datetime.now().astimezone()).date()
    averages = daily_trend(conn, span, days=days, today=today)
    first, last = day_bounds(span, days, today)  # exactly the range's days, today included
    lines = budget_lines(conn, load_budgets(budgets_path), now=now)
    return HistoryView(
        range_label=range_label,
        summary=summary,
        bars=(xs, ys),
        days_shown=(_noon(first.isoformat()) - HALF_DAY, _noon(last.isoformat()) + HALF_DAY),
        trend=([_noon(day) for day, _, _ in averages], [float(avg) for _, _, avg in averages]),
        tables={by: [_row_texts(r) for r in report(conn, span, by)] for by in ("model", "tier")},  # type: ignore[arg-type]
        budgets=lines,
        budget_texts=[budget_line_text(line, level=False, hint=BUDGET_HINT) for line in lines],  # as `budget show`
    )


def open_history(path: Path) -> sqlite3.Connection:
    """A read-only connection for the panel's thread (the writer keeps its own)."""
    return open_read_only(path)
