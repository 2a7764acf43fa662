"""CostPanel: the live view of a tracker. Only the thread that owns the Dear PyGui context calls it.

Each frame ``update()`` takes one snapshot if the tracker's version changed (or once a second for
the clock), turns it into texts with the view model, and writes only the cells whose text changed.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg

from ..budgets import budget_conflict, parse_budget
from ..export import write_export
from ..money import usd_str
from ..paths import config_dir, data_dir
from ..snapshot import Snapshot
from ..tracker import CostTracker

if TYPE_CHECKING:
    from ..guard_alerts import GuardAlerts
from . import layout
from .settings import PanelSettings, load_settings, save_settings, settings_path
from .tags import Tags
from . import fonts, geometry, ticks
from .budget import BudgetNotice
from .palette import PALETTES
from .chart import ChartView
from .decide import DecideTabs
from .theme import Themes, build_themes, style_theme
from .viewmodel import (ALL_SOURCES, ROUNDED_NOTE, STANDARD_TIERS, TABLE_LABELS, TABLES, PanelView, RowView, WatchFeed,
                        build_view)
from .whatif_pane import WhatIfPane

CLOCK_REFRESH_S = 1.0  # elapsed time and burn rate move even when no call arrives
TABLE_REFRESH_S = 1 / 15  # rows: faster than anyone reads, slower than the frame rate
FILTER_MIN_PX, FILTER_MAX_PX = 260, 720  # the Show filter's width at 100 %: its least, and its most
DETAIL_REFRESH_S = 0.5  # tooltips (hidden until hovered) and the chart, the costliest widget to feed
RESET_DIALOG_PX = 460  # the Reset dialog's width at 100 % (its text wraps within it)
HISTORY_REFRESH_S = 5.0  # the ledger only changes a few times a second; history is not live-critical
DATA_GRACE_S = 2.0  # full data frame rate for this long after the last new call
INPUT_GRACE_S = 1.0  # full frame rate for this long after the last mouse or key event
_UNSET = object()


def _stamp(path: Path | None) -> tuple[int, int, int] | None:
    """(inode, size, mtime ns) of a file, None when there is none: tells a newly written file."""
    try:
        st = path.stat()  # type: ignore[union-attr]
    except (OSError, AttributeError):
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


class CostPanel:
    """``CostPanel(tracker).run()`` owns a viewport and its loop; ``build(parent)`` + ``update()``
    each frame embeds it in an application that already runs Dear PyGui."""

    def __init__(
        self,
        tracker: CostTracker,
        *,
        budget: Decimal | None = None,
        settings: PanelSettings | None = None,
        export_dir: Path | None = None,
        persist_settings: bool = True,
        table_refresh_s: float = TABLE_REFRESH_S,
        detail_refresh_s: float = DETAIL_REFRESH_S,
        feed: WatchFeed | None = None,
        alerts: GuardAlerts | None = None,
    ) -> None:
        """``feed``: the panel shows a watched session (`costpanel watch`): the tiers it has instead
        of Tier 1-4, a Sources line and a filter by source or project (each its own tracker).
        ``alerts``: where the tracker's budget guards report crossings (shown as notices, and in
        the Guards tab with the guards' state)."""
        self.tracker = tracker
        self.alerts = alerts
        self._crossings_seen = 0
        self.decide: DecideTabs | None = None
        self.feed = feed
        self.shown = ALL_SOURCES  # the filter's choice; its tracker is the one on screen
        self.standard_tiers = () if feed is not None else STANDARD_TIERS
        self._choices: list[str] = []
        self._choice_names: dict[str, str] = {}  # the filter's items as shown -> source / project names
        self._last_sources = 0.0
        self.settings = settings if settings is not None else load_settings()
        self.persist_settings = persist_settings
        self.budget = budget if budget is not None else self.settings.budget_usd
        if budget is not None:
            self._remember(budget_usd=budget)
        self.export_dir = export_dir or data_dir() / "exports"
        self.budget_notice = BudgetNotice()
        self.chart: ChartView | None = None
        self.scale = min(max(round(self.settings.font_scale * 100), geometry.MIN_SCALE), geometry.MAX_SCALE)
        self._plans: dict[str, geometry.TablePlan] = {}
        self._geometry_key: tuple[object, ...] = ()
        self._cjk = fonts.cjk_font_file()
        self._ui_metrics = fonts.metrics(fonts.ui_font_file())
        self._cjk_metrics = fonts.metrics(self._cjk) if self._cjk is not None else None
        self.glyphs = fonts.default_glyphs() if self._cjk_metrics is None else \
            fonts.Glyphs(fonts.covered_by(self._ui_metrics, self._cjk_metrics))
        self.tags = Tags()
        self.widgets: layout.Widgets | None = None
        self.themes: Themes | None = None
        self.view: PanelView | None = None
        self.snapshot: Snapshot | None = None
        self.notices: list[str] = []
        self._ok_notices: set[str] = set()  # notices that report something done, not a problem
        self._notice_about: dict[str, str] = {}  # what a notice is about (a guard) -> the notice shown for it
        self.set_value_calls = 0  # cells actually written: a bench/test figure
        self.settings_error: str | None = None  # why the settings could not be saved at the end, if so
        self._values: dict[Any, Any] = {}
        self._seen_version: int | None = None
        self.table_refresh_s = table_refresh_s
        self.detail_refresh_s = detail_refresh_s
        self._last_refresh = self._last_tables = self._last_details = 0.0
        self._tables_version: int | None = None
        self._details_version: int | None = None
        self._active_tab: object = None
        self._owns_window = True
        self._config_dir = str(config_dir())  # shown in the unpriced tooltip; looked up once
        self._palette = PALETTES["dark"]
        self._last_data = 0.0
        self._pairs_tab: tuple[object, ...] = ()
        self._history_tab: tuple[object, ...] = ()
        self._models_tab: tuple[object, ...] = ()
        self._last_rows: dict[str, list[RowView]] = {}  # what each table was last refreshed with
        self.history_range = "7d"
        self.history: Any = None  # the last HistoryView shown
        self._history_due = 0.0  # monotonic time of the next History refresh
        self._history_conn: Any = None
        self._ledger_error: str | None = None
        self._dirty = True
        self._last_input = 0.0
        self._sort_columns: dict[int, tuple[str, str]] = {}

    # -- building -----------------------------------------------------------------------------------
    def build(self, parent: int | str | None = None) -> int | str:
        """Create the widgets (under ``parent``, or in a new window). Needs a Dear PyGui context.

        Embedded in another application (a ``parent`` given), the panel's theme applies to the panel
        only and the global font scale is left to the host; with ``parent=None`` (and in
        :meth:`run`) the panel owns the window and sets both. Hosts should run Dear PyGui with
        ``configure_app(manual_callback_management=True)`` and ``run_callbacks(...)`` in their loop,
        so the panel's buttons run on the main thread like ``update()``.
        """
        self._owns_window = parent is None
        actions = layout.Actions(
            reset_requested=self.request_reset, reset_confirmed=self.confirm_reset,
            reset_cancelled=self.cancel_reset, export=self.export, set_budget=self.set_budget,
            theme=self.set_theme, font_scale=self.set_font_scale, sort=self.on_sort,
            dismiss_alerts=self.dismiss_alerts, dismiss_budget=self.dismiss_budget_notice,
            chart_mode=self.set_chart_mode, history_range=self.set_history_range,
            history_export=self.export_history, history_budgets=self.set_history_budgets,
            source_filter=self.set_source_filter,
        )
        self.themes = build_themes(self.tags)
        self.widgets = layout.build(self.tags, actions, parent, theme_name=self.settings.theme,
                                    font_scale=self.settings.font_scale, standard_tiers=self.standard_tiers,
                                    watched=self.feed is not None)
        self.chart = ChartView(self.widgets, self.tags, self.standard_tiers, self.glyphs)
        ledger = self.tracker.ledger
        self.decide = DecideTabs(self.tags, WhatIfPane(self.tracker.catalog, ledger.path if ledger is not None else None),
                                 self.tracker.guards, self.alerts)
        self.decide.build(self.tags("tabs"))
        pairs = self.tags("tab", "pairs")
        self._pairs_tab = (pairs, dpg.get_alias_id(pairs))
        models = self.tags("tab", "models")
        self._models_tab = (models, dpg.get_alias_id(models))
        history = self.tags("tab", "history")
        self._history_tab = (history, dpg.get_alias_id(history))
        for name, columns in TABLES.items():
            for c, col in enumerate(columns):
                self._sort_columns[dpg.get_alias_id(self.tags(name, "col", c))] = (name, col.key)
        if self.budget is not None:
            dpg.set_value(self.widgets.budget_input, usd_str(self.budget))
        kept = (f"The history stays in the ledger ({self.tracker.ledger.path})." if self.tracker.ledger is not None
                else "Without a ledger, this session's figures are gone for good.")
        dpg.set_value(self.tags("reset", "text"), f"Start a new session? The current totals go to zero.\n{kept}")
        self.set_font_scale(f"{self.scale}%")
        self.set_theme(self.settings.theme)
        self._dirty = True
        return self.widgets.root

    # -- per frame ----------------------------------------------------------------------------------
    def update(self, *, force: bool = False) -> bool:
        """Refresh from the tracker; returns True when new data arrived since the last call.

        The header follows every frame, except that while a table is on screen it moves together
        with the table rows, at most ``table_refresh_s`` apart (numbers that change 60 times a
        second cannot be read anyway, and the total must agree with the rows beneath it); tooltips
        and the chart at most ``detail_refresh_s`` apart; tables on a hidden tab not at all until
        it is shown.
        """
        w = self.widgets
        if w is None:
            raise RuntimeError("call build() before update()")
        self._fit()
        now = time.monotonic()
        shown = self.shown_tracker()
        version = shown.version
        visible = self._visible_tables()
        if self._active_tab in self._history_tab and (force or now >= self._history_due):
            self.refresh_history()
        self._apply_crossings()
        if self.decide is not None and self.decide.shows(self._active_tab):
            self.decide.update(shown.snapshot() if self.snapshot is None or version != self.snapshot.version
                               else self.snapshot, self._active_tab)
        everything = force or self._dirty
        data_changed = everything or version != self._seen_version
        if not (data_changed or now - self._last_refresh >= CLOCK_REFRESH_S or version != self._tables_version):
            self._catch_up_rows()
            return False
        tables_due = everything or (version != self._tables_version and now - self._last_tables >= self.table_refresh_s)
        if visible and not tables_due and version != self._tables_version:
            # New calls, but the tables on screen are not due yet: the header waits for them, so
            # the total and the rows beneath it always come from one snapshot (they agree exactly).
            self._catch_up_rows()
            return True
        details_due = everything or (version != self._details_version and now - self._last_details >= self.detail_refresh_s)
        snap = shown.snapshot()
        view = build_view(snap, budget=self.budget, sort=self.settings.sort, config_dir=self._config_dir,
                          chart=details_due, tables=visible if tables_due else (), standard_tiers=self.standard_tiers,
                          glyphs=self.glyphs, since_midnight=self.feed is not None)
        self.snapshot, self.view = snap, view
        self._seen_version, self._last_refresh, self._dirty = snap.version, now, False
        self._apply_header(view)
        if everything or now - self._last_sources >= DETAIL_REFRESH_S:  # sums every file's counts: not each frame
            self._apply_sources()
            self._last_sources = now
        self._apply_budget(view)
        self._check_ledger()
        if tables_due:
            for name, rows in view.tables.items():
                self._apply_rows(w.pools[name], rows, tooltips=details_due, everything=everything)
                self._last_rows[name] = rows
                if name in TABLE_LABELS:  # says so when its rows, rounded, do not add up to the total shown
                    self._set(self.tags("label", name), TABLE_LABELS[name] + (ROUNDED_NOTE if name in view.rounded else ""))
                elif name == "discarded":  # heading and table only when a fallback attempt was discarded
                    self._configure(self.tags("label", name), show=bool(rows))
                    self._configure(self.tags(name, "table"), show=bool(rows))
            self._tables_version, self._last_tables = snap.version, now
        if details_due:
            assert self.chart is not None
            self.chart.apply(view.chart, self._palette, drawing=(id(shown), snap.session),
                             title=view.chart_title if view.chart else None)
            self._cell_font(self.tags("plot"), "".join(self.widgets.series))  # the legend names the tiers
            self._details_version, self._last_details = snap.version, now
        return data_changed

    def _visible_tables(self) -> tuple[str, ...]:
        """Tables on the active tab; switching tabs refreshes the newly shown ones at once."""
        active = dpg.get_value(self.tags("tabs"))
        if active != self._active_tab:
            self._active_tab = active
            self._dirty = True
            self._history_due = 0.0
        if active in self._history_tab or (self.decide is not None and self.decide.shows(active)):
            return ()
        if active in self._models_tab:
            return ("models",)
        return ("pairs", "discarded") if active in self._pairs_tab else ("tiers",)

    def _set(self, item: Any, value: Any) -> None:
        if self._values.get(item) != value:
            dpg.set_value(item, value)
            self._values[item] = value
            self.set_value_calls += 1

    def _configure(self, item: Any, **options: Any) -> None:
        changed = {k: v for k, v in options.items() if self._values.get((item, k), _UNSET) != v}
        if changed:
            dpg.configure_item(item, **changed)
            self._values.update(((item, k), v) for k, v in changed.items())
            self.set_value_calls += 1

    def _apply_header(self, view: PanelView) -> None:
        w = self.widgets
        assert w is not None
        h = view.header
        self._set(w.big_cost, h.cost)
        self._set(w.big_cost_tip, f"{h.cost_exact}\nsession {h.session}")
        for name, tag in w.header.items():
            self._set(tag, getattr(h, name))
        for name, tag in w.notices.items():
            text = getattr(h, name)
            if name == "unpriced":  # model names: a CJK one is drawn in the CJK system font
                self._cell_font(tag, text)
            self._set(tag, text)
            self._configure(tag, show=bool(text),
                            color=(*(self._palette.unpriced if name == "unpriced" else self._palette.muted), 255))

    def shown_tracker(self) -> CostTracker:
        """The tracker on screen: the whole session, or the filter's source or project."""
        if self.feed is None or self.shown == ALL_SOURCES:
            return self.tracker
        return self.feed.get(self.shown) or self.tracker

    def _apply_sources(self) -> None:
        w = self.widgets
        if self.feed is None or w is None or w.sources is None:
            return
        # Paths and project names may be CJK (a home folder's name): drawn in the CJK font when
        # there is one, as code points when not (never boxes).
        text = self.glyphs(self.feed.sources_text())
        self._cell_font(w.sources, text)
        self._set(w.sources, text)
        if w.sources_tip is not None:
            tip = self.glyphs(self.feed.bad_lines_text())
            self._cell_font(w.sources_tip, tip)
            self._set(w.sources_tip, tip)
            dpg.configure_item(dpg.get_item_parent(w.sources_tip), show=bool(tip))
        choices = self.feed.choices()
        if choices != self._choices:
            self._choices = choices
            self._choice_names = {self.glyphs(name): name for name in choices}  # what is shown -> the name
            dpg.configure_item(w.source_filter, items=list(self._choice_names))
            self._set(w.source_filter, self.glyphs(self.shown))
        # As wide as its longest choice (a project path), up to a limit: a chosen name is never cut
        # where the list shows it whole. At the scale's font size, so again after a scale change.
        font = self._cell_font(w.source_filter, "".join(self._choice_names))
        st = self._style
        widest = max((font.width(n, st.font) for n in self._choice_names), default=0.0)
        self._configure(w.source_filter, width=int(min(max(FILTER_MIN_PX * st.scale, widest + 3 * st.font),
                                                        FILTER_MAX_PX * st.scale)))

    def _history_summary(self) -> str:
        """History's summary line; with the filter on one source or project, it says History is the
        whole ledger's (the filter shows the live views only)."""
        text = self.history.summary if self.history is not None else ""
        if self.shown != ALL_SOURCES and text:
            text += "  (every source: the filter applies to the live views)"
        return text

    def set_source_filter(self, name: str) -> None:
        """Show one source or project (or all): the next frame redraws everything from its tracker."""
        name = self._choice_names.get(name, name)  # the filter gives what it shows (code points, maybe)
        self.shown = name if self.feed is not None and (name == ALL_SOURCES or self.feed.get(name)) else ALL_SOURCES
        self._dirty = True
        self._seen_version = self._tables_version = self._details_version = None
        self._last_rows = {}
        if self.widgets is not None:
            if self.widgets.source_filter is not None:  # a stale choice falls back to all: say so
                dpg.set_value(self.widgets.source_filter, self.glyphs(self.shown))
                self._values[self.widgets.source_filter] = self.glyphs(self.shown)
            if self.widgets.history is not None and self.history is not None:
                self._set(self.widgets.history.summary, self._history_summary())
        # (the chart drops the previous choice's lines itself: its next apply draws another tracker)

    def _apply_budget(self, view: PanelView) -> None:
        w = self.widgets
        assert w is not None and self.themes is not None
        status = view.budget
        notice = self.budget_notice.update(status)
        self._set(self.tags("budget", "notice"), notice)
        self._configure(self.tags("budget", "notice", "group"), show=bool(notice))
        self._configure(w.budget_bar, show=status is not None)  # an empty bar looked like a second input box
        if status is None:
            self._set(w.budget_bar, 0.0)
            self._set(w.budget_label, "no budget")
            return
        self._set(w.budget_bar, min(status.fraction, 1.0))
        self._set(w.budget_label, f"{status.percent:,}%  {status.amounts}, {status.left}")
        level_text = self._palette.level_text[status.level]
        self._configure(self.tags("budget", "notice"), color=(*level_text, 255))
        theme = self.themes.budget[self._palette.name][status.level]
        if self._values.get((w.budget_bar, "bound theme")) != theme:
            dpg.bind_item_theme(w.budget_bar, theme)
            self._values[(w.budget_bar, "bound theme")] = theme

    def dismiss_budget_notice(self) -> None:
        """Hide the budget notice until a higher threshold is crossed."""
        self.budget_notice.dismiss()
        if self.widgets is not None:
            self._configure(self.tags("budget", "notice", "group"), show=False)

    def _apply_rows(self, pool: layout.RowPool, rows: list[RowView], *, tooltips: bool = True,
                    everything: bool = False) -> None:
        """Write the rows a user can see (a scrolled table shows about ten of forty), plus two on
        either side for scrolling; rows out of sight are marked stale and written when they
        come into view (:meth:`_catch_up_rows`)."""
        pool.ensure(len(rows))
        lo, hi = (0, len(rows)) if everything else self._rows_in_view(pool, len(rows))
        pool.stale.clear()
        for k, pooled in enumerate(pool.rows):
            if k >= len(rows):
                self._configure(pooled.tag, show=False)
                continue
            self._configure(pooled.tag, show=True)
            if lo <= k < hi:
                self._write_row(pool, k, rows[k], tooltips)
            else:
                pool.stale.add(k)

    def _write_row(self, pool: layout.RowPool, k: int, row: RowView, tooltips: bool = True) -> None:
        pooled = pool.rows[k]
        texts, tips = row.cells, row.tooltips
        plan = self._plans.get(pool.name)
        widths = {c: plan.widths[key] for c, key in pool.fitted if key in plan.widths} if plan is not None else {}
        models_at = next((c for c, key in pool.fitted if key == "models"), -1) if pool.name == "tiers" else -1
        for c, cell in enumerate(pooled.cells):
            text = texts[c]
            width = widths.get(c)
            if width is not None and c == models_at and len(row.names) > 1:  # a tier's models: as many whole names as fit
                text = fonts.fit_names(list(row.names), width, self._cell_font(cell, tips[c] or text), self._style.font)
            elif width is not None:  # free text cut to its column with "…"; the tooltip has it whole
                text = fonts.fit(text, width, self._cell_font(cell, text), self._style.font)
            self._set(cell, text)
            tip = pooled.tips[c]
            if tooltips and tip is not None:
                self._set(tip, tips[c] or texts[c])
        name_cell = pooled.cells[0] if pool.name in ("tiers", "models") else pooled.cells[1]
        self._configure(name_cell, color=(*self._palette.unpriced, 255) if row.unpriced else (-255, 0, 0, 255))

    def _cell_font(self, cell: Any, text: str) -> fonts.FontMetrics:
        """A free-text cell (model, tier, provider) with characters Roboto lacks is drawn in the CJK
        system font (when there is one), every other cell in Roboto: returns the metrics of the
        font the cell is drawn in."""
        if self._cjk is None or self._cjk_metrics is None or self.themes is None:
            return self._ui_metrics
        cjk = not all(self._ui_metrics.covers(ord(ch)) for ch in text)
        font = self.themes.extra_font(self._cjk, self.scale, self._style) if cjk else \
            self.themes.fonts_for(self.scale, self._style)[0]
        if self._values.get((cell, "font")) != font:
            dpg.bind_item_font(cell, font)
            self._values[(cell, "font")] = font
        return self._cjk_metrics if cjk else self._ui_metrics

    def _catch_up_rows(self) -> None:
        """Rows skipped while out of view, written as soon as they scroll into view."""
        if self.widgets is None:
            return
        for name, rows in self._last_rows.items():
            pool = self.widgets.pools[name]
            for k in [k for k in pool.stale if k < len(rows) and dpg.is_item_visible(pool.rows[k].cells[0])]:
                for near in range(max(0, k - 2), min(len(rows), k + 3)):  # and its neighbours
                    if near in pool.stale:
                        self._write_row(pool, near, rows[near])
                        pool.stale.discard(near)

    def _rows_in_view(self, pool: layout.RowPool, n: int) -> tuple[int, int]:
        if not pool.scrolls:
            return 0, n
        seen = [k for k in range(min(n, len(pool.rows))) if dpg.is_item_visible(pool.rows[k].cells[0])]
        if not seen:  # not rendered yet (or no viewport at all): write everything
            return 0, n
        return max(0, seen[0] - 2), seen[-1] + 3

    def set_chart_mode(self, mode: str) -> None:
        """Cost per tier as lines or stacked areas."""
        if mode in layout.CHART_MODES and self.chart is not None:
            self.chart.mode = mode
            self._set(self.tags("chart", "mode"), mode)
            self._details_version = None
            self._dirty = True

    # -- fitting the window --------------------------------------------------------------------------
    def _window_size(self) -> tuple[int, int]:
        if self._owns_window:
            try:
                width, height = dpg.get_viewport_client_width(), dpg.get_viewport_client_height()
                if width > 0 and height > 0:
                    return width, height
            except Exception:  # no viewport yet (headless tests): the settings' size
                pass
        elif self.widgets is not None:
            width, height = dpg.get_item_rect_size(self.widgets.root)
            if width > 0:
                return int(width), int(height or self.settings.height)
        return self.settings.width, self.settings.height

    def _fit(self) -> None:
        """Columns, name widths and heights for the window's size and scale (when either changed)."""
        w = self.widgets
        if w is None:
            return
        width, height = self._window_size()
        rows = len(self._last_rows.get("models", ()))
        plot_y = dpg.get_item_pos(self.tags("plot"))[1] if self._owns_window else 0
        # A table reports no position: its label's, plus one line, is where it starts.
        label_y = dpg.get_item_pos(self.tags("label", "models"))[1] if self._owns_window else 0
        models_y = label_y + self._style.font + round(6 * self._style.scale) if label_y > 0 else 0
        key = (width, height, self.scale, rows, plot_y, models_y)
        if key == self._geometry_key:
            return
        self._geometry_key = key
        st = self._style
        for name in TABLES:
            plan = geometry.plan_table(name, width, self._ui_metrics, st)
            if self._plans.get(name) != plan:
                self._plans[name] = plan
                for c, col in enumerate(TABLES[name]):
                    # `enabled`, not `show`: Dear PyGui hides a table column only when it is disabled;
                    # a fixed column takes a new width from `init_width_or_weight` (`width` is ignored)
                    tag = self.tags(name, "col", c)
                    self._configure(tag, enabled=col.key in plan.shown)
                    if col.key in plan.shown and col.key != plan.name_key:
                        self._configure(tag, init_width_or_weight=float(int(plan.widths[col.key])))
                self._last_rows.pop(name, None)
                self._dirty = True  # names are cut to the new width on the next refresh
        self._wrap_controls(geometry.row_width("controls", self._ui_metrics, self._ui_metrics, st)
                            > width - 2 * st.window_pad)
        bottom = st.window_pad + round(4 * st.scale)  # the window's bottom padding, and a little air
        if plot_y > 0:  # the chart fills the Overview tab under the tier table
            self._configure(self.tags("plot"), height=int(geometry.chart_height(height - plot_y - bottom, st)))
        if models_y > 0:  # as tall as its rows, within the Models tab
            table = geometry.models_table_height(rows, height - models_y - bottom - st.item_spacing, st)
            self._configure(self.tags("models", "table"), height=int(table))

    def _wrap_controls(self, wrap: bool) -> None:
        """Theme, Scale and Chart on a row of their own when the buttons' row cannot hold them."""
        view, wrapped = self.tags("controls", "view"), self.tags("controls", "wrapped")
        if not dpg.does_item_exist(view) or (_item_id(dpg.get_item_parent(view)) == _item_id(wrapped)) == wrap:
            return
        dpg.move_item(view, parent=wrapped if wrap else self.tags("controls"))
        dpg.configure_item(wrapped, show=wrap)
        dpg.configure_item(self.tags("gap", "controls"), show=not wrap)
        self._geometry_key = None  # the chart starts a row lower (or higher): measured again next frame

    # -- actions (run on the main thread: callbacks are queued and run by the loop) ------------------
    def notify(self, message: str, about: str | None = None, *, ok: bool = False) -> None:
        """Show ``message`` (the last four stay, dismissible); one ``about`` the same thing as an
        earlier notice (a guard) takes its place instead of stacking under it. ``ok``: it reports
        something done (an export saved): shown in the text colour unless a warning is on screen."""
        if ok:
            self._ok_notices.add(message)
        if about is not None:
            self._notice_about = {k: v for k, v in self._notice_about.items() if v in self.notices}
            old = self._notice_about.get(about)
            if old is not None and old in self.notices:
                self.notices.remove(old)
            self._notice_about[about] = message
        self.notices = [*self.notices[-3:], message]
        self._show_notices()

    def _show_notices(self) -> None:
        """The notices line as ``notices`` says: their text and colour, or hidden when there are none."""
        self._ok_notices &= set(self.notices)
        w = self.widgets
        if w is None:
            return
        if self.notices:
            self._set(w.alert_text, "\n".join(self.notices))
            self._paint_notices()
        self._configure(w.alert_group, show=bool(self.notices))

    def notices_ok(self) -> bool:
        """Whether every notice on screen reports something done (none is a failure or a guard)."""
        return all(n in self._ok_notices for n in self.notices)

    def _paint_notices(self) -> None:
        colour = self._palette.text if self.notices_ok() else self._palette.notice
        dpg.configure_item(self.widgets.alert_text, color=(*colour, 255))  # type: ignore[union-attr]

    def _apply_crossings(self) -> None:
        """A guard's new crossing becomes a notice (dismissible; the Guards tab keeps them all): its
        latest only, so one call that crosses 50 %, 80 % and 100 % of a guard reads once, reached."""
        alerts = self.alerts
        if alerts is not None and alerts.count != self._crossings_seen:
            new = alerts.count - self._crossings_seen
            self._crossings_seen = alerts.count
            for scope, text in alerts.entries()[-new:]:  # every crossing since the last frame, in order
                self.notify(f"Guard: {text}", about=f"guard:{scope}")

    def dismiss_alerts(self) -> None:
        self.notices = []
        self._show_notices()

    def request_reset(self) -> None:
        if self.widgets is not None:
            width, height = self._window_size()  # centred across, a third of the way down
            dpg.configure_item(self.widgets.reset_modal, show=True,
                               pos=(max(0, (width - self._reset_dialog_width()) // 2), max(0, height // 3 - 60)))

    def _reset_dialog_width(self) -> int:
        return int(RESET_DIALOG_PX * self._style.scale)

    def cancel_reset(self) -> None:
        if self.widgets is not None:
            dpg.configure_item(self.widgets.reset_modal, show=False)

    def confirm_reset(self) -> None:
        """Start a new session; the next update shows zeros."""
        self.tracker.reset()
        if self.feed is not None:  # the filter's trackers start over with it, and the Sources line's counts
            self.feed.mark_reset()
            for name in self.feed.names():
                view = self.feed.get(name)
                if view is not None:
                    view.reset()
        self.budget_notice.rearm()
        self.cancel_reset()
        self._dirty = True

    def export(self, fmt: str) -> Path | None:
        """Write the view on screen (the filter's source or project, if one is chosen) to a file."""
        try:
            path = write_export(self.shown_tracker().snapshot(), self.export_dir, fmt)  # type: ignore[arg-type]
        except OSError as exc:
            self.notify(f"Export failed: {exc}")
            return None
        only = "" if self.shown == ALL_SOURCES else f" ({self.glyphs(self.shown)} only)"
        self.notify(f"Saved {fmt.upper()}{only}: {path}", ok=True)
        return path

    def set_budget(self, text: str) -> None:
        try:
            budget = parse_budget(text)
        except ValueError as exc:
            self.notify(f"Budget not changed: {exc}", about="budget")  # the same mistake twice reads once
            return
        self.budget = budget
        self._remember(budget_usd=budget)
        self.budget_notice.rearm()
        self._drop_notice("budget")  # an earlier refusal no longer applies; guards' and exports' notices stay
        self._dirty = True

    def _drop_notice(self, about: str) -> None:
        old = self._notice_about.pop(about, None)
        if old is None or old not in self.notices:
            return
        self.notices.remove(old)
        self._show_notices()

    def set_theme(self, name: str) -> None:
        if self.themes is None or name not in PALETTES:
            return
        self._palette = PALETTES[name]
        self._bind_look()
        self._values = {k: v for k, v in self._values.items() if not (isinstance(k, tuple) and k[1:] == ("color",))}
        if self.widgets is not None:
            self._values.pop((self.widgets.budget_bar, "bound theme"), None)
        self._dirty = True  # rewrite colours for the new background
        if self.widgets is not None:
            self._set(self.widgets.theme_toggle, name)
        self._remember(theme=name)

    @property
    def _style(self) -> geometry.Style:
        return geometry.style(self.scale)

    def set_font_scale(self, label: str) -> None:
        """``"150%"``: text rasterised at that size (crisp), paddings and widths scaled with it."""
        try:
            scale = int(str(label).strip().rstrip("%"))
        except ValueError:
            return
        if not geometry.MIN_SCALE <= scale <= geometry.MAX_SCALE:
            return
        self.scale = scale
        if self.widgets is not None and self.themes is not None:
            self._bind_look()
            st = self._style
            # The dialog grows with its text (a long ledger path wraps, the buttons keep their labels)
            modal_width = self._reset_dialog_width()
            dpg.configure_item(self.widgets.reset_modal, width=modal_width, autosize=True)
            dpg.configure_item(self.tags("reset", "text"), wrap=modal_width - 2 * int(st.window_pad) - 4)
            for button in (self.tags("reset", "confirm"), self.tags("reset", "cancel")):
                dpg.configure_item(button, width=int(90 * st.scale))
            w = geometry.WIDGETS
            for tag, width in ((self.widgets.budget_input, w["budget_input"]), (self.widgets.budget_bar, w["budget_bar"]),
                               (self.widgets.theme_toggle, w["theme"]), (self.widgets.font_scale, w["scale"]),
                               (self.tags("chart", "mode"), w["chart"]), (self.tags("gap", "header"), geometry.HEADER_GAP),
                               (self.tags("gap", "controls"), geometry.HEADER_GAP),
                               (self.tags("whatif", "target"), w["whatif_target"]),
                               (self.tags("whatif", "scope"), w["whatif_scope"])):
                if dpg.does_item_exist(tag):  # (the What if tab is there once built)
                    dpg.configure_item(tag, width=int(width * st.scale))
            self._set(self.widgets.font_scale, f"{scale}%")
            self._geometry_key = ()
            self._dirty = True
        self._remember(font_scale=scale / 100)

    def _bind_look(self) -> None:
        """Colours, sizes and fonts of the current theme and scale: on the whole app when the panel
        owns the window, on the panel's own items when it is embedded (the host keeps its look)."""
        if self.themes is None or self.widgets is None:
            return
        st = self._style
        look = style_theme(self.tags, self._palette, st)
        text_font, big_font = self.themes.fonts_for(self.scale, st)
        if self._owns_window:
            dpg.bind_theme(look)
            dpg.bind_font(text_font)
        else:
            dpg.bind_item_theme(self.widgets.root, look)
            dpg.bind_item_font(self.widgets.root, text_font)
        self.themes.current = look
        dpg.bind_item_font(self.widgets.big_cost, big_font)
        muted = (*self._palette.muted, 255)
        for tag in (self.tags("label", "tiers"), self.tags("label", "models"), self.tags("header", "burn", "label")):
            dpg.configure_item(tag, color=muted)
        self._paint_notices()

    def on_sort(self, table: str, sort_specs: object) -> None:
        """Dear PyGui reports [[column id, direction]]; rows are ordered by the view model."""
        spec = None
        if isinstance(sort_specs, (list, tuple)) and sort_specs:
            column, direction = sort_specs[0]
            name, key = self._sort_columns.get(column, (table, ""))
            if key:
                spec = (key, direction < 0)
        sort = dict(self.settings.sort)
        if spec is None:
            sort.pop(table, None)
        else:
            sort[table] = spec
        self._remember(sort=sort)
        self._dirty = True

    def _remember(self, **values: Any) -> None:
        """Keep a setting for the next run; one the settings refuse is used now but not saved."""
        try:
            self.settings = self.settings.model_validate({**self.settings.model_dump(), **values})
        except ValueError:
            pass

    def _check_ledger(self) -> None:
        """A ledger that cannot write is said on screen, once per new error (it keeps retrying)."""
        ledger = self.tracker.ledger
        if ledger is None:
            return
        health = ledger.health()
        if not health.ok and health.last_error != self._ledger_error:
            self.notify(f"Ledger cannot write ({health.queued:,} calls waiting, kept in memory and retried): "
                        f"{health.last_error}")
        self._ledger_error = health.last_error

    # -- History tab (reads the ledger on this thread, with its own read-only connection) -----------
    def refresh_history(self) -> None:
        from .history import HALF_DAY, history_view

        w = self.widgets
        assert w is not None and w.history is not None and self.themes is not None
        self._history_due = time.monotonic() + HISTORY_REFRESH_S
        h = w.history
        ledger = self.tracker.ledger
        if ledger is None:
            self._set(h.summary, "No ledger: this watch runs with --no-ledger, so it keeps no history."
                      if self.feed is not None else
                      "No ledger: history needs CostTracker(ledger=True) (costpanel demo keeps one).")
            return
        try:
            if self._history_conn is None:
                from .history import open_history

                ledger.flush(timeout=5)
                self._history_conn = open_history(ledger.path)
            view = history_view(self._history_conn, self.history_range)
        except Exception as exc:  # a history problem must not take the live view down
            self._set(h.summary, f"History unavailable: {exc}")
            return
        self.history = view
        self._set(h.summary, self._history_summary())
        for tag, line in zip((self.tags("history", "daily"), self.tags("history", "monthly")), view.budgets):
            if line.status is not None and not dpg.get_value(tag):
                dpg.set_value(tag, usd_str(line.status.budget))
        for bar, label, line, text in zip(h.budget_bars, h.budget_labels, view.budgets, view.budget_texts):
            self._set(label, text)
            status = line.status
            self._set(bar, 0.0 if status is None else min(status.fraction, 1.0))
            if status is not None:  # its percentage is in the label beside it, once
                dpg.bind_item_theme(bar, self.themes.budget[self._palette.name][status.level])
        dpg.set_value(h.bars, [view.bars[0], view.bars[1]])
        dpg.set_value(h.trend, [view.trend[0], view.trend[1]])
        dpg.set_axis_limits(h.plot_x, *view.days_shown)
        first_noon, last_noon = view.days_shown[0] + HALF_DAY, view.days_shown[1] - HALF_DAY
        clock = self.chart.clock if self.chart is not None else ticks.clock_from_locale()
        dpg.set_axis_ticks(h.plot_x, tuple(ticks.day_ticks(first_noon, last_noon, clock)))  # the locale's days
        self._configure(self.tags("history", "plot"), height=int(layout.HISTORY_PLOT_HEIGHT * self.scale / 100))
        top = max([*view.bars[1], *view.trend[1], 0.0])
        y_hi = top * 1.15 if top > 0 else 1.0  # headroom for the tallest bar
        dpg.set_axis_limits(h.plot_y, 0.0, y_hi)
        dpg.set_axis_ticks(h.plot_y, tuple(ticks.money_ticks(0.0, y_hi)))  # $ with units, never 8e+07
        for name, rows in view.tables.items():
            pool = h.pools[name]
            pool.ensure(len(rows))
            for k, pooled in enumerate(pool.rows):
                self._configure(pooled.tag, show=k < len(rows))
                if k < len(rows):
                    for cell, text in zip(pooled.cells, rows[k]):
                        self._set(cell, text)

    def set_history_budgets(self, daily: str, monthly: str) -> None:
        """Daily and monthly budgets (``<config dir>/budgets.json``, shared with `costpanel budget`);
        an empty field removes that budget."""
        from ..ledger.budgets import Budgets, save_budgets

        try:
            budgets = Budgets(daily_usd=parse_budget(daily), monthly_usd=parse_budget(monthly))
            save_budgets(budgets)
        except ValueError as exc:
            self.notify(f"Budgets not changed: {exc}")
            return
        except OSError as exc:
            self.notify(f"Budgets not saved: {exc}")
            return
        warning = budget_conflict(budgets.daily_usd, budgets.monthly_usd)
        if warning:
            self.notify(f"Budgets saved; note: {warning}")
        self._history_due = 0.0

    def set_history_range(self, label: str) -> None:
        self.history_range = label
        self._history_due = 0.0

    def export_history(self, fmt: str) -> Path | None:
        """The History tab's range, grouped by day, as CSV or JSON in the export folder."""
        from ..ledger.queries import approximate_calls, discarded_total, parse_range, report
        from ..ledger.report_files import report_file
        from ..paths import ensure_private_dir, write_private_file

        if self.tracker.ledger is None or self._history_conn is None:
            self.notify("Export failed: no ledger to export from")
            return None
        span = parse_range(self.history_range)
        rows = report(self._history_conn, span, "day")
        data = report_file(fmt, span, "day", rows, discarded_total(self._history_conn, span),  # as `costpanel export`
                           approximate=approximate_calls(self._history_conn, span))
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        path = ensure_private_dir(self.export_dir) / f"costpanel-history-{self.history_range}-{stamp}.{fmt}"
        try:
            write_private_file(path, data)
        except OSError as exc:
            self.notify(f"Export failed: {exc}")
            return None
        self.notify(f"Saved {fmt.upper()}: {path}", ok=True)
        return path

    def on_input(self, *_: object) -> None:
        self._last_input = time.monotonic()

    # -- owning the viewport ---------------------------------------------------------------------------
    def save_settings(self) -> None:
        if not self.persist_settings:
            return
        update: dict[str, Any] = {}
        try:
            x, y = dpg.get_viewport_pos()
            update = {"width": dpg.get_viewport_width(), "height": dpg.get_viewport_height(), "x": int(x), "y": int(y)}
        except Exception:  # embedded, or the viewport is gone: keep the last known geometry
            pass
        try:
            self.settings = self.settings.model_validate({**self.settings.model_dump(), **update})
        except ValueError:
            pass  # a minimised window reports a size the settings refuse: keep the previous one
        try:
            save_settings(self.settings)
        except OSError as exc:  # a read-only or full config folder: the panel ran; say what was not kept
            import logging

            self.settings_error = f"panel settings not saved to {settings_path()}: {exc.strerror or exc}"
            # Kept in ``settings_error`` for the caller to show (the demo exits 1 with it); logged at
            # INFO so it is not said twice on a terminal.
            logging.getLogger(__name__).info("costpanel: %s", self.settings_error)

    def run(self, *, frames: int | None = None, screenshot: Path | None = None, fps: float = 60.0,
            data_fps: float = 24.0, idle_fps: float = 2.0, title: str = "costpanel",
            seconds: float | None = None, stop: threading.Event | None = None) -> None:
        """Open a viewport and render until it is closed (or for ``frames`` frames).

        ``fps`` while the user interacts (smooth scrolling and clicks), ``data_fps`` while only new
        data arrives (numbers stay live, and the agent's own threads keep the GIL more often), and
        ``idle_fps`` otherwise, so a panel left open costs little. With ``screenshot`` a PNG of the window is written before returning.
        """
        dpg.create_context()
        try:
            dpg.configure_app(manual_callback_management=True)
            self.build(None)
            with dpg.handler_registry():
                for add in (dpg.add_mouse_move_handler, dpg.add_mouse_click_handler,
                            dpg.add_mouse_wheel_handler, dpg.add_key_press_handler):
                    add(callback=self.on_input)
            s = self.settings
            dpg.create_viewport(title=title, width=s.width, height=s.height, x_pos=s.x, y_pos=s.y, vsync=False)
            dpg.setup_dearpygui()
            dpg.show_viewport()
            dpg.set_primary_window(self.tags("window"), True)
            self.loop(frames=frames, screenshot=screenshot, fps=fps, data_fps=data_fps, idle_fps=idle_fps,
                      seconds=seconds, stop=stop)
        finally:
            try:
                self.save_settings()
            finally:
                dpg.destroy_context()

    def loop(self, *, frames: int | None = None, screenshot: Path | None = None, fps: float = 60.0,
             data_fps: float = 24.0, idle_fps: float = 2.0, seconds: float | None = None,
             stop: threading.Event | None = None) -> int:
        """The render loop of :meth:`run` on an existing viewport; returns the frames rendered.
        Stops when the window closes, after ``frames`` frames, after ``seconds`` or once ``stop``
        is set (a signal handler sets it: SIGTERM ends a `costpanel watch` cleanly)."""
        shot_at = None if screenshot is None or frames is None else max(1, frames - 3)
        n = 0
        next_frame = start = time.monotonic()
        while dpg.is_dearpygui_running():
            if seconds is not None and time.monotonic() - start >= seconds:
                break
            if stop is not None and stop.is_set():
                break
            jobs = dpg.get_callback_queue()
            if jobs:
                dpg.run_callbacks(jobs)
            # The frames a screenshot is taken from refresh everything: the chart and tables, else up
            # to detail_refresh_s behind the header, would not add up to the total beside them.
            changed = self.update(force=shot_at is not None and n + 1 >= shot_at)
            dpg.render_dearpygui_frame()
            n += 1
            if shot_at is not None and n == shot_at:
                old = _stamp(screenshot)  # a file already there is not proof of this picture
                dpg.output_frame_buffer(file=str(screenshot))  # written on a later frame
            if frames is not None and n >= frames and (screenshot is None or _stamp(screenshot) not in (None, old)):
                break
            if frames is not None and n >= frames + 30:
                raise RuntimeError(f"screenshot {screenshot} was not written after {n} frames")
            now = time.monotonic()
            if changed:
                self._last_data = now
            if now - self._last_input < INPUT_GRACE_S:
                rate = fps
            else:  # calls arrive in bursts: stay at the data rate for a while after the last one
                rate = data_fps if now - self._last_data < DATA_GRACE_S else idle_fps
            next_frame += 1.0 / rate
            delay = next_frame - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_frame = time.monotonic()
        return n


_item_id = layout.item_id
