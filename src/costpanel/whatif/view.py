"""What-if rows as text for people: the panel's cells and the CLI's table (no Dear PyGui here)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from ..money import format_usd
from .rows import WhatIf, WhatIfRow

if TYPE_CHECKING:
    from ..pricing.catalog import Catalog

NOT_STATED = "—"
UNPRICED = "unpriced"
APPROXIMATE_MARK = "≈"


def format_cost(value: Decimal | None, calls: int, unpriced_calls: int) -> str:
    """``$1.23``; ``unpriced`` when no call is priced; ``$1.23 +?`` when some are not."""
    text = format_usd(value, unpriced=UNPRICED)
    return f"{text} +?" if unpriced_calls and value is not None and unpriced_calls < calls else text


def format_difference(value: Decimal | None) -> str:
    """``+$0.50`` (the target costs more), ``-$0.50`` (it saves), ``—`` when not comparable."""
    if value is None:
        return NOT_STATED
    text = format_usd(value)
    return text if value <= 0 else f"+{text}"


def format_pct(value: Decimal | None) -> str:
    if value is None:
        return NOT_STATED
    return f"+{value}%" if value > 0 else f"{value}%"


class WhatIfLine(NamedTuple):
    """One row as shown: every field a string (``tooltip``: the row's notes, one per line)."""

    label: str
    target: str  # "unchanged" when the row keeps its models
    calls: str
    actual: str
    what_if: str
    difference: str
    pct: str
    flags: str  # "≈" approximate, "cache→input" when cache tokens were billed as input
    tooltip: str


def line(label: str, row: WhatIfRow) -> WhatIfLine:
    flags = " ".join(f for f, on in ((APPROXIMATE_MARK, row.approximate), ("cache→input", row.cache_as_input)) if on)
    return WhatIfLine(label, row.target or "unchanged", f"{row.calls:,}",
                      format_cost(row.actual_usd, row.calls, row.actual_unpriced_calls),
                      format_cost(row.what_if_usd, row.calls, row.what_if_unpriced_calls),
                      format_difference(row.difference_usd), format_pct(row.difference_pct), flags,
                      "\n".join(row.notes))


def tier_lines(whatif: WhatIf) -> tuple[WhatIfLine, ...]:
    """One line per tier, then the total (labelled ``Total``)."""
    tiers = tuple(line(tier, row) for tier, row in whatif.by_tier.items())
    total = line("Total", whatif.total)
    if whatif.total.target is None and any(not row.unchanged for row in whatif.by_tier.values()):
        total = total._replace(target="mixed")  # some tiers repriced, on different models or not all
    return (*tiers, total)


def model_lines(whatif: WhatIf) -> tuple[WhatIfLine, ...]:
    """One line per (tier, actual model), labelled ``Tier 1 · claude-sonnet-5-5``."""
    return tuple(line(f"{tier} · {model}", row) for (tier, model), row in whatif.by_tier_model.items())


def model_choices(catalog: Catalog, first: Iterable[str] = ()) -> tuple[str, ...]:
    """Target models to offer in a picker: ``first`` (e.g. the candidates) that the catalog
    prices, then every other catalog model id, sorted."""
    known = []
    for name in first:
        entry = catalog.match(name)
        if entry is not None:
            known.append(entry.id)
    head = tuple(dict.fromkeys(known))
    return (*head, *sorted(set(catalog.models) - set(head)))
