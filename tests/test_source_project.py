"""Where a call came from (``source``) and its ``project`` (issue 11 §0): the tracker validates them
once per distinct value and carries them on every Event; the ledger (migration m008) keys its dims
and roll-ups by them, so reports group by them; ledgers written before m008 migrate with every call
marked ``api`` and no project."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage
from costpanel.events import COMMITTED, DISCARDED, Event
from costpanel.ledger.queries import NO_GROUP, calls_in, open_read_only, parse_range, report
from costpanel.ledger.store import connect
from costpanel.pricing import Catalog
from costpanel.sources import API, KNOWN_SOURCES, check_project, check_source

UTC = dt.timezone.utc
DATA = Path(__file__).parent / "data" / "ledger"
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FIGURES = ("calls", "input", "cache_read", "cache_write", "cache_write_1h", "output", "requests", "web_search",
           "cost_units", "unpriced_calls")


def query(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def reports(path: Path, *groups: str) -> dict[str, dict[str, tuple[int, ...]]]:
    ro = open_read_only(path)
    try:
        span = parse_range("all")
        return {g: {r.key: tuple(getattr(r, f) for f in FIGURES) for r in report(ro, span, g)}  # type: ignore[arg-type]
                for g in groups}
    finally:
        ro.close()


def sums_by(rows: list[tuple[object, ...]]) -> dict[str, tuple[int, ...]]:
    """(key, *usage buckets, cost_units) rows of single calls summed per key, in Python."""
    out: dict[str, list[int]] = {}
    for key, *counts, cost in rows:
        acc = out.setdefault(str(key), [0] * len(FIGURES))
        for k, v in enumerate([1, *counts, cost or 0, cost is None]):
            acc[k] += int(v)  # type: ignore[call-overload]
    return {k: tuple(v) for k, v in out.items()}


# -- the tracker -------------------------------------------------------------------------------------------
def test_a_direct_call_is_source_api_without_a_project(catalog: Catalog) -> None:
    e = CostTracker(catalog).record("gpt-4o", Usage(input=10, output=5))
    assert (e.source, e.project) == (API, "") == ("api", "")
    assert Event._fields[-3:] == ("source", "project", "approximate")  # appended: positional Event(...) calls keep working


def test_source_and_project_travel_on_the_event(catalog: Catalog) -> None:
    t = CostTracker(catalog)
    e = t.record("gpt-4o", Usage(input=10, output=5), source="claude-code", project="/home/ana/shop")
    assert (e.source, e.project, e.status) == ("claude-code", "/home/ana/shop", COMMITTED)
    dup = t.record("gpt-4o", Usage(input=10), event_id="x", source="codex", project="p")
    again = t.record("gpt-4o", Usage(input=10), event_id="x", source="codex", project="p")
    assert (dup.source, again.source, again.project, again.status) == ("codex", "codex", "p", "duplicate")
    other = t.record("gpt-4o", Usage(input=1), source="my-own-tool-2")  # not in KNOWN_SOURCES, well formed
    assert other.source == "my-own-tool-2" and "my-own-tool-2" not in KNOWN_SOURCES
    assert t.snapshot().calls == 3


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"source": "Claude-Code"}, ValueError, "source must be a lower-case name.*'Claude-Code'"),
    ({"source": ""}, ValueError, "source must be .*''"),
    ({"source": "-x"}, ValueError, "source must be .*'-x'"),
    ({"source": "a" * 41}, ValueError, "at most 40"),
    ({"source": "claude code"}, ValueError, "'claude code'"),
    ({"source": "clàude"}, ValueError, "'clàude'"),
    ({"source": None}, TypeError, "source must be a str, got NoneType"),
    ({"source": b"api"}, TypeError, "source must be a str, got bytes"),
    ({"project": None}, TypeError, "project must be a str, got NoneType"),
    ({"project": "  "}, ValueError, "project must be '' \\(none\\) or a name"),
    ({"project": "a\nb"}, ValueError, "project contains a control character"),
    ({"project": "p" * 257}, ValueError, "project is 257 characters long"),
    ({"project": 7}, TypeError, "project must be a str, got int"),
])
def test_a_bad_source_or_project_raises_naming_it_and_changes_nothing(
        catalog: Catalog, tmp_path: Path, kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    t = CostTracker(catalog, ledger=tmp_path / "l.sqlite3")
    t.record("gpt-4o", Usage(input=10, output=5))  # the pair's plan is cached: the fast path checks too
    version = t.version
    for call in (lambda: t.record("gpt-4o", Usage(input=1), event_id="bad", **kwargs),  # type: ignore[arg-type]
                 lambda: t.record("gpt-4o-mini", Usage(input=1), **kwargs)):  # type: ignore[arg-type]
        with pytest.raises(error, match=message):
            call()
    with pytest.raises(error, match=message), t.attempt("Tier 1", **kwargs):  # type: ignore[arg-type]
        pass
    if None not in kwargs.values():  # Attempt.record(source=None): the attempt's own
        with pytest.raises(error, match=message), t.attempt("Tier 1") as a:
            a.record("gpt-4o", Usage(input=1), event_id="bad", **kwargs)  # type: ignore[arg-type]
    snap = t.snapshot()
    assert (snap.calls, snap.pending_calls, snap.discarded.calls) == (1, 0, 0)
    # nothing counted; only an empty attempt that the error ended moved the version
    assert t.version == version + (None not in kwargs.values())
    assert t.record("gpt-4o", Usage(input=1), event_id="bad").status == COMMITTED  # the id was not taken
    t.close()
    assert query(tmp_path / "l.sqlite3", "SELECT COUNT(*) FROM events") == [(2,)]


def test_each_distinct_source_and_project_is_validated_once(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    import costpanel.tracker as tracker_module

    seen: list[object] = []
    monkeypatch.setattr(tracker_module, "check_source", lambda v: (seen.append(("source", v)), check_source(v)))
    monkeypatch.setattr(tracker_module, "check_project", lambda v: (seen.append(("project", v)), check_project(v)))
    t = CostTracker(catalog)
    for _ in range(50):
        t.record("gpt-4o", Usage(input=1), source="my-tool", project="alpha")
        t.record("gpt-4o", Usage(input=1), source="claude-code", project="beta")
        t.record("gpt-4o", Usage(input=1))
    assert sorted(seen, key=str) == [("project", "alpha"), ("project", "beta"), ("source", "my-tool")]


def test_an_attempts_calls_carry_its_source_and_project_unless_a_call_names_others(catalog: Catalog) -> None:
    t = CostTracker(catalog)
    with t.attempt("Tier 1", source="litellm", project="shop") as a:
        first = a.record("gpt-4o", Usage(input=10))
        second = a.record("gpt-4o", Usage(input=10), source="otel", project="")
    assert [(e.source, e.project) for e in (first, second)] == [("litellm", "shop"), ("otel", "")]
    assert [(e.source, e.project, e.status) for e in a.events] == [("litellm", "shop", COMMITTED),
                                                                  ("otel", "", COMMITTED)]
    with pytest.raises(TimeoutError), t.attempt("Tier 1", source="openai-agents") as b:
        b.record("gpt-4o", Usage(input=10))
        raise TimeoutError
    assert [(e.source, e.project, e.status) for e in b.events] == [("openai-agents", "", DISCARDED)]


# -- the ledger --------------------------------------------------------------------------------------------
def test_the_ledger_keeps_source_and_project_and_reports_group_by_them(catalog: Catalog, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    t = CostTracker(catalog, ledger=db, session="s")
    calls = [
        t.record("gpt-4o", Usage(input=1200, output=300), at=AT),
        t.record("gpt-4o", Usage(input=1200, output=300), at=AT, source="claude-code", project="/src/shop"),
        t.record("gpt-4o", Usage(input=700, output=30), at=AT + dt.timedelta(minutes=20), source="claude-code",
                 project="/src/blog", tier="subagent"),
        t.record("claude-sonnet-4", Usage(input=90, cache_read=400, output=10), at=AT + dt.timedelta(hours=2),
                 source="codex", project="/src/shop", event_id="c1"),
        t.record("not-a-model-xyz", Usage(input=5, output=5), at=AT + dt.timedelta(hours=2, minutes=1),
                 source="codex", project="/src/shop"),
    ]
    t.close()
    assert query(db, "SELECT source, project FROM events ORDER BY id") == [(e.source, e.project) for e in calls]
    # one dims row per (..., source, project): the same session, tier and model under two sources stay apart
    assert query(db, "SELECT COUNT(*) FROM dims WHERE model = 'gpt-4o' AND tier = 'default'") == [(2,)]
    got = reports(db, "source", "project", "tier", "model")
    for by in ("source", "project", "tier", "model"):
        def key(e: Event, by: str = by) -> str:
            return {"source": e.source, "project": e.project or NO_GROUP, "tier": e.tier,
                    "model": e.matched or e.model}[by]
        assert got[by] == sums_by([(key(e), *e.usage, e.cost_units) for e in calls]), by
    # the hourly and 15-minute roll-ups agree with each other per source and project
    for table in ("rollup", "rollup_hour"):
        assert dict(query(db, f"SELECT source || '|' || project, SUM(calls) FROM {table} GROUP BY 1")) == {
            "api|": 1, "claude-code|/src/shop": 1, "claude-code|/src/blog": 1, "codex|/src/shop": 2}
    ro = open_read_only(db)
    try:
        rows = list(calls_in(ro, parse_range("all")))
    finally:
        ro.close()
    assert [(r.source, r.project) for r in rows] == [(e.source, e.project) for e in calls]


def test_resume_sums_a_sessions_calls_over_every_source_and_project(catalog: Catalog, tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    t = CostTracker(catalog, ledger=db, session="s")
    for k, (source, project) in enumerate([("api", ""), ("claude-code", "a"), ("claude-code", "b"), ("codex", "a")]):
        t.record("gpt-4o", Usage(input=100 * (k + 1), output=10), tier="Tier 1", source=source, project=project)
    t.record("gpt-4o", Usage(input=1), tier="Tier 2", source="codex", project="a")
    before = t.snapshot()
    t.close()
    resumed = CostTracker(catalog, ledger=db, resume=True)
    after = resumed.snapshot()
    assert resumed.session == "s"
    assert {k: (r.calls, r.input, r.cost_units) for k, r in after.by_tier_model.items()} == {
        k: (r.calls, r.input, r.cost_units) for k, r in before.by_tier_model.items()}
    assert (after.calls, after.total.cost_units) == (5, before.total.cost_units)
    resumed.close()


def _columns(path: Path, table: str) -> dict[str, int]:
    """Column name -> its position in the primary key (0: not in it)."""
    return {r[1]: r[5] for r in query(path, f"PRAGMA table_info({table})")}  # type: ignore[misc]


def _check_m008_shape(path: Path) -> None:
    for table in ("rollup", "rollup_hour"):
        pk = {c for c, n in _columns(path, table).items() if n}
        assert {"source", "project", "status", "tier", "model_key"} <= pk, table
    assert {"source", "project"} <= set(_columns(path, "dims"))
    (unique,) = [r[1] for r in query(path, "PRAGMA index_list(dims)") if r[2]]
    assert {r[2] for r in query(path, f"PRAGMA index_info({unique})")} >= {"session", "source", "project"}


@pytest.mark.parametrize("fixture", ["v1.sqlite3", "m007.sqlite3"])
def test_an_older_ledger_migrates_with_every_call_from_the_api_and_the_same_reports(
        catalog: Catalog, tmp_path: Path, fixture: str) -> None:
    path = tmp_path / fixture
    shutil.copyfile(DATA / fixture, path)
    raw = ("SELECT {key}, input, cache_read, cache_write, cache_write_1h, output, requests, {search} cost_units "
           "FROM events WHERE status = 'committed'")
    search = "web_search," if fixture == "m007.sqlite3" else "0,"
    expected = {by: sums_by(query(path, raw.format(key=column, search=search)))
                for by, column in (("session", "session"), ("tier", "tier"), ("model", "model_key"))}
    (calls_before,) = query(path, "SELECT COUNT(*) FROM events")
    if fixture == "m007.sqlite3":
        assert [r[0] for r in query(path, "SELECT name FROM costpanel_migrations ORDER BY name")][-1] == "m007_priced_by"
        rollups_before = query(path, f"SELECT bucket, session, tier, model_key, status, matched, provider, priced_by, "
                                     f"{', '.join(FIGURES)} FROM rollup ORDER BY 1, 2, 3, 4, 5")
        hourly_before = query(path, "SELECT hour, tier, model_key, status, SUM(calls), SUM(cost_units) FROM rollup_hour "
                                    "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4")
    connect(path).close()  # migrates
    _check_m008_shape(path)
    assert query(path, "SELECT COUNT(*) FROM events") == [calls_before]
    assert query(path, "SELECT DISTINCT source, project FROM events") == [("api", "")]
    assert query(path, "SELECT DISTINCT source, project FROM rollup") == [("api", "")]
    assert query(path, "SELECT DISTINCT source, project FROM rollup_hour") == [("api", "")]
    if fixture == "m007.sqlite3":  # the roll-ups' rows are carried over, column for column
        assert query(path, f"SELECT bucket, session, tier, model_key, status, matched, provider, priced_by, "
                           f"{', '.join(FIGURES)} FROM rollup ORDER BY 1, 2, 3, 4, 5") == rollups_before
        assert query(path, "SELECT hour, tier, model_key, status, SUM(calls), SUM(cost_units) FROM rollup_hour "
                           "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4") == hourly_before
    got = reports(path, "session", "tier", "model", "source", "project", "day")
    assert {by: got[by] for by in expected} == expected
    everything = tuple(map(sum, zip(*expected["session"].values())))
    assert got["source"] == {"api": everything} and got["project"] == {NO_GROUP: everything}
    assert sum(v[0] for v in got["day"].values()) == everything[0]  # (each day: test_ledger's v1 test)

    # The migrated file keeps working: the open session resumes with its totals, new calls from
    # another source and project land beside the old ones, and reports split them exactly.
    resumed = CostTracker(catalog, ledger=path, resume=True)
    (open_session,) = [s for (s,) in query(path, "SELECT id FROM sessions WHERE ended_at IS NULL ORDER BY rowid DESC")][:1]
    assert resumed.session == open_session
    assert resumed.snapshot().calls == expected["session"][open_session][0]
    new = resumed.record("gpt-4o", Usage(input=1000, output=100), source="claude-code", project="/src/shop",
                         event_id="after-m008")
    resumed.close()
    got = reports(path, "source", "project", "session")
    assert got["source"]["claude-code"] == sums_by([("x", *new.usage, new.cost_units)])["x"]
    assert got["source"]["api"] == everything
    assert got["project"] == {NO_GROUP: everything, "/src/shop": got["source"]["claude-code"]}
    assert got["session"][open_session][0] == expected["session"][open_session][0] + 1


def test_calls_held_while_genai_prices_loads_keep_their_source_and_project(catalog: Catalog) -> None:
    import threading

    from costpanel.events import PENDING
    from costpanel.pricing.fallback import GenaiPricesFallback

    gate = threading.Event()  # holds the background load, as a slow first import would
    tracker = CostTracker(catalog, fallback=GenaiPricesFallback(gate=gate))
    seen: list[Event] = []
    tracker.subscribe(seen.append)
    name = "groq/llama-3.1-8b-instant"  # not in the catalog; genai-prices knows it
    held = tracker.record(name, Usage(input=10, output=10), source="litellm", project="shop", at=AT)
    plain = tracker.record(name, Usage(input=10, output=10), at=AT)
    assert (held.status, held.source, held.project) == (PENDING, "litellm", "shop")
    with pytest.raises(ValueError, match="source must be"):
        tracker.record(name, Usage(input=10), source="Bad")
    assert tracker.snapshot().pending_calls == 2
    gate.set()
    tracker.settle()
    assert sorted((e.status, e.source, e.project) for e in seen) == [(COMMITTED, "api", ""),
                                                                    (COMMITTED, "litellm", "shop")]
    assert plain.source == "api"
