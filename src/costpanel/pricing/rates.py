"""Cost maths on compiled integer rates (1e-12 USD per token / per request).

Kept free of pydantic so the hot path imports nothing heavy: the catalog compiles validated
price periods into these plain tuples once, at load time.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from decimal import Decimal
from operator import mul
from typing import NamedTuple

from ..usage import BUCKETS, REGISTRY, Usage

# 1e-12 USD units per token for a price given in USD per 1M tokens, and per request for a fee
# given in USD per 1,000 requests.
_PER_TOKEN = 10**6
_PER_REQUEST = 10**9


# Integer units per token for each bucket (per request for ``requests``), in REGISTRY order, so a
# call's cost is ``sum(count * rate)`` over the pair of tuples.
Rates = namedtuple("Rates", BUCKETS)  # type: ignore[misc]
# Positions record() reads without attribute lookups (its hot path).
IN, READ, WRITE, WRITE_1H, OUT, PER_REQUEST = (BUCKETS.index(n) for n in (
    "input", "cache_read", "cache_write", "cache_write_1h", "output", "requests"))


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


# A bucket a model does not offer is billed at another bucket's rate, never at zero: a cache read
# or 5-minute write at the input rate, a 1-hour write at the 5-minute write rate.
FALLBACK = {"cache_read": "input", "cache_write": "input", "cache_write_1h": "cache_write"}


def compile_rates(prices: Mapping[str, Decimal | None]) -> Rates:
    """Integer rates from a price period's fields (``Bucket.price_field`` of each bucket: USD per
    1M tokens, or per 1,000 requests), with the fallbacks above applied."""
    units: dict[str, int] = {}
    for bucket in REGISTRY:  # REGISTRY order: a fallback's target comes first
        price = prices.get(bucket.price_field)
        if price is None and bucket.name in FALLBACK:
            units[bucket.name] = units[FALLBACK[bucket.name]]
        else:
            units[bucket.name] = _units(price, _PER_TOKEN if bucket.unit == "tokens" else _PER_REQUEST)
    return Rates(**units)


ZERO_RATES = Rates(*(0 for _ in BUCKETS))


def rates_for(period: Period, usage: Usage) -> Rates:
    """The rate set for this request: a cliff tier re-prices the *whole* request."""
    rates = period.base
    if period.tiers:
        prompt = usage.prompt_tokens
        for threshold, tier_rates in period.tiers:
            if prompt > threshold:
                rates = tier_rates
    return rates


def cost_units(period: Period, usage: Usage) -> int:
    """Total cost of one call in 1e-12 USD."""
    rates = rates_for(period, usage) if period.tiers else period.base
    return sum(map(mul, usage, rates))


def breakdown_units(period: Period, usage: Usage) -> dict[str, int]:
    """Cost per bucket (``requests`` is the per-request fee), summing to :func:`cost_units`."""
    rates = rates_for(period, usage)
    return {bucket: count * rate for bucket, count, rate in zip(BUCKETS, usage, rates)}
