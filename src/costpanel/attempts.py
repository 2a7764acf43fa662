"""Fallback attempts: a model call whose usage counts only if the attempt is committed."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from .events import DUPLICATE, PENDING, Event
from .labels import check_label
from .usage import Usage

if TYPE_CHECKING:
    from .pricing.catalog import ModelEntry
    from .tracker import CostTracker


class HeldCall(NamedTuple):
    """A validated, priced call that has not been counted yet."""

    model: str  # as given
    key: str  # row key: catalog id, or the name given when unknown
    entry: ModelEntry | None
    usage: Usage
    cost: int | None
    ts: float
    variant: str | None = None  # canonical, the name's implied variant included
    priced_by: str | None = None  # what priced it; None when unpriced
    source: str = "api"  # where it came from (validated)
    project: str = ""  # its project (validated); "" when none

    def event(self, tier: str, session: str, event_id: str | None, status: str, approximate: bool = False) -> Event:
        """This call as the :class:`Event` of ``status`` (pending, committed, discarded)."""
        entry = self.entry
        return Event(self.model, None if entry is None else entry.id, None if entry is None else entry.provider, tier,
                     session, self.usage, self.cost, self.ts, event_id, status, self.variant, self.priced_by,
                     self.source, self.project, approximate)


class Attempt:
    """Calls of one logical model call that may fail over; see :meth:`CostTracker.attempt`."""

    def __init__(self, tracker: CostTracker, tier: str, session: str | None, source: str = "api",
                 project: str = "") -> None:
        self._tracker = tracker
        self.tier = tier
        self.session = session
        self.source = source
        self.project = project
        self._held: list[tuple[HeldCall, str | None]] = []
        self._replacing: set[int] = set()  # indexes in _held of calls replacing one counted with fewer tokens
        self._lock = threading.Lock()
        self.open = True
        self.events: tuple[Event, ...] = ()

    def record(self, model: str, usage: Usage | Mapping[str, int], *, event_id: str | None = None, at: dt.datetime | None = None,
               variant: str | None = None, source: str | None = None, project: str | None = None) -> Event:
        """Record a call of this attempt; pending until commit or discard. ``source`` and ``project``
        default to the attempt's (see :meth:`CostTracker.record`)."""
        check_label("event_id", event_id, optional=True)
        held = self._tracker.price(model, usage, self.tier, at, variant, self.source if source is None else source,
                                   self.project if project is None else project)
        with self._lock:
            if not self.open:
                raise RuntimeError("this attempt is already finished; open a new one")
            session, replaces = self._tracker.hold(held, event_id)
            if replaces is False:  # its id counted with as many tokens (or pending): as record() says it
                return held.event(self.tier, self.session or session, event_id, DUPLICATE)
            if replaces:
                self._replacing.add(len(self._held))
            self._held.append((held, event_id))
        return held.event(self.tier, self.session or session, event_id, PENDING)

    def _finish(self, keep: bool) -> tuple[Event, ...]:
        with self._lock:
            if not self.open:
                raise RuntimeError("this attempt is already finished")
            self.open = False
            held, self._held = self._held, []
            replacing, self._replacing = frozenset(self._replacing), set()
        self.events = self._tracker.finish_attempt(held, self.tier, self.session, keep, replacing)
        return self.events

    def commit(self) -> tuple[Event, ...]:
        """Count this attempt's calls in the totals."""
        return self._finish(True)

    def discard(self) -> tuple[Event, ...]:
        """Move this attempt's calls to the discarded figures (not in the totals)."""
        return self._finish(False)
