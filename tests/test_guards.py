"""Budget guards (issue 12 §3): thresholds, scopes, re-arming, remaining/check, what counts,
the no-double-fire rule under threads, failing callbacks and bad input. Fixed prices: gpt-4o is
$2.50 per 1M input tokens, so Usage(input=100_000) costs exactly $0.25."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest

import costpanel
from costpanel import BudgetExceeded, CostTracker, Crossing, Usage
from costpanel.pricing import Catalog

QUARTER = Usage(input=100_000)  # $0.25
TENTH = Usage(output=10_000)  # $0.10
D = Decimal


@pytest.fixture
def t(catalog: Catalog) -> CostTracker:
    return CostTracker(catalog, fallback=False)


def seen(crossings: list[Crossing]) -> list[tuple[str, Decimal, Decimal]]:
    return [(c.scope, c.threshold, c.spent) for c in crossings]


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def test_session_guard_fires_each_threshold_once_in_order(t: CostTracker) -> None:
    got: list[Crossing] = []
    g = t.guard(D("1.00"), on_cross=got.append)
    events = [t.record("gpt-4o", QUARTER, "Tier 3") for _ in range(5)]
    assert seen(got) == [("session", D("0.5"), D("0.50")), ("session", D("0.8"), D("1.00")),
                         ("session", D("1.0"), D("1.00"))]
    assert [c.event for c in got] == [events[1], events[3], events[3]]
    assert all(c.limit == D("1.00") and c.guard is g for c in got)
    assert g.spent() == D("1.25")
    assert g.remaining() == D(0)  # never negative
    assert g.state().crossed == (D("0.5"), D("0.8"), D("1.0")) and g.state().exceeded


def test_one_call_jumping_past_every_threshold_fires_them_ascending(t: CostTracker) -> None:
    got: list[Crossing] = []
    t.guard(1, at=(D("0.5"), "0.8", 1.0), on_cross=got.append)
    t.record("gpt-4o", Usage(input=160_000))  # $0.40
    assert got == []
    event = t.record("gpt-4o", Usage(input=280_000))  # +$0.70 -> $1.10
    assert seen(got) == [("session", D("0.5"), D("1.10")), ("session", D("0.8"), D("1.10")),
                         ("session", D("1.0"), D("1.10"))]
    assert {id(c.event) for c in got} == {id(event)}


def test_thresholds_already_passed_fire_at_creation_on_the_creating_thread(t: CostTracker) -> None:
    t.record("gpt-4o", Usage(input=360_000))  # $0.90
    got: list[tuple[Crossing, threading.Thread]] = []
    g = t.guard("$1.00", on_cross=lambda c: got.append((c, threading.current_thread())))
    assert [(c.threshold, c.spent, c.event, th) for c, th in got] == [
        (D("0.5"), D("0.90"), None, threading.current_thread()), (D("0.8"), D("0.90"), None, threading.current_thread())]
    t.record("gpt-4o", TENTH)  # $1.00 exactly: spent >= limit
    assert [c.threshold for c, _ in got] == [D("0.5"), D("0.8"), D("1.0")]
    assert got[-1][0].spent == D("1.00")
    with pytest.raises(BudgetExceeded) as exc:
        g.check()
    assert exc.value.spent == D("1.00") and exc.value.limit == D("1.00") and exc.value.scope == "session"
    assert str(exc.value) == "budget guard 'session' reached: spent $1.00 of $1.00"  # the limit itself stops


def test_the_error_and_the_repr_say_amounts_exactly_not_rounded(t: CostTracker) -> None:
    """$0.0125 spent of a $0.01 limit: rounding to two digits ($0.013 of $0.010) would misstate both."""
    g = t.guard("0.01")
    t.record("gpt-4o", Usage(input=5_000))  # $0.0125
    with pytest.raises(BudgetExceeded, match=r"^budget guard 'session' exceeded: spent \$0\.0125 of \$0\.01$"):
        g.check()
    assert repr(t.guard("0.02", scope="tier:Tier 3")) == "<Guard tier:Tier 3 limit $0.02>"


def test_check_passes_below_the_limit_and_remaining_is_exact(t: CostTracker) -> None:
    g = t.guard(D("1.00"))  # no callback: check() and remaining() only
    t.record("gpt-4o", Usage(input=399_996))  # $0.99999
    assert g.remaining() == D("0.00001")
    g.check()
    t.record("gpt-4o", Usage(input=4))  # $0.00001 more: exactly the limit
    assert g.remaining() == D(0)
    with pytest.raises(costpanel.BudgetExceeded):
        g.check()


def test_thresholds_above_one_and_floats_taken_by_their_shortest_repr(t: CostTracker) -> None:
    got: list[Crossing] = []
    g = t.guard(D("0.50"), at=(0.25, 1.5), on_cross=got.append)
    assert g.thresholds == (D("0.25"), D("1.5"))
    for _ in range(3):
        t.record("gpt-4o", QUARTER)  # $0.25, $0.50, $0.75
    assert seen(got) == [("session", D("0.25"), D("0.25")), ("session", D("1.5"), D("0.75"))]


def test_a_session_guard_rearms_on_reset(t: CostTracker) -> None:
    got: list[Crossing] = []
    g = t.guard(D("0.50"), on_cross=got.append)
    t.record("gpt-4o", Usage(input=200_000))  # $0.50: all three
    assert len(got) == 3
    t.reset()
    assert g.spent() == D(0) and g.remaining() == D("0.50") and g.state().crossed == ()
    g.check()
    t.record("gpt-4o", QUARTER)
    assert seen(got)[3:] == [("session", D("0.5"), D("0.25"))]


def test_tier_guard_counts_its_tier_only(t: CostTracker) -> None:
    got: list[Crossing] = []
    g = t.guard(D("0.50"), scope="tier:Tier 1", on_cross=got.append)
    t.record("gpt-4o", Usage(input=1_000_000), "Tier 2")  # $2.50 elsewhere
    assert got == [] and g.spent() == D(0)
    t.record("gpt-4o", TENTH, "Tier 1")
    t.record("gpt-4o", TENTH, "Tier 1")
    t.record("gpt-4o", TENTH, "Tier 1")  # $0.30 of $0.50
    assert seen(got) == [("tier:Tier 1", D("0.5"), D("0.30"))]
    assert g.remaining() == D("0.20")
    t.reset()  # a tier guard is per session too: back to $0, every threshold armed again
    assert g.spent() == D(0) and g.state().crossed == ()
    t.record("gpt-4o", Usage(input=100_000), "Tier 1")
    assert seen(got)[1:] == [("tier:Tier 1", D("0.5"), D("0.25"))]


def test_unpriced_duplicate_pending_and_discarded_calls_do_not_count(t: CostTracker) -> None:
    g = t.guard(D("1.00"))
    day = t.guard(D("1.00"), scope="day")  # counts the calls itself (the session guard reads the cells)
    t.record("no-such-model-anywhere", QUARTER)  # unpriced: counted by the tracker, not in dollars
    t.record("gpt-4o", QUARTER, event_id="call-1")
    assert t.record("gpt-4o", QUARTER, event_id="call-1").status == "duplicate"
    with t.attempt("Tier 1") as a:
        a.record("gpt-4o", QUARTER)
        assert g.spent() == D("0.25")  # pending
        a.discard()
    assert g.spent() == D("0.25")
    assert day.spent() == D("0.25")
    with t.attempt("Tier 1") as a:
        a.record("gpt-4o", TENTH)
    assert g.spent() == D("0.35")  # committed attempt counts
    assert day.spent() == D("0.35")


def test_a_committed_attempt_fires_its_crossing(t: CostTracker) -> None:
    got: list[Crossing] = []
    t.guard(D("0.20"), scope="tier:Tier 1", at=(1,), on_cross=got.append)
    with t.attempt("Tier 1") as a:
        a.record("gpt-4o", QUARTER)
        assert got == []
    assert seen(got) == [("tier:Tier 1", D("1"), D("0.25"))]
    assert got[0].event is not None and got[0].event.status == "committed"


def test_a_replaced_upsert_counts_by_its_difference(t: CostTracker) -> None:
    session = t.guard(D("1.00"))
    day = t.guard(D("1.00"), scope="day")
    t.record("gpt-4o", QUARTER, event_id="stream-1")  # a partial: $0.25
    event = t.record("gpt-4o", Usage(input=200_000), event_id="stream-1")  # its final line: $0.50
    assert event.status == "replaced"
    assert session.spent() == D("0.50")
    assert day.spent() == D("0.50")


def test_day_and_month_read_the_ledger_including_an_earlier_session(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "ledger.sqlite3"
    earlier = CostTracker(catalog, ledger=path, fallback=False)
    earlier.record("gpt-4o", Usage(input=120_000), at=now_utc())  # $0.30 today
    earlier.record("gpt-4o", Usage(input=2_000_000), at=now_utc() - dt.timedelta(days=40))  # $5.00, neither
    with earlier.attempt("Tier 1") as a:  # $1.00 today, discarded: stored, never counted
        a.record("gpt-4o", Usage(input=400_000))
        a.discard()
    earlier.record("no-such-model-anywhere", QUARTER)  # unpriced: stored, not in dollars
    earlier.close(end_session=True)

    got: list[Crossing] = []
    with CostTracker(catalog, ledger=path, fallback=False) as t:
        t.record("gpt-4o", TENTH)  # $0.10 in this session before the guards exist
        day = t.guard(D("1.00"), scope="day", on_cross=got.append)
        month = t.guard(D("2.00"), scope="month", on_cross=got.append)
        assert day.spent() == D("0.40") and month.spent() == D("0.40")
        assert day.state().period == dt.date.today().isoformat()
        assert month.state().period == dt.date.today().strftime("%Y-%m")
        passed: list[Crossing] = []
        small = t.guard(D("0.50"), scope="day", on_cross=passed.append)  # $0.40 is 80 % of it already
        assert [(c.threshold, c.spent, c.event) for c in passed] == [(D("0.5"), D("0.40"), None),
                                                                     (D("0.8"), D("0.40"), None)]
        small.close()
        session = t.guard(D("1.00"))
        assert session.spent() == D("0.10")  # the session guard does not see the ledger
        event = t.record("gpt-4o", TENTH)  # $0.50 today
        assert seen(got) == [("day", D("0.5"), D("0.50"))]
        assert got[0].event is event
        assert month.remaining() == D("1.50")


def test_day_guard_without_a_ledger_counts_the_session_of_today(t: CostTracker) -> None:
    t.record("gpt-4o", QUARTER)
    g = t.guard(D("1.00"), scope="day")
    assert g.spent() == D("0.25")
    t.record("gpt-4o", QUARTER)
    assert g.spent() == D("0.50")


def test_a_call_dated_yesterday_does_not_count_today(t: CostTracker) -> None:
    g = t.guard(D("1.00"), scope="day")
    t.record("gpt-4o", QUARTER, at=now_utc() - dt.timedelta(days=1, hours=1))
    assert g.spent() == D(0)
    t.record("gpt-4o", TENTH, at=now_utc())
    assert g.spent() == D("0.10")


def test_a_day_guard_moves_to_the_next_day_and_rearms(catalog: Catalog, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TZ", "UTC")
    import time as time_module

    time_module.tzset()
    try:
        t = CostTracker(catalog, fallback=False)
        got: list[Crossing] = []
        g = t.guard(D("0.40"), scope="day", on_cross=got.append)
        t.record("gpt-4o", QUARTER, at=clock.ago(0))  # 2026-03-10 12:00 UTC
        assert seen(got) == [("day", D("0.5"), D("0.25"))] and g.state().period == "2026-03-10"
        clock.advance(86_400)
        t.record("gpt-4o", TENTH, at=clock.ago(0))  # the next day: $0.10 of a new $0.40
        assert g.state().period == "2026-03-11"
        assert g.spent() == D("0.10") and g.state().crossed == ()
        t.record("gpt-4o", TENTH, at=clock.ago(0))
        assert seen(got)[1:] == [("day", D("0.5"), D("0.20"))]
    finally:
        monkeypatch.delenv("TZ")
        time_module.tzset()


def test_no_double_fire_under_threads(t: CostTracker) -> None:
    calls: list[tuple[str, Decimal]] = []
    late: list[Decimal] = []
    lock = threading.Lock()

    def note(c: Crossing) -> None:
        with lock:
            calls.append((c.scope, c.threshold))
            late.append(c.spent - c.limit * c.threshold)

    guards = [t.guard(D("20.00"), on_cross=note), t.guard(D("10.00"), scope="tier:Tier 3", on_cross=note),
              t.guard(D("30.00"), scope="day", on_cross=note)]
    small = Usage(input=1_000)  # $0.0025
    start = threading.Barrier(8)

    def work(n: int) -> None:
        start.wait()
        for _ in range(2_000):
            t.record("gpt-4o", small, "Tier 3" if n % 2 else "Tier 1")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns every few calls, not every few thousand
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(interval)
    # 16,000 calls: $40.00 in all, $20.00 of them in Tier 3
    assert [g.spent() for g in guards] == [D("40.00"), D("20.00"), D("40.00")]
    for scope in ("session", "tier:Tier 3", "day"):
        assert [th for s, th in calls if s == scope] == [D("0.5"), D("0.8"), D("1.0")]
    assert len(calls) == 9
    # found at the crossing call (a call or two later when a settle races a recorder), never later
    assert all(D(0) <= excess <= D("0.05") for excess in late), late


def test_a_raising_callback_is_logged_and_record_goes_on(t: CostTracker, caplog: pytest.LogCaptureFixture) -> None:
    fired: list[Decimal] = []

    def bad(c: Crossing) -> None:
        fired.append(c.threshold)
        raise RuntimeError("orchestrator bug")

    t.guard(D("0.50"), on_cross=bad)
    with caplog.at_level(logging.ERROR):
        event = t.record("gpt-4o", QUARTER)  # 0.5 fires and raises
        t.record("gpt-4o", QUARTER)  # 0.8 and 1.0 still fire
    assert event.status == "committed"
    assert fired == [D("0.5"), D("0.8"), D("1.0")]
    assert sum("orchestrator bug" in r.exc_text for r in caplog.records if r.exc_text) == 3
    said = [r.getMessage() for r in caplog.records]  # a guard's callback, not a "subscriber" of "events"
    assert said[0].startswith("costpanel: guard 'session': on_cross ") and "raised at 50" in said[0]
    assert "($0.25 of $0.50)" in said[0] and "nothing was stopped" in said[0]
    assert t.snapshot().total_usd == D("0.50")


def test_close_detaches_and_record_goes_back_to_no_guards(t: CostTracker) -> None:
    got: list[Crossing] = []
    g = t.guard(D("0.50"), on_cross=got.append)
    other = t.guard(D("0.50"), scope="tier:x")
    assert t.guards() == (g, other)
    g.close()
    g.close()  # idempotent
    t.record("gpt-4o", Usage(input=400_000))
    assert got == [] and t.guards() == (other,)
    other.close()
    assert t.guards() == () and t._guards is None
    again = t.guard(D("2.00"))  # a new guard after all were closed counts from the session's spend
    assert again.spent() == D("1.00")
    day = t.guard(D("5.00"), scope="day")
    t.record("gpt-4o", QUARTER)
    day.close()
    t.record("gpt-4o", QUARTER)
    assert day.spent() == D("1.25")  # a closed day guard keeps the spend it had
    assert again.spent() == D("1.50")


def test_a_callback_may_record_again_without_deadlock_or_recursion(t: CostTracker) -> None:
    got: list[Decimal] = []

    def on_cross(c: Crossing) -> None:
        got.append(c.threshold)
        if c.threshold == D("0.5"):
            t.record("gpt-4o", Usage(input=200_000))  # $0.50 more from inside the callback

    t.guard(D("1.00"), on_cross=on_cross)
    t.record("gpt-4o", Usage(input=200_000))
    assert got == [D("0.5"), D("0.8"), D("1.0")]


@pytest.mark.parametrize(("kwargs", "error", "names"), [
    ({"limit_usd": 1.5}, TypeError, "1.5"),
    ({"limit_usd": True}, TypeError, "True"),
    ({"limit_usd": None}, TypeError, "None"),
    ({"limit_usd": "abc"}, ValueError, "'abc'"),
    ({"limit_usd": "-5"}, ValueError, "'-5'"),
    ({"limit_usd": 0}, ValueError, "0"),
    ({"limit_usd": -1}, ValueError, "-1"),
    ({"limit_usd": D("NaN")}, ValueError, "NaN"),
    ({"limit_usd": D("Infinity")}, ValueError, "Infinity"),
    ({"limit_usd": D("1e-13")}, ValueError, "1E-13"),
    ({"limit_usd": 10**10}, ValueError, "10000000000"),
    ({"scope": "week"}, ValueError, "'week'"),
    ({"scope": "tier:"}, ValueError, "''"),
    ({"scope": 3}, TypeError, "3"),
    ({"at": ()}, ValueError, "()"),
    ({"at": (0.8, 0.5)}, ValueError, "0.5"),
    ({"at": (0.5, 0.5)}, ValueError, "0.5"),
    ({"at": (0,)}, ValueError, "0"),
    ({"at": (-0.5,)}, ValueError, "-0.5"),
    ({"at": ("x",)}, ValueError, "'x'"),
    ({"at": (True,)}, TypeError, "True"),
    ({"at": (float("nan"),)}, ValueError, "nan"),
    ({"at": "0.5"}, TypeError, "'0.5'"),
    ({"on_cross": "print"}, TypeError, "'print'"),
])
def test_bad_input_names_the_value_and_makes_no_guard(t: CostTracker, kwargs: dict, error: type, names: str) -> None:
    args = {"limit_usd": D("1.00"), **kwargs}
    with pytest.raises(error) as exc:
        t.guard(**args)
    assert names in str(exc.value)
    field = next(iter(kwargs))
    assert field in str(exc.value)
    assert t.guards() == () and t._guards is None
    t.record("gpt-4o", QUARTER)  # the tracker goes on as before
    assert t.snapshot().total_usd == D("0.25")


def test_callbacks_never_run_concurrently_a_later_crossing_waits_for_the_one_running(t: CostTracker) -> None:
    started, go = threading.Event(), threading.Event()
    delivered: list[tuple[Decimal, str]] = []

    def on_cross(c: Crossing) -> None:
        delivered.append((c.threshold, threading.current_thread().name))
        if c.threshold == D("0.5"):
            started.set()
            assert go.wait(10)

    t.guard(D("1.00"), at=(0.5, 0.8), on_cross=on_cross)
    first = threading.Thread(target=t.record, args=("gpt-4o", Usage(input=200_000)), name="first")  # $0.50
    first.start()
    assert started.wait(10)
    t.record("gpt-4o", Usage(input=120_000))  # $0.80, crossed here while 0.5's callback still runs
    assert delivered == [(D("0.5"), "first")]  # 0.8 is left to the thread delivering
    go.set()
    first.join(10)
    assert delivered == [(D("0.5"), "first"), (D("0.8"), "first")]


def test_reset_does_not_rearm_day_guards(t: CostTracker) -> None:
    got: list[Crossing] = []
    day = t.guard(D("1.00"), scope="day", on_cross=got.append)
    t.record("gpt-4o", Usage(input=200_000))  # $0.50
    t.reset()
    assert day.spent() == D("0.50") and day.state().crossed == (D("0.5"),)
    t.record("gpt-4o", Usage(input=120_000))  # $0.80 today, in the new session
    assert seen(got) == [("day", D("0.5"), D("0.50")), ("day", D("0.8"), D("0.80"))]


def test_an_idle_tier_just_below_a_threshold_still_fires_at_its_crossing_call(t: CostTracker) -> None:
    got: list[Crossing] = []
    t.record("gpt-4o", Usage(input=196_000), "Tier 1")  # $0.49
    t.guard(D("1.00"), scope="tier:Tier 1", on_cross=got.append)
    for _ in range(10):
        t.record("gpt-4o", TENTH, "Tier 3")  # $1.00 elsewhere: Tier 1 is idle, its calls now settle at once
    assert t._guards is not None and t._guards.idle == {"Tier 1"}
    t.record("gpt-4o", Usage(input=400), "Tier 1")  # $0.001 -> $0.491
    assert got == []
    event = t.record("gpt-4o", Usage(input=3_600), "Tier 1")  # $0.009 -> $0.500
    assert seen(got) == [("tier:Tier 1", D("0.5"), D("0.500"))] and got[0].event is event
    for _ in range(3):
        t.record("gpt-4o", TENTH, "Tier 3")
    t.record("gpt-4o", Usage(input=120_000), "Tier 1")  # $0.30 -> $0.80
    assert seen(got)[1:] == [("tier:Tier 1", D("0.8"), D("0.800"))]


def test_a_guard_closed_by_its_own_callback_gets_no_further_crossings(t: CostTracker) -> None:
    got: list[Decimal] = []

    def on_cross(c: Crossing) -> None:
        got.append(c.threshold)
        c.guard.close()  # e.g. the orchestrator replaces it with a stricter one

    t.guard(D("1.00"), on_cross=on_cross)
    t.record("gpt-4o", Usage(input=400_000))  # $1.00: 0.5, 0.8 and 1.0 found together
    assert got == [D("0.5")]
    assert t.guards() == ()
