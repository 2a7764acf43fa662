"""Pricing one call for people and scripts (``costpanel price``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from .events import timestamp_of
from .labels import check_label
from .money import units_to_usd, usd_str
from .pricing import Catalog
from .pricing.rates import breakdown_units, check_variant_aliases, unstated, with_variant
from .usage import BUCKETS, REGISTRY, Usage
from .variants import canonical_variant, combine


@dataclass(frozen=True, slots=True)
class Quote:
    model: str
    matched: str | None
    provider: str | None
    usage: Usage
    at: dt.datetime
    breakdown: dict[str, Decimal] | None  # per bucket; None when unpriced
    tier_threshold: int | None  # the cliff tier that applied, if any
    source: str | None  # the price page's URL
    variant: str | None = None  # the price variant billed (the name's implied one included)
    priced_by: str | None = None  # ``catalog``, ``override`` or ``genai-prices x.y.z``
    offered: tuple[str, ...] = ()  # the variants the model's period offers (for a message)
    unstated: tuple[str, ...] = ()  # buckets used whose fee the catalog does not state (why unpriced)
    retired: dt.date | None = None  # the provider's retirement day (UTC; a later day is scheduled)
    listed_by: str | None = None  # what lists the matched model's prices, priced or not (``catalog`` …)
    price_file: str | None = None  # the user's override file that lists the model (None: bundled or a library)
    rates: tuple[int, ...] | None = None  # the billed period's rates (1e-12 USD per token / per request or search)
    tiers: tuple[tuple[int, tuple[int, ...]], ...] = ()  # its cliff tiers: (prompt tokens above, rates)

    def rates_per_1m(self, rates: tuple[int, ...] | None = None) -> dict[str, Decimal | None]:
        """USD per 1M tokens for each token bucket, per 1,000 for ``requests`` and ``web_search``
        (None: a fee the catalog does not state); ``rates``: a tier's instead of the base ones."""
        rates = self.rates if rates is None else rates
        if rates is None:
            return {}
        return {b.name: None if r < 0 else Decimal(r) / (10**6 if b.unit == "tokens" else 10**9)
                for b, r in zip(REGISTRY, rates, strict=True)}

    @property
    def billed_rates(self) -> tuple[int, ...] | None:
        """The rates this call is billed at: its cliff tier's when its prompt passed one."""
        if self.tier_threshold is not None:
            for limit, rates in self.tiers:
                if limit == self.tier_threshold:
                    return rates
        return self.rates

    @property
    def priced(self) -> bool:
        return self.breakdown is not None

    @property
    def cost_usd(self) -> Decimal | None:
        return None if self.breakdown is None else sum(self.breakdown.values(), Decimal(0))

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "matched": self.matched,
            "priced": self.priced,
            "cost_usd": usd_str(self.cost_usd),
            "breakdown": None if self.breakdown is None else {k: usd_str(v) for k, v in self.breakdown.items()},
            "provider": self.provider,
            "usage": self.usage.as_dict(),
            "at": self.at.isoformat(),
            "tier_above_prompt_tokens": self.tier_threshold,
            "source": self.source,
            "variant": self.variant,
            "priced_by": self.priced_by,
            "price_file": self.price_file,
            "rates": None if self.rates is None else {  # USD per 1M tokens; requests and web_search per 1,000
                k: usd_str(v) for k, v in self.rates_per_1m(self.billed_rates).items()},
            "retired": None if self.retired is None else self.retired.isoformat(),
        }


def quote(catalog: Catalog, model: str, usage: Usage, at: dt.datetime | None = None,
          variant: str | None = None, *, fallback: bool = True) -> Quote:
    """Price one call exactly as the tracker would (and refuse the names and variants it refuses).

    A name the catalog does not know is looked up in genai-prices (``fallback``), synchronously:
    the caller waits for its first load (~0.3 s); a catalog hit never loads it."""
    check_label("model", model)
    given = canonical_variant(variant)
    when = at or dt.datetime.now(dt.timezone.utc)
    ts = timestamp_of(when)
    entry, implied = catalog.resolve(model)
    if entry is None and fallback:
        from .pricing.fallback import accepted, shared_fallback

        entry = accepted(shared_fallback().resolve_now(model), catalog)
    if entry is None:
        return Quote(model, None, None, usage, when, None, None, None, given)
    variant = combine(implied, given)
    period = entry.period_at(ts)
    offered = tuple(sorted(period.variants))
    billed = period if variant is None else with_variant(period, variant)
    if billed is None and variant is not None:
        check_variant_aliases(period, variant)  # ``fast+flex`` at OpenAI is refused, as ``priority+flex`` is
    unpriced = Quote(model, entry.id, entry.provider, usage, when, None, None, None, variant, None, offered,
                     retired=entry.retired, listed_by=entry.priced_by,
                     price_file=entry.origin if entry.override else None)
    if billed is None:  # the model has no price for this variant: unpriced, as the tracker counts it
        return unpriced
    units = breakdown_units(billed, usage)
    if units is None:  # web searches of a model whose search fee the catalog does not state
        return replace(unpriced, unstated=unstated(billed, usage))
    threshold = None
    for limit, _ in billed.tiers:
        if usage.prompt_tokens > limit:
            threshold = limit
    return replace(unpriced, breakdown={b: units_to_usd(units[b]) for b in BUCKETS}, tier_threshold=threshold,
                   source=billed.source, priced_by=entry.priced_by, rates=tuple(billed.base),
                   tiers=tuple((limit, tuple(r)) for limit, r in billed.tiers))
