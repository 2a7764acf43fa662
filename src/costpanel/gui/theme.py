"""Themes and fonts, built once per panel: both themes' colours (from :mod:`.palette`), the style
sizes of a scale, the budget bar's fill per level, and Roboto loaded at the scale's pixel size."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dearpygui.dearpygui as dpg

from .budget import BudgetLevel
from .fonts import big_font_file, ui_font_file
from .geometry import Style
from .palette import PALETTES, Palette
from .tags import Tags


def _rgba(rgb: tuple[int, int, int]) -> tuple[int, int, int, int]:
    return (*rgb, 255)


def _core_colours(p: Palette) -> dict[int, tuple[int, int, int]]:
    return {
        dpg.mvThemeCol_WindowBg: p.window_bg, dpg.mvThemeCol_ChildBg: p.child_bg, dpg.mvThemeCol_PopupBg: p.popup_bg,
        dpg.mvThemeCol_Text: p.text, dpg.mvThemeCol_TextDisabled: p.muted, dpg.mvThemeCol_FrameBg: p.frame_bg,
        dpg.mvThemeCol_FrameBgHovered: p.button, dpg.mvThemeCol_FrameBgActive: p.button,
        dpg.mvThemeCol_Button: p.button, dpg.mvThemeCol_ButtonHovered: p.header_bg,
        dpg.mvThemeCol_ButtonActive: p.header_bg, dpg.mvThemeCol_Header: p.header_bg,
        dpg.mvThemeCol_HeaderHovered: p.button, dpg.mvThemeCol_HeaderActive: p.button,
        dpg.mvThemeCol_TableHeaderBg: p.header_bg, dpg.mvThemeCol_TableRowBg: p.row_bg,
        dpg.mvThemeCol_TableRowBgAlt: p.row_bg_alt, dpg.mvThemeCol_TableBorderStrong: p.frame_bg,
        dpg.mvThemeCol_TableBorderLight: p.frame_bg, dpg.mvThemeCol_Tab: p.frame_bg,
        dpg.mvThemeCol_TabActive: p.button, dpg.mvThemeCol_TabHovered: p.header_bg,
        dpg.mvThemeCol_TitleBg: p.frame_bg, dpg.mvThemeCol_TitleBgActive: p.button,
        dpg.mvThemeCol_ScrollbarBg: p.window_bg, dpg.mvThemeCol_Border: p.frame_bg,
        dpg.mvThemeCol_Separator: p.frame_bg,
    }


def _plot_colours(p: Palette) -> dict[int, tuple[int, int, int]]:
    return {dpg.mvPlotCol_PlotBg: p.plot_bg, dpg.mvPlotCol_FrameBg: p.window_bg, dpg.mvPlotCol_LegendBg: p.window_bg,
            dpg.mvPlotCol_LegendText: p.text, dpg.mvPlotCol_TitleText: p.text, dpg.mvPlotCol_AxisText: p.text,
            dpg.mvPlotCol_PlotBorder: p.frame_bg, dpg.mvPlotCol_AxisGrid: p.frame_bg}


@dataclass
class Themes:
    """Both colour themes, the budget fills of each, and the fonts of each scale built so far."""

    tags: Tags
    budget: dict[str, dict[BudgetLevel, int | str]]
    fonts: dict[int, tuple[int | str, int | str]] = field(default_factory=dict)  # scale % -> (text, big)
    current: int | str = 0  # the look bound now (theme x scale)

    def fonts_for(self, scale: int, st: Style) -> tuple[int | str, int | str]:
        """Roboto at this scale's pixel sizes (rasterised at that size: crisp, not a stretched bitmap)."""
        if scale not in self.fonts:
            with dpg.font_registry():
                text = dpg.add_font(str(ui_font_file()), st.font, tag=self.tags("font", scale))
                big = dpg.add_font(str(big_font_file()), st.big, tag=self.tags("font", "big", scale))
            self.fonts[scale] = (text, big)
        return self.fonts[scale]

    def extra_font(self, path: Path, scale: int, st: Style) -> int | str:
        """Another font (the CJK system font for names) at this scale's size."""
        tag = self.tags("font", path.stem, scale)
        if not dpg.does_item_exist(tag):
            with dpg.font_registry():
                dpg.add_font(str(path), st.font, tag=tag)
        return tag


def style_theme(tags: Tags, palette: Palette, st: Style) -> int | str:
    """The whole look at one scale and in one colour theme: colours plus paddings and roundings."""
    tag = tags("theme", palette.name, round(st.scale * 100))
    if dpg.does_item_exist(tag):
        return tag
    s = st.scale
    with dpg.theme(tag=tag):
        with dpg.theme_component(dpg.mvAll):
            for target, rgb in _core_colours(palette).items():
                dpg.add_theme_color(target, _rgba(rgb), category=dpg.mvThemeCat_Core)
            for target, rgb in _plot_colours(palette).items():
                dpg.add_theme_color(target, _rgba(rgb), category=dpg.mvThemeCat_Plots)
            for target, value in ((dpg.mvStyleVar_WindowPadding, (st.window_pad, st.window_pad)),
                                  (dpg.mvStyleVar_CellPadding, (st.cell_pad, round(3 * s))),
                                  (dpg.mvStyleVar_ItemSpacing, (st.item_spacing, round(6 * s))),
                                  (dpg.mvStyleVar_FramePadding, (round(8 * s), round(4 * s))),
                                  (dpg.mvStyleVar_ItemInnerSpacing, (round(6 * s), round(4 * s)))):
                dpg.add_theme_style(target, *value, category=dpg.mvThemeCat_Core)
            for target, value in ((dpg.mvStyleVar_ScrollbarSize, st.scrollbar),
                                  (dpg.mvStyleVar_FrameRounding, round(4 * s)),
                                  (dpg.mvStyleVar_TabRounding, round(4 * s)),
                                  (dpg.mvStyleVar_WindowBorderSize, 0)):
                dpg.add_theme_style(target, value, category=dpg.mvThemeCat_Core)
            dpg.add_theme_style(dpg.mvPlotStyleVar_LineWeight, max(1.5, 2 * s), category=dpg.mvThemeCat_Plots)
            dpg.add_theme_style(dpg.mvPlotStyleVar_MarkerSize, 3 * s, category=dpg.mvThemeCat_Plots)
    return tag


TOTAL_SLOT, TOTAL_WEIGHT = 4, 3.0  # the chart's total line: its colour slot and its width in pixels


def series_theme(tags: Tags, palette: Palette, slot: int) -> int | str:
    """A chart line's colour (and its stacked band's, translucent) from the palette: Tier 1-4 in
    slots 0-3, the total in slot 4, other tiers from 5 (:meth:`Palette.series_colour`); each keeps
    3:1 against the plot's background."""
    tag = tags("theme", "series", palette.name, slot)
    if not dpg.does_item_exist(tag):
        rgb = palette.series_colour(slot)
        with dpg.theme(tag=tag):
            for component in (dpg.mvLineSeries, dpg.mvShadeSeries):
                with dpg.theme_component(component):
                    dpg.add_theme_color(dpg.mvPlotCol_Line, _rgba(rgb), category=dpg.mvThemeCat_Plots)
                    dpg.add_theme_color(dpg.mvPlotCol_Fill, (*rgb, 150), category=dpg.mvThemeCat_Plots)
                    # The total is drawn first and wider: a session with one tier draws that tier's
                    # line on top of it, and the total still shows on both sides.
                    dpg.add_theme_style(dpg.mvPlotStyleVar_LineWeight, TOTAL_WEIGHT if slot == TOTAL_SLOT else 1.0,
                                        category=dpg.mvThemeCat_Plots)
    return tag


def build_themes(tags: Tags) -> Themes:
    budget: dict[str, dict[BudgetLevel, int | str]] = {}
    for name, palette in PALETTES.items():
        budget[name] = {}
        for level, rgb in palette.level_fill.items():
            with dpg.theme(tag=tags("theme", "budget", name, level.name)) as theme:
                with dpg.theme_component(dpg.mvProgressBar):
                    dpg.add_theme_color(dpg.mvThemeCol_PlotHistogram, _rgba(rgb), category=dpg.mvThemeCat_Core)
            budget[name][level] = theme
    return Themes(tags, budget)
