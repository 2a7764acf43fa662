"""CostTracker: thread-safe, exact accumulation of priced model calls.

The hot path (``record``) validates, prices with integer rates, and replaces one immutable
per-(tier, model) cell tuple in the calling thread's own shard — no lock (see :mod:`.shards`).
Everything else (per-tier and per-model rows, totals, shares, series) is derived by the snapshot.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from operator import add, sub
from types import MappingProxyType
from typing import TYPE_CHECKING

from .attempts import Attempt, HeldCall
from .events import COMMITTED, DISCARDED, DUPLICATE, PENDING, REPLACED, Event, timestamp_of
from .labels import check_label
from .pricing import Catalog, load_catalog
from .pricing.catalog import ModelEntry
from .pricing.rates import (IN, OUT, PER_REQUEST, READ, WEB_SEARCH, WRITE, WRITE_1H, Period, Rates, cost_units,
                            check_variant_aliases, flat_cost, rates_for, with_variant)
from .shards import HELD, Counted, SessionState, Shard
from .sources import API, KNOWN_SOURCES, NO_PROJECT, check_project, check_source
from .snapshot import CELL_WIDTH, NO_META, ZERO_CELL, Cell, Snapshot
from .usage import BUCKETS, Usage
from .variants import canonical_variant, combine

if TYPE_CHECKING:
    from decimal import Decimal
    from pathlib import Path

    from .guards import Crossing, Guard, GuardBook
    from .ledger import Ledger
    from .pricing.fallback import GenaiPricesFallback

DEFAULT_TIER = "default"
Subscriber = Callable[[Event], None]
# (row key, entry, id, provider, latest price period, price source, variant the name implies):
# all a priced call needs, in one lookup
Resolved = tuple[str, "ModelEntry | None", "str | None", "str | None", "Period | None", "str | None", "str | None"]
# The same with the cell key (tier, row key) in place of the row key: record()'s per-pair lookup
# ... plus the latest period's start and, for a flat-priced one (no cliff tiers), its rates: the
# common call (that period, no variant) reads them from the plan instead of three attribute lookups.
Plan = tuple[tuple[str, str], "ModelEntry | None", "str | None", "str | None", "Period | None", "str | None",
             "str | None", float, "Rates | None"]
_RESOLVE_CACHE_MAX = 4096
# What a warning said already, per catalog: trackers sharing one (watch's views) say it once.
_said: weakref.WeakKeyDictionary[Catalog, set[object]] = weakref.WeakKeyDictionary()
_said_lock = threading.Lock()
_COMMIT_GRACE_S = 2.0  # settle(): how long to wait for a commit already under way on another thread
# Epoch seconds of 0001-01-01 and 10000-01-01 (UTC): the times a datetime (record's at=) can hold.
_FIRST_TS, _LAST_TS = -62135596800.0, 253402300800.0
_NEVER = float("inf")  # the start of "no period": a plan without one never takes the fast branch
# How long close() (and a settle() without timeout) waits for genai-prices lookups in flight; a
# lookup still running after it commits its calls unpriced (counted, never lost, never $0).
SETTLE_TIMEOUT_S = 10.0
# A call of a name genai-prices is looking up: (usage, tier, session, event_id, ts, variant, source, project)
Waiting = tuple[Usage, str, "str | None", "str | None", float, "str | None", str, str]
_now = time.time
_tuple_new = tuple.__new__  # builds an Event without its Python-level __new__


def _coerce_usage(usage: object) -> Usage:
    if isinstance(usage, Usage):
        return usage
    if isinstance(usage, Mapping):
        unknown = set(usage) - set(BUCKETS)
        if unknown:
            raise TypeError(f"usage has unknown bucket(s) {sorted(map(str, unknown))}; buckets are {', '.join(BUCKETS)}")
        return Usage(**usage)
    raise TypeError(f"usage must be a costpanel.Usage (or a mapping of buckets), got {type(usage).__name__} {usage!r}")


# record() unpacks usage and cells into named locals (the fastest readable form): a new bucket
# in the registry must be added there too, so say so at import rather than miscount silently.
if BUCKETS != ("input", "cache_read", "cache_write", "cache_write_1h", "output", "requests", "web_search") \
        or CELL_WIDTH != 10:
    raise ImportError("costpanel.usage.REGISTRY changed: extend CostTracker.record()'s unpacking and cost line")


def add_to_cell(cell: Cell, usage: Usage, cost: int | None) -> Cell:
    """The cell after one more call (record() writes this out inline)."""
    priced = cost is not None
    return (cell[0] + 1, *map(add, cell[1:-2], usage), cell[-2] + (cost if priced else 0),  # type: ignore[operator]
            cell[-1] + (not priced))


def _first_time(catalog: Catalog, what: object) -> bool:
    """True the first time ``what`` is asked about for ``catalog`` (bounded: then always False)."""
    with _said_lock:
        said = _said.setdefault(catalog, set())
        if what in said or len(said) >= _RESOLVE_CACHE_MAX:
            return False
        said.add(what)
        return True


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
        ledger: Ledger | str | Path | bool | None = None,
        resume: bool = False,
        fallback: bool | GenaiPricesFallback = True,
        started_at: dt.datetime | None = None,
    ) -> None:
        """``ledger``: None/False keeps everything in memory (tests, notebooks); True uses the
        default ledger file; a path or a :class:`~costpanel.ledger.Ledger` persists there.
        ``resume`` continues the ledger's last open session with its totals restored exactly.
        ``fallback``: price names the catalog does not know from genai-prices (True: the
        process's shared :class:`~costpanel.pricing.fallback.GenaiPricesFallback`, loaded only
        when such a name is first recorded); False counts them unpriced.
        ``started_at`` (aware datetime, not in the future): when the session began, if before this
        tracker — ``costpanel watch`` shows today, so its session starts at local midnight and its
        elapsed time and session burn rate count from there."""
        check_label("session", session, optional=True)
        if type(series_seconds) is not int or series_seconds < 1:
            raise ValueError(f"series_seconds must be a positive int, got {series_seconds!r}")
        if resume and not ledger:
            raise ValueError("resume=True needs a ledger to resume from (ledger=True or a path)")
        self.catalog = catalog if catalog is not None else load_catalog()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._resolved: dict[str, Resolved] = {}
        self._tiers_seen: set[str] = set()
        self._plans: dict[str, dict[str, Plan]] = {}  # tier -> model name -> what record() needs
        self._sessions_seen: set[str] = set()  # per-call session labels already validated
        self._sources_seen: set[str] = set(KNOWN_SOURCES)  # sources and projects already validated
        self._projects_seen: set[str] = {NO_PROJECT}
        self._variants: dict[str, str | None] = {}  # variant as given -> canonical, once validated
        # (model id, period start, variant) -> the period as billed, None when not offered
        self._variant_periods: dict[tuple[str, float, str], Period | None] = {}
        self._subscribers: tuple[Subscriber, ...] = ()
        self._guards: GuardBook | None = None  # budget guards (guards.py); None keeps record() free of them
        self._series_seconds = series_seconds
        self._state = SessionState(session, series_seconds, version_base=1)
        if started_at is not None:
            begun = timestamp_of(started_at)
            if begun > self._state.started_wall:
                raise ValueError(f"started_at must not be in the future, got {started_at.isoformat()}")
            self._state.started_mono -= self._state.started_wall - begun
            self._state.started_wall = begun
        self.ledger: Ledger | None = None
        self._ledger_queue: collections.deque[Event] | None = None
        self._owns_ledger = False
        if fallback is True:
            from .pricing.fallback import shared_fallback  # imports nothing heavy

            fallback = shared_fallback()
        self._fallback: GenaiPricesFallback | None = fallback or None  # type: ignore[assignment]
        # name -> its calls recorded while genai-prices looks it up:
        # (usage, tier, session, event_id, ts, variant, source, project)
        self._waiting: dict[str, list[Waiting]] = {}
        # Names whose waiting calls a thread has taken and is committing: settle()/close() wait for
        # them too, or a lookup finishing during close() would commit into a closed ledger.
        self._settling = 0
        self._before_close: list[Callable[[], object]] = []  # see before_close()
        self._settled = threading.Condition(self._lock)
        if ledger:
            self._attach_ledger(ledger, resume=resume, session=session)

    # -- persistence ------------------------------------------------------------------------------
    def _attach_ledger(self, ledger: Ledger | str | Path | bool, *, resume: bool, session: str | None) -> None:
        from .ledger import Ledger
        from .ledger.resume import restore_session

        if isinstance(ledger, Ledger):
            self.ledger = ledger
        else:
            self.ledger = Ledger(None if ledger is True else ledger)  # type: ignore[arg-type]
            self._owns_ledger = True
        try:
            if resume:
                restored = restore_session(self.ledger, self._series_seconds, session)
                if restored is not None:
                    self._state = restored
            self.ledger.session_started(self._state.id, self._state.started_wall)
        except BaseException:  # (a damaged ledger met while resuming): no writer thread left behind
            if self._owns_ledger:
                with contextlib.suppress(Exception):
                    self.ledger.close()
            self.ledger, self._owns_ledger = None, False
            raise
        self._ledger_queue = self.ledger.queue  # record() appends inline (see Ledger.append)

    def close(self, *, end_session: bool = False) -> None:
        """Flush the ledger (and close it if this tracker opened it). Idempotent.

        ``end_session=True`` also marks the session finished in the ledger, so a later
        ``resume=True`` starts a new one instead of continuing it. Raises
        :class:`~costpanel.ledger.LedgerError` if calls could not be stored (the file became
        unwritable): the message says how many and the file they were saved in.

        Calls waiting for a genai-prices lookup are committed first: close waits for the lookup
        up to ``SETTLE_TIMEOUT_S`` (its first load takes ~0.3 s), then counts what is left unpriced."""
        for hook in list(self._before_close):  # integrations that deliver calls from threads of their own
            try:
                hook()
            except Exception:  # noqa: BLE001 - a hook's failure must not keep the ledger from its flush
                import logging

                logging.getLogger(__name__).exception("costpanel: a before_close hook failed; closing anyway")
        if self._waiting or self._settling:
            self.settle()
        if self.ledger is not None:
            if end_session and not self.ledger.closed:
                self.ledger.session_ended(self._state.id, time.time())
            if self._owns_ledger:
                self.ledger.close()
            else:
                self.ledger.flush()

    def before_close(self, hook: Callable[[], object]) -> None:
        """Run ``hook()`` at the start of :meth:`close`, before the ledger's last flush: an
        integration whose calls reach the tracker from threads of its own (LiteLLM's logging
        threads) waits there for the calls made so far, so that none arrives after the ledger closed."""
        if not callable(hook):
            raise TypeError(f"before_close takes a callable, got {type(hook).__name__}")
        self._before_close.append(hook)

    def __enter__(self) -> CostTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def session(self) -> str:
        return self._state.id

    @property
    def version(self) -> int:
        """Changes whenever anything a snapshot shows changes (a GUI skips frames while it does not)."""
        return self._state.version()

    # -- validation and pricing ---------------------------------------------------------------------
    def _check_tier(self, tier: object) -> None:
        check_label("tier", tier)
        self._tiers_seen.add(tier)  # type: ignore[arg-type]  # validated once, then a set lookup

    def _check_session(self, session: object) -> None:
        check_label("session", session)
        if len(self._sessions_seen) >= _RESOLVE_CACHE_MAX:  # a stream of distinct labels
            self._sessions_seen.clear()
        self._sessions_seen.add(session)  # type: ignore[arg-type]  # validated once, then a set lookup

    def _check_origin(self, source: object, project: object) -> None:
        """A call's source and project, each validated once per distinct value, then a set lookup."""
        if type(source) is not str or source not in self._sources_seen:
            check_source(source)
            if len(self._sources_seen) >= _RESOLVE_CACHE_MAX:
                self._sources_seen.clear()
            self._sources_seen.add(source)  # type: ignore[arg-type]
        if type(project) is not str or project not in self._projects_seen:
            check_project(project)
            if len(self._projects_seen) >= _RESOLVE_CACHE_MAX:  # a stream of distinct labels
                self._projects_seen.clear()
            self._projects_seen.add(project)  # type: ignore[arg-type]

    def _check_variant(self, variant: object) -> str | None:
        canonical = canonical_variant(variant)
        if len(self._variants) >= _RESOLVE_CACHE_MAX:
            self._variants.clear()
        self._variants[variant] = canonical  # type: ignore[index]
        return canonical

    def _period_for(self, entry: ModelEntry, period: Period, ts: float, variant: str | None) -> Period | None:
        """The period billed for a call at ``ts`` under ``variant``: None when the model has no price
        for that variant then (counted unpriced, never guessed, and said once in the log)."""
        if ts < period.start_ts:  # a call dated back: the prices in force then
            period = entry.period_at(ts)
        if variant is None:
            return period
        key = (entry.id, period.start_ts, variant)
        try:
            return self._variant_periods[key]
        except KeyError:
            pass
        billed = with_variant(period, variant)
        if billed is None:
            check_variant_aliases(period, variant)  # ``fast+flex`` at OpenAI: refused, as ``priority+flex`` is
        if billed is None and _first_time(self.catalog, (entry.id, variant)):  # once per catalog: watch's views share one
            import logging

            offered = ", ".join(sorted(period.variants)) or "none"
            logging.getLogger(__name__).warning(
                "costpanel: %s has no %r price (variants offered: %s); its calls are counted unpriced",
                entry.id, variant, offered)
        if len(self._variant_periods) >= _RESOLVE_CACHE_MAX:
            self._variant_periods.clear()
        self._variant_periods[key] = billed
        return billed

    def _resolve(self, model: object) -> Resolved | None:
        """What the name denotes: the catalog's model, else genai-prices' (once per name), else
        unpriced. None while genai-prices is still looking it up (nothing is cached then)."""
        check_label("model", model)
        assert isinstance(model, str)
        entry, implied = self.catalog.resolve(model)
        if entry is None and self._fallback is not None:
            from .pricing.fallback import PENDING as LOOKING_UP
            from .pricing.fallback import accepted

            found = self._fallback.lookup(model)
            if found is LOOKING_UP:
                return None
            entry = accepted(found, self.catalog)  # type: ignore[arg-type]
        if entry is None:
            resolved: Resolved = (model.strip(), None, None, None, None, None, None)
        else:
            resolved = (entry.id, entry, entry.id, entry.provider, entry.periods[-1], entry.priced_by, implied)
        if len(self._resolved) >= _RESOLVE_CACHE_MAX:  # a stream of distinct unknown names
            self._resolved.clear()
        self._resolved[model] = resolved
        return resolved

    def _plan(self, tier: object, model: object) -> Plan | None:
        """Validate a (tier, model) pair record() has not seen and remember what it needs: the
        cell key, the catalog entry and its latest price period. Bad input raises here. None
        (nothing remembered) while genai-prices is looking the name up."""
        if type(tier) is not str or tier not in self._tiers_seen:
            self._check_tier(tier)
        resolved = self._resolved.get(model) if type(model) is str else None  # type: ignore[call-overload]
        if resolved is None:
            resolved = self._resolve(model)
            if resolved is None:
                return None
        key, entry, matched, provider, period, priced_by, implied = resolved
        start, flat = (period.start_ts, None if period.tiers else period.base) if period is not None else (_NEVER, None)
        plan: Plan = ((tier, key), entry, matched, provider, period, priced_by, implied, start, flat)  # type: ignore[assignment]
        plans = self._plans.get(tier)  # type: ignore[call-overload]
        if plans is None:
            if len(self._plans) >= _RESOLVE_CACHE_MAX:  # a stream of distinct tier labels
                self._plans.clear()
            plans = self._plans[tier] = {}  # type: ignore[index]
        elif len(plans) >= _RESOLVE_CACHE_MAX:  # a stream of distinct unknown names
            plans.clear()
        plans[model] = plan  # type: ignore[index]
        return plan

    def price(self, model: object, usage: object, tier: object, at: object, variant: object = None,
              source: object = API, project: object = NO_PROJECT) -> HeldCall:
        """Validate and price one call without touching any state (the attempts' path)."""
        if type(usage) is not Usage:
            usage = _coerce_usage(usage)
        if type(tier) is not str or tier not in self._tiers_seen:
            self._check_tier(tier)
        self._check_origin(source, project)
        given = canonical_variant(variant)
        ts = time.time() if at is None else timestamp_of(at)
        resolved = self._resolved.get(model) if type(model) is str else None  # type: ignore[call-overload]
        if resolved is None:
            resolved = self._resolve(model)
            if resolved is None:  # an attempt's call waits for the lookup (once per name; see docs)
                resolved = self._resolve_waiting(model, SETTLE_TIMEOUT_S)
        return self._held(model, resolved, usage, ts, given, source, project)  # type: ignore[arg-type]

    def price_event(self, model: str, usage: Usage, tier: str = DEFAULT_TIER, session: str | None = None,
                    event_id: str | None = None, ts: float | None = None, variant: str | None = None,
                    source: str = API, project: str = NO_PROJECT, approximate: bool = False) -> Event:
        """The committed :class:`Event` ``record()`` would return for this call, counting nothing:
        for backfills (``costpanel import``) that store calls in the ledger directly. ``ts``: epoch
        seconds (default now). Bad input raises as ``record()`` does. Uses ``record()``'s per-(tier,
        model) plans, so a call costs a microsecond or two; a name genai-prices is looking up waits
        for the lookup (once per name, as an attempt's call does)."""
        if type(usage) is not Usage:
            usage = _coerce_usage(usage)
        if approximate is not False and approximate is not True:
            raise TypeError(f"approximate must be a bool, got {type(approximate).__name__} {approximate!r}")
        try:
            plan = self._plans[tier][model]
        except (KeyError, TypeError):
            plan = self._plan(tier, model)
        if plan is None:  # being looked up: priced off the plans, as an attempt's call is
            held = self.price(model, usage, tier, None if ts is None else dt.datetime.fromtimestamp(ts, dt.timezone.utc),
                              variant, source, project)
            return held.event(tier, session or self._state.id, event_id, COMMITTED, approximate)
        _, entry, matched, provider, period, priced_by, implied, start, flat = plan
        if source is not API or project is not NO_PROJECT:
            self._check_origin(source, project)
        if session is not None and (type(session) is not str or session not in self._sessions_seen):
            self._check_session(session)
        check_label("event_id", event_id, optional=True)
        if variant is not None:
            try:
                variant = self._variants[variant]
            except (KeyError, TypeError):
                variant = self._check_variant(variant)
        if variant is not None or implied is not None:
            variant = combine(implied, variant)
        if ts is None:
            ts = _now()
        elif type(ts) is not float or not _FIRST_TS <= ts < _LAST_TS:
            if type(ts) is not int and type(ts) is not float:
                raise TypeError(f"ts must be epoch seconds (a float or an int), got {type(ts).__name__} {ts!r}")
            if not _FIRST_TS <= ts < _LAST_TS:  # what a datetime can say, as record(at=) takes: years 1-9999
                raise ValueError(f"ts must be epoch seconds of a year from 1 to 9999, got {ts!r}")
            ts = float(ts)
        if flat is not None and variant is None and ts >= start:
            # the usual call (the latest period of a flat-priced model, no variant): record()'s sums
            cost = flat_cost(flat, usage, period.search_once)  # type: ignore[union-attr]
        else:
            billed = None if period is None else self._period_for(entry, period, ts, variant)  # type: ignore[arg-type]
            cost = None if billed is None else cost_units(billed, usage)
        return _tuple_new(Event, (model, matched, provider, tier, session or self._state.id, usage, cost, ts, event_id,
                                  COMMITTED, variant, priced_by if cost is not None else None, source, project,
                                  approximate))

    def _held(self, model: str, resolved: Resolved, usage: Usage, ts: float, given: str | None, source: str,
              project: str) -> HeldCall:
        """One call priced off the hot path (attempts, and calls held for a genai-prices lookup):
        the name's implied variant stacked on the call's, the period in force at ``ts``."""
        key, entry, _, _, period, priced_by, implied = resolved
        variant = combine(implied, given)
        billed = None if entry is None else self._period_for(entry, period, ts, variant)  # type: ignore[arg-type]
        cost = None if billed is None else cost_units(billed, usage)
        return HeldCall(model, key, entry, usage, cost, ts, variant, priced_by if cost is not None else None,
                        source, project)

    def _shard(self, state: SessionState) -> Shard:
        with self._lock:
            shard = state.new_shard(threading.current_thread())
        self._local.shard = shard
        return shard

    # -- public API -------------------------------------------------------------------------------
    def record(
        self,
        model: str,
        usage: Usage | Mapping[str, int],
        tier: str = DEFAULT_TIER,
        session: str | None = None,
        event_id: str | None = None,
        at: dt.datetime | None = None,
        variant: str | None = None,
        source: str = API,
        project: str = NO_PROJECT,
        approximate: bool = False,
    ) -> Event:
        """Count one model call. Bad input raises (naming the field) and changes nothing.

        ``at`` (aware datetime, default now) picks the price period and places the call in time.
        The same ``event_id`` recorded twice counts once (the second returns status ``duplicate``).
        ``variant`` is the price variant the call was billed under (``batch``, ``flex``,
        ``priority``, ``fast``, ``us`` …, several joined by ``+``; see :mod:`costpanel.variants`);
        one the model has no price for counts the call as unpriced, never at the standard price.
        ``source`` says where the call came from (``api``, the default, for a direct call; an
        integration's name such as ``claude-code`` or ``litellm``: a lower-case name of letters,
        digits and ``-``, see :mod:`costpanel.sources`); ``project`` the project it was made for
        (``""``: none). Both travel on the :class:`Event` into the ledger's reports.
        ``approximate``: the caller could only estimate part of the usage (Claude Code's telemetry
        gives cache writes without their 5-minute/1-hour split); counted, and marked so everywhere.
        """
        # Written out by hand, not split into helpers: this runs thousands of times a second on the
        # agent's own threads, and every call layer or lookup here shows in bench/record.py.
        # -- validate: usage every call; a (tier, model) pair once, then its plan is looked up --
        if type(usage) is not Usage:
            usage = _coerce_usage(usage)
        if approximate is not False and approximate is not True:
            raise TypeError(f"approximate must be a bool, got {type(approximate).__name__} {approximate!r}")
        try:  # free in Python 3.11 unless it raises: a new pair, or an argument of the wrong type
            pair, entry, matched, provider, period, priced_by, implied, start, flat = self._plans[tier][model]
        except (KeyError, TypeError):
            plan = self._plan(tier, model)
            if plan is None:  # a name genai-prices is still looking up: pending until it is priced
                return self._record_pending(model, usage, tier, session, event_id, at, variant, source, project)
            pair, entry, matched, provider, period, priced_by, implied, start, flat = plan
        if source is not API or project is not NO_PROJECT:  # a direct call passes neither: two `is` checks
            self._check_origin(source, project)
        if variant is not None:
            try:
                variant = self._variants[variant]
            except (KeyError, TypeError):
                variant = self._check_variant(variant)
            if implied is not None:
                variant = combine(implied, variant)
        elif implied is not None:
            variant = implied
        if session is not None or event_id is not None:
            if session is not None and (type(session) is not str or session not in self._sessions_seen):
                self._check_session(session)
            check_label("event_id", event_id, optional=True)  # new every call: only cheap checks
        ts = _now() if at is None else timestamp_of(at)

        # -- price, in integer units of 1e-12 USD (rates: pricing/rates.py, REGISTRY order) --
        uncached, cache_read, cache_write, cache_write_1h, output, requests, web_search = usage
        if flat is not None and variant is None and ts >= start:
            rate = flat  # the usual call: the latest period of a flat-priced model, no variant
        else:
            if period is not None and (variant is not None or ts < start):
                period = self._period_for(entry, period, ts, variant)  # type: ignore[arg-type]
            rate = None if period is None else rates_for(period, usage) if period.tiers else period.base
        if rate is None:
            cost = priced_by = None  # unknown model or variant: counted, shown as unpriced, never as $0
        else:
            cost = uncached * rate[IN] + output * rate[OUT]
            if cache_read or cache_write or cache_write_1h:  # most calls have none: skip three products
                cost += cache_read * rate[READ] + cache_write * rate[WRITE] + cache_write_1h * rate[WRITE_1H]
            if requests and rate[PER_REQUEST]:
                cost += requests * rate[PER_REQUEST]
            if web_search:
                if rate[WEB_SEARCH] < 0:  # searches of a model without a stated search fee: never $0
                    cost = priced_by = None
                else:  # one fee per call where the period charges per request (Gemini 2.x grounding)
                    cost += (1 if period.search_once else web_search) * rate[WEB_SEARCH]  # type: ignore[union-attr]

        state = self._state
        if event_id is not None:
            with self._lock:
                earlier = state.seen_ids.get(event_id)
                if earlier is None or (earlier and usage.total_tokens > earlier[1].total_tokens):
                    state.seen_ids[event_id] = (pair, usage, cost, ts)
                else:  # counted already with as many tokens or more (or still pending)
                    return _tuple_new(Event, (model, matched, provider, tier, session or state.id, usage, cost, ts,
                                              event_id, DUPLICATE, variant, priced_by, source, project,
                                              approximate))
            if earlier is not None:  # a streaming partial superseded by its final line: rare, off the fast path
                return self._replace(state, earlier, Event(model, matched, provider, tier, session or state.id, usage,
                                                           cost, ts, event_id, REPLACED, variant, priced_by, source,
                                                           project, approximate), pair, entry, at is not None)
        if at is None:
            if not (state.roll_from <= ts < state.roll_at):
                with self._lock:
                    state.roll(ts)  # first call of a new second: place the previous second's cost
        else:
            with self._lock:
                state.place(tier, ts, cost or 0, uncached + cache_read + cache_write + cache_write_1h + output)

        # -- add to this thread's shard: one immutable cell per (tier, model), replaced whole --
        shard = getattr(self._local, "shard", None)
        if shard is None or shard.session is not state:
            shard = self._shard(state)
        cells = shard.cells
        try:
            (calls, c_uncached, c_read, c_write, c_write_1h, c_output, c_requests, c_search, c_cost,
             c_unpriced) = cells[pair]
        except KeyError:  # this thread's first call of the pair in this session
            self._first_call(state, pair[1], entry)
            (calls, c_uncached, c_read, c_write, c_write_1h, c_output, c_requests, c_search, c_cost,
             c_unpriced) = ZERO_CELL
        if cost is None:
            cells[pair] = (calls + 1, c_uncached + uncached, c_read + cache_read, c_write + cache_write,
                           c_write_1h + cache_write_1h, c_output + output, c_requests + requests,
                           c_search + web_search, c_cost, c_unpriced + 1)
            if variant is not None and matched is not None:  # a known model: the variant is what has no price
                with self._lock:
                    known = state.unpriced_variants.setdefault(model, set())
                    if len(known) < 16:
                        known.add(variant)
        else:
            cells[pair] = (calls + 1, c_uncached + uncached, c_read + cache_read, c_write + cache_write,
                           c_write_1h + cache_write_1h, c_output + output, c_requests + requests,
                           c_search + web_search, c_cost + cost, c_unpriced)
        if variant is not None and (pair, variant) not in shard.variants_said:  # once per thread, pair, variant
            self._note_variant(state, shard, pair, variant)
        shard.writes += 1

        if approximate:
            with self._lock:
                state.approximate_calls += 1
        event = _tuple_new(Event, (model, matched, provider, tier, session or state.id, usage, cost, ts,
                                   event_id, COMMITTED, variant, priced_by, source, project, approximate))
        queue = self._ledger_queue
        if queue is not None:  # Ledger.append, inlined: a deque append, no disk
            queue.append(event)
            if len(queue) > self.ledger.accept_limit:  # type: ignore[union-attr]
                self._ledger_overflow(event)
        subscribers = self._subscribers
        if subscribers:
            for callback in subscribers:
                try:
                    callback(event)
                except Exception:  # a broken listener must not break the agent's hot path
                    self._subscriber_failed(callback, event)
        guards = self._guards  # read after the ledger append: see GuardBook.add
        if guards is not None and cost is not None:
            if guards.lo <= ts < guards.hi:  # no lock: this thread's own figure (see costpanel.guards)
                units = shard.guard_units = shard.guard_units + cost
                if units >= shard.guard_limit:
                    guards.settle_shard(event)
            else:  # dated outside the day/month guards' period (at=, or after midnight), or a tier is idle
                guards.count(cost, tier, ts, event, shard)
        return event

    # -- genai-prices fallback: calls of a name being looked up ---------------------------------------
    def _record_pending(self, model: str, usage: Usage, tier: str, session: str | None, event_id: str | None,
                        at: dt.datetime | None, variant: str | None, source: str = API,
                        project: str = NO_PROJECT) -> Event:
        """Count a call of a name genai-prices is looking up as pending; it is priced and committed
        (reaching the ledger and subscribers) when the lookup completes (:meth:`_settle`)."""
        if variant is not None:
            variant = self._check_variant(variant)
        if session is not None:
            self._check_session(session)
        self._check_origin(source, project)
        check_label("event_id", event_id, optional=True)
        ts = _now() if at is None else timestamp_of(at)
        with self._lock:
            state = self._state
            if event_id is not None:
                if event_id in state.seen_ids:
                    if self._supersede_waiting(model, event_id, usage, tier, session, ts, variant, source, project):
                        return Event(model, None, None, tier, session or state.id, usage, None, ts, event_id,
                                     PENDING, variant, None, source, project)
                    return Event(model, None, None, tier, session or state.id, usage, None, ts, event_id,
                                 DUPLICATE, variant, None, source, project)
                state.seen_ids[event_id] = HELD
            state.pending_calls += 1
            state.locked_changes += 1
            self._waiting.setdefault(model, []).append((usage, tier, session, event_id, ts, variant, source, project))
            sess = session or state.id
        from .pricing.fallback import PENDING as LOOKING_UP

        if self._fallback.lookup(model, self._settle) is not LOOKING_UP:  # type: ignore[union-attr]
            self._settle(model)  # resolved meanwhile: its callbacks ran before this call was added
        return Event(model, None, None, tier, sess, usage, None, ts, event_id, PENDING, variant, None, source, project)

    def _supersede_waiting(self, model: str, event_id: str, usage: Usage, tier: str, session: str | None, ts: float,
                           variant: str | None, source: str, project: str) -> bool:
        """(Under the lock.) A call of a name being looked up, under the id of a call of it still
        waiting: with more tokens it takes that call's place (a partial superseded before it could
        be priced). False when there is no such waiting call or this one has no more tokens."""
        waiting = self._waiting.get(model, ())
        for n, call in enumerate(waiting):
            if call[3] == event_id:
                if usage.total_tokens <= call[0].total_tokens:
                    return False
                waiting[n] = (usage, tier, session, event_id, ts, variant, source, project)  # type: ignore[index]
                return True
        return False

    def _note_variant(self, state: SessionState, shard: Shard, pair: tuple[str, str], variant: str) -> None:
        """The session's sums of ``pair`` now hold calls billed under ``variant`` (what if says so)."""
        shard.variants_said.add((pair, variant))
        with self._lock:
            state.variants.setdefault(pair, set()).add(variant)

    def _replace(self, state: SessionState, earlier: Counted, event: Event, pair: tuple[str, str],
                 entry: ModelEntry | None, timed: bool) -> Event:
        """Count ``event`` in place of the call ``earlier`` counted under the same id: the earlier
        usage and cost come out of every total (this thread's shard takes the difference, so the
        merged cells stay exact whichever thread counted it), the new ones go in."""
        (old_tier, old_key), old_usage, old_cost, old_ts = earlier
        shard = getattr(self._local, "shard", None)
        if shard is None or shard.session is not state:
            shard = self._shard(state)
        self._first_call(state, pair[1], entry)
        cells = shard.cells
        old_pair = (old_tier, old_key)
        cell = cells.get(old_pair, ZERO_CELL)
        cells[old_pair] = (cell[0] - 1, *map(sub, cell[1:-2], old_usage), cell[-2] - (old_cost or 0),
                           cell[-1] - (old_cost is None))
        cells[pair] = add_to_cell(cells.get(pair, ZERO_CELL), event.usage, event.cost_units)
        if event.variant is not None and (pair, event.variant) not in shard.variants_said:
            self._note_variant(state, shard, pair, event.variant)
        shard.writes += 1
        guards = self._guards
        if guards is not None:
            guards.replaced(old_cost, old_ts, event)
        if timed:  # calls placed at their own time: move the series' share too
            with self._lock:
                state.place(old_tier, old_ts, -(old_cost or 0), -old_usage.total_tokens)
                state.place(pair[0], event.ts, event.cost_units or 0, event.usage.total_tokens)
        elif not (state.roll_from <= event.ts < state.roll_at):
            with self._lock:
                state.roll(event.ts)
        self._notify((event,))
        return event

    def _resolve_waiting(self, model: str, timeout: float | None) -> Resolved:
        resolved = None
        if self._fallback is not None and self._fallback.wait(model, timeout) is not None:
            resolved = self._resolve(model)
        return resolved if resolved is not None else (model.strip(), None, None, None, None, None, None)

    def _settle(self, model: str, timeout: float | None = 0) -> None:
        """Price and commit the calls of ``model`` recorded while it was looked up (on the lookup's
        thread, or in settle()/close(), which wait up to ``timeout``)."""
        with self._lock:
            waiting = self._waiting.pop(model, None)
            if not waiting:
                return
            self._settling += 1
        try:
            self._commit_waiting(model, waiting, timeout)
        finally:
            with self._lock:
                self._settling -= 1
                self._settled.notify_all()

    def _commit_waiting(self, model: str, waiting: list[Waiting], timeout: float | None) -> None:
        resolved = self._resolve_waiting(model, timeout)
        groups: dict[tuple[str, str | None], list[tuple[HeldCall, str | None]]] = {}
        added = 0
        for usage, tier, session, event_id, ts, given, source, project in waiting:
            held = self._held(model, resolved, usage, ts, given, source, project)
            added += held.cost or 0
            groups.setdefault((tier, session), []).append((held, event_id))
        with self._lock:  # finish_attempt takes each call's cost off the pending figures
            self._state.pending_units += added
        for (tier, session), held in groups.items():
            self.finish_attempt(held, tier, session, True)

    def settle(self, timeout: float | None = SETTLE_TIMEOUT_S) -> None:
        """Wait (up to ``timeout`` in all) for genai-prices lookups in flight and commit the calls
        recorded meanwhile; what is still unresolved then is committed unpriced."""
        deadline = None if timeout is None else time.monotonic() + timeout  # one wait for all names

        def left() -> float | None:
            return None if deadline is None else max(0.0, deadline - time.monotonic())

        while True:
            for model in list(self._waiting):
                self._settle(model, left())
            with self._lock:
                # Calls another thread (the lookup's) is committing: only pricing is left to do
                # there, so wait for it even past the deadline, briefly, rather than lose a call.
                remaining = left()
                self._settled.wait_for(lambda: not self._settling,
                                       None if remaining is None else max(remaining, _COMMIT_GRACE_S))
                if not self._waiting or left() == 0.0:
                    done = not self._waiting
                    break
        if not done:  # new calls of a name still being looked up arrived meanwhile: counted unpriced
            for model in list(self._waiting):
                self._settle(model, 0)

    def _first_call(self, state: SessionState, key: str, entry: ModelEntry | None) -> None:
        if key not in state.models:
            with self._lock:
                state.add_model(key, (entry.id, entry.provider, entry.priced_by) if entry is not None else NO_META)

    def snapshot(self) -> Snapshot:
        """An immutable view of the current session."""
        with self._lock:  # orders it with rolls, attempts and resets; recorders never wait on it
            state = self._state
            version = state.version()  # read before the cells: a later call may show, never hide
            parts = [dict(sh.cells) for sh in state.shards]
            discarded = dict(state.discarded)
            series, total_series = state.series_views()
            placed, roll_sec, models = dict(state.placed), state.roll_sec, state.models
            pending_calls, pending_units = state.pending_calls, state.pending_units
            approximate_calls = state.approximate_calls
            first_ts = state.first_ts
            unpriced_variants = {m: tuple(sorted(v)) for m, v in state.unpriced_variants.items()}
            variants = {pair: tuple(sorted(v)) for pair, v in state.variants.items()}
        from .shards import drop_empty, merge_cells

        now_wall, now_mono = time.time(), time.monotonic()
        return Snapshot(
            version=version,
            session=state.id,
            started_at=dt.datetime.fromtimestamp(state.started_wall, dt.timezone.utc),
            taken_at=dt.datetime.fromtimestamp(now_wall, dt.timezone.utc),
            elapsed_s=now_mono - state.started_mono,
            pending_calls=pending_calls,
            pending_units=pending_units,
            approximate_calls=approximate_calls,
            series_window_s=self._series_seconds,
            _cells=MappingProxyType(drop_empty(merge_cells(parts))),
            _discarded=MappingProxyType(discarded),
            _models=models,
            _series=MappingProxyType(series),
            _total_series=total_series,
            _placed=MappingProxyType(placed),
            _roll_sec=roll_sec,
            _catalog=self.catalog,
            _unpriced_variants=MappingProxyType(unpriced_variants),
            _variants=MappingProxyType(variants),
            first_call_at=None if first_ts is None else dt.datetime.fromtimestamp(first_ts, dt.timezone.utc),
        )

    def reset(self, session: str | None = None) -> str:
        """Start a new session with zero accumulators; returns its id. Open attempts stay open and
        land in the new session when they commit."""
        check_label("session", session, optional=True)
        with self._lock:
            old = self._state
            new = SessionState(session, self._series_seconds, version_base=old.version() + 1)
            new.pending_calls, new.pending_units = old.pending_calls, old.pending_units
            self._state = new
        if self.ledger is not None:  # history is kept: the old session is closed, not deleted
            self.ledger.session_ended(old.id, time.time())
            self.ledger.session_started(new.id, new.started_wall)
        guards = self._guards
        if guards is not None:
            guards.rearm_session()
        return new.id

    # -- budget guards ------------------------------------------------------------------------------
    def guard(self, limit_usd: Decimal | int | str, scope: str = "session",
              at: tuple[Decimal | int | float | str, ...] = (0.5, 0.8, 1.0),
              on_cross: Callable[[Crossing], object] | None = None) -> Guard:
        """A budget guard: ``on_cross(crossing)`` once for each fraction in ``at`` of ``limit_usd``
        the spend in ``scope`` reaches (``session``, ``tier:<name>``, ``day``, ``month``; see
        :mod:`costpanel.guards`). Thresholds already passed fire now, on this thread. A float
        limit raises TypeError; any bad argument raises naming it, and no guard is made."""
        from .guards import Guard, GuardBook, parse_limit, parse_scope, parse_thresholds

        limit = parse_limit(limit_usd)
        kind, tier = parse_scope(scope)
        thresholds = parse_thresholds(at)
        if on_cross is not None and not callable(on_cross):
            raise TypeError(f"on_cross must be callable (or None), got {type(on_cross).__name__} {on_cross!r}")
        while True:
            with self._lock:
                book = self._guards
                if book is None:
                    book = self._guards = GuardBook(self)
            guard = Guard(book, kind, tier, limit, thresholds, on_cross)
            if book.add(guard):
                return guard

    def guards(self) -> tuple[Guard, ...]:
        """The guards attached (not closed), oldest first."""
        book = self._guards
        return book.guards if book is not None else ()

    def _drop_guards(self, book: GuardBook) -> None:
        """The last guard closed: record() goes back to paying nothing for guards."""
        with self._lock, book.lock:
            if not book.guards and self._guards is book:
                book.dropped = True
                self._guards = None

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

    def _ledger_overflow(self, event: Event) -> None:
        try:
            self.ledger.overflow(event)  # type: ignore[union-attr]
        except RuntimeError as exc:  # a closed ledger: the call was set aside; one line says where
            import logging

            logging.getLogger(__name__).warning("costpanel: warning: %s", exc)
        except Exception:  # never raised on the hot path
            self._subscriber_failed(self.ledger.append, event)  # type: ignore[union-attr]

    def _notify(self, events: tuple[Event, ...]) -> None:
        queue = self._ledger_queue
        if queue is not None:  # as record() does: append, and past the limit the ledger decides
            for event in events:
                queue.append(event)
                if len(queue) > self.ledger.accept_limit:  # type: ignore[union-attr]
                    self._ledger_overflow(event)
        for callback in self._subscribers:
            for event in events:
                try:
                    callback(event)
                except Exception:  # a broken listener must not break the agent's hot path
                    self._subscriber_failed(callback, event)

    @staticmethod
    def _subscriber_failed(callback: Subscriber, event: Event) -> None:
        import logging  # only on this rare path: keeps `import costpanel` light

        logging.getLogger(__name__).exception("costpanel subscriber %r failed on event %r", callback, event)

    @contextmanager
    def attempt(self, tier: str = DEFAULT_TIER, session: str | None = None, source: str = API,
                project: str = NO_PROJECT) -> Iterator[Attempt]:
        """A model call that may be superseded by a fallback.

        Usage recorded on the attempt is pending until the block ends: committed on a normal exit
        (or ``a.commit()``), discarded on an exception (or ``a.discard()``). Discarded calls are
        shown apart in the snapshot, never silently dropped. ``source`` and ``project`` (as
        :meth:`record` takes them) apply to the attempt's calls unless ``Attempt.record`` names others.
        A call under an ``event_id`` counted already is a ``duplicate`` (not held) unless it has more
        tokens; then it replaces the counted call when the attempt commits, as :meth:`record` would.
        """
        check_label("tier", tier)
        check_label("session", session, optional=True)
        self._check_origin(source, project)
        a = Attempt(self, tier, session, source, project)
        try:
            yield a
        except BaseException:
            if a.open:
                a.discard()
            raise
        if a.open:
            a.commit()

    # -- attempt support ----------------------------------------------------------------------------
    def hold(self, held: HeldCall, event_id: str | None) -> tuple[str, bool | None]:
        """Count a call as pending; returns the session it would land in, and what its event id
        does: None (new, claimed for it), False (counted already with as many tokens or more, or
        pending: a duplicate, not held), True (counted with fewer tokens: held, and on commit it
        replaces that call, as :meth:`record` does)."""
        with self._lock:
            state = self._state
            replaces: bool | None = None
            if event_id is not None:
                earlier = state.seen_ids.get(event_id)
                if earlier is None:
                    state.seen_ids[event_id] = HELD
                elif earlier and held.usage.total_tokens > earlier[1].total_tokens:
                    replaces = True  # the counted call stays counted until this one commits
                else:
                    return state.id, False
            state.pending_calls += 1
            state.pending_units += held.cost or 0
            state.locked_changes += 1
            return state.id, replaces

    def finish_attempt(self, held: list[tuple[HeldCall, str | None]], tier: str, session: str | None,
                       keep: bool, replacing: frozenset[int] = frozenset()) -> tuple[Event, ...]:
        """Move an attempt's pending calls into the totals (keep) or the discarded figures.
        ``replacing``: the indexes of calls whose id was counted with fewer tokens (see :meth:`hold`):
        kept, they replace that call (or are duplicates if it has grown since); discarded, it stays."""
        state = self._state
        shard = getattr(self._local, "shard", None)
        if keep and (shard is None or shard.session is not state):
            shard = self._shard(state)
        upserts: list[tuple[int, HeldCall, str]] = []
        with self._lock:
            state = self._state
            for k, (h, event_id) in enumerate(held):
                state.pending_calls -= 1
                state.pending_units -= h.cost or 0
                pair = (tier, h.key)
                state.add_model(h.key, (h.entry.id, h.entry.provider, h.entry.priced_by) if h.entry is not None
                                else NO_META)
                if keep and k in replacing and event_id is not None:
                    upserts.append((k, h, event_id))  # counted below, as record() counts a final line
                    continue
                if keep:
                    # a reset since this thread's shard was made: the session's retired shard takes it
                    cells = shard.cells if shard is not None and shard.session is state else state.retired.cells
                    cells[pair] = add_to_cell(cells.get(pair, ZERO_CELL), h.usage, h.cost)
                    if h.variant is not None:  # (under the lock already)
                        state.variants.setdefault(pair, set()).add(h.variant)
                    state.place(tier, h.ts, h.cost or 0, h.usage.total_tokens)
                    if event_id is not None and state.seen_ids.get(event_id) == HELD:
                        state.seen_ids[event_id] = (pair, h.usage, h.cost, h.ts)  # now a later final may replace it
                else:
                    state.discarded[pair] = add_to_cell(state.discarded.get(pair, ZERO_CELL), h.usage, h.cost)
                    if event_id is not None and k not in replacing:  # (a replacer's id is the counted call's: kept)
                        state.seen_ids.pop(event_id, None)  # a retry under the same id may count
            state.locked_changes += 1
            sess = session or state.id
        status = COMMITTED if keep else DISCARDED
        events = [h.event(tier, sess, event_id, status) for h, event_id in held]
        for k, h, event_id in upserts:
            events[k] = self._upsert_held(state, h, tier, sess, event_id)
        upserted = {k for k, _, _ in upserts}  # (they notified their subscribers themselves)
        counted = tuple(e for k, e in enumerate(events) if k not in upserted)
        if counted and (self._subscribers or self._ledger_queue is not None):
            self._notify(counted)
        guards = self._guards
        if keep and guards is not None and counted:
            guards.count_events(counted)
        return tuple(events)

    def _upsert_held(self, state: SessionState, h: HeldCall, tier: str, session: str, event_id: str) -> Event:
        """An attempt's call committed under an id counted before with fewer tokens: it replaces that
        call (status ``replaced``), or, when the id has as many tokens by now, is a duplicate."""
        pair = (tier, h.key)
        event = h.event(tier, session, event_id, REPLACED)
        with self._lock:
            earlier = state.seen_ids.get(event_id)
            if not earlier or h.usage.total_tokens <= earlier[1].total_tokens:
                return event._replace(status=DUPLICATE)
            state.seen_ids[event_id] = (pair, h.usage, h.cost, h.ts)
        return self._replace(state, earlier, event, pair, h.entry, True)
