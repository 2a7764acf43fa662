"""History from the ledger: time ranges in the user's local time zone, grouped totals, trends.

Reports read the 15-minute roll-ups, never the raw events, so a month of a million calls is a
few thousand rows. Day and month boundaries are local midnight (a 15-minute bucket never
straddles one: every real UTC offset is a multiple of 15 minutes).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from ..money import units_to_usd
from ..snapshot import Totals
from ..usage import BUCKETS
from .schema import BUCKET_SECONDS, HOUR
from .sqlite_storage import open_read_only  # noqa: F401  (readers have always imported it from here)

GroupBy = Literal["day", "model", "provider", "tier", "session", "project", "source", "variant"]
GROUPS: tuple[str, ...] = ("day", "model", "provider", "tier", "session", "project", "source", "variant")
RANGES = ("today", "7d", "30d", "month", "all")
_TOTALS = ("calls", *BUCKETS, "cost_units", "unpriced_calls")  # a roll-up's summed columns
_SUMS = ", ".join(f"SUM({c})" for c in _TOTALS)
_UNIT = Decimal("1e-12")  # averages are rounded to the ledger's unit of 10^-12 USD
_COLUMN = {"model": "model_key", "provider": "COALESCE(provider, '')", "tier": "tier", "project": "project",
           "source": "source"}
_FAR = 2**62  # seconds: beyond any time a datetime can hold (year 9999), within SQLite's integers
_COUNT = r"[0-9]+(?:_[0-9]+)*"  # ASCII digits, `_` between them (Python's \d and int() take any script's)
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_LOCAL_TIME_ERRORS = (OverflowError, ValueError, OSError)  # a time the platform's local clock cannot express


class TimeRange(NamedTuple):
    """[start, end) in epoch seconds (``-inf``/``inf``: no bound, as ``all``); ``label`` as the
    user wrote it."""

    start: float
    end: float
    label: str


class ReportRow(Totals, namedtuple("ReportRow", ("key", *_TOTALS))):  # type: ignore[misc]
    """One group of a report: ``key``, ``calls``, one count per bucket, ``cost_units`` of the priced
    calls and ``unpriced_calls`` (``cost_usd`` is None when every call is unpriced)."""

    __slots__ = ()


def local_midnight(day: dt.date) -> float:
    """Epoch seconds of local midnight (``TZ`` and DST respected); ``-inf``/``inf`` at the ends of
    the calendar where the local clock cannot say (year 1 east of UTC, after 9999-12-31)."""
    try:
        return dt.datetime(day.year, day.month, day.day).astimezone().timestamp()
    except _LOCAL_TIME_ERRORS:
        return -math.inf if day.year < 1970 else math.inf


def local_day(ts: float) -> dt.date:
    """The local date of an instant (its UTC date where the local clock cannot say)."""
    try:
        return dt.datetime.fromtimestamp(ts).date()
    except _LOCAL_TIME_ERRORS:
        return dt.datetime.fromtimestamp(ts, dt.timezone.utc).date()


def parse_range(text: str, *, now: dt.datetime | None = None) -> TimeRange:
    """``today``, ``7d``, ``30d`` (any ``Nd``), ``month``, ``all`` (no bound at all), or ``FROM..TO``
    (local dates, TO inclusive). Numbers are ASCII digits (``1_000d`` allowed)."""
    now = now or dt.datetime.now().astimezone()
    today = now.date()
    end = now.timestamp() + 1
    if text == "today":
        return TimeRange(local_midnight(today), end, text)
    if m := re.fullmatch(f"({_COUNT})d", text):
        days = int(m.group(1))
        back = (today - dt.date.min).days + 1  # the most days a calendar has before tomorrow
        if days < 1:
            raise ValueError(f"range {text!r}: the number of days must be >= 1")
        if days > back:
            raise ValueError(f"range {text!r}: goes back before the year 1 (at most {back:,} days back from today); "
                             "use --range all for every call")
        return TimeRange(local_midnight(today - dt.timedelta(days=days - 1)), end, text)
    if text == "month":
        return TimeRange(local_midnight(today.replace(day=1)), end, text)
    if text == "all":  # no filter: calls dated far back or ahead of this clock are in it too
        return TimeRange(-math.inf, math.inf, text)
    if m := re.fullmatch(f"({_DATE})\\.\\.({_DATE})", text):
        try:
            first, last = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
        except ValueError as exc:
            raise ValueError(f"range {text!r}: {exc}") from None
        if last < first:
            raise ValueError(f"range {text!r}: the end date is before the start date")
        if last == dt.date.max:  # a range ends at the midnight after its last day; the calendar has none
            raise ValueError(f"range {text!r}: the last day can be 9999-12-30 at the latest; "
                             "use --range all for every call")
        return TimeRange(local_midnight(first), local_midnight(last + dt.timedelta(days=1)), text)
    raise ValueError(f"range must be one of {', '.join(RANGES)}, Nd or FROM..TO (YYYY-MM-DD..YYYY-MM-DD), "
                     f"got {text!r}")


def _whole_hour_offsets(lo: int, hi: int) -> bool:
    """Is the local UTC offset a whole number of hours throughout [lo, hi)? (Checked at its ends
    and at midwinter and midsummer of every year in between, which covers DST offsets; where the
    local clock cannot say, no: the 15-minute table is then read, which is exact anyway.)"""
    try:
        start = dt.datetime.fromtimestamp(lo).astimezone()
        end = dt.datetime.fromtimestamp(hi).astimezone()
        moments = [start, end]
        for year in range(start.year, end.year + 1):
            moments += [dt.datetime(year, 1, 1).astimezone(), dt.datetime(year, 7, 1).astimezone()]
    except _LOCAL_TIME_ERRORS:
        return False
    return all((m.utcoffset() or dt.timedelta()).total_seconds() % HOUR == 0 for m in moments)


def _stored_bounds(conn: sqlite3.Connection, span: TimeRange) -> tuple[int, int] | None:
    """The span's buckets narrowed to those that hold calls (two index lookups): an unbounded
    ``all`` becomes the ledger's own first and last buckets. None when nothing is stored there."""
    lo, hi = _bucket_bounds(span)
    first, last = conn.execute("SELECT (SELECT MIN(bucket) FROM rollup), (SELECT MAX(bucket) FROM rollup)").fetchone()
    if first is None:
        return None
    lo, hi = max(lo, first), min(hi, last + BUCKET_SECONDS)
    return (lo, hi) if lo < hi else None


def _pieces(lo: int, hi: int, status: str, column: str, *, by_day: bool = False) -> list[tuple[str, tuple[object, ...]]]:
    """(SQL, params) covering [lo, hi) exactly: whole hours from the hourly table, the partial
    hours at either end from the 15-minute table. Days in a time zone with a fractional offset
    (India, Nepal) do not start on the hour, so day reports there read 15-minute buckets only."""
    first_hour = -(-lo // HOUR) * HOUR
    last_hour = hi // HOUR * HOUR
    key15, key60 = column.replace("{b}", "bucket"), column.replace("{b}", "hour")
    if first_hour >= last_hour or (by_day and not _whole_hour_offsets(lo, hi)):
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
    bounds = _stored_bounds(conn, span)
    if bounds is None:
        return acc
    for sql, params in _pieces(*bounds, status, column, by_day=by_day):
        for key, *sums in conn.execute(sql, params):
            row = acc.setdefault(name(key), [0] * len(_TOTALS))
            for k, v in enumerate(sums):
                row[k] += v or 0
    return acc


NO_GROUP = ""  # the key of calls without a project (or a provider: unpriced models); JSON null, CSV empty
STANDARD_GROUP = "standard"  # by variant: the calls billed at the standard price (no variant)


def report(conn: sqlite3.Connection, span: TimeRange, by: GroupBy) -> list[ReportRow]:
    """Committed calls in ``span`` grouped ``by``; days in order, other groups costliest first.
    Calls without a project (by project) or a provider (by provider) are the group :data:`NO_GROUP`."""
    if by == "day":
        days = _grouped(conn, span, "{b}", name=lambda b: local_day(b).isoformat(), by_day=True)
        return [ReportRow(day, *acc) for day, acc in sorted(days.items())]
    if by == "session":
        lo, hi = _bucket_bounds(span)
        rows = [ReportRow(key, *(v or 0 for v in sums)) for key, *sums in conn.execute(
            f"SELECT session, {_SUMS} FROM rollup WHERE bucket >= ? AND bucket < ? AND status = 'committed' "
            "GROUP BY 1", (lo, hi))]
        return sorted(rows, key=lambda r: (-r.cost_units, r.key))
    if by == "variant":  # not in the roll-ups (few calls have one): summed from the calls themselves
        lo, hi = _bucket_bounds(span)
        sums = ", ".join(("COUNT(*)", *(f"SUM(c.{b})" for b in BUCKETS), "COALESCE(SUM(c.cost_units), 0)",
                          "SUM(c.cost_units IS NULL)"))
        rows = [ReportRow(key or STANDARD_GROUP, *(v or 0 for v in sums_)) for key, *sums_ in conn.execute(
            f"SELECT d.variant, {sums} FROM calls AS c JOIN dims AS d ON d.id = c.dim "
            "WHERE c.committed = 1 AND c.ts >= ? AND c.ts < ? GROUP BY 1", (lo, hi))]
        return sorted(rows, key=lambda r: (-r.cost_units, r.key))
    if by not in _COLUMN:
        raise ValueError(f"--by must be one of {', '.join(GROUPS)}, got {by!r}")
    groups = _grouped(conn, span, _COLUMN[by], name=lambda k: k or NO_GROUP)
    rows = [ReportRow(key, *acc) for key, acc in groups.items()]
    return sorted(rows, key=lambda r: (-r.cost_units, r.key))


def priced_by(conn: sqlite3.Connection, span: TimeRange) -> dict[str, str]:
    """What priced each model's committed calls in ``span`` (``catalog``, ``genai-prices x.y.z``),
    by model key, from the 15-minute roll-ups; models whose calls were all unpriced are absent.
    If a model was priced by more than one source in the span, the greatest name is shown."""
    lo, hi = _bucket_bounds(span)
    return {key: src for key, src in conn.execute(
        "SELECT model_key, MAX(priced_by) FROM rollup WHERE bucket >= ? AND bucket < ? AND status = 'committed' "
        "GROUP BY 1", (lo, hi)) if src}


class CallRow(namedtuple("CallRow", ("ts", "session", "tier", "model", "matched", "provider", *BUCKETS,  # type: ignore[misc]
                                     "cost_units", "status", "event_id", "variant", "priced_by", "source", "project",
                                     "approximate"))):
    """One recorded call, as ``costpanel export --by call`` writes it (``cost_units`` None when
    unpriced; ``variant`` None when standard-priced; ``priced_by`` what priced it; ``source`` where
    it came from; ``project`` its project, '' when none; ``approximate`` 1 when its source could
    only estimate the usage)."""

    __slots__ = ()


def calls_in(conn: sqlite3.Connection, span: TimeRange) -> Iterator[CallRow]:
    """Every call in ``span`` (the same 15-minute edges as the reports, so the committed calls
    add up to them), oldest first; discarded attempts included, marked by their status."""
    lo, hi = _bucket_bounds(span)
    cursor = conn.execute(f"SELECT {', '.join(CallRow._fields)} FROM events WHERE ts >= ? AND ts < ? ORDER BY ts, id",
                          (lo, hi))
    for row in cursor:
        yield CallRow(*row)


def held(conn: sqlite3.Connection) -> tuple[int, dt.date, dt.date] | None:
    """(counted calls, local day of the first, of the last) in the whole ledger; None when empty.
    From the roll-ups: a report whose range is empty can say where the calls are."""
    calls, lo, hi = conn.execute("SELECT SUM(calls), MIN(bucket), MAX(bucket) FROM rollup "
                                 "WHERE status = 'committed' AND calls > 0").fetchone()
    return None if not calls else (int(calls), local_day(lo), local_day(hi))


def approximate_calls(conn: sqlite3.Connection, span: TimeRange) -> int:
    """Counted calls in ``span`` whose source could only estimate their usage (few dims have any:
    they are looked up first, so a ledger without such calls answers without scanning calls)."""
    dims = [r[0] for r in conn.execute("SELECT id FROM dims WHERE approximate = 1")]
    if not dims:
        return 0
    lo, hi = _bucket_bounds(span)
    return int(conn.execute(f"SELECT COUNT(*) FROM calls WHERE committed = 1 AND ts >= ? AND ts < ? AND dim IN "
                            f"({', '.join('?' * len(dims))})", (lo, hi, *dims)).fetchone()[0])


def discarded_total(conn: sqlite3.Connection, span: TimeRange) -> ReportRow:
    acc = _grouped(conn, span, "'discarded'", status="discarded")
    return ReportRow("discarded", *acc.get("discarded", [0] * len(_TOTALS)))


def total(rows: Sequence[ReportRow], key: str = "total") -> ReportRow:
    return ReportRow(key, *(sum(getattr(r, f) for r in rows) for f in ReportRow._fields[1:]))


def top_sessions(conn: sqlite3.Connection, span: TimeRange, n: int = 10) -> list[ReportRow]:
    return report(conn, span, "session")[:n]


def daily_trend(conn: sqlite3.Connection, span: TimeRange, window: int = 7, *,
                days: Sequence[ReportRow] | None = None, today: dt.date | None = None,
                ) -> list[tuple[str, Decimal, Decimal]]:
    """(local day, cost, average cost of that day and the ``window - 1`` days before it), whatever
    the range: the days before ``span`` are read for its first days' averages, and days without
    calls count as $0. ``days``: the span's day report, when the caller has it already.

    The days listed are those of ``span`` (up to ``today``, or the last call, for ``all``) where
    the average is not $0, and the $0 day either side of each run of them: a line through the
    points is the average on every day, however long the range."""
    days = report(conn, span, "day") if days is None else days
    first, last = day_bounds(span, days, today or dt.date.today())
    return moving_average(days, window, earlier=_days_before(conn, span, window), first=first, last=last)


def _days_before(conn: sqlite3.Connection, span: TimeRange, window: int) -> list[ReportRow]:
    """The day rows of the ``window - 1`` days before ``span`` (its first days' averages reach back)."""
    first = None if span.start == -math.inf else local_day(span.start)
    if first is None or window <= 1:
        return []
    return report(conn, TimeRange(local_midnight(_shift(first, 1 - window) or dt.date.min), span.start, "before"),
                  "day")


class Average(NamedTuple):
    """A day's moving average of cost: ``usd`` None when every call of its window is unpriced
    (never a $0), ``unpriced_calls`` of the window left out of it (a report marks it ``+?``)."""

    usd: Decimal | None
    unpriced_calls: int


def day_averages(conn: sqlite3.Connection, span: TimeRange, days: Sequence[ReportRow],
                 window: int = 7) -> dict[str, Average]:
    """Each day of ``days`` (the span's day report): :func:`daily_trend`'s average, with the
    unpriced calls of its window."""
    by_day = {dt.date.fromisoformat(r.key): r for r in (*_days_before(conn, span, window), *days)}
    out = {}
    for row in days:
        day = dt.date.fromisoformat(row.key)
        seen = [r for k in range(window) if (d := _shift(day, -k)) is not None and (r := by_day.get(d)) is not None]
        calls, unpriced = sum(r.calls for r in seen), sum(r.unpriced_calls for r in seen)
        units = sum(r.cost_units for r in seen)
        out[row.key] = Average(None if calls and unpriced == calls else _average(units, window), unpriced)
    return out


def _average(units: int, days: int) -> Decimal:
    """The mean cost a day of ``units`` (1e-12 USD) spent over ``days`` ($0 days counted), to the unit."""
    return (units_to_usd(units) / days).quantize(_UNIT)


def day_bounds(span: TimeRange, days: Sequence[ReportRow], today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last local day of ``span`` (a chart's axis): its own days, today included for
    a range that ends now; for ``all``, from its first call (or today) to today (or its last call)."""
    called = [dt.date.fromisoformat(r.key) for r in days[:1] + days[-1:]] if days else []
    first = local_day(span.start) if span.start > -math.inf else min([today, *called])
    last = local_day(span.end - 1) if span.end < math.inf else max([today, *called])
    return first, last


def moving_average(days: Sequence[ReportRow], window: int = 7, *, earlier: Sequence[ReportRow] = (),
                   first: dt.date | None = None, last: dt.date | None = None) -> list[tuple[str, Decimal, Decimal]]:
    """:func:`daily_trend` of day rows a caller already has: ``days`` (in order), ``earlier`` (the
    ``window - 1`` days before them), listed within [``first``, ``last``]."""
    units = {r.key: r.cost_units for r in (*earlier, *days)}
    points: set[dt.date] = set()
    for key in units:  # where the average can differ from $0, and the $0 day either side
        day = dt.date.fromisoformat(key)
        points.update(d for k in range(-1, window + 1) if (d := _shift(day, k)) is not None)
    out = []
    for day in sorted(p for p in points if (first is None or p >= first) and (last is None or p <= last)):
        window_units = sum(units.get(d.isoformat(), 0) for k in range(window) if (d := _shift(day, -k)) is not None)
        out.append((day.isoformat(), units_to_usd(units.get(day.isoformat(), 0)), _average(window_units, window)))
    return out


def _shift(day: dt.date, days: int) -> dt.date | None:
    """``day`` moved by ``days``; None past either end of the calendar."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return None


def _bucket_bounds(span: TimeRange) -> tuple[int, int]:
    """Buckets whose start lies in the span (local midnights are bucket boundaries)."""
    lo = -_FAR if span.start == -math.inf else int(span.start // BUCKET_SECONDS * BUCKET_SECONDS)
    hi = _FAR if span.end == math.inf else int(-(-span.end // BUCKET_SECONDS) * BUCKET_SECONDS)
    return lo, hi
