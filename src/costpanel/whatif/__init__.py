"""What if — the same token usage repriced on other models (issue 12 §2).

``Snapshot.reprice(target)`` reprices a session from its sums (``approximate`` where a target's
long-context cliffs make sums insufficient); :func:`reprice_ledger` (``costpanel whatif``) reprices
the ledger's calls one by one, exactly. :mod:`.candidates` picks the cheapest of a user-edited list.
Imported on first use: never on ``import costpanel``'s path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .engine import Item, items_of_calls, items_of_cells, reprice
from .ledger import ledger_items
from .rows import WhatIf, WhatIfRow
from .target import Plan, Target, make_plan, resolve_target

if TYPE_CHECKING:
    import sqlite3

    from ..ledger.queries import TimeRange
    from ..pricing.catalog import Catalog


def reprice_ledger(conn: sqlite3.Connection, span: TimeRange, catalog: Catalog, target: str | Mapping[str, str] | None,
                   per_tier: Mapping[str, str] | None = None) -> WhatIf:
    """The committed calls of ``span`` repriced as if call by call (exact: each call's own prompt
    size picks a cliff tier, its own variant applies where the target offers it)."""
    plan = make_plan(catalog, target, per_tier)
    return reprice_plan(conn, span, plan)


def reprice_plan(conn: sqlite3.Connection, span: TimeRange, plan: Plan) -> WhatIf:
    """:func:`reprice_ledger` for a plan already made (:func:`make_plan`)."""
    return reprice(ledger_items(conn, span, (plan.default, *plan.per_tier.values())), plan, exact=True)


__all__ = ["Item", "Plan", "Target", "WhatIf", "WhatIfRow", "items_of_calls", "items_of_cells", "ledger_items",
           "make_plan", "reprice", "reprice_ledger", "reprice_plan", "resolve_target"]
