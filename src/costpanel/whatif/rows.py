"""The result of a what-if: rows of actual and what-if cost (exact int units, Decimal at the edges)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any, NamedTuple

from ..money import units_to_usd, usd_str

_PCT = Decimal("0.01")


class WhatIfRow(NamedTuple):
    """One tier, one (tier, actual model) pair, or the total, priced twice.

    ``target``: the model it is repriced to (None: unchanged, the what-if is what it cost; the
    total names one only when every row has the same). ``actual_units`` and
    ``what_if_units`` cover the calls priced on that side (``*_unpriced_calls`` say how many are
    left out). ``cache_as_input``: cache buckets the target states no price for, billed at another
    rate instead (``notes`` say which); ``approximate``: repriced from sums at a target with
    long-context cliffs (its base rates, the figure a call-by-call reprice can only raise)."""

    key: Any  # tier, (tier, actual model) or "total"
    target: str | None
    calls: int
    actual_units: int
    actual_unpriced_calls: int
    what_if_units: int
    what_if_unpriced_calls: int
    cache_as_input: tuple[str, ...] = ()
    approximate: bool = False
    notes: tuple[str, ...] = ()

    @property
    def unchanged(self) -> bool:
        return self.target is None

    @property
    def actual_usd(self) -> Decimal | None:
        """Exact cost as recorded; None when every call of the row was unpriced (never $0)."""
        return _usd(self.actual_units, self.calls, self.actual_unpriced_calls)

    @property
    def what_if_usd(self) -> Decimal | None:
        """Exact cost at the target's current rates; None when no call could be priced there."""
        return _usd(self.what_if_units, self.calls, self.what_if_unpriced_calls)

    @property
    def comparable(self) -> bool:
        """Every call priced on both sides: only then are the difference and % stated."""
        return not self.actual_unpriced_calls and not self.what_if_unpriced_calls

    @property
    def difference_units(self) -> int | None:
        return self.what_if_units - self.actual_units if self.comparable else None

    @property
    def difference_usd(self) -> Decimal | None:
        """What-if minus actual (negative: the target is cheaper); None ("—") unless comparable."""
        diff = self.difference_units
        return None if diff is None else units_to_usd(diff)

    @property
    def difference_pct(self) -> Decimal | None:
        """The difference as a percentage of the actual cost, to 0.01 % (half up); None when
        there is no difference to state or the actual cost is $0."""
        diff = self.difference_units
        if diff is None or not self.actual_units:
            return None
        return (Decimal(diff * 100) / Decimal(self.actual_units)).quantize(_PCT, rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict[str, Any]:
        """Stable JSON keys; money as exact decimal strings, None where unpriced or not stated."""
        pct = self.difference_pct
        return {"target": self.target, "calls": self.calls, "actual_usd": usd_str(self.actual_usd),
                "what_if_usd": usd_str(self.what_if_usd), "difference_usd": usd_str(self.difference_usd),
                "difference_pct": None if pct is None else str(pct),
                "actual_unpriced_calls": self.actual_unpriced_calls,
                "what_if_unpriced_calls": self.what_if_unpriced_calls, "cache_as_input": list(self.cache_as_input),
                "approximate": self.approximate, "notes": list(self.notes)}


def _usd(units: int, calls: int, unpriced: int) -> Decimal | None:
    return None if calls and unpriced == calls else units_to_usd(units)


SAME_NOTE = "already on this model: cost unchanged"  # a pair's row (merge says it for a part of a sum)


def merge(key: Any, rows: list[WhatIfRow], target: str | None) -> WhatIfRow:
    """Rows summed into one under ``key`` (notes and cache buckets once each, in order); a sum of
    which only some rows are already on their target says how many of its calls those are."""
    notes = _summed_notes(rows)
    same = [r for r in rows if SAME_NOTE in r.notes]
    if same and len(same) < len(rows):
        calls = sum(r.calls for r in same)
        notes = tuple(f"{calls:,} of its calls already on their target model: their cost unchanged" if n == SAME_NOTE
                      else n for n in notes)
    cache = tuple(dict.fromkeys(b for r in rows for b in r.cache_as_input))
    return WhatIfRow(key, target, sum(r.calls for r in rows), sum(r.actual_units for r in rows),
                     sum(r.actual_unpriced_calls for r in rows), sum(r.what_if_units for r in rows),
                     sum(r.what_if_unpriced_calls for r in rows), cache, any(r.approximate for r in rows), notes)


_COUNTED = re.compile(r"([0-9][0-9,]*) (call\(s\) .+)")  # "3 call(s) recorded unpriced: …"


def _summed_notes(rows: list[WhatIfRow]) -> tuple[str, ...]:
    """The rows' notes once each, in order; those counting calls say the sum of the rows' counts."""
    counts: dict[str, int] = {}
    order: dict[str, None] = {}
    for note in (n for r in rows for n in r.notes):
        counted = _COUNTED.fullmatch(note)
        text = note if counted is None else counted.group(2)
        if counted is not None:
            counts[text] = counts.get(text, 0) + int(counted.group(1).replace(",", ""))
        order.setdefault(text, None)
    return tuple(f"{counts[t]:,} {t}" if t in counts else t for t in order)


def _common_target(rows: list[WhatIfRow]) -> str | None:
    targets = {r.target for r in rows}
    return targets.pop() if len(targets) == 1 else None


class WhatIf:
    """What the same usage would have cost on other models: ``by_tier``, ``by_tier_model`` (each
    actual model -> its target), ``by_model`` and ``total``, as :class:`~costpanel.snapshot.Snapshot` has them,
    plus ``total_usd`` (the what-if total). ``exact``: priced call by call (the ledger's calls);
    ``approximate``: some row was priced from sums at a target with long-context cliffs."""

    def __init__(self, given: str | Mapping[str, str], targets: Mapping[str, str | None],
                 pairs: Mapping[tuple[str, str], WhatIfRow], *, exact: bool, notes: tuple[str, ...] = ()) -> None:
        self.target = given
        self.targets = targets  # tier -> target id (None: unchanged)
        self.by_tier_model = pairs
        self.exact = exact
        self._notes = notes

    def __repr__(self) -> str:
        return (f"WhatIf(target={self.target!r}, actual_usd={self.actual_usd}, total_usd={self.total_usd}, "
                f"approximate={self.approximate})")

    @cached_property
    def by_tier(self) -> Mapping[str, WhatIfRow]:
        """Tiers in the order of the pairs (natural order, as the snapshot's)."""
        grouped: dict[str, list[WhatIfRow]] = {}
        for (tier, _), row in self.by_tier_model.items():
            grouped.setdefault(tier, []).append(row)
        return {tier: merge(tier, rows, self.targets.get(tier)) for tier, rows in grouped.items()}

    @cached_property
    def by_model(self) -> Mapping[str, WhatIfRow]:
        """Actual models across tiers, costliest first (``target`` None when its tiers differ)."""
        grouped: dict[str, list[WhatIfRow]] = {}
        for (_, model), row in self.by_tier_model.items():
            grouped.setdefault(model, []).append(row)
        rows = {model: merge(model, rows, _common_target(rows)) for model, rows in grouped.items()}
        return dict(sorted(rows.items(), key=lambda kv: (-kv[1].actual_units, kv[0])))

    @cached_property
    def total(self) -> WhatIfRow:
        rows = list(self.by_tier_model.values())
        row = merge("total", rows, _common_target(rows))
        return row._replace(notes=tuple(dict.fromkeys((*row.notes, *self._notes))))

    @property
    def total_usd(self) -> Decimal | None:
        """What the whole usage costs in this what-if (priced calls; None when none could be)."""
        return self.total.what_if_usd

    @property
    def actual_usd(self) -> Decimal | None:
        return self.total.actual_usd

    @property
    def difference_usd(self) -> Decimal | None:
        return self.total.difference_usd

    @property
    def difference_pct(self) -> Decimal | None:
        return self.total.difference_pct

    @property
    def calls(self) -> int:
        return self.total.calls

    @property
    def unpriced_calls(self) -> int:
        """Calls the what-if could not price (the target states no fee they use)."""
        return self.total.what_if_unpriced_calls

    @property
    def approximate(self) -> bool:
        return self.total.approximate

    @property
    def notes(self) -> tuple[str, ...]:
        return self.total.notes

    def as_dict(self) -> dict[str, Any]:
        """The whole result with stable keys (``costpanel whatif --json``)."""
        target = self.target if isinstance(self.target, str) else dict(self.target)
        return {**self.total.as_dict(), "target": target, "exact": self.exact,
                "tiers": [{"tier": t, **r.as_dict()} for t, r in self.by_tier.items()],
                "models": [{"tier": t, "model": m, **r.as_dict()} for (t, m), r in self.by_tier_model.items()]}
