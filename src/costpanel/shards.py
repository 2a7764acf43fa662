"""Per-session state of a tracker, sharded by recording thread.

Each thread that records owns a *shard*: a dict of immutable per-(tier, model) cell tuples that
only that thread writes. Recording therefore takes no lock — a shared lock made four producer
threads convoy on it (88k events/s, p99 215 µs) — and the GIL makes each cell replacement and
each ``dict(shard.cells)`` copy atomic. A snapshot merges the shards' copies; every row and the
total are sums of those same integers, so they agree exactly under any interleaving.

Rare, shared changes (series placement, attempts, event-id de-duplication, new models) happen
under the tracker's lock.
"""

from __future__ import annotations

import operator
import os
import threading
import time
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from .series import RingSeries, SeriesView
from .snapshot import ZERO_CELL, Cell, ModelMeta, TierModel, tier_sums

_MAX_SHARDS = 64  # past this, shards of threads that have ended are folded into one


# What the tracker keeps of a call with an event id: enough to take it back out of the totals.
Counted = tuple  # ((tier, model key), Usage, cost units | None, ts) or HELD
HELD: Counted = ()  # counted as pending: a later call under the id is a duplicate until it commits


def new_session_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ-", time.gmtime()) + os.urandom(4).hex()


class Shard:
    """Cells written by one thread only."""

    __slots__ = ("session", "cells", "writes", "thread", "guard_units", "guard_limit", "variants_said")

    def __init__(self, session: SessionState, thread: threading.Thread | None) -> None:
        self.session = session
        self.cells: dict[TierModel, Cell] = {}
        self.writes = 0  # this shard's contribution to the tracker's version
        self.thread = thread
        # Budget guards (guards.py): this thread's priced cost counted for them, and the figure at
        # which record() asks the guards to settle (0: at its first call, so they learn the shard).
        self.guard_units = 0
        self.guard_limit = 0
        self.variants_said: set[tuple[TierModel, str]] = set()  # (pair, variant) put in the session's ``variants``


def merge_cells(parts: list[dict[TierModel, Cell]]) -> dict[TierModel, Cell]:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return parts[0] if parts else {}
    merged: dict[TierModel, Cell] = {}
    add = operator.add
    for part in parts:
        for key, c in part.items():
            acc = merged.get(key)
            merged[key] = c if acc is None else tuple(map(add, acc, c))
    return merged


def drop_empty(cells: dict[TierModel, Cell]) -> dict[TierModel, Cell]:
    """Without the cells a replacement emptied (a partial taken back from a (tier, model) its final
    line did not land in): a row of nothing is not a row."""
    if ZERO_CELL not in cells.values():
        return cells
    return {k: c for k, c in cells.items() if c != ZERO_CELL}


class SessionState:
    """Everything a reset throws away. Fields other than ``shards`` change under the tracker lock."""

    def __init__(self, session_id: str | None, series_seconds: int, version_base: int) -> None:
        self.id = session_id or new_session_id()
        self.started_wall = time.time()
        self.started_mono = time.monotonic()
        self.version_base = version_base
        self.shards: list[Shard] = []
        self.retired = Shard(self, None)  # folded shards of threads that have ended
        self.shards.append(self.retired)
        self.locked_changes = 0  # version bumps made under the lock (attempts, placements)
        self.discarded: dict[TierModel, Cell] = {}
        # Copy-on-write so a snapshot can keep a reference instead of copying it.
        self.models: Mapping[str, ModelMeta] = MappingProxyType({})
        # event id -> the call counted under it, (tier/model pair, usage, cost, ts), which a call with
        # more tokens replaces; HELD while it is pending (an open attempt, a genai-prices lookup).
        self.seen_ids: dict[str, Counted] = {}
        self.pending_calls = 0
        self.approximate_calls = 0
        self.first_ts: float | None = None  # the session's earliest call (rates are measured from it)
        self.unpriced_variants: dict[str, set[str]] = {}  # model -> variants it has no price for (called so)
        self.variants: dict[TierModel, set[str]] = {}  # (tier, model key) -> variants its calls were billed under
        self.pending_units = 0
        # Series: calls timed "now" are placed lazily. A tier's cost since the last roll is the
        # difference between its cells and what the rings already hold (``placed``), and it all
        # belongs to second ``roll_sec``: the hot path only compares its timestamp with a range.
        self.series_seconds = series_seconds
        self.rings: dict[str, RingSeries] = {}
        self.total_ring = RingSeries(series_seconds)  # kept alongside: merging rings per frame is slow
        self.views: dict[str, tuple[int, SeriesView]] = {}
        self.placed: dict[str, tuple[int, int]] = {}
        self.roll_sec: int | None = None
        self.roll_from = float("inf")
        self.roll_at = float("-inf")

    # -- reading (any thread) -----------------------------------------------------------------------
    def version(self) -> int:
        return self.version_base + self.locked_changes + sum(sh.writes for sh in self.shards)

    def cells(self) -> dict[TierModel, Cell]:
        """A consistent merged copy: each shard's copy is atomic under the GIL."""
        return merge_cells([dict(sh.cells) for sh in list(self.shards)])

    # -- changes (caller holds the tracker lock) -----------------------------------------------------
    def new_shard(self, thread: threading.Thread) -> Shard:
        if len(self.shards) >= _MAX_SHARDS:
            self._fold_ended()
        shard = Shard(self, thread)
        self.shards.append(shard)
        return shard

    def _fold_ended(self) -> None:
        keep = [self.retired]
        for sh in self.shards:
            if sh is self.retired:
                continue
            if sh.thread is not None and sh.thread.is_alive():
                keep.append(sh)
                continue
            self.retired.cells = merge_cells([self.retired.cells, sh.cells])
            self.retired.writes += sh.writes
        self.shards = keep

    def add_model(self, key: str, meta: ModelMeta) -> None:
        if key not in self.models:
            models = dict(self.models)
            models[key] = meta
            self.models = MappingProxyType(models)

    def ring(self, tier: str) -> RingSeries:
        ring = self.rings.get(tier)
        if ring is None:
            ring = self.rings[tier] = RingSeries(self.series_seconds)
        return ring

    def place(self, tier: str, ts: float, cost: int, tokens: int) -> None:
        """Put a call with its own time (``at=``, a committed attempt) straight into the series."""
        if self.first_ts is None or ts < self.first_ts:
            self.first_ts = ts
        self.ring(tier).add(int(ts), cost, tokens)
        self.total_ring.add(int(ts), cost, tokens)
        placed_cost, placed_tokens = self.placed.get(tier, (0, 0))
        self.placed[tier] = (placed_cost + cost, placed_tokens + tokens)

    def roll(self, ts: float) -> None:
        """Place every tier's unplaced cost at ``roll_sec``; start accumulating for ``ts``'s second."""
        if self.roll_from <= ts < self.roll_at:
            return  # another thread rolled first
        if self.first_ts is None or ts < self.first_ts:  # (once a second: the hot path never looks)
            self.first_ts = ts
        if self.roll_sec is not None:
            placed = self.placed
            for tier, (cost, tokens) in tier_sums(self.cells()).items():
                placed_cost, placed_tokens = placed.get(tier, (0, 0))
                if cost != placed_cost or tokens != placed_tokens:
                    self.ring(tier).add(self.roll_sec, cost - placed_cost, tokens - placed_tokens)
                    self.total_ring.add(self.roll_sec, cost - placed_cost, tokens - placed_tokens)
                    placed[tier] = (cost, tokens)
        sec = int(ts // 1)
        self.roll_sec, self.roll_from, self.roll_at = sec, float(sec), float(sec + 1)

    def restore_series(self, recent: Iterable[tuple[float, str, int, int]]) -> None:
        """Totals restored from the ledger predate this process. ``recent`` calls (ts, tier, cost,
        tokens) go back to their own seconds, so a burn rate over the last minutes goes on across
        a restart; the rest starts each line's height (the rings' baseline)."""
        sums = tier_sums(self.cells())
        back: dict[str, tuple[int, int]] = {}
        for ts, tier, cost, tokens in sorted(recent):
            self.ring(tier).add(int(ts), cost, tokens)
            self.total_ring.add(int(ts), cost, tokens)
            c, t = back.get(tier, (0, 0))
            back[tier] = (c + cost, t + tokens)
        for tier, (cost, tokens) in sums.items():
            placed_cost, placed_tokens = back.get(tier, (0, 0))
            for ring in (self.ring(tier), self.total_ring):
                ring.base_cost += cost - placed_cost
                ring.base_tokens += tokens - placed_tokens
            self.placed[tier] = (cost, tokens)

    def series_views(self) -> tuple[dict[str, SeriesView], SeriesView]:
        """Copies of the tier rings and the total ring, each reused while it has not changed
        (a ring changes about once a second)."""
        out = {}
        for tier, ring in (*self.rings.items(), ("", self.total_ring)):
            cached = self.views.get(tier)
            if cached is None or cached[0] != ring.changes:
                cached = self.views[tier] = (ring.changes, ring.view())
            out[tier] = cached[1]
        return out, out.pop("")
