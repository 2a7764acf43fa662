"""The panel's What if and Guards tabs: widgets added to the panel's tab bar, filled from plain
Python (:mod:`.whatif_pane`, :mod:`costpanel.guard_alerts`) only while their tab is shown."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg

from ..guard_alerts import GuardLine, guard_lines
from .geometry import WIDGETS
from .tags import Tags
from .whatif_pane import SESSION, WhatIfPane, WhatIfView

if TYPE_CHECKING:
    from ..guard_alerts import GuardAlerts
    from ..snapshot import Snapshot

WHATIF_COLUMNS = ("Tier", "Target", "Calls", "Actual", "What if", "Difference", "%", "")
GUARD_COLUMNS = ("Scope", "Spent", "Limit", "Used", "State")
SCOPES = (SESSION, "today", "7d", "30d", "month", "all")
GUARDS_REFRESH_S = 0.25
NO_GUARDS = ("No budget guards. Add one with tracker.guard(5, on_cross=...) in your code, or "
             "costpanel demo|watch --guard 5 (session), --guard '2@tier:Tier 3', --guard 20@day.")


class DecideTabs:
    """Built once under the panel's tab bar; :meth:`update` each frame (cheap on other tabs)."""

    def __init__(self, tags: Tags, pane: WhatIfPane, guards: Callable[[], Sequence[Any]],
                 alerts: GuardAlerts | None = None) -> None:
        self.tags = tags
        self.pane = pane
        self.guards = guards
        self.alerts = alerts
        self.tabs: tuple[object, ...] = ()
        self._rows: list[list[str]] = []  # what-if table rows built so far (cell tags)
        self._tips: list[str] = []
        self._guard_rows: list[list[str]] = []
        self._shown: WhatIfView | None = None
        self._guards_due = 0.0
        self.last_guard_lines: list[GuardLine] = []

    # -- building ----------------------------------------------------------------------------------
    def build(self, tab_bar: int | str) -> None:
        t = self.tags
        with dpg.tab(label="What if", parent=tab_bar, tag=t("tab", "whatif")):
            with dpg.group(horizontal=True):
                dpg.add_text("Reprice on")
                dpg.add_combo(self.pane.choices(), tag=t("whatif", "target"), width=WIDGETS["whatif_target"],
                              callback=lambda s, a: self.pane.choose(a))
                dpg.add_text("over")
                dpg.add_combo(SCOPES, default_value=SESSION, tag=t("whatif", "scope"), width=WIDGETS["whatif_scope"],
                              callback=lambda s, a: self.pane.set_scope(a))
            dpg.add_text("", tag=t("whatif", "heading"), wrap=-1)
            with dpg.table(tag=t("whatif", "table"), header_row=True, row_background=True,
                           policy=dpg.mvTable_SizingStretchProp, borders_innerH=False):
                for c, label in enumerate(WHATIF_COLUMNS):
                    dpg.add_table_column(label=label, init_width_or_weight=2.0 if c < 2 else 1.0)
            dpg.add_text("", tag=t("whatif", "notes"), wrap=-1)
        with dpg.tab(label="Guards", parent=tab_bar, tag=t("tab", "guards")):
            dpg.add_text(NO_GUARDS, tag=t("guards", "none"), wrap=-1)
            with dpg.table(tag=t("guards", "table"), header_row=True, row_background=True,
                           policy=dpg.mvTable_SizingStretchProp, show=False):
                for label in GUARD_COLUMNS:
                    dpg.add_table_column(label=label)
            dpg.add_text("Crossings, latest last:", tag=t("guards", "crossings", "label"), show=False)
            dpg.add_text("", tag=t("guards", "crossings"), wrap=-1)
            dpg.add_text("", tag=t("guards", "problem"), wrap=-1)
        self.tabs = tuple(x for name in ("whatif", "guards")
                          for x in (t("tab", name), dpg.get_alias_id(t("tab", name))))

    def shows(self, active: object) -> bool:
        return active in self.tabs

    # -- per frame -----------------------------------------------------------------------------------
    def update(self, snapshot: Snapshot, active: object) -> None:
        if active in self.tabs[:2]:
            self._apply_whatif(self.pane.view(snapshot))
        elif active in self.tabs[2:]:
            now = time.monotonic()
            if now >= self._guards_due:
                self._apply_guards()
                self._guards_due = now + GUARDS_REFRESH_S

    def _apply_whatif(self, view: WhatIfView) -> None:
        if view is self._shown:
            return
        self._shown = view
        t = self.tags
        dpg.set_value(t("whatif", "heading"), view.error or view.heading)
        lines = view.tiers
        self._ensure(len(lines))
        for k, row in enumerate(self._rows):
            shown = k < len(lines)
            dpg.configure_item(t("whatif", "row", k), show=shown)
            if not shown:
                continue
            line = lines[k]
            for cell, text in zip(row, (line.label, line.target, line.calls, line.actual, line.what_if,
                                        line.difference, line.pct, line.flags), strict=True):
                dpg.set_value(cell, text)
            dpg.set_value(self._tips[k], line.tooltip or "")
            dpg.configure_item(t("whatif", "row", k, "tooltip"), show=bool(line.tooltip))
        dpg.set_value(t("whatif", "notes"), "\n".join(f"· {note}" for note in view.notes))

    def _ensure(self, n: int) -> None:
        t = self.tags
        while len(self._rows) < n:
            k = len(self._rows)
            with dpg.table_row(parent=t("whatif", "table"), tag=t("whatif", "row", k)):
                cells = [dpg.add_text("", tag=t("whatif", k, c)) for c in range(len(WHATIF_COLUMNS))]
            with dpg.tooltip(cells[0], tag=t("whatif", "row", k, "tooltip"), show=False):
                self._tips.append(dpg.add_text("", tag=t("whatif", k, "tip")))
            self._rows.append(cells)

    def _apply_guards(self) -> None:
        t = self.tags
        lines = guard_lines(self.guards())
        self.last_guard_lines = lines
        dpg.configure_item(t("guards", "none"), show=not lines)
        dpg.configure_item(t("guards", "table"), show=bool(lines))
        while len(self._guard_rows) < len(lines):
            k = len(self._guard_rows)
            with dpg.table_row(parent=t("guards", "table"), tag=t("guards", "row", k)):
                self._guard_rows.append([dpg.add_text("", tag=t("guards", k, c)) for c in range(len(GUARD_COLUMNS))])
        for k, row in enumerate(self._guard_rows):
            dpg.configure_item(t("guards", "row", k), show=k < len(lines))
            if k < len(lines):
                line = lines[k]
                for cell, text in zip(row, (line.scope, line.spent, line.limit, line.percent, line.state), strict=True):
                    dpg.set_value(cell, text)
        crossings = self.alerts.lines()[-8:] if self.alerts is not None else []
        dpg.configure_item(t("guards", "crossings", "label"), show=bool(crossings))
        dpg.set_value(t("guards", "crossings"), "\n".join(crossings))
        problem = self.alerts.problem() if self.alerts is not None else None
        dpg.set_value(t("guards", "problem"), problem or "")
