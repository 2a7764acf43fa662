"""Guards as the user sees them (costpanel.guard_alerts): --guard specs, crossing texts, the rows
of the panel and the terminal, and which crossings become desktop notices. Fixed prices: gpt-4o
is $2.50 per 1M input tokens, so Usage(input=100_000) costs exactly $0.25."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from costpanel import CostTracker, Usage
from costpanel.guard_alerts import (
    GuardAlerts,
    GuardLine,
    GuardSpec,
    attach,
    crossing_text,
    guard_lines,
    notice_for,
    parse_guard_spec,
)
from costpanel.pricing import Catalog

QUARTER = Usage(input=100_000)  # $0.25
D = Decimal


@pytest.mark.parametrize(("text", "spec"), [
    ("5", GuardSpec(D("5"), "session")), ("5.50@session", GuardSpec(D("5.50"), "session")),
    ("$1,000@month", GuardSpec(D("1000"), "month")), ("20 @ day", GuardSpec(D("20"), "day")),
    ("2@tier:Tier 3", GuardSpec(D("2"), "tier:Tier 3")),
])
def test_a_guard_spec_is_an_amount_and_a_scope(text: str, spec: GuardSpec) -> None:
    assert parse_guard_spec(text) == spec


@pytest.mark.parametrize(("text", "says"), [
    ("", "--guard ''"), ("0", "'0'"), ("-5", "'-5'"), ("5@week", "'week'"), ("five", "'five'"),
    ("5@tier:", "tier"), ("1e3", "'1e3'"), ("5@", "''"),
])
def test_a_bad_guard_spec_names_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_guard_spec(text)
    assert f"--guard {text!r}" in str(info.value) and says in str(info.value)
    assert "e.g. 5, 5.50@session" in str(info.value)


def test_crossings_become_lines_and_notices_from_80_percent(catalog: Catalog, server: Any) -> None:
    """Through the real desktop path: DesktopNotices over a D-Bus session bus to a notification
    server (tests/notify_server.py), which records what a desktop would show."""
    from notify_server import wait_for

    from costpanel.notify import DesktopNotices

    tracker = CostTracker(catalog, fallback=False)
    alerts = GuardAlerts(DesktopNotices())
    attach(tracker, [GuardSpec(D("1.00"), "session"), GuardSpec(D("0.50"), "tier:Tier 3")], alerts)
    tracker.record("gpt-4o", QUARTER, "Tier 1")  # session $0.25
    tracker.record("gpt-4o", QUARTER, "Tier 3")  # session $0.50 (50 %), Tier 3 $0.25 (50 %)
    tracker.record("gpt-4o", QUARTER, "Tier 3")  # session $0.75, Tier 3 $0.50 (80 %, reached)
    tracker.record("gpt-4o", Usage(input=200_000), "Tier 1")  # session $1.25: 80 %, reached
    assert alerts.lines() == [
        "50% of the session budget: $0.50 of $1.00 spent",
        "50% of the Tier 3 budget: $0.25 of $0.50 spent",
        "80% of the Tier 3 budget: $0.50 of $0.50 spent",
        "Tier 3 budget reached: $0.50 of $0.50 spent",
        "80% of the session budget: $1.25 of $1.00 spent",
        "Session budget reached: $1.25 of $1.00 spent",
    ]
    assert alerts.count == 6 and alerts.latest() == "Session budget reached: $1.25 of $1.00 spent"
    alerts.close()
    assert wait_for(lambda: len(server.shown) == 4)
    assert server.shown == [  # 50 % is shown in the panel, never a desktop interruption
        ("costpanel", "costpanel: 80% of a budget", "80% of the Tier 3 budget: $0.50 of $0.50 spent"),
        ("costpanel", "costpanel: budget reached", "Tier 3 budget reached: $0.50 of $0.50 spent"),
        ("costpanel", "costpanel: 80% of a budget", "80% of the session budget: $1.25 of $1.00 spent"),
        ("costpanel", "costpanel: budget reached", "Session budget reached: $1.25 of $1.00 spent"),
    ]
    assert alerts.problem() is None
    assert guard_lines(tracker.guards()) == [
        GuardLine("Session", "$1.25", "$1.00", "125%", "exceeded", 3),
        GuardLine("Tier 3", "$0.50", "$0.50", "100%", "exceeded", 3),
    ]


def test_guard_rows_say_the_highest_threshold_passed(catalog: Catalog) -> None:
    tracker = CostTracker(catalog, fallback=False)
    alerts = GuardAlerts()
    attach(tracker, [GuardSpec(D("1.00"), "session"), GuardSpec(D("10"), "day"), GuardSpec(D("4"), "month")], alerts)
    assert [line.state for line in guard_lines(tracker.guards())] == ["ok", "ok", "ok"]
    for _ in range(3):
        tracker.record("gpt-4o", QUARTER)  # $0.75
    lines = guard_lines(tracker.guards())
    assert lines[0] == GuardLine("Session", "$0.75", "$1.00", "75%", "50%", 1)
    assert lines[1] == GuardLine("Today", "$0.75", "$10.00", "7%", "ok", 0)
    assert lines[2] == GuardLine("This month", "$0.75", "$4.00", "18%", "ok", 0)
    tracker.record("gpt-4o", Usage(input=20_000))  # $0.80: 80 %
    assert guard_lines(tracker.guards())[0] == GuardLine("Session", "$0.80", "$1.00", "80%", "80%", 2)
    assert alerts.problem() is None  # no notices asked for: none to fail


def test_a_threshold_above_the_limit_reads_as_exceeded_by(catalog: Catalog) -> None:
    tracker = CostTracker(catalog, fallback=False)
    texts: list[str] = []
    tracker.guard(D("1.00"), at=(D("1.5"),), on_cross=lambda c: texts.append(crossing_text(c)))
    tracker.record("gpt-4o", Usage(input=600_000))  # $1.50
    assert texts == ["Session budget exceeded by 50%: $1.50 of $1.00 spent"]
    crossing = None

    def keep(c: object) -> None:
        nonlocal crossing
        crossing = c

    tracker.guard(D("10"), at=(D("0.1"),), on_cross=keep)  # fires at creation: $1.50 of $10
    assert crossing is not None and notice_for(crossing) is None  # type: ignore[arg-type]
    assert crossing_text(crossing) == "10% of the session budget: $1.50 of $10.00 spent (already passed when the guard was set)"  # type: ignore[arg-type]


def test_demo_headless_prints_its_guards_and_their_crossings() -> None:
    from cli_run import costpanel

    r = costpanel("demo", "--headless", "--seconds", "1", "--rate", "200", "--no-ledger", "--seed", "3",
                  "--guard", "0.01", "--guard", "100000@month")
    assert r.returncode == 0, r.stderr
    table = r.stdout[r.stdout.index("Budget guards"):]
    session = next(line for line in table.splitlines() if "Session" in line)
    assert "$0.01" in session and "exceeded" in session
    month = next(line for line in table.splitlines() if "This month" in line)
    assert "$100,000.00" in month and " ok " in month
    crossings = [line for line in r.stdout.splitlines() if line.startswith("guard: ")]
    assert [c.split(":")[1].strip() for c in crossings] == ["50% of the session budget", "80% of the session budget",
                                                            "Session budget reached"]


@pytest.mark.parametrize(("flag", "says"), [("5@week", "got 'week'"), ("0", "the amount must be a positive amount of USD, got '0'"), ("1.5e2", "'1.5e2'")])
def test_a_bad_guard_flag_is_one_line_and_exit_2(flag: str, says: str) -> None:
    from cli_run import costpanel

    r = costpanel("demo", "--headless", "--no-ledger", "--guard", flag)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "argument --guard" in r.stderr and says in r.stderr
