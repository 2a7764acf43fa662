"""The panel's look in plain Python: the typeface's glyphs and widths, what fits the window at
100/125/150 % in 1280x800 and 1920x1080, chart ticks, and WCAG contrast of both themes."""

from __future__ import annotations

import pytest

from costpanel.budgets import BudgetLevel
from costpanel.gui import fonts, geometry, ticks
from costpanel.gui.palette import PALETTES, contrast
from costpanel.gui.viewmodel import TABLES

ROBOTO = fonts.metrics(fonts.ui_font_file())
WINDOWS = [(1280, 800), (1920, 1080)]


def test_roboto_from_its_package_has_latin_greek_cyrillic_and_tabular_digits() -> None:
    path = fonts.ui_font_file()
    assert path.is_file() and (path.parent / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert all(ROBOTO.covers(ord(ch)) for ch in "AzÉß ΩλЖя—…·$")
    assert not ROBOTO.covers(0x4E2D)
    assert len({ROBOTO.advances[ord(d)] for d in "0123456789"}) == 1, "money columns line up"
    assert fonts.big_font_file().name == "Roboto-Medium.ttf"


def test_text_width_comes_from_advance_widths() -> None:
    # Roboto: every digit 1151 units; a font's pixel size spans ascent 1900 + descent 500 = 2400
    # units (stb_truetype's pixel height), so "00" at 24 px is 2302 x 24 / 2400 = 23.02 px
    assert (ROBOTO.units_per_em, ROBOTO.height_units) == (2048, 2400)
    assert ROBOTO.width("00", 24) == pytest.approx(23.02)


def test_a_long_name_is_cut_with_an_ellipsis_that_fits() -> None:
    name = "claude-sonnet-4-5-20250929-with-a-very-long-suffix"
    cut = fonts.fit(name, 150, ROBOTO, 15)
    assert cut.endswith("…") and name.startswith(cut[:-1])
    assert ROBOTO.width(cut, 15) <= 150 < ROBOTO.width(cut[:-1] + name[len(cut) - 1] + "…", 15)
    assert fonts.fit("gpt-4o", 150, ROBOTO, 15) == "gpt-4o"


def test_no_cjk_font_means_code_points(tmp_path) -> None:
    (tmp_path / "x.ttf").write_bytes(b"not a font")
    assert fonts.cjk_font_file([str(tmp_path / "x.ttf"), str(fonts.ui_font_file()), "/nonexistent.ttc"]) is None


@pytest.mark.parametrize("scale", geometry.SCALES)
@pytest.mark.parametrize("window", WINDOWS)
def test_every_table_fits_with_whole_headers_and_the_widest_figures(window: tuple[int, int], scale: int) -> None:
    st = geometry.style(scale)
    for name in ("tiers", "models", "pairs"):
        plan = geometry.plan_table(name, window[0], ROBOTO, st)
        columns = {c.key: c for c in TABLES[name]}
        for key in plan.shown:
            if key == plan.name_key:
                continue
            col = columns[key]
            need = max([ROBOTO.width(col.label, st.font) + st.font,
                        *(ROBOTO.width(t, st.font) for t in geometry.WIDEST.get(key, ()))])
            assert plan.widths[key] >= need
        assert ROBOTO.width("$99,999,999.99 +?", st.font) <= plan.widths["cost"]
        assert ROBOTO.width(fonts.fit("x" * 200, plan.name_width, ROBOTO, st.font), st.font) <= plan.name_width
        assert plan.name_width >= geometry.MIN_NAME_EM * st.font, (name, window, scale)
        used = sum(plan.widths.values()) + len(plan.shown) * st.column_extra + 2 * st.window_pad + st.scrollbar
        assert used <= window[0]
        assert {"cost", "share", "calls"} <= set(plan.shown)


@pytest.mark.parametrize("scale", geometry.SCALES)
def test_the_header_rows_hold_the_largest_figures_in_1280_px(scale: int) -> None:
    st = geometry.style(scale)
    big = fonts.metrics(fonts.big_font_file())
    for row in geometry.EXTREME_ROWS:
        assert geometry.row_width(row, ROBOTO, big, st) <= 1280 - 2 * st.window_pad, (row, scale)
    # the widest row at 150 %: the budget line with $99,999,999.99 three times
    assert geometry.row_width("budget", ROBOTO, big, geometry.style(150)) > 1000


def test_room_to_spare_is_shared_by_every_column_alike() -> None:
    st = geometry.style(100)
    plan = geometry.plan_table("tiers", 1920, ROBOTO, st)
    needs = {c.key: geometry.column_width(c, ROBOTO, st) for c in TABLES["tiers"] if c.key != "models"}
    ratios = {round(plan.widths[k] / needs[k], 9) for k in needs} | {
        round(plan.name_width / (geometry.NAME_CAP_EM * st.font), 9)}
    assert len(ratios) == 1 and ratios.pop() > 1, "one factor for every column, names included"
    used = sum(plan.widths.values()) + len(plan.shown) * st.column_extra + 2 * st.window_pad + st.scrollbar
    assert used == pytest.approx(1920)


def test_narrow_windows_give_up_the_provider_column_before_the_figures() -> None:
    st = geometry.style(150)
    assert geometry.plan_table("models", 1280, ROBOTO, st).shown == (
        "model", "calls", "input", "cache_read", "cache_write", "output", "cost", "per_call", "share")
    assert "provider" in geometry.plan_table("models", 1920, ROBOTO, st).shown


def test_the_model_table_is_as_tall_as_its_rows_within_its_tab() -> None:
    st = geometry.style(150)
    assert geometry.models_table_height(2, 1000, st) == 5 * st.row + 2, "no empty striped rows"
    assert geometry.models_table_height(40, 500, st) == 500
    assert geometry.chart_height(300, st) == 300, "the chart fills the space under the tier table"
    assert geometry.chart_height(100, st) == 300, "never under 200 px at 100 % (300 at 150 %)"


@pytest.mark.parametrize(("low", "high", "labels"), [
    (0, 92_500_000, ["$0", "$20M", "$40M", "$60M", "$80M"]),
    (0, 1800, ["$0", "$0.5k", "$1.0k", "$1.5k"]),
    (0, 3.4, ["$0", "$1", "$2", "$3"]),
    (0, 0.013, ["$0", "$0.005", "$0.010"]),
    (0, 2.5, ["$0", "$0.50", "$1.00", "$1.50", "$2.00", "$2.50"]),
])
def test_money_ticks_have_units_and_never_an_exponent(low: float, high: float, labels: list[str]) -> None:
    assert [label for label, _ in ticks.money_ticks(low, high)] == labels


T = 1764771600.0  # 2025-12-03 14:20:00 UTC


US = ticks.Clock(twelve_hour=True, day_format="%m/%d")
DE = ticks.Clock(twelve_hour=False, day_format="%d.%m")


@pytest.mark.parametrize(("span", "clock", "first"), [
    (1, DE, "14:20:00"),  # a one-second session: ten seconds from its start, seconds shown
    (3 * 3600, DE, "15:00"),  # hours: whole hours
    (3 * 3600, US, "3:00 PM"),
    (5 * 86400, DE, "04.12"),  # days in the locale's order, without the year
    (5 * 86400, US, "12/04"),
])
def test_time_ticks_follow_the_zoom_and_the_clock_convention(span: float, clock: ticks.Clock, first: str) -> None:
    lo, hi = ticks.x_limits(T, T + span)
    got = ticks.time_ticks(lo, hi, clock, tz_offset=0)
    assert got[0][0] == first
    assert 2 <= len(got) <= ticks.TICKS + 2


def _noon(day: str) -> float:
    import datetime as dt

    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12)).astimezone().timestamp()


@pytest.mark.parametrize(("first", "last", "clock", "labels"), [
    ("2026-11-28", "2026-12-04", DE, ["28.11", "29.11", "30.11", "01.12", "02.12", "03.12", "04.12"]),  # 7d: each day
    ("2026-11-05", "2026-12-04", US, ["11/05", "11/12", "11/19", "11/26", "12/03"]),  # 30d: a week apart
    ("2026-12-04", "2026-12-04", US, ["12/04"]),  # today
    ("2025-01-01", "2026-12-04", DE, ["Jan 2025", "Jul 2025", "Jan 2026", "Jul 2026"]),  # months, with the year
    ("2026-03-15", "2026-12-04", DE, ["Apr 2026", "Jun 2026", "Aug 2026", "Oct 2026", "Dec 2026"]),
])
def test_history_days_are_labelled_in_the_locales_order_never_with_times(first: str, last: str, clock: ticks.Clock,
                                                                         labels: list[str]) -> None:
    """The History tab's axis: Dear PyGui's own time axis wrote "12am 12pm" over "11/28/26"."""
    got = ticks.day_ticks(_noon(first), _noon(last), clock)
    assert [label for label, _ in got] == labels
    assert all(x == _noon(__import__("datetime").datetime.fromtimestamp(x).date().isoformat()) for _, x in got)  # noons


def test_a_short_session_starts_at_the_left_edge_and_grows_to_the_right() -> None:
    lo, hi = ticks.x_limits(T, T + 6)
    assert lo < T < lo + 0.05 * (hi - lo) and hi == T + ticks.MIN_SPAN_S  # no empty stretch before the first call
    lo, hi = ticks.x_limits(T, T + 3600)  # longer than the minimum: every point, a little room both sides
    assert lo < T and hi > T + 3600 and hi - lo < 3600 * 1.1


@pytest.mark.parametrize(("t_fmt", "d_fmt", "clock"), [
    ("%r", "%m/%d/%Y", ticks.Clock(True, "%m/%d")),  # en_US
    ("%T", "%d.%m.%Y", ticks.Clock(False, "%d.%m")),  # de_DE
    ("%H:%M:%S", "%d/%m/%y", ticks.Clock(False, "%d/%m")),  # en_GB
    ("%H:%M:%S", "%Y-%m-%d", ticks.Clock(False, "%m-%d")),  # ISO
    ("%I:%M:%S %p", "%D", ticks.Clock(True, "%m/%d")),
    ("%H:%M:%S", "%Y年%m月%d日", ticks.Clock(False, "%m月%d日")),  # zh_CN
])
def test_the_locale_clock_convention_is_read_from_its_formats(t_fmt: str, d_fmt: str, clock: ticks.Clock) -> None:
    assert ticks.clock_from_locale(t_fmt, d_fmt) == clock


@pytest.mark.parametrize("name", ["dark", "light"])
def test_both_themes_meet_wcag_aa(name: str) -> None:
    p = PALETTES[name]
    for where, bg in p.backgrounds().items():
        assert contrast(p.text, bg) >= 4.5, (where, bg)
    for colour in (p.muted, p.unpriced, p.notice, *p.level_text.values()):
        for bg in (p.window_bg, p.row_bg, p.row_bg_alt):
            assert contrast(colour, bg) >= 4.5, (colour, bg)
    for level in BudgetLevel:  # the bar's fill, a non-text element, against its empty part
        assert contrast(p.level_fill[level], p.frame_bg) >= 3.0, level
    for line in (*p.tier_lines, *p.other_lines):  # chart lines against the plot
        assert contrast(line, p.plot_bg) >= 3.0, line


@pytest.mark.parametrize("name", ["dark", "light"])
def test_every_chart_line_of_a_palette_has_a_colour_of_its_own(name: str) -> None:
    """Tier 1-4, the total and four other tiers (main, subagent, an orchestrator's labels) all
    differ, clearly: no channel within 40 of another line's on all three."""
    p = PALETTES[name]
    colours = [p.series_colour(slot) for slot in range(len(p.tier_lines) + len(p.other_lines))]
    for i, a in enumerate(colours):
        for b in colours[i + 1:]:
            assert max(abs(x - y) for x, y in zip(a, b)) > 40, (a, b)
    assert p.series_colour(len(colours)) == p.other_lines[0], "a fifth other tier takes the first other colour again"
    assert len(p.other_lines) == len(PALETTES["dark"].other_lines), "the slots of both themes mean the same"


def test_contrast_ratio_is_wcags() -> None:
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


def test_a_tiers_models_are_as_many_whole_names_as_the_column_holds() -> None:
    font = fonts.metrics(fonts.ui_font_file())
    names = ["gemini-3.5-flash-lite", "gpt-5.4-nano", "claude-haiku-5-5", "acme-local-llm-7b"]
    wide = font.width(", ".join(names), 15) + 1
    assert fonts.fit_names(names, wide, font, 15) == ", ".join(names)  # room: every name (it showed "+3")
    two = font.width(", ".join(names[:2]) + " +2", 15) + 1
    assert fonts.fit_names(names, two, font, 15) == "gemini-3.5-flash-lite, gpt-5.4-nano +2"  # whole names, the rest counted
    narrow = fonts.fit_names(names, 60, font, 15)
    assert narrow.endswith("…") and font.width(narrow, 15) <= 60  # not even one whole: cut with "…"
