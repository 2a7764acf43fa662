"""Budget guards: a limit on what a session, a tier, a day or a month may spend, with callbacks
at fractions of it (see :meth:`CostTracker.guard`).

Keeping record() fast: a tracker with no guard pays one ``is not None`` test. With guards, a call
adds its cost to its own thread's figure (``Shard.guard_units``: one writer, so no lock) and
compares it with that thread's share of the least room any guard has left before its next
threshold (``Shard.guard_limit``) — one addition and one comparison however many guards there
are. While no thread has used up its share, no threshold can have been crossed. A thread that
does settles under the book's lock: session and tier guards read their exact spend from the
tracker's own cells (the snapshot's integers, so a guard never disagrees with the panel), day and
month guards add what the threads counted; then the room left is shared out again. A settle
first sets every share to zero, so a thread that records meanwhile waits for the new shares
instead of spending old ones: a crossing is found at the call that made it, or (threads racing a
settle) within a call or two per thread. Crossings are queued as they are found and delivered
after the lock is released, one callback at a time per tracker.

Costs: near a threshold shares shrink and settles (a merge of the session's cells) come often; a
tier guard close to its next threshold counts every tier's calls against its room, so a busy
tier can make an idle tier's guard settle often until another threshold or the limit is reached.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, NamedTuple

from .labels import check_label
from .money import format_usd, format_usd_exact, units_to_usd, usd_to_units

if TYPE_CHECKING:
    from .events import Event
    from .shards import Shard
    from .tracker import CostTracker

SESSION, DAY, MONTH, TIER_PREFIX = "session", "day", "month", "tier:"
DEFAULT_THRESHOLDS = (Decimal("0.5"), Decimal("0.8"), Decimal(1))
MAX_LIMIT = Decimal(10**9)  # USD, as a budget (budgets.MAX_BUDGET): a typo, not a plan, beyond it
_FAR = 1 << 200  # "no threshold left": larger than any spend in units
_SCOPES = "'session', 'tier:<name>', 'day' or 'month'"


class BudgetExceeded(Exception):
    """Raised by :meth:`Guard.check` once the guard's spend has reached its limit."""

    def __init__(self, guard: Guard, spent: Decimal) -> None:
        self.guard, self.scope, self.limit, self.spent = guard, guard.scope, guard.limit, spent
        state = "reached" if spent == guard.limit else "exceeded"  # (the limit itself stops too: spent >= limit)
        super().__init__(f"budget guard {guard.scope!r} {state}: spent {format_usd_exact(spent)} "
                         f"of {format_usd_exact(guard.limit)}")


class Crossing(NamedTuple):
    """What ``on_cross`` receives: one threshold crossed."""

    threshold: Decimal  # the fraction of the limit crossed (0.8 for 80 %)
    scope: str  # "session", "tier:<name>", "day" or "month"
    limit: Decimal  # USD
    spent: Decimal  # USD, exact, when the crossing was found (may be past the threshold)
    event: Event | None  # the call whose counting found it; None when it fired at creation or a new day
    guard: Guard


class GuardState(NamedTuple):
    """A guard as the panel shows it (plain values, exact money)."""

    scope: str
    limit: Decimal
    spent: Decimal
    remaining: Decimal  # never negative
    crossed: tuple[Decimal, ...]  # thresholds fired in this session / day / month, ascending
    exceeded: bool
    period: str | None  # "2026-03-10" (day), "2026-03" (month); None for session and tier guards


# -- validation (all of it before anything changes) ------------------------------------------------------
def parse_limit(value: object) -> Decimal:
    """``limit_usd``: a Decimal, an int or a str of dollars (``"5"``, ``"$5.50"``, ``"1,000"``) above
    $0, at most $1e9, at most 12 decimals. A float (or bool) is refused: it is not an exact amount."""
    if isinstance(value, bool) or isinstance(value, float) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"limit_usd must be a Decimal, an int or a str of dollars (a float is not an exact amount), "
                        f"got {type(value).__name__} {value!r}")
    if isinstance(value, str):
        from .digits import DECIMAL_NUMBER

        body = value.strip().removeprefix("$").strip()
        if not DECIMAL_NUMBER.fullmatch(body):
            raise ValueError(f"limit_usd must be an amount of dollars such as '5', '5.50' or '$1,000', got {value!r}")
        amount = Decimal(body.replace(",", "").replace("_", ""))
    else:
        amount = Decimal(value)
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"limit_usd must be a positive amount of USD, got {value!r}")
    if amount > MAX_LIMIT:
        raise ValueError(f"limit_usd is implausibly large (at most {format_usd(MAX_LIMIT)}), got {value!r}")
    try:
        usd_to_units(amount)
    except ValueError:
        raise ValueError(f"limit_usd has more than 12 decimals (costpanel counts 1e-12 USD), got {value!r}") from None
    return amount


def parse_thresholds(at: object) -> tuple[Decimal, ...]:
    """``at``: fractions of the limit, strictly ascending, each > 0 (above 1 allowed: 1.5 is 150 %).
    Decimal, int and str are taken as written; a float by its shortest repr (0.8 -> Decimal('0.8'))."""
    if isinstance(at, (str, bytes)) or not isinstance(at, Iterable):
        raise TypeError(f"at must be a sequence of fractions such as (0.5, 0.8, 1.0), got {type(at).__name__} {at!r}")
    out: list[Decimal] = []
    for item in at:
        if isinstance(item, bool) or not isinstance(item, (Decimal, int, float, str)):
            raise TypeError(f"at must hold numbers (Decimal, int, float or str), got {type(item).__name__} {item!r}")
        try:
            fraction = Decimal(str(item).strip()) if not isinstance(item, Decimal) else item
        except InvalidOperation:
            raise ValueError(f"at holds {item!r}, which is not a number") from None
        if not fraction.is_finite() or fraction <= 0:
            raise ValueError(f"at must hold fractions > 0 (0.8 for 80 %), got {item!r}")
        if out and fraction <= out[-1]:
            raise ValueError(f"at must be strictly ascending, got {item!r} after {out[-1]} in {at!r}")
        out.append(fraction)
    if not out:
        raise ValueError(f"at must hold at least one threshold, got {at!r}")
    return tuple(out)


def parse_scope(scope: object) -> tuple[str, str | None]:
    """(kind, tier): ``session``, ``day``, ``month`` or ``tier:<name>`` (a valid tier label)."""
    if type(scope) is not str:
        raise TypeError(f"scope must be a str ({_SCOPES}), got {type(scope).__name__} {scope!r}")
    if scope in (SESSION, DAY, MONTH):
        return scope, None
    if scope.startswith(TIER_PREFIX):
        tier = scope[len(TIER_PREFIX):]
        check_label("scope's tier", tier)
        return TIER_PREFIX, tier
    raise ValueError(f"scope must be {_SCOPES}, got {scope!r}")


def period_of(kind: str, now: float) -> tuple[float, float, str]:
    """[start, end) of the local day or month holding ``now``, and its label: the ledger's own
    local midnights (``TZ`` and DST respected), as its daily and monthly budgets use."""
    import datetime as dt

    from .ledger.queries import local_day, local_midnight

    day = local_day(now)
    if kind == DAY:
        return local_midnight(day), local_midnight(day + dt.timedelta(days=1)), day.isoformat()
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return local_midnight(first), local_midnight(following), first.strftime("%Y-%m")


def ledger_spend(tracker: CostTracker, start: float, end: float) -> int:
    """Committed, priced spend stored in the tracker's ledger over [start, end), in units (the
    15-minute roll-ups, as the ledger's reports and budgets read them)."""
    from .ledger.schema import BUCKET_SECONDS

    lo = int(start // BUCKET_SECONDS * BUCKET_SECONDS)
    hi = int(-(-end // BUCKET_SECONDS) * BUCKET_SECONDS)
    row = tracker.ledger.read(  # type: ignore[union-attr]
        "SELECT COALESCE(SUM(cost_units), 0) FROM rollup WHERE bucket >= ? AND bucket < ? AND status = 'committed'",
        (lo, hi))
    return int(row[0][0])


# -- guards ---------------------------------------------------------------------------------------------
class Guard:
    """One limit with its thresholds; made by :meth:`CostTracker.guard`. Fields other than the
    read-only ones change under the book's lock."""

    def __init__(self, book: GuardBook, kind: str, tier: str | None, limit: Decimal, thresholds: tuple[Decimal, ...],
                 on_cross: Callable[[Crossing], object] | None) -> None:
        self._book = book
        self.kind, self.tier = kind, tier
        self.scope = f"{TIER_PREFIX}{tier}" if tier is not None else kind
        self.limit = limit
        self.thresholds = thresholds
        self.on_cross = on_cross
        self._limit_units = usd_to_units(limit)
        # spend >= limit * t  <=>  spend >= ceil(limit * t): integers, compared exactly
        from fractions import Fraction  # here, not at import: `import costpanel` stays light

        self._marks = tuple(math.ceil(Fraction(self._limit_units) * Fraction(t)) for t in thresholds)
        self._next = 0  # index of the next threshold to fire
        self._units = 0  # period guards: their spend; session/tier guards: as of the last settle
        self._start, self._end, self.period = -math.inf, math.inf, None  # period guards' day or month
        self.armed = False  # the baseline is known: crossings may fire
        self.closed = False

    @property
    def periodic(self) -> bool:
        return self.kind == DAY or self.kind == MONTH

    def _room(self) -> int:
        """Units still to spend before the next threshold (_FAR when all have fired)."""
        return self._marks[self._next] - self._units if self._next < len(self._marks) else _FAR

    def _crossings(self, event: Event | None) -> list[Crossing]:
        out = []
        marks = self._marks
        while self._next < len(marks) and self._units >= marks[self._next]:
            out.append(Crossing(self.thresholds[self._next], self.scope, self.limit, units_to_usd(self._units),
                                event, self))
            self._next += 1
        return out

    # -- reading (any thread) ---------------------------------------------------------------------------
    def spent(self) -> Decimal:
        """Exact spend in this guard's scope (priced, committed calls only)."""
        return units_to_usd(self._book.spent_units(self))

    def remaining(self) -> Decimal:
        """What may still be spent before the limit; ``Decimal(0)`` once it is reached or passed,
        never negative (:meth:`spent` says by how much it is passed)."""
        return max(Decimal(0), self.limit - self.spent())

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` once the spend has reached the limit (spent >= limit)."""
        spent = self.spent()
        if spent >= self.limit:
            raise BudgetExceeded(self, spent)

    def state(self) -> GuardState:
        spent = self.spent()
        with self._book.lock:
            crossed = self.thresholds[:self._next]
        return GuardState(self.scope, self.limit, spent, max(Decimal(0), self.limit - spent), crossed,
                          spent >= self.limit, self.period)

    def close(self) -> None:
        """Detach from the tracker: no more callbacks (also for crossings not yet delivered). Idempotent."""
        self._book.remove(self)

    def __repr__(self) -> str:
        return f"<Guard {self.scope} limit {format_usd_exact(self.limit)}{' closed' if self.closed else ''}>"


class GuardBook:
    """A tracker's guards and the figures record() updates (see the module's docstring)."""

    def __init__(self, tracker: CostTracker) -> None:
        self.tracker = tracker
        self.lock = threading.Lock()
        self.guards: tuple[Guard, ...] = ()
        self.trigger = _FAR  # least room any guard has left before its next threshold
        # The day/month guards' period; calls dated outside it (at=, or after midnight) settle at once.
        self.window = (-math.inf, math.inf)
        # record()'s gate: the window, or nothing (hi = -inf) while some tier is idle (see _retrigger)
        self.lo, self.hi = self.window
        self.idle: frozenset[str] = frozenset()  # guarded tiers whose calls settle at once
        self._tier_now: dict[str, int] = {}  # the session's spend by tier at the last settle...
        self._tier_before: dict[str, int] = {}  # ... and at the one before
        self.seen: dict[Shard, int] = {}  # shard -> its guard_units as of the last settle
        self._queue: deque[Crossing] = deque()
        self._firing = False
        self.dropped = False  # the tracker let go of it (its last guard closed): a new guard takes a new book
        for shard in tracker._state.shards:  # units counted for an earlier book are not this one's
            self.seen[shard] = shard.guard_units
            shard.guard_limit = shard.guard_units

    # -- counting (recording threads) -----------------------------------------------------------------------
    def settle_shard(self, event: Event) -> None:
        """record()'s thread has used its share of the room left: settle exactly, fire what crossed."""
        with self.lock:
            crossings = self._settle(event)
        if crossings:
            self.deliver()

    def count(self, cost: int, tier: str, ts: float, event: Event, shard: Shard | None = None) -> None:
        """A counted, priced call record() could not take on its fast path (dated outside the
        day/month guards' period, or recorded while some tier is idle), or an attempt's (no
        ``shard``): on the thread's share when it can be, else settled at once."""
        lo, hi = self.window
        if shard is not None and lo <= ts < hi and tier not in self.idle:
            units = shard.guard_units = shard.guard_units + cost
            if units >= shard.guard_limit:
                self.settle_shard(event)
            return
        with self.lock:
            crossings = self._settle(event, ((cost, ts),))
        if crossings:
            self.deliver()

    def count_events(self, events: Iterable[Event]) -> None:
        """Calls committed off the fast path (attempts, calls priced after a lookup)."""
        for event in events:
            if event.cost_units is not None:
                self.count(event.cost_units, event.tier, event.ts, event)

    def replaced(self, old_cost: int | None, old_ts: float, event: Event) -> None:
        """A call that took an earlier one's place (a streaming partial, then its final line): the
        earlier cost comes out of the day/month spend, the new one goes in; then an exact settle."""
        with self.lock:
            crossings = self._settle(event, ((-(old_cost or 0), old_ts), (event.cost_units or 0, event.ts)))
        if crossings:
            self.deliver()

    def rearm_session(self) -> None:
        """After reset(): session and tier guards start over at $0 with every threshold armed."""
        with self.lock:
            crossings = self._settle(None)  # day/month guards take what is pending first
            for g in self.guards:
                if not g.periodic:
                    g._next, g._units = 0, 0
            self._retrigger()
        if crossings:
            self.deliver()

    # -- settling (caller holds the lock) -------------------------------------------------------------------
    def _settle(self, event: Event | None, extra: Iterable[tuple[int, float]] = (),
                now: float | None = None) -> list[Crossing]:
        """Exact spend of every guard, the crossings it reveals (not yet fired), fresh shares of room."""
        pending = self._collect()  # the threads' calls since the last settle, all in [lo, hi)
        cells = None
        crossings: list[Crossing] = []
        for g in self.guards:
            if g.periodic:
                g._units += pending  # fast-path calls lie in [lo, hi), inside every period guard's own
                if extra:
                    if g.armed:  # crossed in the period that is ending, before it ends
                        crossings += g._crossings(event)
                    now = time.time() if now is None else now
                    if now >= g._end:
                        crossings += self._roll(g, now)
                    for cost, ts in extra:
                        if g._start <= ts < g._end:
                            g._units += cost
            else:
                if cells is None:
                    cells = self._session_sums()
                    self._tier_before, self._tier_now = self._tier_now, cells[1]
                g._units = cells[0] if g.tier is None else cells[1].get(g.tier, 0)
            if g.armed:
                crossings += g._crossings(event)
        self._retrigger()
        self._queue.extend(crossings)  # queued as found, under the lock: delivered in this order
        return crossings

    def _session_sums(self) -> tuple[int, dict[str, int]]:
        """The current session's priced cost, in total and by tier (the snapshot's own sums)."""
        total, by_tier = 0, {}
        for (tier, _), cell in self.tracker._state.cells().items():
            cost = cell[-2]
            total += cost
            by_tier[tier] = by_tier.get(tier, 0) + cost
        return total, by_tier

    def _roll(self, g: Guard, now: float) -> list[Crossing]:
        """A period guard after midnight: the new day's (month's) spend, every threshold armed again."""
        g._start, g._end, g.period = period_of(g.kind, now)
        g._next = 0
        g._units = self._baseline(g)
        return g._crossings(None) if g.armed else []

    def _baseline(self, g: Guard) -> int:
        """What was spent in the guard's period before it counts calls itself: the ledger's sum, or
        without a ledger the current session's when it began in the period."""
        tracker = self.tracker
        if tracker.ledger is not None:
            return ledger_spend(tracker, g._start, g._end)
        if tracker._state.started_wall >= g._start:
            return self._session_sums()[0]
        return 0

    def _collect(self) -> int:
        """Units the recording threads counted since the last settle. Shards of ended threads and
        of earlier sessions are read one last time and forgotten."""
        state = self.tracker._state
        seen = self.seen
        total = 0
        for shard in state.shards:
            shard.guard_limit = 0  # until the new shares: a thread's next call waits for this settle
            units = shard.guard_units
            total += units - seen.get(shard, 0)
            seen[shard] = units
        if len(seen) > len(state.shards):
            current = set(state.shards)
            for shard in [sh for sh in seen if sh not in current]:
                total += shard.guard_units - seen.pop(shard)
        return total

    def _retrigger(self) -> None:
        """The least room left before any guard's next threshold, shared out between the session's
        recording threads: while none has used its share, no threshold can have been crossed.

        A tier guard counts every tier's calls against its room, so a guard of a tier nobody calls
        any more, a little below a threshold, would make every few calls settle. Such a tier (no
        call since the settle before, and the least room of all) is left out of the shares;
        instead each of its calls settles at once, and record() takes the short detour through
        :meth:`count` while there is one."""
        others, lo, hi = _FAR, -math.inf, math.inf
        tier_rooms: dict[str, int] = {}
        for g in self.guards:
            if g.periodic:
                lo, hi = max(lo, g._start), min(hi, g._end)
            if g.tier is None:
                others = min(others, g._room())
            else:
                tier_rooms[g.tier] = min(tier_rooms.get(g.tier, _FAR), g._room())
        before, now_ = self._tier_before, self._tier_now
        idle = frozenset(t for t, room in tier_rooms.items()
                         if room < others and t in before and before[t] == now_.get(t, 0))
        trigger = min([others, *(room for t, room in tier_rooms.items() if t not in idle)])
        self.trigger, self.window, self.idle = trigger, (lo, hi), idle
        self.lo, self.hi = lo, (-math.inf if idle else hi)
        seen = self.seen
        now = [(sh, sh.guard_units) for sh in self.tracker._state.shards if sh.thread is not None]
        if trigger < _FAR:
            # Calls counted since _collect() ran (a settle is preempted too) were made under the old
            # shares: charge them now, so the new shares start from what the threads hold today.
            trigger -= sum(units - seen.get(sh, 0) for sh, units in now)
            share = max(0, trigger) // max(1, len(now))
        else:
            share = _FAR
        for shard, units in now:
            shard.guard_limit = units + share

    # -- adding, removing, reading ------------------------------------------------------------------------
    def add(self, guard: Guard) -> bool:
        """Attach ``guard``: session/tier guards at the session's spend so far, period guards at
        the ledger's plus every call counted from now on. Thresholds already passed fire now, on
        this thread. False (nothing done) when the tracker let go of this book meanwhile.

        A period guard is attached before the ledger is flushed and read, so a call another thread
        records meanwhile is never missed; it may be counted twice (stored, and counted by the guard)."""
        if guard.periodic:
            guard._start, guard._end, guard.period = period_of(guard.kind, time.time())
        with self.lock:
            if self.dropped:
                return False
            early = self._settle(None)  # what is pending belongs to the guards there before this one
            self.guards = (*self.guards, guard)
            self._retrigger()
        if early:
            self.deliver()
        if guard.periodic:  # outside the lock: the ledger is flushed and read, calls go on meanwhile
            tracker = self.tracker
            if tracker.ledger is not None:
                tracker.ledger.flush()
            baseline = self._baseline(guard)
        with self.lock:
            crossings = self._settle(None)  # (a period guard counted the calls made meanwhile)
            if guard.periodic:
                guard._units += baseline
            guard.armed = True
            found = guard._crossings(None)
            self._queue.extend(found)
            crossings += found
            self._retrigger()
        if crossings:
            self.deliver()
        return True

    def remove(self, guard: Guard) -> None:
        with self.lock:
            if guard.closed:
                return
            crossings = self._settle(None)
            guard.closed = True
            self.guards = tuple(g for g in self.guards if g is not guard)
            self._retrigger()
            empty = not self.guards
        if crossings:
            self.deliver()
        if empty:
            self.tracker._drop_guards(self)

    def spent_units(self, guard: Guard) -> int:
        """Exact spend now; a day/month guard past its period moves to the new one first."""
        crossings: list[Crossing] = []
        with self.lock:
            if guard.periodic:
                now = time.time()
                if now >= guard._end and not guard.closed:
                    crossings = self._settle(None, (), now)
                    for g in self.guards:
                        if g.periodic and now >= g._end:
                            found = self._roll(g, now)
                            self._queue.extend(found)
                            crossings += found
                    self._retrigger()
                # a closed guard keeps the spend it had (the book no longer settles for it)
                spent = guard._units if guard.closed else guard._units + self._collect_peek()
            else:
                sums = self._session_sums()
                spent = sums[0] if guard.tier is None else sums[1].get(guard.tier, 0)
        if crossings:
            self.deliver()
        return spent

    def _collect_peek(self) -> int:
        """What :meth:`_collect` would return, changing nothing (a read must not fire callbacks)."""
        seen = self.seen
        shards = self.tracker._state.shards
        total = sum(sh.guard_units - seen.get(sh, 0) for sh in shards)
        if len(seen) > len(shards):
            current = set(shards)
            total += sum(sh.guard_units - units for sh, units in seen.items() if sh not in current)
        return total

    # -- callbacks ------------------------------------------------------------------------------------------
    def deliver(self) -> None:
        """Run the queued callbacks outside every lock, one at a time, in the order the crossings
        were found: a thread that finds another delivering leaves its crossings to it, and so does
        a callback that records again."""
        with self.lock:
            if self._firing:
                return
            self._firing = True
        try:
            while True:
                with self.lock:
                    if not self._queue:
                        self._firing = False
                        return
                    crossing = self._queue.popleft()
                callback = crossing.guard.on_cross
                if callback is None or crossing.guard.closed:
                    continue
                try:
                    callback(crossing)
                except Exception:  # a broken callback must not break the agent's record()
                    import logging

                    logging.getLogger(__name__).exception(
                        "costpanel: guard %r: on_cross %r raised at %s%% (%s of %s); the call still counts and "
                        "nothing was stopped: raise BudgetExceeded from guard.check() in your own loop to stop",
                        crossing.scope, callback, crossing.threshold * 100, format_usd_exact(crossing.spent),
                        format_usd_exact(crossing.limit))
        except BaseException:
            with self.lock:
                self._firing = False
            raise
