"""Cost maths on compiled integer rates (1e-12 USD per token / per request).

Kept free of pydantic so the hot path imports nothing heavy: the catalog compiles validated
price periods into these plain tuples once, at load time.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from operator import mul
from typing import NamedTuple

from ..usage import BUCKETS, REGISTRY, Usage
from ..variants import check_aliased, clashes

# 1e-12 USD units per token for a price given in USD per 1M tokens, and per request for a fee
# given in USD per 1,000 requests.
_PER_TOKEN = 10**6
_PER_REQUEST = 10**9


# Integer units per token for each bucket (per request for ``requests``), in REGISTRY order, so a
# call's cost is ``sum(count * rate)`` over the pair of tuples.
Rates = namedtuple("Rates", BUCKETS)  # type: ignore[misc]
# Positions record() reads without attribute lookups (its hot path).
IN, READ, WRITE, WRITE_1H, OUT, PER_REQUEST, WEB_SEARCH = (BUCKETS.index(n) for n in (
    "input", "cache_read", "cache_write", "cache_write_1h", "output", "requests", "web_search"))
# The price fields that are per-request fees: a cliff tier re-prices tokens, never these.
FEE_FIELDS: tuple[str, ...] = tuple(b.price_field for b in REGISTRY if b.unit != "tokens")


class Variant(NamedTuple):
    """How one price variant (``batch``, ``priority``, ``fast`` …) changes a period: its own rates
    (``explicit``), a factor on the token rates, or both (a factor applied to explicit rates)."""

    factor: Fraction
    explicit: Period | None
    name: str = ""  # the catalog's name for it, where the period offers it under another too (an alias)


class Period(NamedTuple):
    """One price period, compiled: base rates and cliff tiers (threshold, rates), ascending, the
    price variants offered in it, by name, and whether its web-search fee is charged once per call
    however many searches it ran (``web_search_per = "request"``: Gemini 2.x grounding)."""

    start_ts: float
    base: Rates
    tiers: tuple[tuple[int, Rates], ...]
    source: str
    variants: Mapping[str, Variant] = {}  # noqa: RUF012 - never mutated; a dict pickles (the catalog cache)
    search_once: bool = False


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
# A fee the catalog does not state for a model, where a count of it must not be billed as $0: a
# call with web searches of a model without a web-search price is unpriced (``0`` states "free").
UNSTATED = -1
UNSTATED_WHEN_MISSING = frozenset(("web_search",))


def compile_rates(prices: Mapping[str, Decimal | None]) -> Rates:
    """Integer rates from a price period's fields (``Bucket.price_field`` of each bucket: USD per
    1M tokens, or per 1,000 requests), with the fallbacks above applied."""
    units: dict[str, int] = {}
    for bucket in REGISTRY:  # REGISTRY order: a fallback's target comes first
        price = prices.get(bucket.price_field)
        if price is None and bucket.name in FALLBACK:
            units[bucket.name] = units[FALLBACK[bucket.name]]
        elif price is None and bucket.name in UNSTATED_WHEN_MISSING:
            units[bucket.name] = UNSTATED
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


def billed_counts(period: Period, usage: Usage) -> tuple[int, ...]:
    """The counts ``usage`` is billed for: its own, but at most one web search where the period
    charges its search fee per request (``search_once``)."""
    if period.search_once and usage[WEB_SEARCH] > 1:
        return (*usage[:WEB_SEARCH], 1, *usage[WEB_SEARCH + 1:])
    return usage


def _billed(period: Period, usage: Usage) -> tuple[tuple[int, ...], Rates, tuple[str, ...]]:
    """The counts billed, the rates they are billed at, and the buckets used whose fee is unstated."""
    rates = rates_for(period, usage) if period.tiers else period.base
    counts = billed_counts(period, usage)
    missing = tuple(b for b, count, rate in zip(BUCKETS, counts, rates) if count and rate == UNSTATED)
    return counts, rates, missing


def cost_units(period: Period, usage: Usage) -> int | None:
    """Total cost of one call in 1e-12 USD; None when it uses a fee the catalog does not state."""
    counts, rates, missing = _billed(period, usage)
    return None if missing else sum(map(mul, counts, rates))


def flat_cost(rates: Rates, usage: Usage, search_once: bool) -> int | None:
    """:func:`cost_units` for a period without cliff tiers, given its rates (``Period.base``): the
    sums ``CostTracker.record()`` writes out inline, here for backfills (``price_event``), a few
    times cheaper than the general path. None when searches have no stated fee (never $0)."""
    uncached, cache_read, cache_write, cache_write_1h, output, requests, web_search = usage
    cost: int = uncached * rates[IN] + output * rates[OUT]
    if cache_read or cache_write or cache_write_1h:
        cost += cache_read * rates[READ] + cache_write * rates[WRITE] + cache_write_1h * rates[WRITE_1H]
    if requests and rates[PER_REQUEST]:
        cost += requests * rates[PER_REQUEST]
    if web_search:
        if rates[WEB_SEARCH] < 0:
            return None
        cost += (1 if search_once else web_search) * rates[WEB_SEARCH]
    return cost


def breakdown_units(period: Period, usage: Usage) -> dict[str, int] | None:
    """Cost per bucket (``requests`` is the per-request fee), summing to :func:`cost_units`; None
    when the call uses a fee the catalog does not state."""
    counts, rates, missing = _billed(period, usage)
    return None if missing else {bucket: count * rate for bucket, count, rate in zip(BUCKETS, counts, rates)}


def unstated(period: Period, usage: Usage) -> tuple[str, ...]:
    """The buckets of ``usage`` whose fee the period does not state (why a call is unpriced)."""
    return _billed(period, usage)[2]


_TOKEN_POSITIONS = tuple(k for k, b in enumerate(REGISTRY) if b.unit == "tokens")


def _scaled(rates: Rates, factor: Fraction) -> Rates:
    """Token rates times ``factor`` (fees unchanged: a batch discount is on tokens), rounded to the
    nearest 1e-12 USD — exact for every published multiplier on a price with at most 6 decimals."""
    if factor == 1:
        return rates
    return Rates(*(round(r * factor) if k in _TOKEN_POSITIONS else r for k, r in enumerate(rates)))  # fees as they are


def check_variant_aliases(period: Period, variant: str) -> None:
    """Raise ValueError when ``variant`` stacks parts no call can carry once the period's aliases
    are read as the variants they name (``fast+flex`` where ``fast`` is OpenAI's priority); a
    variant with no alias in it is left to :func:`with_variant` (offered, or unpriced)."""
    parts = [(p, (period.variants[p].name or p) if p in period.variants else p) for p in variant.split("+")]
    if any(given != own for given, own in parts):
        check_aliased(variant, parts)


def with_variant(period: Period, variant: str) -> Period | None:
    """The period as billed under ``variant`` (names joined by ``+``, e.g. ``fast+us``), or None when
    a part is not offered for this model in this period — the call is then unpriced, never guessed.
    At most one part may bring its own rates; the others' factors apply on top of them."""
    base: Period = period
    factor = Fraction(1)
    own: set[str] = set()
    for name in variant.split("+"):
        rule = period.variants.get(name)
        if rule is None or (rule.name or name) in own:
            return None  # not offered, or one variant named twice (OpenAI's fast is its priority)
        own.add(rule.name or name)
        if rule.explicit is not None:
            if base is not period:
                return None  # two explicit price sets for one call: no provider bills that way
            base = rule.explicit
        factor *= rule.factor
    if len(own) > 1 and clashes(own):
        return None  # an alias stacked with a tier its target excludes: ``fast+flex`` at OpenAI
    return Period(period.start_ts, _scaled(base.base, factor),
                  tuple((threshold, _scaled(rates, factor)) for threshold, rates in base.tiers), base.source,
                  search_once=period.search_once)  # fees, and how the search fee counts, are the period's
