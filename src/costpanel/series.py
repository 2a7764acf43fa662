"""Bounded per-second cost/token series for charts and burn rate.

A ring buffer of ``window`` one-second buckets keyed by event time: memory is fixed however long a
session runs, and copying it for a snapshot is a memcpy. Events older than the window fold into a
baseline so cumulative lines still start at the right height. Values are floats because the series
is for display (charts, $/hour); the exact money lives in the tracker's integer accumulators.
"""

from __future__ import annotations

from array import array
from itertools import accumulate, compress, repeat
from operator import add, truediv, truth
from typing import NamedTuple

from .money import UNITS_PER_USD


class RingSeries:
    """Not thread-safe on its own: the tracker calls it under its lock."""

    __slots__ = ("window", "head", "cost", "tokens", "base_cost", "base_tokens", "changes", "window_cost", "window_tokens")

    def __init__(self, window: int) -> None:
        self.window = window
        self.head: int | None = None  # newest second seen
        self.cost = array("d", bytes(8 * window))
        self.tokens = array("d", bytes(8 * window))
        self.base_cost = 0.0  # folded from buckets that left the window
        self.base_tokens = 0.0
        self.changes = 0  # lets a snapshot reuse its last copy while nothing changed
        self.window_cost = 0.0  # what the window's buckets hold, so emptying it needs no sum
        self.window_tokens = 0.0

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
        self.window_cost += cost_units
        self.window_tokens += tokens

    def _advance(self, head: int, new_head: int) -> None:
        """Fold and clear the buckets that the move from ``head`` to ``new_head`` pushes out.
        Slices, not a loop per second: a log import can jump hours between calls."""
        w = self.window
        first, last = head - w + 1, min(head, new_head - w)  # seconds leaving the window
        if last < first:
            return
        if last - first + 1 >= w:  # all of it
            if self.window_cost or self.window_tokens:
                self.base_cost += self.window_cost
                self.base_tokens += self.window_tokens
                self.window_cost = self.window_tokens = 0.0
                self.cost = array("d", bytes(8 * w))
                self.tokens = array("d", bytes(8 * w))
            return
        a, b = first % w, last % w
        spans = [(a, b + 1)] if a <= b else [(a, w), (0, b + 1)]
        for lo, hi in spans:
            gone_cost, gone_tokens = sum(self.cost[lo:hi]), sum(self.tokens[lo:hi])
            self.base_cost += gone_cost
            self.base_tokens += gone_tokens
            self.window_cost -= gone_cost
            self.window_tokens -= gone_tokens
            zeros = array("d", bytes(8 * (hi - lo)))
            self.cost[lo:hi] = zeros
            self.tokens[lo:hi] = zeros

    def view(self) -> SeriesView:
        return SeriesView(self.window, self.head, self.cost[:], self.tokens[:], self.base_cost, self.base_tokens)


Pending = tuple[int, float, float]  # (second, cost units, tokens) not yet added to the ring


class SeriesView(NamedTuple):
    """An immutable copy of one ring, with what charts and rates need.

    The work is done on whole arrays (slices, ``map``, ``accumulate``) so a view of an hour of
    seconds costs tens of microseconds, not a Python loop per second.
    """

    window: int
    head: int | None
    cost: array
    tokens: array
    base_cost: float
    base_tokens: float
    pending: Pending | None = None  # the current second, still accumulating in the tracker

    def with_pending(self, pending: Pending | None) -> SeriesView:
        return self if pending is None else self._replace(pending=pending)

    @property
    def newest(self) -> int | None:
        if self.pending is None:
            return self.head
        return self.pending[0] if self.head is None else max(self.head, self.pending[0])

    def ordered(self) -> tuple[int, list[float], list[float], float, float]:
        """(first second, cost units per second, tokens per second, base cost, base tokens),
        oldest first over the window ending at :attr:`newest`, the pending second folded in."""
        newest = self.newest
        w = self.window
        if newest is None:
            return 0, [], [], self.base_cost, self.base_tokens
        first = newest - w + 1
        base_cost, base_tokens = self.base_cost, self.base_tokens
        if self.head is None:
            cost, tokens = [0.0] * w, [0.0] * w
        else:
            start = (self.head + 1) % w  # slot of the ring's oldest second
            cost = self.cost[start:].tolist() + self.cost[:start].tolist()
            tokens = self.tokens[start:].tolist() + self.tokens[:start].tolist()
            shift = newest - self.head  # seconds the pending call moved the window on
            if shift:
                k = min(shift, w)
                base_cost += sum(cost[:k])
                base_tokens += sum(tokens[:k])
                cost = cost[k:] + [0.0] * k
                tokens = tokens[k:] + [0.0] * k
        if self.pending is not None:
            sec, c, t = self.pending
            if sec >= first:
                cost[sec - first] += c
                tokens[sec - first] += t
            else:
                base_cost += c
                base_tokens += t
        return first, cost, tokens, base_cost, base_tokens

    def raw_points(self) -> list[tuple[int, float, float]]:
        """(second, cost units, tokens) for each non-empty second, oldest first."""
        first, cost, tokens, _, _ = self.ordered()
        return [(first + k, c, t) for k, (c, t) in enumerate(zip(cost, tokens)) if c or t]

    def points(self) -> list[tuple[int, float, float]]:
        """(second, cost USD, tokens) for each non-empty second, oldest first."""
        return [(sec, c / UNITS_PER_USD, t) for sec, c, t in self.raw_points()]

    def cumulative_usd(self, start: bool = False, since: int | None = None) -> tuple[list[float], list[float]]:
        """x (epoch seconds) and y (cumulative USD) at each non-empty second, baseline included.
        ``start``: a first point where the line begins, so that even one second draws a line: at
        zero the second before the first call, or, when calls have left the window, at their sum
        on the window's first second (the line does not rise from zero where nothing was spent).
        ``since``: seconds before it count as left (a tier's line cut where the total's window,
        which ends later, begins)."""
        first, cost, tokens, base_cost, _ = self.ordered()
        if since is not None and since > first:
            k = since - first
            base_cost += sum(cost[:k])
            first, cost, tokens = since, cost[k:], tokens[k:]
        # C-level passes over the window (an hour of seconds): the chart asks twice a second per line.
        busy = list(map(truth, map(add, cost, tokens)))  # both are >= 0: a second with any cost or tokens
        running = accumulate(cost, initial=base_cost)
        next(running)  # the baseline itself is not a point
        xs = list(map(float, compress(range(first, first + len(cost)), busy)))
        ys = list(map(truediv, compress(running, busy), repeat(UNITS_PER_USD)))
        if start and xs:
            folded = base_cost != 0 and xs[0] > first
            xs.insert(0, float(first) if folded else xs[0] - 1)
            ys.insert(0, base_cost / UNITS_PER_USD)
        elif start and base_cost:  # every call of it before ``since``: flat at their sum
            xs, ys = [float(first)], [base_cost / UNITS_PER_USD]
        return xs, ys

    def cost_usd_between(self, first: int, last: int) -> float:
        """Cost of seconds ``first``..``last`` inclusive; only the window is known.

        Sums ring slices directly (no reordering): the header asks for this every frame."""
        total = 0.0
        head, w = self.head, self.window
        if head is not None:
            lo, hi = max(first, head - w + 1), min(last, head)
            if hi >= lo:
                a, b = lo % w, hi % w
                cost = self.cost
                total = sum(cost[a : b + 1]) if a <= b else sum(cost[a:]) + sum(cost[: b + 1])
        if self.pending is not None:
            sec, c, _ = self.pending
            newest = self.newest
            assert newest is not None
            if first <= sec <= last and sec > newest - w:
                total += c
            if head is not None and newest > head:  # the pending second pushed old seconds out
                for gone in range(max(head - w + 1, first), min(newest - w, last, head) + 1):
                    total -= self.cost[gone % w]
        return total / UNITS_PER_USD


def merge_views(views: list[SeriesView]) -> SeriesView | None:
    """One view summing several (the total line); None when there are none."""
    if not views:
        return None
    w = views[0].window
    newest = [n for v in views if (n := v.newest) is not None]
    if not newest:
        return views[0]
    head = max(newest)
    cost, tokens = [0.0] * w, [0.0] * w
    base_cost = base_tokens = 0.0
    for v in views:
        first, c, t, bc, bt = v.ordered()
        base_cost += bc
        base_tokens += bt
        if not c:
            continue
        shift = min(head - (first + w - 1), w)  # how far this view's window lags the total's
        base_cost += sum(c[:shift])
        base_tokens += sum(t[:shift])
        cost[: w - shift] = map(add, cost[: w - shift], c[shift:])
        tokens[: w - shift] = map(add, tokens[: w - shift], t[shift:])
    # Laid out as a ring again so the merged view has the same shape as any other.
    start = (head + 1) % w
    ring_cost = array("d", cost[w - start :] + cost[: w - start])
    ring_tokens = array("d", tokens[w - start :] + tokens[: w - start])
    return SeriesView(w, head, ring_cost, ring_tokens, base_cost, base_tokens)
