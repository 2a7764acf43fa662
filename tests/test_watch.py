"""`costpanel watch`: the Watcher with real watchfiles on real folders, and the command as a real
process (summary lines, the ledger, SIGTERM). Waits are bounded polls, never a fixed sleep."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from cli_run import costpanel, on_a_terminal, one_line_error, table_lines, terminal_text
from test_panel_rendered import xvfb  # noqa: F401  (the fixture: a private Xvfb server)
from costpanel import CostTracker, Usage
from costpanel.integrations import jsonl
from costpanel.integrations.logs import MALFORMED
from costpanel.integrations.tail import DELETED
from costpanel.integrations.watch import (BEFORE_TODAY, NOT_RECOGNISED, Root, Views, Watcher, WatchStats,
                                          available_sources, local_midnight)

MODEL = "claude-sonnet-4-5"


def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Poll until ``condition()`` is true; fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"not true after {timeout} s: {condition.__doc__ or condition}")
        time.sleep(0.02)


def event(n: int, *, ts: float | None = None, output: int = 10, project: str = "shop", tier: str = "main",
          session: str = "sess-1") -> str:
    return json.dumps({"ts": time.time() if ts is None else ts, "model": MODEL, "session": session, "tier": tier,
                       "project": project, "usage": {"input": 1000 + n, "output": output}, "id": f"call-{n}"}) + "\n"


def append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)


def cost_of(*usages: Usage) -> int:
    """The exact cost in 1e-12 USD, from a tracker of the test's own."""
    t = CostTracker()
    for u in usages:
        t.record(MODEL, u)
    return sum(row.cost_units for row in t.snapshot().by_model.values())


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Watcher, CostTracker, Path]]:
    logs = tmp_path / "logs"
    logs.mkdir()
    tracker = CostTracker()
    watcher = Watcher(tracker, [Root(logs, (jsonl,))], views=Views(tracker.catalog))
    yield watcher, tracker, logs
    watcher.stop()
    assert not watcher.running, "stop() ends the watch threads"


def start(watcher: Watcher) -> None:
    watcher.start()
    assert watcher.ready.wait(10), "the watch was set up"
    assert watcher.error is None


def test_catch_up_counts_today_skips_older_lines_and_garbage_then_follows_appends(watched) -> None:
    watcher, tracker, logs = watched
    f = logs / "run.jsonl"
    f.write_text(event(1) + event(2, ts=local_midnight() - 60) + "not json\n")
    start(watcher)
    assert tracker.snapshot().calls == 1
    stats = watcher.stats()
    assert stats.skipped == {BEFORE_TODAY: 1, MALFORMED: 1}
    assert (stats.folders, stats.files, stats.calls) == (1, 1, 1)
    append(f, event(3))
    wait_for(lambda: tracker.snapshot().calls == 2)
    snap = tracker.snapshot()
    assert snap.by_model[MODEL].cost_units == cost_of(Usage(input=1001, output=10), Usage(input=1003, output=10))
    assert watcher.stats().line() == ("1 folder watched · 1 file · 2 calls · "
                                      "skipped 2 lines (before today 1, malformed json 1)")
    # the bad line is named with its file and line (the Sources line counts it; this says where)
    (bad,) = watcher.stats().bad_lines
    assert bad.startswith(f"{f}:3: not JSON (") and bad.endswith(" at column 1)"), bad  # (the rest is orjson's words)


def test_new_folders_and_files_are_followed_and_a_torn_line_counts_when_complete(watched) -> None:
    watcher, tracker, logs = watched
    start(watcher)
    sub = logs / "project" / "session"
    sub.mkdir(parents=True)
    f = sub / "agent.jsonl"
    whole = event(1, tier="subagent")
    f.write_text(whole[:30])
    wait_for(lambda: f in watcher.tail.files)
    assert watcher.stats().waiting == 1 and tracker.snapshot().calls == 0
    append(f, whole[30:])
    wait_for(lambda: tracker.snapshot().calls == 1)
    assert list(tracker.snapshot().by_tier) == ["subagent"]
    (logs / "notes.txt").write_text("not a log\n")  # not one of the format's files: never read
    append(f, event(2))
    wait_for(lambda: tracker.snapshot().calls == 2)
    assert (logs / "notes.txt") not in watcher.tail.files and watcher.stats().skipped == {}
    append(sub / "second.jsonl", event(3))  # a new file in a folder already there
    append(logs / "top.jsonl", event(4))  # and one at the root
    wait_for(lambda: tracker.snapshot().calls == 4)
    assert watcher.stats().files == 3


def test_a_replaced_file_is_not_counted_twice_and_a_deleted_one_is_counted_as_such(watched) -> None:
    watcher, tracker, logs = watched
    f = logs / "run.jsonl"
    f.write_text(event(1) + event(2))
    start(watcher)
    assert tracker.snapshot().calls == 2
    tmp = logs / "run.jsonl.new"
    tmp.write_text(event(1) + event(2) + event(3))
    os.replace(tmp, f)  # rotated atomically: the same calls plus one
    wait_for(lambda: tracker.snapshot().calls == 3)
    assert watcher.stats().duplicates == 2
    f.unlink()
    wait_for(lambda: watcher.stats().files_set_aside.get(DELETED) == 1)
    assert tracker.snapshot().calls == 3, "calls of a deleted log stay counted"
    assert watcher.stats().files == 0


def test_a_watched_file_is_followed_alone_in_its_folder(tmp_path: Path) -> None:
    f, other = tmp_path / "events.jsonl", tmp_path / "other.jsonl"
    f.write_text(event(1))
    other.write_text(event(2))
    tracker = CostTracker()
    watcher = Watcher(tracker, [Root(f, (jsonl,))])
    try:
        start(watcher)
        append(other, event(3))
        append(f, event(4))
        wait_for(lambda: tracker.snapshot().calls == 2)
        assert set(watcher.tail.files) == {f}
        assert watcher.stats().line().startswith("1 file watched · 2 calls")
    finally:
        watcher.stop()


def test_views_split_the_calls_by_source_and_project_and_sessions_are_owned(watched) -> None:
    watcher, tracker, logs = watched
    (logs / "a.jsonl").write_text(event(1, project="shop") + event(2, project="blog", session="sess-2"))
    start(watcher)
    views = watcher.views
    assert views is not None
    assert views.names() == ["costpanel", "costpanel / blog", "costpanel / shop"]
    shop, blog, every = (views.get(n).snapshot() for n in ("costpanel / shop", "costpanel / blog", "costpanel"))
    assert (shop.calls, blog.calls, every.calls) == (1, 1, 2)
    assert shop.total_usd + blog.total_usd == every.total_usd == tracker.snapshot().total_usd
    assert watcher.owns_session("sess-2") and not watcher.owns_session("sess-3")


def test_a_claude_code_session_file_owns_its_session_before_any_call_is_read(tmp_path: Path) -> None:
    """Claude Code writes a session's file from its first prompt, before its first API request: a
    session whose file is under a watched Claude Code folder is the logs' (their telemetry waits)."""
    from costpanel.integrations import claude_code

    config = tmp_path / "claude"
    session = config / "projects" / "-home-me-shop" / "5d0f1c2a-8b7e-4f6d-9a3c-2e1b0d9c8f7a.jsonl"
    session.parent.mkdir(parents=True)
    session.write_text('{"type": "user", "sessionId": "5d0f1c2a-8b7e-4f6d-9a3c-2e1b0d9c8f7a"}\n')
    other = tmp_path / "events"  # a costpanel-format folder: its file names are not sessions
    other.mkdir()
    (other / "sess-x.jsonl").write_text("")
    watcher = Watcher(CostTracker(), [Root(config, (claude_code,)), Root(other, (jsonl,))])
    assert watcher.reads("claude-code") and not watcher.reads("codex")
    assert watcher.owns_session("5d0f1c2a-8b7e-4f6d-9a3c-2e1b0d9c8f7a")
    assert not watcher.owns_session("5d0f1c2a-0000-0000-0000-000000000000")
    assert not watcher.owns_session("sess-x")
    assert not watcher.owns_session("../-home-me-shop/5d0f1c2a-8b7e-4f6d-9a3c-2e1b0d9c8f7a")  # never a path
    late = session.with_name("sess-late.jsonl")
    assert not watcher.owns_session("sess-late")
    late.write_text("")  # the file appears: the session is the logs' from then on
    assert watcher.owns_session("sess-late")
    bare = Watcher(CostTracker(), [Root(session.parent, (claude_code,))])  # a projects/<cwd> folder named
    assert bare.owns_session("sess-late")


def test_a_variant_without_a_price_is_said_once_however_many_views_price_it(tmp_path: Path) -> None:
    """watch keeps a tracker per source and per project for the filter: the warning about a
    variant the model has no price for is said once, not once per view."""
    f = tmp_path / "events.jsonl"
    line = json.loads(event(1))
    f.write_text(json.dumps({**line, "variant": "flex"}) + "\n")
    r = costpanel("watch", "--headless", "--seconds", "0.5", "--no-ledger", "--format", "costpanel", str(f))
    assert r.returncode == 0, r.stderr
    said = [s for s in r.stderr.splitlines() if "has no 'flex' price" in s]
    assert len(said) == 1, r.stderr


def test_a_folder_inside_a_watched_tree_that_cannot_be_listed_is_said(watched, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its logs are not counted: the Sources line says so."""
    from cli_run import unlistable

    watcher, tracker, logs = watched
    locked = logs / "2026" / "12"
    locked.mkdir(parents=True)
    (locked / "a.jsonl").write_text(event(1))
    (logs / "b.jsonl").write_text(event(2))
    unlistable(monkeypatch, locked)
    start(watcher)
    wait_for(lambda: tracker.snapshot().calls == 1)
    stats = watcher.stats()
    assert stats.folders_unreadable == 1
    assert stats.line().endswith("1 folder not readable (logs in it not counted)"), stats.line()


def test_files_no_source_recognises_are_counted_not_read(tmp_path: Path) -> None:
    (tmp_path / "ours.jsonl").write_text(event(1))
    (tmp_path / "theirs.jsonl").write_text('{"hello": "world"}\n')
    tracker = CostTracker()
    watcher = Watcher(tracker, [Root(tmp_path, tuple(available_sources()), detect=True)])
    watcher.catch_up()
    assert tracker.snapshot().calls == 1
    assert watcher.stats().files_set_aside == {NOT_RECOGNISED: 1}


def test_a_label_the_tracker_refuses_is_skipped_as_a_bad_field(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text(event(1, tier="t" * 5000) + event(2))
    tracker = CostTracker()
    watcher = Watcher(tracker, [Root(f, (jsonl,))])
    watcher.catch_up()
    assert tracker.snapshot().calls == 1
    assert sum(watcher.stats().skipped.values()) == 1


def test_a_root_that_does_not_exist_yet_is_watched_once_it_appears(tmp_path: Path) -> None:
    root = tmp_path / "home" / ".codex" / "sessions"  # the tool has never run: two levels missing
    tracker = CostTracker()
    watcher = Watcher(tracker, [Root(root, (jsonl,))])
    try:
        start(watcher)
        assert watcher.stats().missing == (str(root),)
        (root / "2026" / "12").mkdir(parents=True)
        wait_for(lambda: watcher.stats().missing == ())
        append(root / "2026" / "12" / "rollout.jsonl", event(1))
        wait_for(lambda: tracker.snapshot().calls == 1)
    finally:
        watcher.stop()
    assert not watcher.running


def test_a_root_deleted_and_made_again_is_followed_again(watched) -> None:
    watcher, tracker, logs = watched
    (logs / "a.jsonl").write_text(event(1))
    start(watcher)
    shutil.rmtree(logs)
    wait_for(lambda: watcher.stats().files_set_aside.get(DELETED) == 1)
    logs.mkdir()
    append(logs / "b.jsonl", event(2))
    wait_for(lambda: tracker.snapshot().calls == 2)
    assert watcher.stats().files == 1


def test_a_file_recognised_once_it_has_a_line_is_read_then(tmp_path: Path) -> None:
    f = tmp_path / "later.jsonl"
    f.write_text("")  # created empty: no source can tell yet
    tracker = CostTracker()
    watcher = Watcher(tracker, [Root(tmp_path, tuple(available_sources()), detect=True)])
    watcher.catch_up()
    assert watcher.stats().files_set_aside == {NOT_RECOGNISED: 1}
    f.write_text(event(1))
    watcher.catch_up()
    assert tracker.snapshot().calls == 1 and watcher.stats().files_set_aside == {}


def test_summary_lines_mark_unpriced_spend_as_the_panel_and_report_do(catalog) -> None:
    from costpanel.cli.watch import _table, summary

    tracker = CostTracker(catalog)
    tracker.record("gpt-4o", Usage(input=1_000_000), tier="main")  # $2.50
    tracker.record("claude-zephyr-9", Usage(input=10), tier="main")  # no price
    stats = WatchStats(folders=1, files=1, calls=2, replaced=0, duplicates=0, lines=2, skipped={}, missing=())
    line = summary(tracker.snapshot(), stats)
    assert " $2.50 +? · 2 calls · " in line and " · 1 call unpriced · sources: " in line, line
    from rich.console import Console

    out = Console(width=200, record=True)
    out.print(_table(tracker, stats))
    assert "Today: $2.50 +? · 2 calls · 1,000,010 tokens · 1 call unpriced (claude-zephyr-9)" in out.export_text()


def test_stats_line_names_every_reason_most_frequent_first() -> None:
    stats = WatchStats(folders=2, files=1, calls=1_204, replaced=0, duplicates=0, lines=0,
                       skipped={"no usage": 3, "malformed json": 40}, missing=("/x",),
                       files_set_aside={NOT_RECOGNISED: 1, DELETED: 2})
    assert stats.line() == ("2 folders watched · 1 file · 1,204 calls · skipped 43 lines (malformed json 40, no usage 3)"
                            " · 3 files deleted or not read (deleted while watched 2, not a known log format 1)"
                            " · not found (yet): /x")
    assert WatchStats(folders=1, files=1, calls=0, replaced=0, duplicates=0, lines=1, skipped={"no usage": 1},
                      missing=(), files_set_aside={DELETED: 1}).line() == (
        "1 folder watched · 1 file · 0 calls · skipped 1 line (no usage 1) · 1 file deleted or not read "
        "(deleted while watched 1)")
    assert WatchStats(folders=1, files=0, calls=0, replaced=0, duplicates=0, lines=0, skipped={},
                      missing=("/a", "/b"), error="OSError: inotify watch limit reached").line(sep=" | ") == (
        "1 folder watched | 0 files | 0 calls | not found (yet): /a, /b | watching stopped: OSError: inotify watch "
        "limit reached")
    home = Path.home()
    assert WatchStats(folders=4, files=0, calls=0, replaced=0, duplicates=0, lines=0, skipped={},
                      missing=(str(home / ".codex" / "sessions"), "/srv/logs", str(home / ".gemini" / "tmp"), "/x"),
                      ).line().endswith("not found (yet): ~/.codex/sessions, /srv/logs +2 more")  # named, not counted
    assert WatchStats(folders=1, files=1, calls=0, replaced=0, duplicates=0, lines=0, skipped={}, missing=(),
                      waiting=1).line() == "1 folder watched · 1 file · 0 calls · 1 line waiting for a newline"
    assert WatchStats(folders=0, files=0, calls=0, replaced=0, duplicates=0, lines=0, skipped={},
                      missing=("/a/events.jsonl",)).line() == "waiting for /a/events.jsonl (not found yet) · 0 calls"
    assert WatchStats(folders=1, files=1, calls=3, replaced=0, duplicates=0, lines=3, skipped={},
                      missing=()).line(calls=False) == "1 folder watched · 1 file"  # the summary said the calls
    # a folder and a file named: each said as what it is (the file's folder is not watched)
    assert WatchStats(folders=1, files=3, calls=2, replaced=0, duplicates=0, lines=2, skipped={}, missing=(),
                      files_named=1).line() == "1 folder and 1 file watched · 3 files · 2 calls"
    assert WatchStats(folders=0, files=2, calls=0, replaced=0, duplicates=0, lines=0, skipped={}, missing=(),
                      files_named=2).line() == "2 files watched · 0 calls"
    # the OTLP receiver's own counts: calls (duplicates left out), skipped by reason, requests refused
    from costpanel.integrations.genai import FeedStats

    otlp = FeedStats(requests=4, recorded=6, statuses={"committed": 5, "duplicate": 1},
                     skipped={"session read from its logs": 2, "no model": 1}, approximate=2, rejected={413: 1})
    assert WatchStats(folders=1, files=0, calls=0, replaced=0, duplicates=0, lines=0, skipped={}, missing=(),
                      otlp=otlp).line() == (
        "1 folder watched · 0 files · 0 calls from logs · OTLP: 5 calls (2 approximate), skipped 3 (session read from its "
        "logs 2, no model 1), 1 request refused (413 1)")


@pytest.mark.skipif(not hasattr(__import__("costpanel.events").events, "REPLACED"),
                    reason="the tracker's upsert (record() of a known id with more tokens) is not merged yet")
def test_a_streaming_partial_is_replaced_by_its_final_line(watched) -> None:
    watcher, tracker, logs = watched
    f = logs / "a.jsonl"
    f.write_text(event(1, output=5))
    start(watcher)
    append(f, event(1, output=500))
    wait_for(lambda: watcher.stats().replaced == 1)
    assert tracker.snapshot().calls == 1
    assert tracker.snapshot().by_model[MODEL].cost_units == cost_of(Usage(input=1001, output=500))
    assert watcher.views.get("costpanel / shop").snapshot().by_model[MODEL].output == 500, "the filter's view too"


# -- the command, as a real process ---------------------------------------------------------------------
def ledger_calls(db: Path) -> dict[str, tuple[int, int, int]]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return {e: (i, o, c) for e, i, o, c in conn.execute("SELECT event_id, input, output, cost_units FROM events")}


def test_headless_with_a_pipe_prints_summary_lines_and_stores_the_calls(tmp_path: Path) -> None:
    f, db = tmp_path / "events.jsonl", tmp_path / "ledger.sqlite3"
    f.write_text(event(1) + event(2, ts=local_midnight() - 1))
    r = costpanel("watch", "--headless", "--seconds", "2", "--format", "costpanel", str(f), "--db", str(db))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert 1 <= len(lines) <= 3
    assert all(" · 1 call · 1,011 tokens · sources: 1 file watched · skipped 1 line (before today 1)"
               in line for line in lines), lines
    assert ledger_calls(db) == {"call-1": (1001, 10, cost_of(Usage(input=1001, output=10)))}


def test_guards_say_each_crossing_once_before_the_summary_lines(tmp_path: Path) -> None:
    """claude-sonnet-4-5 at $3/$15 per 1M: call 1 costs $0.003153 (63% of $0.005), call 2 $0.003156."""
    f = tmp_path / "events.jsonl"
    f.write_text(event(1) + event(2))
    r = costpanel("watch", "--headless", "--seconds", "1.5", "--format", "costpanel", str(f), "--no-ledger",
                  "--guard", "0.005", "--guard", "1@day")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == ["guard: 50% of the session budget: $0.0032 of $0.0050 spent",
                         "guard: 80% of the session budget: $0.0063 of $0.0050 spent",
                         "guard: Session budget reached: $0.0063 of $0.0050 spent"]
    assert all(" $0.0063 · 2 calls · " in line for line in lines[3:]) and len(lines) >= 4
    assert sum(line.startswith("guard: ") for line in lines) == 3  # each said once, however many refreshes


def _reader(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stdout lines as they come; "" once it has ended."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for text in proc.stdout:  # type: ignore[union-attr]
            lines.put(text)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_sigterm_ends_it_cleanly_with_every_call_appended_before_in_the_ledger(tmp_path: Path) -> None:
    f, db = tmp_path / "events.jsonl", tmp_path / "ledger.sqlite3"
    f.write_text(event(1) + event(2))
    with subprocess.Popen([sys.executable, "-m", "costpanel", "watch", "--headless", "--format", "costpanel",
                           str(f), "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            lines = _reader(proc)
            first = lines.get(timeout=30)  # printed once it runs: its signal handlers are in place
            assert " 2 calls " in first
            append(f, event(3) + event(4))
            proc.send_signal(signal.SIGTERM)  # at once: the lines may not have been seen yet
            assert proc.wait(timeout=30) == 0, proc.stderr.read()  # type: ignore[union-attr]
        finally:
            if proc.poll() is None:
                proc.kill()
    assert sorted(ledger_calls(db)) == ["call-1", "call-2", "call-3", "call-4"]
    printed = [first]
    while text := lines.get(timeout=30):
        printed.append(text)
    assert " 4 calls " in printed[-1], printed  # the last line printed says what the ledger kept, after the final read
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (ended,) = conn.execute("SELECT COUNT(*) FROM sessions WHERE id LIKE 'watch-%' AND ended_at IS NOT NULL"
                                ).fetchone()
    assert ended == 1, "the watch session is stored as ended"


def test_telemetry_that_beats_its_sessions_log_is_not_counted_twice(tmp_path: Path) -> None:
    """`watch --otlp-port` on Claude Code's logs: an api_request event of a session whose log file
    does not exist yet, then the file with that call's line: the log's call is stored, once (the
    event waits, finds the session in the logs and is skipped). An event of a session whose file
    exists is skipped at once."""
    import socket
    import urllib.request

    from test_claude_code import line as claude_line
    from test_otlp import api_request, logs_request

    config, db = tmp_path / "claude", tmp_path / "ledger.sqlite3"
    folder = config / "projects" / "-home-me-shop"
    folder.mkdir(parents=True)
    (folder / "sess-old.jsonl").write_text('{"type": "user", "sessionId": "sess-old"}\n')
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def post(session: str, request: str) -> None:
        body = logs_request(api_request(**{"session.id": session, "event.timestamp": now}, request_id=request),
                            time_ns=time.time_ns()).SerializeToString()
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/v1/logs", data=body, headers={
            "Content-Type": "application/x-protobuf"}), timeout=10).close()

    with subprocess.Popen([sys.executable, "-m", "costpanel", "watch", "--headless", "--seconds", "5",
                           "--otlp-port", str(port), "--source", "claude-code", str(config), "--db", str(db)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert "OTLP/HTTP receiver on" in proc.stderr.readline()  # type: ignore[union-attr]
            post("sess-new", "req_new")
            post("sess-old", "req_old")
            (folder / "sess-new.jsonl").write_bytes(claude_line(sessionId="sess-new", requestId="req_new",
                                                                timestamp=now) + b"\n")
            assert proc.wait(timeout=60) == 0, proc.stderr.read()  # type: ignore[union-attr]
        finally:
            if proc.poll() is None:
                proc.kill()
        out = proc.stdout.read()  # type: ignore[union-attr]
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT source, event_id FROM events").fetchall()
    assert rows == [("claude-code", "claude-code:msg_01XhL6sQ8JkvJ1cW2mWcU8Ra:req_new")]
    # the summary line says what the receiver did with the two events
    assert out.splitlines()[-1].endswith("OTLP: 0 calls, skipped 2 (session read from its logs 2)"), out


def test_a_named_file_not_written_yet_is_watched_until_it_appears(tmp_path: Path) -> None:
    """An orchestrator's event file need not exist before `watch` starts: its folder does, so the
    file is waited for (said once on stderr) and its lines count once written."""
    f = tmp_path / "events.jsonl"
    with subprocess.Popen([sys.executable, "-m", "costpanel", "watch", "--headless", "--seconds", "30", "--no-ledger",
                           "--format", "costpanel", str(f)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        try:
            assert proc.stderr.readline().strip() == (  # type: ignore[union-attr]
                f"costpanel: {f} does not exist yet; watching for it to appear")
            lines = _reader(proc)
            assert f"sources: waiting for {f} (not found yet)" in lines.get(timeout=30)
            f.write_text(event(1) + event(2))
            deadline = time.monotonic() + 20
            while " 2 calls " not in lines.get(timeout=20):
                assert time.monotonic() < deadline
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def test_bad_usage_is_one_line_and_exit_2(tmp_path: Path) -> None:
    r = costpanel("watch", "--headless", str(tmp_path / "no-such-folder" / "missing.jsonl"))
    assert r.returncode == 2
    assert "missing.jsonl: no such file or folder" in one_line_error(r)
    r = costpanel("watch", "--headless", "--format", "costpanel", "--source", "codex", str(tmp_path))
    assert r.returncode == 2
    assert "--format costpanel" in one_line_error(r)
    for port in ("70000", "0", "abc"):  # one message for every value that is no port
        r = costpanel("watch", "--headless", "--otlp-port", port, str(tmp_path))
        assert r.returncode == 2 and f"a port is 1-65535, got {port!r}" in one_line_error(r)
    import socket

    with closing(socket.socket()) as taken:  # a port in use: the system's problem, not a usage slip
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        r = costpanel("watch", "--headless", "--no-ledger", "--otlp-port", str(taken.getsockname()[1]), str(tmp_path))
    assert r.returncode == 1 and "cannot listen on 127.0.0.1:" in one_line_error(r)
    r = costpanel("watch", "--headless", "--screenshot", str(tmp_path / "x.png"), str(tmp_path))
    assert r.returncode == 2 and "leave out --headless" in one_line_error(r)
    r = costpanel("watch", "--headless", "--otlp-host", "0.0.0.0", str(tmp_path))
    assert r.returncode == 2 and "give --otlp-port too" in one_line_error(r)
    r = costpanel("watch", "--headless", "--format", "costpanel")  # that format has no default place
    assert r.returncode == 2 and "name the FILE or folder to watch" in one_line_error(r)


def test_default_folders_not_there_are_named_once_on_stderr(tmp_path: Path) -> None:
    """A Claude Code user without Codex or Gemini CLI: the folders watched for in case they appear
    are named at the start (the Sources line names only the first two)."""
    (tmp_path / "claude" / "projects").mkdir(parents=True)
    env = {**os.environ, "HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": str(tmp_path / "claude"),
           "CODEX_HOME": str(tmp_path / "codex")}
    r = subprocess.run([sys.executable, "-m", "costpanel", "watch", "--headless", "--seconds", "0.3", "--no-ledger"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    absent = [tmp_path / "codex" / "sessions", tmp_path / "codex" / "archived_sessions", tmp_path / ".gemini" / "tmp"]
    assert f"costpanel: not there (yet), watched for in case they appear: {', '.join(map(str, absent))}" in r.stderr
    assert r.stdout.splitlines()[-1].endswith("not found (yet): ~/codex/sessions, ~/codex/archived_sessions +1 more")


def test_a_watch_started_before_any_agent_ran_waits_for_the_logs_to_appear(tmp_path: Path) -> None:
    """Started before the first Claude Code session (no log folder anywhere yet), the watch says it
    waits, then follows the logs once the agent writes them."""
    env = {**os.environ, "HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": str(tmp_path / "claude"),
           "CODEX_HOME": str(tmp_path / "codex"), "COSTPANEL_DB": str(tmp_path / "ledger.sqlite3")}
    with subprocess.Popen([sys.executable, "-m", "costpanel", "watch", "--headless", "--seconds", "30"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()  # the first summary: the watch is set up
        assert " 0 calls · " in first and "sources: waiting for ~/codex/sessions, ~/codex/archived_sessions +2 more (not found yet)" in first, first
        log = tmp_path / "claude" / "projects" / "-home-me-shop" / "s1.jsonl"
        log.parent.mkdir(parents=True)
        now = dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")
        log.write_text(json.dumps({"type": "assistant", "sessionId": "s1", "requestId": "r1", "timestamp": now,
                                   "cwd": "/home/me/shop", "message": {"id": "m1", "model": MODEL, "usage": {
                                       "input_tokens": 100, "output_tokens": 10}}}) + "\n")
        deadline = time.monotonic() + 20
        line = first
        while " 1 call · " not in line:
            assert time.monotonic() < deadline, f"the new log was not followed: {line}"
            line = proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        err = proc.stderr.read()
    assert err.startswith("costpanel: no agent logs yet; watching for them to appear in "), err


def test_local_midnight_is_today_start_in_local_time() -> None:
    noon = dt.datetime(2026, 12, 3, 12, 30).astimezone()
    midnight = dt.datetime.fromtimestamp(local_midnight(noon)).astimezone()
    assert (midnight.date(), midnight.hour, midnight.minute, midnight.second) == (noon.date(), 0, 0, 0)


# -- the panel fed by watch ----------------------------------------------------------------------------
def test_a_watched_session_lists_the_tiers_it_has_an_orchestrator_tier_1_to_4() -> None:
    from costpanel.gui.viewmodel import build_view

    tracker = CostTracker()
    tracker.record(MODEL, Usage(input=10), tier="subagent")
    tracker.record(MODEL, Usage(input=10), tier="main")
    watched = build_view(tracker.snapshot(), standard_tiers=())
    assert [r.cells[0] for r in watched.tables["tiers"]] == ["main", "subagent"]
    demo = build_view(tracker.snapshot())
    assert [r.cells[0] for r in demo.tables["tiers"]] == ["main", "subagent", "Tier 1", "Tier 2", "Tier 3", "Tier 4"]


def test_the_feed_offers_all_sources_first_then_each_view(watched) -> None:
    from costpanel.gui.viewmodel import ALL_SOURCES, WatchFeed

    watcher, tracker, logs = watched
    (logs / "a.jsonl").write_text(event(1, project="shop"))
    watcher.catch_up()
    views = watcher.views
    feed = WatchFeed(watcher.stats, views.names, views.get)
    assert feed.choices() == [ALL_SOURCES, "costpanel", "costpanel / shop"]
    assert feed.sources_text() == "Sources: 1 folder watched | 1 file | 1 call"


@pytest.fixture
def display_env(xvfb: str) -> dict[str, str]:  # noqa: F811  (the fixture imported above)
    """The environment of a rendered scenario: a private Xvfb (test_panel_rendered's fixture: it
    skips without one unless CI=true) and this folder on the path for the scenario's imports."""
    env = {**os.environ, "DISPLAY": xvfb,
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    env.pop("WAYLAND_DISPLAY", None)
    return env


def test_rendered_panel_fed_by_watch_shows_sources_line_main_and_subagent_rows_and_filters(
        display_env: dict[str, str], tmp_path: Path) -> None:
    folder, shot = tmp_path / "logs", tmp_path / "watch.png"
    folder.mkdir()
    run = subprocess.run([sys.executable, str(Path(__file__).parent / "watch_rendered_scenario.py"), str(folder),
                          str(shot)], env=display_env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    every = seen["all"]
    assert [(row[0], row[2]) for row in every["tiers"]] == [("main", "2"), ("subagent", "1")]
    assert seen["tracker_tiers"] == {"main": 2, "subagent": 1}
    assert every["sources"] == "Sources: 1 folder watched | 1 file | 3 calls"
    assert every["choices"] == ["All sources", "costpanel", "costpanel / blog", "costpanel / shop"]
    assert every["total_tip"] == seen["tracker_total_tip"]
    assert [(row[0], row[2]) for row in seen["blog"]["tiers"]] == [("main", "1")]
    assert seen["blog"]["total_tip"] == seen["blog_total_tip"] != seen["tracker_total_tip"]
    assert shot.stat().st_size > 10_000


def test_headless_on_a_terminal_draws_the_live_tables_and_no_ledger_keeps_nothing(tmp_path: Path) -> None:
    logs, default_db = tmp_path / "logs", tmp_path / "default.sqlite3"
    logs.mkdir()
    (logs / "events.jsonl").write_text(event(1) + event(2, tier="subagent"))
    (logs / "other.jsonl").write_text('{"hello": "world"}\n')  # --source all: no source recognises it
    text = on_a_terminal(["watch", "--headless", "--seconds", "1", "--no-ledger", str(logs), "--guard", "0.005",
                          "--guard", "3@tier:subagent"], 160, {"COSTPANEL_DB": str(default_db)})
    assert "Today: $" in text and "2 calls" in text
    assert "Burn rate: \u2014 (shown after 60 s and 5 calls)" in text  # two calls, just now: no rate yet
    assert "By tier" in text and "subagent" in text and "By model" in text and MODEL in text
    assert "Sources: 1 folder watched · 1 file · 2 calls · 1 file deleted or not read (not a known log format 1)" in text
    assert not default_db.exists(), "--no-ledger writes no ledger"
    assert "Budget guards" in text and "Last crossing: Session budget reached: $0.0063 of $0.0050 spent" in text
    assert any("Session" in row and "$0.0050" in row and "exceeded" in row for row in text.splitlines())
    assert any("subagent" in row and "$3.00" in row and " ok " in row for row in text.splitlines())


def test_the_live_view_in_a_narrow_terminal_shortens_token_counts_and_cuts_nothing(tmp_path: Path) -> None:
    """The live view cannot print wider than the terminal: its token counts shorten, nothing is cut."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "events.jsonl").write_text("".join(
        json.dumps({"ts": time.time(), "model": MODEL, "session": "s", "tier": "a-rather-long-tier-name",
                    "usage": {"input": 900_000_000 + n, "output": 10}, "id": f"big-{n}"}) + "\n" for n in range(3)))
    text = terminal_text(["watch", "--headless", "--seconds", "1", "--no-ledger", str(logs)], 50)
    table = table_lines(text)
    assert table and "…" not in text and max(map(len, table)) <= 50, text
    assert "2.70B" in text and "tokens shortened for a 50-column terminal" in text
    assert "a-rather-long-tier-name" in "".join(line.split("│")[1].strip() for line in table if line.startswith("│"))


def test_the_panel_ends_cleanly_on_sigterm_with_the_calls_stored(display_env: dict[str, str], tmp_path: Path) -> None:
    f, db = tmp_path / "events.jsonl", tmp_path / "ledger.sqlite3"
    f.write_text(event(1) + event(2))
    with subprocess.Popen([sys.executable, "-m", "costpanel", "watch", "--format", "costpanel", str(f), "--db", str(db)],
                          env=display_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            def stored() -> bool:
                """the window's process stored both calls"""
                try:
                    return len(ledger_calls(db)) == 2
                except sqlite3.Error:  # not created yet
                    return False

            wait_for(stored, timeout=30)
            proc.send_signal(signal.SIGTERM)
            code, err = proc.wait(timeout=30), proc.stderr.read()  # type: ignore[union-attr]
            assert code == 0 and "Traceback" not in err, err
        finally:
            if proc.poll() is None:
                proc.kill()
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (ended,) = conn.execute("SELECT COUNT(*) FROM sessions WHERE id LIKE 'watch-%' AND ended_at IS NOT NULL"
                                ).fetchone()
    assert ended == 1


def panel_of(watcher: Watcher, tracker: CostTracker) -> object:
    """A built panel on ``tracker`` with the watcher's Sources line and filter (in a Dear PyGui context)."""
    from costpanel.gui import CostPanel
    from costpanel.gui.viewmodel import WatchFeed

    panel = CostPanel(tracker, persist_settings=False, table_refresh_s=0, detail_refresh_s=0,
                      feed=WatchFeed(watcher.stats, watcher.views.names, watcher.views.get))
    panel.build()
    return panel


@pytest.fixture
def watched_panel(watched) -> Iterator[tuple[object, Watcher, CostTracker, Path]]:
    """A panel fed by a watcher, built with only a Dear PyGui context (no display needed)."""
    import dearpygui.dearpygui as dpg


    watcher, tracker, logs = watched
    (logs / "a.jsonl").write_text(event(1, project="shop") + event(2, project="blog", tier="subagent"))
    watcher.catch_up()
    dpg.create_context()
    try:
        yield panel_of(watcher, tracker), watcher, tracker, logs
    finally:
        dpg.destroy_context()


def _tiers(panel) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    import dearpygui.dearpygui as dpg

    return [(dpg.get_value(r.cells[0]), dpg.get_value(r.cells[2])) for r in panel.widgets.pools["tiers"].rows
            if dpg.is_item_shown(r.tag)]


def test_the_filter_shows_one_project_and_all_again(watched_panel) -> None:
    import dearpygui.dearpygui as dpg

    panel, watcher, tracker, logs = watched_panel
    panel.update(force=True)
    assert _tiers(panel) == [("main", "1"), ("subagent", "1")]
    assert dpg.get_value(panel.widgets.sources) == "Sources: 1 folder watched | 1 file | 2 calls"
    assert dpg.get_item_configuration(panel.widgets.sources)["wrap"] == 0  # a long line wraps at the edge, not cut
    assert dpg.get_item_configuration(panel.widgets.source_filter)["items"] == [
        "All sources", "costpanel", "costpanel / blog", "costpanel / shop"]
    assert set(panel.widgets.series) == {"Total", "main", "subagent"}, "no Tier 1-4 lines for a watched session"
    assert dpg.get_value(panel.widgets.series["main"])[0], "the main tier's line is drawn"
    panel.set_source_filter("costpanel / blog")
    panel.update()
    assert _tiers(panel) == [("subagent", "1")]
    assert dpg.get_value(panel.widgets.series["main"])[:2] == [[], []], "no line of a tier the view has not"
    blog = watcher.views.get("costpanel / blog").snapshot()
    assert dpg.get_value(panel.widgets.big_cost) == panel.view.header.cost
    assert panel.snapshot.total_usd == blog.total_usd != tracker.snapshot().total_usd
    panel.set_source_filter("no such view")  # a stale choice: back to everything
    panel.update()
    assert panel.shown == "All sources" and _tiers(panel) == [("main", "1"), ("subagent", "1")]
    assert dpg.get_value(panel.widgets.source_filter) == "All sources"


def test_reset_zeroes_the_session_and_every_filter_view(watched_panel) -> None:
    panel, watcher, tracker, logs = watched_panel
    panel.set_source_filter("costpanel / shop")
    panel.confirm_reset()
    panel.update()
    assert tracker.snapshot().calls == 0
    assert all(watcher.views.get(n).snapshot().calls == 0 for n in watcher.views.names())
    assert _tiers(panel) == []



def test_the_show_filter_is_as_wide_as_its_longest_choice_up_to_a_limit(watched_panel) -> None:
    import dearpygui.dearpygui as dpg

    from costpanel.gui import panel as panel_module

    panel, watcher, tracker, logs = watched_panel
    long_name = "/home/me/work/a-project-with-a-rather-long-folder-name/and-a-subfolder"
    with (logs / "a.jsonl").open("a", encoding="utf-8") as f:
        f.write(event(9, project=long_name))
    watcher.catch_up()
    panel.update()
    choice = f"costpanel / {long_name}"
    assert choice in panel.feed.choices()  # type: ignore[attr-defined]
    width = dpg.get_item_configuration(panel.widgets.source_filter)["width"]
    assert width >= panel._ui_metrics.width(choice, panel._style.font) > panel_module.FILTER_MIN_PX
    with (logs / "a.jsonl").open("a", encoding="utf-8") as f:
        f.write(event(10, project="/" + "W" * 100))
    watcher.catch_up()
    panel._apply_sources()  # (update() refreshes the Sources line twice a second at most)
    assert dpg.get_item_configuration(panel.widgets.source_filter)["width"] == panel_module.FILTER_MAX_PX


def test_history_of_a_watch_without_a_ledger_names_the_flag(watched_panel) -> None:
    import dearpygui.dearpygui as dpg

    panel, watcher, tracker, logs = watched_panel
    assert tracker.ledger is None
    panel.refresh_history()
    assert dpg.get_value(panel.widgets.history.summary) == \
        "No ledger: this watch runs with --no-ledger, so it keeps no history."


def test_after_reset_the_sources_line_counts_calls_and_skipped_lines_from_then_on(watched_panel) -> None:
    from costpanel.gui.viewmodel import WatchFeed

    panel, watcher, tracker, logs = watched_panel
    feed: WatchFeed = panel.feed  # type: ignore[attr-defined]
    assert feed.sources_text() == "Sources: 1 folder watched | 1 file | 2 calls"
    panel.confirm_reset()
    assert feed.sources_text() == "Sources: 1 folder watched | 1 file | 0 calls since Reset"
    with (logs / "a.jsonl").open("a", encoding="utf-8") as f:
        f.write(event(3) + "not json\n")
    watcher.catch_up()
    assert feed.sources_text() == ("Sources: 1 folder watched | 1 file | 1 call since Reset | "
                                   "skipped 1 line (malformed json 1)")
    assert tracker.snapshot().calls == 1  # as the totals say
    assert watcher.stats().calls == 3  # the watcher's own figures are whole (the headless view, --json)


def test_screenshot_pictures_the_panel_once_the_logs_are_read(display_env: dict[str, str], tmp_path: Path) -> None:
    from test_panel_rendered import png_size_and_colours

    f, shot = tmp_path / "events.jsonl", tmp_path / "shots" / "watch.png"
    f.write_text(event(1) + event(2, tier="subagent"))
    run = subprocess.run([sys.executable, "-m", "costpanel", "watch", "--format", "costpanel", str(f), "--no-ledger",
                          "--screenshot", str(shot)], env=display_env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"wrote {shot}" in run.stdout
    size, colours = png_size_and_colours(shot)
    assert size[0] >= 400 and size[1] >= 300 and colours > 50


def test_views_stop_at_their_limit_and_the_total_still_counts_everything(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from costpanel.integrations import watch

    monkeypatch.setattr(watch, "MAX_VIEWS", 3)
    f = tmp_path / "a.jsonl"
    f.write_text("".join(event(n, project=f"p{n}") for n in range(4)))
    tracker = CostTracker()
    watcher = Watcher(tracker, [Root(f, (jsonl,))], views=Views(tracker.catalog))
    watcher.catch_up()
    assert watcher.views.names() == ["costpanel", "costpanel / p0", "costpanel / p1"]
    assert watcher.views.get("costpanel").snapshot().calls == 4 == tracker.snapshot().calls


def test_watch_leaves_codex_compressed_rollouts_to_import(tmp_path: Path) -> None:
    """A .jsonl.zst rollout is at least a week old (Codex compresses idle ones): never today's, and
    never read as plain lines (its bytes would all be malformed)."""
    from costpanel.integrations import codex
    from costpanel.integrations.watch import Watcher

    sessions = tmp_path / "sessions"
    sessions.mkdir()
    plain = sessions / "rollout-2026-12-03T08-00-00-0199d3f1-6c2a-7b80-9e41-2f5a8c7d1e03.jsonl"
    plain.write_text("")
    (sessions / "rollout-2026-11-20T08-00-00-0199d2aa-1111-7222-8333-944455556666.jsonl.zst").write_bytes(b"(\xb5/\xfd")
    assert list(Watcher(CostTracker(), [])._log_files(sessions, [codex])) == [plain]


def test_the_sources_tooltip_names_bad_lines_once_there_are_some(watched_panel) -> None:
    import dearpygui.dearpygui as dpg

    panel, watcher, tracker, logs = watched_panel
    panel.update(force=True)
    tooltip = dpg.get_item_parent(panel.widgets.sources_tip)
    assert dpg.get_value(panel.widgets.sources_tip) == "" and not dpg.is_item_shown(tooltip)
    append(logs / "a.jsonl", "{broken\n")
    watcher.catch_up()
    panel.update(force=True)
    tip = dpg.get_value(panel.widgets.sources_tip)
    assert tip.startswith(f"Bad lines (the first few):\n{logs / 'a.jsonl'}:3: not JSON ("), tip
    assert dpg.is_item_shown(tooltip)


def test_the_terminal_view_names_the_first_bad_lines(tmp_path: Path) -> None:
    from rich.console import Console

    from costpanel.cli.watch import _table

    stats = WatchStats(folders=1, files=1, calls=0, replaced=0, duplicates=0, lines=4, skipped={MALFORMED: 4},
                       missing=(), bad_lines=tuple(f"/logs/a.jsonl:{n}: not JSON (…)" for n in range(1, 5)))
    console = Console(record=True, width=300, color_system=None)
    console.print(_table(CostTracker(), stats, None))
    lines = console.export_text().splitlines()
    assert "Sources: 1 folder watched · 1 file · 0 calls · skipped 4 lines (malformed json 4)" in lines
    assert [line for line in lines if line.startswith("bad line: ")] == [
        f"bad line: /logs/a.jsonl:{n}: not JSON (…)" for n in (1, 2, 3)]  # the first three


@pytest.mark.parametrize("cjk_font", [True, False])
def test_a_cjk_project_in_the_filter_is_never_boxes_and_can_be_chosen(watched, monkeypatch: pytest.MonkeyPatch,
                                                                      cjk_font: bool) -> None:
    """A project named in CJK (a home folder's name) is drawn in the CJK system font when there is
    one, else as code points; either way choosing it in the filter shows that project."""
    import dearpygui.dearpygui as dpg

    from costpanel.gui import fonts
    from costpanel.gui.panel import _item_id

    if cjk_font and fonts.cjk_font_file() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("no CJK font: CI installs fonts-wqy-microhei (see .ci/run)")
        pytest.skip("no CJK system font here (apt-get install fonts-wqy-microhei)")
    if not cjk_font:
        monkeypatch.setattr(fonts, "cjk_font_file", lambda candidates=None: None)
    watcher, tracker, logs = watched
    (logs / "a.jsonl").write_text(event(1, project="项目") + event(2, project="shop"))
    watcher.catch_up()
    dpg.create_context()
    try:
        panel = panel_of(watcher, tracker)
        panel.update(force=True)
        items = dpg.get_item_configuration(panel.widgets.source_filter)["items"]
        shown = "costpanel / 项目" if cjk_font else "costpanel / U+9879U+76EE"
        assert items == ["All sources", "costpanel", "costpanel / shop", shown]  # sorted by name, not as shown
        font = _item_id(dpg.get_item_font(panel.widgets.source_filter) or 0)
        assert (font == _item_id(panel.themes.extra_font(fonts.cjk_font_file(), panel.scale, panel._style))
                if cjk_font else not font)
        panel.set_source_filter(shown)  # what the combo hands back: the text it shows
        panel.update(force=True)
        assert panel.shown == "costpanel / 项目" and panel.shown_tracker().snapshot().calls == 1
        assert dpg.get_value(panel.widgets.source_filter) == shown
    finally:
        dpg.destroy_context()


def test_the_terminal_view_wraps_a_long_sources_line_in_a_narrow_terminal(tmp_path: Path) -> None:
    """In a 60-column terminal the Sources line goes on over the next lines, never cut at the edge."""
    import re

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "events.jsonl").write_text(event(1) + "not json\n" + '{"no": "usage"}\n')
    (logs / "other.jsonl").write_text('{"hello": "world"}\n')  # no source recognises it
    out = on_a_terminal(["watch", "--headless", "--seconds", "1", "--no-ledger", str(logs)], 60)
    lines = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out).splitlines()
    start = max(n for n, line in enumerate(lines) if line.startswith("Sources: "))  # the last refresh's
    text = " ".join(line.strip() for line in lines[start:start + 4])
    assert all(len(line) <= 60 for line in lines[start:start + 4])
    assert ("Sources: 1 folder watched · 1 file · 1 call · skipped 2 lines (malformed json 1, no usage 1) · 1 file "
            "deleted or not read (not a known log format 1)") in text, lines[start:]


def test_a_side_question_written_while_watched_adds_its_own_call_only(tmp_path: Path) -> None:
    """A /btw side question's file replays its session's calls (same message ids, its own request
    id) before its own: the watch bills the session's calls once and the side question's once."""
    from costpanel.integrations import claude_code

    now = dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")

    def billed(mid: str, req: str, out: int, side: bool = False) -> str:
        return json.dumps({"type": "assistant", "sessionId": "s1", "requestId": req, "timestamp": now, "cwd": "/w",
                           "isSidechain": side, "message": {"id": mid, "model": MODEL, "usage": {
                               "input_tokens": 1000, "output_tokens": out}}}) + "\n"

    session = tmp_path / "projects" / "-w" / "s1.jsonl"
    session.parent.mkdir(parents=True)
    session.write_text(billed("msg_A", "req_A", 100) + billed("msg_B", "req_B", 200))
    tracker = CostTracker()
    watcher = Watcher(tracker, [Root(tmp_path, (claude_code,))])
    try:
        start(watcher)
        wait_for(lambda: tracker.snapshot().calls == 2)
        fork = session.parent / "s1" / "subagents" / "agent-aside_question-0a1b2c.jsonl"
        fork.parent.mkdir(parents=True)
        fork.write_text(billed("msg_A", "req_btw", 100, True) + billed("msg_B", "req_btw", 200, True)
                        + billed("msg_C", "req_btw", 50, True))
        wait_for(lambda: tracker.snapshot().calls == 3)
        time.sleep(0.3)  # (a replay counted late would show here)
        snap = tracker.snapshot()
        assert snap.calls == 3 and snap.by_model[MODEL].cost_units == cost_of(Usage(1000, 100), Usage(1000, 200),
                                                                                 Usage(1000, 50))
        assert watcher.stats().skipped == {claude_code.REPLAYED: 2}
    finally:
        watcher.stop()


def test_export_writes_the_view_the_filter_shows(watched_panel, tmp_path: Path) -> None:
    """Show = one project: the header says its cost, and Export writes those calls, not everyone's."""
    import json as json_

    panel, watcher, tracker, logs = watched_panel
    panel.export_dir = tmp_path / "exports"
    panel.update(force=True)
    panel.set_source_filter("costpanel / blog")
    panel.update()
    path = panel.export("json")
    assert path is not None
    data = json_.loads(path.read_text())
    blog = watcher.views.get("costpanel / blog").snapshot()
    assert data["total"]["calls"] == blog.calls == 1 != tracker.snapshot().calls
    assert "(costpanel / blog only)" in panel.notices[-1]


def test_history_says_it_is_every_sources_when_the_filter_shows_one(tmp_path: Path) -> None:
    """History reads the whole ledger: with Show on one project its summary says so (the GUI trial
    saw the header at one project's cost and History at everyone's, without a word)."""
    import dearpygui.dearpygui as dpg


    logs = tmp_path / "logs"
    logs.mkdir()
    tracker = CostTracker(ledger=tmp_path / "ledger.sqlite3")
    watcher = Watcher(tracker, [Root(logs, (jsonl,))], views=Views(tracker.catalog))
    (logs / "a.jsonl").write_text(event(1, project="shop") + event(2, project="blog"))
    watcher.catch_up()
    dpg.create_context()
    try:
        panel = panel_of(watcher, tracker)
        panel.refresh_history()
        summary = panel.widgets.history.summary
        assert dpg.get_value(summary).startswith("7d: ") and "every source" not in dpg.get_value(summary)
        panel.set_source_filter("costpanel / blog")
        assert dpg.get_value(summary).endswith("(every source: the filter applies to the live views)")
        panel.refresh_history()
        assert dpg.get_value(summary).endswith("(every source: the filter applies to the live views)")
        panel.set_source_filter("All sources")
        assert "every source" not in dpg.get_value(summary)
    finally:
        dpg.destroy_context()
        watcher.stop()
        tracker.close()
