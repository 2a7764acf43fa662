"""An immutable view of a tracker at one instant, and its rows.

The tracker copies its small per-(tier, model) integer cells under its lock; every other figure
(per tier, per model, totals, shares, rates) is derived here from that copy, lazily and once. The
rows and the total are sums of the same integers, so they agree to the last unit by construction,
and taking a snapshot costs the same after a million events as after one.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import namedtuple
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cached_property, lru_cache
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING

from .money import units_to_usd
from .series import SeriesView
from .usage import BUCKETS, TOKEN_BUCKETS, Usage

if TYPE_CHECKING:
    from .pricing.catalog import Catalog
    from .whatif import WhatIf

# A cell: calls, one count per bucket (REGISTRY order), then cost units and unpriced calls.
CALLS = 0
COST = 1 + len(BUCKETS)
UNPRICED = COST + 1
CELL_WIDTH = UNPRICED + 1
ModelMeta = tuple["str | None", "str | None", "str | None"]  # a model row's matched id, provider, price source
NO_META: ModelMeta = (None, None, None)
ZERO_CELL: tuple[int, ...] = (0,) * CELL_WIDTH
_CELL_TOKENS = itemgetter(*(1 + BUCKETS.index(b) for b in TOKEN_BUCKETS))  # the token counts of a cell

Cell = tuple[int, ...]
TierModel = tuple[str, str]

@lru_cache(maxsize=1024)
def natural_key(label: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key under which ``Tier 2`` < ``Tier 10`` and text sorts case-insensitively."""
    import re  # kept off `import costpanel`'s path

    return tuple((0, int(p)) if p.isdigit() else (1, p.casefold()) for p in re.split(r"(\d+)", label) if p)


class Totals:
    """What rows of totals share: ``calls``, one count per bucket (REGISTRY order),
    ``cost_units`` of the priced calls and ``unpriced_calls``. A mixin for the row tuples below and
    the ledger's report rows."""

    __slots__ = ()
    calls: int
    cost_units: int
    unpriced_calls: int

    @property
    def tokens(self) -> int:
        return sum(_ROW_TOKENS(self))

    @property
    def usage(self) -> Usage:
        """The bucket counts as a :class:`Usage` (``requests`` = billable requests)."""
        return tuple.__new__(Usage, _ROW_BUCKETS(self))  # sums of validated counts, in BUCKETS order

    @property
    def priced_calls(self) -> int:
        return self.calls - self.unpriced_calls

    @property
    def fully_priced(self) -> bool:
        return self.unpriced_calls == 0

    @property
    def cost_usd(self) -> Decimal | None:
        """Exact cost of the priced calls (``unpriced_calls`` says what it leaves out); None when
        every call of the row is unpriced — never a silent $0."""
        if self.calls and not self.priced_calls:
            return None
        return units_to_usd(self.cost_units)


_ROW_TOKENS = attrgetter(*TOKEN_BUCKETS)
_ROW_BUCKETS = attrgetter(*BUCKETS)
# key, then the cell's fields by name, then what a row adds (fields derived from the registry).
ROW_FIELDS = ("key", "calls", *BUCKETS, "cost_units", "unpriced_calls", "share", "models", "provider", "matched",
              "priced_by")


class Row(Totals, namedtuple("Row", ROW_FIELDS, defaults=((), None, None, None))):  # type: ignore[misc]
    """Totals for one tier, model, tier×model pair, or the whole session.

    ``key`` (tier, model name, (tier, model) or "total"), ``calls``, one count per bucket,
    ``cost_units`` (priced calls only), ``unpriced_calls``, ``share`` of the session's priced cost
    (0..1, display only), ``models`` (tier rows: the models it used, costliest first),
    ``provider`` and ``matched`` (model rows: catalog id, None when unpriced) and ``priced_by``
    (model rows: what priced it, ``catalog`` or ``genai-prices x.y.z``; None when unknown or when
    none of its calls was priced).
    """

    __slots__ = ()

    @property
    def usd_per_call(self) -> Decimal | None:
        """Average over priced calls (display figure, rounded to 1e-12 USD)."""
        if not self.priced_calls:
            return None
        return units_to_usd(self.cost_units // self.priced_calls)


def tier_sums(cells: Mapping[TierModel, Cell]) -> dict[str, tuple[int, int]]:
    """(cost units, tokens) per tier."""
    sums: dict[str, tuple[int, int]] = {}
    for (tier, _), c in cells.items():
        cost, tokens = sums.get(tier, (0, 0))
        sums[tier] = (cost + c[COST], tokens + sum(_CELL_TOKENS(c)))
    return sums


def _sum_cells(cells: Iterable[Cell]) -> Cell:
    sums = tuple(map(sum, zip(*cells)))  # column sums in C: this runs for every row of every frame
    return sums if sums else ZERO_CELL


def _priced_by(c: Cell, source: str | None) -> str | None:
    """A model row's price source, only when the row has a priced call (else None, as reports show
    it: a model whose every call was unpriced, e.g. under a variant it lacks, was priced by nothing)."""
    return source if c[COST] > 0 or c[CALLS] > c[UNPRICED] else None


def _row(key: str | TierModel, c: Cell, total_units: int, **extra: object) -> Row:
    share = c[COST] / total_units if total_units else 0.0
    return Row(key, *c, share=share, **extra)  # type: ignore[arg-type,misc]


class Snapshot:
    """Everything the panel and reports show, frozen at ``version``.

    Derived figures are computed on first access and cached; the object cannot be changed.
    """

    version: int
    session: str
    started_at: dt.datetime
    taken_at: dt.datetime
    elapsed_s: float
    pending_calls: int
    pending_units: int
    approximate_calls: int  # counted calls whose source could only estimate their usage (Event.approximate)
    series_window_s: int
    _cells: Mapping[TierModel, Cell]
    _discarded: Mapping[TierModel, Cell]
    _models: Mapping[str, ModelMeta]  # row key -> (matched id, provider, price source)
    _series: Mapping[str, SeriesView]  # placed part of each tier's series
    _total_series: SeriesView  # placed part of the total series
    _placed: Mapping[str, tuple[int, int]]  # what those rings already hold
    _roll_sec: int | None  # the second the unplaced remainder belongs to
    _catalog: Catalog | None = None  # the tracker's catalog (a reference, for reprice); None: load it
    _unpriced_variants: Mapping[str, tuple[str, ...]] = MappingProxyType({})  # model -> variants without a price
    # (tier, model key) -> the price variants its calls were billed under (their sums hold no split)
    _variants: Mapping[TierModel, tuple[str, ...]] = MappingProxyType({})
    first_call_at: dt.datetime | None = None  # the session's earliest call (None: none yet)

    def __init__(self, **fields: object) -> None:
        self.__dict__.update(fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Snapshot is immutable (tried to set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Snapshot is immutable (tried to delete {name!r})")

    def __repr__(self) -> str:
        return (f"Snapshot(session={self.session!r}, version={self.version}, calls={self.calls}, "
                f"total_usd={self.total_usd}, unpriced_calls={self.unpriced_calls})")

    # -- totals ---------------------------------------------------------------------------------
    @cached_property
    def total(self) -> Row:
        c = _sum_cells(self._cells.values())
        return _row("total", c, c[COST])

    @property
    def total_usd(self) -> Decimal:
        """Exact cost of every priced call; see :attr:`unpriced` for what it leaves out."""
        return units_to_usd(self.total.cost_units)

    @property
    def calls(self) -> int:
        return self.total.calls

    @property
    def tokens(self) -> int:
        return self.total.tokens

    @property
    def unpriced_calls(self) -> int:
        return self.total.unpriced_calls

    @cached_property
    def unpriced(self) -> tuple[str, ...]:
        """Model names recorded without a price (their tokens are counted, their cost is not)."""
        names = {model for (_, model), c in self._cells.items() if c[UNPRICED]}
        return tuple(sorted(names))

    @cached_property
    def unpriced_labels(self) -> tuple[str, ...]:
        """:attr:`unpriced` as people read it: a known model called under a variant it has no price
        for names the variant (``claude-haiku-4-5 (flex)``), so the fix (a price, or another
        variant) is plain."""
        variants = self._unpriced_variants
        return tuple(f"{m} ({', '.join(variants[m])})" if m in variants else m for m in self.unpriced)

    def variants(self, model: str, tier: str | None = None) -> tuple[str, ...]:
        """The price variants (``fast``, ``batch``, ``priority`` …) calls of ``model`` (in ``tier``,
        or in any) were billed under, sorted; () when all were standard. Its rows sum them with its
        standard calls, unsplit (``costpanel report --by variant`` splits the ledger's calls)."""
        found = {v for (t, m), names in self._variants.items() if m == model and tier in (None, t) for v in names}
        return tuple(sorted(found))

    @property
    def pending_usd(self) -> Decimal:
        """Cost recorded inside attempts that are still open (not yet in the totals)."""
        return units_to_usd(self.pending_units)

    # -- breakdowns -----------------------------------------------------------------------------
    @cached_property
    def by_tier(self) -> Mapping[str, Row]:
        """Tiers in natural order (``Tier 1`` … ``Tier 10``)."""
        grouped: dict[str, list[tuple[str, Cell]]] = {}
        for (tier, model), c in self._cells.items():
            grouped.setdefault(tier, []).append((model, c))
        total = self.total.cost_units
        rows = {}
        for tier in sorted(grouped, key=natural_key):
            members = sorted(grouped[tier], key=lambda mc: (-mc[1][COST], mc[0]))
            rows[tier] = _row(tier, _sum_cells(c for _, c in members), total, models=tuple(m for m, _ in members))
        return MappingProxyType(rows)

    @cached_property
    def by_model(self) -> Mapping[str, Row]:
        """Models, costliest first; unknown models keyed by the name given."""
        grouped: dict[str, list[Cell]] = {}
        for (_, model), c in self._cells.items():
            grouped.setdefault(model, []).append(c)
        total = self.total.cost_units
        sums = {m: _sum_cells(cs) for m, cs in grouped.items()}
        rows = {}
        for model in sorted(sums, key=lambda m: (-sums[m][COST], m)):
            matched, provider, source = self._models.get(model, NO_META)
            rows[model] = _row(model, sums[model], total, matched=matched, provider=provider,
                               priced_by=_priced_by(sums[model], source))
        return MappingProxyType(rows)

    @cached_property
    def by_tier_model(self) -> Mapping[TierModel, Row]:
        """(tier, model) pairs, tiers in natural order, costliest model first within a tier."""
        return MappingProxyType(self._pairs(self._cells, self.total.cost_units))

    def _pairs(self, cells: Mapping[TierModel, Cell], total: int) -> dict[TierModel, Row]:
        keys = sorted(cells, key=lambda k: (natural_key(k[0]), -cells[k][COST], k[1]))
        rows = {}
        for key in keys:
            matched, provider, source = self._models.get(key[1], NO_META)
            rows[key] = _row(key, cells[key], total, matched=matched, provider=provider,
                             priced_by=_priced_by(cells[key], source))
        return rows

    # -- what if --------------------------------------------------------------------------------
    def reprice(self, target: str | Mapping[str, str]) -> WhatIf:
        """What this session's usage would have cost on another model, at its current rates.

        ``target``: one model for every tier, or a mapping tier -> model (tiers not in it keep
        their models and cost what they cost). Rows per tier and per (tier, model) with actual,
        what-if, difference and %; cache tokens carry over where the target prices caching, else
        are billed as input (rows say so). ``approximate`` when a target has long-context cliffs:
        the snapshot keeps sums, not each call's prompt size. An unknown model raises ValueError."""
        from .whatif import items_of_cells, make_plan, reprice

        catalog = self._catalog
        if catalog is None:
            from .pricing import load_catalog

            catalog = load_catalog()
        return reprice(items_of_cells(self._cells, self._variants), make_plan(catalog, target), exact=False)

    # -- discarded fallback attempts --------------------------------------------------------------
    @cached_property
    def discarded(self) -> Row:
        """Calls of discarded attempts: spent, shown apart, not part of :attr:`total_usd`."""
        c = _sum_cells(self._discarded.values())
        return _row("discarded", c, c[COST])

    @cached_property
    def discarded_by_tier_model(self) -> Mapping[TierModel, Row]:
        return MappingProxyType(self._pairs(self._discarded, self.discarded.cost_units))

    # -- time -------------------------------------------------------------------------------------
    @cached_property
    def _pending(self) -> dict[str, tuple[int, int]]:
        """Per tier: (cost units, tokens) recorded but not yet placed in the rings."""
        out = {}
        for tier, (cost, tokens) in tier_sums(self._cells).items():
            placed_cost, placed_tokens = self._placed.get(tier, (0, 0))
            if cost != placed_cost or tokens != placed_tokens:
                out[tier] = (cost - placed_cost, tokens - placed_tokens)
        return out

    def _empty_view(self) -> SeriesView:
        return SeriesView(self.series_window_s, None, array("d"), array("d"), 0.0, 0.0)

    @cached_property
    def series(self) -> Mapping[str, SeriesView]:
        """Per-tier per-second series over the tracker's window (event time), tiers in natural order."""
        views = dict(self._series)
        if self._roll_sec is not None:
            for tier, (cost, tokens) in self._pending.items():
                base = views.get(tier) or self._empty_view()
                views[tier] = base.with_pending((self._roll_sec, float(cost), float(tokens)))
        return MappingProxyType(dict(sorted(views.items(), key=lambda kv: natural_key(kv[0]))))

    @cached_property
    def total_series(self) -> SeriesView:
        """The per-second series of the whole session (what the tier series add up to)."""
        if self._roll_sec is None:
            return self._total_series
        total = self.total
        cost = total.cost_units - sum(c for c, _ in self._placed.values())
        tokens = total.tokens - sum(t for _, t in self._placed.values())
        if not (cost or tokens):
            return self._total_series
        return self._total_series.with_pending((self._roll_sec, float(cost), float(tokens)))

    @property
    def active_s(self) -> float:
        """Seconds since the session's first call (0 before it): what rates are measured over. A
        session opened long before its run began (`costpanel watch` counts from midnight, a Reset
        waits for the next experiment) would otherwise spread the run's cost over idle time."""
        if self.first_call_at is None:
            return 0.0
        idle = max(0.0, (self.first_call_at - self.started_at).total_seconds())
        return max(0.0, self.elapsed_s - idle)

    def burn_rate_usd_per_hour(self, window_s: float | None = 300.0) -> float:
        """$/hour over the last ``window_s`` seconds of event time (None: since the first call).

        A run younger than the window (counted from the session's first call, see
        :attr:`active_s`) is measured over its age, from that call's second: every call since
        counts, those of its first (partial) second included, so the rate then equals the run's.
        Older runs: the ``window_s`` whole seconds up to now.
        """
        active = self.active_s
        if window_s is None:
            hours = active / 3600
            return float(self.total_usd) / hours if hours > 0 else 0.0
        now = int(self.taken_at.timestamp())
        if active < window_s:
            if active <= 0 or self.first_call_at is None:
                return 0.0
            first = int(max(self.first_call_at, self.started_at).timestamp())  # its own second, partial as it is
            return self.total_series.cost_usd_between(first, now) * 3600 / active
        return self.total_series.cost_usd_between(now - int(window_s) + 1, now) * 3600 / window_s
