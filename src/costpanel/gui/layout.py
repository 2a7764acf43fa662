"""Builds the panel's widgets once; the panel then only sets values. Row pools grow when a new
tier or model appears, and never shrink (unused rows are hidden)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dearpygui.dearpygui as dpg

from .tags import Tags
from .geometry import HEADER_GAP, NAME_COLUMNS, WIDGETS
from .viewmodel import CHART_TITLE, STANDARD_TIERS, TABLE_LABELS, TABLES, Column

SCALE_CHOICES = ("100%", "125%", "150%", "175%", "200%")
CHART_MODES = ("Lines", "Stacked")
HEADER_FIELDS = ("tokens", "calls", "elapsed", "burn_5m", "burn_session", "projection")
MODEL_TABLE_HEIGHT = 260  # px at 100 %; scaled with the font
PLOT_HEIGHT = 200
HISTORY_PLOT_HEIGHT = 240  # at 100 %; the panel scales it with the text (bars under labels read at any scale)
NOTICE_FIELDS = ("unpriced", "pending", "discarded")
# The cost cell's tooltip carries every exact figure; name-like cells show their whole text (they
# are cut with "…" to their column).
TOOLTIP_COLUMNS = {"models", "model", "cost", "tier", "provider"}
FITTED_COLUMNS = {"models", "model", "tier", "provider"}  # free text, cut to the column's width


@dataclass
class PooledRow:
    tag: str
    cells: list[str]
    tips: list[str | None]  # text item inside the cell's tooltip, None when the column has none


@dataclass
class RowPool:
    """Pre-created table rows; ``ensure(n)`` adds rows when more are needed."""

    name: str
    table: str
    columns: tuple[Column, ...]
    tags: Tags
    scrolls: bool = False  # a scrolling table: only the rows in view are written
    rows: list[PooledRow] = field(default_factory=list)
    stale: set[int] = field(default_factory=set)  # rows not written at the last refresh (out of view)

    @property
    def fitted(self) -> tuple[tuple[int, str], ...]:
        """(index, key) of the columns whose free text is cut to the column's width."""
        return tuple((c, col.key) for c, col in enumerate(self.columns) if col.key in FITTED_COLUMNS)

    @property
    def name_index(self) -> int:
        """The column whose text is cut with "…" to fit (the model or models column)."""
        return next(c for c, col in enumerate(self.columns) if col.key == NAME_COLUMNS.get(self.name, "name")) \
            if self.name in NAME_COLUMNS else 0

    def ensure(self, n: int) -> None:
        while len(self.rows) < n:
            k = len(self.rows)
            row_tag = self.tags(self.name, "row", k)
            cells, tips = [], []
            with dpg.table_row(parent=self.table, tag=row_tag, show=False):
                for c, col in enumerate(self.columns):
                    cell = dpg.add_text("", tag=self.tags(self.name, k, c))
                    cells.append(cell)
                    if col.key in TOOLTIP_COLUMNS:
                        with dpg.tooltip(cell, tag=self.tags(self.name, k, c, "tooltip")):
                            tips.append(dpg.add_text("", tag=self.tags(self.name, k, c, "tip")))
                    else:
                        tips.append(None)
            self.rows.append(PooledRow(row_tag, cells, tips))


@dataclass
class Widgets:
    root: int | str
    big_cost: str
    big_cost_tip: str
    header: dict[str, str]
    notices: dict[str, str]
    alert_text: str
    alert_group: str
    budget_input: str
    budget_bar: str
    budget_label: str
    pools: dict[str, RowPool]
    plot_y: str
    plot_x: str
    series: dict[str, str]
    reset_modal: str
    theme_toggle: str
    font_scale: str
    history: HistoryWidgets | None = None
    areas: dict[str, str] = field(default_factory=dict)  # stacked view: a shaded band per tier
    sources: str | None = None  # the Sources line of a panel fed by `costpanel watch`
    sources_tip: str | None = None  # its tooltip: the first bad lines, by file and line
    source_filter: str | None = None  # its source/project filter (a combo)


@dataclass
class HistoryWidgets:
    range_combo: str
    summary: str
    budget_bars: list[str]
    budget_labels: list[str]
    bars: str
    plot_x: str
    plot_y: str
    pools: dict[str, RowPool]
    trend: str  # the 7-day moving average, a line over the bars


@dataclass(frozen=True)
class Actions:
    """Callbacks the layout wires to widgets (implemented by the panel)."""

    reset_requested: Callable[[], None]
    reset_confirmed: Callable[[], None]
    reset_cancelled: Callable[[], None]
    export: Callable[[str], None]
    set_budget: Callable[[str], None]
    theme: Callable[[str], None]
    font_scale: Callable[[str], None]
    sort: Callable[[str, object], None]
    dismiss_alerts: Callable[[], None]
    dismiss_budget: Callable[[], None]
    chart_mode: Callable[[str], None]
    history_range: Callable[[str], None]
    history_export: Callable[[str], None]
    history_budgets: Callable[[str, str], None]
    source_filter: Callable[[str], None] = lambda name: None


# The column a table's rows come sorted by before the user picks one, where it is not the first:
# its header shows the sort arrow (the models come costliest first, not by name).
DEFAULT_SORT = {"models": "cost"}


def _table(t: Tags, name: str, parent: int | str, on_sort: Callable[[str, object], None], height: int) -> str:
    tag = t(name, "table")
    # Not resizable: fixed columns then fit their content every frame (geometry.py sizes the window
    # for the widest figures), and the name column stretches over the rest. No list clipper: it
    # counts the pool's hidden rows too, so a table whose rows all fit showed a scroll bar over
    # empty space (the panel writes only the rows in view anyway: panel._rows_in_view).
    with dpg.table(tag=tag, parent=parent, header_row=True, sortable=True, resizable=False,
                   policy=dpg.mvTable_SizingFixedFit, row_background=True, borders_innerH=False,
                   borders_outerH=True, borders_innerV=False, borders_outerV=True, scrollY=height > 0,
                   height=height, freeze_rows=1, callback=lambda sender, app_data: on_sort(name, app_data)):
        for c, col in enumerate(TABLES[name]):
            stretch = col.key == NAME_COLUMNS[name]
            dpg.add_table_column(label=col.label, tag=t(name, "col", c), width_stretch=stretch, width_fixed=not stretch,
                                 init_width_or_weight=1.0 if stretch else 0.0, default_sort=col.key == DEFAULT_SORT.get(name),
                                 prefer_sort_descending=col.numeric, prefer_sort_ascending=not col.numeric)
    return tag


def build(t: Tags, actions: Actions, parent: int | str | None, *, theme_name: str, font_scale: float,
          standard_tiers: Sequence[str] = STANDARD_TIERS, watched: bool = False) -> Widgets:
    """All widgets of one panel under ``parent`` (a new window when None); ``watched``: a panel fed
    by `costpanel watch`, with a Sources line and a source/project filter."""
    if parent is None:
        parent = dpg.add_window(tag=t("window"), label="costpanel", no_title_bar=True, no_collapse=True)
    root = dpg.add_group(parent=parent, tag=t("root"))

    # Header: the session cost in large type (Roboto Medium, bound by the panel), the figures beside it.
    with dpg.group(horizontal=True, parent=root):
        with dpg.group(tag=t("big", "group")):
            big = dpg.add_text("$0.00", tag=t("big", "cost"))
        with dpg.tooltip(t("big", "group")):
            big_tip = dpg.add_text("", tag=t("big", "tip"))
        dpg.add_spacer(width=HEADER_GAP, tag=t("gap", "header"))
        with dpg.group():
            with dpg.group(horizontal=True):
                header = {}
                for k in HEADER_FIELDS[:3]:
                    header[k] = dpg.add_text("", tag=t("header", k))
            with dpg.group(horizontal=True):
                dpg.add_text("Burn rate", tag=t("header", "burn", "label"))
                for k in HEADER_FIELDS[3:5]:
                    header[k] = dpg.add_text("", tag=t("header", k))
            header["projection"] = dpg.add_text("", tag=t("header", "projection"))
    notices = {k: dpg.add_text("", tag=t("notice", k), parent=root, show=False) for k in NOTICE_FIELDS}
    sources = source_filter = sources_tip = None
    if watched:
        with dpg.group(horizontal=True, parent=root):
            dpg.add_text("Show")
            source_filter = dpg.add_combo((), width=260, tag=t("sources", "filter"),
                                          callback=lambda s, a: actions.source_filter(a))
            sources = dpg.add_text("", tag=t("sources", "line"), wrap=0)  # wraps at the window's edge, never cut
            with dpg.tooltip(sources, tag=t("sources", "tooltip"), show=False):  # shown once there are bad lines
                sources_tip = dpg.add_text("", tag=t("sources", "tip"), wrap=900)

    # Budget: one percentage, beside the bar (text over the bar's fill could not keep its contrast).
    with dpg.group(horizontal=True, parent=root):
        dpg.add_text("Budget $")
        budget_input = dpg.add_input_text(tag=t("budget", "input"), width=WIDGETS["budget_input"], hint="none", on_enter=True,
                                          callback=lambda s, a: actions.set_budget(a))
        dpg.add_button(label="Set", tag=t("budget", "set"),
                       callback=lambda: actions.set_budget(dpg.get_value(budget_input)))
        budget_bar = dpg.add_progress_bar(tag=t("budget", "bar"), default_value=0.0, width=WIDGETS["budget_bar"],
                                          overlay="")
        budget_label = dpg.add_text("no budget", tag=t("budget", "label"))
    with dpg.group(horizontal=True, parent=root, tag=t("budget", "notice", "group"), show=False):
        dpg.add_text("", tag=t("budget", "notice"))
        dpg.add_button(label="Dismiss", tag=t("budget", "dismiss"), callback=lambda: actions.dismiss_budget())
    with dpg.group(horizontal=True, parent=root, tag=t("controls")):
        dpg.add_button(label="Reset", tag=t("button", "reset"), callback=lambda: actions.reset_requested())
        dpg.add_button(label="Export CSV", tag=t("button", "csv"), callback=lambda: actions.export("csv"))
        dpg.add_button(label="Export JSON", tag=t("button", "json"), callback=lambda: actions.export("json"))
        dpg.add_spacer(width=HEADER_GAP, tag=t("gap", "controls"))
        with dpg.group(horizontal=True, tag=t("controls", "view")):  # moves to the next row when this one is full
            dpg.add_text("Theme")
            theme_toggle = dpg.add_combo(("dark", "light"), default_value=theme_name, width=WIDGETS["theme"],
                                         tag=t("theme"), callback=lambda s, a: actions.theme(a))
            dpg.add_text("Scale")
            font = dpg.add_combo(SCALE_CHOICES, default_value=f"{round(font_scale * 100)}%", width=WIDGETS["scale"],
                                 tag=t("font"), callback=lambda s, a: actions.font_scale(a))
            dpg.add_text("Chart")
            dpg.add_combo(CHART_MODES, default_value=CHART_MODES[0], width=WIDGETS["chart"], tag=t("chart", "mode"),
                          callback=lambda s, a: actions.chart_mode(a))
    # the view's controls, when the row above cannot hold them (175 % and 200 % in a 1280 px window)
    dpg.add_group(horizontal=True, parent=root, tag=t("controls", "wrapped"), show=False)
    with dpg.group(horizontal=True, parent=root, tag=t("alerts"), show=False) as alert_group:
        alert_text = dpg.add_text("", tag=t("alerts", "text"))
        dpg.add_button(label="Dismiss", tag=t("alerts", "dismiss"), callback=lambda: actions.dismiss_alerts())

    # Tables and chart.
    pools: dict[str, RowPool] = {}
    with dpg.tab_bar(parent=root, tag=t("tabs")):
        with dpg.tab(label="Overview", tag=t("tab", "overview")) as overview:
            dpg.add_text(TABLE_LABELS["tiers"], tag=t("label", "tiers"), wrap=0)
            pools["tiers"] = RowPool("tiers", _table(t, "tiers", overview, actions.sort, 0), TABLES["tiers"], t)
            # Software rendering pays per pixel: no vertical grid lines or mouse read-out, which
            # cost several milliseconds a frame under llvmpipe for little reading value. Ticks are
            # set by the panel (ticks.py): local wall-clock times, money with units.
            with dpg.plot(tag=t("plot"), height=PLOT_HEIGHT, width=-1, label=CHART_TITLE, no_mouse_pos=True,
                          no_menus=True):
                dpg.add_plot_legend(location=dpg.mvPlot_Location_East, outside=True)  # beside: height is scarcer
                plot_x = dpg.add_plot_axis(dpg.mvXAxis, tag=t("plot", "x"), no_gridlines=True)
                plot_y = dpg.add_plot_axis(dpg.mvYAxis, tag=t("plot", "y"))
        with dpg.tab(label="Models", tag=t("tab", "models")) as models_tab:
            dpg.add_text(TABLE_LABELS["models"], tag=t("label", "models"), wrap=0)
            pools["models"] = RowPool("models", _table(t, "models", models_tab, actions.sort, MODEL_TABLE_HEIGHT),
                                      TABLES["models"], t, scrolls=True)
        with dpg.tab(label="Tier \u00d7 model", tag=t("tab", "pairs")) as pairs:
            pools["pairs"] = RowPool("pairs", _table(t, "pairs", pairs, actions.sort, 0), TABLES["pairs"], t)
            # shown only when there are some (an empty table under a heading read as something missing)
            dpg.add_text("Discarded fallback attempts (spent, not in the total)", tag=t("label", "discarded"), show=False)
            pools["discarded"] = RowPool("discarded", _table(t, "discarded", pairs, actions.sort, 0),
                                         TABLES["discarded"], t)
            dpg.configure_item(t("discarded", "table"), show=False)
        with dpg.tab(label="History", tag=t("tab", "history")) as history_tab:
            history = _history(t, actions, history_tab)
        # What-if and guards views go in further tabs here (issue 12, sections 2 and 3).
    pools["tiers"].ensure(6)
    pools["models"].ensure(16)
    pools["pairs"].ensure(24)
    pools["discarded"].ensure(4)

    # Reset confirmation.
    with dpg.window(label="Reset session?", modal=True, show=False, tag=t("reset", "modal"), no_resize=True,
                    width=380, height=120, pos=(300, 200)) as modal:
        dpg.add_text("Start a new session? The current totals go to zero.", tag=t("reset", "text"))
        with dpg.group(horizontal=True):
            dpg.add_button(label="Reset", tag=t("reset", "confirm"), width=90, callback=lambda: actions.reset_confirmed())
            dpg.add_button(label="Cancel", tag=t("reset", "cancel"), width=90, callback=lambda: actions.reset_cancelled())

    widgets = Widgets(
        root=root, big_cost=big, big_cost_tip=big_tip, header=header, notices=notices,
        alert_text=alert_text, alert_group=alert_group, budget_input=budget_input, budget_bar=budget_bar,
        budget_label=budget_label, pools=pools, plot_y=plot_y, plot_x=plot_x, series={}, reset_modal=modal,
        theme_toggle=theme_toggle, font_scale=font, history=history, sources=sources, sources_tip=sources_tip, source_filter=source_filter,
    )
    # The total first: drawn beneath the tiers (and wider, theme.TOTAL_WEIGHT), so a session's only
    # tier, on top of it, shows, and so does the total around it; the legend lists it first.
    for label in ("Total", *standard_tiers):
        ensure_series(widgets, t, label)
    return widgets


HISTORY_TABLE_COLUMNS = (Column("name", "Name", False), Column("calls", "Calls"), Column("htokens", "Tokens"),
                         Column("hcost", "Cost"), Column("unpriced", "Unpriced calls"))


def _history(t: Tags, actions: Actions, parent: int | str) -> HistoryWidgets:
    """The History tab: range, budgets, daily cost bars, by-model and by-tier tables (from the ledger)."""
    from .history import HISTORY_RANGES

    with dpg.group(horizontal=True, parent=parent):
        dpg.add_text("Range")
        combo = dpg.add_combo(HISTORY_RANGES, default_value="7d", width=90, tag=t("history", "range"),
                              callback=lambda s, a: actions.history_range(a))
        dpg.add_button(label="Export CSV", tag=t("history", "csv"), callback=lambda: actions.history_export("csv"))
        dpg.add_button(label="Export JSON", tag=t("history", "json"), callback=lambda: actions.history_export("json"))
        dpg.add_spacer(width=20)
        dpg.add_text("Budgets: daily $")
        daily = dpg.add_input_text(tag=t("history", "daily"), width=80, hint="none", on_enter=True)
        dpg.add_text("monthly $")
        monthly = dpg.add_input_text(tag=t("history", "monthly"), width=80, hint="none", on_enter=True)
        dpg.add_button(label="Set budgets", tag=t("history", "set"),
                       callback=lambda: actions.history_budgets(dpg.get_value(daily), dpg.get_value(monthly)))
    summary = dpg.add_text("", tag=t("history", "summary"), parent=parent, wrap=0)
    bars, labels = [], []
    for period in ("daily", "monthly"):
        with dpg.group(horizontal=True, parent=parent):
            bars.append(dpg.add_progress_bar(tag=t("history", "budget", period), width=220, default_value=0.0,
                                             overlay=""))  # the label beside it has the percentage
            labels.append(dpg.add_text("", tag=t("history", "budget", period, "label"), wrap=0))  # wraps at the edge
    with dpg.plot(tag=t("history", "plot"), height=HISTORY_PLOT_HEIGHT, width=-1, label="Cost per day (local days)",
                  parent=parent, no_mouse_pos=True):
        # beside the plot, as the Overview's (inside, it sat among the bars); days labelled by ticks.day_ticks
        dpg.add_plot_legend(location=dpg.mvPlot_Location_East, outside=True)
        x = dpg.add_plot_axis(dpg.mvXAxis, tag=t("history", "x"), no_gridlines=True)
        y = dpg.add_plot_axis(dpg.mvYAxis, tag=t("history", "y"))
        series = dpg.add_bar_series([], [], weight=86400 * 0.8, parent=y, tag=t("history", "bars"), label="day")
        trend = dpg.add_line_series([], [], parent=y, tag=t("history", "trend"), label="7-day average")
    pools = {}
    for name in ("model", "tier"):
        dpg.add_text(f"By {name}", parent=parent)
        tag = t("history", name, "table")
        with dpg.table(tag=tag, parent=parent, header_row=True, policy=dpg.mvTable_SizingStretchProp,
                       row_background=True, borders_outerH=True, borders_outerV=True):
            for c, col in enumerate(HISTORY_TABLE_COLUMNS):
                dpg.add_table_column(label=col.label, init_width_or_weight=2.2 if c == 0 else 1.0)
        pools[name] = RowPool(f"history-{name}", tag, HISTORY_TABLE_COLUMNS, t)
        pools[name].ensure(4)
    return HistoryWidgets(combo, summary, bars, labels, series, x, y, pools, trend)


def item_id(item: int | str) -> int:
    """An item's number (Dear PyGui names an item by its alias where it has one)."""
    return dpg.get_alias_id(item) if isinstance(item, str) else item


def ensure_series(w: Widgets, t: Tags, label: str, shown: str | None = None) -> str:
    """A line series per tier appears the first time that tier has a point (and its stacked area);
    ``shown``: the legend's text for it (characters no loaded font has, as code points)."""
    tag = w.series.get(label)
    if tag is None:
        text = label if shown is None else shown
        tag = w.series[label] = dpg.add_line_series([], [], label=text, parent=w.plot_y, tag=t("series", label))
        if label != "Total":
            w.areas[label] = dpg.add_shade_series([], [], y2=[], label=text, parent=w.plot_y, show=False,
                                                  tag=t("series", label, "area"))
    return tag
