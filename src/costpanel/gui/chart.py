"""The Overview's cumulative cost chart: lines or stacked bands per tier, in the palette's
colours, with axes a person reads (local times, dollars with units; the maths in :mod:`.ticks`).

The x axis counts seconds from a whole hour, not epoch seconds: Dear PyGui keeps axis limits in
32-bit floats, which cannot tell seconds of an epoch time (~1.8e9) apart (limits were off by up
to a minute)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import dearpygui.dearpygui as dpg

from . import layout, ticks
from .palette import Palette
from .tags import Tags
from .theme import TOTAL_SLOT, series_theme
from .viewmodel import CHART_TITLE, STANDARD_TIERS, stacked, steps

Lines = Mapping[str, tuple[list[float], list[float]]]
HEADROOM = 1.12  # above the highest point, so the line does not run along the plot's top edge
EDGE = 0.04  # no tick label this close to an axis end (centred on it, it would be cut)


class ChartView:
    """Writes chart lines into the plot; only the render thread calls it."""

    def __init__(self, widgets: layout.Widgets, tags: Tags, standard_tiers: Sequence[str],
                 glyphs: Callable[[str], str] = str) -> None:
        """``glyphs``: a tier's name as the plot's font can draw it (the legend's text)."""
        self.w, self.tags, self.glyphs = widgets, tags, glyphs
        self.order = list(standard_tiers or STANDARD_TIERS)[:TOTAL_SLOT]  # colour slots 0-3; the total is slot 4
        self._others: dict[str, int] = {}  # any other tier -> its turn (colour slots 5 on), in order of appearance
        self.mode = layout.CHART_MODES[0]
        self.origin: float | None = None
        self.clock = ticks.clock_from_locale()
        self._painted: dict[str, str] = {}  # series tag -> palette name its colour was set for
        self._limits: tuple[float, ...] = ()
        self._title = CHART_TITLE
        self._drawing: object = None  # what the lines show (a session of a tracker): another one clears them

    def apply(self, chart: Lines, palette: Palette, drawing: object = None, title: str | None = None) -> None:
        """Draw ``chart``; ``drawing`` names what it shows (a tracker's session): when it changes (a
        Reset, another view of `watch`'s filter) the old lines go at once, not when the next call
        redraws their tier. ``title``: the plot's (which span it shows)."""
        w = self.w
        if title is not None and title != self._title:
            dpg.configure_item(self.tags("plot"), label=title)
            self._title = title
        if drawing != self._drawing:
            if self._drawing is not None:
                self.clear()
            self._drawing = drawing
        total = chart.get("Total", ([], []))
        if total[0] and (self.origin is None or total[0][0] < self.origin):
            self.origin = float(int(total[0][0]) // 3600 * 3600)
        origin = self.origin or 0.0
        bands = stacked(chart) if self.mode == "Stacked" and total[0] else {}
        for label in list(w.series):  # every line in its colour, a tier without calls yet too (the legend)
            self._series(label, palette)
        for label, (xs, ys) in chart.items():  # an empty chart (tables-only refresh) changes nothing
            if not xs and label not in w.series:
                continue
            tag = self._series(label, palette)
            xs, ys = steps([x - origin for x in xs], ys)
            dpg.set_value(tag, [xs, ys])
            area = w.areas.get(label)
            if area is not None:
                band = bands.get(label)
                if band is not None:
                    bx, bottom, top = steps([x - origin for x in band[0]], band[1], band[2])
                    dpg.set_value(area, [bx, top, bottom, [], []])
                dpg.configure_item(area, show=band is not None)
                dpg.configure_item(tag, show=band is None)
        self._place_total()
        if total[0]:
            self._axes(total[0][0], total[0][-1], max(total[1]))
        elif not self._limits:  # no call yet: dollars up the side, no bare 0-1 numbers along the time axis
            self._limits = ("empty",)
            dpg.set_axis_limits(w.plot_x, 0.0, ticks.MIN_SPAN_S)
            dpg.set_axis_limits(w.plot_y, 0.0, 1.0)
            dpg.set_axis_ticks(w.plot_x, (("", 0.0),))
            dpg.set_axis_ticks(w.plot_y, tuple(ticks.money_ticks(0.0, 1.0)))

    def _place_total(self) -> None:
        """The total's line beneath the tiers' lines (drawn first and wider: a session's only tier
        shows on top of it, and the total around it), but over the stacked bands, whose top edge it
        is (ImPlot draws, and lists in the legend, in item order)."""
        w = self.w
        total = w.series.get("Total")
        if total is None:
            return
        items = dpg.get_item_children(w.plot_y, 1) or []
        total_id = layout.item_id(total)
        if self.mode == "Stacked":
            if items and items[-1] != total_id:
                dpg.move_item(total, parent=w.plot_y)  # to the end: drawn last
        elif items and items[0] != total_id:
            dpg.move_item(total, parent=w.plot_y, before=items[0])

    def clear(self) -> None:
        """Every line and band empty, the axes as for a chart without calls."""
        for tag in self.w.series.values():
            dpg.set_value(tag, [[], []])
        for area in self.w.areas.values():
            dpg.set_value(area, [[], [], [], [], []])
        self.origin, self._limits = None, ()

    def _series(self, label: str, palette: Palette) -> str:
        """The line of ``label`` (created on first use), in its palette colour."""
        w = self.w
        tag = layout.ensure_series(w, self.tags, label, self.glyphs(label))
        if self._painted.get(tag) != palette.name:
            slot = TOTAL_SLOT if label == "Total" else self.order.index(label) if label in self.order else \
                TOTAL_SLOT + 1 + self._others.setdefault(label, len(self._others)) % len(palette.other_lines)
            look = series_theme(self.tags, palette, slot)
            dpg.bind_item_theme(tag, look)
            if label in w.areas:
                dpg.bind_item_theme(w.areas[label], look)
            self._painted[tag] = palette.name
        return tag

    def _axes(self, first: float, last: float, top: float) -> None:
        """Limits showing every point (a minute at least) and ticks a person reads."""
        w = self.w
        origin = self.origin or 0.0
        lo, hi = ticks.x_limits(first, last)
        y_hi = top * HEADROOM if top > 0 else 1.0
        key = (lo, hi, y_hi, origin)
        if key == self._limits:
            return
        self._limits = key
        dpg.set_axis_limits(w.plot_x, lo - origin, hi - origin)
        dpg.set_axis_limits(w.plot_y, 0.0, y_hi)
        edge = (hi - lo) * EDGE
        times = [(label, t - origin) for label, t in ticks.time_ticks(lo, hi, self.clock)
                 if lo + edge <= t <= hi - edge]
        dpg.set_axis_ticks(w.plot_x, tuple(times))
        dpg.set_axis_ticks(w.plot_y, tuple(ticks.money_ticks(0.0, y_hi)))
