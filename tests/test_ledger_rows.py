"""How batches become rows (ledger/rows.py): checked against totals computed here in plain Python.

The writer takes fast paths (calls in time order grouped by bisection, multi-row INSERTs, sentinels
for NULL); each test below compares what lands in a real SQLite file with a naive computation
from the same events, for batches the fast paths see and those they do not.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costpanel import CostTracker, Usage
from costpanel.events import COMMITTED, DISCARDED, Event
from costpanel.ledger import Ledger, write_events
from costpanel.ledger.rows import Dims
from costpanel.ledger.schema import BUCKET_SECONDS, HOUR
from costpanel.ledger.store import connect
from costpanel.pricing import Catalog
from costpanel.usage import BUCKETS

FIGURES = ", ".join(("calls", *BUCKETS, "cost_units", "unpriced_calls"))
EVENT_COLUMNS = ", ".join(("event_id", "ts", "session", "tier", "model", "model_key", "matched", "provider", *BUCKETS,
                           "cost_units", "status", "variant", "priced_by"))
MODELS = [("gpt-4o", "gpt-4o", "openai"), ("claude-sonnet-4", "claude-sonnet-4", "anthropic"),
          (" mystery-model ", None, None), ("gpt-4o-mini", "gpt-4o-mini", "openai")]


def as_row(e: Event) -> tuple[object, ...]:
    return (e.event_id, e.ts, e.session, e.tier, e.model, e.matched or e.model.strip(), e.matched, e.provider,
            *e.usage, e.cost_units, e.status, e.variant, e.priced_by)


USER_IDS = ("api", "costpanel")  # sources whose ids are the caller's own (rows.USER_ID_SOURCES)


def stored(*batches: list[Event]) -> tuple[list[Event], list[Event]]:
    """What the ledger keeps of ``batches`` written one after the other, and every call it ever
    stored (a replaced one started its session too). An integration's id is one call wherever it
    comes from: a discarded attempt's (id, status) is kept the first time it is seen; a counted
    call's id keeps its call with the most tokens, the first of equals: within a batch the most
    tokens win, across batches a later call replaces only with more. A caller's own id (source
    ``api``) is one call per session, and every failed attempt under it is kept (each retry cost),
    but for the same attempt written again (same time and usage)."""
    def more(e: Event, than: Event | None) -> bool:
        return than is None or (e.status != DISCARDED and e.usage.total_tokens > than.usage.total_tokens)

    kept: dict[object, Event] = {}
    ever: list[Event] = []
    for b, batch in enumerate(batches):
        winners: dict[object, Event] = {}
        for n, e in enumerate(batch):
            if e.event_id is None or (e.source in USER_IDS and e.status == DISCARDED):
                key: object = ("each", b, n) if e.event_id is None else (
                    "retry", e.event_id, e.session, e.ts, tuple(e.usage))
            elif e.source in USER_IDS:
                key = (e.event_id, False, e.session)
            else:
                key = (e.event_id, e.status == DISCARDED)
            if more(e, winners.get(key)):
                winners[key] = e
        for key, e in winners.items():
            if more(e, kept.get(key)):
                kept[key] = e
                ever.append(e)
    return list(kept.values()), ever


def naive_rollups(events: list[Event], size: int, with_session: bool) -> dict[tuple[object, ...], list[int]]:
    out: dict[tuple[object, ...], list[int]] = {}
    for e in events:
        key: tuple[object, ...] = (int(e.ts // size) * size, e.tier, e.matched or e.model.strip(), e.status, e.source)
        if with_session:
            key = (key[0], e.session, *key[1:])
        acc = out.setdefault(key, [0] * (len(BUCKETS) + 3))
        for k, v in enumerate((1, *e.usage, e.cost_units or 0, e.cost_units is None)):
            acc[k] += int(v)
    return out


def ledger_contents(conn: sqlite3.Connection) -> tuple[list[tuple[object, ...]], dict[tuple[object, ...], list[int]],
                                                       dict[tuple[object, ...], list[int]], dict[str, float]]:
    events = conn.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY id").fetchall()
    rollup = {tuple(r[:6]): list(r[6:]) for r in conn.execute(
        f"SELECT bucket, session, tier, model_key, status, source, {FIGURES} FROM rollup")}
    hourly = {tuple(r[:5]): list(r[5:]) for r in conn.execute(
        f"SELECT hour, tier, model_key, status, source, {FIGURES} FROM rollup_hour")}
    sessions = dict(conn.execute("SELECT id, started_at FROM sessions").fetchall())
    return events, rollup, hourly, sessions


def check_matches(conn: sqlite3.Connection, *written: list[Event]) -> None:
    events, rollup, hourly, sessions = ledger_contents(conn)
    kept, ever = stored(*written)
    # A caller's id that another session (or a failed attempt) holds is stored under a variant of it
    # ("<id> (session <s>)", "<id> (retry <n>)"): rows are compared without it, then each id is checked for its form.
    assert sorted((r[1:] for r in events), key=repr) == sorted((as_row(e)[1:] for e in kept), key=repr)
    ids = {(r[0], r[2], r[16]) for r in events}  # (stored id, session, status)
    for e in kept:
        assert any(i == e.event_id or (i is not None and e.event_id is not None and e.source in USER_IDS and s == e.session and (
            i.startswith(f"{e.event_id} (session {e.session})") or i.startswith(f"{e.event_id} (retry "))) for i, s, _ in ids), e
    assert len({r[0] for r in events if r[0] is not None and r[16] == COMMITTED}) == sum(
        1 for r in events if r[0] is not None and r[16] == COMMITTED), "a stored id holds one counted call"
    assert rollup == naive_rollups(kept, BUCKET_SECONDS, with_session=True)
    assert hourly == naive_rollups(kept, HOUR, with_session=False)
    firsts: dict[str, float] = {}
    for e in ever:
        firsts[e.session] = min(firsts.get(e.session, e.ts), e.ts)
    assert sessions == firsts
    orphans = conn.execute("SELECT COUNT(*) FROM calls WHERE dim NOT IN (SELECT id FROM dims)").fetchone()[0]
    assert orphans == 0


@st.composite
def batches(draw: st.DrawFn) -> list[Event]:
    n = draw(st.integers(0, 160))
    start = draw(st.floats(1.6e9, 1.9e9, allow_nan=False))
    gaps = draw(st.lists(st.floats(0, 2000, allow_nan=False), min_size=n, max_size=n))
    ordered = draw(st.booleans())
    origin = draw(st.sampled_from(["claude-code", "api"]))  # the integrations' ids, or the caller's own
    events = []
    ts = start
    for k in range(n):
        ts += gaps[k]
        model, matched, provider = MODELS[draw(st.integers(0, len(MODELS) - 1))]
        usage = Usage(input=draw(st.integers(0, 10**6)), cache_read=draw(st.sampled_from([0, 0, 5, 10**9])),
                      output=draw(st.integers(0, 5000)), requests=draw(st.integers(1, 3)),
                      web_search=draw(st.sampled_from([0, 0, 2])))
        cost = None if matched is None else draw(st.integers(0, 10**15))
        variant = draw(st.sampled_from([None, None, "batch", "fast+us"]))
        source = None if cost is None else draw(st.sampled_from(["catalog", "catalog", "genai-prices 0.2.3"]))
        event_id = draw(st.sampled_from([None, None, f"{origin}:id-{k}", f"{origin}:id-repeated"]))  # never shared by sources
        events.append(Event(model, matched, provider, draw(st.sampled_from(["Tier 1", "Tier 2"])),
                            draw(st.sampled_from(["s-a", "s-b"])), usage, cost, ts, event_id,
                            draw(st.sampled_from([COMMITTED, COMMITTED, COMMITTED, DISCARDED])), variant, source,
                            source=origin))
    if not ordered:
        random.Random(draw(st.integers(0, 2**32))).shuffle(events)
    return events


@given(first=batches(), second=batches())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_two_batches_land_exactly_as_computed_here(first: list[Event], second: list[Event]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        conn = connect(Path(folder) / "ledger.sqlite3")
        try:
            dims = Dims()
            for batch in (first, second):
                conn.execute("BEGIN IMMEDIATE")
                write_events(conn, batch, dims)
                conn.execute("COMMIT")
            check_matches(conn, first, second)
        finally:
            conn.close()


def spread(tracker: CostTracker, n: int, seconds: float) -> list[Event]:
    """n calls over ``seconds`` seconds of the past, cycling models and tiers (many roll-up groups)."""
    import datetime as dt

    start = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    return [tracker.record(MODELS[k % 4][0], Usage(input=100 + k, output=k % 50), tier=f"Tier {k % 3}",
                           at=start + dt.timedelta(seconds=k * seconds / max(n, 1))) for k in range(n)]


@pytest.mark.parametrize("n", [0, 1, 49, 50, 51, 149, 1000])
def test_time_ordered_and_shuffled_batches_give_the_same_ledger(tmp_path: Path, catalog: Catalog, n: int) -> None:
    events = spread(CostTracker(catalog, session="spread"), n, seconds=8 * 3600)
    shuffled = events.copy()
    random.Random(n).shuffle(shuffled)
    contents = []
    for name, batch in (("ordered", events), ("shuffled", shuffled)):
        conn = connect(tmp_path / f"{name}.sqlite3")
        try:
            conn.execute("BEGIN IMMEDIATE")
            assert write_events(conn, batch) == n
            conn.execute("COMMIT")
            check_matches(conn, events)
            _, rollup, hourly, sessions = ledger_contents(conn)
            contents.append((rollup, hourly, sessions))
        finally:
            conn.close()
    assert contents[0] == contents[1]


def test_ids_and_costs_that_are_none_are_stored_as_null_not_as_their_stand_ins(tmp_path: Path,
                                                                                catalog: Catalog) -> None:
    tracker = CostTracker(catalog)
    events = [tracker.record("gpt-4o", Usage(input=1, output=1)),
              tracker.record("mystery-model", Usage(input=2, output=2), event_id="x-1"),
              tracker.record("mystery-model", Usage(input=3, output=3))]
    conn = connect(tmp_path / "nulls.sqlite3")
    try:
        with conn:
            conn.execute("BEGIN")
            write_events(conn, events)
        rows = conn.execute("SELECT event_id, cost_units, matched, provider FROM events ORDER BY id").fetchall()
        assert rows == [(None, events[0].cost_units, "gpt-4o", "openai"), ("x-1", None, None, None),
                        (None, None, None, None)]
        assert conn.execute("SELECT COUNT(*) FROM calls WHERE event_id = '' OR cost_units < 0").fetchone() == (0,)
    finally:
        conn.close()


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[tuple[Ledger, list[bool]]]:
    """A ledger whose inserts into ``calls`` fail while ``gate[0]`` is True: a real SQLite error
    raised inside the writer's transaction, after it has added new dims rows."""
    ledger = Ledger(tmp_path / "gated.sqlite3", flush_interval=0.05)
    gate = [False]

    def check() -> int:
        if gate[0]:
            raise OSError("disk says no")
        return 0

    ledger.read("SELECT 1")  # the writer's connection is open
    with ledger._lock:  # the UDF belongs to the writer's own connection
        ledger.storage.conn.create_function("costpanel_test_gate", 0, check)  # type: ignore[attr-defined]
        ledger.storage.conn.execute("CREATE TEMP TRIGGER gate BEFORE INSERT ON main.calls BEGIN "  # type: ignore
                                    "SELECT costpanel_test_gate(); END")
    yield ledger, gate
    ledger.close()


def test_dims_made_by_a_failed_transaction_are_not_reused_on_retry(gated: tuple[Ledger, list[bool]],
                                                                   catalog: Catalog) -> None:
    ledger, gate = gated
    tracker = CostTracker(catalog, ledger=ledger, session="retry")
    tracker.record("gpt-4o", Usage(input=1, output=1))
    assert ledger.flush()
    gate[0] = True
    new = [tracker.record("claude-sonnet-4", Usage(input=5, output=5), tier="Tier 9"),
           tracker.record("mystery-model", Usage(input=6, output=6), tier="Tier 9")]
    assert not ledger.flush(timeout=0.5)
    health = ledger.health()
    assert not health.ok and health.queued == 2 and "function raised" in (health.last_error or "")
    gate[0] = False
    assert ledger.flush()
    rows = ledger.read(f"SELECT {EVENT_COLUMNS} FROM events WHERE tier = 'Tier 9' ORDER BY id")
    assert rows == [as_row(e) for e in new]
    assert ledger.read("SELECT COUNT(*) FROM calls WHERE dim NOT IN (SELECT id FROM dims)") == [(0,)]
    assert ledger.read("SELECT COUNT(*) FROM calls") == [(3,)]


@pytest.mark.parametrize("ids", ["all", "none", "some"])
@pytest.mark.parametrize("priced", ["all", "some"])
def test_each_kind_of_batch_lands_once_however_often_it_is_written(tmp_path: Path, catalog: Catalog, ids: str,
                                                                    priced: str) -> None:
    tracker = CostTracker(catalog, session=f"{ids}-{priced}")
    events = []
    for k in range(120):  # more than two multi-row statements, and a remainder
        model = "mystery-model" if priced == "some" and k % 7 == 3 else "gpt-4o"
        event_id = None if ids == "none" or (ids == "some" and k % 2) else f"{ids}-{k}"
        events.append(tracker.record(model, Usage(input=k + 1, output=k % 9), event_id=event_id))
    conn = connect(tmp_path / "kinds.sqlite3")
    try:
        for attempt in range(2):
            conn.execute("BEGIN IMMEDIATE")
            landed = write_events(conn, events)
            conn.execute("COMMIT")
            with_ids = sum(e.event_id is not None for e in events)
            assert landed == (len(events) if attempt == 0 else len(events) - with_ids)
        check_matches(conn, events, events)
    finally:
        conn.close()
