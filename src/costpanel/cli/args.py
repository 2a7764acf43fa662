"""Argument types shared by commands: each rejects bad input with a message naming the value."""

from __future__ import annotations

import argparse
import datetime as dt

from ..usage import MAX_COUNT


def count(text: str) -> int:
    """A token or request count: a whole number >= 0 (``1_000`` and ``1,000`` allowed)."""
    cleaned = text.replace("_", "").replace(",", "")
    if not cleaned.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    value = int(cleaned)
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{text!r} is implausibly large (> {MAX_COUNT:,})")
    return value


def when(text: str) -> dt.datetime:
    """A date (``2025-06-01``, UTC midnight) or an ISO datetime; naive times are UTC."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date like 2025-06-01 or 2025-06-01T12:00:00+00:00, got {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
