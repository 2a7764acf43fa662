"""Pricing one call for people and scripts (``costpanel price``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .events import timestamp_of
from .labels import check_label
from .money import units_to_usd, usd_str
from .pricing import Catalog
from .usage import BUCKETS, Usage


@dataclass(frozen=True, slots=True)
class Quote:
    model: str
    matched: str | None
    provider: str | None
    usage: Usage
    at: dt.datetime
    breakdown: dict[str, Decimal] | None  # per bucket; None when unpriced
    tier_threshold: int | None  # the cliff tier that applied, if any
    source: str | None

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
        }


def quote(catalog: Catalog, model: str, usage: Usage, at: dt.datetime | None = None) -> Quote:
    """Price one call exactly as the tracker would (and refuse the names it refuses)."""
    check_label("model", model)
    when = at or dt.datetime.now(dt.timezone.utc)
    ts = timestamp_of(when)
    entry = catalog.match(model)
    if entry is None:
        return Quote(model, None, None, usage, when, None, None, None)
    period = entry.period_at(ts)
    units = entry.breakdown_units(usage, ts)
    threshold = None
    for limit, _ in period.tiers:
        if usage.prompt_tokens > limit:
            threshold = limit
    return Quote(
        model, entry.id, entry.provider, usage, when,
        {b: units_to_usd(units[b]) for b in BUCKETS}, threshold, period.source,
    )
