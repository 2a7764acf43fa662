"""Budget bar: levels at exact thresholds, labels, parsing typed budgets, one-shot alerts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from costpanel.gui.budget import (
    LEVEL_COLOURS,
    BudgetAlerts,
    BudgetLevel,
    BudgetStatus,
    budget_status,
    parse_budget,
)

D = Decimal
FIVE = D("5.00")


def status(spent: str, budget: Decimal = FIVE) -> BudgetStatus:
    s = budget_status(D(spent), budget)
    assert s is not None
    return s


@pytest.mark.parametrize(
    ("spent", "level"),
    [
        ("0", BudgetLevel.OK),
        ("2.499999999999", BudgetLevel.OK),
        ("2.50", BudgetLevel.WATCH),  # exactly 50 %
        ("3.999999999999", BudgetLevel.WATCH),
        ("4.00", BudgetLevel.WARN),  # exactly 80 %
        ("4.999999999999", BudgetLevel.WARN),
        ("5.00", BudgetLevel.OVER),  # exactly 100 %
        ("5.000000000001", BudgetLevel.OVER),
        ("500", BudgetLevel.OVER),
    ],
)
def test_level_changes_exactly_at_50_80_and_100_percent(spent: str, level: BudgetLevel) -> None:
    assert status(spent).level is level


@pytest.mark.parametrize(
    ("spent", "budget", "level"),
    [("0.88", "1.1", BudgetLevel.WARN), ("0.72", "0.9", BudgetLevel.WARN), ("0.08", "0.1", BudgetLevel.WARN),
     ("0.15", "0.3", BudgetLevel.WATCH), ("0.3", "0.3", BudgetLevel.OVER)],
)
def test_levels_are_decided_on_exact_decimals_not_floats(spent: str, budget: str, level: BudgetLevel) -> None:
    # as floats 0.88 / 1.1 == 0.7999999999999999, which would still read WATCH
    assert status(spent, D(budget)).level is level


def test_levels_are_ordered_for_comparisons() -> None:
    assert BudgetLevel.OK < BudgetLevel.WATCH < BudgetLevel.WARN < BudgetLevel.OVER


def test_status_carries_fraction_remaining_and_a_label() -> None:
    s = status("3.10")
    assert s.budget == FIVE and s.spent == D("3.10")
    assert s.fraction == pytest.approx(0.62)
    assert s.remaining == D("1.90")
    assert s.label == "$3.10 of $5.00 (62%)"


def test_over_budget_keeps_the_overshoot_in_fraction_remaining_and_label() -> None:
    s = status("5.10")
    assert s.fraction == pytest.approx(1.02)
    assert s.remaining == D("-0.10")
    assert s.label == "$5.10 of $5.00 (102%)"


@pytest.mark.parametrize(
    ("spent", "label"),
    [
        ("0", "$0.00 of $5.00 (0%)"),
        ("0.0042", "$0.0042 of $5.00 (0%)"),
        ("4.99", "$4.99 of $5.00 (99%)"),  # rounded down: 100 % only once reached
        ("5", "$5.00 of $5.00 (100%)"),
        ("50000", "$50,000.00 of $5.00 (1,000,000%)"),
    ],
)
def test_label_percent_is_rounded_down(spent: str, label: str) -> None:
    assert status(spent).label == label


def test_no_budget_means_no_status() -> None:
    assert budget_status(D("3"), None) is None


@pytest.mark.parametrize("budget", [D(0), D("-1"), D("NaN"), D("Infinity")])
def test_status_refuses_a_budget_that_is_not_positive(budget: Decimal) -> None:
    with pytest.raises(ValueError, match="positive"):
        budget_status(D(1), budget)


def test_every_level_has_a_distinct_rgb_colour() -> None:
    assert set(LEVEL_COLOURS) == set(BudgetLevel)
    for rgb in LEVEL_COLOURS.values():
        assert len(rgb) == 3 and all(isinstance(c, int) and 0 <= c <= 255 for c in rgb)
    assert len(set(LEVEL_COLOURS.values())) == len(BudgetLevel)


def test_colours_run_from_calm_through_amber_and_orange_to_red() -> None:
    ok, watch, warn, over = (LEVEL_COLOURS[level] for level in BudgetLevel)
    assert not (ok[0] > ok[1] and ok[0] > ok[2])  # not a warning hue: green or blue dominates
    for r, g, b in (watch, warn):
        assert r > g > b  # amber / orange
    assert watch[1] > warn[1]  # amber is yellower than orange
    assert over[0] > 2 * max(over[1], over[2])  # red


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", D(5)),
        ("5.00", D("5.00")),
        ("$5", D(5)),
        ("$ 5", D(5)),
        ("  $12.5  ", D("12.5")),
        ("1,000.50", D("1000.50")),
        ("$1,234,567", D(1234567)),
        ("0.01", D("0.01")),
        (".5", D("0.5")),
        ("5.", D(5)),
    ],
)
def test_parse_budget_accepts_what_people_type(text: str, expected: Decimal) -> None:
    value = parse_budget(text)
    assert value == expected and isinstance(value, Decimal)


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_budget_text_means_no_budget(text: str) -> None:
    assert parse_budget(text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5", "positive"),
        ("$-5", "positive"),
        ("-$5", "positive"),
        ("0", "more than"),
        ("0.00", "more than"),
        ("$0", "more than"),
        ("NaN", "not an amount"),
        ("nan", "not an amount"),
        ("inf", "not an amount"),
        ("Infinity", "not an amount"),
        ("abc", "not an amount"),
        ("5 dollars", "not an amount"),
        ("1e3", "not an amount"),
        ("1,00", "not an amount"),  # commas only as thousands separators
        ("5.5.5", "not an amount"),
        ("$", "not an amount"),
        ("€5", "not an amount"),
    ],
)
def test_parse_budget_rejects_bad_text_naming_it(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        parse_budget(text)
    assert repr(text) in str(info.value)


def test_alerts_give_the_80_percent_notice_once() -> None:
    alerts = BudgetAlerts()
    assert alerts.check(status("3.99")) == []
    assert alerts.check(status("4.00")) == ["Budget 80% reached: $4.00 of $5.00"]
    assert alerts.check(status("4.50")) == []
    assert alerts.check(status("4.00")) == []


def test_alerts_give_the_exceeded_notice_once_after_the_80_percent_one() -> None:
    alerts = BudgetAlerts()
    alerts.check(status("4.20"))
    assert alerts.check(status("5.10")) == ["Budget exceeded: $5.10 of $5.00"]
    assert alerts.check(status("6.00")) == []


def test_a_jump_past_both_thresholds_gives_both_notices_in_order() -> None:
    alerts = BudgetAlerts()
    assert alerts.check(status("1.00")) == []
    assert alerts.check(status("5.10")) == [
        "Budget 80% reached: $5.10 of $5.00",
        "Budget exceeded: $5.10 of $5.00",
    ]
    assert alerts.check(status("5.20")) == []


def test_watch_level_and_no_budget_give_no_notice() -> None:
    alerts = BudgetAlerts()
    assert alerts.check(status("2.60")) == []
    assert alerts.check(None) == []


def test_falling_back_below_a_threshold_does_not_rearm_it() -> None:
    alerts = BudgetAlerts()
    alerts.check(status("4.50"))
    assert alerts.check(status("1.00")) == []
    assert alerts.check(status("4.50")) == []


def test_rearm_lets_each_notice_come_once_more() -> None:
    alerts = BudgetAlerts()
    alerts.check(status("5.50"))
    alerts.rearm()
    assert alerts.check(status("0.00")) == []  # e.g. after Reset: nothing until crossed again
    assert alerts.check(status("4.10")) == ["Budget 80% reached: $4.10 of $5.00"]
    alerts.rearm()
    assert alerts.check(status("4.10", D("4.00"))) == [  # a lowered budget, already exceeded
        "Budget 80% reached: $4.10 of $4.00",
        "Budget exceeded: $4.10 of $4.00",
    ]
