"""Budget guards as the user sees them: ``--guard`` specs, texts, the crossings so far, and desktop
notices at 80 % and 100 %.

Shared by ``costpanel demo`` / ``watch`` (panel and headless); no Dear PyGui here. A guard's
``on_cross`` runs on the thread that recorded the call, so :meth:`GuardAlerts.on_cross` only
appends a line and queues a notice: it never waits.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from .guards import DAY, MONTH, SESSION, TIER_PREFIX, parse_limit, parse_scope
from .money import format_usd

if TYPE_CHECKING:
    from .guards import Crossing, Guard, GuardState
    from .notify import DesktopNotices

NOTIFY_FROM = Decimal("0.8")  # thresholds worth interrupting the user for: 80 % and past the limit
SPEC_EXAMPLES = "e.g. 5, 5.50@session, 2@tier:Tier 3, 20@day, 300@month"
_KEPT = 50  # crossings kept for display


class GuardSpec(NamedTuple):
    limit: Decimal
    scope: str


def parse_guard_spec(text: str) -> GuardSpec:
    """``AMOUNT[@SCOPE]`` as typed after ``--guard``: the amount as :meth:`CostTracker.guard` takes
    it, the scope ``session`` (the default), ``tier:<name>``, ``day`` or ``month``. Raises
    ValueError naming the text."""
    amount, at, scope = text.partition("@")
    scope = scope.strip() if at else SESSION
    try:
        limit = parse_limit(amount.strip())
        parse_scope(scope)
    except (TypeError, ValueError) as exc:
        why = str(exc).replace("limit_usd", "the amount")  # the API's name for it means nothing here
        raise ValueError(f"--guard {text!r}: {why} ({SPEC_EXAMPLES})") from None
    return GuardSpec(limit, scope)


def scope_name(scope: str) -> str:
    """``the session budget``, ``the Tier 3 budget``, ``today's budget``, ``this month's budget``."""
    if scope == SESSION:
        return "the session budget"
    if scope == DAY:
        return "today's budget"
    if scope == MONTH:
        return "this month's budget"
    return f"the {scope.removeprefix(TIER_PREFIX)} budget"


def percent(threshold: Decimal) -> str:
    return f"{(threshold * 100).normalize():f}%"  # as every other percent costpanel shows


def scope_title(scope: str) -> str:
    """``Session budget``, ``Tier 3 budget``, ``Today's budget``, ``This month's budget``."""
    name = scope_name(scope).removeprefix("the ")
    return name[0].upper() + name[1:]


def crossing_text(c: Crossing) -> str:
    """One line: ``80% of the session budget: $8.10 of $10.00 spent``, ``Session budget reached: …``;
    a threshold already passed when the guard was set says so."""
    if c.threshold == 1:
        what = f"{scope_title(c.scope)} reached"
    elif c.threshold > 1:
        what = f"{scope_title(c.scope)} exceeded by {percent(c.threshold - 1)}"
    else:
        what = f"{percent(c.threshold)} of {scope_name(c.scope)}"
    late = " (already passed when the guard was set)" if c.event is None else ""
    return f"{what}: {format_usd(c.spent)} of {format_usd(c.limit)} spent{late}"


def notice_for(c: Crossing) -> tuple[str, str] | None:
    """(title, message) of a desktop notice for crossings from 80 %, else None."""
    if c.threshold < NOTIFY_FROM:
        return None
    title = "costpanel: budget reached" if c.threshold >= 1 else f"costpanel: {percent(c.threshold)} of a budget"
    return title, crossing_text(c)


class GuardLine(NamedTuple):
    """A guard as one row of the panel or of the terminal."""

    scope: str  # "Session", "Tier 3", "Today", "This month"
    spent: str
    limit: str
    percent: str  # of the limit, whole percent rounded down ("100%" only once reached)
    state: str  # "ok", "50%", "80%", "exceeded"
    level: int  # 0 ok, 1 past the first threshold below 80 %, 2 from 80 %, 3 reached


def guard_line(state: GuardState) -> GuardLine:
    scope = {SESSION: "Session", DAY: "Today", MONTH: "This month"}.get(state.scope,
                                                                        state.scope.removeprefix(TIER_PREFIX))
    share = int(state.spent * 100 // state.limit)
    if state.exceeded:
        level, label = 3, "exceeded"
    elif state.crossed:
        top = state.crossed[-1]
        level, label = (2 if top >= NOTIFY_FROM else 1), percent(top)
    else:
        level, label = 0, "ok"
    return GuardLine(scope, format_usd(state.spent), format_usd(state.limit), f"{share:,}%", label, level)


def guard_lines(guards: Iterable[Guard]) -> list[GuardLine]:
    return [guard_line(g.state()) for g in guards]


class GuardAlerts:
    """Collects crossings for display and sends desktop notices for those from 80 %."""

    def __init__(self, notices: DesktopNotices | None = None) -> None:
        self.notices = notices
        self._lines: deque[str] = deque(maxlen=_KEPT)
        self._scopes: deque[str] = deque(maxlen=_KEPT)  # each line's guard (its scope), in step with _lines
        self._lock = threading.Lock()
        self.count = 0  # crossings seen (the panel redraws its notice when this changes)

    def on_cross(self, crossing: Crossing) -> None:
        text = crossing_text(crossing)
        with self._lock:
            self._lines.append(text)
            self._scopes.append(crossing.scope)
            self.count += 1
        notice = notice_for(crossing)
        if notice is not None and self.notices is not None:
            self.notices.send(*notice)

    def lines(self) -> list[str]:
        """The crossings so far, oldest first (the last :data:`_KEPT`)."""
        with self._lock:
            return list(self._lines)

    def entries(self) -> list[tuple[str, str]]:
        """(guard scope, line) of the crossings so far, oldest first: a notice per guard keeps its latest."""
        with self._lock:
            return list(zip(self._scopes, self._lines))

    def latest(self) -> str | None:
        with self._lock:
            return self._lines[-1] if self._lines else None

    def problem(self) -> str | None:
        """Why desktop notices cannot be shown, once one was tried (or the extra is missing)."""
        return None if self.notices is None else self.notices.problem

    def close(self) -> None:
        if self.notices is not None:
            self.notices.close()


def attach(tracker: object, specs: Iterable[GuardSpec], alerts: GuardAlerts) -> list[Guard]:
    """The guards of ``specs`` on ``tracker``, reporting to ``alerts``."""
    return [tracker.guard(spec.limit, scope=spec.scope, on_cross=alerts.on_cross)  # type: ignore[attr-defined]
            for spec in specs]
