"""The durable SQLite ledger: real files in tmp_path, real subprocesses, no mocks.

What is checked: every call lands with its exact integer cost; roll-ups equal the tracker's totals;
Reset keeps history and a restart resumes a session exactly; ids count once; an application's own
transaction covers its content and its usage; two processes share a file; v1 files upgrade;
foreign and corrupt files are refused untouched; days follow the local time zone (DST included);
files are private. Crash behaviour (SIGKILL, SIGTERM, exit without close) is in test_ledger_crash.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import threading
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from costpanel import CostTracker, Usage
from costpanel.events import COMMITTED, DISCARDED, DUPLICATE, Event
from costpanel.ledger import Ledger, LedgerError, migrate, write_events
from costpanel.ledger.queries import daily_trend, discarded_total, open_read_only, parse_range, report, top_sessions
from costpanel.ledger.schema import APPLICATION_ID, BUCKET_SECONDS, MIGRATIONS
from costpanel.ledger.store import connect
from costpanel.money import units_to_usd
from costpanel.pricing import Catalog

UTC = dt.timezone.utc
WRITER = Path(__file__).parent / "ledger_writer.py"
V1_FIXTURE = Path(__file__).parent / "data" / "ledger" / "v1.sqlite3"
FIGURES = ("calls", "input", "cache_read", "cache_write", "cache_write_1h", "output", "requests", "cost_units",
           "unpriced_calls")
ALL_MIGRATIONS = sorted(m.__name__ for m in MIGRATIONS)
EVENT_SQL = ("SELECT event_id, session, tier, model, model_key, matched, provider, input, cache_read, cache_write, "
             "cache_write_1h, output, requests, cost_units, status, ts FROM events ORDER BY id")


# -- helpers -------------------------------------------------------------------------------------------
def figures(row: object) -> tuple[int, ...]:
    """The integer figures of a snapshot Row or a ReportRow, comparable with each other."""
    return tuple(getattr(row, f) for f in FIGURES)


def query(path: Path, sql: str, params: Iterable[object] = ()) -> list[tuple[object, ...]]:
    """A plain sqlite3 read of the file, independent of costpanel's connection code."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, tuple(params)).fetchall()
    finally:
        conn.close()


def rollup_sums(path: Path, status: str = COMMITTED, session: str | None = None) -> tuple[int, ...]:
    where, params = "status = ?", [status]
    if session is not None:
        where, params = where + " AND session = ?", [status, session]
    row = query(path, f"SELECT {', '.join(f'COALESCE(SUM({f}), 0)' for f in FIGURES)} FROM rollup WHERE {where}",
                params)[0]
    return tuple(int(v) for v in row)  # type: ignore[call-overload]


def event_sums(path: Path, status: str = COMMITTED) -> tuple[int, ...]:
    """The same figures computed from the raw events (what the roll-ups must equal)."""
    row = query(path, "SELECT COUNT(*), COALESCE(SUM(input), 0), COALESCE(SUM(cache_read), 0), "
                      "COALESCE(SUM(cache_write), 0), COALESCE(SUM(cache_write_1h), 0), COALESCE(SUM(output), 0), "
                      "COALESCE(SUM(requests), 0), COALESCE(SUM(cost_units), 0), COALESCE(SUM(cost_units IS NULL), 0) "
                      "FROM events WHERE status = ?", [status])[0]
    return tuple(int(v) for v in row)  # type: ignore[call-overload]


def expected_row(e: Event) -> tuple[object, ...]:
    u = e.usage
    return (e.event_id, e.session, e.tier, e.model, e.matched or e.model.strip(), e.matched, e.provider,
            u.input, u.cache_read, u.cache_write, u.cache_write_1h, u.output, u.requests, e.cost_units, e.status, e.ts)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite3"


@pytest.fixture
def opened() -> Iterator[list[Ledger]]:
    """Ledgers a test opens; closed at teardown even when the test fails half-way."""
    ledgers: list[Ledger] = []
    yield ledgers
    for ledger in ledgers:
        ledger.close()


def record_mix(tracker: CostTracker, prefix: str) -> list[Event]:
    """Priced (with cache buckets), unpriced, a committed and a discarded attempt: every kind of call."""
    events = [
        tracker.record("gpt-4o", Usage(input=1200, output=300), tier="Tier 1", event_id=f"{prefix}-p1"),
        tracker.record("claude-sonnet-4", Usage(input=1000, cache_read=500, cache_write=100, cache_write_1h=40,
                                                output=20), tier="Tier 2", event_id=f"{prefix}-p2"),
        tracker.record("mystery-model-x", Usage(input=10, output=5), tier="Tier 1", event_id=f"{prefix}-u1"),
        tracker.record("gpt-4o", Usage(input=7, output=3, requests=2), tier="Tier 2"),  # no event id
    ]
    with tracker.attempt("Tier 2") as ok:
        ok.record("gpt-4o-mini", Usage(input=400, output=40), event_id=f"{prefix}-a1")
    events += ok.events
    with pytest.raises(TimeoutError), tracker.attempt("Tier 1") as failed:
        failed.record("gpt-4o", Usage(input=100, output=50), event_id=f"{prefix}-d1")
        failed.record("mystery-model-x", Usage(input=9, output=9), event_id=f"{prefix}-d2")
        raise TimeoutError("provider timed out")
    events += failed.events
    return events


# -- 1. round trip -------------------------------------------------------------------------------------
def test_every_call_lands_with_its_exact_cost_and_rollups_equal_the_snapshot(db: Path, catalog: Catalog) -> None:
    tracker = CostTracker(catalog, ledger=db, session="round-trip")
    events = record_mix(tracker, "rt")
    snap = tracker.snapshot()
    tracker.close()

    rows = query(db, EVENT_SQL)
    assert rows == [expected_row(e) for e in events]
    assert rows[3][0] is None  # recorded without an event id: stored without one
    assert [r[13] for r in rows] == [6_000_000_000, events[1].cost_units, None, events[3].cost_units,
                                     events[4].cost_units, 750_000_000, None]
    assert all(type(r[13]) is int for r in rows if r[13] is not None)  # integer units, never REAL
    assert [r[14] for r in rows] == [COMMITTED] * 5 + [DISCARDED] * 2

    assert snap.unpriced_calls == 1 and snap.discarded.calls == 2
    assert rollup_sums(db, COMMITTED) == figures(snap.total)
    assert rollup_sums(db, DISCARDED) == figures(snap.discarded)

    conn = open_read_only(db)
    try:
        span = parse_range("all")
        assert {r.key: figures(r) for r in report(conn, span, "model")} == \
            {k: figures(r) for k, r in snap.by_model.items()}
        assert {r.key: figures(r) for r in report(conn, span, "tier")} == \
            {k: figures(r) for k, r in snap.by_tier.items()}
        assert figures(discarded_total(conn, span)) == figures(snap.discarded)
        (session_row,) = report(conn, span, "session")
        assert session_row.key == "round-trip" and figures(session_row) == figures(snap.total)
    finally:
        conn.close()
    ((sid, started, ended),) = query(db, "SELECT id, started_at, ended_at FROM sessions")
    assert sid == "round-trip" and ended is None
    assert snap.started_at.timestamp() - 1 < started <= min(e.ts for e in events)


def test_report_leaves_out_discarded_calls_and_counts_unpriced_ones(db: Path, catalog: Catalog) -> None:
    tracker = CostTracker(catalog, ledger=db)
    record_mix(tracker, "x")
    tracker.close()
    conn = open_read_only(db)
    try:
        rows = {r.key: r for r in report(conn, parse_range("all"), "model")}
    finally:
        conn.close()
    assert rows["mystery-model-x"].cost_usd is None  # all its calls unpriced: never a silent $0
    assert rows["mystery-model-x"].calls == 1  # its discarded call is not in the report
    assert rows["gpt-4o"].calls == 2


# -- 2. record() never waits on the disk ----------------------------------------------------------------
def test_record_returns_at_once_while_the_file_is_locked_and_every_call_lands_after(
        db: Path, catalog: Catalog, opened: list[Ledger]) -> None:
    ledger = Ledger(db, flush_interval=0.05)
    opened.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger)
    assert ledger.flush()
    # The built-in busy timeout is 10 s (BUSY_TIMEOUT_MS, not configurable): health() would stay
    # ok for 10 s. Shorten it on the writer's own connection to keep the test fast.
    ledger.read("PRAGMA busy_timeout = 100")
    blocker = sqlite3.connect(db, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        t0 = time.perf_counter()
        for n in range(300):
            tracker.record("gpt-4o", Usage(input=n + 1, output=1), event_id=f"locked-{n}")
        recording = time.perf_counter() - t0
        deadline = time.monotonic() + 5
        while ledger.health().ok and time.monotonic() < deadline:
            time.sleep(0.02)
        health = ledger.health()
        assert not health.ok, "the writer never reported the locked file"
        assert health.last_error is not None and "locked" in health.last_error
        assert health.queued == 300
        assert query(db, "SELECT COUNT(*) FROM events") == [(0,)]
    finally:
        blocker.close()  # releases the lock (the open transaction is rolled back)
    # A record() that waited on the file would wait its 100 ms busy timeout each time: 30 s in all.
    # Only that fault crosses this bound (a garbage-collection pause does not).
    assert recording < 5, f"300 calls took {recording:.1f} s while the ledger file was locked"
    deadline = time.monotonic() + 8  # the writer's back-off is at most 5 s
    while (ledger.health().queued or not ledger.health().ok) and time.monotonic() < deadline:
        time.sleep(0.02)
    health = ledger.health()
    assert health.ok and health.queued == 0 and health.written == 300
    assert query(db, "SELECT COUNT(*), SUM(input) FROM events") == [(300, 300 * 301 // 2)]
    assert rollup_sums(db)[0] == 300


def _fill_the_disk(ledger: Ledger, tracker: CostTracker, n: int) -> None:
    """Make every write fail with SQLITE_FULL (as a full disk would): cap the file at its size,
    record ``n`` calls, and wait until the writer reports the failure."""
    assert ledger.flush()
    pages = ledger.read("PRAGMA page_count")[0][0]
    ledger.read(f"PRAGMA max_page_count = {pages}")
    for k in range(n):
        tracker.record("gpt-4o", Usage(input=k + 1, output=1), event_id=f"full-{k:05d}-{'x' * 60}")
    deadline = time.monotonic() + 5  # until the writer has tried, failed and said so
    while ledger.health().ok and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_full_disk_is_reported_by_health_and_nothing_is_dropped(db: Path, catalog: Catalog,
                                                                   opened: list[Ledger]) -> None:
    ledger = Ledger(db, flush_interval=0.05)
    opened.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger)
    try:
        _fill_the_disk(ledger, tracker, 500)
        health = ledger.health()
        assert not health.ok and health.last_error
        assert health.queued == 500 and health.written == 0
    finally:
        ledger.read("PRAGMA max_page_count = 1073741823")  # space again
    deadline = time.monotonic() + 8
    while ledger.health().queued and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ledger.health().ok and ledger.health().written == 500
    assert query(db, "SELECT COUNT(*) FROM events") == [(500,)]


def test_a_tight_recording_loop_keeps_pace_with_the_writer_instead_of_queueing_without_bound(
        db: Path, catalog: Catalog, opened: list[Ledger]) -> None:
    ledger = Ledger(db, max_backlog=2_000)
    opened.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger)
    most_queued = 0
    n = 200_000
    for k in range(n):  # as fast as one thread can: left alone, the queue would reach ~n
        tracker.record("gpt-4o", Usage(input=k % 97 + 1, output=1))
        if k % 100 == 0:
            most_queued = max(most_queued, ledger.health().queued)
    # Beyond the limit, record() waits until the writer has stored half of it: what is queued is
    # at most the limit, plus the batch being written (taken from a queue at most that long), plus
    # the session's start mark.
    assert most_queued <= 2 * (2_000 + 1) + 1, most_queued
    assert ledger.pace_waits > 0  # the counter the full-disk test relies on does count the waits
    assert ledger.flush()
    assert ledger.health().written == n
    assert query(db, "SELECT COUNT(*), SUM(input) FROM events") == [(n, sum(k % 97 + 1 for k in range(n)))]


def test_while_writes_fail_record_does_not_wait_for_the_backlog_to_clear(
        db: Path, catalog: Catalog, opened: list[Ledger]) -> None:
    ledger = Ledger(db, flush_interval=0.05, max_backlog=500)
    opened.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger)
    _fill_the_disk(ledger, tracker, 500)
    assert not ledger.health().ok
    try:
        for k in range(5_000):  # ten times the backlog limit
            tracker.record("gpt-4o", Usage(input=k + 1, output=1))
        assert ledger.health().queued == 5_500  # all kept in memory
        assert ledger.pace_waits == 0  # and record() never waited for the writer to catch up
    finally:
        ledger.read("PRAGMA max_page_count = 1073741823")
    assert ledger.flush()
    assert query(db, "SELECT COUNT(*) FROM events") == [(5_500,)]


@pytest.mark.parametrize("bad", [0, -5, 1.5, "100"])
def test_a_bad_backlog_limit_is_refused(db: Path, bad: object) -> None:
    with pytest.raises(ValueError, match="max_backlog must be a positive int"):
        Ledger(db, max_backlog=bad)  # type: ignore[arg-type]
    assert not db.exists()


def test_health_names_the_real_write_failure(db: Path, catalog: Catalog, opened: list[Ledger]) -> None:
    ledger = Ledger(db, flush_interval=0.05)
    opened.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger)
    try:
        _fill_the_disk(ledger, tracker, 500)
        error = ledger.health().last_error
    finally:
        ledger.read("PRAGMA max_page_count = 1073741823")
    assert error is not None and "full" in error, error


# -- 3. reset keeps history, restart resumes ---------------------------------------------------------------
def test_calls_close_cannot_store_are_saved_beside_the_ledger_and_close_says_how_many_and_where(
        db: Path, catalog: Catalog) -> None:
    tracker = CostTracker(catalog, ledger=db, session="unlucky")
    ledger = tracker.ledger
    assert ledger is not None
    _fill_the_disk(ledger, tracker, 300)  # the file became unwritable after it was opened
    with pytest.raises(LedgerError) as info:
        tracker.close(end_session=True)
    message = str(info.value)
    assert f"{db}: 300 call(s) and 1 session start/end mark(s) could not be stored" in message, message
    assert "full" in message and message.endswith(f"saved in {ledger.rejected_path}")
    lines = [json.loads(line) for line in ledger.rejected_path.read_text().splitlines()]
    assert lines[0]["item"].startswith("('end', 'unlucky', ")  # the session's end mark, kept too
    calls = lines[1:]
    assert [c["event_id"] for c in calls] == [f"full-{k:05d}-{'x' * 60}" for k in range(300)]
    assert [c["usage"]["input"] for c in calls] == list(range(1, 301))
    assert all(c["error"].startswith("not stored: OperationalError: database or disk is full") for c in lines)
    assert stat.S_IMODE(ledger.rejected_path.stat().st_mode) == 0o600
    tracker.close()  # idempotent: said once, not raised again
    ledger.close()
    assert query(db, "SELECT COUNT(*) FROM events") == [(0,)]


def test_when_the_side_file_cannot_be_written_either_close_saves_the_calls_in_the_temp_folder(
        tmp_path: Path, catalog: Catalog, make_unwritable: Callable[[Path], None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    folder, temp = tmp_path / "ledgers", tmp_path / "temp"
    folder.mkdir()
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # what TMPDIR sets for tempfile.gettempdir()
    tracker = CostTracker(catalog, ledger=folder / "ledger.sqlite3")
    ledger = tracker.ledger
    assert ledger is not None
    _fill_the_disk(ledger, tracker, 200)
    make_unwritable(folder)  # no <ledger>.rejected.jsonl can be made there
    with pytest.raises(LedgerError) as info:
        tracker.close()
    (saved,) = temp.iterdir()
    message = str(info.value)
    assert "200 call(s) could not be stored" in message and message.endswith(f"saved in {saved}"), message
    calls = [json.loads(line) for line in saved.read_text().splitlines()]
    assert [c["event_id"] for c in calls] == [f"full-{k:05d}-{'x' * 60}" for k in range(200)]
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert not ledger.rejected_path.exists()


def test_at_exit_unstorable_calls_are_saved_and_one_line_says_where_without_a_traceback(db: Path) -> None:
    r = run_writer("full", str(db), "--count", "150", "--prefix", "exit-")
    assert r.returncode == 0, r.stderr
    rejected = db.with_name(db.name + ".rejected.jsonl")
    errors = [line for line in r.stderr.splitlines() if line.startswith("costpanel: error:")]
    assert errors == [f"costpanel: error: {db}: 150 call(s) could not be stored (OperationalError: database or disk "
                      f"is full); saved in {rejected}"], r.stderr
    assert "Traceback" not in r.stderr
    assert [json.loads(line)["event_id"] for line in rejected.read_text().splitlines()] == [
        f"exit-{n}-{'x' * 200}" for n in range(150)]


def test_reset_closes_the_session_and_keeps_its_history(db: Path, catalog: Catalog) -> None:
    tracker = CostTracker(catalog, ledger=db, session="before-reset")
    first = record_mix(tracker, "one")
    tracker.reset("after-reset")
    tracker.record("gpt-4o", Usage(input=5, output=5), event_id="two-1")
    assert tracker.snapshot().calls == 1  # the tracker starts from zero...
    tracker.close()
    sessions = dict(query(db, "SELECT id, ended_at FROM sessions"))
    assert set(sessions) == {"before-reset", "after-reset"}
    assert sessions["before-reset"] is not None and sessions["after-reset"] is None
    counted = [e for e in first if e.status == COMMITTED]
    assert query(db, "SELECT session, COUNT(*) FROM events WHERE status = 'committed' GROUP BY session "
                     "ORDER BY session") == [("after-reset", 1), ("before-reset", len(counted))]  # ...history stays


def test_resume_continues_the_open_session_with_exactly_the_same_totals(db: Path, catalog: Catalog) -> None:
    tracker = CostTracker(catalog, ledger=db, session="first")
    record_mix(tracker, "first")
    tracker.reset("second")
    record_mix(tracker, "second")
    tracker.record("gemini-2.5-pro", Usage(input=3000, output=700), tier="Tier 3", event_id="second-g")
    before = tracker.snapshot()
    tracker.close()
    conn = sqlite3.connect(db)  # as if the session (and its calls) had started an hour earlier
    with conn:
        conn.execute("UPDATE sessions SET started_at = started_at - 3600 WHERE id = 'second'")
        conn.execute("UPDATE calls SET ts = ts - 3600 WHERE dim IN (SELECT id FROM dims WHERE session = 'second')")
    conn.close()

    resumed = CostTracker(catalog, ledger=db, resume=True)
    try:
        after = resumed.snapshot()
        assert resumed.session == "second"
        assert after.total == before.total
        assert dict(after.by_tier) == dict(before.by_tier)
        assert dict(after.by_model) == dict(before.by_model)
        assert dict(after.by_tier_model) == dict(before.by_tier_model)
        assert after.discarded == before.discarded
        assert dict(after.discarded_by_tier_model) == dict(before.discarded_by_tier_model)
        assert after.unpriced == before.unpriced and after.unpriced_calls == before.unpriced_calls == 1
        # the session's age goes on from its start (an hour ago, see below), so its burn rate is
        # its cost over that hour, not the whole cost over the seconds since the restart
        assert after.started_at == before.started_at - dt.timedelta(hours=1)
        assert after.elapsed_s == pytest.approx(before.elapsed_s + 3600, abs=5)
        # its run began an hour ago (plus the seconds this test took): its rate is about its total per hour
        assert after.first_call_at is not None and before.first_call_at is not None
        assert after.first_call_at.timestamp() == pytest.approx(before.first_call_at.timestamp() - 3600, abs=1e-3)
        assert after.burn_rate_usd_per_hour(None) == pytest.approx(float(after.total_usd), rel=0.01)

        new = resumed.record("gpt-4o", Usage(input=2000, output=100), tier="Tier 1", event_id="second-new")
        assert new.status == COMMITTED
        again = resumed.record("gpt-4o", Usage(input=1200, output=300), tier="Tier 1", event_id="second-p1")
        assert again.status == DUPLICATE  # recorded before the restart: counted once
        now = resumed.snapshot()
        assert now.calls == before.calls + 1
        assert now.total.cost_units == before.total.cost_units + new.cost_units
    finally:
        resumed.close()
    assert query(db, "SELECT COUNT(*) FROM events WHERE event_id = 'second-p1'") == [(1,)]
    assert rollup_sums(db, session="second") == figures(now.total)
    assert query(db, "SELECT COUNT(*) FROM sessions") == [(2,)]  # resuming opened no new session


def test_resume_without_an_open_session_starts_a_new_one(db: Path, catalog: Catalog) -> None:
    tracker = CostTracker(catalog, ledger=db, session="only")
    tracker.record("gpt-4o", Usage(input=1, output=1))
    tracker.reset("next")
    tracker.close()
    query_conn = sqlite3.connect(db)
    query_conn.execute("UPDATE sessions SET ended_at = 1 WHERE id = 'next'")
    query_conn.commit()
    query_conn.close()
    resumed = CostTracker(catalog, ledger=db, resume=True)
    try:
        assert resumed.session not in ("only", "next")
        assert resumed.snapshot().calls == 0
    finally:
        resumed.close()


def test_resume_puts_the_last_hours_calls_back_in_their_seconds(db: Path, catalog: Catalog) -> None:
    now = dt.datetime.now(UTC)
    tracker = CostTracker(catalog, ledger=db, session="busy")
    old = tracker.record("gpt-4o", Usage(input=9000, output=900), tier="Tier 1", at=now - dt.timedelta(hours=3))
    recent = [tracker.record("gpt-4o", Usage(input=1000 * (k + 1), output=100), tier=f"Tier {k % 2 + 1}",
                             at=now - dt.timedelta(seconds=30 * k)) for k in range(6)]
    before = tracker.snapshot()
    tracker.close()

    resumed = CostTracker(catalog, ledger=db, resume=True)
    try:
        after = resumed.snapshot()
    finally:
        resumed.close()
    assert after.total == before.total
    recent_usd = sum(units_to_usd(e.cost_units) for e in recent)  # all within the last 5 minutes
    assert float(recent_usd) > 0 and old.cost_units
    assert after.elapsed_s > 3 * 3600 - 5  # the session began with its 3-hour-old call
    # the last 5 minutes: (21,000 input x $2.50 + 600 output x $10) per 1M = $0.0585 in 300 s, x 12
    assert float(recent_usd) == pytest.approx(0.0585)
    assert after.burn_rate_usd_per_hour() == pytest.approx(0.702)
    # the cumulative line: the 3-hour-old call in its baseline, the recent ones at their seconds,
    # ending at the session's total
    xs, ys = after.total_series.cumulative_usd()
    assert xs == [float(int(e.ts)) for e in sorted(recent, key=lambda e: e.ts)]
    assert ys[0] == pytest.approx(float(units_to_usd(old.cost_units + min(recent, key=lambda e: e.ts).cost_units)))
    assert ys[-1] == pytest.approx(float(after.total_usd))


def test_closing_with_end_session_means_the_next_resume_starts_afresh(db: Path, catalog: Catalog) -> None:
    tracker = CostTracker(catalog, ledger=db, session="finished")
    tracker.record("gpt-4o", Usage(input=1, output=1))
    tracker.close(end_session=True)
    tracker.close(end_session=True)  # twice is harmless
    ((ended,),) = query(db, "SELECT ended_at FROM sessions WHERE id = 'finished'")
    assert ended is not None
    resumed = CostTracker(catalog, ledger=db, resume=True)
    try:
        assert resumed.session != "finished" and resumed.snapshot().calls == 0
    finally:
        resumed.close()


def test_the_demo_keeps_its_simulated_calls_in_a_demo_session_it_ends(db: Path, catalog: Catalog) -> None:
    r = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--headless", "--seconds", "0.5", "--rate", "200",
                        "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    ((session, ended, calls),) = query(db, "SELECT s.id, s.ended_at, (SELECT COUNT(*) FROM events) FROM sessions s")
    assert session.startswith("demo-") and ended is not None and calls > 0
    resumed = CostTracker(catalog, ledger=db, resume=True)  # a real agent never continues the demo
    try:
        assert not resumed.session.startswith("demo-")
    finally:
        resumed.close()


def test_the_demo_keeps_its_calls_apart_from_the_users_ledger_unless_told(tmp_path: Path) -> None:
    """Simulated spend never lands in the user's ledger (COSTPANEL_DB or the data dir's): it would
    count in reports, budgets and what-ifs. By default it goes to demo.sqlite3 in the data dir,
    each call with source `demo`; --db names another ledger."""
    import os

    data, mine = tmp_path / "data", tmp_path / "mine.sqlite3"
    env = {**os.environ, "COSTPANEL_DATA_DIR": str(data), "COSTPANEL_DB": str(mine)}
    r = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--headless", "--seconds", "0.5", "--rate", "200"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    demo = data / "demo.sqlite3"
    assert not mine.exists() and sorted(p.name for p in data.iterdir() if p.suffix == ".sqlite3") == ["demo.sqlite3"]
    assert r.stdout.splitlines()[-1] == (f"simulated calls kept in {demo} (see them: costpanel report --db {demo}; "
                                         "--db PATH to choose, --no-ledger for none)")
    assert r.stderr == ""
    ((sources, calls),) = query(demo, "SELECT GROUP_CONCAT(DISTINCT source), COUNT(*) FROM events")
    assert sources == "demo" and calls > 0
    report = subprocess.run([sys.executable, "-m", "costpanel", "budget", "show", "--json"], capture_output=True,
                            text=True, timeout=60, env=env)
    assert report.returncode == 0 and '"spent_usd": "0"' in report.stdout, report.stdout + report.stderr
    # --db naming the user's own ledger is done as asked, with a warning
    r = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--headless", "--seconds", "0.3", "--db", str(mine)],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0 and mine.exists(), r.stderr
    assert r.stderr == (f"warning: --db {mine} is your own ledger: the demo's simulated calls will count in your "
                        "reports and budgets (source demo)\n")


def real_session_left_open(db: Path, catalog: Catalog) -> tuple[int, ...]:
    """A user's session with two calls, not ended (the process will resume it); its figures."""
    tracker = CostTracker(catalog, ledger=db, session="real-work")
    tracker.record("gpt-4o", Usage(input=1200, output=300), tier="Tier 1")
    tracker.record("claude-sonnet-4", Usage(input=1000, output=20), tier="Tier 2")
    snap = tracker.snapshot()
    tracker.close()
    return figures(snap.total)


def resumed_session(db: Path, catalog: Catalog) -> tuple[str, tuple[int, ...]]:
    tracker = CostTracker(catalog, ledger=db, resume=True)
    try:
        return tracker.session, figures(tracker.snapshot().total)
    finally:
        tracker.close()


@pytest.mark.parametrize("stop", ["SIGKILL", "timeout"])
def test_a_demo_killed_mid_run_is_never_resumed_the_users_last_session_is(db: Path, catalog: Catalog,
                                                                          stop: str) -> None:
    real = real_session_left_open(db, catalog)
    cmd = [sys.executable, "-m", "costpanel", "demo", "--headless", "--seconds", "60", "--rate", "200", "--db", str(db)]
    if stop == "timeout":  # what `timeout 5 costpanel demo` or a CI step's limit does
        with pytest.raises(subprocess.TimeoutExpired):  # run() kills the child with SIGKILL at its timeout
            subprocess.run(cmd, capture_output=True, timeout=6)
    else:
        demo = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while stored_calls(db) < 10:
                assert time.monotonic() < deadline and demo.poll() is None, "the demo wrote nothing"
                time.sleep(0.05)
        finally:
            demo.send_signal(signal.SIGKILL)
            demo.wait(timeout=30)
    ((demo_id,),) = query(db, "SELECT id FROM sessions WHERE id LIKE 'demo-%' AND ended_at IS NULL")
    assert demo_id  # killed: its session was left open (and is the last one opened)
    assert resumed_session(db, catalog) == ("real-work", real)
    named = CostTracker(catalog, ledger=db, resume=True, session=demo_id)  # named, a demo can still be resumed
    try:
        assert named.session == demo_id and named.snapshot().calls > 0
    finally:
        named.close()


@pytest.mark.parametrize("why", ["no display", "bad flags"])
def test_a_demo_that_fails_to_start_leaves_no_session_behind(db: Path, catalog: Catalog, why: str) -> None:
    real = real_session_left_open(db, catalog)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    args = ["--frames", "5"] if why == "no display" else ["--headless", "--rate", "0"]
    r = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--db", str(db), *args], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    assert query(db, "SELECT id FROM sessions") == [("real-work",)]
    assert resumed_session(db, catalog) == ("real-work", real)


def stored_calls(db: Path) -> int:
    """Calls in a ledger another process is creating (0 until its tables exist)."""
    try:
        return int(query(db, "SELECT COUNT(*) FROM events")[0][0]) if db.exists() else 0  # type: ignore[call-overload]
    except sqlite3.OperationalError:
        return 0


def test_a_demo_whose_ledger_becomes_unwritable_exits_1_saying_where_its_calls_went(
        db: Path, make_unwritable: Callable[[Path], None]) -> None:
    demo = subprocess.Popen([sys.executable, "-m", "costpanel", "demo", "--headless", "--seconds", "3", "--rate", "200",
                             "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not stored_calls(db):
            assert time.monotonic() < deadline and demo.poll() is None, "the demo wrote nothing"
            time.sleep(0.05)
        make_unwritable(db)
        make_unwritable(db.with_name(db.name + "-wal"))  # where its next commits would go
        out, err = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
    rejected = db.with_name(db.name + ".rejected.jsonl")
    assert demo.returncode == 1, out + err
    (line,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert "call(s)" in line and "could not be stored" in line and line.endswith(f"saved in {rejected}"), err
    assert "Traceback" not in err
    saved = [json.loads(text) for text in rejected.read_text().splitlines()]
    assert any(s.get("session", "").startswith("demo-") for s in saved)


@pytest.mark.parametrize("ledger", [None, False])
def test_resume_without_a_ledger_is_refused(catalog: Catalog, ledger: object) -> None:
    with pytest.raises(ValueError, match="resume=True needs a ledger"):
        CostTracker(catalog, ledger=ledger, resume=True)  # type: ignore[arg-type]


# -- 4. idempotence -------------------------------------------------------------------------------------
def test_the_same_events_written_twice_count_once(db: Path, catalog: Catalog) -> None:
    events = record_mix(CostTracker(catalog, session="twice"), "twice")
    events = [e for e in events if e.event_id is not None]
    conn = connect(db)
    try:
        for expected in (len(events), 0):
            conn.execute("BEGIN")
            assert write_events(conn, events) == expected
            conn.execute("COMMIT")
        conn.execute("BEGIN")
        assert write_events(conn, events[:2] + events[:2]) == 0  # duplicates inside one batch too
        conn.execute("COMMIT")
    finally:
        conn.close()
    assert query(db, "SELECT COUNT(*) FROM events") == [(len(events),)]
    assert rollup_sums(db, COMMITTED) == event_sums(db, COMMITTED)
    assert rollup_sums(db, DISCARDED) == event_sums(db, DISCARDED)
    assert rollup_sums(db, COMMITTED)[0] == sum(e.status == COMMITTED for e in events)


def test_two_sessions_using_the_same_event_ids_each_keep_their_calls(db: Path, catalog: Catalog) -> None:
    """A caller's event ids name calls within a session (a tracker after Reset, or a new process,
    may use them again for calls of its own): each session's are stored, the second's under
    "<id> (session <session>)", and neither replaces the other's."""
    first = CostTracker(catalog, ledger=db, session="a")
    for n in range(20):
        first.record("gpt-4o", Usage(input=n + 1, output=2), event_id=f"shared-{n}")
    expected = first.snapshot()
    first.close()
    second = CostTracker(catalog, ledger=db, session="b")
    for n in range(20):
        second.record("gpt-4o", Usage(input=n + 1, output=2), event_id=f"shared-{n}")
    new = second.record("gpt-4o", Usage(input=1000, output=2), event_id="only-in-b")  # in the same batch
    second.close()
    assert query(db, "SELECT session, COUNT(*) FROM events GROUP BY session ORDER BY session") == [("a", 20), ("b", 21)]
    assert rollup_sums(db, session="a") == figures(expected.total)
    assert rollup_sums(db, session="b")[:2] == (21, expected.total.input + new.usage.input)
    assert query(db, "SELECT event_id FROM events WHERE session = 'b' AND event_id LIKE 'shared-0%'") == [
        ("shared-0 (session b)",)]


def test_an_integrations_call_stored_by_another_session_is_that_call(db: Path, catalog: Catalog) -> None:
    """The integrations' ids (a provider's message id …) name a call everywhere: the same id from
    another session label is the same call (counted once; more tokens replace)."""
    first = CostTracker(catalog, ledger=db, session="a")
    first.record("gpt-4o", Usage(input=10, output=2), event_id="claude-code:msg_1:req_1", source="claude-code")
    first.close()
    second = CostTracker(catalog, ledger=db, session="b")
    second.record("gpt-4o", Usage(input=10, output=2), event_id="claude-code:msg_1:req_1", source="claude-code")
    second.close()
    assert query(db, "SELECT session, event_id FROM events") == [("a", "claude-code:msg_1:req_1")]


def test_a_discarded_attempt_retried_under_the_same_id_is_counted_in_the_ledger(db: Path, catalog: Catalog) -> None:
    tracker = CostTracker(catalog, ledger=db)
    with pytest.raises(ConnectionError), tracker.attempt() as a:
        a.record("gpt-4o", Usage(input=100, output=10), event_id="retry-me")
        raise ConnectionError
    retried = tracker.record("gpt-4o", Usage(input=100, output=10), event_id="retry-me")
    assert retried.status == COMMITTED
    snap = tracker.snapshot()
    tracker.close()
    assert rollup_sums(db, COMMITTED) == figures(snap.total)
    assert rollup_sums(db, DISCARDED) == figures(snap.discarded)


# -- 5. same-transaction writes ---------------------------------------------------------------------------
def test_an_applications_transaction_covers_its_content_and_its_usage(db: Path, catalog: Catalog) -> None:
    events = record_mix(CostTracker(catalog, session="app"), "app")
    app = sqlite3.connect(db)  # the application's own connection, Python's default transaction handling
    try:
        app.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        app.commit()
        assert sorted(migrate(app)) == ALL_MIGRATIONS
        assert not app.in_transaction
        assert query(db, "SELECT COUNT(*) FROM messages") == [(0,)]  # the app's table is untouched

        app.execute("INSERT INTO messages (body) VALUES ('answer one')")
        assert write_events(app, events) == len(events)
        assert query(db, "SELECT COUNT(*) FROM events") == [(0,)]  # others do not see it yet
        app.rollback()
        assert app.execute("SELECT COUNT(*) FROM messages").fetchone() == (0,)
        assert query(db, "SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM events), "
                         "(SELECT COUNT(*) FROM rollup), (SELECT COUNT(*) FROM sessions)") == [(0, 0, 0, 0)]

        with app:  # commits on success
            app.execute("INSERT INTO messages (body) VALUES ('answer two')")
            write_events(app, events)
        assert query(db, "SELECT body FROM messages") == [("answer two",)]
        assert query(db, "SELECT COUNT(*) FROM events") == [(len(events),)]
        assert rollup_sums(db, COMMITTED) == event_sums(db, COMMITTED)
        assert query(db, "SELECT id FROM sessions") == [("app",)]
        assert migrate(app) == []  # once only
        app.commit()
    finally:
        app.close()
    conn = open_read_only(db)  # reports work on the application's database too
    try:
        total = sum(r.cost_units for r in report(conn, parse_range("all"), "model"))
    finally:
        conn.close()
    assert total == sum(e.cost_units or 0 for e in events if e.status == COMMITTED)


# -- 6. two processes ------------------------------------------------------------------------------------
def run_writer(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(WRITER), *args], capture_output=True, text=True, input=stdin,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def test_two_processes_writing_one_ledger_lose_nothing(db: Path, catalog: Catalog) -> None:
    connect(db).close()  # created first: the first-open race has its own test below
    n = 5000
    procs = [subprocess.Popen([sys.executable, str(WRITER), "batch", str(db), "--count", str(n), "--prefix", p,
                               "--session", f"proc-{p}", "--flush", "0.02"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in ("a", "b")]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert out.strip() == f"recorded {n}"
    # What one process recorded, priced in this one: each session must equal it exactly.
    oracle = CostTracker(catalog)
    for k in range(n):
        oracle.record("gpt-4o", Usage(input=k + 1, output=1), tier=f"T{k % 3}", event_id=f"a{k}")
    expected = oracle.snapshot()
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events") == [(2 * n, 2 * n)]
    for p in ("a", "b"):
        assert rollup_sums(db, session=f"proc-{p}") == figures(expected.total)
    conn = open_read_only(db)
    try:
        by_tier = {r.key: figures(r) for r in report(conn, parse_range("all"), "tier")}
    finally:
        conn.close()
    assert by_tier == {t: tuple(2 * v for v in figures(r)) for t, r in expected.by_tier.items()}


def test_processes_opening_a_new_ledger_together_all_succeed(tmp_path: Path) -> None:
    failures: list[str] = []
    for attempt in range(4):
        path, go = tmp_path / f"race-{attempt}.sqlite3", tmp_path / f"go-{attempt}"
        procs = [subprocess.Popen([sys.executable, str(WRITER), "open", str(path), "--go", str(go)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
        try:
            ready = [proc.stdout.readline().strip() for proc in procs]  # type: ignore[union-attr]
        finally:
            go.touch()  # all start together (and none waits forever if one failed to start)
            results = [proc.communicate(timeout=30) for proc in procs]
        assert ready == ["ready"] * 6, results
        failures += [out.strip() or err.strip()[-200:] for out, err in results if out.strip() != "ok"]
        if failures:
            break
    assert not failures, failures


# -- 8. migrations --------------------------------------------------------------------------------------
def test_a_v1_ledger_is_upgraded_and_its_rollups_built_exactly(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "v1.sqlite3"
    shutil.copyfile(V1_FIXTURE, path)
    assert query(path, "SELECT name FROM costpanel_migrations") == [("m001_events",)]
    raw = query(path, "SELECT ts, session, tier, model_key, status, input, cache_read, cache_write, cache_write_1h, "
                      "output, requests, cost_units FROM events")
    assert len(raw) == 40
    v1_columns = ["id", "event_id", "ts", "session", "tier", "model", "model_key", "matched", "provider", "input",
                  "cache_read", "cache_write", "cache_write_1h", "output", "requests", "cost_units", "status"]
    assert [c[1] for c in query(path, "PRAGMA table_info(events)")] == v1_columns
    every_column = f"SELECT {', '.join(v1_columns)} FROM events ORDER BY id"
    before = query(path, every_column)

    conn = connect(path)
    conn.close()
    assert [r[0] for r in query(path, "SELECT name FROM costpanel_migrations ORDER BY name")] == ALL_MIGRATIONS
    assert query(path, every_column) == before  # the v1 rows, column for column, through the events view
    assert query(path, "SELECT type FROM sqlite_master WHERE name = 'events'") == [("view",)]
    # and two columns for people: the time in ISO 8601 and the exact cost in dollars
    readable = query(path, "SELECT ts, time_utc, cost_units, cost_usd FROM events ORDER BY id")
    for ts, time_utc, units, usd in readable:
        assert time_utc == dt.datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        assert (usd is None) if units is None else Decimal(usd) == units_to_usd(units)
    assert sum(u is None for _, _, u, _ in readable) == 9 + 1  # unpriced calls keep a NULL cost
    # The roll-ups equal the events aggregated here, in Python, per (bucket, session, tier, model, status).
    expected: dict[tuple[object, ...], list[int]] = {}
    for ts, session, tier, key, status, *counts, cost in raw:
        acc = expected.setdefault((int(ts) // BUCKET_SECONDS * BUCKET_SECONDS, session, tier, key, status), [0] * 9)
        for k, v in enumerate([1, *counts, cost or 0, cost is None]):
            acc[k] += int(v)  # type: ignore[call-overload]
    got = {tuple(r[:5]): list(r[5:]) for r in query(
        path, f"SELECT bucket, session, tier, model_key, status, {', '.join(FIGURES)} FROM rollup")}
    assert got == expected
    committed, discarded_sums = rollup_sums(path, COMMITTED), rollup_sums(path, DISCARDED)
    assert (committed[0], committed[7], committed[8]) == (36, 68_300_500_000, 9)  # calls, units, unpriced
    assert (discarded_sums[0], discarded_sums[7]) == (4, 7_329_950_000)

    def by(group: int | None, status: str = COMMITTED) -> dict[str, tuple[int, ...]]:
        """Python's own totals of the raw events: per column ``group`` (None: per local day)."""
        out: dict[str, list[int]] = {}
        for ts, session, tier, key, st, *counts, cost in raw:
            if st != status:
                continue
            name = dt.datetime.fromtimestamp(ts).date().isoformat() if group is None else \
                str((ts, session, tier, key)[group])  # type: ignore[arg-type]
            acc = out.setdefault(name, [0] * 9)
            for k, v in enumerate([1, *counts, cost or 0, cost is None]):
                acc[k] += int(v)  # type: ignore[call-overload]
        return {k: tuple(v) for k, v in out.items()}

    ro = open_read_only(path)
    try:
        span = parse_range("all")
        reports = {g: {r.key: figures(r) for r in report(ro, span, g)}  # type: ignore[arg-type]
                   for g in ("session", "tier", "model", "day")}
        discarded = discarded_total(ro, span)
    finally:
        ro.close()
    assert reports == {"session": by(1), "tier": by(2), "model": by(3), "day": by(None)}
    assert {k: v[0] for k, v in reports["session"].items()} == {"v1-first": 22, "v1-second": 14}
    assert figures(discarded) == tuple(map(sum, zip(*by(1, DISCARDED).values())))

    # The upgraded file keeps working: new calls add to the same roll-ups, the open session resumes.
    tracker = CostTracker(catalog, ledger=path, resume=True)
    assert tracker.session == "v1-second" and tracker.snapshot().calls == 14
    extra = tracker.record("gpt-4o", Usage(input=1200, output=300), event_id="after-upgrade")
    tracker.close()
    assert rollup_sums(path, COMMITTED)[7] == 68_300_500_000 + extra.cost_units
    assert rollup_sums(path, COMMITTED) == event_sums(path, COMMITTED)


def test_a_ledger_from_a_newer_costpanel_is_refused_with_a_hint_to_upgrade(db: Path, catalog: Catalog) -> None:
    connect(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO costpanel_migrations VALUES ('m003_from_the_future', 0)")
    conn.commit()
    conn.close()
    before = query(db, "SELECT name FROM costpanel_migrations ORDER BY name")
    with pytest.raises(LedgerError, match=r"newer costpanel.*m003_from_the_future.*upgrade costpanel"):
        connect(db)
    with pytest.raises(LedgerError, match="upgrade costpanel"):
        CostTracker(catalog, ledger=db)
    assert query(db, "SELECT name FROM costpanel_migrations ORDER BY name") == before


def test_a_fresh_ledger_gets_every_migration_and_costpanels_application_id(db: Path) -> None:
    connect(db).close()
    assert [r[0] for r in query(db, "SELECT name FROM costpanel_migrations ORDER BY name")] == ALL_MIGRATIONS
    assert ALL_MIGRATIONS[:2] == ["m001_events", "m002_rollups"]
    assert query(db, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert query(db, "PRAGMA journal_mode") == [("wal",)]


# -- 9. corrupt and foreign files ------------------------------------------------------------------------
def test_a_file_of_random_bytes_is_refused_and_left_untouched(db: Path, catalog: Catalog) -> None:
    db.write_bytes(random.Random(20260308).randbytes(16384))
    before = db.read_bytes()
    for opener in (connect, Ledger, lambda p: CostTracker(catalog, ledger=p)):
        with pytest.raises(LedgerError) as info:
            opener(db)
        assert str(db) in str(info.value)
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]  # no -wal / -shm left behind


def foreign_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('not costpanel data')")
    conn.execute("PRAGMA application_id = 305419896")  # 0x12345678: another program's
    conn.commit()
    conn.close()


def test_another_programs_database_is_refused_naming_the_file(db: Path, catalog: Catalog) -> None:
    foreign_database(db)
    with pytest.raises(LedgerError, match="belongs to another program") as info:
        connect(db)
    assert str(db) in str(info.value)
    with pytest.raises(LedgerError):
        CostTracker(catalog, ledger=db)
    assert query(db, "SELECT name FROM sqlite_master WHERE type = 'table'") == [("notes",)]


def test_another_programs_database_is_left_byte_for_byte_unchanged(db: Path) -> None:
    foreign_database(db)
    before = db.read_bytes()
    with pytest.raises(LedgerError):
        connect(db)
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


def folder_contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("locked", ["the file", "its folder", "the folder of a new ledger"])
def test_a_ledger_that_cannot_be_written_is_refused_at_open_and_left_unchanged(
        tmp_path: Path, catalog: Catalog, make_unwritable: Callable[[Path], None], locked: str) -> None:
    folder = tmp_path / "ledgers"
    folder.mkdir()
    db = folder / "ledger.sqlite3"
    if locked != "the folder of a new ledger":
        CostTracker(catalog, ledger=db).close()
    before = folder_contents(folder)
    make_unwritable(db if locked == "the file" else folder)
    for opener in (Ledger, lambda p: CostTracker(catalog, ledger=p)):
        with pytest.raises(LedgerError) as info:
            opener(db)  # refused now, not accepted and its calls dropped at close()
        message = str(info.value)
        assert str(db) in message and "cannot be" in message and "writable" in message, message
    assert folder_contents(folder) == before


# -- 10. local days, DST -------------------------------------------------------------------------------
def at(tz: str, *fields: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=ZoneInfo(tz), fold=fold)  # type: ignore[misc]


DAY_CASES = {
    "Asia/Seoul": (
        [at("Asia/Seoul", 2026, 5, 31, 23, 59, 59), at("Asia/Seoul", 2026, 6, 1, 0, 0, 0),
         at("Asia/Seoul", 2026, 6, 1, 8, 59, 59),  # still 2026-05-31 in UTC
         at("Asia/Seoul", 2026, 6, 1, 23, 59, 59), at("Asia/Seoul", 2026, 6, 2, 0, 0, 1)],
        {"2026-06-01..2026-06-01": 24},
    ),
    "Asia/Kathmandu": (  # UTC+05:45: local midnight is 18:15 UTC, still a 15-minute boundary
        [at("Asia/Kathmandu", 2026, 6, 1, 23, 44, 59), at("Asia/Kathmandu", 2026, 6, 1, 23, 59, 59),
         at("Asia/Kathmandu", 2026, 6, 2, 0, 0, 0), at("Asia/Kathmandu", 2026, 6, 2, 0, 14, 59)],
        {"2026-06-02..2026-06-02": 24},
    ),
    "Asia/Kolkata": (  # UTC+05:30: local midnight is 18:30 UTC, in the middle of a UTC hour
        [at("Asia/Kolkata", 2026, 6, 1, 23, 59, 59), at("Asia/Kolkata", 2026, 6, 2, 0, 0, 0),
         at("Asia/Kolkata", 2026, 6, 2, 0, 29, 59), at("Asia/Kolkata", 2026, 6, 2, 0, 30, 0)],
        {"2026-06-02..2026-06-02": 24},
    ),
    "America/Los_Angeles": (
        [at("America/Los_Angeles", 2026, 3, 7, 23, 59, 59), at("America/Los_Angeles", 2026, 3, 8, 0, 0, 0),
         at("America/Los_Angeles", 2026, 3, 8, 1, 59, 59),  # PST, just before the clocks spring forward
         at("America/Los_Angeles", 2026, 3, 8, 3, 0, 0),  # PDT, one second later in real time
         at("America/Los_Angeles", 2026, 3, 8, 23, 59, 59), at("America/Los_Angeles", 2026, 3, 9, 0, 0, 0),
         at("America/Los_Angeles", 2026, 10, 31, 23, 59, 59), at("America/Los_Angeles", 2026, 11, 1, 0, 0, 0),
         at("America/Los_Angeles", 2026, 11, 1, 1, 30, 0),  # PDT
         at("America/Los_Angeles", 2026, 11, 1, 1, 30, 0, fold=1),  # PST: the same wall time an hour later
         at("America/Los_Angeles", 2026, 11, 1, 23, 59, 59), at("America/Los_Angeles", 2026, 11, 2, 0, 0, 0)],
        {"2026-03-08..2026-03-08": 23, "2026-11-01..2026-11-01": 25, "2026-03-07..2026-03-09": 71},
    ),
}


@pytest.mark.parametrize("tz", list(DAY_CASES))
def test_days_and_date_ranges_follow_the_local_time_zone(tz: str, tmp_path: Path, catalog: Catalog) -> None:
    instants, ranges = DAY_CASES[tz]
    tokens = [2 ** k for k in range(len(instants))]  # each day's input sum names its calls
    spec = {"events": [[t.astimezone(UTC).isoformat(), n] for t, n in zip(instants, tokens)], "ranges": list(ranges)}
    done = run_writer("days", str(tmp_path / "tz.sqlite3"), env={"TZ": tz}, stdin=json.dumps(spec))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)

    oracle = CostTracker(catalog)
    expected: dict[str, list[int]] = {}
    for t, n in zip(instants, tokens):
        e = oracle.record("gpt-4o", Usage(input=n, output=0), at=t)
        acc = expected.setdefault(t.date().isoformat(), [0, 0, 0])  # t is local: its date is the local day
        acc[0], acc[1], acc[2] = acc[0] + 1, acc[1] + n, acc[2] + e.cost_units
    assert out["days"] == expected

    for text, hours in ranges.items():
        first, last = (dt.date.fromisoformat(d) for d in text.split(".."))
        span = out["ranges"][text]
        assert span["start"] == at(tz, first.year, first.month, first.day).timestamp()
        assert span["end"] - span["start"] == hours * 3600, f"{text} in {tz} should be {hours} hours long"
        inside = {d: v[:2] for d, v in expected.items() if first <= dt.date.fromisoformat(d) <= last}
        assert span["days"] == inside


@pytest.mark.parametrize("text", ["yesterday", "0d", "2026-02-30..2026-03-01", "2026-03-02..2026-03-01",
                                  "2026-3-1..2026-3-2", ""])
def test_bad_ranges_are_refused_naming_the_text(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_range(text)


def test_top_sessions_and_the_daily_trend_come_from_the_ledger(db: Path, catalog: Catalog) -> None:
    def noon(day: int) -> dt.datetime:
        return dt.datetime(2026, 1, day, 12).astimezone()  # local noon: the local day is certain

    tracker = CostTracker(catalog, ledger=db, session="cheap")
    cheap = tracker.record("gpt-4o-mini", Usage(input=1000, output=10), at=noon(10))
    tracker.reset("dear")
    dear = [tracker.record("gpt-4o", Usage(input=10_000, output=1000), at=noon(day)) for day in (10, 12)]
    tracker.reset("unpriced")
    tracker.record("mystery-model-x", Usage(input=5, output=5), at=noon(12))
    tracker.close()
    conn = open_read_only(db)
    try:
        span = parse_range("2026-01-01..2026-01-31")
        assert [r.key for r in top_sessions(conn, span, 2)] == ["dear", "cheap"]
        trend = daily_trend(conn, span, window=2)
        later = daily_trend(conn, parse_range("2026-01-11..2026-01-31"), window=2)  # day 10 is before it
    finally:
        conn.close()
    day10 = units_to_usd(cheap.cost_units + dear[0].cost_units)
    day12 = units_to_usd(dear[1].cost_units)
    zero = Decimal(0)
    # each day's average is over that day and the one before, $0 days included; listed: the days
    # where it is not $0 and the $0 day either side (a line through them is right on every day)
    assert trend == [("2026-01-09", zero, zero), ("2026-01-10", day10, day10 / 2), ("2026-01-11", zero, day10 / 2),
                     ("2026-01-12", day12, day12 / 2), ("2026-01-13", zero, day12 / 2), ("2026-01-14", zero, zero)]
    assert later == trend[2:]  # the range starts on the 11th: its average still counts the 10th


# -- 12. permissions ------------------------------------------------------------------------------------
def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_default_ledger_lives_in_a_private_data_dir_and_its_files_are_private(
        tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "home" / "costpanel-data"
    monkeypatch.setenv("COSTPANEL_DATA_DIR", str(data))
    monkeypatch.delenv("COSTPANEL_DB", raising=False)
    old = os.umask(0o022)
    try:
        tracker = CostTracker(catalog, ledger=True)
        tracker.record("gpt-4o", Usage(input=1, output=1))
        assert tracker.ledger is not None and tracker.ledger.flush()
        path = data / "ledger.sqlite3"
        assert tracker.ledger.path == path
        assert mode(data) == 0o700 and mode(data.parent) == 0o700
        assert {p.name: mode(p) for p in data.iterdir()} == {
            "ledger.sqlite3": 0o600, "ledger.sqlite3-wal": 0o600, "ledger.sqlite3-shm": 0o600}
        tracker.close()
    finally:
        os.umask(old)
    assert mode(path) == 0o600


def test_costpanel_db_chooses_the_ledger_file(tmp_path: Path, catalog: Catalog,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "mine.sqlite3"
    monkeypatch.setenv("COSTPANEL_DB", str(target))
    tracker = CostTracker(catalog, ledger=True)
    tracker.record("gpt-4o", Usage(input=1, output=1), event_id="env")
    tracker.close()
    assert query(target, "SELECT event_id FROM events") == [("env",)]
    assert mode(target.parent) == 0o700 and mode(target) == 0o600


def test_a_ledger_needs_a_positive_flush_interval(db: Path) -> None:
    with pytest.raises(ValueError, match="flush_interval"):
        Ledger(db, flush_interval=0)


def test_range_all_includes_calls_dated_in_the_future(tmp_path: Path, catalog: Catalog) -> None:
    import datetime as dt

    from costpanel.ledger.queries import open_read_only, parse_range, report

    tracker = CostTracker(catalog, ledger=tmp_path / "future.sqlite3")
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="Tier 1",
                   at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3))  # a skewed clock elsewhere
    tracker.close()
    conn = open_read_only(tmp_path / "future.sqlite3")
    try:
        assert sum(r.calls for r in report(conn, parse_range("all"), "model")) == 1
        assert sum(r.calls for r in report(conn, parse_range("7d"), "model")) == 0
    finally:
        conn.close()


def test_a_call_sqlite_cannot_store_is_set_aside_and_the_rest_still_land(tmp_path: Path) -> None:
    import json

    from costpanel.ledger import Ledger
    from costpanel.pricing import load_catalog

    # A user's price at the schema's ceiling ($1 a token) on 10^8 tokens: a cost beyond SQLite's
    # 64-bit integers (no bundled price makes one of a count within Usage's bound)
    prices = tmp_path / "dear.toml"
    prices.write_text('provider = "dear"\nname = "Dear"\nsources = ["https://dear.example/pricing"]\n'
                      'checked = 2026-01-01\n\n[[models]]\nid = "dear-1"\n\n[[models.prices]]\n'
                      'effective = 2025-01-01\nsource = "https://dear.example/pricing"\ninput = 1\n'
                      'output = 1000000\n', encoding="utf-8")
    ledger = Ledger(tmp_path / "poison.sqlite3", flush_interval=0.05)
    tracker = CostTracker(load_catalog(overrides=False, extra=[prices]), ledger=ledger)
    tracker.record("gpt-4o", Usage(input=10), tier="Tier 1", event_id="before")
    huge = tracker.record("dear-1", Usage(output=10**8), tier="Tier 1", event_id="huge")
    assert huge.cost_units is not None and huge.cost_units >= 2**63
    tracker.record("gpt-4o", Usage(input=20), tier="Tier 1", event_id="after")
    assert ledger.flush()
    health = ledger.health()
    assert health.rejected == 1 and not health.ok and "rejected.jsonl" in health.last_error
    rows = query(tmp_path / "poison.sqlite3", "SELECT event_id FROM events ORDER BY id")
    assert rows == [("before",), ("after",)]
    kept = [json.loads(line) for line in ledger.rejected_path.read_text().splitlines()]
    assert kept[0]["event_id"] == "huge" and kept[0]["cost_units"] == str(huge.cost_units)
    assert oct(ledger.rejected_path.stat().st_mode & 0o777) == "0o600"
    tracker.close()
    ledger.close()


def test_a_call_after_the_ledger_is_closed_is_saved_aside_and_said_not_queued_and_not_raised(
        db: Path, catalog: Catalog, caplog: pytest.LogCaptureFixture) -> None:
    """record() appends to the ledger's queue inline; once the ledger is closed (a library's
    callback at interpreter exit) that append is taken back, kept in the rejected side file and
    said in one line, never left in a queue nobody will write."""
    ledger = Ledger(db, install_signal_handlers=False)
    tracker = CostTracker(catalog, ledger=ledger)
    tracker.record("gpt-4o", Usage(input=1000, output=10), tier="Tier 1")
    with tracker.attempt(tier="Tier 2") as a:
        a.record("gpt-4o", Usage(input=5, output=5))
    ledger.close()
    with caplog.at_level("WARNING", logger="costpanel.tracker"):
        late = tracker.record("gpt-4o", Usage(input=7, output=7), tier="Tier 1")
        with tracker.attempt(tier="Tier 2") as a:
            a.record("gpt-4o", Usage(input=3, output=3))
    assert late.counted and tracker.snapshot().calls == 4  # the session still counts it
    assert len(ledger.queue) == 0 and ledger.health().queued == 0
    said = [r.getMessage() for r in caplog.records]
    # one line for the first, which says later ones are saved too (threads recording while a
    # SIGTERM'd process ends printed a line per call); no traceback
    assert len(said) == 1 and all(r.exc_info is None for r in caplog.records)
    assert "recorded after the ledger was closed" in said[0] and str(ledger.rejected_path) in said[0]
    assert said[0].endswith("(as are any later ones)")
    kept = [json.loads(line) for line in ledger.rejected_path.read_text().splitlines()]
    assert [(k["usage"]["input"], k["tier"], k["status"]) for k in kept] == [(7, "Tier 1", "committed"),
                                                                          (3, "Tier 2", "committed")]
    assert all(k["error"] == "not stored: recorded after the ledger was closed" for k in kept)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*), SUM(input) FROM events").fetchone() == (2, 1005)


def test_a_new_session_in_a_damaged_ledger_is_refused_before_anything_is_written(
        tmp_path: Path, catalog: Catalog) -> None:
    """Not resuming, the tracker wrote its calls around the damaged page without a word (the
    file grew; no report could read them back): it is refused at once, the file untouched."""
    from test_history_cli import damage

    db = tmp_path / "damaged.sqlite3"
    damage(db, catalog)
    before = db.read_bytes()
    threads = {t.ident for t in threading.enumerate()}
    with pytest.raises(LedgerError, match=rf"{re.escape(str(db))} is damaged .*sqlite3 .* \.recover"):
        CostTracker(catalog, ledger=db)
    assert db.read_bytes() == before
    assert not [t.name for t in threading.enumerate() if t.ident not in threads]


def test_a_tracker_whose_resume_fails_leaves_no_writer_running(tmp_path: Path, catalog: Catalog,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while the session is read back (a damaged ledger is refused before, at open: here
    the read itself fails, as a disk error would make it) closes the ledger the tracker opened."""
    import costpanel.ledger.resume as resume

    db = tmp_path / "ledger.sqlite3"
    CostTracker(catalog, ledger=db).close()

    def fails(*args: object, **kwargs: object) -> None:
        raise LedgerError(f"{db}: the session could not be read back")

    monkeypatch.setattr(resume, "restore_session", fails)
    before = {t.ident for t in threading.enumerate()}
    with pytest.raises(LedgerError, match="could not be read back"):
        CostTracker(catalog, ledger=db, resume=True)
    assert not [t.name for t in threading.enumerate() if t.ident not in before]


def test_resuming_from_a_damaged_ledger_is_a_ledger_error_and_leaves_no_writer_running(
        tmp_path: Path, catalog: Catalog) -> None:
    """A damaged page met while the session is read back: the error names the file and the way
    out (as the CLI's quick check does), and the tracker's writer thread is not left behind."""
    from test_history_cli import damage

    db = tmp_path / "damaged.sqlite3"
    damage(db, catalog)  # its session was never ended: resume=True reads it back
    before = {t.ident for t in threading.enumerate()}
    with pytest.raises(LedgerError, match=rf"{re.escape(str(db))} is damaged .*sqlite3 .* \.recover"):
        CostTracker(catalog, ledger=db, resume=True)
    assert not [t.name for t in threading.enumerate() if t.ident not in before]


def test_threads_still_recording_while_the_ledger_closes_get_one_warning_and_lose_nothing(
        db: Path, catalog: Catalog, caplog: pytest.LogCaptureFixture) -> None:
    """Four threads record while close() runs: the calls after it go to the side file, and exactly
    one line says so (the first-call check raced: no thread saw the first, and nothing was said)."""
    ledger = Ledger(db, install_signal_handlers=False)
    tracker = CostTracker(catalog, ledger=ledger)
    stop = threading.Event()
    recorded = [0] * 4

    def work(n: int) -> None:
        while not stop.is_set():
            tracker.record("gpt-4o", Usage(input=1, output=1), tier=f"Tier {n + 1}")
            recorded[n] += 1

    with caplog.at_level("WARNING", logger="costpanel.tracker"):
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        ledger.close()
        time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
    said = [r.getMessage() for r in caplog.records if "recorded after the ledger was closed" in r.getMessage()]
    kept = len(ledger.rejected_path.read_text().splitlines()) if ledger.rejected_path.exists() else 0
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert kept > 0, "calls were recorded after the close"
    assert len(said) == 1, said
    assert stored + kept == sum(recorded) == tracker.snapshot().calls  # nothing lost


def test_an_id_used_again_after_reset_is_stored_for_each_session_and_resumes_as_its_own(
        db: Path, catalog: Catalog) -> None:
    """A rerun after Reset with the same (the caller's own) event ids: each session's call is
    stored — the second under "<id> (session <session>)" — never dropped as the first's duplicate nor replacing
    it; resuming the second session knows the id as its own."""
    tracker = CostTracker(catalog, ledger=db)
    tracker.record("gpt-4o", Usage(input=1000, output=100), event_id="job-1")
    first = tracker.session
    tracker.reset()
    assert tracker.record("gpt-4o", Usage(input=1000, output=200), event_id="job-1").status == "committed"
    second = tracker.session
    tracker.close()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT session, event_id, output FROM events ORDER BY output").fetchall()
    assert rows == [(first, "job-1", 100), (second, f"job-1 (session {second})", 200)]
    resumed = CostTracker(catalog, ledger=db, resume=True)
    assert resumed.session == second and resumed.snapshot().calls == 1
    assert resumed.record("gpt-4o", Usage(input=1000, output=200), event_id="job-1").status == "duplicate"
    assert resumed.record("gpt-4o", Usage(input=1000, output=300), event_id="job-1").status == "replaced"
    resumed.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT session, output FROM events ORDER BY output").fetchall() == [
            (first, 100), (second, 300)]


def test_failed_attempts_retried_under_one_id_are_each_stored_as_the_tracker_counts_them(
        db: Path, catalog: Catalog) -> None:
    tracker = CostTracker(catalog, ledger=db)
    for _ in range(3):
        with tracker.attempt(tier="Tier 1") as a:
            a.record("gpt-4o", Usage(input=1000, output=100), event_id="fail-1")
            a.discard()
    assert tracker.snapshot().discarded.calls == 3
    tracker.close()
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("SELECT event_id FROM events WHERE status = 'discarded' ORDER BY id")] == [
            "fail-1", "fail-1 (retry 2)", "fail-1 (retry 3)"]
    resumed = CostTracker(catalog, ledger=db, resume=True)
    assert resumed.snapshot().discarded.calls == 3
    resumed.close()


def test_a_callers_id_that_looks_like_a_scoped_one_is_its_own_call(db: Path, catalog: Catalog) -> None:
    """``s1@B`` is a fine id of the caller's own: it never meets the name another session's ``s1``
    is stored under (the trial's ids with ``@`` collided with an ``@``-scoped form and lost a call)."""
    first = CostTracker(catalog, ledger=db, session="A")
    first.record("gpt-4o", Usage(input=1000, output=100), event_id="s1")
    first.close()
    second = CostTracker(catalog, ledger=db, session="B")
    second.record("gpt-4o", Usage(input=1000, output=100), event_id="s1")
    second.record("gpt-4o", Usage(input=1000, output=300), event_id="s1@B")
    second.close()
    assert sorted(query(db, "SELECT session, event_id, output FROM events")) == [
        ("A", "s1", 100), ("B", "s1 (session B)", 100), ("B", "s1@B", 300)]
