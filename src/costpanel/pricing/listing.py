"""The catalog as rows (``costpanel pricing list``), with the cheapest and costliest model."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ..money import usd_str
from .catalog import Catalog, ModelEntry
from .retirement import is_retired, retirement_status
from .schema import TOKEN_PRICE_FIELDS

SortKey = Literal["input", "output", "id"]
RATE_FIELDS = tuple(sorted(TOKEN_PRICE_FIELDS, key=lambda f: (f not in ("input", "output"), f != "input")))  # in, out, rest


@dataclass(frozen=True, slots=True)
class ListedModel:
    entry: ModelEntry
    rates: dict[str, Decimal | None]  # current period, USD per 1M tokens as written in the file
    per_1k_requests: Decimal | None
    tiers: tuple[int, ...]
    effective: str | None
    web_search_per_1k: Decimal | None = None
    web_search_per: str = "search"  # "request": one search fee a call, however many searches
    variants: tuple[str, ...] = ()  # price variants offered in the current period (batch, priority …)

    @property
    def id(self) -> str:
        return self.entry.id

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {
            "id": e.id,
            "provider": e.provider,
            "name": e.name,
            "aliases": list(e.aliases),
            "free": e.free,
            "embedding": e.spec.embedding,
            "retired": e.retired.isoformat() if e.retired else None,  # the day, past or scheduled
            "retirement": retirement_status(e.retired),  # current | scheduled | retired (as of today, UTC)
            "effective": self.effective,
            **{k: usd_str(v) for k, v in self.rates.items()},
            "per_1k_requests": usd_str(self.per_1k_requests),
            "web_search_per_1k": usd_str(self.web_search_per_1k),
            "web_search_per": self.web_search_per,
            "variants": list(self.variants),
            "tiers_above_prompt_tokens": list(self.tiers),
            "source": e.current.source,
        }


def _listed(e: ModelEntry) -> ListedModel:
    p = e.current_spec
    if p is None:  # a free model without price periods
        zero = Decimal(0)
        return ListedModel(e, {f: zero for f in RATE_FIELDS}, None, (), None)
    return ListedModel(
        e,
        {f: getattr(p, f) for f in RATE_FIELDS},
        p.per_1k_requests,
        tuple(t.above_prompt_tokens for t in p.tiers),
        p.effective.isoformat(),
        p.web_search_per_1k,
        p.web_search_per,
        tuple(sorted(e.current.variants)),
    )


def list_models(catalog: Catalog, *, provider: str | None = None, sort: SortKey = "id",
                include_retired: bool = True) -> list[ListedModel]:
    wanted = None if provider is None else provider.casefold()  # `--provider OpenAI` is openai
    rows = [
        _listed(e) for e in catalog.models.values()
        if (wanted is None or e.provider.casefold() == wanted) and (include_retired or not is_retired(e.retired))
    ]
    if sort == "id":
        rows.sort(key=lambda r: (r.entry.provider, r.id))
    else:
        rows.sort(key=lambda r: (r.rates[sort] or Decimal(0), r.id))
    return rows


def extremes(rows: list[ListedModel]) -> tuple[ListedModel | None, ListedModel | None]:
    """Cheapest and most expensive current, paid model by input + output price (a model whose
    retirement is only scheduled is still current); embedding models, billed on input alone, are
    no alternative to a model that writes text and are left out."""
    paid = [r for r in rows if not r.entry.free and not is_retired(r.entry.retired) and not r.entry.spec.embedding]
    if not paid:
        return None, None
    def key(r: ListedModel) -> tuple[Decimal, str]:
        return ((r.rates["input"] or Decimal(0)) + (r.rates["output"] or Decimal(0)), r.id)
    return min(paid, key=key), max(paid, key=key)
