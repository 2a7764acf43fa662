"""The ledger's calls as what-if items, grouped in SQL without losing exactness.

A call's what-if cost is linear in its counts once three things are fixed: its (tier, model,
variant), which long-context tier its prompt falls in, and whether it searched (a search fee
charged once per request; a target without a search fee cannot price a call that searched). So
calls are grouped by (tier, model, variant, prompt class, searched), where the prompt class counts
the cliff thresholds of every target below the call's prompt: within a class every call is on the
same side of every threshold. Each group carries a prompt size of its class
and the number of its calls that searched, and is priced as one item — the same figures as pricing
call by call (:func:`~costpanel.whatif.engine.items_of_calls`; tests compare the two), at SQLite's
speed instead of Python's per call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ..usage import PROMPT_BUCKETS, Usage
from .engine import Item
from .target import Target

if TYPE_CHECKING:
    from ..ledger.queries import TimeRange

_PROMPT = " + ".join(PROMPT_BUCKETS)
_SUMS = ", ".join(f"SUM({b})" for b in ("input", "cache_read", "cache_write", "cache_write_1h", "output", "requests",
                                       "web_search"))


def thresholds(targets: Iterable[Target | None]) -> tuple[int, ...]:
    """Every long-context threshold the targets' current periods (and their variants' own price
    sets) bill at, ascending."""
    found: set[int] = set()
    for t in targets:
        if t is None or t.current is None:
            continue
        found.update(threshold for threshold, _ in t.current.tiers)
        for variant in t.current.variants.values():
            if variant.explicit is not None:
                found.update(threshold for threshold, _ in variant.explicit.tiers)
    return tuple(sorted(found))


def ledger_items(conn: sqlite3.Connection, span: TimeRange, targets: Iterable[Target | None]) -> Iterator[Item]:
    """The committed calls of ``span`` (the report's 15-minute edges), grouped so that each item
    prices exactly at any of ``targets``: ``prompt`` is a prompt size of its cliff class and
    ``searching`` how many of its calls searched."""
    from ..ledger.queries import _bucket_bounds  # the edges reports and exports use

    cuts = thresholds(targets)
    klass = " + ".join(f"(({_PROMPT}) > {int(c)})" for c in cuts) or "0"
    lo, hi = _bucket_bounds(span)
    sql = (f"SELECT tier, model_key, variant, {klass}, web_search > 0, MIN({_PROMPT}), COUNT(*), {_SUMS}, "
           "SUM(web_search > 0), SUM(cost_units), SUM(cost_units IS NULL) FROM events "
           "WHERE ts >= ? AND ts < ? AND status = 'committed' GROUP BY 1, 2, 3, 4, 5")
    for tier, model, variant, _, _, prompt, calls, *counts, searching, cost, unpriced in conn.execute(sql, (lo, hi)):
        yield Item(tier, model, calls, tuple.__new__(Usage, counts), cost or 0, unpriced, variant, prompt, searching)
