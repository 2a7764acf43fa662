"""Chart axis ticks, in plain Python: money with units ($250, $1.5k, $2M; never "8e+07") and
wall-clock times in the user's local time and 12 h/24 h convention, at a step that suits the zoom
(seconds, minutes, hours, days). The panel hands them to Dear PyGui as the axes' tick labels."""

from __future__ import annotations

import locale
import math
import re
import time
from dataclasses import dataclass
from decimal import Decimal

TICKS = 5  # about this many labels on an axis
_MONEY_UNITS = ((Decimal(10) ** 12, "T"), (Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "k"))
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
               86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400)
MIN_SPAN_S = 10.0  # a session of one second still shows ten seconds from its start (the chart then fits its points)


def nice_step(span: float, ticks: int = TICKS) -> float:
    """1, 2, 2.5 or 5 times a power of ten, giving about ``ticks`` steps over ``span``."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power  # pragma: no cover - the loop always returns


def money_unit(top: float) -> tuple[Decimal, str]:
    """One unit for a whole axis, from its largest value: $, k, M, B or T."""
    magnitude = Decimal(repr(abs(top))) if math.isfinite(top) else Decimal(0)
    for size, name in _MONEY_UNITS:
        if magnitude >= size:
            return size, name
    return Decimal(1), ""


def money_label(value: float, step: float, top: float | None = None) -> str:
    """``$0``, ``$0.05``, ``$250``, ``$1.5k``, ``$2M``: the unit of ``top`` (the axis's largest
    value), with the digits needed to tell ticks ``step`` apart; never an exponent."""
    if value == 0:
        return "$0"
    unit_value, unit = money_unit(abs(value) if top is None else top)
    v = Decimal(repr(value))
    sign = "-" if v < 0 else ""
    scaled_step = Decimal(repr(step)) / unit_value
    exponent = scaled_step.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    if not unit and 0 < places < 2:
        places = 2  # cents read as money: $0.50, not $0.5
    scaled = abs(v) / unit_value
    return f"{sign}${scaled:,.{min(places, 8)}f}{unit}"


def money_ticks(low: float, high: float) -> list[tuple[str, float]]:
    """(label, value) pairs from ``low`` to ``high`` (the axis's limits), in one unit."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        low, high = (low, low + 1.0) if math.isfinite(low) else (0.0, 1.0)
    step = nice_step(high - low)
    top = max(abs(low), abs(high))
    first = math.ceil(low / step)
    out = []
    for k in range(first, first + TICKS * 3):
        value = k * step
        if value > high + step * 1e-9:
            break
        out.append((money_label(value, step, top), round(value, 12)))
    return out


@dataclass(frozen=True)
class Clock:
    """How the user's locale writes a time of day and a day: 12 h or 24 h, and its date order."""

    twelve_hour: bool = False
    day_format: str = "%m/%d"  # strftime of a day tick: the locale's date without its year


def uses_12_hour_clock(time_format: str) -> bool:
    """Whether a locale's ``T_FMT`` writes times with AM/PM (``%I``, ``%l``, ``%r`` or ``%p``)."""
    return any(code in time_format for code in ("%I", "%l", "%r", "%p"))


def day_format(date_format: str) -> str:
    """A locale's ``D_FMT`` without the year: ``%m/%d/%y`` -> ``%m/%d``, ``%d.%m.%Y`` -> ``%d.%m``,
    ``%Y-%m-%d`` -> ``%m-%d``; ``%m/%d`` when it has no day and month to keep."""
    expanded = date_format.replace("%D", "%m/%d/%y").replace("%F", "%Y-%m-%d")
    without = re.sub(r"%[YyGC][^%A-Za-z0-9]?|[^%A-Za-z0-9]?%[YyGC]", "", expanded).strip()
    return without if "%d" in without and ("%m" in without or "%b" in without) else "%m/%d"


def clock_from_locale(time_format: str | None = None, date_format: str | None = None) -> Clock:
    """The environment's (LC_TIME) convention; the given formats instead when passed (tests)."""
    if time_format is None or date_format is None:
        locale_time, locale_date = _locale_formats()
        time_format = locale_time if time_format is None else time_format
        date_format = locale_date if date_format is None else date_format
    return Clock(uses_12_hour_clock(time_format), day_format(date_format))


def _locale_formats() -> tuple[str, str]:
    """LC_TIME's time and date formats, read without changing this process's locale for long."""
    try:
        old = locale.setlocale(locale.LC_TIME)
        try:
            locale.setlocale(locale.LC_TIME, "")
            return locale.nl_langinfo(locale.T_FMT), locale.nl_langinfo(locale.D_FMT)
        finally:
            locale.setlocale(locale.LC_TIME, old)
    except (locale.Error, AttributeError, ValueError):
        return "%H:%M:%S", "%m/%d/%y"


def time_step(span: float) -> int:
    """The smallest calendar-friendly step giving at most about ``TICKS`` labels over ``span`` s."""
    for step in _TIME_STEPS:
        if span / step <= TICKS + 1:
            return step
    return _TIME_STEPS[-1]


def time_label(t: float, step: int, clock: Clock, *, tz_offset: int | None = None) -> str:
    """``14:05``, ``14:05:30`` (seconds only when the step needs them), ``2:05 PM``; days in the
    locale's order without the year (``12/04``, ``04.12``)."""
    local = time.gmtime(t + tz_offset) if tz_offset is not None else time.localtime(t)
    if step >= 86400:
        return time.strftime(clock.day_format, local)
    if clock.twelve_hour:
        hour = local.tm_hour % 12 or 12
        clock = f"{hour}:{local.tm_min:02}" + (f":{local.tm_sec:02}" if step < 60 else "")
        return f"{clock} {'AM' if local.tm_hour < 12 else 'PM'}"
    return f"{local.tm_hour:02}:{local.tm_min:02}" + (f":{local.tm_sec:02}" if step < 60 else "")


def time_ticks(low: float, high: float, clock: Clock, *, tz_offset: int | None = None) -> list[tuple[str, float]]:
    """(label, epoch seconds) pairs on whole local steps between ``low`` and ``high``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return []
    step = time_step(high - low)
    offset = tz_offset if tz_offset is not None else _utc_offset(low)
    first = math.ceil((low + offset) / step) * step - offset  # whole local minutes, hours, days
    out = []
    t = first
    while t <= high and len(out) < TICKS * 3:
        out.append((time_label(t, step, clock, tz_offset=tz_offset), float(t)))
        t += step
    return out


_DAY_STEPS = (1, 2, 7, 14)  # days between labels: a day, two, a week, two weeks …
_MONTH_STEPS = (1, 2, 3, 6, 12)  # … then months (labels on their first day)


def day_ticks(first: float, last: float, clock: Clock) -> list[tuple[str, float]]:
    """(label, epoch seconds) at local noons from ``first`` to ``last`` (each a local noon, where the
    History tab centres its bars): at most about ``TICKS + 2`` labels; every ``step``-th day in the
    locale's date order without the year (``12/04``, ``04.12``), or, over months, the first of every
    ``step``-th month with its year (``Jan 2026``). Never a time of day."""
    if not (math.isfinite(first) and math.isfinite(last)) or last < first:
        return []
    start = time.localtime(first)
    days = round((last - first) / 86400) + 1

    def noon(year: int, month: int, day: int) -> float:  # by calendar: a DST day is 23 or 25 h long
        return time.mktime((year, month, day, 12, 0, 0, 0, 0, -1))

    out: list[tuple[str, float]] = []
    step = next((s for s in _DAY_STEPS if days / s <= TICKS + 2), None)
    if step is not None:
        for k in range(0, days, step):
            day = noon(start.tm_year, start.tm_mon, start.tm_mday + k)
            out.append((time.strftime(clock.day_format, time.localtime(day)), float(day)))
        return out
    months = days / 30.4
    step = next((s for s in _MONTH_STEPS if months / s <= TICKS + 2), 12 * math.ceil(months / 12 / (TICKS + 2)))
    year, month = start.tm_year, start.tm_mon + (start.tm_mday > 1)  # the first 1st of a month in range
    while True:
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        day = noon(year, month, 1)
        if day > last + 1 or len(out) >= TICKS * 3:
            return out
        out.append((time.strftime("%b %Y", time.localtime(day)), float(day)))
        month += step


def _utc_offset(t: float) -> int:
    return time.localtime(t).tm_gmtoff


def x_limits(first: float, last: float) -> tuple[float, float]:
    """The time axis's range for points from ``first`` to ``last``: at least ``MIN_SPAN_S`` wide,
    with a little room on both sides. A session shorter than that starts at the left edge and grows
    to the right, as a live chart does (centred, it began with empty space before its first call)."""
    span = max(last - first, MIN_SPAN_S)
    pad = span * 0.03
    if last - first < MIN_SPAN_S:
        return first - pad, first + span
    return first - pad, last + pad
