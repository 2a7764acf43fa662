"""Whether a model is retired on a given day: ``retired`` is the provider's retirement day (UTC).

A day on or before today is a retirement that has happened; a later day is a scheduled one (the
model is still current until then). Retired models stay priced either way: history must be costed.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

Status = Literal["current", "scheduled", "retired"]


def today_utc() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def retirement_status(retired: dt.date | None, today: dt.date | None = None) -> Status:
    """``retired`` (on or before ``today``), ``scheduled`` (a later day) or ``current`` (no day)."""
    if retired is None:
        return "current"
    return "retired" if retired <= (today or today_utc()) else "scheduled"


def is_retired(retired: dt.date | None, today: dt.date | None = None) -> bool:
    """Whether the model has been retired by ``today`` (default: today, UTC)."""
    return retirement_status(retired, today) == "retired"


def describe(retired: dt.date | None, today: dt.date | None = None) -> str:
    """``retired 2025-07-14``, ``retires 2027-01-15`` or ``""`` — the words `pricing list` shows."""
    status = retirement_status(retired, today)
    if status == "current":
        return ""
    assert retired is not None
    return f"{'retired' if status == 'retired' else 'retires'} {retired.isoformat()}"


__all__ = ["Status", "describe", "is_retired", "retirement_status", "today_utc"]
