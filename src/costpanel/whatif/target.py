"""What a what-if reprices to: target models resolved in the catalog, and the plan (tier -> target).

A target is looked up in the price catalog only (not genai-prices): a what-if must name a model
whose rates are known and stated, so an unknown name is an error, never a silent $0.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from ..labels import check_label
from ..pricing.rates import Period, with_variant
from ..variants import combine

if TYPE_CHECKING:
    from ..pricing.catalog import Catalog, ModelEntry

# The cache buckets, the price field a target must state to carry them over, and what they are
# billed at when it does not (pricing/rates.FALLBACK does the billing; this only says so).
CACHE_FIELDS: tuple[tuple[str, str], ...] = (("cache_read", "cache reads"), ("cache_write", "5-minute cache writes"),
                                              ("cache_write_1h", "1-hour cache writes"))


class Target(NamedTuple):
    """A resolved target model: its catalog id, the price period in force now (the name's implied
    variant, e.g. a Bedrock ``us.`` profile's ``regional``, still to apply), that variant, and the
    cache price fields its current period leaves out (those tokens are billed at another rate)."""

    id: str
    entry: ModelEntry
    current: Period | None
    implied: str | None
    no_cache: frozenset[str]

    def period(self, variant: str | None = None) -> tuple[Period | None, bool]:
        """The period a call under ``variant`` is billed at, and whether the variant was honoured
        (False: the target does not offer it, so its standard rates apply — the caller says so)."""
        if self.current is None:
            return None, True
        try:
            wanted = combine(self.implied, variant)
        except ValueError:  # parts no call can carry together: the standard rates, said
            wanted = self.implied
            honoured = False
        else:
            honoured = True
        if wanted is None:
            return self.current, honoured
        billed = with_variant(self.current, wanted)
        if billed is None:  # the call's variant is not offered: the standard rates (the name's variant is)
            honoured = False
            billed = self.current if self.implied is None else with_variant(self.current, self.implied)
        return billed, honoured

    def cache_note(self, bucket: str) -> str:
        """Why ``bucket`` (a cache bucket this target states no price for) costs what it costs."""
        label = dict(CACHE_FIELDS)[bucket]
        if bucket == "cache_write_1h" and "cache_write" not in self.no_cache:
            return f"{label} priced at the 5-minute write rate ({self.id} has no 1-hour write price)"
        name = {"cache_read": "cache-read", "cache_write": "cache-write", "cache_write_1h": "cache-write"}[bucket]
        return f"{label} priced as input ({self.id} has no {name} price)"


def _unstated_cache(entry: ModelEntry, now: float) -> frozenset[str]:
    """Cache buckets the price file's current period gives no price for (read from the raw table:
    no pydantic on this path; the compiled rates already hold the fallback rate instead)."""
    prices = entry.spec_ref.raw().get("prices") or ()
    if not prices or entry.free:
        return frozenset()  # a free model: every bucket costs $0 as stated
    period = prices[entry._index_at(now)]
    return frozenset(b for b, _ in CACHE_FIELDS if period.get(b) is None)


def resolve_target(catalog: Catalog, name: object, field: str = "target") -> Target:
    """The catalog model ``name`` denotes; ValueError (naming ``field``) when there is none."""
    if type(name) is not str:
        raise TypeError(f"{field} must be a model name (str), got {type(name).__name__} {name!r}")
    entry, implied = catalog.resolve(name)
    if entry is None:
        close = catalog.suggestions(name) if name.strip() else []
        hint = f"; did you mean {', '.join(close)}?" if close else "; `costpanel pricing list` shows the known models"
        raise ValueError(f"{field}: unknown model {name!r} (not in the price catalog, so it has no rates){hint}")
    now = time.time()
    current = entry.period_at(now) if entry.periods else None
    if current is not None and implied is not None and with_variant(current, implied) is None:
        raise ValueError(f"{field}: {name!r} is {entry.id} under variant {implied!r}, which {entry.id} has no price "
                         f"for (variants offered: {', '.join(sorted(current.variants)) or 'none'})")
    return Target(entry.id, entry, current, implied, _unstated_cache(entry, now))


class Plan(NamedTuple):
    """Which tiers are repriced to which target: ``per_tier`` first, then ``default`` (None: a tier
    not in ``per_tier`` keeps its own models and costs what it cost)."""

    default: Target | None
    per_tier: Mapping[str, Target]
    given: str | Mapping[str, str]  # as the caller wrote it (for reports)

    def for_tier(self, tier: str) -> Target | None:
        return self.per_tier.get(tier, self.default)


def make_plan(catalog: Catalog, target: object, per_tier: Mapping[str, str] | None = None, *,
              field: str = "target", tier_field: str = "target for tier {tier!r}") -> Plan:
    """``target``: one model for every tier, or a mapping tier -> model (others unchanged);
    ``per_tier`` (the CLI's ``--tier``): overrides on top of a single ``target``. Bad input raises
    TypeError/ValueError naming the tier or model (as ``field``/``tier_field`` call them)."""
    if isinstance(target, Mapping):
        if per_tier:
            raise TypeError("give a tier -> model mapping, or one model plus per_tier, not both")
        default, mapping = None, target
    elif target is None and per_tier:
        default, mapping = None, per_tier
    else:
        default, mapping = resolve_target(catalog, target, field), per_tier or {}
    if default is None and not mapping:
        raise ValueError("target: an empty tier -> model mapping reprices nothing; name at least one tier")
    tiers: dict[str, Target] = {}
    for tier, model in mapping.items():
        check_label("tier", tier)
        tiers[tier] = resolve_target(catalog, model, tier_field.format(tier=tier))
    given: str | Mapping[str, str] = dict(mapping) if default is None else target  # type: ignore[assignment]
    if default is not None and mapping:
        given = {"*": target, **mapping}  # type: ignore[dict-item]
    return Plan(default, tiers, given)
