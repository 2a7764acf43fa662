"""The CLI only parses, calls library functions and prints: what `costpanel export` writes and what
`costpanel budget show` says are the library's own output, which the panel reuses."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from cli_run import costpanel

from costpanel import CostTracker, Usage
from costpanel.budgets import budget_line_text
from costpanel.export import format_of
from costpanel.ledger.budgets import Budgets, budget_lines, save_budgets
from costpanel.ledger.queries import discarded_total, open_read_only, parse_range, priced_by, report
from costpanel.ledger.report_files import report_file
from costpanel.pricing import Catalog


@pytest.fixture
def ledger(tmp_path: Path, catalog: Catalog) -> Path:
    db = tmp_path / "ledger.sqlite3"
    with CostTracker(catalog, ledger=db) as tracker:
        tracker.record("gpt-4o", Usage(input=1_000_000, output=2_000), tier="Tier 1", event_id="a")
        tracker.record("claude-sonnet-4-5", Usage(input=300_000, output=1_000), tier="Tier 2", event_id="b")
        tracker.record("mystery-local-7b", Usage(input=50, output=5), tier="Tier 3", event_id="c")
    return db


@pytest.mark.parametrize(("name", "fmt"), [("costs.csv", "csv"), ("costs.JSON", "json"), ("a.b.json", "json"),
                                           ("costs.txt", None), ("costs", None), ("csv", None), (".csv", None)])
def test_the_format_a_file_name_asks_for(name: str, fmt: str | None) -> None:
    assert format_of(name) == fmt and format_of(Path(name)) == fmt


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_writes_exactly_the_library_report_file(fmt: str, ledger: Path, tmp_path: Path) -> None:
    target = tmp_path / f"by-model.{fmt}"
    r = costpanel("export", "--db", str(ledger), "--range", "all", "--by", "model", str(target))
    assert r.returncode == 0, r.stderr
    conn = open_read_only(ledger)
    try:
        span = parse_range("all")
        expected = report_file(fmt, span, "model", report(conn, span, "model"), discarded_total(conn, span),
                               priced_by=priced_by(conn, span))
    finally:
        conn.close()
    assert target.read_bytes() == expected


def test_budget_show_prints_the_library_budget_lines(ledger: Path) -> None:
    budgets = Budgets(daily_usd=Decimal("2.00"), monthly_usd=Decimal(100))
    save_budgets(budgets)
    r = costpanel("budget", "show", "--db", str(ledger))
    assert r.returncode == 0, r.stderr
    conn = open_read_only(ledger)
    try:
        lines = budget_lines(conn, budgets)
    finally:
        conn.close()
    texts = [budget_line_text(line) for line in lines]
    assert r.stdout.splitlines() == texts
    assert texts[0].startswith("Today: spent $4.34 of $2.00 (217%, $2.34 over) [OVER]")  # gpt-4o + a cliff
