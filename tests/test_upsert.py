"""The named upsert (issue 11 §0): an event id recorded again with more tokens replaces the earlier
usage everywhere — tracker cells, rows, totals, series, the ledger's row and roll-ups; with equal
or fewer tokens it is a duplicate. Imported and watched sessions are stored as ended."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import threading
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage
from costpanel.events import COMMITTED, DUPLICATE, REPLACED, Event
from costpanel.ledger import Ledger
from costpanel.ledger.backfill import Backfill, Upserted
from costpanel.pricing import Catalog

SONNET = "claude-sonnet-4-5"
PARTIAL = Usage(input=3, cache_read=20_000, cache_write=1_000, output=1)
FINAL = Usage(input=3, cache_read=20_000, cache_write=1_000, output=740)


def rows(conn: sqlite3.Connection, sql: str, *args: object) -> list[tuple[object, ...]]:
    return conn.execute(sql, args).fetchall()


def test_a_final_line_replaces_its_partial_and_a_repeat_is_a_duplicate(catalog: Catalog) -> None:
    tracker = CostTracker(catalog, fallback=False)
    first = tracker.record(SONNET, PARTIAL, tier="main", event_id="m1")
    final = tracker.record(SONNET, FINAL, tier="main", event_id="m1")
    same = tracker.record(SONNET, FINAL, tier="main", event_id="m1")
    fewer = tracker.record(SONNET, PARTIAL, tier="main", event_id="m1")
    assert [e.status for e in (first, final, same, fewer)] == [COMMITTED, REPLACED, DUPLICATE, DUPLICATE]
    assert final.counted and not same.counted
    snap = tracker.snapshot()
    alone = CostTracker(catalog, fallback=False)
    expected = alone.record(SONNET, FINAL, tier="main")
    assert snap.calls == 1 and snap.total.usage == FINAL
    assert snap.total.cost_units == final.cost_units == expected.cost_units
    assert snap.by_tier["main"].cost_units == snap.by_model[SONNET].cost_units == final.cost_units


def test_a_replacement_moves_the_call_between_rows_and_leaves_no_empty_row(catalog: Catalog) -> None:
    tracker = CostTracker(catalog, fallback=False)
    tracker.record("mystery-model-x", PARTIAL, tier="draft", event_id="m1")  # unknown: unpriced
    assert tracker.snapshot().unpriced_calls == 1
    final = tracker.record(SONNET, FINAL, tier="main", event_id="m1")
    snap = tracker.snapshot()
    assert set(snap.by_tier) >= {"main"} and "draft" not in snap.by_tier
    assert "mystery-model-x" not in snap.by_model
    assert snap.unpriced_calls == 0 and snap.calls == 1
    assert snap.total.cost_units == final.cost_units and snap.total.usage == FINAL


def test_a_partial_counted_on_one_thread_is_replaced_from_another(catalog: Catalog) -> None:
    tracker = CostTracker(catalog, fallback=False)
    ids = [f"m{k}" for k in range(200)]

    def partials() -> None:
        for i in ids:
            tracker.record(SONNET, PARTIAL, tier="main", event_id=i)

    worker = threading.Thread(target=partials)
    worker.start()
    worker.join()
    finals = [tracker.record(SONNET, FINAL, tier="main", event_id=i) for i in ids]
    assert {e.status for e in finals} == {REPLACED}
    snap = tracker.snapshot()
    assert snap.calls == len(ids)
    assert snap.total.usage == Usage(**{k: v * len(ids) for k, v in FINAL.as_dict().items()})
    assert snap.total.cost_units == sum(e.cost_units for e in finals)  # type: ignore[misc]


def test_the_series_holds_the_final_cost_at_the_final_lines_time(catalog: Catalog) -> None:
    tracker = CostTracker(catalog, fallback=False, series_seconds=600)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    tracker.record(SONNET, PARTIAL, tier="main", event_id="m1", at=now - dt.timedelta(seconds=30))
    final = tracker.record(SONNET, FINAL, tier="main", event_id="m1", at=now - dt.timedelta(seconds=20))
    first, cost, _, base_cost, _ = tracker.snapshot().total_series.ordered()
    assert base_cost == 0
    assert sum(cost) == final.cost_units
    # what the partial added at its second is gone; the final's cost is at its own second
    assert cost[int((now - dt.timedelta(seconds=20)).timestamp()) - first] == final.cost_units


def test_subscribers_and_the_ledger_get_the_replacement(tmp_path: Path, catalog: Catalog) -> None:
    db = tmp_path / "ledger.sqlite3"
    seen: list[Event] = []
    tracker = CostTracker(catalog, fallback=False, ledger=db, session="live")
    tracker.subscribe(seen.append)
    tracker.record(SONNET, PARTIAL, tier="main", event_id="m1", source="claude-code", session="cc-1")
    tracker.ledger.flush()  # type: ignore[union-attr]  # the partial is stored first, as when watched live
    final = tracker.record(SONNET, FINAL, tier="main", event_id="m1", source="claude-code", session="cc-1")
    tracker.record(SONNET, PARTIAL, tier="main", event_id="m1", source="claude-code", session="cc-1")
    tracker.close()
    assert [e.status for e in seen] == [COMMITTED, REPLACED]  # a duplicate is not an event for listeners
    conn = sqlite3.connect(db)
    try:
        assert rows(conn, "SELECT event_id, output, cost_units FROM calls") == [("m1", 740, final.cost_units)]
        assert rows(conn, "SELECT SUM(calls), SUM(output), SUM(cost_units) FROM rollup") == [(1, 740, final.cost_units)]
        assert rows(conn, "SELECT SUM(calls), SUM(output), SUM(cost_units) FROM rollup_hour") == [
            (1, 740, final.cost_units)]
    finally:
        conn.close()


def test_after_a_restart_a_final_line_still_replaces_the_partial(tmp_path: Path, catalog: Catalog) -> None:
    db = tmp_path / "ledger.sqlite3"
    with CostTracker(catalog, fallback=False, ledger=db, session="run") as tracker:
        tracker.record(SONNET, PARTIAL, tier="main", event_id="m1")
    resumed = CostTracker(catalog, fallback=False, ledger=db, resume=True)
    try:
        assert resumed.session == "run"
        final = resumed.record(SONNET, FINAL, tier="main", event_id="m1")
        assert final.status == REPLACED
        snap = resumed.snapshot()
        assert snap.calls == 1 and snap.total.cost_units == final.cost_units
    finally:
        resumed.close()
    conn = sqlite3.connect(db)
    try:
        assert rows(conn, "SELECT output FROM calls") == [(740,)]
        assert rows(conn, "SELECT SUM(cost_units) FROM rollup") == [(final.cost_units,)]
    finally:
        conn.close()


def test_an_attempts_call_is_a_duplicate_while_pending_and_replaceable_once_committed(catalog: Catalog) -> None:
    tracker = CostTracker(catalog, fallback=False)
    with tracker.attempt(tier="main") as attempt:
        attempt.record(SONNET, PARTIAL, event_id="m1")
        assert tracker.record(SONNET, FINAL, tier="main", event_id="m1").status == DUPLICATE
    final = tracker.record(SONNET, FINAL, tier="main", event_id="m1")
    assert final.status == REPLACED
    assert tracker.snapshot().total.cost_units == final.cost_units


def check_exact(tracker: CostTracker) -> None:
    snap = tracker.snapshot()
    total = snap.total
    for by in (snap.by_tier, snap.by_model):
        assert sum(r.cost_units for r in by.values()) == total.cost_units
        assert sum(r.calls for r in by.values()) == total.calls


def test_an_attempt_repeating_a_counted_id_is_a_duplicate_not_an_error(catalog: Catalog) -> None:
    """An orchestrator's retry reports a call already counted: a duplicate, as record() says it,
    and the attempt's other calls keep their fate (it raised, and the exception discarded them)."""
    tracker = CostTracker(catalog, fallback=False)
    first = tracker.record(SONNET, FINAL, tier="main", event_id="req-1")
    with tracker.attempt(tier="main") as attempt:
        other = attempt.record("gpt-4o", Usage(input=1000, output=10))
        again = attempt.record(SONNET, FINAL, event_id="req-1")  # as many tokens
        fewer = attempt.record(SONNET, PARTIAL, event_id="req-1")
    assert (again.status, fewer.status) == (DUPLICATE, DUPLICATE)
    snap = tracker.snapshot()
    assert snap.calls == 2 and snap.discarded.calls == 0 and snap.pending_calls == 0
    assert snap.total.cost_units == first.cost_units + other.cost_units
    assert [e.status for e in attempt.events] == [COMMITTED]  # only its own call was held
    check_exact(tracker)


@pytest.mark.parametrize("keep", [True, False])
def test_an_attempts_call_with_more_tokens_replaces_the_counted_one_when_it_commits(catalog: Catalog,
                                                                                  keep: bool) -> None:
    tracker = CostTracker(catalog, fallback=False)
    partial = tracker.record(SONNET, PARTIAL, tier="main", event_id="req-1")
    seen: list[Event] = []
    tracker.subscribe(seen.append)
    try:
        with tracker.attempt(tier="subagent") as attempt:
            pending = attempt.record(SONNET, FINAL, event_id="req-1")
            assert pending.status == "pending" and tracker.snapshot().calls == 1  # the partial counts meanwhile
            if not keep:
                raise TimeoutError  # the attempt failed: discarded
    except TimeoutError:
        pass
    events = attempt.events
    snap = tracker.snapshot()
    if keep:  # the final line's usage, under the attempt's tier, once
        assert [e.status for e in events] == [REPLACED] and [e.status for e in seen] == [REPLACED]
        assert snap.calls == 1 and snap.by_tier["subagent"].output == 740 and "main" not in snap.by_tier
        assert snap.total.cost_units == events[0].cost_units > partial.cost_units
        assert tracker.record(SONNET, FINAL, tier="main", event_id="req-1").status == DUPLICATE
    else:  # discarded: the counted call stays, the attempt's spend is shown apart (and said, as any discard)
        assert snap.calls == 1 and snap.total.cost_units == partial.cost_units and snap.discarded.calls == 1
        assert [e.status for e in seen] == ["discarded"]
        assert tracker.record(SONNET, FINAL, tier="main", event_id="req-1").status == REPLACED  # still replaceable
    assert snap.pending_calls == 0
    check_exact(tracker)


def test_an_attempts_replacement_is_one_row_in_the_ledger(tmp_path: Path, catalog: Catalog) -> None:
    db = tmp_path / "ledger.sqlite3"
    with CostTracker(catalog, fallback=False, ledger=db) as tracker:
        tracker.record(SONNET, PARTIAL, tier="main", event_id="req-1")
        with tracker.attempt(tier="main") as attempt:
            attempt.record(SONNET, FINAL, event_id="req-1")
        final = attempt.events[0]
    conn = sqlite3.connect(db)
    try:
        assert rows(conn, "SELECT event_id, output, cost_units FROM events WHERE status = 'committed'") == [
            ("req-1", 740, final.cost_units)]
        assert rows(conn, "SELECT SUM(calls), SUM(cost_units) FROM rollup WHERE status = 'committed'") == [
            (1, final.cost_units)]
    finally:
        conn.close()


def event(event_id: str, usage: Usage, cost: int, ts: float, session: str = "cc-1", tier: str = "main",
          source: str = "claude-code") -> Event:
    return Event(SONNET, SONNET, "anthropic", tier, session, usage, cost, ts, event_id, COMMITTED, None, "catalog",
                 source, "/home/dev/shop")


def test_a_backfill_counts_added_replaced_and_duplicates_and_twice_adds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    t0 = 1_780_000_000.0
    batch = [event("a", PARTIAL, 10, t0), event("a", FINAL, 99, t0 + 1), event("b", FINAL, 99, t0 + 2),
             event("a", PARTIAL, 10, t0 + 3)]
    with Backfill(db) as backfill:
        assert backfill.write(batch) == Upserted(added=2, replaced=0, duplicates=2)
        assert backfill.write(batch) == Upserted(added=0, replaced=0, duplicates=4)
        assert backfill.write([event("b", PARTIAL, 10, t0)]) == Upserted(0, 0, 1)  # fewer: the stored call stays
        # the live watcher stored a partial of "c" before the import saw its final line
        assert backfill.write([event("c", PARTIAL, 10, t0 + 900)]) == Upserted(1, 0, 0)
        assert backfill.write([event("c", FINAL, 99, t0 + 901, tier="subagent")]) == Upserted(0, 1, 0, 89, 0)
    conn = sqlite3.connect(db)
    try:
        assert rows(conn, "SELECT event_id, tier, output, cost_units FROM events ORDER BY event_id") == [
            ("a", "main", 740, 99), ("b", "main", 740, 99), ("c", "subagent", 740, 99)]
        assert rows(conn, "SELECT tier, SUM(calls), SUM(output), SUM(cost_units) FROM rollup GROUP BY tier") == [
            ("main", 2, 1480, 198), ("subagent", 1, 740, 99)]
        assert rows(conn, "SELECT COUNT(*) FROM rollup WHERE calls = 0") == [(0,)]
        assert rows(conn, "SELECT tier, SUM(calls), SUM(cost_units) FROM rollup_hour GROUP BY tier") == [
            ("main", 2, 198), ("subagent", 1, 99)]
        # stored as ended at its last call; it began with its first stored call (the partial at t0 never was)
        assert rows(conn, "SELECT id, started_at, ended_at FROM sessions") == [("cc-1", t0 + 1, t0 + 901)]
    finally:
        conn.close()


def test_resume_never_continues_an_imported_or_watched_session(tmp_path: Path, catalog: Catalog) -> None:
    db = tmp_path / "ledger.sqlite3"
    with CostTracker(catalog, fallback=False, ledger=db, session="mine") as tracker:
        tracker.record(SONNET, FINAL, tier="Tier 1")
        # a watcher's calls name their own (Claude Code) session: another program's, not this tracker's
        tracker.record(SONNET, FINAL, tier="main", session="cc-watched", event_id="w1", source="claude-code")
    with Backfill(db) as backfill:
        backfill.write([event("i1", FINAL, 99, 2_000_000_000.0, session="cc-imported")])
    conn = sqlite3.connect(db)
    try:
        ended = dict(rows(conn, "SELECT id, ended_at IS NOT NULL FROM sessions"))
    finally:
        conn.close()
    assert ended == {"mine": 0, "cc-watched": 1, "cc-imported": 1}
    resumed = CostTracker(catalog, fallback=False, ledger=db, resume=True)
    try:
        assert resumed.session == "mine"
    finally:
        resumed.close()


@pytest.mark.parametrize("live_first", [True, False])
def test_live_and_backfilled_copies_of_a_call_count_once(tmp_path: Path, catalog: Catalog, live_first: bool) -> None:
    """A call watched live (partial) and imported (final), in either order: one row, the final usage."""
    db = tmp_path / "ledger.sqlite3"
    t0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.timezone.utc)

    def live() -> None:
        ledger = Ledger(db)
        with CostTracker(catalog, fallback=False, ledger=ledger) as tracker:
            tracker.record(SONNET, PARTIAL, tier="main", session="cc-1", event_id="m1", at=t0, source="claude-code")
        ledger.close()

    def imported() -> Upserted:
        with Backfill(db) as backfill:
            return backfill.write([event("m1", FINAL, 99, t0.timestamp() + 1)])

    if live_first:
        live()
        assert imported()[:3] == (0, 1, 0)
    else:
        assert imported() == Upserted(1, 0, 0)
        live()
    conn = sqlite3.connect(db)
    try:
        assert rows(conn, "SELECT output, cost_units FROM calls") == [(740, 99)]
        assert rows(conn, "SELECT SUM(calls), SUM(output) FROM rollup") == [(1, 740)]
    finally:
        conn.close()


def test_a_replacement_beside_a_repeated_discarded_attempt_rolls_up_the_replacement(tmp_path: Path) -> None:
    """Found by hypothesis: the discarded attempt of an id (stored already) and its committed call
    with more tokens in one batch; the roll-ups must gain the committed call, not the attempt."""
    from costpanel.events import DISCARDED

    db = tmp_path / "ledger.sqlite3"
    t0 = 1_780_000_000.0

    def attempt(usage: Usage) -> Event:
        return event("x", usage, 5, t0)._replace(status=DISCARDED)

    with Backfill(db) as backfill:
        assert backfill.write([attempt(PARTIAL), event("x", PARTIAL, 10, t0)]) == Upserted(2, 0, 0)
        assert backfill.write([attempt(PARTIAL), event("x", FINAL, 99, t0)]) == Upserted(0, 1, 1, 89)
    conn = sqlite3.connect(db)
    try:
        assert rows(conn, "SELECT status, SUM(calls), SUM(output), SUM(cost_units) FROM rollup GROUP BY status "
                          "ORDER BY status") == [("committed", 1, 740, 99), ("discarded", 1, 1, 5)]
    finally:
        conn.close()


def test_a_batch_of_new_calls_and_replacements_rolls_up_both(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    t0 = 1_780_000_000.0
    with Backfill(db) as backfill:
        assert backfill.write([event("a", PARTIAL, 10, t0)]) == Upserted(1, 0, 0)
        assert backfill.write([event("b", FINAL, 99, t0 + 5), event("a", FINAL, 99, t0 + 1)]) == Upserted(1, 1, 0, 89)
    conn = sqlite3.connect(db)
    try:
        assert rows(conn, "SELECT SUM(calls), SUM(output), SUM(cost_units) FROM rollup") == [(2, 1480, 198)]
        assert rows(conn, "SELECT SUM(calls), SUM(output), SUM(cost_units) FROM rollup_hour") == [(2, 1480, 198)]
    finally:
        conn.close()


def test_a_call_stored_without_a_price_and_imported_again_with_one_says_what_it_changed(tmp_path: Path) -> None:
    t0 = 1_780_000_000.0
    with Backfill(tmp_path / "ledger.sqlite3") as backfill:
        assert backfill.write([event("d", FINAL, None, t0)]) == Upserted(1, 0, 0)  # type: ignore[arg-type]
        assert backfill.write([event("d", FINAL, 99, t0)]) == Upserted(0, 1, 0, replaced_units=99, priced_now=1)
        assert backfill.write([event("d", FINAL, 99, t0)]) == Upserted(0, 0, 1)  # once priced: nothing more


def test_batches_written_together_are_one_transaction_counted_each(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    t0 = 1_780_000_000.0
    with Backfill(db) as backfill:
        assert backfill.write_each([[event("a", PARTIAL, 10, t0)], [event("a", FINAL, 99, t0 + 1), event("b", FINAL, 99, t0)],
                                    [event("b", PARTIAL, 10, t0)]]) == [Upserted(1, 0, 0), Upserted(1, 1, 0, 89),
                                                                        Upserted(0, 0, 1)]
        with pytest.raises(AttributeError):  # a later batch fails: the earlier ones are not kept either
            backfill.write_each([[event("c", FINAL, 99, t0)], [object()]])  # type: ignore[list-item]
        assert backfill.write([event("c", FINAL, 99, t0)]) == Upserted(1, 0, 0)
    conn = sqlite3.connect(db)
    try:
        assert rows(conn, "SELECT COUNT(*), SUM(output) FROM calls") == [(3, 3 * 740)]
        assert rows(conn, "SELECT SUM(calls), SUM(output) FROM rollup") == [(3, 3 * 740)]
    finally:
        conn.close()


def _bytes_written() -> int:
    """What this process has handed to write() so far (Linux's /proc/self/io)."""
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("wchar:")).split()[1])


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux's /proc/self/io")
def test_a_backfill_keeps_statement_journals_off_the_disk(tmp_path: Path) -> None:
    """Each multi-row INSERT after a transaction's first write keeps a statement journal; in a
    temporary file (SQLite's default) a million-call import wrote 29x the ledger's size to them.
    The backfill keeps them in memory: it writes the WAL and its checkpoint, a few times the file."""
    db = tmp_path / "ledger.sqlite3"
    rng = random.Random(7)
    batches = [[event(f"msg_{rng.getrandbits(96):024x}", FINAL, 99, 1_780_000_000.0 + k * 60 + n / 10,
                      session=f"s{k % 7}") for n in range(2_000)] for k in range(15)]
    backfill = Backfill(db, commit_every_s=3600.0)  # one transaction, as a large import's second of batches
    before = _bytes_written()
    for batch in batches:
        backfill.write(batch)
    backfill.commit()
    backfill.close()
    written = _bytes_written() - before
    size = sum(p.stat().st_size for p in tmp_path.glob("ledger.sqlite3*"))
    with sqlite3.connect(db) as conn:
        assert rows(conn, "SELECT COUNT(*) FROM calls") == [(30_000,)]
    assert written <= 3 * size, f"{written:,} bytes written for a {size:,}-byte ledger"
