"""How the panel fits its window, in plain Python (tested headless for 1280x800 and 1920x1080 at
100, 125 and 150 %): style sizes per scale, which table columns fit, how wide the name column is
(its texts are cut to that width with "…"), and how the height is shared between tables and chart.

Numeric columns are sized by Dear PyGui to their content; the maths here sizes them for the widest
text they can hold ($99,999,999.99, 10^12 tokens as ``1.00T``) so nothing is cut when those come.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from .fonts import BASE_SIZE, BIG_SIZE, FontMetrics
from .viewmodel import TABLES, Column

SCALES = (100, 125, 150)  # what the layout must fit; --scale takes any 100..200
MIN_SCALE, MAX_SCALE = 100, 200

# The widest text each numeric or short column can show (besides its header).
WIDEST: dict[str, tuple[str, ...]] = {
    "calls": ("999,999,999",),
    "input": ("1.00T", "999k"), "cache_read": ("1.00T",), "cache_write": ("1.00T",), "output": ("1.00T",),
    "tokens": ("1.00T",),
    "cost": ("$99,999,999.99 +?", "$0.0000000012 +?"),
    "per_call": ("$9,999,999.99", "$0.0000000012"),
    "share": (">99.9%", "<0.1%"),
    "tier": ("Tier 10", "subagent"),  # longer tier labels are cut with "…"
    "provider": ("anthropic", "openrouter"),
}
NAME_COLUMNS = {"tiers": "models", "models": "model", "pairs": "model", "discarded": "model"}
MIN_CHART_PX = 200  # px at 100 %: below this a chart of four tiers cannot be read (the window scrolls)
MIN_NAME_EM = 9.0
NAME_CAP_EM = 24.0  # past this the name column stops taking all the room (numbers far from names read badly)  # the name column keeps at least this many em (about 16 characters)
# Columns given up first when a table does not fit (their figures stay in the cost cell's tooltip).
DROP_ORDER = ("provider", "per_call", "cache_write", "cache_read")


@dataclass(frozen=True)
class Style:
    """Pixel sizes of the panel's style at one scale (set by the theme, used by the maths)."""

    scale: float
    font: float  # text size in px
    big: float  # the session total's size in px
    window_pad: float
    cell_pad: float
    item_spacing: float
    scrollbar: float
    row: float  # a table row's height

    @property
    def column_extra(self) -> float:
        """Per column: the cell padding on both sides and the border between columns."""
        return 2 * self.cell_pad + 1


@functools.lru_cache(maxsize=16)
def style(scale_percent: int) -> Style:
    s = scale_percent / 100
    font = round(BASE_SIZE * s)
    # A table row: the text, the cell padding above and below, and the item spacing Dear PyGui
    # leaves after each cell's text (a row is 29 px at 100 %; the text and padding alone, 22 px,
    # hid a model row in four: tests/test_panel_look_rendered.py measures what is drawn).
    return Style(scale=s, font=font, big=round(BIG_SIZE * s), window_pad=round(10 * s), cell_pad=round(5 * s),
                 item_spacing=round(8 * s), scrollbar=round(12 * s), row=font + 2 * round(3 * s) + round(8 * s))


def column_width(col: Column, font: FontMetrics, st: Style) -> float:
    """Content width a column needs: its header (with room for the sort arrow) or its widest value."""
    header = font.width(col.label, st.font) + st.font  # the arrow ImGui draws on the sorted column
    values = [font.width(text, st.font) for text in WIDEST.get(col.key, ())]
    return max([header, *values])


# Widths at 100 % of the header's input fields, bar and combos (scaled with the text).
WIDGETS = {"budget_input": 90, "budget_bar": 220, "theme": 90, "scale": 90, "chart": 110,
           "whatif_target": 280, "whatif_scope": 130}  # px at 100 %, scaled with the text
HEADER_GAP = 16  # px at 100 % between the session total and the figures beside it
# The longest texts each header row can show, as (text items, widget widths) per row.
EXTREME_ROWS = {
    "figures": (("1,000,000,000,000 tokens", "999,999,999 calls", "elapsed 999d 23:59:59"), ()),
    "burn": (("Burn rate", "$99,999,999.99/h over the last 5 min", "$99,999,999.99/h session average"), ()),
    "budget": (("Budget $", "100%  $99,999,999.99 of $99,999,999.99, $99,999,999.99 left"),
               ("budget_input", "budget_bar")),
    "controls": (("Theme", "Scale", "Chart"), ("theme", "scale", "chart")),
}
BUTTONS = {"budget": ("Set",), "controls": ("Reset", "Export CSV", "Export JSON")}


def row_width(row: str, font: FontMetrics, big: FontMetrics, st: Style) -> float:
    """Pixels the header row ``row`` takes with its longest figures ($99,999,999.99, 10^12 tokens)."""
    texts, widgets = EXTREME_ROWS[row]
    buttons = BUTTONS.get(row, ())
    items = len(texts) + len(widgets) + len(buttons)
    width = sum(font.width(t, st.font) for t in texts) + sum(WIDGETS[w] * st.scale for w in widgets)
    width += sum(font.width(b, st.font) + 2 * round(8 * st.scale) for b in buttons)  # frame padding
    width += (items - 1) * st.item_spacing
    if row in ("figures", "burn"):  # beside the session total
        width += big.width("$99,999,999.99", st.big) + (HEADER_GAP * st.scale) + st.item_spacing
    if row == "controls":
        width += HEADER_GAP * st.scale + st.item_spacing
    return width


@dataclass(frozen=True)
class TablePlan:
    shown: tuple[str, ...]  # column keys shown, in order
    widths: dict[str, float]  # content width of each shown column; the name column's is what is left
    name_key: str

    @property
    def name_width(self) -> float:
        return self.widths[self.name_key]


def plan_table(name: str, window_width: float, font: FontMetrics, st: Style, *,
               columns: Sequence[Column] | None = None) -> TablePlan:
    """Columns that fit ``window_width`` (the viewport's client width) and the name column's width."""
    columns = tuple(TABLES[name] if columns is None else columns)
    name_key = NAME_COLUMNS[name]
    inner = window_width - 2 * st.window_pad - st.scrollbar
    shown = [c for c in columns]
    while True:
        fixed = {c.key: column_width(c, font, st) for c in shown if c.key != name_key}
        left = inner - sum(fixed.values()) - len(shown) * st.column_extra
        droppable = [k for k in DROP_ORDER if k in fixed]
        if left >= MIN_NAME_EM * st.font or not droppable:
            break
        shown = [c for c in shown if c.key != droppable[0]]
    cap = NAME_CAP_EM * st.font
    if left > cap:  # a wide window: the room past a long name is shared by every column alike
        spread = (left + sum(fixed.values())) / (cap + sum(fixed.values()))
        fixed = {k: w * spread for k, w in fixed.items()}
        left = inner - sum(fixed.values()) - len(shown) * st.column_extra
    return TablePlan(tuple(c.key for c in shown), {**fixed, name_key: max(left, 0.0)}, name_key)


def models_table_height(rows: int, space: float, st: Style) -> float:
    """As tall as its rows (no empty striped rows), at most ``space``, at least four rows."""
    wanted = (rows + 1) * st.row + 2
    return max(min(wanted, space), 5 * st.row + 2)


def chart_height(space: float, st: Style) -> float:
    """The chart fills the Overview tab under the tier table, never under MIN_CHART_PX at 100 % (then the
    window scrolls: notices and a long tier list can take the height of a small window)."""
    return max(space, MIN_CHART_PX * st.scale)
