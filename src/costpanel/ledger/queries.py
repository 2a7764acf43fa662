"""History from the ledger: time ranges in the user's local time zone, grouped totals, trends.

Reports read the 15-minute roll-ups, never the raw events, so a month of a million calls is a
few thousand rows. Day and month boundaries are local midnight (a 15-minute bucket never
straddles one: every real UTC offset is a multiple of 15 minutes).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from collections import namedtuple
from typing import Any, Literal, NamedTuple

from ..money import units_to_usd
from ..snapshot import Totals
from ..usage import BUCKETS
from .schema import BUCKET_SECONDS, HOUR
from .sqlite_storage import open_read_only  # noqa: F401  (readers have always imported it from here)

GroupBy = Literal["day", "model", "provider", "tier", "session"]
GROUPS: tuple[str, ...] = ("day", "model", "provider", "tier", "session")
RANGES = ("today", "7d", "30d", "month", "all")
_TOTALS = ("calls", *BUCKETS, "cost_units", "unpriced_calls")  # a roll-up's summed columns
_SUMS = ", ".join(f"SUM({c})" for c in _TOTALS)
_UNIT = Decimal("1e-12")  # averages are rounded to the ledger's unit of 10^-12 USD
_COLUMN = {"model": "model_key", "provider": "COALESCE(provider, '')", "tier": "tier"}


class TimeRange(NamedTuple):
    """[start, end) in epoch seconds; ``label`` as the user wrote it."""

    start: float
    end: float
    label: str


class ReportRow(Totals, namedtuple("ReportRow", ("key", *_TOTALS))):  # type: ignore[misc]
    """One group of a report: ``key``, ``calls``, one count per bucket, ``cost_units`` of the priced
    calls and ``unpriced_calls`` (``cost_usd`` is None when every call is unpriced)."""

    __slots__ = ()


def local_midnight(day: dt.date) -> float:
    """Epoch seconds of local midnight (``TZ`` and DST respected)."""
    return dt.datetime(day.year, day.month, day.day).astimezone().timestamp()


def parse_range(text: str, *, now: dt.datetime | None = None) -> TimeRange:
    """``today``, ``7d``, ``30d``, ``month``, ``all``, or ``FROM..TO`` (local dates, TO inclusive)."""
    now = now or dt.datetime.now().astimezone()
    today = now.date()
    end = now.timestamp() + 1
    if text == "today":
        return TimeRange(local_midnight(today), end, text)
    if m := re.fullmatch(r"(\d+)d", text):
        days = int(m.group(1))
        if days < 1:
            raise ValueError(f"range {text!r}: the number of days must be >= 1")
        return TimeRange(local_midnight(today - dt.timedelta(days=days - 1)), end, text)
    if text == "month":
        return TimeRange(local_midnight(today.replace(day=1)), end, text)
    if text == "all":  # includes calls dated ahead of this clock (another machine's, or a test's)
        return TimeRange(0.0, end + 10 * 366 * 86400, text)
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
        try:
            first, last = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
        except ValueError as exc:
            raise ValueError(f"range {text!r}: {exc}") from None
        if last < first:
            raise ValueError(f"range {text!r}: the end date is before the start date")
        return TimeRange(local_midnight(first), local_midnight(last + dt.timedelta(days=1)), text)
    raise ValueError(f"range must be one of {', '.join(RANGES)} or FROM..TO (YYYY-MM-DD..YYYY-MM-DD), got {text!r}")


def _whole_hour_offsets(span: TimeRange) -> bool:
    """Is the local UTC offset a whole number of hours throughout ``span``? (Checked at its ends
    and at midwinter and midsummer of every year in between, which covers DST offsets.)"""
    start = dt.datetime.fromtimestamp(max(span.start, 0)).astimezone()
    end = dt.datetime.fromtimestamp(span.end).astimezone()
    moments = [start, end]
    for year in range(start.year, end.year + 1):
        moments += [dt.datetime(year, 1, 1).astimezone(), dt.datetime(year, 7, 1).astimezone()]
    return all((m.utcoffset() or dt.timedelta()).total_seconds() % HOUR == 0 for m in moments)


def _pieces(span: TimeRange, status: str, column: str, *, by_day: bool = False) -> list[tuple[str, tuple[object, ...]]]:
    """(SQL, params) covering ``span`` exactly: whole hours from the hourly table, the partial
    hours at either end from the 15-minute table. Days in a time zone with a fractional offset
    (India, Nepal) do not start on the hour, so day reports there read 15-minute buckets only."""
    lo, hi = _bucket_bounds(span)
    first_hour = -(-lo // HOUR) * HOUR
    last_hour = hi // HOUR * HOUR
    key15, key60 = column.replace("{b}", "bucket"), column.replace("{b}", "hour")
    if first_hour >= last_hour or (by_day and not _whole_hour_offsets(span)):
        return [(f"SELECT {key15}, {_SUMS} FROM rollup WHERE bucket >= ? AND bucket < ? AND status = ? GROUP BY 1",
                 (lo, hi, status))]
    parts = [(f"SELECT {key60}, {_SUMS} FROM rollup_hour WHERE hour >= ? AND hour < ? AND status = ? GROUP BY 1",
              (first_hour, last_hour, status))]
    for a, b in ((lo, first_hour), (last_hour, hi)):
        if a < b:
            parts.append((f"SELECT {key15}, {_SUMS} FROM rollup WHERE bucket >= ? AND bucket < ? AND status = ? "
                          "GROUP BY 1", (a, b, status)))
    return parts


def _grouped(conn: sqlite3.Connection, span: TimeRange, column: str, status: str = "committed",
             name: Callable[[Any], str] = str, by_day: bool = False) -> dict[str, list[int]]:
    acc: dict[str, list[int]] = {}
    for sql, params in _pieces(span, status, column, by_day=by_day):
        for key, *sums in conn.execute(sql, params):
            row = acc.setdefault(name(key), [0] * len(_TOTALS))
            for k, v in enumerate(sums):
                row[k] += v or 0
    return acc


def report(conn: sqlite3.Connection, span: TimeRange, by: GroupBy) -> list[ReportRow]:
    """Committed calls in ``span`` grouped ``by``; days in order, other groups costliest first."""
    if by == "day":
        days = _grouped(conn, span, "{b}", name=lambda b: dt.datetime.fromtimestamp(b).date().isoformat(),
                        by_day=True)
        return [ReportRow(day, *acc) for day, acc in sorted(days.items())]
    if by == "session":
        lo, hi = _bucket_bounds(span)
        rows = [ReportRow(key, *(v or 0 for v in sums)) for key, *sums in conn.execute(
            f"SELECT session, {_SUMS} FROM rollup WHERE bucket >= ? AND bucket < ? AND status = 'committed' "
            "GROUP BY 1", (lo, hi))]
        return sorted(rows, key=lambda r: (-r.cost_units, r.key))
    if by not in _COLUMN:
        raise ValueError(f"--by must be one of {', '.join(GROUPS)}, got {by!r}")
    groups = _grouped(conn, span, _COLUMN[by], name=lambda k: k or "-")
    rows = [ReportRow(key, *acc) for key, acc in groups.items()]
    return sorted(rows, key=lambda r: (-r.cost_units, r.key))


class CallRow(namedtuple("CallRow", ("ts", "session", "tier", "model", "matched", "provider", *BUCKETS,  # type: ignore[misc]
                                     "cost_units", "status", "event_id"))):
    """One recorded call, as ``costpanel export --by call`` writes it (``cost_units`` None when
    unpriced)."""

    __slots__ = ()


def calls_in(conn: sqlite3.Connection, span: TimeRange) -> Iterator[CallRow]:
    """Every call in ``span`` (the same 15-minute edges as the reports, so the committed calls
    add up to them), oldest first; discarded attempts included, marked by their status."""
    lo, hi = _bucket_bounds(span)
    cursor = conn.execute(f"SELECT {', '.join(CallRow._fields)} FROM events WHERE ts >= ? AND ts < ? ORDER BY ts, id",
                          (lo, hi))
    for row in cursor:
        yield CallRow(*row)


def discarded_total(conn: sqlite3.Connection, span: TimeRange) -> ReportRow:
    acc = _grouped(conn, span, "'discarded'", status="discarded")
    return ReportRow("discarded", *acc.get("discarded", [0] * len(_TOTALS)))


def total(rows: Sequence[ReportRow], key: str = "total") -> ReportRow:
    return ReportRow(key, *(sum(getattr(r, f) for r in rows) for f in ReportRow._fields[1:]))


def top_sessions(conn: sqlite3.Connection, span: TimeRange, n: int = 10) -> list[ReportRow]:
    return report(conn, span, "session")[:n]


def daily_trend(conn: sqlite3.Connection, span: TimeRange, window: int = 7) -> list[tuple[str, Decimal, Decimal]]:
    """(local day, cost, moving average over the last ``window`` days incl. empty days)."""
    return moving_average(report(conn, span, "day"), window)


def moving_average(days: Sequence[ReportRow], window: int = 7) -> list[tuple[str, Decimal, Decimal]]:
    """``daily_trend`` of day rows a caller already has (a day report is not read twice)."""
    by_day = {r.key: units_to_usd(r.cost_units) for r in days}
    if not by_day:
        return []
    first = dt.date.fromisoformat(min(by_day))
    last = dt.date.fromisoformat(max(by_day))
    out, recent = [], []
    day = first
    while day <= last:
        cost = by_day.get(day.isoformat(), Decimal(0))
        recent = [*recent[-(window - 1):], cost] if window > 1 else [cost]
        out.append((day.isoformat(), cost, (sum(recent, Decimal(0)) / len(recent)).quantize(_UNIT)))
        day += dt.timedelta(days=1)
    return out


def _bucket_bounds(span: TimeRange) -> tuple[int, int]:
    """Buckets whose start lies in the span (local midnights are bucket boundaries)."""
    lo = int(span.start // BUCKET_SECONDS * BUCKET_SECONDS)
    hi = int(-(-span.end // BUCKET_SECONDS) * BUCKET_SECONDS)
    return lo, hi
