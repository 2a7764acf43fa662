"""CostTracker: thread-safe, exact accumulation of priced model calls.

The hot path (``record``) validates, prices with integer rates, and under one short lock replaces
one immutable per-(tier, model) cell tuple and bumps a per-tier series bucket. Everything else
(per-tier and per-model rows, totals, shares) is derived from those cells by the snapshot.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

from .events import COMMITTED, DISCARDED, DUPLICATE, PENDING, Event
from .pricing import Catalog, load_catalog
from .pricing.catalog import ModelEntry
from .pricing.rates import rates_for
from .series import RingSeries, SeriesView
from .snapshot import ZERO_CELL, Cell, Snapshot, TierModel, tier_sums
from .usage import Usage

log = logging.getLogger(__name__)

DEFAULT_TIER = "default"
Subscriber = Callable[[Event], None]
_Resolved = tuple[str, "ModelEntry | None", "str | None", "str | None"]  # (row key, entry, id, provider)
_RESOLVE_CACHE_MAX = 4096
_now = time.time
_tuple_new = tuple.__new__  # builds an Event without its Python-level __new__


def _new_session_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + os.urandom(4).hex()


def _check_label(field: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if type(value) is not str:
        raise TypeError(f"{field} must be a str, got {type(value).__name__} {value!r}")
    if not value.strip():
        raise ValueError(f"{field} must be a non-empty string, got {value!r}")


def _timestamp(at: object) -> float:
    if not isinstance(at, dt.datetime):
        raise TypeError(f"at must be a timezone-aware datetime, got {type(at).__name__} {at!r}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"at must be timezone-aware, got naive datetime {at.isoformat()}")
    return at.timestamp()


def _coerce_usage(usage: object) -> Usage:
    if isinstance(usage, Usage):
        return usage
    if isinstance(usage, Mapping):
        unknown = set(usage) - {"input", "output", "cache_read", "cache_write", "cache_write_1h", "requests"}
        if unknown:
            raise TypeError(f"usage has unknown bucket(s) {sorted(unknown)}")
        return Usage(**usage)
    raise TypeError(f"usage must be a costpanel.Usage (or a mapping of buckets), got {type(usage).__name__} {usage!r}")


class CostTracker:
    """Per-session, per-tier and per-model cost of model calls, exact to 1e-12 USD.

    ``record()`` may be called from any thread; ``snapshot()`` returns an immutable view whose
    cost does not depend on how many events were recorded.
    """

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        session: str | None = None,
        series_seconds: int = 3600,
    ) -> None:
        if session is not None:
            _check_label("session", session)
        if type(series_seconds) is not int or series_seconds < 1:
            raise ValueError(f"series_seconds must be a positive int, got {series_seconds!r}")
        self.catalog = catalog if catalog is not None else load_catalog()
        self._lock = threading.Lock()
        self._resolved: dict[str, _Resolved] = {}
        self._tiers_seen: set[str] = set()
        self._subscribers: tuple[Subscriber, ...] = ()
        self._series_seconds = series_seconds
        self._version = 0
        self._start_session(session)

    # -- session state (caller holds the lock, or is __init__) --------------------------------------
    def _start_session(self, session: str | None) -> None:
        self._session = session or _new_session_id()
        self._started_wall = time.time()
        self._started_mono = time.monotonic()
        self._cells: dict[TierModel, Cell] = {}
        self._discarded: dict[TierModel, Cell] = {}
        # Copy-on-write so a snapshot can keep a reference instead of copying it.
        self._models: Mapping[str, tuple[str | None, str | None]] = MappingProxyType({})
        self._series: dict[str, RingSeries] = {}
        self._views: dict[str, tuple[int, SeriesView]] = {}  # last ring copies, reused while unchanged
        # Calls timed "now" are placed in the series lazily: a tier's cost since the last roll is
        # the difference between its cells and what was already placed (``_placed``), and it all
        # belongs to second ``_roll_sec``. This keeps the series off the hot path.
        self._placed: dict[str, tuple[int, int]] = {}
        self._roll_sec: int | None = None
        self._roll_from = float("inf")
        self._roll_at = float("-inf")
        self._seen_ids: set[str] = set()
        self._pending_calls = 0
        self._pending_units = 0
        self._version += 1

    @property
    def session(self) -> str:
        return self._session

    @property
    def version(self) -> int:
        """Changes whenever anything a snapshot shows changes (a GUI skips frames while it does not)."""
        return self._version

    def _check_tier(self, tier: object) -> None:
        _check_label("tier", tier)
        self._tiers_seen.add(tier)  # type: ignore[arg-type]  # validated once, then a set lookup

    # -- model resolution ------------------------------------------------------------------------
    def _resolve(self, model: object) -> _Resolved:
        _check_label("model", model)
        assert isinstance(model, str)
        entry = self.catalog.match(model)
        if entry is None:
            resolved: _Resolved = (model.strip(), None, None, None)
        else:
            resolved = (entry.id, entry, entry.id, entry.provider)
        if len(self._resolved) >= _RESOLVE_CACHE_MAX:  # a stream of distinct unknown names
            self._resolved.clear()
        self._resolved[model] = resolved
        return resolved

    def _price(self, model: object, usage: object, tier: object, at: object) -> tuple[str, ModelEntry | None, Usage, int | None, float]:
        """Validate and price one call without touching any state."""
        if type(usage) is not Usage:
            usage = _coerce_usage(usage)
        if type(tier) is not str or tier not in self._tiers_seen:
            self._check_tier(tier)
        ts = time.time() if at is None else _timestamp(at)
        resolved = self._resolved.get(model) if type(model) is str else None  # type: ignore[call-overload]
        key, entry, _, _ = resolved if resolved is not None else self._resolve(model)
        cost = None if entry is None else entry.cost_units(usage, ts)  # type: ignore[arg-type]
        return key, entry, usage, cost, ts  # type: ignore[return-value]

    # -- accumulation (caller holds the lock) ------------------------------------------------------
    def _add(self, cells: dict[TierModel, Cell], tier: str, key: str, entry: ModelEntry | None,
             u: Usage, cost: int | None, ts: float) -> None:
        pair = (tier, key)
        c = cells.get(pair, ZERO_CELL)
        if cost is None:
            cells[pair] = (c[0] + 1, c[1] + u[0], c[2] + u[1], c[3] + u[2], c[4] + u[3], c[5] + u[4], c[6] + u[5], c[7], c[8] + 1)
        else:
            cells[pair] = (c[0] + 1, c[1] + u[0], c[2] + u[1], c[3] + u[2], c[4] + u[3], c[5] + u[4], c[6] + u[5], c[7] + cost, c[8])
        if key not in self._models:
            models = dict(self._models)
            models[key] = (entry.id, entry.provider) if entry is not None else (None, None)
            self._models = MappingProxyType(models)

    def _ring(self, tier: str) -> RingSeries:
        ring = self._series.get(tier)
        if ring is None:
            ring = self._series[tier] = RingSeries(self._series_seconds)
        return ring

    def _place(self, tier: str, ts: float, cost: int | None, usage: Usage) -> None:
        """Put a call with its own time (``at=``, a committed attempt) straight into the series."""
        tokens = usage.total_tokens
        self._ring(tier).add(int(ts), cost or 0, tokens)
        placed_cost, placed_tokens = self._placed.get(tier, (0, 0))
        self._placed[tier] = (placed_cost + (cost or 0), placed_tokens + tokens)

    def _roll(self, ts: float) -> None:
        """Place every tier's unplaced cost at ``_roll_sec`` and start accumulating for ``ts``'s second."""
        if self._roll_sec is not None:
            placed = self._placed
            for tier, (cost, tokens) in tier_sums(self._cells).items():
                placed_cost, placed_tokens = placed.get(tier, (0, 0))
                if cost != placed_cost or tokens != placed_tokens:
                    self._ring(tier).add(self._roll_sec, cost - placed_cost, tokens - placed_tokens)
                    placed[tier] = (cost, tokens)
        sec = int(ts // 1)
        self._roll_sec, self._roll_from, self._roll_at = sec, float(sec), float(sec + 1)

    # -- public API ------------------------------------------------------------------------------
    def record(
        self,
        model: str,
        usage: Usage,
        tier: str = DEFAULT_TIER,
        session: str | None = None,
        event_id: str | None = None,
        at: dt.datetime | None = None,
    ) -> Event:
        """Count one model call. Bad input raises (naming the field) and changes nothing.

        ``at`` (aware datetime, default now) picks the price period and places the call in time.
        The same ``event_id`` recorded twice counts once (the second returns status ``duplicate``).
        """
        # Hand-inlined: this runs thousands of times a second on the agent's own threads.
        if type(usage) is not Usage:
            usage = _coerce_usage(usage)
        if type(tier) is not str or tier not in self._tiers_seen:
            self._check_tier(tier)
        if session is not None or event_id is not None:
            _check_label("session", session, optional=True)
            _check_label("event_id", event_id, optional=True)
        ts = _now() if at is None else _timestamp(at)
        resolved = self._resolved.get(model) if type(model) is str else None
        key, entry, matched, provider = resolved if resolved is not None else self._resolve(model)
        i, cr, cw, cw1, o, rq = usage
        if entry is None:
            cost = None
        else:
            period = entry.periods[-1]
            if ts < period.start_ts:
                period = entry.period_at(ts)
            r = rates_for(period, usage) if period.tiers else period.base
            cost = i * r[0] + cr * r[1] + cw * r[2] + cw1 * r[3] + o * r[4] + rq * r[5]
        status = COMMITTED
        with self._lock:
            if event_id is not None:
                if event_id in self._seen_ids:
                    status = DUPLICATE
                else:
                    self._seen_ids.add(event_id)
            if status is COMMITTED:
                if at is None and not (self._roll_from <= ts < self._roll_at):
                    self._roll(ts)  # first call of a new second: place the previous one's cost
                cells = self._cells
                pair = (tier, key)
                c = cells.get(pair)
                if c is None:
                    self._add(cells, tier, key, entry, usage, cost, ts)
                elif cost is None:
                    cells[pair] = (c[0] + 1, c[1] + i, c[2] + cr, c[3] + cw, c[4] + cw1, c[5] + o, c[6] + rq, c[7], c[8] + 1)
                else:
                    cells[pair] = (c[0] + 1, c[1] + i, c[2] + cr, c[3] + cw, c[4] + cw1, c[5] + o, c[6] + rq, c[7] + cost, c[8])
                if at is not None:
                    self._place(tier, ts, cost, usage)
                self._version += 1
            sess = session or self._session
        event = _tuple_new(Event, (model, matched, provider, tier, sess, usage, cost, ts, event_id, status))
        if self._subscribers and status is COMMITTED:
            self._notify((event,))
        return event

    def snapshot(self) -> Snapshot:
        """An immutable view of the current session."""
        with self._lock:
            cells = dict(self._cells)
            discarded = dict(self._discarded)
            series = {tier: self._view(tier, ring) for tier, ring in self._series.items()}
            placed, roll_sec = dict(self._placed), self._roll_sec
            version, session, models = self._version, self._session, self._models
            pending_calls, pending_units = self._pending_calls, self._pending_units
            started_wall, started_mono = self._started_wall, self._started_mono
        now_wall, now_mono = time.time(), time.monotonic()
        return Snapshot(
            version=version,
            session=session,
            started_at=dt.datetime.fromtimestamp(started_wall, dt.timezone.utc),
            taken_at=dt.datetime.fromtimestamp(now_wall, dt.timezone.utc),
            elapsed_s=now_mono - started_mono,
            pending_calls=pending_calls,
            pending_units=pending_units,
            _cells=MappingProxyType(cells),
            _discarded=MappingProxyType(discarded),
            _models=models,
            _series=MappingProxyType(series),
            _placed=MappingProxyType(placed),
            _roll_sec=roll_sec,
            series_window_s=self._series_seconds,
        )

    def _view(self, tier: str, ring: RingSeries) -> SeriesView:
        cached = self._views.get(tier)
        if cached is not None and cached[0] == ring.changes:
            return cached[1]
        view = ring.view()
        self._views[tier] = (ring.changes, view)
        return view

    def reset(self, session: str | None = None) -> str:
        """Start a new session with zero accumulators; returns its id. Open attempts stay open and
        land in the new session when they commit."""
        if session is not None:
            _check_label("session", session)
        with self._lock:
            pending = (self._pending_calls, self._pending_units)
            self._start_session(session)
            self._pending_calls, self._pending_units = pending
            return self._session

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` after every counted or discarded event, on the recording thread.
        Returns a function that unsubscribes. A failing subscriber is logged, never breaks record()."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not callback)

        return unsubscribe

    def _notify(self, events: tuple[Event, ...]) -> None:
        for callback in self._subscribers:
            for event in events:
                try:
                    callback(event)
                except Exception:  # a broken listener must not break the agent's hot path
                    log.exception("costpanel subscriber %r failed on event %r", callback, event)

    @contextmanager
    def attempt(self, tier: str = DEFAULT_TIER, session: str | None = None) -> Iterator[Attempt]:
        """A model call that may be superseded by a fallback.

        Usage recorded on the attempt is pending until the block ends: committed on a normal exit
        (or ``a.commit()``), discarded on an exception (or ``a.discard()``). Discarded calls are
        shown apart in the snapshot, never silently dropped.
        """
        _check_label("tier", tier)
        _check_label("session", session, optional=True)
        a = Attempt(self, tier, session)
        try:
            yield a
        except BaseException:
            if a.open:
                a.discard()
            raise
        if a.open:
            a.commit()

    # -- attempt support --------------------------------------------------------------------------
    def _hold(self, cost: int | None, event_id: str | None) -> None:
        with self._lock:
            if event_id is not None:
                if event_id in self._seen_ids:
                    raise ValueError(f"event_id {event_id!r} was already recorded")
                self._seen_ids.add(event_id)
            self._pending_calls += 1
            self._pending_units += cost or 0
            self._version += 1

    def _settle(self, held: list[tuple[str, ModelEntry | None, Usage, int | None, float, str | None, str]],
                tier: str, session: str | None, keep: bool) -> tuple[Event, ...]:
        with self._lock:
            cells = self._cells if keep else self._discarded
            for key, entry, usage, cost, ts, event_id, _ in held:
                self._pending_calls -= 1
                self._pending_units -= cost or 0
                self._add(cells, tier, key, entry, usage, cost, ts)
                if keep:
                    self._place(tier, ts, cost, usage)
                if not keep and event_id is not None:
                    self._seen_ids.discard(event_id)  # a retry under the same id may count
            self._version += 1
            sess = session or self._session
        status = COMMITTED if keep else DISCARDED
        events = tuple(
            Event(model, None if entry is None else entry.id, None if entry is None else entry.provider,
                  tier, sess, usage, cost, ts, event_id, status)
            for key, entry, usage, cost, ts, event_id, model in held
        )
        if self._subscribers:
            self._notify(events)
        return events


class Attempt:
    """Calls of one logical model call that may fail over; see :meth:`CostTracker.attempt`."""

    def __init__(self, tracker: CostTracker, tier: str, session: str | None) -> None:
        self._tracker = tracker
        self.tier = tier
        self.session = session
        self._held: list[Any] = []
        self._lock = threading.Lock()
        self.open = True
        self.events: tuple[Event, ...] = ()

    def record(self, model: str, usage: Usage, *, event_id: str | None = None, at: dt.datetime | None = None) -> Event:
        """Record a call of this attempt; pending until commit or discard."""
        _check_label("event_id", event_id, optional=True)
        key, entry, usage, cost, ts = self._tracker._price(model, usage, self.tier, at)
        with self._lock:
            if not self.open:
                raise RuntimeError("this attempt is already finished; open a new one")
            self._tracker._hold(cost, event_id)
            self._held.append((key, entry, usage, cost, ts, event_id, model))
        return Event(model, None if entry is None else entry.id, None if entry is None else entry.provider,
                     self.tier, self.session or self._tracker.session, usage, cost, ts, event_id, PENDING)

    def _finish(self, keep: bool) -> tuple[Event, ...]:
        with self._lock:
            if not self.open:
                raise RuntimeError("this attempt is already finished")
            self.open = False
            held, self._held = self._held, []
        self.events = self._tracker._settle(held, self.tier, self.session, keep)
        return self.events

    def commit(self) -> tuple[Event, ...]:
        """Count this attempt's calls in the totals."""
        return self._finish(True)

    def discard(self) -> tuple[Event, ...]:
        """Move this attempt's calls to the discarded figures (not in the totals)."""
        return self._finish(False)
