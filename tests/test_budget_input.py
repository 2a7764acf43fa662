"""One money parser for every budget (``budget set``, ``demo --budget``, the panel, stored files),
overspend read as "over", and budget files or folders that cannot be used: a clear line, never a
traceback, nothing changed."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from cli_run import costpanel, immutable, one_line_error

from costpanel import CostTracker, Usage
from costpanel.budgets import (
    BudgetLine,
    budget_conflict,
    budget_line_text,
    budget_status,
    parse_amount,
    parse_budget,
)
from costpanel.gui.settings import PanelSettings
from costpanel.ledger.budgets import Budgets
from costpanel.pricing import Catalog

D = Decimal


# -- the parser ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value"), [("5.5", D("5.5")), ("5.50", D("5.50")), ("$5", D(5)),
                                             ("1,000.50", D("1000.50")), ("0", D(0)), ("$ 12", D(12))])
def test_amounts_people_type_are_read_exactly(text: str, value: Decimal) -> None:
    assert parse_amount(text) == value


@pytest.mark.parametrize(("text", "reason"), [
    ("5.005", "whole cents"),
    ("0.0000000000001", "whole cents"),  # was accepted and shown as "$0.000000000000"
    ("0.001", "whole cents"),
    ("-1", "positive"),
    ("٥", "not an amount"),  # Arabic-Indic five: Decimal() takes it, nobody means it
    ("５", "not an amount"),  # full-width five
    ("1e3", "not an amount"),
    ("nan", "not an amount"),
    ("2000000000", "implausibly large"),
])
def test_negative_sub_cent_and_non_ascii_amounts_are_refused_naming_the_text(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        parse_amount(text)
    assert repr(text) in str(info.value)


def test_the_panel_field_takes_the_same_amounts_and_empty_means_none() -> None:
    assert parse_budget(" ") is None
    assert parse_budget("1,000.50") == D("1000.50")
    for text in ("5.005", "0", "٥"):
        with pytest.raises(ValueError):
            parse_budget(text)


def test_stored_budgets_follow_the_same_rule() -> None:
    assert Budgets(daily_usd=D("5.50")).daily_usd == D("5.50")
    assert PanelSettings(budget_usd=D("5.50")).budget_usd == D("5.50")
    for bad in (D("5.005"), D("0.0000000000001"), D(0), D(-1)):
        with pytest.raises(ValueError, match="budget"):
            Budgets(monthly_usd=bad)
        with pytest.raises(ValueError, match="budget"):
            PanelSettings(budget_usd=bad)


def test_overspend_reads_over_not_a_negative_left() -> None:
    status = budget_status(D("5.22"), D("5.00"))
    assert status is not None and status.left == "$0.22 over"
    line = BudgetLine("today", status, D("5.22"), 0, None)
    assert budget_line_text(line) == "Today: spent $5.22 of $5.00 (104%, $0.22 over) [OVER]"
    under = budget_status(D("3.10"), D("5.00"))
    assert under is not None and under.left == "$1.90 left"


def test_a_daily_budget_above_the_monthly_one_is_flagged() -> None:
    assert budget_conflict(D(50), D(10)) is not None and "$50.00" in str(budget_conflict(D(50), D(10)))
    assert budget_conflict(D(5), D(100)) is None
    assert budget_conflict(D(50), None) is None


# -- the command line ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["0.0000000000001", "5.005", "٥", "-1", "1e3"])
def test_budget_set_refuses_sub_cent_and_non_ascii_amounts(value: str, isolated_user_dirs: Path) -> None:
    r = costpanel("budget", "set", "--daily", value)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "argument --daily: " in r.stderr and repr(value) in r.stderr
    assert not (isolated_user_dirs / "budgets.json").exists()


def test_budget_set_keeps_whole_cents_and_zero_still_removes(isolated_user_dirs: Path) -> None:
    assert costpanel("budget", "set", "--daily", "5.50", "--monthly", "1,000.50").returncode == 0
    saved = isolated_user_dirs / "budgets.json"
    assert json.loads(saved.read_text()) == {"daily_usd": "5.50", "monthly_usd": "1000.50"}
    assert costpanel("budget", "set", "--monthly", "0").returncode == 0
    assert json.loads(saved.read_text()) == {"daily_usd": "5.50", "monthly_usd": None}


def test_a_daily_budget_above_the_monthly_one_warns_on_one_line_and_is_saved(isolated_user_dirs: Path) -> None:
    r = costpanel("budget", "set", "--daily", "50", "--monthly", "10")
    assert r.returncode == 0, r.stderr
    assert one_line_error(r).startswith("warning: the daily budget ($50.00) is more than the monthly one ($10.00)")
    assert json.loads((isolated_user_dirs / "budgets.json").read_text()) == {"daily_usd": "50", "monthly_usd": "10"}
    r = costpanel("budget", "set", "--monthly", "100")  # no longer in conflict: no warning
    assert r.returncode == 0 and r.stderr == ""


def test_budget_show_says_over_when_the_budget_is_exceeded(tmp_path: Path, catalog: Catalog) -> None:
    db = tmp_path / "ledger.sqlite3"
    with CostTracker(catalog, ledger=db) as tracker:
        tracker.record("gpt-4o", Usage(input=1_300_000), event_id="over-1")  # $3.25
    assert costpanel("budget", "set", "--daily", "3").returncode == 0
    r = costpanel("budget", "show", "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "Today: spent $3.25 of $3.00 (108%, $0.25 over) [OVER]" in r.stdout
    assert "-$" not in r.stdout


def test_demo_budget_uses_the_same_parser_and_refuses_zero(tmp_path: Path, isolated_user_dirs: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    for value, reason in (("0", "leave out --budget"), ("5.005", "whole cents"), ("٥", "not an amount")):
        r = costpanel("demo", "--headless", "--seconds", "0.1", "--db", str(db), "--budget", value)
        assert r.returncode == 2 and reason in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not db.exists() and list(isolated_user_dirs.iterdir()) == []


# -- budgets.json that cannot be used ------------------------------------------------------------------------
def test_a_budgets_folder_is_named_with_a_fix_and_left_alone(tmp_path: Path, isolated_user_dirs: Path) -> None:
    folder = isolated_user_dirs / "budgets.json"
    folder.mkdir()
    (folder / "keep").write_text("mine")
    db = tmp_path / "ledger.sqlite3"
    CostTracker(ledger=db).close()
    for args in (["budget", "show", "--db", str(db)], ["budget", "set", "--daily", "5"],
                 ["budget", "set", "--daily", "5", "--monthly", "100"]):
        r = costpanel(*args)
        assert r.returncode == 1, r.stdout + r.stderr
        line = one_line_error(r)
        assert str(folder) in line and "folder" in line and "remove it" in line
    assert folder.is_dir() and (folder / "keep").read_text() == "mine"


@pytest.mark.parametrize("content", [b'{"daily_usd": "abc"}', b'{"daily_usd": 5', b'{"daily_usd": "0.001"}',
                                     b'["5"]', b'\xff\xfe'])
def test_a_malformed_budgets_file_is_named_with_a_fix_and_left_unchanged(
        content: bytes, tmp_path: Path, isolated_user_dirs: Path) -> None:
    path = isolated_user_dirs / "budgets.json"
    path.write_bytes(content)
    db = tmp_path / "ledger.sqlite3"
    CostTracker(ledger=db).close()
    for args in (["budget", "show", "--db", str(db)], ["budget", "set", "--daily", "5"]):
        r = costpanel(*args)
        assert r.returncode == 1, r.stdout + r.stderr
        line = one_line_error(r)
        assert str(path) in line and "costpanel budget set --daily USD --monthly USD" in line
        assert path.read_bytes() == content
    # The fix the message gives: both budgets at once replace the file.
    r = costpanel("budget", "set", "--daily", "5", "--monthly", "100")
    assert r.returncode == 0, r.stderr
    assert json.loads(path.read_text()) == {"daily_usd": "5", "monthly_usd": "100"}


def test_a_budgets_file_with_a_wrong_key_names_the_keys_it_takes(tmp_path: Path, isolated_user_dirs: Path) -> None:
    (isolated_user_dirs / "budgets.json").write_text('{"daily": "5"}')
    db = tmp_path / "ledger.sqlite3"
    CostTracker(ledger=db).close()
    r = costpanel("budget", "show", "--db", str(db))
    assert r.returncode == 1
    assert "daily: not a key of a budgets file (the keys are daily_usd, monthly_usd)" in one_line_error(r)


def test_budget_set_in_an_unwritable_config_folder_fails_on_one_line(isolated_user_dirs: Path) -> None:
    with immutable(isolated_user_dirs):
        r = costpanel("budget", "set", "--daily", "5")
        assert r.returncode == 1
        line = one_line_error(r)
        assert "cannot save budgets" in line and str(isolated_user_dirs / "budgets.json") in line
        assert list(isolated_user_dirs.iterdir()) == []
