"""The writer's queue and back-pressure do not depend on SQLite: a small list-backed store drives them.

``ListStorage`` is a real, complete implementation of ``costpanel.ledger.Storage`` (the point of
the interface), with two controls a test needs: ``down`` makes writes fail as an unreachable
store would, and ``gate`` holds the writer inside ``write()`` until the test lets it go.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from costpanel import CostTracker, Usage
from costpanel.events import Event
from costpanel.ledger import Ledger, StorageUnavailable
from costpanel.ledger.storage import Mark
from costpanel.pricing import Catalog
from costpanel.shards import SessionState

POISON = "poison-model"  # a model name this store refuses, as a database refuses a value it cannot hold


class ListStorage:
    def __init__(self, folder: Path) -> None:
        self.name = "list storage"
        self.path = None
        self.rejected_path = folder / "list.rejected.jsonl"
        self.events: list[Event] = []
        self.marks: list[Mark] = []
        self.down: str | None = None  # a reason while the store is unreachable
        self.gate = threading.Event()
        self.gate.set()
        self.writes = 0
        self.closed = False

    def write(self, events: Sequence[Event], marks: Sequence[Mark]) -> None:
        self.gate.wait()
        if self.down:
            raise StorageUnavailable(self.down)
        if any(e.model == POISON for e in events):
            raise ValueError(f"cannot store {POISON}")
        self.marks += marks  # all or nothing: nothing is kept before the checks pass
        self.events += events
        self.writes += 1

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        if sql == "count":
            return [(len(self.events),)]
        raise NotImplementedError(sql)

    def restore(self, series_seconds: int, session: str | None) -> SessionState | None:
        open_sessions = [s for kind, s, _ in self.marks if kind == "start"
                         and ("end", s) not in {(k, x) for k, x, _ in self.marks}]
        candidates = [s for s in open_sessions if session is None and not s.startswith("demo-") or s == session]
        return SessionState(candidates[-1], series_seconds, version_base=1) if candidates else None

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def store(tmp_path: Path) -> ListStorage:
    return ListStorage(tmp_path)


@pytest.fixture
def ledgers() -> Iterator[list[Ledger]]:
    opened: list[Ledger] = []
    yield opened
    for ledger in opened:
        ledger.storage.gate.set()  # type: ignore[attr-defined]
        ledger.storage.down = None  # type: ignore[attr-defined]
        ledger.close()


def until(condition: Any, what: str, seconds: float = 10) -> None:
    """Wait for a condition the writer thread brings about (a deadline for failure, not a timing check)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_the_writer_stores_every_call_and_mark_in_order_through_any_storage(
        store: ListStorage, catalog: Catalog, ledgers: list[Ledger]) -> None:
    ledger = Ledger(storage=store, flush_interval=0.01)
    ledgers.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger, session="first")
    sent = [tracker.record("gpt-4o", Usage(input=k + 1, output=1), tier="Tier 1") for k in range(50)]
    tracker.reset("second")
    sent += [tracker.record("gpt-4o-mini", Usage(input=k + 1, output=2)) for k in range(50)]
    assert ledger.flush()
    assert store.events == sent
    assert [(kind, session) for kind, session, _ in store.marks] == [("start", "first"), ("end", "first"),
                                                                     ("start", "second")]
    assert ledger.health().ok and ledger.health().written == 100 and ledger.read("count") == [(100,)]
    assert ledger.path is None and not store.closed
    ledger.close()
    assert store.closed


def test_while_the_storage_is_down_calls_wait_in_memory_not_the_caller_and_all_land_after(
        store: ListStorage, catalog: Catalog, ledgers: list[Ledger]) -> None:
    ledger = Ledger(storage=store, flush_interval=0.01, max_backlog=100)
    ledgers.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger)
    store.down = "server unreachable"
    first = tracker.record("gpt-4o", Usage(input=1, output=1))
    until(lambda: not ledger.health().ok, "the writer to report the failure")
    sent = [first] + [tracker.record("gpt-4o", Usage(input=k + 2, output=1)) for k in range(2_000)]  # 20x backlog
    health = ledger.health()
    assert health.last_error == "server unreachable" and health.queued == 2_001 + 1  # + the session's start
    assert ledger.pace_waits == 0 and store.events == []
    store.down = None
    assert ledger.flush()
    assert store.events == sent and ledger.health().ok


def test_health_counts_each_waiting_call_once_while_the_writer_retries(
        store: ListStorage, catalog: Catalog, ledgers: list[Ledger]) -> None:
    """The writer takes calls off the queue, fails, and puts them back, again and again; health()
    read meanwhile (the panel does, every frame) counts each call once: never twice, never not at all."""
    ledger = Ledger(storage=store, flush_interval=0.0005, max_backlog=10_000)
    ledgers.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger)
    store.down = "server unreachable"
    for k in range(50):
        tracker.record("gpt-4o", Usage(input=k + 1, output=1))
    until(lambda: not ledger.health().ok, "the writer to report the failure")
    rounds = 500  # the writer backs off between tries: these take, fail and put back at once
    mover = threading.Thread(target=lambda: [ledger._flush_queue() for _ in range(rounds)])
    seen: set[int] = set()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between almost any two bytecodes: every window shows
    try:
        mover.start()
        while mover.is_alive():
            seen.add(ledger.health().queued)
    finally:
        sys.setswitchinterval(switch)
    assert seen == {50 + 1}, sorted(seen)  # + the session's start
    store.down = None
    assert ledger.flush() and len(store.events) == 50


def test_past_the_backlog_a_recorder_waits_for_the_writer_and_the_queue_stays_bounded(
        store: ListStorage, catalog: Catalog, ledgers: list[Ledger]) -> None:
    ledger = Ledger(storage=store, flush_interval=0.01, max_backlog=100)
    ledgers.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger)
    assert ledger.flush()
    store.gate.clear()  # the writer will be held inside its next write()
    n = 1_000
    done = threading.Event()

    def record_all() -> None:
        for k in range(n):
            tracker.record("gpt-4o", Usage(input=k + 1, output=1))
        done.set()

    recorder = threading.Thread(target=record_all)
    recorder.start()
    until(lambda: ledger.pace_waits > 0, "the recorder to wait for the held writer")
    assert not done.is_set()
    # held at its limit: the batch inside write() (taken from a queue at most that long) plus the queue
    assert ledger.health().queued <= 2 * (100 + 1)
    store.gate.set()
    recorder.join(timeout=60)
    assert done.is_set() and ledger.flush()
    assert [e.usage.input for e in store.events] == list(range(1, n + 1))


def test_a_call_the_storage_refuses_is_set_aside_and_the_rest_of_its_batch_lands(
        store: ListStorage, catalog: Catalog, ledgers: list[Ledger]) -> None:
    ledger = Ledger(storage=store, flush_interval=0.01)
    ledgers.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger)
    store.gate.clear()  # one batch: the poisoned call in the middle
    before = tracker.record("gpt-4o", Usage(input=1), event_id="before")
    tracker.record(POISON, Usage(input=2), event_id="bad")
    after = tracker.record("gpt-4o", Usage(input=3), event_id="after")
    store.gate.set()
    assert ledger.flush()
    assert store.events == [before, after]
    assert ledger.health().rejected == 1
    (kept,) = [json.loads(line) for line in store.rejected_path.read_text().splitlines()]
    assert kept["event_id"] == "bad" and kept["error"] == f"ValueError: cannot store {POISON}"


def test_resume_asks_the_storage_for_the_session(store: ListStorage, catalog: Catalog,
                                                 ledgers: list[Ledger]) -> None:
    ledger = Ledger(storage=store, flush_interval=0.01)
    ledgers.append(ledger)
    CostTracker(catalog, ledger=ledger, session="real-work")
    resumed = CostTracker(catalog, ledger=ledger, resume=True)
    assert resumed.session == "real-work"


def test_a_path_and_a_storage_together_are_refused(store: ListStorage, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        Ledger(tmp_path / "x.sqlite3", storage=store)
    assert not (tmp_path / "x.sqlite3").exists()


def test_calls_left_waiting_while_a_bad_batch_is_sorted_out_keep_their_place_before_later_calls(
        store: ListStorage, catalog: Catalog, ledgers: list[Ledger]) -> None:
    """A batch with a refused call is written one call at a time; when the store goes away in the
    middle of that, the calls not written yet go back to the front of the queue, before the calls
    recorded meanwhile: the ledger holds them in the order they were recorded."""
    ledger = Ledger(storage=store, flush_interval=0.01)
    ledgers.append(ledger)
    tracker = CostTracker(catalog, ledger=ledger)
    later: list[Event] = []
    write = store.write

    def write_then_go_away(events: Sequence[Event], marks: Sequence[Mark]) -> None:
        if len(events) == 1 and events[0].event_id == "after" and not later:  # one at a time, past the bad one
            later.extend(tracker.record("gpt-4o", Usage(input=10 + k), event_id=f"later-{k}") for k in range(3))
            store.down = "server unreachable"
        write(events, marks)

    store.write = write_then_go_away  # type: ignore[method-assign]
    store.gate.clear()  # one batch: the refused call in the middle
    before = tracker.record("gpt-4o", Usage(input=1), event_id="before")
    tracker.record(POISON, Usage(input=2), event_id="bad")
    after = tracker.record("gpt-4o", Usage(input=3), event_id="after")
    more = tracker.record("gpt-4o", Usage(input=4), event_id="more")
    store.gate.set()
    until(lambda: later and not ledger.health().ok, "the store to go away mid-batch")
    assert store.events == [before] and ledger.health().queued == 5  # after, more, later-0..2
    store.down = None
    assert ledger.flush()
    assert [e.event_id for e in store.events] == ["before", "after", "more", "later-0", "later-1", "later-2"]
    assert store.events == [before, after, more, *later] and ledger.health().rejected == 1
