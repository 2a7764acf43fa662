"""Exact totals under any interleaving of threads, and Σ rows == total for any sequence of calls."""

from __future__ import annotations

import threading
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from costpanel import CostTracker, Usage
from costpanel.pricing import Catalog
from costpanel.sim import UNPRICED_MODEL, Conductor

MODELS = ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro", "gpt-5-nano", "deepseek-chat", "unknown-model-x"]


def test_many_threads_recording_lose_nothing_and_rows_agree(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)
    per_thread, threads = 5_000, 8
    now = time.time()
    usages = [Usage(input=100 + n, cache_read=n % 7, cache_write=n % 3, output=n % 50) for n in range(per_thread)]
    snapshots = []
    disagreements = []  # asserted in the test's own thread: a failed assert in a thread would go unseen
    stop = threading.Event()

    def producer(k: int) -> None:
        model = MODELS[k % len(MODELS)]
        for n, u in enumerate(usages):
            tracker.record(model, u, tier=f"Tier {k % 4 + 1}", event_id=f"{k}-{n}")

    def reader() -> None:  # a 'GUI' taking snapshots while producers run
        while not stop.is_set():
            s = tracker.snapshot()
            if s.total.cost_units != sum(r.cost_units for r in s.by_tier.values()):
                disagreements.append(s)
            snapshots.append(s.calls)

    workers = [threading.Thread(target=producer, args=(k,)) for k in range(threads)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    watcher.join()

    s = tracker.snapshot()
    assert disagreements == [], "a snapshot taken while threads recorded had rows that did not add up"
    assert snapshots, "the reader never took a snapshot"
    assert s.calls == per_thread * threads
    expected = 0
    for k in range(threads):
        entry = catalog.match(MODELS[k % len(MODELS)])
        if entry is not None:
            expected += sum(entry.cost_units(u, now) for u in usages)
    assert s.total.cost_units == expected
    assert sum(r.cost_units for r in s.by_model.values()) == expected
    assert sum(r.cost_units for r in s.by_tier_model.values()) == expected
    assert sum(r.input for r in s.by_tier.values()) == threads * sum(u.input for u in usages)
    assert snapshots == sorted(snapshots), "calls seen by a reader never go backwards"


def test_simulated_conductor_totals_match_what_it_sent(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)
    stats = Conductor(tracker, seed=7).run(4_000, workers=4)
    s = tracker.snapshot()
    assert s.calls == stats.calls == 4_000
    assert s.tokens == stats.tokens
    assert s.discarded.calls == stats.discarded > 0
    assert {t: r.calls for t, r in s.by_tier.items()} == stats.by_tier
    assert list(s.by_tier) == ["Tier 1", "Tier 2", "Tier 3", "Tier 4"]
    assert UNPRICED_MODEL in s.unpriced
    assert s.pending_calls == 0
    assert s.total.cost_units == sum(r.cost_units for r in s.by_model.values())


call = st.tuples(
    st.sampled_from(MODELS),
    st.sampled_from(["Tier 1", "Tier 2", "Tier 3", "Tier 4", "other"]),
    st.builds(Usage, input=st.integers(0, 300_000), cache_read=st.integers(0, 50_000),
              cache_write=st.integers(0, 5_000), cache_write_1h=st.integers(0, 5_000),
              output=st.integers(0, 20_000), requests=st.integers(0, 3)),
    st.booleans(),  # inside an attempt that is discarded
)


@settings(max_examples=60, deadline=None)
@given(st.lists(call, max_size=40))
def test_sum_of_rows_equals_total_for_any_sequence(calls: list) -> None:
    from costpanel.pricing import load_catalog

    tracker = CostTracker(load_catalog(overrides=False))
    kept = 0
    for model, tier, usage, discard in calls:
        if discard:
            with tracker.attempt(tier=tier) as a:
                a.record(model, usage)
                a.discard()
        else:
            ev = tracker.record(model, usage, tier=tier)
            kept += ev.cost_units or 0
    s = tracker.snapshot()
    assert s.total.cost_units == kept
    for rows in (s.by_model, s.by_tier, s.by_tier_model):
        assert sum(r.cost_units for r in rows.values()) == kept
        assert sum(r.calls for r in rows.values()) == s.calls
        assert sum(r.tokens for r in rows.values()) == s.tokens
    assert s.calls + s.discarded.calls == len(calls)


def test_reset_during_recording_puts_each_call_in_exactly_one_session(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)
    sessions: list[list[str]] = [[] for _ in range(4)]
    stop = threading.Event()

    def producer(k: int) -> None:
        while not stop.is_set():
            sessions[k].append(tracker.record("gpt-4o", Usage(input=10), tier="Tier 1").session)

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    while tracker.snapshot().calls < 2_000:  # recording is under way
        time.sleep(0.001)
    new_session = tracker.reset()
    while tracker.snapshot().calls < 2_000:  # and goes on after the reset
        time.sleep(0.001)
    stop.set()
    for t in threads:
        t.join()
    landed = sum(s.count(new_session) for s in sessions)
    total = sum(len(s) for s in sessions)
    assert 2_000 <= landed < total
    snap = tracker.snapshot()
    assert snap.session == new_session
    assert snap.calls == landed
    assert snap.total.cost_units == landed * 25_000_000  # 10 input tokens x $2.50/M = $0.000025 = 25e6 units


def test_short_lived_threads_are_folded_and_nothing_is_lost(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)

    def one_call() -> None:
        tracker.record("gpt-4o-mini", Usage(input=100, output=10), tier="Tier 4")

    for _ in range(300):  # a thread per call, as some orchestrators do
        t = threading.Thread(target=one_call)
        t.start()
        t.join()
    s = tracker.snapshot()
    assert s.calls == 300
    assert s.by_model["gpt-4o-mini"].input == 30_000
    assert len(tracker._state.shards) <= 65, "shards of ended threads are folded"
