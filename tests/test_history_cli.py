"""``costpanel report``, ``export`` and ``budget``, run as real subprocesses on ledgers written here.

Each child inherits os.environ (so the per-test config dir from conftest applies) with ``TZ=UTC``,
so the days it reports are the UTC days this file expects.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import os
import sqlite3
import stat
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from cli_run import costpanel as run_costpanel

from costpanel import CostTracker, Usage
from costpanel.events import COMMITTED, Event
from costpanel.pricing import Catalog

UTC = dt.timezone.utc
GROUPS = ("model", "tier", "provider", "session", "day", "project", "source", "variant")
COLUMNS = ("calls", "input", "cache_read", "cache_write", "cache_write_1h", "output", "requests", "web_search", "tokens",
           "cost_usd",
           "unpriced_calls")
EVIL_MODEL = '=HYPERLINK("x")'
EVIL_TIER = "@SUM(1)"
EVIL_PROJECT = "+cmd|x"


def costpanel(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_costpanel(*args, env={"TZ": "UTC", **(env or {})})


def usd(units: int) -> str:
    """Exact decimal string of an amount of 1e-12 USD, computed independently of costpanel.money."""
    whole, frac = divmod(units, 10**12)
    return f"{whole}.{frac:012d}".rstrip("0").rstrip(".") if frac else str(whole)


def key_of(e: Event, by: str) -> str:
    return {
        "model": e.matched or e.model.strip(),
        "tier": e.tier,
        "provider": e.provider or "",
        "session": e.session,
        "day": dt.datetime.fromtimestamp(e.ts, UTC).date().isoformat(),
        "project": e.project or "",
        "source": e.source,
        "variant": e.variant or "standard",  # the calls billed at no variant
    }[by]


def row_dict(by: str, key: str, events: list[Event]) -> dict[str, object]:
    """The report row the ledger must produce for these events, summed here from the events."""
    units = sum(e.cost_units or 0 for e in events)
    unpriced = sum(e.cost_units is None for e in events)
    counts = {f: sum(getattr(e.usage, f) for e in events) for f in COLUMNS[1:8]}
    return {by: key or None, "calls": len(events), **counts, "tokens": sum(e.usage.total_tokens for e in events),
            "cost_usd": None if events and unpriced == len(events) else usd(units), "unpriced_calls": unpriced}


def expected_rows(events: list[Event], by: str) -> list[dict[str, object]]:
    groups: dict[str, list[Event]] = {}
    for e in events:
        if e.status == COMMITTED:
            groups.setdefault(key_of(e, by), []).append(e)

    def order(k: str) -> tuple[object, ...]:
        return (k,) if by == "day" else (-sum(e.cost_units or 0 for e in groups[k]), k)

    rows = [row_dict(by, k, groups[k]) for k in sorted(groups, key=order)]
    if by == "model":  # what priced each model (None: all its calls unpriced)
        for row in rows:
            row["priced_by"] = max((e.priced_by for e in groups[str(row["model"])] if e.priced_by), default=None)
    if by == "day":  # the 7-day moving average: the day and the six before it (in the range or not), $0 days too
        for row in rows:
            day = dt.date.fromisoformat(str(row["day"]))
            week = {(day - dt.timedelta(days=k)).isoformat() for k in range(7)}
            seen = [e for e in events if e.status == COMMITTED and key_of(e, "day") in week]
            unpriced = sum(e.cost_units is None for e in seen)
            average = Decimal(sum(e.cost_units or 0 for e in seen)) / 7
            row["avg_7d_usd"] = None if unpriced == len(seen) else usd(
                int(average.to_integral_value(rounding="ROUND_HALF_EVEN")))  # every call unpriced: no $0
            row["avg_7d_unpriced_calls"] = unpriced
    return rows


class History:
    def __init__(self, db: Path, events: list[Event]) -> None:
        self.db, self.events = db, events


@pytest.fixture
def history(tmp_path: Path, catalog: Catalog) -> History:
    """Two sessions over three UTC days: priced, cached, unpriced with hostile names, a discarded attempt;
    calls from three sources (direct, Claude Code logs, LiteLLM) and three projects (and none)."""
    db = tmp_path / "history.sqlite3"

    def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(2026, 1, day, hour, minute, tzinfo=UTC)

    tracker = CostTracker(catalog, ledger=db, session="cli-one")
    events = [
        tracker.record("gpt-4o", Usage(input=1200, output=300), tier="Tier 1", event_id="h1", at=at(10, 12)),
        tracker.record("claude-sonnet-4", Usage(input=1000, cache_read=500, cache_write=100, output=20, web_search=2),
                       tier="Tier 2", event_id="h2", at=at(10, 13), source="claude-code", project="/src/shop"),
        tracker.record(EVIL_MODEL, Usage(input=10, output=5), tier=EVIL_TIER, event_id="h3", at=at(11, 9),
                       project=EVIL_PROJECT),
    ]
    with pytest.raises(TimeoutError), tracker.attempt("Tier 2", source="litellm", project="/src/shop") as attempt:
        attempt.record("gpt-4o", Usage(input=100, output=50), event_id="h4", at=at(11, 10))
        raise TimeoutError
    events += attempt.events
    tracker.reset("cli-two")
    events += [
        tracker.record("gpt-4o-mini", Usage(input=4000, output=400), tier="Tier 1", event_id="h5", at=at(12, 8),
                       variant="batch", source="claude-code", project="/src/blog"),
        tracker.record("gpt-4o", Usage(input=2000, output=100, requests=3), tier="Tier 1", at=at(12, 23, 59),
                       source="litellm", project="/src/shop"),
    ]
    tracker.close()
    return History(db, events)


# -- report ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("by", GROUPS)
def test_report_json_gives_exact_decimal_strings_per_group(history: History, by: str) -> None:
    r = costpanel("report", "--db", str(history.db), "--range", "all", "--by", by, "--json")
    assert r.returncode == 0, r.stderr

    def no_floats(text: str) -> object:
        raise AssertionError(f"a float in the JSON: {text}")

    data = json.loads(r.stdout, parse_float=no_floats)
    assert data["range"] == "all" and data["by"] == by
    rows = expected_rows(history.events, by)
    assert data["rows"] == rows
    committed = [e for e in history.events if e.status == COMMITTED]
    assert data["total"] == row_dict(by, "total", committed)
    assert data["discarded"] == row_dict(by, "discarded", [e for e in history.events if e.status != COMMITTED])
    assert sum(Decimal(row["cost_usd"] or 0) for row in data["rows"]) == Decimal(data["total"]["cost_usd"])


def test_report_top_keeps_the_costliest_groups(history: History) -> None:
    r = costpanel("report", "--db", str(history.db), "--range", "all", "--by", "session", "--top", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rows"] == expected_rows(history.events, "session")[:1]
    table = costpanel("report", "--db", str(history.db), "--range", "all", "--by", "model", "--top", "2")
    assert "top 2" in table.stdout
    shown = [row["model"] for row in expected_rows(history.events, "model")]
    assert all(m in table.stdout for m in shown[:2]) and shown[2] not in table.stdout
    for bad in (["--top", "0"], ["--top", "x"], ["--by", "day", "--top", "3"]):
        r = costpanel("report", "--db", str(history.db), *bad)
        assert r.returncode == 2 and "Traceback" not in r.stderr, bad


def test_the_total_of_a_top_n_report_says_it_covers_the_top_n_and_the_grand_total_follows(history: History) -> None:
    committed = [e for e in history.events if e.status == COMMITTED]
    shown = [row["model"] for row in expected_rows(history.events, "model")][:2]
    top2 = [e for e in committed if key_of(e, "model") in shown]
    assert len(top2) < len(committed)  # the top 2 leave calls out
    args = ("report", "--db", str(history.db), "--range", "all", "--by", "model", "--top", "2")
    data = json.loads(costpanel(*args, "--json").stdout)
    assert data["total"] == row_dict("model", "total (top 2)", top2)
    assert data["all"] == row_dict("model", "all models", committed)
    table = list(csv.reader(io.StringIO(costpanel(*args, "--csv").stdout)))
    assert [line[0] for line in table[-2:]] == ["total (top 2)", "all models"]
    assert table[-1][1:] == ["" if v is None else str(v) for v in list(data["all"].values())[1:]]
    text = costpanel(*args).stdout
    assert any(line.startswith("│ total (top 2) ") and f" {len(top2):,} │" in line for line in text.splitlines()), text
    assert any(line.startswith("│ all models ") and f" {len(committed):,} │" in line for line in text.splitlines()), text


def test_the_day_report_table_shows_the_7_day_average(history: History) -> None:
    r = costpanel("report", "--db", str(history.db), "--range", "all", "--by", "day")
    assert r.returncode == 0 and "7-day avg" in r.stdout
    from costpanel.money import format_usd  # the table's own formatting of the amount computed here

    marked = 0
    for row in expected_rows(history.events, "day"):
        (line,) = [ln for ln in r.stdout.splitlines() if str(row["day"]) in ln]
        average = format_usd(Decimal(str(row["avg_7d_usd"])))
        if row["avg_7d_unpriced_calls"]:  # a week with unpriced calls: marked, as a day's cost is
            average, marked = f"{average} +?", marked + 1
        assert line.rstrip(" │").endswith(average), line
    assert marked == 2  # the 11th's unpriced call is in the 11th's and the 12th's weeks


def test_a_week_of_only_unpriced_calls_averages_unpriced_never_0(tmp_path: Path, catalog: Catalog) -> None:
    db = tmp_path / "unpriced.sqlite3"
    with CostTracker(catalog, ledger=db) as tracker:
        tracker.record("my-local-llama", Usage(input=500, output=20), tier="main",
                       at=dt.datetime(2026, 11, 20, 12, tzinfo=UTC))
    r = costpanel("report", "--db", str(db), "--range", "2026-11-20..2026-11-20", "--by", "day")
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("│ 2026-11-20")]
    assert line.split("│")[-2].strip() == "unpriced" and "$0" not in line, line  # the average, last column
    (row,) = json.loads(costpanel("report", "--db", str(db), "--range", "2026-11-20..2026-11-20", "--by", "day",
                                  "--json").stdout)["rows"]
    assert (row["cost_usd"], row["avg_7d_usd"], row["avg_7d_unpriced_calls"]) == (None, None, 1)
    (csv_row,) = csv.DictReader(io.StringIO(costpanel("report", "--db", str(db), "--range", "2026-11-20..2026-11-20",
                                                      "--by", "day", "--csv").stdout))
    assert (csv_row["avg_7d_usd"], csv_row["avg_7d_unpriced_calls"]) == ("", "1")


@pytest.mark.parametrize("fmt", ["--json", "--csv"])
def test_the_7_day_average_of_a_day_counts_the_six_days_before_it_even_outside_the_range(
        history: History, fmt: str) -> None:
    r = costpanel("report", "--db", str(history.db), "--range", "2026-01-12..2026-01-12", "--by", "day", fmt)
    assert r.returncode == 0, r.stderr
    (expected,) = [row for row in expected_rows(history.events, "day") if row["day"] == "2026-01-12"]
    assert expected["avg_7d_usd"] != usd(sum(e.cost_units or 0 for e in history.events
                                            if key_of(e, "day") == "2026-01-12" and e.status == COMMITTED) // 7)
    rows = json.loads(r.stdout)["rows"] if fmt == "--json" else list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["avg_7d_usd"] for row in rows] == [expected["avg_7d_usd"]]  # the 10th and 11th count


def test_report_json_keeps_names_as_given(history: History) -> None:
    r = costpanel("report", "--db", str(history.db), "--range", "all", "--by", "model", "--json")
    assert EVIL_MODEL in [row["model"] for row in json.loads(r.stdout)["rows"]]  # JSON is data, not a sheet


@pytest.mark.parametrize("by", GROUPS)
def test_report_prints_a_table_per_group_with_the_total(history: History, by: str) -> None:
    r = costpanel("report", "--db", str(history.db), "--range", "all", "--by", by)
    assert r.returncode == 0, r.stderr
    assert f"Costs by {by}, range all" in r.stdout
    lines = r.stdout.splitlines()
    for row in expected_rows(history.events, by):
        shown = "(none)" if row[by] is None else row[by]  # calls without a project (or a provider)
        assert any(f"│ {shown} " in line and f" {row['calls']:,} │" in line for line in lines), row[by]
    # 0.006 + (0.003825 + 2 searches x $10/1k) + 0.00084 in batch (x0.5) + 0.006 = $0.036245, shown to
    # two significant digits below $1; the priced total carries "+?" because one call is unpriced.
    assert sum(e.cost_units or 0 for e in history.events if e.status == COMMITTED) == 36_245_000_000
    assert any(line.startswith("│ total") and "$0.036 +?" in line for line in lines), r.stdout
    assert "discarded fallback attempts: 1 call, $0.00075 (not in the total)" in r.stdout


@pytest.mark.parametrize(("by", "cell"), [("model", "'" + EVIL_MODEL), ("tier", "'" + EVIL_TIER),
                                         ("project", "'" + EVIL_PROJECT)])
def test_report_csv_neutralises_formulas_in_names(history: History, by: str, cell: str) -> None:
    r = costpanel("report", "--db", str(history.db), "--range", "all", "--by", by, "--csv")
    assert r.returncode == 0, r.stderr
    table = list(csv.reader(io.StringIO(r.stdout)))
    extra = ["priced_by"] if by == "model" else []  # by model: what priced each one
    assert table[0] == [by, *COLUMNS, *extra]
    rows = expected_rows(history.events, by)
    assert [t[0] for t in table[1:]] == ["" if row[by] is None else "'" + str(row[by]) if str(row[by])[0] in "=+-@"
                                         else row[by] for row in rows]
    assert cell in [t[0] for t in table[1:]]
    assert not any(t[0].startswith(("=", "+", "-", "@")) for t in table[1:])
    for t, row in zip(table[1:], rows):  # the same exact numbers as the JSON
        assert t[1:] == ["" if row[c] is None else str(row[c]) for c in (*COLUMNS, *extra)]


def test_report_prints_names_with_brackets_as_they_are(tmp_path: Path, catalog: Catalog) -> None:
    db = tmp_path / "brackets.sqlite3"
    tracker = CostTracker(catalog, ledger=db, session="sess[/]ion")
    tracker.record("weird[/]model", Usage(input=1, output=1), tier="[red]red")
    tracker.close()
    for by, name in (("tier", "[red]red"), ("model", "weird[/]model"), ("session", "sess[/]ion")):
        r = costpanel("report", "--db", str(db), "--range", "all", "--by", by)
        assert r.returncode == 0, r.stderr[-300:]
        assert name in r.stdout


def test_report_of_an_empty_range_says_so_and_where_the_calls_are(history: History) -> None:
    r = costpanel("report", "--db", str(history.db), "--range", "2025-01-01..2025-01-31")
    assert r.returncode == 0, r.stderr
    assert "no calls recorded in this range" in r.stdout
    conn = sqlite3.connect(history.db)
    try:
        calls, first, last = conn.execute("SELECT COUNT(*), MIN(ts), MAX(ts) FROM calls WHERE committed = 1").fetchone()
    finally:
        conn.close()
    days = [dt.datetime.fromtimestamp(ts).date().isoformat() for ts in (first, last)]
    assert calls > 0 and (f"the ledger holds {calls:,} call(s) from {days[0]} to {days[1]}: try --range all "
                          f"(or --range {days[0]}..{days[1]})") in r.stdout, r.stdout
    empty = costpanel("report", "--db", str(history.db), "--range", "2025-01-01..2025-01-31", "--json")
    assert json.loads(empty.stdout)["rows"] == []  # machine output unchanged: no hint in it


@pytest.mark.parametrize("by", ["day", "model", "project"])
def test_a_csv_of_an_empty_range_has_the_same_header_as_a_full_one(history: History, tmp_path: Path, by: str) -> None:
    """A script appending reports (or exports) meets the same columns whether the range had calls."""
    def header(*range_: str) -> list[str]:
        r = costpanel("report", "--db", str(history.db), "--by", by, "--csv", *range_)
        assert r.returncode == 0, r.stderr
        return next(csv.reader(io.StringIO(r.stdout)))

    full = header("--range", "all")
    assert full[0] == by and len(full) > 10
    assert header("--range", "2025-01-01..2025-01-31") == full
    out = tmp_path / "empty.csv"
    r = costpanel("export", "--db", str(history.db), "--by", by, "--range", "2025-01-01..2025-01-31", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines() == [",".join(full)]


def test_a_narrow_terminal_folds_names_and_keeps_every_figure_whole(tmp_path: Path, catalog: Catalog) -> None:
    """Rich would cut names and figures to fit 80 columns ("claude-o…", "27,000,…"): the figures
    keep their width (token counts shortened, said so), the names fold, nothing is cut."""
    import re

    from cli_run import on_a_terminal, table_lines, terminal_text

    db = tmp_path / "big.sqlite3"
    tracker = CostTracker(catalog, ledger=db)
    models = ("claude-sonnet-4-5", "claude-opus-4-1", "gpt-4o-mini")
    for n in range(30):
        tracker.record(models[n % 3], Usage(input=900_000_000, output=1000, web_search=3), tier="Tier 1",
                       event_id=f"w{n}", at=dt.datetime(2026, 1, 10, 12, n, tzinfo=UTC), project="/src/shop")
    tracker.close()
    args = ["report", "--db", str(db), "--range", "all", "--by", "model"]
    wide = run_costpanel(*args).stdout  # captured: 160 columns, every figure in full
    assert "27,000,030,000" in wide and "tokens shortened" not in wide
    costs = re.findall(r"\$[\d,]+\.\d\d", wide)
    assert len(costs) == 4
    for columns in (80, 60):
        text = terminal_text(args, columns)
        lines = text.splitlines()
        table = table_lines(text)  # (the notes under it are the terminal's to wrap)
        assert "…" not in text, text
        assert columns < 80 or max(map(len, table)) <= columns, text  # 60: the figures alone take 52, and stay whole
        assert re.findall(r"\$[\d,]+\.\d\d", text) == costs  # each cost whole, in the same order
        assert "27.0B" in text and f"tokens shortened for a {columns}-column terminal (no unpriced calls)" in text
        names = "".join(line.split("│")[1].strip() for line in lines if line.startswith("│"))  # folded names joined
        assert all(model in names for model in models), names
    assert all(any(model in line for line in on_a_terminal(args, 80).splitlines()) for model in models)  # 80: whole
    # 100 columns: the exact table fits once its headers fold, so its token counts are not shortened
    text = terminal_text(args, 100)
    assert "27,000,030,000" in text and "tokens shortened" not in text
    assert max(map(len, table_lines(text))) <= 100


def test_report_reads_the_ledger_named_by_costpanel_db(history: History) -> None:
    r = costpanel("report", "--range", "all", "--by", "session", "--json", env={"COSTPANEL_DB": str(history.db)})
    assert r.returncode == 0, r.stderr
    assert [row["session"] for row in json.loads(r.stdout)["rows"]] == ["cli-one", "cli-two"]


@pytest.mark.parametrize(("command", "text"), [("report", "yesterday"), ("report", "2026-02-30..2026-03-01"),
                                               ("report", "2026-03-02..2026-03-01"), ("export", "0d"),
                                               ("report", "99999999d"), ("export", "99999999d"), ("report", "７d"),
                                               ("report", "1٣d"), ("report", "２０２６-01-01..2026-01-31"),
                                               ("report", "1__0d"), ("report", "_10d"),
                                               ("report", "9999-12-31..9999-12-31"),
                                               ("export", "0001-01-01..9999-12-31")])
def test_a_bad_range_exits_2_naming_the_value(history: History, tmp_path: Path, command: str, text: str) -> None:
    extra = ["--format", "csv", str(tmp_path / "out.csv")] if command == "export" else []
    before = history.db.read_bytes()
    r = costpanel(command, "--db", str(history.db), "--range", text, *extra)
    assert r.returncode == 2, r.stdout + r.stderr
    (line,) = r.stderr.splitlines()  # one line, no traceback
    assert f"'{text}'" in line
    assert not (tmp_path / "out.csv").exists()
    assert history.db.read_bytes() == before


def test_day_counts_may_use_underscores_as_documented(history: History) -> None:
    r = costpanel("report", "--db", str(history.db), "--range", "100_000d", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total"]["calls"] == sum(e.status == COMMITTED for e in history.events)


@pytest.mark.parametrize("top", ["７", "٣", " 3", "+3", "3.0"])
def test_top_takes_ascii_digits_only(history: History, top: str) -> None:
    r = costpanel("report", "--db", str(history.db), "--by", "model", "--top", top)
    assert r.returncode == 2, r.stdout + r.stderr
    assert repr(top) in r.stderr and "Traceback" not in r.stderr


# Any time an aware datetime can hold, in the past, now and far ahead (another machine's clock, an import).
FAR_TIMES = [dt.datetime(1, 1, 1, 0, 30, tzinfo=UTC), dt.datetime(1971, 1, 1, tzinfo=UTC),
             dt.datetime(2026, 1, 10, 12, tzinfo=UTC), dt.datetime(2200, 1, 1, tzinfo=UTC),
             dt.datetime(9999, 12, 31, 23, 30, tzinfo=UTC)]


@pytest.fixture
def far(tmp_path: Path, catalog: Catalog) -> History:
    db = tmp_path / "far.sqlite3"
    tracker = CostTracker(catalog, ledger=db, session="far")
    events = [tracker.record("gpt-4o", Usage(input=1000 * (k + 1), output=1), tier="Tier 1", at=at, event_id=f"far-{k}")
              for k, at in enumerate(FAR_TIMES)]
    tracker.close()
    return History(db, events)


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo", "America/New_York"])
@pytest.mark.parametrize("by", GROUPS)
def test_range_all_has_no_time_filter(far: History, tz: str, by: str) -> None:
    r = costpanel("report", "--db", str(far.db), "--range", "all", "--by", by, "--json", env={"TZ": tz})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total"] == row_dict(by, "total", far.events)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_range_all_exports_every_call_whenever_it_was_made(far: History, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"calls.{fmt}"
    r = costpanel("export", "--db", str(far.db), "--range", "all", "--by", "call", str(target))
    assert r.returncode == 0, r.stderr
    calls = json.loads(target.read_text())["calls"] if fmt == "json" else list(csv.DictReader(io.StringIO(target.read_text())))
    assert [c["event_id"] for c in calls] == [e.event_id for e in far.events]


@pytest.mark.parametrize(("text", "expected"), [("0001-01-01..9999-12-30", FAR_TIMES[:-1]),
                                                ("1971-01-01..2200-01-01", FAR_TIMES[1:-1]),
                                                ("0001-01-01..0001-01-01", FAR_TIMES[:1])])
def test_ranges_at_the_ends_of_the_calendar_report_their_calls(far: History, text: str,
                                                                expected: list[dt.datetime]) -> None:
    r = costpanel("report", "--db", str(far.db), "--range", text, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total"]["calls"] == len(expected)


def test_no_ledger_yet_exits_1_with_a_hint_and_creates_nothing(tmp_path: Path) -> None:
    """A ledger file not made yet, in a folder that exists (a missing folder is a typo: exit 2)."""
    missing = tmp_path / "ledger.sqlite3"
    for command in (["report", "--range", "all"], ["export", "--range", "all", str(tmp_path / "out.csv")]):
        for args, env in ((["--db", str(missing)], None), ([], {"COSTPANEL_DB": str(missing)})):
            r = costpanel(*command, *args, env=env)
            assert r.returncode == 1, r.stdout + r.stderr
            (line,) = r.stderr.splitlines()
            assert f"no ledger at {missing}" in line and "CostTracker(ledger=True)" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("json_out", [False, True])
def test_budget_show_before_any_ledger_shows_0_spent_and_the_budgets_and_creates_nothing(
        tmp_path: Path, json_out: bool) -> None:
    assert costpanel("budget", "set", "--daily", "5", "--monthly", "100").returncode == 0
    missing = tmp_path / "ledger.sqlite3"
    r = costpanel("budget", "show", "--db", str(missing), *(["--json"] if json_out else []))
    assert r.returncode == 0, r.stdout + r.stderr
    if json_out:
        today, month = json.loads(r.stdout)
        assert (today["spent_usd"], today["budget_usd"], today["remaining_usd"]) == ("0", "5", "5")
        assert (month["spent_usd"], month["budget_usd"], month["projected_month_end_usd"]) == ("0", "100", "0")
    else:
        assert "Today: spent $0.00 of $5.00 (0%, $5.00 left) [OK]" in r.stdout
        assert "This month: spent $0.00 of $100.00" in r.stdout
    assert not missing.exists()
    # a ledger named that is not there is said (a typo would otherwise read as nothing spent)
    assert r.stderr.splitlines() == [f"note: no ledger at {missing} yet (--db): nothing spent there"]


LEDGER_COMMANDS = {"report": ["report", "--range", "all"], "export": ["export", "--range", "all", "OUT/out.csv"],
                   "budget show": ["budget", "show"], "demo": ["demo", "--headless", "--seconds", "0.2"]}


@pytest.mark.parametrize("command", LEDGER_COMMANDS)
def test_a_db_that_is_a_folder_exits_2_in_one_line_and_changes_nothing(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "ledgers"
    folder.mkdir()
    args = [a.replace("OUT", str(tmp_path)) for a in LEDGER_COMMANDS[command]]
    r = costpanel(*args, "--db", str(folder))
    assert r.returncode == 2, r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    assert f"{folder} is a folder" in line and str(folder / "ledger.sqlite3") in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledgers"] and not any(folder.iterdir())


def test_a_costpanel_db_that_is_a_folder_is_named_as_coming_from_the_environment(tmp_path: Path) -> None:
    r = costpanel("report", env={"COSTPANEL_DB": str(tmp_path)})
    assert r.returncode == 2, r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    assert line == f"error: COSTPANEL_DB {tmp_path} is a folder: give the ledger's file, e.g. {tmp_path / 'ledger.sqlite3'}"


@pytest.mark.parametrize("command", LEDGER_COMMANDS)
def test_a_db_in_a_folder_that_cannot_be_written(tmp_path: Path, catalog: Catalog, command: str,
                                                 make_unwritable: Callable[[Path], None]) -> None:
    """Reading needs no writing: report, export and budget show read a ledger there (and say
    "no ledger" where there is none); the demo, which writes, is refused at once."""
    folder = tmp_path / "locked"
    folder.mkdir()
    db, missing = folder / "ledger.sqlite3", folder / "missing.sqlite3"
    tracker = CostTracker(catalog, ledger=db)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1")  # $2.50 today
    tracker.close()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    make_unwritable(folder)
    out = tmp_path / "out"
    out.mkdir()
    args = [a.replace("OUT", str(out)) for a in LEDGER_COMMANDS[command]]
    r = costpanel(*args, "--db", str(db))
    if command == "demo":
        assert r.returncode == 1, r.stdout + r.stderr
        (line,) = r.stderr.splitlines()
        assert str(db) in line and "cannot be written" in line and "--no-ledger" in line
    else:
        assert r.returncode == 0, r.stderr
        assert ("$2.50" in r.stdout) if command != "export" else (",2.5," in (out / "out.csv").read_text())
        (out / "out.csv").unlink(missing_ok=True)
        r = costpanel(*args, "--db", str(missing))
        if command == "budget show":  # no ledger yet: $0 spent
            assert r.returncode == 0 and "spent $0.00" in r.stdout, r.stdout + r.stderr
        else:
            assert r.returncode == 1 and r.stderr.splitlines() == [
                f"error: no ledger at {missing} yet: record with CostTracker(ledger=True), or fill it with "
                "`costpanel import` (agent logs) or `costpanel watch` (`costpanel demo` keeps its simulated calls "
                "apart, in demo.sqlite3)"]
    assert "Traceback" not in r.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_the_default_ledger_is_looked_for_in_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = costpanel("report", env={"COSTPANEL_DATA_DIR": str(data), "COSTPANEL_DB": ""})
    assert r.returncode == 1
    assert str(data / "ledger.sqlite3") in r.stderr


@pytest.mark.parametrize("kind", ["random bytes", "another program's database"])
def test_a_file_that_is_not_a_ledger_exits_1_and_is_left_untouched(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "not-a-ledger.db"
    if kind == "random bytes":
        path.write_bytes(bytes(range(256)) * 64)
    else:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("PRAGMA application_id = 305419896")
        conn.commit()
        conn.close()
    before = path.read_bytes()
    r = costpanel("report", "--db", str(path), "--range", "all")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "error:" in r.stderr and "is not a costpanel ledger" in r.stderr and "Traceback" not in r.stderr
    assert str(path) in r.stderr.replace("\n", "")
    assert path.read_bytes() == before


def damage(db: Path, catalog: Catalog) -> None:
    """A ledger of 3,000 calls whose middle page has its header and cell pointers overwritten (a
    disk fault, a copy taken mid-write): the file still opens, and SQLite's integrity check fails."""
    tracker = CostTracker(catalog, ledger=db)
    for k in range(3_000):
        tracker.record("gpt-4o", Usage(input=k + 1, output=1), tier=f"Tier {k % 4}", event_id=f"call-{k:05d}")
    tracker.close()  # the last connection: the WAL is folded into the file and removed
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    pages = db.stat().st_size // page_size
    with open(db, "r+b") as f:
        f.seek(pages // 2 * page_size)
        f.write(b"\xff" * 64)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA quick_check").fetchone() != ("ok",), "the damage went unnoticed"
    except sqlite3.DatabaseError:
        pass  # the page hit holds part of the schema: SQLite refuses the file outright, also a damaged ledger
    finally:
        conn.close()


@pytest.mark.parametrize("args", [["report", "--range", "all"], ["report", "--by", "model", "--json"],
                                  ["export", "--range", "all", "OUT.csv"], ["export", "--by", "call", "OUT.json"],
                                  ["budget", "show"], ["demo", "--headless", "--seconds", "0.2"]],
                         ids=["report", "report-json", "export", "export-calls", "budget-show", "demo"])
def test_a_damaged_ledger_gives_one_line_and_exit_1_and_never_figures(tmp_path: Path, catalog: Catalog,
                                                                       args: list[str]) -> None:
    db = tmp_path / "ledger.sqlite3"
    damage(db, catalog)
    before = db.read_bytes()
    r = costpanel(*[a.replace("OUT", str(tmp_path / "out")) for a in args], "--db", str(db))
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == ""  # no figures
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"error: {db} is damaged") and "restore it from a backup" in line, line
    assert "move it aside together with its -wal and -shm files" in line  # or its last writes are lost
    assert db.read_bytes() == before
    made = {p.name for p in tmp_path.iterdir()} - {"ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"}
    assert made == set()  # no export, no rejected calls (a reader's -wal and -shm are SQLite's own)


def test_a_truncated_ledger_names_itself_in_the_recover_command(tmp_path: Path, catalog: Catalog) -> None:
    """A copy cut short (its first pages only): the way out names the file, never a placeholder."""
    whole, db = tmp_path / "whole.sqlite3", tmp_path / "cut.sqlite3"
    damage(whole, catalog)
    db.write_bytes(whole.read_bytes()[:2000])
    r = costpanel("report", "--db", str(db))
    assert r.returncode == 1 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"error: {db} is damaged") and line.endswith(f"`sqlite3 {db} .recover`"), line


V1_FIXTURE = Path(__file__).parent / "data" / "ledger" / "v1.sqlite3"


@pytest.mark.parametrize("applied", [("m001_events",), ("m001_events", "m002_rollups")], ids=["v1", "v2"])
def test_report_reads_a_ledger_written_by_an_older_costpanel(tmp_path: Path, applied: tuple[str, ...]) -> None:
    from costpanel.ledger import schema

    db = tmp_path / "older.sqlite3"
    db.write_bytes(V1_FIXTURE.read_bytes())
    conn = sqlite3.connect(db, isolation_level=None)
    for name in applied[1:]:
        getattr(schema, name)(conn)
        conn.execute("INSERT INTO costpanel_migrations VALUES (?, 0)", (name,))
    expected = conn.execute("SELECT COUNT(*), SUM(cost_units) FROM events WHERE status = 'committed'").fetchone()
    conn.close()
    r = costpanel("report", "--db", str(db), "--range", "all", "--by", "model", "--json")
    assert r.returncode == 0, r.stderr[-400:]
    total = json.loads(r.stdout)["total"]
    assert (total["calls"], Decimal(total["cost_usd"])) == (expected[0], Decimal(expected[1]).scaleb(-12))


# -- export ----------------------------------------------------------------------------------------------
def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_writes_a_private_file_with_the_reports_numbers(history: History, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"history.{fmt}"
    target.write_text("old content")
    os.chmod(target, 0o644)
    args = ("export", "--db", str(history.db), "--format", fmt, "--range", "all", "--by", "model", str(target))
    r = costpanel(*args)  # an existing file is not replaced without a word
    assert r.returncode == 1 and r.stderr.splitlines() == [
        f"error: {target} exists: add --force to replace it, or choose another file name"]
    assert target.read_text() == "old content"
    r = costpanel(*args, "--force")  # with --force it is replaced, and made private
    assert r.returncode == 0, r.stderr
    assert "wrote 4 row(s)" in r.stderr
    assert mode(target) == 0o600
    report = costpanel("report", "--db", str(history.db), "--range", "all", "--by", "model", f"--{fmt}")
    if fmt == "json":
        assert json.loads(target.read_text()) == json.loads(report.stdout)
        assert json.loads(target.read_text())["rows"] == expected_rows(history.events, "model")
    else:
        assert target.read_text() == report.stdout
        assert "'" + EVIL_MODEL in [row[0] for row in csv.reader(io.StringIO(target.read_text()))]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_by_call_writes_every_call_with_its_exact_cost(history: History, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"calls.{fmt}"  # the format comes from the file's extension
    r = costpanel("export", "--db", str(history.db), "--range", "all", "--by", "call", str(target))
    assert r.returncode == 0, r.stderr
    assert f"wrote {len(history.events):,} call(s)" in r.stderr
    assert mode(target) == 0o600
    if fmt == "json":
        body = json.loads(target.read_text())
        assert (body["range"], body["by"]) == ("all", "call")
        calls = body["calls"]
    else:
        calls = list(csv.DictReader(io.StringIO(target.read_text())))
    expected = sorted(history.events, key=lambda e: e.ts)
    assert len(calls) == len(expected)
    for row, e in zip(calls, expected):
        assert row["time_utc"] == dt.datetime.fromtimestamp(e.ts, UTC).isoformat(timespec="microseconds")[:-6] + "Z"
        assert (row["session"], row["status"]) == (e.session, e.status)
        assert row["model"] == (e.model if fmt == "json" or not e.model.startswith("=") else "'" + e.model)
        assert int(row["input"]) == e.usage.input and int(row["output"]) == e.usage.output
        assert (row["cost_usd"] in (None, "")) if e.cost_units is None else row["cost_usd"] == usd(e.cost_units)
        assert int(row["web_search"]) == e.usage.web_search
        assert (row["variant"] or None, row["priced_by"] or None) == (e.variant, e.priced_by)
        assert (row["source"], row["project"]) == (e.source, e.project if fmt == "json" or not e.project.startswith(
            "+") else "'" + e.project)
    assert {c["variant"] or None for c in calls} == {None, "batch"}
    assert {c["priced_by"] or None for c in calls} == {None, "catalog"}
    assert {c["source"] for c in calls} == {"api", "claude-code", "litellm"}
    assert any(int(c["web_search"]) == 2 for c in calls)
    committed = sum(Decimal(c["cost_usd"]) for c in calls if c["status"] == COMMITTED and c["cost_usd"])
    report = json.loads(costpanel("report", "--db", str(history.db), "--range", "all", "--json").stdout)
    assert committed == Decimal(report["total"]["cost_usd"])  # the calls add up to the report


@pytest.mark.parametrize("locked", ["file", "folder"])
@pytest.mark.parametrize("by", ["model", "call"])
def test_export_onto_a_file_that_cannot_be_replaced_exits_1_in_one_line_and_leaves_no_temp_file(
        history: History, tmp_path: Path, make_unwritable: Callable[[Path], None], locked: str, by: str) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "costs.csv"
    target.write_text("last month's figures")
    make_unwritable(target if locked == "file" else folder)
    r = costpanel("export", "--db", str(history.db), "--range", "all", "--by", by, "--force", str(target))
    assert r.returncode == 1, r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"error: {target} cannot be written (") and "chattr -i" in line, line
    assert [p.name for p in folder.iterdir()] == ["costs.csv"]  # no temp file left behind
    assert target.read_text() == "last month's figures"


def test_export_by_call_of_a_range_keeps_only_its_days(history: History, tmp_path: Path) -> None:
    target = tmp_path / "day.csv"
    r = costpanel("export", "--db", str(history.db), "--range", "2026-01-11..2026-01-11", "--by", "call", str(target))
    assert r.returncode == 0, r.stderr
    calls = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [c["time_utc"][:10] for c in calls] == ["2026-01-11", "2026-01-11"]  # a call and a discarded attempt


def test_export_to_a_folder_or_an_unknown_extension_says_what_to_do(history: History, tmp_path: Path) -> None:
    for folder in (str(tmp_path), str(tmp_path / "not-yet.csv") + "/"):  # with or without --format
        r = costpanel("export", "--db", str(history.db), folder)
        assert r.returncode == 2 and "is a folder: give a file name" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "not-yet.csv").exists()
    r = costpanel("export", "--db", str(history.db), str(tmp_path / "costs.txt"))
    assert r.returncode == 2 and "--format csv or --format json" in r.stderr
    assert not (tmp_path / "costs.txt").exists()


def test_report_on_an_empty_file_does_not_turn_it_into_a_ledger(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    r = costpanel("report", "--db", str(path), "--range", "all")
    assert r.returncode == 1 and "not a costpanel ledger yet" in r.stderr and "Traceback" not in r.stderr
    assert path.read_bytes() == b""


def test_export_into_a_missing_folder_exits_2(history: History, tmp_path: Path) -> None:
    r = costpanel("export", "--db", str(history.db), "--format", "json", "--range", "all",
                  str(tmp_path / "missing" / "out.json"))
    assert r.returncode == 2
    assert "no such folder" in r.stderr


# -- budget ----------------------------------------------------------------------------------------------
def test_budget_set_then_show_reports_spent_percent_level_and_projection(tmp_path: Path, catalog: Catalog,
                                                                          isolated_user_dirs: Path) -> None:
    db = tmp_path / "today.sqlite3"
    tracker = CostTracker(catalog, ledger=db)
    spent = tracker.record("gpt-4o", Usage(input=1_300_000, output=0), event_id="today-1")
    tracker.record("mystery-model-x", Usage(input=5, output=5), event_id="today-2")
    tracker.close()
    assert spent.cost_units == 3_250_000_000_000  # $3.25: 1.3M input tokens at $2.50/M

    r = costpanel("budget", "set", "--daily", "5", "--monthly", "$100")
    assert r.returncode == 0, r.stderr
    saved = isolated_user_dirs / "budgets.json"
    assert json.loads(saved.read_text()) == {"daily_usd": "5", "monthly_usd": "100"}
    assert mode(saved) == 0o600

    now_before = dt.datetime.now(UTC)
    r = costpanel("budget", "show", "--db", str(db), "--json")
    now_after = dt.datetime.now(UTC)
    assert r.returncode == 0, r.stderr
    today, month = json.loads(r.stdout)
    assert today == {"period": "today", "spent_usd": "3.25", "unpriced_calls": 1, "budget_usd": "5",
                     "remaining_usd": "1.75", "percent": 65, "level": "WATCH", "projected_month_end_usd": None}
    projected = month.pop("projected_month_end_usd")
    assert month == {"period": "month", "spent_usd": "3.25", "unpriced_calls": 1, "budget_usd": "100",
                     "remaining_usd": "96.75", "percent": 3, "level": "OK"}
    # Month end at this month's daily average so far: 3.25 / elapsed days × days in the month.
    days = calendar.monthrange(now_before.year, now_before.month)[1]

    def projection(now: dt.datetime) -> Decimal:
        elapsed = (now - now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)).total_seconds() / 86400
        return Decimal("3.25") / Decimal(str(elapsed)) * days

    assert projection(now_after) - Decimal("0.01") <= Decimal(projected) <= projection(now_before) + Decimal("0.01")

    r = costpanel("budget", "show", "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "Today: spent $3.25 of $5.00 (65%, $1.75 left) [WATCH]" in r.stdout
    assert "This month: spent $3.25 of $100.00 (3%, $96.75 left) [OK]" in r.stdout
    assert "1 unpriced call(s) not included" in r.stdout


def test_budget_set_zero_removes_a_budget(isolated_user_dirs: Path) -> None:
    assert costpanel("budget", "set", "--daily", "5", "--monthly", "100").returncode == 0
    assert costpanel("budget", "set", "--daily", "0").returncode == 0
    assert json.loads((isolated_user_dirs / "budgets.json").read_text()) == {"daily_usd": None, "monthly_usd": "100"}


@pytest.mark.parametrize("args", [["--daily", "-5"], ["--monthly", "-0.01"], ["--daily", "five"], ["--daily", "NaN"],
                                  []])
def test_budget_set_refuses_bad_amounts_with_exit_2(args: list[str], isolated_user_dirs: Path) -> None:
    r = costpanel("budget", "set", *args)
    assert r.returncode == 2, r.stdout + r.stderr
    if args:
        assert repr(args[1]) in r.stderr
    assert not (isolated_user_dirs / "budgets.json").exists()


def test_the_daily_budget_counts_only_todays_calls(tmp_path: Path, catalog: Catalog) -> None:
    """Calls of the six days before today are in the ledger, but not in today's spend. The children run
    with TZ=UTC, so "today" is the UTC date."""
    for _ in range(2):  # run again if the UTC date changed while the test ran (at midnight)
        now = dt.datetime.now(UTC)
        midnight = dt.datetime(now.year, now.month, now.day, tzinfo=UTC)
        db = tmp_path / f"days-{now.timestamp()}.sqlite3"
        tracker = CostTracker(catalog, ledger=db)
        # gpt-4o input at $2.50 per 1M tokens: 400k = $1, 800k = $2, 1.6M = $4, 3.2M = $8, 6.4M = $16
        calls = [(midnight + dt.timedelta(seconds=1), 400_000),  # today, in its first second
                 (midnight - dt.timedelta(hours=12), 800_000),  # yesterday
                 (midnight - dt.timedelta(days=3) + dt.timedelta(hours=12), 1_600_000),
                 (midnight - dt.timedelta(days=6) + dt.timedelta(hours=12), 3_200_000),  # 7d includes it
                 (midnight - dt.timedelta(days=10), 6_400_000)]
        for when, tokens in calls:
            tracker.record("gpt-4o", Usage(input=tokens), tier="Tier 1", at=when)
        tracker.close()
        assert costpanel("budget", "set", "--daily", "5").returncode == 0
        r = costpanel("budget", "show", "--db", str(db), "--json")
        if dt.datetime.now(UTC).date() == now.date():
            break
    assert r.returncode == 0, r.stderr
    today, month = json.loads(r.stdout)
    assert (today["period"], today["spent_usd"], today["level"]) == ("today", "1", "OK")  # $1 of $5
    in_month = sum(tokens for when, tokens in calls if when >= midnight.replace(day=1))
    assert month["period"] == "month" and Decimal(month["spent_usd"]) == Decimal(in_month) * Decimal("0.0000025")


def test_the_report_table_shows_web_searches_when_calls_searched(history: History) -> None:
    r = costpanel("report", "--db", str(history.db), "--range", "all", "--by", "model")
    assert r.returncode == 0, r.stderr
    header = next(line for line in r.stdout.splitlines() if "Calls" in line)
    assert "Web searches" in header
    row = next(line for line in r.stdout.splitlines() if line.startswith("│ claude-sonnet-4 "))
    cells = [c.strip() for c in row.strip("│").split("│")]
    names = [c.strip() for c in header.strip("┃│").replace("┃", "│").split("│")]
    assert cells[names.index("Web searches")] == "2"


# -- source and project (issue 11) -------------------------------------------------------------------------
def test_report_by_source_and_project_split_the_total_exactly(history: History) -> None:
    committed = [e for e in history.events if e.status == COMMITTED]
    assert {e.source for e in committed} == {"api", "claude-code", "litellm"}
    assert {e.project for e in committed} == {"", "/src/shop", "/src/blog", EVIL_PROJECT}
    for by in ("source", "project"):
        data = json.loads(costpanel("report", "--db", str(history.db), "--range", "all", "--by", by, "--json").stdout)
        # computed here from the events: e.g. Claude Code's two calls, $0.023825 + $0.00042
        by_key: dict[str, int] = {}
        for e in committed:
            by_key[key_of(e, by)] = by_key.get(key_of(e, by), 0) + (e.cost_units or 0)
        assert {row[by]: Decimal(row["cost_usd"] or 0) for row in data["rows"]} == {
            k or None: Decimal(usd(v)) for k, v in by_key.items()}  # no project: null, never a name such as "-"
        assert data["total"] == row_dict(by, "total", committed)
        assert data["discarded"]["calls"] == 1  # the LiteLLM attempt's discarded call stays apart
    data = json.loads(costpanel("report", "--db", str(history.db), "--range", "all", "--by", "source", "--json").stdout)
    assert {r["source"]: r["cost_usd"] for r in data["rows"]}["claude-code"] == usd(23_825_000_000 + 420_000_000)


def test_the_cli_lists_the_groups_the_ledger_reports() -> None:
    from costpanel.cli.history import GROUPS as CLI_GROUPS
    from costpanel.ledger.queries import GROUPS as LEDGER_GROUPS

    assert CLI_GROUPS == LEDGER_GROUPS
    assert set(GROUPS) == set(LEDGER_GROUPS)


@pytest.mark.parametrize("by", ["model", "call"])
def test_export_to_a_dash_writes_stdout_what_it_writes_to_a_file(history: History, tmp_path: Path, by: str) -> None:
    """`export --format csv - | …`: a pipeline gets the file's bytes, and no file named '-' is made."""
    target = tmp_path / "out.csv"
    assert costpanel("export", "--db", str(history.db), "--range", "all", "--by", by, str(target)).returncode == 0
    r = costpanel("export", "--db", str(history.db), "--range", "all", "--by", by, "--format", "csv", "-")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout == target.read_text() and not Path("-").exists()
    r = costpanel("export", "--db", str(history.db), "--range", "all", "-")  # stdout has no extension to go by
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == ["error: writing to stdout (-): say --format csv or --format json"]


def test_the_table_says_when_it_rounds_costs_and_where_the_exact_ones_are(tmp_path: Path, catalog: Catalog) -> None:
    """Rows rounded to the cent may look a cent off their total: the report says it rounded, and
    where the exact figures are; a table that shows every cost exactly says nothing."""
    exact, rounded = tmp_path / "exact.sqlite3", tmp_path / "rounded.sqlite3"
    with CostTracker(catalog, ledger=exact) as t:
        t.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1")  # $2.50
        t.record("gpt-4o", Usage(input=400_000), tier="Tier 2")  # $1.00
    with CostTracker(catalog, ledger=rounded) as t:
        for tier in ("Tier 1", "Tier 2", "Tier 3"):
            t.record("gpt-4o", Usage(input=133_333), tier=tier)  # $0.3333325 each, shown $0.33; total $1.00
    note = "costs rounded for display (the total is the exact sum, rounded once); exact to 1e-12 USD: --json or --csv"
    r = costpanel("report", "--db", str(exact), "--range", "all", "--by", "tier")
    assert r.returncode == 0 and "$2.50" in r.stdout and note not in r.stdout, r.stdout
    r = costpanel("report", "--db", str(rounded), "--range", "all", "--by", "tier")
    assert r.returncode == 0 and r.stdout.count("$0.33") == 3 and "$1.00" in r.stdout and note in r.stdout, r.stdout


def test_a_range_of_only_discarded_attempts_says_so(tmp_path: Path) -> None:
    db = tmp_path / "only-discarded.sqlite3"
    tracker = CostTracker(ledger=db, fallback=False)
    with tracker.attempt(tier="Tier 1") as a:
        a.record("gpt-4o", Usage(input=1000, output=10))
        a.discard()
    tracker.close()
    r = run_costpanel("report", "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "discarded fallback attempts: 1 call, $0.0026 (not in the total)" in r.stdout
    assert "no counted calls in this range (only the discarded attempts above)" in r.stdout
    assert "no calls recorded" not in r.stdout
