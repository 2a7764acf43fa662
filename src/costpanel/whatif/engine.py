"""Repricing usage at target models' rates: from a snapshot's sums, or call by call.

The price maths is :func:`costpanel.pricing.rates.cost_units`, the tracker's own; this module only
chooses the period (the target's current one, with the call's variant where the target offers it)
and, for sums, what sums cannot say (a long-context cliff, a search fee charged once per call).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from operator import add, attrgetter
from typing import TYPE_CHECKING, NamedTuple

from ..pricing.rates import Period, cost_units, rates_for, unstated
from ..pricing.retirement import is_retired
from ..snapshot import CALLS, COST, UNPRICED, natural_key
from ..usage import BUCKETS, Usage
from .rows import SAME_NOTE, WhatIf, WhatIfRow
from .target import Plan, Target

if TYPE_CHECKING:
    from ..ledger.queries import CallRow

_WEB_SEARCH = BUCKETS.index("web_search")
_CACHE_BUCKETS = ("cache_read", "cache_write", "cache_write_1h")
_CALL_USAGE = attrgetter(*BUCKETS)  # a ledger call's counts, in Usage order


class Item(NamedTuple):
    """Usage to reprice: one call, the sums of a snapshot's (tier, model) cell, or a group of the
    ledger's calls that every target prices alike (``prompt`` and ``searching`` set: see
    :mod:`.ledger`)."""

    tier: str
    model: str  # the row key: catalog id, or the name as given when unpriced
    calls: int
    usage: Usage
    actual_units: int  # cost of its priced calls, as recorded
    actual_unpriced: int  # of its calls, how many were recorded unpriced
    variant: str | None = None  # the price variant it was billed under (calls from the ledger)
    prompt: int | None = None  # a group's: a prompt size in the same cliff class as each of its calls'
    searching: int | None = None  # a group's: how many of its calls searched
    mixed: tuple[str, ...] = ()  # sums': the price variants some of their calls were billed under


def items_of_cells(cells: Mapping[tuple[str, str], tuple[int, ...]],
                   variants: Mapping[tuple[str, str], tuple[str, ...]] | None = None) -> Iterator[Item]:
    """A snapshot's cells: the sums per (tier, model), with the variants some of their calls had."""
    variants = variants or {}
    for (tier, model), c in cells.items():
        if c[CALLS]:
            yield Item(tier, model, c[CALLS], tuple.__new__(Usage, c[CALLS + 1:COST]), c[COST], c[UNPRICED],
                       mixed=variants.get((tier, model), ()))


def items_of_calls(rows: Iterable[CallRow]) -> Iterator[Item]:
    """The ledger's committed calls, one item each (discarded attempts are not part of the cost)."""
    for r in rows:
        if r.status == "committed":
            cost = r.cost_units
            yield Item(r.tier, r.matched or r.model.strip(), 1, tuple.__new__(Usage, _CALL_USAGE(r)),
                       0 if cost is None else cost, int(cost is None), r.variant)


def _for_group(period: Period, item: Item) -> tuple[Period, Usage]:
    """The period and counts that bill a homogeneous group of calls exactly: the cliff tier of its
    prompt class, and one search fee per searching call where the fee is charged per request."""
    usage = item.usage
    if period.tiers:
        period = period._replace(base=rates_for(period, Usage(item.prompt or 0)), tiers=())
    if period.search_once and usage[_WEB_SEARCH]:
        usage = tuple.__new__(Usage, (*usage[:_WEB_SEARCH], item.searching, *usage[_WEB_SEARCH + 1:]))
        period = period._replace(search_once=False)
    return period, usage


def _for_sums(period: Period, item: Item) -> tuple[Period, Usage, tuple[str, ...]]:
    """The period and counts to bill a cell's sums at, and whether that is only approximate: sums
    cannot say which calls crossed a cliff (base rates: a lower bound), nor how many calls shared a
    search fee charged once per request (each search counts, at most one per call)."""
    why: tuple[str, ...] = ()
    if period.tiers:
        # No call's prompt is above its cell's sum: a sum at or under the first cliff is exact at the
        # base rates, and a single call's sum is that call (billed at its own tier, exactly).
        if item.calls == 1:
            period = period._replace(base=rates_for(period, item.usage))
        elif item.usage.prompt_tokens > period.tiers[0][0]:
            why = ("cliff",)
        period = period._replace(tiers=())
    usage = item.usage
    if period.search_once and usage[_WEB_SEARCH]:
        billed = min(usage[_WEB_SEARCH], item.calls)
        if item.calls > 1 and usage[_WEB_SEARCH] > 1:
            why = (*why, "search")
        usage = tuple.__new__(Usage, (*usage[:_WEB_SEARCH], billed, *usage[_WEB_SEARCH + 1:]))
        period = period._replace(search_once=False)
    return period, usage, why


class _Pair:
    """Running sums of one (tier, actual model) pair."""

    __slots__ = ("approximate", "calls", "actual", "actual_unpriced", "no_variant", "target", "unstated", "usage",
                 "what_if", "what_if_unpriced", "same", "mixed")

    def __init__(self, target: Target | None, same: bool) -> None:
        self.target, self.same = target, same
        self.calls = self.actual = self.actual_unpriced = self.what_if = self.what_if_unpriced = 0
        self.usage = [0] * len(BUCKETS)
        self.approximate: set[str] = set()  # why sums could only estimate it: "cliff", "search"
        self.no_variant: dict[str, int] = {}  # variant the target lacks -> calls billed at its standard rates
        self.unstated: set[str] = set()  # buckets whose fee the target does not state
        self.mixed: set[str] = set()  # variants inside the sums (a snapshot's): billed at standard rates

    def row(self, key: tuple[str, str]) -> WhatIfRow:
        t = self.target
        if t is None or self.same:
            note = (SAME_NOTE,) if self.same else ()
            return WhatIfRow(key, None if t is None else t.id, self.calls, self.actual, self.actual_unpriced,
                             self.actual, self.actual_unpriced, notes=note)
        used = dict(zip(BUCKETS, self.usage))
        cache = tuple(b for b in _CACHE_BUCKETS if used[b] and b in t.no_cache)
        notes = [t.cache_note(b) for b in cache]
        if t.implied is not None:
            notes.append(f"priced as {t.id} under variant {t.implied!r} (the name given implies it)")
        if self.actual_unpriced:
            notes.append(f"{self.actual_unpriced:,} call(s) recorded unpriced: no actual cost to compare them with")
        if t.current is None:
            notes.append(f"{t.id} has no price in force: not priced")
        if is_retired(t.entry.retired):  # its last price: a comparison, not a model to move to
            notes.append(f"{t.id} was retired on {t.entry.retired.isoformat()}: priced at its last price "
                         "(calls to it now fail or are redirected)")
        if "web_search" in self.unstated:
            notes.append(f"web searches: {t.id} states no web-search fee, so calls that searched are not priced")
        notes += [f"{n:,} call(s) under variant {v!r} priced at {t.id}'s standard rates (it has no {v!r} price)"
                  for v, n in sorted(self.no_variant.items())]
        notes += [_approximate_note(t, why) for why in sorted(self.approximate)]
        if self.mixed:
            notes.append(f"calls billed under {', '.join(map(repr, sorted(self.mixed)))} are in these sums, priced at "
                         f"{t.id}'s standard rates (the session keeps no split by variant): `costpanel whatif` "
                         "reprices each call under its own variant")
        return WhatIfRow(key, t.id, self.calls, self.actual, self.actual_unpriced, self.what_if,
                         self.what_if_unpriced, cache, bool(self.approximate or self.mixed), tuple(notes))


def _approximate_note(t: Target, why: str) -> str:
    period = t.current
    if why == "cliff" and period is not None and period.tiers:
        return (f"{t.id} bills a whole request above {period.tiers[0][0]:,} prompt tokens at higher rates; priced "
                "from session sums at its base rates (a lower bound): `costpanel whatif` reprices call by call")
    return f"{t.id} charges its search fee once per request: estimated from session sums"


def reprice(items: Iterable[Item], plan: Plan, *, exact: bool) -> WhatIf:
    """Reprice ``items`` as ``plan`` says. ``exact``: each item is one call (its own cliff and
    search fee apply); otherwise items are sums and rows say where that is approximate."""
    pairs: dict[tuple[str, str], _Pair] = {}
    periods: dict[tuple[str, str | None], tuple[Period | None, bool]] = {}
    for item in items:
        key = (item.tier, item.model)
        pair = pairs.get(key)
        if pair is None:
            target = plan.for_tier(item.tier)
            pair = pairs[key] = _Pair(target, target is not None and target.id == item.model)
        pair.calls += item.calls
        pair.actual += item.actual_units
        pair.actual_unpriced += item.actual_unpriced
        pair.usage = list(map(add, pair.usage, item.usage))
        target = pair.target
        if target is None or pair.same:
            continue
        found = periods.get((target.id, item.variant))
        if found is None:
            found = periods[(target.id, item.variant)] = target.period(item.variant)
        period, honoured = found
        if not honoured:
            pair.no_variant[item.variant] = pair.no_variant.get(item.variant, 0) + item.calls  # type: ignore[index]
        if period is None:
            pair.what_if_unpriced += item.calls
            continue
        usage = item.usage
        if exact:
            if item.calls > 1:  # a group of the ledger's calls (one call needs nothing more)
                if item.prompt is None or item.searching is None:
                    raise ValueError(f"exact=True reprices calls, or groups from ledger_items(); got sums of "
                                     f"{item.calls} calls of {item.model!r} in {item.tier!r} without their prompt class")
                period, usage = _for_group(period, item)
        else:
            period, usage, why = _for_sums(period, item)
            pair.approximate.update(why)
            pair.mixed.update(item.mixed)  # batch / priority … calls in these sums: billed at standard rates
        cost = cost_units(period, usage)
        if cost is None:
            pair.what_if_unpriced += item.calls
            pair.unstated.update(unstated(period, usage))
        else:
            pair.what_if += cost
    keys = sorted(pairs, key=lambda k: (natural_key(k[0]), -pairs[k].actual, k[1]))
    rows = {k: pairs[k].row(k) for k in keys}
    tiers = dict.fromkeys(k[0] for k in keys)
    targets = {tier: (t.id if (t := plan.for_tier(tier)) is not None else None) for tier in tiers}
    missing = tuple(f"{tier}: no calls to reprice" for tier in plan.per_tier if tier not in tiers)
    return WhatIf(plan.given, targets, rows, exact=exact, notes=missing)
