"""Bounded per-second cost/token series for charts and burn rate.

A ring buffer of ``window`` one-second buckets keyed by event time: memory is fixed however long a
session runs, and copying it for a snapshot is a memcpy. Events older than the window fold into a
baseline so cumulative lines still start at the right height. Values are floats because the series
is for display (charts, $/hour); the exact money lives in the tracker's integer accumulators.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

from .money import UNITS_PER_USD


class RingSeries:
    """Not thread-safe on its own: the tracker calls it under its lock."""

    __slots__ = ("window", "head", "cost", "tokens", "base_cost", "base_tokens", "changes")

    def __init__(self, window: int) -> None:
        self.window = window
        self.head: int | None = None  # newest second seen
        self.cost = array("d", bytes(8 * window))
        self.tokens = array("d", bytes(8 * window))
        self.base_cost = 0.0  # folded from buckets that left the window
        self.base_tokens = 0.0
        self.changes = 0  # lets a snapshot reuse its last copy while nothing changed

    def add(self, second: int, cost_units: float, tokens: float) -> None:
        self.changes += 1
        head = self.head
        if head is None:
            self.head = head = second
        elif second > head:
            self._advance(head, second)
            self.head = head = second
        if second <= head - self.window:  # older than the window
            self.base_cost += cost_units
            self.base_tokens += tokens
            return
        slot = second % self.window
        self.cost[slot] += cost_units
        self.tokens[slot] += tokens

    def _advance(self, head: int, new_head: int) -> None:
        """Fold and clear the buckets that the move from ``head`` to ``new_head`` pushes out."""
        w = self.window
        cost, tokens = self.cost, self.tokens
        for sec in range(head - w + 1, min(head, new_head - w) + 1):
            slot = sec % w
            self.base_cost += cost[slot]
            self.base_tokens += tokens[slot]
            cost[slot] = 0.0
            tokens[slot] = 0.0

    def view(self) -> SeriesView:
        return SeriesView(self.window, self.head, self.cost[:], self.tokens[:], self.base_cost, self.base_tokens)


Pending = tuple[int, float, float]  # (second, cost units, tokens) not yet added to the ring


@dataclass(frozen=True, slots=True)
class SeriesView:
    """An immutable copy of one ring, with what charts and rates need."""

    window: int
    head: int | None
    cost: array
    tokens: array
    base_cost: float
    base_tokens: float
    pending: Pending | None = None  # the current second, still accumulating in the tracker

    def with_pending(self, pending: Pending | None) -> SeriesView:
        return self if pending is None else SeriesView(
            self.window, self.head, self.cost, self.tokens, self.base_cost, self.base_tokens, pending
        )

    @property
    def newest(self) -> int | None:
        if self.pending is None:
            return self.head
        return self.pending[0] if self.head is None else max(self.head, self.pending[0])

    def points(self) -> list[tuple[int, float, float]]:
        """(second, cost USD, tokens) for each non-empty bucket, oldest first."""
        return [(sec, c / UNITS_PER_USD, t) for sec, c, t in self.raw_points()]

    def raw_points(self) -> list[tuple[int, float, float]]:
        """(second, cost units, tokens) for each non-empty bucket, oldest first."""
        w, cost, tokens = self.window, self.cost, self.tokens
        buckets: dict[int, list[float]] = {}
        if self.head is not None:
            for sec in range(self.head - w + 1, self.head + 1):
                c, t = cost[sec % w], tokens[sec % w]
                if c or t:
                    buckets[sec] = [c, t]
        if self.pending is not None:
            sec, c, t = self.pending
            b = buckets.setdefault(sec, [0.0, 0.0])
            b[0] += c
            b[1] += t
        return [(sec, b[0], b[1]) for sec, b in sorted(buckets.items())]

    def cumulative_usd(self) -> tuple[list[float], list[float]]:
        """x (epoch seconds) and y (cumulative USD) of the non-empty buckets, baseline included."""
        xs: list[float] = []
        ys: list[float] = []
        running = self.base_cost / UNITS_PER_USD
        for sec, c, _ in self.points():
            running += c
            xs.append(float(sec))
            ys.append(running)
        return xs, ys

    def cost_usd_between(self, first: int, last: int) -> float:
        """Cost of the buckets of seconds ``first``..``last`` inclusive; only the window is known."""
        total = 0.0
        if self.head is not None:
            w = self.window
            lo = max(first, self.head - w + 1)
            hi = min(last, self.head)
            total = sum(self.cost[s % w] for s in range(lo, hi + 1))
        if self.pending is not None and first <= self.pending[0] <= last:
            total += self.pending[1]
        return total / UNITS_PER_USD


def merge_views(views: list[SeriesView]) -> SeriesView | None:
    """One view summing several (the total line); None when there are none."""
    if not views:
        return None
    window = views[0].window
    newest = [n for v in views if (n := v.newest) is not None]
    if not newest:
        return views[0]
    ring = RingSeries(window)
    for v in views:
        ring.base_cost += v.base_cost
        ring.base_tokens += v.base_tokens
    ring.add(max(newest), 0, 0)
    for v in views:
        for sec, c, t in v.raw_points():
            ring.add(sec, c, t)
    return ring.view()
