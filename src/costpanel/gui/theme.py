"""Themes, built once per panel: light theme, budget bar colours per level."""

from __future__ import annotations

from dataclasses import dataclass

import dearpygui.dearpygui as dpg

from .budget import LEVEL_COLOURS, BudgetLevel
from .tags import Tags


@dataclass(frozen=True, slots=True)
class Palette:
    """Text colours that keep their contrast on the theme's background."""

    unpriced: tuple[int, int, int, int]  # a badge for "no price", never mistaken for $0
    notice: tuple[int, int, int, int]
    muted: tuple[int, int, int, int]


DARK_PALETTE = Palette((255, 176, 32, 255), (255, 120, 90, 255), (150, 150, 160, 255))
# On the light background (246, 246, 248): each at least 4.5:1.
LIGHT_PALETTE = Palette((160, 80, 0, 255), (176, 40, 20, 255), (85, 85, 95, 255))

_LIGHT = {
    dpg.mvThemeCol_WindowBg: (246, 246, 248),
    dpg.mvThemeCol_ChildBg: (240, 240, 244),
    dpg.mvThemeCol_PopupBg: (255, 255, 255),
    dpg.mvThemeCol_Text: (20, 20, 24),
    dpg.mvThemeCol_TextDisabled: (110, 110, 120),
    dpg.mvThemeCol_FrameBg: (225, 226, 232),
    dpg.mvThemeCol_FrameBgHovered: (205, 210, 225),
    dpg.mvThemeCol_Button: (210, 214, 228),
    dpg.mvThemeCol_ButtonHovered: (185, 195, 225),
    dpg.mvThemeCol_ButtonActive: (160, 175, 220),
    dpg.mvThemeCol_Header: (205, 212, 232),
    dpg.mvThemeCol_HeaderHovered: (185, 195, 228),
    dpg.mvThemeCol_TableHeaderBg: (215, 218, 230),
    dpg.mvThemeCol_TableRowBg: (250, 250, 252),
    dpg.mvThemeCol_TableRowBgAlt: (238, 239, 244),
    dpg.mvThemeCol_TableBorderStrong: (170, 172, 185),
    dpg.mvThemeCol_TableBorderLight: (200, 202, 212),
    dpg.mvThemeCol_Tab: (215, 218, 230),
    dpg.mvThemeCol_TabActive: (190, 200, 230),
    dpg.mvThemeCol_TabHovered: (180, 192, 228),
    dpg.mvThemeCol_TitleBg: (220, 222, 230),
    dpg.mvThemeCol_TitleBgActive: (200, 205, 225),
    dpg.mvThemeCol_ScrollbarBg: (235, 235, 240),
}
_LIGHT_PLOT = {
    dpg.mvPlotCol_PlotBg: (255, 255, 255),
    dpg.mvPlotCol_FrameBg: (240, 240, 244),
    dpg.mvPlotCol_LegendBg: (255, 255, 255),
}


@dataclass(frozen=True, slots=True)
class Themes:
    light: int | str
    budget: dict[BudgetLevel, int | str]
    big_text_dark: tuple[int, int, int, int]
    big_text_light: tuple[int, int, int, int]


def build_themes(tags: Tags) -> Themes:
    with dpg.theme(tag=tags("theme", "light")) as light:
        with dpg.theme_component(dpg.mvAll):
            for target, rgb in _LIGHT.items():
                dpg.add_theme_color(target, (*rgb, 255), category=dpg.mvThemeCat_Core)
            for target, rgb in _LIGHT_PLOT.items():
                dpg.add_theme_color(target, (*rgb, 255), category=dpg.mvThemeCat_Plots)
    budget = {}
    for level, rgb in LEVEL_COLOURS.items():
        with dpg.theme(tag=tags("theme", "budget", level.name)) as theme:
            with dpg.theme_component(dpg.mvProgressBar):
                dpg.add_theme_color(dpg.mvThemeCol_PlotHistogram, (*rgb, 255), category=dpg.mvThemeCat_Core)
        budget[level] = theme
    return Themes(light, budget, (235, 235, 240, 255), (20, 20, 24, 255))
