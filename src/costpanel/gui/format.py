"""Numbers for people: the panel's text for money, tokens, times, shares and rates.

Plain functions without Dear PyGui, so every label the panel shows is tested headless. Money is
rounded here only (the figures stay exact ``Decimal`` everywhere else), half-up as on an invoice.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext

from ..money import format_usd, usd_str

UNPRICED = "unpriced"
NONE = "\u2014"  # an em dash: no figure (Roboto has the glyph)
_SUFFIXES = ("", "k", "M", "B", "T")
_TENTH = Decimal("0.1")
_MICRO = Decimal("0.000001")
_FLOAT_DIGITS = 400  # enough precision to quantize any finite float (up to ~1.8e308)


def usd(value: Decimal | None) -> str:
    """``$12.37``, ``$0.0042``; ``unpriced`` for None (never shown as $0)."""
    return format_usd(value, unpriced=UNPRICED)


def cost(value: Decimal | None, unpriced_calls: int) -> str:
    """A row's or a total's cost as every view writes it: ``$2.50``; ``$2.50 +?`` when some of its
    calls have no price (their spend is not in it); ``unpriced`` when none has (never $0)."""
    return usd(value) + (" +?" if unpriced_calls and value is not None else "")


def unpriced_calls(snap: object, names: bool = True) -> str:
    """`` · 2 calls unpriced (acme-7b, claude-haiku-4-5 (flex))`` for a snapshot with calls that have
    no price, with their names (as people read them) when ``names``; "" when every call is priced."""
    n = getattr(snap, "unpriced_calls")
    if not n:
        return ""
    return f" · {n:,} call{'s' * (n != 1)} unpriced" + (f" ({', '.join(getattr(snap, 'unpriced_labels'))})"
                                                         if names else "")


def row_share(row: object) -> str:
    """A row's share of the session's cost; "—" for a row without any price (unknown, not 0 %)."""
    return NONE if getattr(row, "cost_usd") is None else share(getattr(row, "share"))


def usd_exact(value: Decimal | None) -> str:
    """Every digit, for tooltips: ``$0.000123456789``, ``$1,234.5`` (no exponent, no trailing zeros)."""
    text = usd_str(value)
    if text is None:
        return UNPRICED
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, fraction = text.partition(".")
    return f"{sign}${int(whole):,}{dot}{fraction}"


def per_call(value: Decimal | None) -> str:
    """Average cost per call; ``—`` when no call of the row was priced."""
    return NONE if value is None else usd(value)


def tokens(n: int, *, short: bool = False) -> str:
    """``1,234,567``; short: three significant digits (``999``, ``1.23k``, ``45.6k``, ``1.00M``).

    Short forms keep their trailing zeros so a live column does not change width from frame to
    frame; a value that rounds up to 1000 of a unit moves to the next one (``1.00M``, not ``1000k``).
    """
    if not short:
        return f"{n:,}"
    if n < 0:
        return "-" + tokens(-n, short=True)
    if n < 1000:
        return str(n)
    digits = len(str(n))
    drop = 10 ** (digits - 3)
    lead = (n + drop // 2) // drop  # three digits, rounded half up
    if lead == 1000:
        lead, digits = 100, digits + 1
    group = min((digits - 1) // 3, len(_SUFFIXES) - 1)
    whole = digits - 3 * group  # digits before the point (more than 3 only past the last suffix)
    text = str(lead).ljust(max(whole, 3), "0")
    if whole >= 3:
        return f"{int(text[:whole]):,}{_SUFFIXES[group]}"
    return f"{text[:whole]}.{text[whole:]}{_SUFFIXES[group]}"


def duration(seconds: float) -> str:
    """Session age as a clock: ``0:05:07``, ``12:00:00``, ``2d 03:04:05`` (whole seconds, truncated)."""
    if math.isinf(seconds) and seconds > 0:
        return "inf"
    total = int(seconds) if math.isfinite(seconds) and seconds > 0 else 0
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    clock = f"{minutes:02}:{secs:02}"
    return f"{days}d {hours:02}:{clock}" if days else f"{hours}:{clock}"


def share(fraction: float) -> str:
    """``12.3%`` of the session's cost; ``<0.1%`` rather than a misleading ``0.0%`` for a tiny share.

    ``0%`` and ``100%`` are exact; a share just under one shows ``>99.9%``, never ``100.0%``.
    """
    if math.isnan(fraction):
        return NONE
    if fraction <= 0:
        return "0%"
    if fraction < 0.001:
        return "<0.1%"
    if fraction == 1:
        return "100%"
    with localcontext(prec=_FLOAT_DIGITS):
        percent = (Decimal(repr(fraction)) * 100).quantize(_TENTH, rounding=ROUND_HALF_UP)
    if fraction < 1 and percent >= 100:
        return ">99.9%"
    return f"{percent:,}%"


def rate(usd_per_hour: float) -> str:
    """Burn rate: ``$1.23/h``, ``$0.0042/h``; below a micro-dollar an hour, ``$0.00/h``."""
    if not math.isfinite(usd_per_hour):
        return f"{NONE}/h"
    with localcontext(prec=_FLOAT_DIGITS):
        value = Decimal(repr(usd_per_hour)).quantize(_MICRO, rounding=ROUND_HALF_UP)
        return f"{usd(value if value else Decimal(0))}/h"
