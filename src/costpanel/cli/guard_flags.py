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


def guards_table(tracker: Any) -> Any:
    """The guards' state as a rich table."""
    from rich.table import Table

    from ..guard_alerts import guard_lines

    table = Table(title="Budget guards", title_justify="left")
    for col in ("Scope", "Spent", "Limit", "Used", "State"):
        table.add_column(col, justify="left" if col in ("Scope", "State") else "right")
    for line in guard_lines(tracker.guards()):
        table.add_row(line.scope, line.spent, line.limit, line.percent, line.state)
    return table


def print_guards(tracker: Any, alerts: Any) -> None:
    """The guards' state, then each crossing in the order found."""
    out = console()
    out.print(guards_table(tracker))
    for text in alerts.lines():
        out.print(f"guard: {text}")

