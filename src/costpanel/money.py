"""Exact money: integers of 1e-12 USD inside, ``Decimal`` at the edges.

A price per 1M tokens with up to 6 decimals is a whole number of these units per token, so every
cost is an exact integer and sums never drift; Python ints never overflow.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

UNITS_PER_USD = 10**12
_EXPONENT = -12


def units_to_usd(units: int) -> Decimal:
    """Exact Decimal for an integer amount of units (no context rounding involved), without
    trailing zeros: ``print(cost)`` says ``0.00825``, not ``0.008250000000`` (equal either way)."""
    if not units:
        return Decimal(0)
    # Built from text, not scaleb(): construction is exact whatever the context precision.
    digits = str(units)
    zeros = min(len(digits) - len(digits.rstrip("0")), -_EXPONENT)
    return Decimal(f"{digits[:len(digits) - zeros]}E{_EXPONENT + zeros}")


def usd_to_units(usd: Decimal) -> int:
    """Exact units for a Decimal amount; raises if it is finer than 1e-12 USD."""
    sign, digits, exponent = usd.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"{usd} is not a finite amount")
    shift = exponent - _EXPONENT
    magnitude = int("".join(map(str, digits)) or "0")
    if shift >= 0:
        units = magnitude * 10**shift
    else:
        units, rest = divmod(magnitude, 10**-shift)
        if rest:
            raise ValueError(f"{usd} USD is finer than 1e-12 USD")
    return -units if sign else units


def usd_str(value: Decimal | None) -> str | None:
    """Plain decimal string (no exponent, no trailing zeros) for JSON and CSV."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def format_usd_exact(value: Decimal) -> str:
    """For people, unrounded: ``$1.00``, ``$0.0125``, ``$5.25`` (cents at least, then every digit
    the amount has): where a figure is compared with a limit, rounding must not hide a difference."""
    exact = value.normalize()
    if exact.as_tuple().exponent > -2:  # type: ignore[operator]
        exact = exact.quantize(Decimal("0.01"))
    text = format(abs(exact), ",f")
    return f"-${text}" if exact < 0 else f"${text}"


def format_usd(value: Decimal | None, *, unpriced: str = "unpriced") -> str:
    """For people: ``$12.37``, ``$0.0042``; small amounts keep 2 significant digits."""
    if value is None:
        return unpriced
    if value == 0:
        return "$0.00"
    magnitude = abs(value)
    # Two significant digits below $1 ($0.0042), cents above; half-up as on an invoice.
    places = 2 if magnitude >= 1 else min(max(2, -magnitude.adjusted() + 1), 12)
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded != 0 and abs(rounded) < 1 and len(rounded.as_tuple().digits) > 2 and rounded.as_tuple().digits[-1] == 0:
        rounded = rounded.quantize(Decimal(1).scaleb(-places + 1))  # $0.100 -> $0.10 after rounding up
    text = format(abs(rounded), ",f")
    return f"-${text}" if rounded < 0 else f"${text}"
