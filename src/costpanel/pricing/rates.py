"""Cost maths on compiled integer rates (1e-12 USD per token / per request).

Kept free of pydantic so the hot path imports nothing heavy: the catalog compiles validated
price periods into these plain tuples once, at load time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from ..usage import BUCKETS, Usage

# 1e-12 USD units per token for a price given in USD per 1M tokens, and per request for a fee
# given in USD per 1,000 requests.
_PER_TOKEN = 10**6
_PER_REQUEST = 10**9


class Rates(NamedTuple):
    """Integer units per token for each bucket, in ``BUCKETS`` order, then per request."""

    input: int
    cache_read: int
    cache_write: int
    cache_write_1h: int
    output: int
    request: int


class Period(NamedTuple):
    """One price period, compiled: base rates and cliff tiers (threshold, rates), ascending."""

    start_ts: float
    base: Rates
    tiers: tuple[tuple[int, Rates], ...]
    source: str


def _units(price: Decimal | None, scale: int) -> int:
    if price is None:
        return 0
    scaled = price * scale
    if scaled != scaled.to_integral_value():  # guarded by the schema; this is the last line
        raise ValueError(f"price {price} is finer than 1e-12 USD")
    return int(scaled)


def compile_rates(
    input: Decimal,
    output: Decimal,
    cache_read: Decimal | None,
    cache_write: Decimal | None,
    cache_write_1h: Decimal | None,
    per_1k_requests: Decimal | None = None,
) -> Rates:
    """Apply the fallbacks of a bucket a model does not offer: billed at the input rate (a 1-hour
    write at the 5-minute rate first), never at zero."""
    base = _units(input, _PER_TOKEN)
    write = _units(cache_write, _PER_TOKEN) if cache_write is not None else base
    return Rates(
        input=base,
        cache_read=_units(cache_read, _PER_TOKEN) if cache_read is not None else base,
        cache_write=write,
        cache_write_1h=_units(cache_write_1h, _PER_TOKEN) if cache_write_1h is not None else write,
        output=_units(output, _PER_TOKEN),
        request=_units(per_1k_requests, _PER_REQUEST),
    )


ZERO_RATES = Rates(0, 0, 0, 0, 0, 0)


def rates_for(period: Period, usage: Usage) -> Rates:
    """The rate set for this request: a cliff tier re-prices the *whole* request."""
    rates = period.base
    if period.tiers:
        prompt = usage[0] + usage[1] + usage[2] + usage[3]
        for threshold, tier_rates in period.tiers:
            if prompt > threshold:
                rates = tier_rates
    return rates


def cost_units(period: Period, usage: Usage) -> int:
    """Total cost of one call in 1e-12 USD."""
    r = rates_for(period, usage) if period.tiers else period.base
    i, cr, cw, cw1, o, rq = usage
    return i * r[0] + cr * r[1] + cw * r[2] + cw1 * r[3] + o * r[4] + rq * r[5]


def breakdown_units(period: Period, usage: Usage) -> dict[str, int]:
    """Cost per bucket (``requests`` is the per-request fee), summing to :func:`cost_units`."""
    r = rates_for(period, usage)
    return {bucket: count * rate for bucket, count, rate in zip(BUCKETS, usage, r)}
