"""Argument types shared by commands: each rejects bad input with a message naming the value.

Numbers follow one rule (:mod:`costpanel.digits`): ASCII digits, ``_`` or thousands ``,``
separators, no ``nan``/``inf``, no exponent. argparse turns ``ArgumentTypeError`` into
``argument --flag: <message>`` and exit 2, before any command runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Callable

from ..digits import DECIMAL_EXAMPLES, parse_decimal, parse_whole
from ..usage import MAX_COUNT


def count(text: str) -> int:
    """A token or request count: a whole number >= 0 (``1200``, ``1_200`` or ``1,200``)."""
    value = whole(text)
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{text!r} is implausibly large (> {MAX_COUNT:,})")
    return value


def whole(text: str) -> int:
    """A whole number >= 0."""
    try:
        return parse_whole(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    """A whole number >= 1 (a count of frames, rows ...)."""
    try:
        value = parse_whole(text, signed=True)  # a sign is read, so "-1" is told it must be >= 1
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1 in digits 0-9, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def signed_int(text: str) -> int:
    """Any whole number, e.g. a random seed."""
    try:
        return parse_whole(text, signed=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_float(limit: float) -> Callable[[str], float]:
    """A number > 0 and <= ``limit`` (finite by construction: ``nan`` and ``inf`` are not digits)."""

    def parse(text: str) -> float:
        try:
            value = parse_decimal(text)
        except ValueError:  # (-1 too: the same words as for 0)
            raise argparse.ArgumentTypeError(
                f"expected a number > 0 in digits 0-9 ({DECIMAL_EXAMPLES}), got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
        if value > limit:
            raise argparse.ArgumentTypeError(f"{text!r} is too large (at most {limit:,g})")
        number = float(value)
        assert math.isfinite(number)
        return number

    parse.__name__ = "number"  # argparse names the type in some messages
    return parse


def when(text: str) -> dt.datetime:
    """A date (``2025-06-01``, UTC midnight) or an ISO datetime; naive times are UTC."""
    try:
        if not text.isascii():  # one rule for digits: ASCII only, whatever this Python accepts
            raise ValueError(text)
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date like 2025-06-01 or 2025-06-01T12:00:00+00:00, got {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def guard_spec(text: str) -> tuple[object, str]:
    """``--guard AMOUNT[@SCOPE]``: a budget guard (:func:`costpanel.guard_alerts.parse_guard_spec`)."""
    from ..guard_alerts import parse_guard_spec

    try:
        return parse_guard_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"--guard {text!r}: ")) from None


GUARD_HELP = ("a budget guard, repeatable: AMOUNT[@SCOPE] with SCOPE session (the default), tier:NAME, day or "
              "month, e.g. --guard 5 --guard '2@tier:Tier 3' --guard 20@day; crossings at 50/80/100%% are "
              "shown, and from 80%% sent as desktop notices when the notify extra is installed")
