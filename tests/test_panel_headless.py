"""The panel's widgets, built with only a Dear PyGui context (no viewport, no display needed):
every cell must show the figure worked out by hand from the price files."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

import dearpygui.dearpygui as dpg  # a dependency of costpanel: never skipped
import pytest

from costpanel import CostTracker, Usage
from costpanel.gui import CostPanel
from costpanel.gui.palette import PALETTES
from costpanel.gui.viewmodel import STANDARD_TIERS, TABLES

if TYPE_CHECKING:
    from conftest import Clock


@pytest.fixture
def panel(tracker: CostTracker) -> Iterator[CostPanel]:
    dpg.create_context()
    try:
        p = CostPanel(tracker, persist_settings=False, table_refresh_s=0, detail_refresh_s=0)
        p.build()
        yield p
    finally:
        dpg.destroy_context()


def table_texts(panel: CostPanel, name: str) -> list[list[str]]:
    """The visible rows of a table, as the user reads them."""
    pool = panel.widgets.pools[name]
    return [[dpg.get_value(c) for c in row.cells] for row in pool.rows if dpg.is_item_shown(row.tag)]


def show_models(panel: CostPanel) -> None:
    """Select the Models tab, as a user clicking it (its table is refreshed only while shown)."""
    dpg.set_value(panel.tags("tabs"), panel.tags("tab", "models"))


def column(name: str, key: str) -> int:
    return [c.key for c in TABLES[name]].index(key)


def feed(tracker: CostTracker) -> None:
    """Per 1M tokens: gpt-4o $2.50 in / $10 out; claude-sonnet-4-5 $3 in, $0.30 cache read, $15 out;
    gpt-5-nano $0.05 / $0.40; gpt-4o-mini $0.15 / $0.60; acme-local-7b has no price."""
    tracker.record("gpt-4o", Usage(input=120_000, output=3_000), tier="Tier 1")  # 0.30 + 0.03
    tracker.record("claude-sonnet-4-5", Usage(input=2_000, cache_read=40_000, output=900),
                   tier="Tier 2")  # 0.006 + 0.012 + 0.0135
    tracker.record("gpt-5-nano", Usage(input=500, output=100), tier="Tier 4")  # 0.000025 + 0.00004
    tracker.record("acme-local-7b", Usage(input=800, output=80), tier="Tier 4")  # unpriced
    tracker.record("gpt-4o-mini", Usage(input=10, output=10), tier="Tier 10")  # 0.0000015 + 0.000006


FED_TOTAL = "$0.3615725"  # 0.33 + 0.0315 + 0.000065 + 0.0000075
FED_TOKENS = "167,400"  # 123,000 + 42,900 + 600 + 880 + 20


def test_header_shows_the_exact_session_total(panel: CostPanel, tracker: CostTracker) -> None:
    feed(tracker)
    assert panel.update()
    w = panel.widgets
    assert dpg.get_value(w.big_cost) == "$0.36 +?"  # acme-local-7b has no price: left out, and said
    assert dpg.get_value(w.big_cost_tip).startswith(f"{FED_TOTAL} exactly; plus 1 unpriced call(s) not included")
    assert dpg.get_value(w.header["tokens"]) == f"{FED_TOKENS} tokens"
    assert dpg.get_value(w.header["calls"]) == "5 calls"
    unpriced = dpg.get_value(w.notices["unpriced"])
    assert "1 call(s) unpriced" in unpriced and "acme-local-7b" in unpriced
    assert dpg.get_item_configuration(w.notices["unpriced"])["show"] is True


def test_tier_table_has_tiers_1_to_4_always_and_shows_fixed_figures(panel: CostPanel, tracker: CostTracker) -> None:
    panel.update()
    rows = table_texts(panel, "tiers")
    assert [r[0] for r in rows] == list(STANDARD_TIERS)
    assert all(r[column("tiers", "calls")] == "0" for r in rows)
    feed(tracker)
    panel.update()
    rows = table_texts(panel, "tiers")
    assert [r[0] for r in rows] == ["Tier 1", "Tier 2", "Tier 3", "Tier 4", "Tier 10"]
    assert [r[column("tiers", "calls")] for r in rows] == ["1", "1", "0", "2", "1"]
    assert [r[column("tiers", "cost")] for r in rows] == ["$0.33", "$0.032", "$0.00", "$0.000065 +?", "$0.0000075"]
    assert rows[3][column("tiers", "models")] == "gpt-5-nano, acme-local-7b"


def test_model_table_marks_unpriced_models_with_a_badge_and_a_hint(panel: CostPanel, tracker: CostTracker) -> None:
    feed(tracker)
    show_models(panel)
    panel.update()
    rows = {r[0]: r for r in table_texts(panel, "models")}
    assert "acme-local-7b [unpriced]" in rows
    assert rows["acme-local-7b [unpriced]"][column("models", "cost")] == "unpriced"
    assert rows["gpt-4o"][column("models", "cost")] == "$0.33"
    assert rows["gpt-4o"][column("models", "provider")] == "openai"
    pool = panel.widgets.pools["models"]
    k = [r[0] for r in table_texts(panel, "models")].index("acme-local-7b [unpriced]")
    assert dpg.get_item_configuration(pool.rows[k].cells[0])["color"][:3] != (-255.0, 0.0, 0.0)
    assert "costpanel pricing check" in dpg.get_value(pool.rows[k].tips[0])
    gpt4o = [r[0] for r in table_texts(panel, "models")].index("gpt-4o")
    cost_tip = dpg.get_value(pool.rows[gpt4o].tips[column("models", "cost")])
    assert cost_tip.startswith("$0.33 exactly")
    assert "input 120,000" in cost_tip and "output 3,000 tokens" in cost_tip  # exact figures behind 120k


def test_a_tiers_models_fill_the_room_their_column_has(panel: CostPanel, tracker: CostTracker) -> None:
    """1280 px at 100 %: the Model(s) column has room for four names (a fixed 34 characters showed one and "+3")."""
    for model in ("gpt-4o", "gpt-4o-mini", "claude-haiku-4-5", "gemini-2.5-flash"):
        tracker.record(model, Usage(input=1000, output=10), tier="Tier 4")
    panel.update(force=True)
    (row,) = [r for r in table_texts(panel, "tiers") if r[0] == "Tier 4"]
    assert "+" not in row[1] and row[1].count(", ") == 3, row[1]


def test_no_discarded_attempts_no_heading_over_an_empty_table(panel: CostPanel, tracker: CostTracker) -> None:
    feed(tracker)
    dpg.set_value(panel.tags("tabs"), panel.tags("tab", "pairs"))
    panel.update()
    assert table_texts(panel, "pairs") and table_texts(panel, "discarded") == []
    assert not dpg.is_item_shown(panel.tags("label", "discarded"))
    assert not dpg.is_item_shown(panel.tags("discarded", "table"))


def test_tier_by_model_and_discarded_tables(panel: CostPanel, tracker: CostTracker) -> None:
    feed(tracker)
    with pytest.raises(TimeoutError):
        with tracker.attempt(tier="Tier 2") as a:
            a.record("gpt-5", Usage(input=1000, output=10))
            raise TimeoutError
    panel.update()
    assert table_texts(panel, "pairs") == [], "a hidden tab's tables are not filled"
    dpg.set_value(panel.tags("tabs"), panel.tags("tab", "pairs"))  # the user opens the tab
    panel.update()
    pairs = table_texts(panel, "pairs")
    assert [(r[0], r[1]) for r in pairs] == [("Tier 1", "gpt-4o"), ("Tier 2", "claude-sonnet-4-5"),
                                             ("Tier 4", "gpt-5-nano"), ("Tier 4", "acme-local-7b [unpriced]"),
                                             ("Tier 10", "gpt-4o-mini")]
    discarded = table_texts(panel, "discarded")
    # gpt-5: 1000 x $1.25/M + 10 x $10/M = $0.00135
    assert discarded == [["Tier 2", "gpt-5", "1", "1.01k", "$0.0014", "100%"]]
    assert dpg.is_item_shown(panel.tags("label", "discarded")) and dpg.is_item_shown(panel.tags("discarded", "table"))
    assert dpg.get_value(panel.widgets.notices["discarded"]) == "1 discarded fallback call(s), $0.0014 not in the total"


def test_the_models_table_shows_its_sort_on_the_cost_column_it_comes_sorted_by(panel: CostPanel) -> None:
    """The models come costliest first: the header's arrow is on Cost, not on Model (where Dear
    PyGui puts it unless told, sorting the rows by name on the first frame)."""
    from costpanel.gui.viewmodel import TABLES

    defaults = [col.key for c, col in enumerate(TABLES["models"])
                if dpg.get_item_configuration(panel.tags("models", "col", c))["default_sort"]]
    assert defaults == ["cost"]


def test_reset_zeroes_the_header_and_tables_on_the_next_update(panel: CostPanel, tracker: CostTracker) -> None:
    feed(tracker)
    panel.update()
    old_session = tracker.session
    panel.request_reset()
    assert dpg.get_item_configuration(panel.widgets.reset_modal)["show"] is True
    # its text wraps inside the dialog, which grows with it (a long ledger path was cut at its edge)
    modal, text = dpg.get_item_configuration(panel.widgets.reset_modal), dpg.get_item_configuration(
        panel.tags("reset", "text"))
    assert modal["autosize"] and 0 < text["wrap"] < modal["width"]
    width = panel._window_size()[0]  # centred across the window (it opened left of centre)
    left = dpg.get_item_pos(panel.widgets.reset_modal)[0]
    assert abs(left + modal["width"] / 2 - width / 2) <= 1, (left, modal["width"], width)
    assert tracker.session == old_session, "nothing happens before the user confirms"
    panel.confirm_reset()
    assert dpg.get_item_configuration(panel.widgets.reset_modal)["show"] is False
    panel.update()
    assert tracker.session != old_session
    assert dpg.get_value(panel.widgets.big_cost) == "$0.00"
    assert dpg.get_value(panel.widgets.header["calls"]) == "0 calls"
    assert table_texts(panel, "models") == []
    assert [r[column("tiers", "calls")] for r in table_texts(panel, "tiers")] == ["0"] * 4
    assert dpg.get_item_configuration(panel.widgets.notices["unpriced"])["show"] is False
    # the chart too, at once: no line of the last run is left under a header that says $0.00
    drawn = {label: dpg.get_value(tag)[:2] for label, tag in panel.widgets.series.items()}
    assert drawn and all(xs == [] and ys == [] for xs, ys in drawn.values()), drawn


def test_unchanged_cells_are_not_written_again(panel: CostPanel, tracker: CostTracker) -> None:
    feed(tracker)
    panel.update()
    writes = panel.set_value_calls
    assert panel.update() is False  # nothing new: no snapshot, no writes
    assert panel.set_value_calls == writes
    tracker.record("gpt-4o", Usage(input=1, output=1), tier="Tier 1")
    panel.update()
    changed = panel.set_value_calls - writes
    assert 0 < changed < 25, f"one new call rewrote {changed} cells"


def test_sorting_a_column_reorders_rows(panel: CostPanel, tracker: CostTracker) -> None:
    feed(tracker)
    show_models(panel)
    panel.update()
    calls_col = dpg.get_alias_id(panel.tags("models", "col", column("models", "input")))
    panel.on_sort("models", [[calls_col, 1]])  # ascending input tokens
    panel.update()
    ascending = ["gpt-4o-mini", "gpt-5-nano", "acme-local-7b", "claude-sonnet-4-5", "gpt-4o"]  # 10 .. 120,000 input
    shown = [r[0].removesuffix(" [unpriced]") for r in table_texts(panel, "models")]
    assert shown == ascending
    panel.on_sort("models", [[calls_col, -1]])
    panel.update()
    assert [r[0].removesuffix(" [unpriced]") for r in table_texts(panel, "models")] == ascending[::-1]
    assert panel.settings.sort["models"] == ("input", True)


def test_budget_bar_levels_and_notices(panel: CostPanel, tracker: CostTracker) -> None:
    notice, group = panel.tags("budget", "notice"), panel.tags("budget", "notice", "group")
    panel.update()  # no budget: no bar (an empty one looked like a second input box), the words say so
    assert not dpg.is_item_shown(panel.widgets.budget_bar)
    assert dpg.get_value(panel.widgets.budget_label) == "no budget"
    panel.set_budget("1.00")
    tracker.record("gpt-4o", Usage(input=200_000), tier="Tier 1")  # $0.50
    panel.update()
    assert dpg.is_item_shown(panel.widgets.budget_bar)
    assert dpg.get_value(panel.widgets.budget_bar) == pytest.approx(0.5)
    # one percentage, beside the bar; nothing drawn over the bar
    assert dpg.get_value(panel.widgets.budget_label) == "50%  $0.50 of $1.00, $0.50 left"
    assert dpg.get_item_configuration(panel.widgets.budget_bar)["overlay"] == ""
    assert dpg.get_value(notice) == "Half of the budget spent: $0.50 of $1.00"
    panel.dismiss_budget_notice()
    panel.update()
    assert not dpg.is_item_shown(group), "dismissed until a higher threshold"
    tracker.record("gpt-4o", Usage(input=140_000), tier="Tier 1")  # $0.85
    panel.update()
    assert dpg.get_value(notice) == "80% of the budget spent: $0.85 of $1.00"  # replaces the 50 % one
    assert dpg.is_item_shown(group)
    tracker.record("gpt-4o", Usage(input=100_000), tier="Tier 1")  # $1.10
    panel.update()
    assert dpg.get_value(panel.widgets.budget_bar) == 1.0
    assert dpg.get_value(notice) == "Budget exceeded: $1.10 of $1.00"  # the 80 % notice is gone
    assert dpg.get_value(panel.widgets.budget_label) == "110%  $1.10 of $1.00, $0.10 over"
    assert panel.notices == [], "budget notices are not stacked with other messages"
    panel.set_budget("-3")
    assert panel.budget == Decimal("1.00"), "a bad budget changes nothing"
    assert "-3" in panel.notices[-1]
    panel.notify("Guard: session $1.00 reached", about="guard:session")
    panel.set_budget("-3")
    panel.set_budget("5.555")
    assert len([n for n in panel.notices if n.startswith("Budget not changed")]) == 1  # the last refusal, once
    panel.set_budget("2")
    assert panel.budget == Decimal("2") and panel.notices == ["Guard: session $1.00 reached"]  # a guard's stays


def test_export_buttons_write_the_current_view(panel: CostPanel, tracker: CostTracker, tmp_path) -> None:
    panel.export_dir = tmp_path / "exports"
    feed(tracker)
    csv_path = panel.export("csv")
    json_path = panel.export("json")
    assert csv_path is not None and csv_path.exists() and json_path is not None and json_path.exists()
    assert "acme-local-7b" in csv_path.read_text()
    assert str(csv_path) in panel.notices[-2]

    # a saved export reads in the text colour; a failure among the notices turns them to the warning one
    def colour() -> tuple[int, ...]:  # Dear PyGui keeps colours as float32 fractions of 255
        return tuple(round(c * 255) for c in dpg.get_item_configuration(panel.widgets.alert_text)["color"][:3])

    assert panel.notices_ok() and colour() == panel._palette.text
    panel.export_dir = tmp_path / "a-file"
    panel.export_dir.write_text("")  # a folder that cannot be made: the export fails
    assert panel.export("csv") is None and panel.notices[-1].startswith("Export failed")
    assert not panel.notices_ok() and colour() == panel._palette.notice


def test_rows_refresh_at_most_at_the_table_rate_but_never_stay_stale(catalog, clock: Clock) -> None:
    tracker = CostTracker(catalog)  # the panel's intervals run on the test's clock: no sleeping, no race
    dpg.create_context()
    try:
        panel = CostPanel(tracker, persist_settings=False, table_refresh_s=0.2, detail_refresh_s=0.2)
        panel.build()
        show_models(panel)
        panel.update()
        tracker.record("gpt-4o", Usage(input=1000), tier="Tier 1", at=clock.ago(0))
        clock.advance(0.1)
        panel.update()  # 0.1 s after the first refresh: the rows wait, and the header with them
        assert dpg.get_value(panel.widgets.header["calls"]) == "0 calls"  # the total agrees with the rows shown
        assert table_texts(panel, "models") == []
        clock.advance(0.15)
        panel.update()  # no new call since, but the rows were behind: refreshed now, the header too
        assert [r[0] for r in table_texts(panel, "models")] == ["gpt-4o"]
        assert dpg.get_value(panel.widgets.header["calls"]) == "1 call"
    finally:
        dpg.destroy_context()


def test_the_header_and_the_tier_rows_always_come_from_one_snapshot(catalog, clock: Clock) -> None:
    """Whatever the moment a frame falls, the header's calls equal the tier rows' calls beneath it."""
    tracker = CostTracker(catalog)
    dpg.create_context()
    try:
        panel = CostPanel(tracker, persist_settings=False, table_refresh_s=0.2, detail_refresh_s=0.5)
        panel.build()
        panel.update()
        calls = column("tiers", "calls")
        for n in range(40):
            tracker.record("gpt-4o", Usage(input=1000 + n), tier=f"Tier {1 + n % 4}", at=clock.ago(0))
            clock.advance(0.03 + 0.05 * (n % 3))
            panel.update()
            shown = sum(int(row[calls].replace(",", "")) for row in table_texts(panel, "tiers"))
            header = int(dpg.get_value(panel.widgets.header["calls"]).split()[0].replace(",", ""))
            assert header == shown, n
        clock.advance(0.3)
        panel.update()
        assert dpg.get_value(panel.widgets.header["calls"]) == "40 calls"  # never left behind
    finally:
        dpg.destroy_context()


def test_theme_and_font_scale_switches_are_applied_and_remembered(panel: CostPanel) -> None:
    from costpanel.gui.theme import style_theme

    panel.set_theme("light")
    assert panel.settings.theme == "light"
    assert dpg.get_value(panel.widgets.theme_toggle) == "light"
    panel.set_font_scale("150%")
    assert panel.settings.font_scale == 1.5
    text_font, big_font = panel.themes.fonts[150]
    assert dpg.get_item_font(panel.widgets.big_cost) == big_font
    # Roboto loaded at the scaled pixel size (15 px x 1.5, the total 34 px x 1.5), not a stretched bitmap
    assert dpg.get_item_configuration(text_font)["size"] == 22 and dpg.get_item_configuration(big_font)["size"] == 51
    assert panel.themes.current == style_theme(panel.tags, panel._palette, panel._style)
    panel.set_theme("purple")  # not a theme: ignored
    panel.set_font_scale("250%")  # out of 100..200: ignored
    assert (panel.settings.theme, panel.settings.font_scale) == ("light", 1.5)


def test_history_tab_shows_the_ledger_by_day_model_and_tier(catalog, tmp_path, monkeypatch) -> None:
    import datetime as dt

    from costpanel.gui import ticks

    set_ticks = dpg.set_axis_ticks
    axis_labels: dict[object, list[str]] = {}

    def recorded(axis: object, pairs: tuple[tuple[str, float], ...]) -> None:
        axis_labels[axis] = [label for label, _ in pairs]
        set_ticks(axis, pairs)

    monkeypatch.setattr(dpg, "set_axis_ticks", recorded)

    tracker = CostTracker(catalog, ledger=tmp_path / "ledger.sqlite3")
    yesterday = dt.datetime.now().astimezone() - dt.timedelta(days=1)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1", at=yesterday)
    tracker.record("gpt-4o-mini", Usage(input=1_000_000), tier="Tier 4")
    tracker.record("mystery", Usage(input=5), tier="Tier 4")
    tracker.ledger.flush()
    dpg.create_context()
    try:
        panel = CostPanel(tracker, persist_settings=False, table_refresh_s=0, detail_refresh_s=0)
        panel.build()
        dpg.set_value(panel.tags("tabs"), panel.tags("tab", "history"))
        panel.update()
        h = panel.widgets.history
        assert dpg.get_value(h.summary).startswith("7d: $2.65 over 3 calls (1 unpriced")
        models = [[dpg.get_value(c) for c in r.cells] for r in h.pools["model"].rows if dpg.is_item_shown(r.tag)]
        assert models[0][:2] == ["gpt-4o", "1"] and models[0][3] == "$2.50"
        assert ["mystery [unpriced]", "1"] == models[-1][:2] and models[-1][3] == "unpriced"
        xs, ys = dpg.get_value(h.bars)[:2]
        assert len(xs) == 2 and ys == pytest.approx([2.5, 0.15])
        trend_x, trend_y = dpg.get_value(h.trend)[:2]  # the 7-day average: the day and the six before it
        assert trend_x[1:] == xs and trend_y == pytest.approx([0, 2.5 / 7, (2.5 + 0.15) / 7])  # from $0 the day before
        first, last = panel.history.days_shown  # the range's seven days on the axis, today the last
        assert last - first == pytest.approx(7 * 86400, abs=3600) and first < xs[0] < xs[1] < last
        clock = ticks.clock_from_locale()
        days = [(dt.date.today() - dt.timedelta(days=k)).strftime(clock.day_format) for k in range(6, -1, -1)]
        assert axis_labels[h.plot_x] == days  # each day in the locale's order, no times of day
        assert dpg.get_item_configuration(panel.tags("history", "plot"))["height"] == 240  # at 100 %
        panel.set_history_range("today")
        panel.update()
        assert dpg.get_value(h.summary).startswith("today: $0.15 over 2 calls")
        path = panel.export_history("csv")
        assert path is not None and "0.15" in path.read_text()
    finally:
        dpg.destroy_context()
        tracker.close()


def test_history_budgets_set_in_the_panel_are_shared_with_the_cli(catalog, tmp_path) -> None:
    from costpanel.ledger.budgets import load_budgets

    tracker = CostTracker(catalog, ledger=tmp_path / "ledger.sqlite3")
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1")  # $2.50 today
    dpg.create_context()
    try:
        panel = CostPanel(tracker, persist_settings=False)
        panel.build()
        dpg.set_value(panel.tags("tabs"), panel.tags("tab", "history"))
        panel.set_history_budgets("3", "")
        budgets = load_budgets()
        assert budgets.daily_usd == Decimal(3) and budgets.monthly_usd is None
        panel.update()
        h = panel.widgets.history
        assert dpg.get_value(h.budget_labels[0]) == "Today: spent $2.50 of $3.00 (83%, $0.50 left)"  # as `budget show`
        assert dpg.get_value(h.budget_bars[0]) == pytest.approx(2.5 / 3)
        panel.set_history_budgets("abc", "")
        assert "abc" in panel.notices[-1] and load_budgets().daily_usd == Decimal(3)
    finally:
        dpg.destroy_context()
        tracker.close()


def test_a_ledger_that_cannot_write_is_shown_as_a_notice(catalog, tmp_path) -> None:
    from costpanel.ledger import Ledger

    ledger = Ledger(tmp_path / "ledger.sqlite3", flush_interval=0.05)
    tracker = CostTracker(catalog, ledger=ledger)
    blocker = __import__("sqlite3").connect(tmp_path / "ledger.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the file
    dpg.create_context()
    try:
        panel = CostPanel(tracker, persist_settings=False)
        panel.build()
        tracker.record("gpt-4o", Usage(input=10), tier="Tier 1")
        import time

        deadline = time.monotonic() + 10
        while ledger.health().ok and time.monotonic() < deadline:
            time.sleep(0.05)
        panel.update(force=True)
        assert any("Ledger cannot write" in n and "kept in memory" in n for n in panel.notices)
        blocker.execute("ROLLBACK")
        assert ledger.flush(timeout=10)
    finally:
        blocker.close()
        dpg.destroy_context()
        tracker.close()
        ledger.close()


def test_an_embedded_panel_leaves_the_hosts_theme_and_font_scale_alone(tracker: CostTracker) -> None:
    from costpanel.gui.settings import PanelSettings

    dpg.create_context()
    try:
        with dpg.theme() as host_theme:
            pass
        dpg.bind_theme(host_theme)
        dpg.set_global_font_scale(1.25)
        host = dpg.add_window(label="host app")
        panel = CostPanel(tracker, persist_settings=False, settings=PanelSettings(theme="light", font_scale=1.5))
        panel.build(host)
        assert dpg.get_global_font_scale() == pytest.approx(1.25)
        assert dpg.get_item_theme(panel.widgets.root) == panel.themes.current  # the panel alone is light
        assert panel.themes.current != host_theme and "light" in str(panel.themes.current)
        tracker.record("mystery", Usage(input=5), tier="Tier 1")
        show_models(panel)
        panel.update()
        k = [dpg.get_value(r.cells[0]) for r in panel.widgets.pools["models"].rows].index("mystery [unpriced]")
        light_badge = dpg.get_item_configuration(panel.widgets.pools["models"].rows[k].cells[0])["color"]
        panel.set_theme("dark")
        panel.update()
        dark_badge = dpg.get_item_configuration(panel.widgets.pools["models"].rows[k].cells[0])["color"]
        assert light_badge != dark_badge, "the badge colour keeps its contrast on each background"
    finally:
        dpg.destroy_context()


def fonts_fit(text: str, width: float, panel: CostPanel) -> str:
    from costpanel.gui.fonts import ELLIPSIS, fit

    cut = fit(text, width, panel._ui_metrics, panel._style.font)
    assert cut.endswith(ELLIPSIS) and len(cut) < len(text)
    return cut


def test_a_long_name_is_cut_to_its_column_with_the_full_name_in_the_tooltip(tracker: CostTracker) -> None:
    from costpanel.gui.fonts import ELLIPSIS
    from costpanel.gui.settings import PanelSettings

    long = "acme-research-preview-model-with-a-name-far-longer-than-any-column-could-ever-hold-2026-12-03"
    tracker.record(long, Usage(input=5), tier="Tier 1")
    dpg.create_context()
    try:  # no viewport: the window is the settings' size, 1280 px wide, at 150 %
        p = CostPanel(tracker, persist_settings=False, table_refresh_s=0, detail_refresh_s=0,
                      settings=PanelSettings(font_scale=1.5))
        p.build()
        show_models(p)
        p.update()
        pool = p.widgets.pools["models"]
        shown = dpg.get_value(pool.rows[0].cells[0])
        assert shown.endswith(ELLIPSIS) and f"{long} [unpriced]".startswith(shown[:-1])
        assert p._ui_metrics.width(shown, p._style.font) <= p._plans["models"].name_width
        assert dpg.get_value(pool.rows[0].tips[0]).startswith(f"No price for '{long}'")
        tiers = p.widgets.pools["tiers"]  # a long tier label is cut to its column too
        label = "a-tier-label-far-too-long-for-the-tier-column"
        tracker.record("gpt-4o", Usage(input=5), tier=label)
        dpg.set_value(p.tags("tabs"), p.tags("tab", "overview"))
        p.update()
        (row,) = [r for r in tiers.rows if dpg.get_value(r.tips[0]) == label]
        assert dpg.get_value(row.cells[0]) == fonts_fit(label, p._plans["tiers"].widths["tier"], p)
        # the columns that do not fit 1280 px at 150 % are disabled (hidden); their figures stay in the tooltip
        enabled = {col.key: dpg.get_item_configuration(p.tags("models", "col", c))["enabled"]
                   for c, col in enumerate(TABLES["models"])}
        assert [k for k, on in enabled.items() if not on] == ["provider"]
        calls = [col.key for col in TABLES["models"]].index("calls")  # fixed columns take the plan's widths
        width = dpg.get_item_configuration(p.tags("models", "col", calls))["init_width_or_weight"]
        assert width == int(p._plans["models"].widths["calls"]) > 0
    finally:
        dpg.destroy_context()


def test_the_tier_table_says_when_its_rounded_rows_miss_the_total_by_a_cent(panel: CostPanel,
                                                                           tracker: CostTracker) -> None:
    from costpanel.gui.viewmodel import ROUNDED_NOTE

    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1")  # $2.50 + $1.00: the rows add up
    tracker.record("gpt-4o", Usage(input=400_000), tier="Tier 2")
    panel.update(force=True)
    assert dpg.get_value(panel.tags("label", "tiers")) == "By tier"
    tracker.record("gpt-4o", Usage(input=2002), tier="Tier 3")  # $0.005005: $2.50 + $1.00 + $0.0050 vs $3.51
    panel.update(force=True)
    assert dpg.get_value(panel.tags("label", "tiers")) == "By tier" + ROUNDED_NOTE


def test_the_model_table_is_written_only_while_its_tab_is_shown(panel: CostPanel, tracker: CostTracker) -> None:
    feed(tracker)
    panel.update()  # the Overview: tier rows, not the 5 model rows behind the Models tab
    assert [r[0] for r in table_texts(panel, "tiers")][:2] == ["Tier 1", "Tier 2"]
    assert table_texts(panel, "models") == []
    show_models(panel)
    panel.update()  # shown: written at once, without waiting for new calls
    assert len(table_texts(panel, "models")) == 5


def line_colour(series: int | str) -> tuple[int, ...]:
    """The RGBA a chart line is drawn in: its theme's line colour."""
    for component in dpg.get_item_children(dpg.get_item_theme(series), 1):
        for item in dpg.get_item_children(component, 1):
            if dpg.get_item_type(item).endswith("mvThemeColor") and dpg.get_item_configuration(item)["target"] \
                    == dpg.mvPlotCol_Line:
                return tuple(int(v) for v in dpg.get_value(item))
    raise AssertionError(f"no line colour in the theme of {dpg.get_item_label(series)}")


def test_the_total_is_drawn_beneath_the_tier_lines_and_over_the_stacked_bands(panel: CostPanel,
                                                                               tracker: CostTracker) -> None:
    """ImPlot draws (and lists) in item order. The total's wide line goes first, so a session's
    only tier shows on top of it (it hid Tier 2's line in the demo); tiers that appear later go
    after it too; every line has its colour before its first call (the legend's). Stacked, the
    total is the bands' top edge: drawn last, over them."""
    w = panel.widgets

    def drawn() -> list[str]:
        return [dpg.get_item_label(c) for c in dpg.get_item_children(w.plot_y, 1)
                if dpg.get_item_type(c).endswith("mvLineSeries")]

    for tier in ("Tier 2", "main", "subagent"):  # one at a time: each appears after the total exists
        tracker.record("gpt-4o", Usage(input=1000, output=10), tier=tier)
        panel.update(force=True)
    assert drawn() == ["Total", "Tier 1", "Tier 2", "Tier 3", "Tier 4", "main", "subagent"]
    assert all(dpg.get_item_theme(tag) for tag in w.series.values()), "a line without its colour"
    colours = {label: line_colour(tag) for label, tag in w.series.items()}
    assert len(set(colours.values())) == len(colours), f"two lines share a colour: {colours}"
    assert colours["main"] == (*PALETTES["dark"].other_lines[0], 255)  # the first other tier: the first other colour
    panel.set_chart_mode("Stacked")
    panel.update(force=True)
    assert dpg.get_item_children(w.plot_y, 1)[-1] == dpg.get_alias_id(w.series["Total"])
    panel.set_chart_mode("Lines")
    panel.update(force=True)
    assert drawn()[0] == "Total"


def test_the_chart_title_names_its_span_once_calls_have_left_it(catalog, clock: Clock) -> None:
    tracker = CostTracker(catalog)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="main", at=clock.ago(2 * 3600))  # before the hour shown
    tracker.record("gpt-4o", Usage(input=400_000), tier="main", at=clock.ago(0))
    dpg.create_context()
    try:
        panel = CostPanel(tracker, persist_settings=False, table_refresh_s=0, detail_refresh_s=0)
        panel.build()
        panel.update()
        assert dpg.get_item_label(panel.tags("plot")) == "Cumulative cost, the hour up to the last call"
        x, y = dpg.get_value(panel.widgets.series["Total"])[:2]
        assert y[0] == 2.5 and y[-1] == 3.5  # from the $2.50 spent before the hour, not from $0
        tracker.reset()
        tracker.record("gpt-4o", Usage(input=400_000), tier="main", at=clock.ago(0))
        panel.update(force=True)
        assert dpg.get_item_label(panel.tags("plot")) == "Cumulative cost"  # every call shown again
    finally:
        dpg.destroy_context()


def test_the_chart_counts_seconds_from_a_whole_hour_and_stacks_on_demand(catalog, clock: Clock) -> None:
    tracker = CostTracker(catalog)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1", at=clock.ago(5))  # $2.50
    tracker.record("gpt-4o", Usage(input=400_000), tier="Tier 2", at=clock.ago(0))  # $1.00
    dpg.create_context()
    try:
        panel = CostPanel(tracker, persist_settings=False, table_refresh_s=0, detail_refresh_s=0)
        panel.build()
        panel.update()
        w = panel.widgets
        # the clock starts at 12:00:00 UTC: the first call at 11:59:55, so the axis counts from 11:00
        hour = clock.START - 3600
        assert panel.chart.origin == hour
        x, y = dpg.get_value(w.series["Total"])[:2]  # drawn as steps: flat between calls, then straight up
        assert (x, y) == ([3594.0, 3595.0, 3595.0, 3600.0, 3600.0], [0.0, 0.0, 2.5, 2.5, 3.5])
        assert dpg.is_item_shown(w.series["Tier 1"]) and not dpg.is_item_shown(w.areas["Tier 1"])
        panel.set_chart_mode("Stacked")
        panel.update()
        assert dpg.get_value(panel.tags("chart", "mode")) == "Stacked"
        assert not dpg.is_item_shown(w.series["Tier 2"]) and dpg.is_item_shown(w.areas["Tier 2"])
        x, top, bottom = dpg.get_value(w.areas["Tier 2"])[:3]  # Tier 2 stacked on Tier 1
        assert (x, bottom, top) == ([3594.0, 3595.0, 3595.0, 3599.0, 3599.0, 3600.0, 3600.0],
                                    [0.0, 0.0, 2.5, 2.5, 2.5, 2.5, 2.5], [0.0, 0.0, 2.5, 2.5, 2.5, 2.5, 3.5])
        assert dpg.is_item_shown(w.series["Total"]), "the total stays a line over the bands"
    finally:
        dpg.destroy_context()


@pytest.mark.parametrize(("scale", "wrapped"), [(1.0, False), (1.5, False), (2.0, True)])
def test_the_view_controls_take_a_row_of_their_own_when_the_buttons_row_is_full(
        tracker: CostTracker, scale: float, wrapped: bool) -> None:
    """At 200 % in a 1280 px window, Theme / Scale / Chart move under the buttons (never cut at the
    edge); at 100-150 % they stay beside them, and come back when the scale goes down again."""
    from costpanel.gui.panel import _item_id
    from costpanel.gui.settings import PanelSettings

    dpg.create_context()
    try:  # no viewport: the window is the settings' size, 1280 px wide
        p = CostPanel(tracker, persist_settings=False, settings=PanelSettings(font_scale=scale))
        p.build()
        p.update()
        view = p.tags("controls", "view")
        row = p.tags("controls", "wrapped") if wrapped else p.tags("controls")
        assert _item_id(dpg.get_item_parent(view)) == _item_id(row)
        assert dpg.is_item_shown(p.tags("controls", "wrapped")) == wrapped
        assert dpg.is_item_shown(p.tags("gap", "controls")) != wrapped
        if wrapped:
            p.set_font_scale("100%")
            p.update()
            assert _item_id(dpg.get_item_parent(view)) == _item_id(p.tags("controls"))
            assert not dpg.is_item_shown(p.tags("controls", "wrapped"))
    finally:
        dpg.destroy_context()


CJK_MODEL, CJK_TIER = "通义千问-max", "模型层"


def _cjk_panel(tracker: CostTracker) -> CostPanel:
    tracker.record(CJK_MODEL, Usage(input=5), tier="Tier 1")  # unpriced: named in the header's notice
    tracker.record("gpt-4o", Usage(input=1000, output=10), tier=CJK_TIER)
    p = CostPanel(tracker, persist_settings=False, table_refresh_s=0, detail_refresh_s=0)
    p.build()
    p.update(force=True)
    return p


def test_cjk_names_are_drawn_in_the_system_cjk_font_in_tables_notice_and_legend(tracker: CostTracker) -> None:
    """With a CJK system font (fonts-wqy-microhei in CI), a model or tier name in CJK is drawn in it
    wherever it appears: its table cell, the unpriced notice and the chart's legend, never as the
    boxes Roboto would draw."""
    import os

    from costpanel.gui import fonts

    path = fonts.cjk_font_file()
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("no CJK font: CI installs fonts-wqy-microhei (see .ci/run)")
        pytest.skip("no CJK system font here (apt-get install fonts-wqy-microhei)")
    from costpanel.gui.panel import _item_id

    def font_of(item: int | str) -> object:
        return _item_id(dpg.get_item_font(item) or 0)

    dpg.create_context()
    try:
        p = _cjk_panel(tracker)
        cjk = _item_id(p.themes.extra_font(path, p.scale, p._style))
        rows = {dpg.get_value(r.cells[0]): r for r in p.widgets.pools["tiers"].rows if dpg.is_item_shown(r.tag)}
        assert {"Tier 1", CJK_TIER} <= set(rows)
        assert font_of(rows[CJK_TIER].cells[0]) == cjk
        assert dpg.get_value(rows["Tier 1"].cells[1]) == CJK_MODEL
        assert font_of(rows["Tier 1"].cells[1]) == cjk
        assert font_of(rows["Tier 1"].cells[0]) != cjk, "Latin names stay in Roboto"
        notice = p.widgets.notices["unpriced"]
        assert dpg.get_value(notice) == f"1 call(s) unpriced: {CJK_MODEL}"
        assert font_of(notice) == cjk
        assert dpg.get_item_label(p.widgets.series[CJK_TIER]) == CJK_TIER
        assert font_of(p.tags("plot")) == cjk
    finally:
        dpg.destroy_context()


def test_without_a_cjk_font_cjk_names_show_as_code_points_not_boxes(tracker: CostTracker,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from costpanel.gui import fonts

    monkeypatch.setattr(fonts, "cjk_font_file", lambda candidates=None: None)  # a machine with no CJK font
    dpg.create_context()
    try:
        p = _cjk_panel(tracker)
        points = "".join(f"U+{ord(c):04X}" for c in CJK_TIER)
        assert dpg.get_item_label(p.widgets.series[CJK_TIER]) == points
        assert dpg.get_value(p.widgets.notices["unpriced"]) == (
            "1 call(s) unpriced: U+901AU+4E49U+5343U+95EE-max")
        (cell,) = [r.cells[0] for r in p.widgets.pools["tiers"].rows if dpg.get_value(r.cells[0]).startswith("U+")]
        assert points.startswith(dpg.get_value(cell).rstrip("…"))  # cut to its column, never boxes
    finally:
        dpg.destroy_context()


def test_the_what_if_choices_widen_with_the_text(tracker: CostTracker) -> None:
    """At 150 % "This session" was cut to "This sessi": the combos' widths scale with the font."""
    dpg.create_context()
    try:
        panel = CostPanel(tracker, persist_settings=False)
        panel.build()
        widths = {k: dpg.get_item_configuration(panel.tags("whatif", k))["width"] for k in ("target", "scope")}
        panel.set_font_scale("150%")
        wider = {k: dpg.get_item_configuration(panel.tags("whatif", k))["width"] for k in ("target", "scope")}
        assert wider == {k: int(v * 1.5) for k, v in widths.items()}, (widths, wider)
    finally:
        dpg.destroy_context()
