"""The view model: snapshot → texts, rows and chart lines, with no Dear PyGui involved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from costpanel import CostTracker, Usage
from costpanel.gui.budget import BudgetLevel
from costpanel.gui.viewmodel import (
    MODEL_COLUMNS,
    STANDARD_TIERS,
    PanelView,
    build_view,
    chart_series,
    chart_title,
    rows_round_off,
    sort_rows,
    stacked,
    steps,
)
from costpanel.pricing import Catalog

if TYPE_CHECKING:
    from conftest import Clock

UTC = dt.timezone.utc


def test_chart_lines_are_cumulative_and_quiet_tiers_stay_flat_to_the_latest_second(tracker: CostTracker) -> None:
    t0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1", at=t0)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 2", at=t0 + dt.timedelta(seconds=5))
    lines = chart_series(tracker.snapshot())
    t = t0.timestamp()
    assert lines["Total"] == ([t - 1, t, t + 5], [0.0, 2.5, 5.0])  # each line rises from zero
    assert lines["Tier 1"] == ([t - 1, t, t + 5], [0.0, 2.5, 2.5])
    assert lines["Tier 2"] == ([t + 4, t + 5], [0.0, 2.5])
    # stacked: Tier 2 on top of Tier 1, both held at their last value between points
    areas = stacked(lines)
    assert areas["Tier 1"] == ([t - 1, t, t + 4, t + 5], [0.0] * 4, [0.0, 2.5, 2.5, 2.5])
    assert areas["Tier 2"] == ([t - 1, t, t + 4, t + 5], [0.0, 2.5, 2.5, 2.5], [0.0, 2.5, 2.5, 5.0])


def test_cumulative_lines_are_drawn_as_steps_never_as_slopes_between_calls() -> None:
    assert steps([0.0, 1.0, 30.0], [0.0, 0.128, 0.27]) == ([0.0, 1.0, 1.0, 30.0, 30.0], [0.0, 0.0, 0.128, 0.128, 0.27])
    assert steps([5.0, 9.0], [1.0, 2.0], [3.0, 4.0]) == ([5.0, 9.0, 9.0], [1.0, 1.0, 2.0], [3.0, 3.0, 4.0])
    assert steps([7.0], [1.0]) == ([7.0], [1.0]) and steps([]) == ([],)


def test_a_session_of_one_second_still_draws_a_line(tracker: CostTracker) -> None:
    t0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1", at=t0)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1", at=t0)
    assert chart_series(tracker.snapshot())["Total"] == ([t0.timestamp() - 1, t0.timestamp()], [0.0, 5.0])


def test_a_line_whose_first_calls_left_the_window_starts_at_their_sum_not_at_zero(catalog: Catalog) -> None:
    """A watched day squeezed into the last hour's chart: the line begins at what was spent before
    the window, on its first second, rather than rising from $0 there as if it all cost that second."""
    tracker = CostTracker(catalog, series_seconds=600)
    t0 = dt.datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1", at=t0)  # $2.50, hours before the window
    tracker.record("gpt-4o", Usage(input=400_000), tier="main", at=t0 + dt.timedelta(hours=4))  # $1.00
    tracker.record("gpt-4o", Usage(input=400_000), tier="Tier 1", at=t0 + dt.timedelta(hours=4, seconds=30))
    lines = chart_series(tracker.snapshot())
    now = (t0 + dt.timedelta(hours=4, seconds=30)).timestamp()
    first = now - 599  # the window's first second
    assert lines["Total"] == ([first, now - 30, now], [2.5, 3.5, 4.5])
    assert lines["Tier 1"] == ([first, now], [2.5, 3.5])  # flat at $2.50 until its next call
    assert lines["main"] == ([now - 31, now - 30, now], [0.0, 1.0, 1.0])  # nothing folded: from zero
    xs, bottom, top = stacked(lines)["Tier 1"]  # on top of main: from $2.50 at the window's start up to the total
    assert (xs[0], bottom[0], top[0]) == (first, 0.0, 2.5) and top[-1] == 4.5
    assert chart_title(tracker.snapshot(), lines) == "Cumulative cost, the 10 min up to the last call"  # says what span it shows
    assert build_view(tracker.snapshot()).chart_title == "Cumulative cost, the 10 min up to the last call"
    fresh = CostTracker(catalog)
    fresh.record("gpt-4o", Usage(input=1_000), tier="main", at=t0)
    assert build_view(fresh.snapshot()).chart_title == "Cumulative cost"  # every call on the chart: no span to name
    # a tier quiet since before the total's window began starts where the total does, not earlier
    tracker.record("gpt-4o", Usage(input=400_000), tier="main", at=t0 + dt.timedelta(hours=4, seconds=700))
    lines = chart_series(tracker.snapshot())
    newest = (t0 + dt.timedelta(hours=4, seconds=700)).timestamp()
    assert lines["Total"][0][0] == lines["Tier 1"][0][0] == newest - 599
    assert lines["Tier 1"][1] == [3.5, 3.5] and lines["Total"][1][0] == 4.5 and lines["main"][1][0] == 1.0
    hour = CostTracker(catalog)
    hour.record("gpt-4o", Usage(input=1_000), tier="main", at=t0)
    hour.record("gpt-4o", Usage(input=1_000), tier="main", at=t0 + dt.timedelta(hours=2))
    assert build_view(hour.snapshot()).chart_title == "Cumulative cost, the hour up to the last call"


def test_burn_rate_and_projection_wait_for_60_s_and_5_calls(catalog: Catalog, clock: Clock) -> None:
    tracker = CostTracker(catalog)
    for _ in range(5):
        tracker.record("gpt-4o", Usage(input=100_000), tier="Tier 1", at=clock.ago(0))  # $0.25 each
    clock.advance(59)
    h = build_view(tracker.snapshot()).header
    assert (h.burn_5m, h.burn_session, h.projection) == (
        "\u2014 (shown after 60 s and 5 calls)", "", "in 1 h: \u2014")
    clock.advance(1)  # 60 s, 5 calls: $1.25 in one minute is $75/h over both windows
    h = build_view(tracker.snapshot()).header
    assert (h.burn_5m, h.burn_session, h.projection) == (
        "$75.00/h over the last 1 min (the whole run)", "$75.00/h session average", "in 1 h at the 5-min rate: $76.25")
    young = CostTracker(catalog)
    for _ in range(4):
        young.record("gpt-4o", Usage(input=100_000), tier="Tier 1", at=clock.ago(0))
    clock.advance(600)
    assert build_view(young.snapshot()).header.burn_5m.startswith("\u2014"), "4 calls are too few, however old"


def test_a_run_that_began_after_its_session_opened_is_measured_from_its_first_call(catalog: Catalog,
                                                                                   clock: Clock) -> None:
    """`costpanel watch` opens today's session at midnight, a Reset waits for the next experiment:
    the rates wait 60 s from the run's first call, then divide by the run's time, not the idle
    time before it ($5.45 in the first 20 s read $65/h "over the last 5 min" before)."""
    tracker = CostTracker(catalog)
    clock.advance(3 * 3600)  # the session has been open, idle, for three hours
    for k in range(6):  # $0.25 each, one every 10 s: $1.50 over 50 s
        tracker.record("gpt-4o", Usage(input=100_000), tier="Tier 1", at=clock.ago(0))
        if k < 5:
            clock.advance(10)
    assert build_view(tracker.snapshot()).header.burn_5m.startswith("\u2014 (shown after 60 s")  # 50 s of run
    clock.advance(40)  # 90 s since the first call
    h = build_view(tracker.snapshot()).header
    assert (h.burn_5m, h.burn_session, h.projection) == (  # $1.50 in 90 s is $60/h
        "$60.00/h over the last 1 min 30 s (the whole run)", "$60.00/h session average",
        "in 1 h at the 5-min rate: $61.50")
    clock.advance(3600)  # an hour later, nothing since: the 5 minutes are idle, the run's average falls
    h = build_view(tracker.snapshot()).header
    assert (h.burn_5m, h.burn_session) == ("$0.00/h over the last 5 min", "$1.46/h session average")  # 1.50 / 3690 s


def test_names_no_loaded_font_can_draw_show_their_code_points() -> None:
    from costpanel.gui.fonts import Glyphs, default_glyphs

    g = default_glyphs()  # Roboto: Latin, Greek and Cyrillic, no CJK, no emoji
    assert g("модель-Ωmega") == "модель-Ωmega"
    assert g("中文-model") == "U+4E2DU+6587-model"
    assert g("bot-\U0001F600") == "bot-U+1F600"
    from costpanel.gui.fonts import FontMetrics, covered_by, metrics, ui_font_file

    cjk = FontMetrics(ui_font_file(), 1000, {0x4E2D: 1000, 0x6587: 1000}, 1448)  # a CJK font's two glyphs
    with_cjk = Glyphs(covered_by(metrics(ui_font_file()), cjk))  # as the panel with a CJK system font
    assert with_cjk("中文-model") == "中文-model"
    assert with_cjk("中国") == "中U+56FD", "a glyph neither font has"


def test_view_always_lists_the_four_standard_tiers_then_others_naturally(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=1), tier="Tier 12")
    tracker.record("gpt-4o", Usage(input=1), tier="planner")
    view = build_view(tracker.snapshot())
    assert [r.key for r in view.tables["tiers"]] == ["planner", *STANDARD_TIERS, "Tier 12"]


def test_header_texts_come_from_the_snapshot(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=1_000_000, output=1), tier="Tier 1")
    tracker.record("mystery", Usage(input=5), tier="Tier 1")
    h = build_view(tracker.snapshot()).header
    assert h.cost == "$2.50 +?" and h.cost_exact == "$2.50001 exactly; plus 1 unpriced call(s) not included"
    assert h.calls == "2 calls" and h.tokens == "1,000,006 tokens"
    assert h.unpriced == "1 call(s) unpriced: mystery"


def test_a_known_model_unpriced_under_a_variant_is_named_with_the_variant(tracker: CostTracker) -> None:
    """claude-haiku-4-5 has a price, not a 'flex' one: the notice says which variant has none, so
    the fix is plain; an unknown model is named alone; a reset forgets both."""
    tracker.record("claude-haiku-4-5", Usage(input=100, output=10), variant="flex")
    tracker.record("claude-haiku-4-5", Usage(input=100, output=10))  # priced
    tracker.record("mystery", Usage(input=5), variant="batch")  # unknown: the model is what has no price
    s = tracker.snapshot()
    assert s.unpriced == ("claude-haiku-4-5", "mystery")  # the names, as exports and reports list them
    assert build_view(s).header.unpriced == "2 call(s) unpriced: claude-haiku-4-5 (flex), mystery"
    tracker.reset()
    tracker.record("claude-haiku-4-5", Usage(input=1, output=1))
    assert tracker.snapshot().unpriced_labels == () and build_view(tracker.snapshot()).header.unpriced == ""


def test_a_model_some_of_whose_calls_were_billed_at_a_variant_says_which(tracker: CostTracker) -> None:
    """Fast mode bills claude-opus-4-6 at 2x: its row (and its tier's pair row) names the variant,
    since the row sums fast and standard calls; a model called at standard rates only, or a tier
    that made no fast call, says nothing; a reset forgets it."""
    tracker.record("claude-opus-4-6", Usage(input=1000, output=100), tier="Tier 3", variant="fast")
    tracker.record("claude-opus-4-6", Usage(input=1000, output=100), tier="Tier 1")
    tracker.record("claude-haiku-4-5", Usage(input=1000, output=100), tier="Tier 3")
    s = tracker.snapshot()
    assert s.variants("claude-opus-4-6") == ("fast",) and s.variants("claude-opus-4-6", "Tier 1") == ()
    view = build_view(s, tables=("models", "pairs"))
    models = {r.key: (r.cells[0], r.tooltips[0]) for r in view.tables["models"]}
    assert models["claude-opus-4-6"][0] == "claude-opus-4-6 (incl. fast)"  # 1 of 2 calls: "incl.", not "(fast)"
    assert "calls billed at fast prices are among these" in models["claude-opus-4-6"][1]
    assert models["claude-haiku-4-5"] == ("claude-haiku-4-5", None)
    pairs = {r.key: r.cells[1] for r in view.tables["pairs"]}
    assert pairs["Tier 3\x1fclaude-opus-4-6"] == "claude-opus-4-6 (incl. fast)"
    assert pairs["Tier 1\x1fclaude-opus-4-6"] == "claude-opus-4-6"
    tracker.reset()
    tracker.record("claude-opus-4-6", Usage(input=1, output=1))
    assert {r.cells[0] for r in build_view(tracker.snapshot(), tables=("models",)).tables["models"]} == {
        "claude-opus-4-6"}


def test_the_total_says_plainly_when_it_leaves_out_nothing(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=1_000_000, output=1), tier="Tier 1")
    h = build_view(tracker.snapshot()).header
    assert (h.cost, h.cost_exact, h.unpriced) == ("$2.50", "$2.50001 exactly", "")


def test_sort_by_cost_puts_unpriced_below_zero(tracker: CostTracker) -> None:
    tracker.record("gpt-4o", Usage(input=10), tier="Tier 1")
    tracker.record("mystery", Usage(input=10), tier="Tier 1")
    tracker.record("gpt-4o-mini", Usage(input=10), tier="Tier 1")
    rows = build_view(tracker.snapshot()).tables["models"]
    ordered = sort_rows(rows, MODEL_COLUMNS, ("cost", True))
    assert [r.key for r in ordered] == ["gpt-4o", "gpt-4o-mini", "mystery"]


# -- fixed figures: a session of known calls at known times, every text worked out by hand ------------------
@pytest.fixture
def hour_old_session(catalog: Catalog, clock: Clock) -> PanelView:
    """A session one hour old. Prices per 1M tokens: gpt-4o $2.50 in / $10 out, gpt-4o-mini $0.15 / $0.60,
    gpt-5 $1.25 / $10; acme-local-7b has no price."""
    tracker = CostTracker(catalog)
    clock.advance(3600)
    tracker.record("gpt-4o", Usage(input=2_000_000), tier="Tier 1", at=clock.ago(3000))  # $5.00
    tracker.record("gpt-4o", Usage(input=100_000), tier="Tier 1", at=clock.ago(400))  # $0.25
    tracker.record("gpt-4o-mini", Usage(input=1000, output=1000), tier="Tier 4", at=clock.ago(1000))  # $0.00075
    tracker.record("acme-local-7b", Usage(input=10), tier="Tier 4", at=clock.ago(900))  # unpriced
    # the last 5 minutes: $1.50
    tracker.record("gpt-4o", Usage(input=400_000), tier="Tier 2", at=clock.ago(120))  # $1.00
    tracker.record("gpt-4o", Usage(output=50_000), tier="Tier 2", at=clock.ago(30))  # $0.50
    tracker.record("acme-local-7b", Usage(input=800, output=80), tier="Tier 3", at=clock.ago(20))  # unpriced
    with pytest.raises(TimeoutError), tracker.attempt(tier="Tier 2") as failed:
        failed.record("gpt-5", Usage(input=1000, output=10), at=clock.ago(10))  # $0.00125 + $0.0001, discarded
        raise TimeoutError
    open_attempt = tracker.attempt(tier="Tier 1")
    open_attempt.__enter__().record("gpt-4o", Usage(input=1000), at=clock.ago(5))  # $0.0025, pending
    return build_view(tracker.snapshot(), budget=Decimal(10))


def test_header_rates_and_projection_are_the_hand_computed_figures(hour_old_session: PanelView) -> None:
    h = hour_old_session.header
    # total: 5 + 0.25 + 0.00075 + 1 + 0.5 = $6.75075
    assert (h.cost, h.cost_exact) == ("$6.75 +?", "$6.75075 exactly; plus 2 unpriced call(s) not included")
    assert h.calls == "7 calls"
    assert h.tokens == "2,552,890 tokens"  # 2,100,000 + 2,000 + 10 + 400,000 + 50,000 + 880
    assert h.elapsed == "elapsed 1:00:00"
    assert h.burn_5m == "$18.00/h over the last 5 min"  # $1.50 in the last 300 s, x 12
    assert h.burn_session == "$8.10/h session average"  # $6.75075 since the first call, 50 min ago
    assert h.projection == "in 1 h at the 5-min rate: $24.75"  # $6.75075 now + $18.00 at the 5-minute rate


def test_discarded_and_pending_notices_name_their_own_amounts(hour_old_session: PanelView) -> None:
    h = hour_old_session.header
    assert h.discarded == "1 discarded fallback call(s), $0.0014 not in the total"  # $0.00135, 2 digits
    assert h.pending == "1 call(s) pending ($0.0025)"
    assert h.unpriced == "2 call(s) unpriced: acme-local-7b"


def test_a_tier_with_unpriced_calls_is_flagged(hour_old_session: PanelView) -> None:
    rows = {r.key: r for r in hour_old_session.tables["tiers"]}
    assert list(rows) == ["Tier 1", "Tier 2", "Tier 3", "Tier 4"]
    assert rows["Tier 1"].cells == ("Tier 1", "gpt-4o", "2", "2.10M", "0", "0", "0", "$5.25", "77.8%")
    assert rows["Tier 2"].cells == ("Tier 2", "gpt-4o", "2", "400k", "0", "0", "50.0k", "$1.50", "22.2%")
    # only unpriced calls: no cost at all, and the row is badged
    assert rows["Tier 3"].cells == ("Tier 3", "acme-local-7b", "1", "800", "0", "0", "80", "unpriced", "\u2014")  # share unknown, not 0 %
    assert rows["Tier 3"].unpriced is True
    assert rows["Tier 3"].tooltips[7].startswith("1 unpriced call(s): cost unknown")
    # some unpriced calls: the priced part, marked as incomplete
    assert rows["Tier 4"].cells == ("Tier 4", "gpt-4o-mini, acme-local-7b", "2", "1.01k", "0", "0", "1.00k",
                                    "$0.00075 +?", "<0.1%")
    assert rows["Tier 4"].tooltips[7].startswith("$0.00075 exactly; plus 1 unpriced call(s) not included")
    assert [rows[t].unpriced for t in ("Tier 1", "Tier 2", "Tier 4")] == [False, False, False]


def test_the_budget_bar_reads_the_exact_total(hour_old_session: PanelView) -> None:
    budget = hour_old_session.budget
    assert budget is not None
    assert (budget.label, budget.level, budget.remaining) == ("$6.75 of $10.00 (67%)", BudgetLevel.WATCH,
                                                              Decimal("3.24925"))


def test_a_tier_lists_whole_model_names_that_fit_and_counts_the_rest() -> None:
    from costpanel.gui.viewmodel import models_text

    assert models_text(("gpt-5-nano", "acme-local-7b")) == "gpt-5-nano, acme-local-7b"
    # 3 names of 5 + 14 + 17 characters: all three would take 40 characters (more than 34), so the third is counted
    assert models_text(("gpt-5", "gemini-2.5-pro", "claude-sonnet-4-5")) == "gpt-5, gemini-2.5-pro +1"
    # a name is never cut: one too long for the cell is shown whole (the column clips its end)
    assert models_text(("claude-sonnet-4-5-20250929-a-very-long-name", "gpt-4o-mini")) == (
        "claude-sonnet-4-5-20250929-a-very-long-name +1")
    assert models_text(()) == ""


def test_approximate_calls_are_said_in_the_header(tracker: CostTracker) -> None:
    usage = Usage(input=1000, cache_write=300, output=20)
    tracker.record("claude-haiku-4-5", usage, tier="main")
    assert build_view(tracker.snapshot()).header.pending == ""
    tracker.record("claude-haiku-4-5", usage, tier="main", approximate=True)
    assert build_view(tracker.snapshot()).header.pending == (
        "\u2248 1 call(s) approximate (cache writes priced at the 5-minute rate)")


def test_a_watched_day_says_since_midnight_rather_than_a_clock_like_length(catalog) -> None:
    from costpanel.gui.viewmodel import header_view

    import datetime as dt

    midnight = dt.datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    snap = CostTracker(catalog, started_at=midnight).snapshot()
    assert header_view(snap, since_midnight=True).elapsed == "today, since 00:00"  # not "elapsed 17:01:58"
    assert build_view(snap, since_midnight=True, tables=()).header.elapsed == "today, since 00:00"
    fresh = CostTracker(catalog).snapshot()  # a Reset in `watch`: a new session, begun now
    assert header_view(fresh).elapsed.startswith("elapsed 0:00:0")
    assert header_view(fresh, since_midnight=True).elapsed == f"today, since {fresh.started_at.astimezone():%H:%M}"


def test_a_table_whose_rounded_rows_miss_the_rounded_total_says_so(catalog: Catalog) -> None:
    """$11.805 + $6.975 + $0.22425 = $19.00425: shown $11.81 + $6.98 + $0.22 = $19.01 against a
    total of $19.00. Each figure is exact; the table says its rows are rounded."""
    assert rows_round_off(Decimal("19.00425"), [Decimal("11.805"), Decimal("6.975"), Decimal("0.22425")])
    assert not rows_round_off(Decimal("3.5"), [Decimal("2.5"), Decimal("1"), None])  # an unpriced row aside
    assert not rows_round_off(Decimal(0), [None])
    tracker = CostTracker(catalog)
    tracker.record("gpt-4o", Usage(input=4_722_000), tier="Tier 1")  # $11.805
    tracker.record("gpt-4o", Usage(input=2_790_000), tier="Tier 2")  # $6.975
    tracker.record("gpt-4o", Usage(input=89_700), tier="Tier 3")  # $0.22425
    view = build_view(tracker.snapshot())
    assert view.header.cost == "$19.00" and view.rounded == frozenset({"tiers"})  # one model: its row is the total
    even = CostTracker(catalog)
    even.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1")
    even.record("gpt-4o", Usage(input=400_000), tier="Tier 2")
    assert build_view(even.snapshot()).rounded == frozenset()


def test_a_rows_cost_tooltip_names_its_web_searches_a_fee_apart_from_the_tokens() -> None:
    """The tooltip's token counts alone do not add up to the cost of a row that searched: the
    searches are said (the GUI trial summed the tokens and missed $0.03)."""
    from costpanel import CostTracker, Usage
    from costpanel.gui.viewmodel import build_view

    t = CostTracker(fallback=False)
    t.record("claude-sonnet-4-6", Usage(input=1000, output=100, web_search=3), tier="Tier 1")
    t.record("gpt-4o", Usage(input=1000, output=100), tier="Tier 2")
    rows = {r.key: r for r in build_view(t.snapshot()).tables["models"]}
    assert rows["claude-sonnet-4-6"].tooltips[7].endswith("; 1 request(s), 3 web search(es) billed per search")
    assert "web search" not in rows["gpt-4o"].tooltips[7]


def test_a_row_with_unpriced_calls_says_its_per_call_average_is_over_the_priced_ones() -> None:
    from costpanel import CostTracker, Usage
    from costpanel.gui.viewmodel import build_view

    t = CostTracker(fallback=False)
    t.record("gpt-4o", Usage(input=100_000), tier="Tier 1")  # $0.25
    t.record("gpt-4o", Usage(input=100_000), tier="Tier 1", variant="scale")  # no price: unpriced
    row = {r.key: r for r in build_view(t.snapshot()).tables["models"]}["gpt-4o"]
    assert row.cells[8] == "$0.25" and row.tooltips[7].startswith(
        "$0.25 exactly; plus 1 unpriced call(s) not included (the $/call column averages the 1 priced)")
