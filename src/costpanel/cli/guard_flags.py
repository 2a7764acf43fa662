"""``--guard`` for ``demo`` and ``watch``: the guards on the tracker, and how their state and
crossings are printed in a terminal."""

from __future__ import annotations

from typing import Any

from .output import console


def guard_alerts(tracker: Any, specs: list[Any], *, notify: bool) -> Any:
    """The ``--guard`` guards on ``tracker`` and what reports their crossings (None without any):
    desktop notices from 80 % when ``notify`` (a window: the panel may be hidden behind others)."""
    if not specs:
        return None
    from ..guard_alerts import GuardAlerts, attach

    notices = None
    if notify:
        from ..notify import DesktopNotices, available

        notices = DesktopNotices() if available() else None
    alerts = GuardAlerts(notices)
    attach(tracker, specs, alerts)
    return alerts


def guards_table(tracker: Any, width: int) -> Any:
    """The guards' state as a rich table fitted to ``width`` columns."""
    from rich.markup import escape

    from ..guard_alerts import guard_lines
    from .tables import Col, build

    cols = [Col(c, name=c in ("Scope", "State")) for c in ("Scope", "Spent", "Limit", "Used", "State")]
    rows = [[escape(line.scope), line.spent, line.limit, line.percent, line.state]
            for line in guard_lines(tracker.guards())]
    return build("Budget guards", cols, rows, width)[0]


def print_guards(tracker: Any, alerts: Any) -> None:
    """The guards' state, then each crossing in the order found."""
    out = console()
    out.print(guards_table(tracker, out.width))
    for text in alerts.lines():
        out.print(f"guard: {text}")

