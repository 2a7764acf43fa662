"""Codex CLI rollouts (costpanel.integrations.codex) on files shaped like the ones Codex writes:
session_meta, turn_context, response items, token_count events with cumulative totals."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costpanel import CostTracker, Usage
from costpanel.integrations import codex
from costpanel.integrations.logs import BAD_FIELD, MALFORMED, NO_MODEL, NO_USAGE, LogCall

SESSION = "0199d3f1-6c2a-7b80-9e41-2f5a8c7d1e03"
PARENT = "0199d2aa-1111-7222-8333-944455556666"
NAME = f"rollout-2026-11-30T09-00-00-{SESSION}.jsonl"
CWD = "/home/dev/shop"
# USD per 1M tokens (pricing/openai.toml): input, cached input, output
RATES = {"gpt-5.3-codex": (Decimal("1.75"), Decimal("0.175"), Decimal("14")),
         "gpt-5.4": (Decimal("2.50"), Decimal("0.25"), Decimal("15"))}


def line(kind: str, payload: dict[str, Any], ts: str = "2026-11-30T09:00:00.000Z") -> bytes:
    return json.dumps({"timestamp": ts, "type": kind, "payload": payload}, separators=(",", ":")).encode()


def meta(session: str = SESSION, cwd: str = CWD, **extra: Any) -> bytes:
    return line("session_meta", {"id": session, "timestamp": "2026-11-30T09:00:00.000Z", "cwd": cwd,
                                 "originator": "codex_cli_rs", "cli_version": "0.98.0", "source": "cli",
                                 "model_provider": "openai", "base_instructions": {"text": "You are Codex…"},
                                 **extra})


def turn(model: str, cwd: str = CWD) -> bytes:
    return line("turn_context", {"turn_id": "t1", "cwd": cwd, "approval_policy": "on-request",
                                 "sandbox_policy": {"type": "workspace-write"}, "model": model,
                                 "effort": "medium", "summary": "auto"})


def tokens(i: int, c: int, o: int, r: int, ts: str = "2026-11-30T09:01:00.000Z",
           last: tuple[int, int, int, int] | None = None) -> bytes:
    def usage(t: tuple[int, int, int, int]) -> dict[str, int]:
        return {"input_tokens": t[0], "cached_input_tokens": t[1], "output_tokens": t[2],
                "reasoning_output_tokens": t[3], "total_tokens": t[0] + t[2]}
    return line("event_msg", {"type": "token_count", "info": {
        "total_token_usage": usage((i, c, o, r)), "last_token_usage": usage(last or (0, 0, 0, 0)),
        "model_context_window": 258400},
        "rate_limits": {"primary": {"used_percent": 4.0, "window_minutes": 300}}}, ts)


def chatter(text: str) -> list[bytes]:
    """What Codex writes between usage lines: the prompt, reasoning, a tool call, the answer."""
    return [line("response_item", {"type": "message", "role": "user", "content": [{"type": "input_text",
                                                                                    "text": text}]}),
            line("event_msg", {"type": "user_message", "message": text}),
            line("response_item", {"type": "reasoning", "summary": [], "encrypted_content": "gAAAA…"}),
            line("response_item", {"type": "function_call", "name": "shell", "arguments": "{\"command\":[\"ls\"]}",
                                   "call_id": "call_1"}),
            line("response_item", {"type": "function_call_output", "call_id": "call_1",
                                   "output": "{\"output\":\"a.py\\n\"}"}),
            line("event_msg", {"type": "agent_message", "message": "Done."})]


def session_lines() -> list[bytes]:
    """Two turns on gpt-5.3-codex (three calls, one total written twice), then gpt-5.4."""
    return [meta(), turn("gpt-5.3-codex"), *chatter("list files"),
            line("event_msg", {"type": "token_count", "info": None, "rate_limits": None}),
            tokens(12000, 0, 400, 128, "2026-11-30T09:01:00.000Z"),
            tokens(25000, 11800, 900, 300, "2026-11-30T09:01:30.000Z"),
            tokens(25000, 11800, 900, 300, "2026-11-30T09:01:31.000Z"),  # written again at the turn's end
            turn("gpt-5.3-codex"), *chatter("fix the bug"),
            tokens(40000, 24800, 2100, 1500, "2026-11-30T09:05:00.000Z"),
            turn("gpt-5.4"), *chatter("now document it"),
            tokens(60000, 39000, 2600, 1700, "2026-11-30T09:10:00.000Z")]


def expected_cost(model: str, usage: Usage) -> int:
    """1e-12 USD units, from the list prices typed in above."""
    i, c, o = RATES[model]
    return int((usage.input * i + usage.cache_read * c + usage.output * o) * 1_000_000)


def record_all(tracker: CostTracker, calls: list[LogCall]) -> list[Any]:
    return [tracker.record(c.model, c.usage, tier=c.tier, session=c.session, event_id=c.event_id,
                           at=dt.datetime.fromtimestamp(c.ts, dt.timezone.utc), variant=c.variant,
                           source=c.source, project=c.project) for c in calls]


def read(lines: list[bytes], name: str = NAME) -> tuple[codex.Reader, list[LogCall]]:
    reader = codex.Reader(Path("/logs") / name)
    return reader, reader.read_lines(lines)


def test_each_call_is_the_difference_of_cumulative_totals_with_cached_inside_input() -> None:
    reader, calls = read(session_lines())
    got = [(c.event_id, c.model, c.usage) for c in calls]
    assert got == [
        (f"codex:{SESSION}:12400", "gpt-5.3-codex", Usage(input=12000, output=400)),
        (f"codex:{SESSION}:25900", "gpt-5.3-codex", Usage(input=1200, cache_read=11800, output=500)),
        (f"codex:{SESSION}:25900", "gpt-5.3-codex", Usage(input=1200, cache_read=11800, output=500)),  # repeat
        (f"codex:{SESSION}:42100", "gpt-5.3-codex", Usage(input=2000, cache_read=13000, output=1200)),
        (f"codex:{SESSION}:62600", "gpt-5.4", Usage(input=5800, cache_read=14200, output=500)),
    ]
    first = calls[0]
    assert (first.tier, first.session, first.project, first.variant, first.source) == (
        "main", SESSION, CWD, None, "codex")
    assert first.ts == dt.datetime(2026, 11, 30, 9, 1, tzinfo=dt.timezone.utc).timestamp()
    assert calls[4].ts == dt.datetime(2026, 11, 30, 9, 10, tzinfo=dt.timezone.utc).timestamp()
    n_chatter = 3 * len(chatter("x"))
    # session_meta, 3 turn_context, the info-null token_count and every chatter line bill nothing
    assert reader.skipped == {NO_USAGE: n_chatter + 5}
    assert reader.lines == len(session_lines())


def test_exact_cost_through_the_tracker_and_a_repeated_total_is_a_duplicate() -> None:
    _, calls = read(session_lines())
    tracker = CostTracker(fallback=False)
    events = record_all(tracker, calls)
    assert [e.status for e in events] == ["committed", "committed", "duplicate", "committed", "committed"]
    want = [expected_cost(c.model, c.usage) for k, c in enumerate(calls) if k != 2]
    assert [e.cost_units for k, e in enumerate(events) if k != 2] == want
    assert want == [26_600_000_000, 11_165_000_000, 22_575_000_000, 25_550_000_000]
    assert sum(e.cost_units for e in events if e.counted) == 85_890_000_000  # $0.08589


def test_reading_in_pieces_or_again_after_reset_gives_the_same_calls() -> None:
    lines = session_lines()
    _, whole = read(lines)
    reader = codex.Reader(Path("/logs") / NAME)
    pieces = [c for k in range(0, len(lines), 4) for c in reader.read_lines(lines[k:k + 4])]
    assert pieces == whole
    reader.reset()  # the file was truncated and is read from the start
    assert reader.read_lines(lines) == whole
    events = record_all(CostTracker(fallback=False), pieces + whole)
    assert sum(e.cost_units for e in events if e.counted) == 85_890_000_000


def test_usage_before_any_model_is_counted_as_no_model_and_not_billed_twice() -> None:
    reader, calls = read([meta(), tokens(1000, 0, 10, 0), turn("gpt-5.3-codex"), tokens(3000, 500, 40, 0)])
    assert [(c.event_id, c.usage) for c in calls] == [
        (f"codex:{SESSION}:3040", Usage(input=1500, cache_read=500, output=30))]
    assert reader.skipped == {NO_USAGE: 2, NO_MODEL: 1}


def test_a_model_in_session_meta_prices_calls_before_the_first_turn_context() -> None:
    _, calls = read([meta(model="gpt-5.4"), tokens(1000, 0, 10, 0), turn("gpt-5.3-codex"),
                     tokens(2000, 0, 20, 0)])
    assert [c.model for c in calls] == ["gpt-5.4", "gpt-5.3-codex"]


def test_a_total_that_goes_down_starts_over_without_a_negative_call() -> None:
    lines = [meta(), turn("gpt-5.3-codex"), tokens(10000, 0, 100, 0), tokens(20000, 5000, 300, 0),
             # a new count whose first call is the whole total (last == total): billed, new id space
             tokens(4000, 1000, 50, 0, last=(4000, 1000, 50, 0)), tokens(9000, 5000, 150, 0),
             # a lower total that is no call of its own: a new base, nothing billed
             tokens(6000, 2000, 60, 0, last=(500, 0, 5, 0)), tokens(6500, 2400, 70, 0)]
    reader, calls = read(lines)
    assert [(c.event_id, c.usage) for c in calls] == [
        (f"codex:{SESSION}:10100", Usage(input=10000, output=100)),
        (f"codex:{SESSION}:20300", Usage(input=5000, cache_read=5000, output=200)),
        (f"codex:{SESSION}:4050:1", Usage(input=3000, cache_read=1000, output=50)),
        (f"codex:{SESSION}:9150:1", Usage(input=1000, cache_read=4000, output=100)),
        (f"codex:{SESSION}:6570:2", Usage(input=100, cache_read=400, output=10)),
    ]
    assert all(u >= 0 for c in calls for u in c.usage)
    assert reader.skipped[NO_USAGE] == 3


def test_a_fork_copies_its_parents_lines_which_count_once() -> None:
    parent = [meta(PARENT), turn("gpt-5.3-codex"), tokens(8000, 0, 200, 0), tokens(15000, 7000, 500, 0)]
    _, parent_calls = read(parent, f"rollout-2026-11-30T08-00-00-{PARENT}.jsonl")
    fork = [meta(SESSION, forked_from_id=PARENT), *parent, turn("gpt-5.3-codex"), tokens(23000, 14000, 700, 0)]
    reader, fork_calls = read(fork)
    assert fork_calls[:2] == parent_calls  # the copy: the parent's ids and usage
    assert [(c.event_id, c.usage) for c in fork_calls[2:]] == [
        (f"codex:{PARENT}:23700", Usage(input=1000, cache_read=7000, output=200))]
    tracker = CostTracker(fallback=False)
    events = record_all(tracker, parent_calls + fork_calls)
    assert [e.status for e in events] == ["committed"] * 2 + ["duplicate"] * 2 + ["committed"]
    counted = Usage(requests=0)
    for e in events:
        if e.counted:
            counted = counted + e.usage
    assert counted == Usage(input=9000, cache_read=14000, output=700, requests=3)


def test_the_session_id_comes_from_the_file_name_without_session_meta() -> None:
    _, calls = read([turn("gpt-5.3-codex"), tokens(100, 0, 5, 0)])
    assert calls[0].event_id == f"codex:{SESSION}:105" and calls[0].session == SESSION
    _, calls = read([turn("gpt-5.3-codex"), tokens(100, 0, 5, 0)], "renamed.jsonl")
    assert calls[0].session == "renamed"


def test_a_log_from_before_usage_was_recorded_bills_nothing() -> None:
    old = [line("session_meta", {"id": SESSION, "timestamp": "2025-08-20T10:00:00Z", "cwd": CWD}),
           *chatter("hello"), line("event_msg", {"type": "token_count", "info": None})]
    reader, calls = read(old)
    assert calls == [] and reader.skipped == {NO_USAGE: len(old)}


@pytest.mark.parametrize(("bad", "reason", "message"), [
    (b"\x00\xff\x13garbage token_count \xfe", MALFORMED, None),
    (tokens(1, 0, 1, 0)[:-30], MALFORMED, None),  # cut by a crash
    (b"[\"token_count\"]", BAD_FIELD, "a rollout line is a JSON object, got list"),
    (line("turn_context", "gpt-5.4"), BAD_FIELD, "turn_context.payload must be an object, got str"),  # type: ignore[arg-type]
    (line("turn_context", {"model": 54, "cwd": CWD}), BAD_FIELD, "turn_context.payload.model must be a str"),
    (line("turn_context", {"model": "gpt-5.4", "cwd": 7}), BAD_FIELD, "turn_context.payload.cwd must be a string"),
    (line("session_meta", {"id": "a\nb"}), BAD_FIELD, "control character"),
    (line("event_msg", {"type": "token_count", "info": "lots"}), BAD_FIELD, "token_count.info must be an object"),
    (line("event_msg", {"type": "token_count", "info": {"total_token_usage": [1, 2]}}), BAD_FIELD,
     "token_count.info.total_token_usage must be an object, got list"),
    (line("event_msg", {"type": "token_count", "info": {"total_token_usage": {"input_tokens": "12"}}}),
     BAD_FIELD, "total_token_usage.input_tokens must be a non-negative integer, got str '12'"),
    (line("event_msg", {"type": "token_count", "info": {"total_token_usage": {"input_tokens": -4}}}),
     BAD_FIELD, "input_tokens must be a non-negative integer, got int -4"),
    (line("event_msg", {"type": "token_count", "info": {"total_token_usage": {
        "input_tokens": 10, "cached_input_tokens": 11}}}), BAD_FIELD, "cached_input_tokens (11) + cache_write_input_tokens (0) exceeds input_tokens (10)"),
    (tokens(50, 0, 5, 0, ts="yesterday"), BAD_FIELD, "timestamp must be an ISO 8601 time"),
    (tokens(50, 0, 5, 0, ts="2026-11-30T09:00:00"), BAD_FIELD, "must carry its offset"),
])
def test_bad_lines_are_counted_by_reason_and_reading_goes_on(bad: bytes, reason: str, message: str | None) -> None:
    reader, calls = read([meta(), turn("gpt-5.3-codex"), tokens(100, 0, 10, 0), bad, tokens(300, 50, 30, 0)])
    assert [(c.event_id, c.usage) for c in calls] == [
        (f"codex:{SESSION}:110", Usage(input=100, output=10)),
        (f"codex:{SESSION}:330", Usage(input=150, cache_read=50, output=20))]
    assert reader.skipped == {NO_USAGE: 2, reason: 1}
    if message is not None:
        assert reader.last_error is not None and message in reader.last_error
        assert reader.last_error.startswith(f"/logs/{NAME}:4: ")


def test_an_unknown_model_comes_out_unpriced_never_zero() -> None:
    _, calls = read([meta(), turn("gpt-9-imaginary-codex"), tokens(5000, 1000, 100, 0)])
    (event,) = record_all(CostTracker(fallback=False), calls)
    assert event.counted and event.cost_units is None and not event.priced


def _touch(path: Path, text: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    return path


def test_default_roots_follow_codex_home_else_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    monkeypatch.delenv("CODEX_HOME", raising=False)
    assert codex.default_roots() == [tmp_path / "me/.codex/sessions", tmp_path / "me/.codex/archived_sessions"]
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "elsewhere"))
    assert codex.default_roots() == [tmp_path / "elsewhere/sessions", tmp_path / "elsewhere/archived_sessions"]


def test_find_files_walks_sessions_and_archived_sessions(tmp_path: Path) -> None:
    home = tmp_path / ".codex"
    a = _touch(home / "sessions/2026/11/30" / NAME)
    b = _touch(home / "sessions/2026/12/01" / f"rollout-2026-12-01T08-00-00-{PARENT}.jsonl")
    c = _touch(home / "archived_sessions" / f"rollout-2026-10-02T08-00-00-{PARENT[:-1]}7.jsonl")
    z = _touch(home / "sessions/2026/11/29" / f"rollout-2026-11-29T08-00-00-{SESSION}.jsonl.zst")  # compressed
    _touch(home / "sessions/2026/12/01" / f"rollout-2026-12-01T08-00-00-{PARENT}.jsonl.zst")  # b's, written back
    _touch(home / "history.jsonl")
    _touch(home / "sessions/2026/11/30/notes.jsonl")
    assert list(codex.find_files(home)) == sorted([a, b, c, z])
    assert list(codex.find_files(home / "sessions")) == [z, a, b]  # b's compressed copy: the plain one is read
    assert list(codex.find_files(a)) == [a]


def test_import_of_a_codex_home_reads_archived_sessions_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "ch"))
    live = _touch(tmp_path / "ch/sessions/2026/11/30" / NAME, b"\n".join(session_lines()) + b"\n")
    old = [meta(PARENT), turn("gpt-5.3-codex"), tokens(8000, 0, 200, 0)]
    _touch(tmp_path / "ch/archived_sessions" / f"rollout-2026-11-01T08-00-00-{PARENT}.jsonl",
           b"\n".join(old) + b"\n")
    tracker = CostTracker(fallback=False)
    files = [p for root in codex.default_roots() for p in codex.find_files(root)]
    assert files[0] == live and len(files) == 2
    events = []
    for path in files:
        reader = codex.Reader(path)
        events += record_all(tracker, reader.read_lines(path.read_bytes().splitlines()))
    archived = 8000 * 1_750_000 + 200 * 14_000_000
    assert sum(e.cost_units for e in events if e.counted) == 85_890_000_000 + archived


def test_a_rollout_codex_compressed_imports_as_the_plain_one_did(tmp_path: Path) -> None:
    """Codex >= 0.137 compresses a rollout idle for a week to .jsonl.zst and deletes the plain file."""
    import zstandard

    from costpanel.integrations.ingest import import_logs

    plain = tmp_path / "plain" / "sessions" / NAME
    packed = tmp_path / "packed" / "sessions" / (NAME + ".zst")
    body = b"\n".join(session_lines()) + b"\n"
    _touch(plain, body)
    _touch(packed, zstandard.ZstdCompressor().compress(body))
    one = import_logs([plain.parent.parent], ledger=tmp_path / "a.sqlite3", tracker=CostTracker(fallback=False))
    two = import_logs([packed.parent.parent], ledger=tmp_path / "b.sqlite3", tracker=CostTracker(fallback=False))
    assert (two.files, two.lines, two.calls, two.added, two.sources) == (one.files, one.lines, one.calls, one.added,
                                                                          one.sources)
    assert two.added == 4 and not two.unreadable  # session_lines(): four calls

    def stored(db: Path) -> list[tuple[Any, ...]]:
        import sqlite3

        with sqlite3.connect(db) as conn:
            return sorted(conn.execute("SELECT event_id, input, cache_read, output, cost_units FROM calls"))

    assert stored(tmp_path / "b.sqlite3") == stored(tmp_path / "a.sqlite3")


def test_a_damaged_compressed_rollout_is_unreadable_and_the_rest_is_imported(tmp_path: Path) -> None:
    import zstandard

    from costpanel.integrations.ingest import import_logs

    sessions = tmp_path / "sessions"
    body = b"\n".join(session_lines()) + b"\n"
    packed = zstandard.ZstdCompressor().compress(body)
    damaged = _touch(sessions / f"rollout-2026-11-02T08-00-00-{PARENT}.jsonl.zst",
                     packed[:4] + b"\xff" * (len(packed) - 4))  # the zstd magic, then nothing it can decode
    _touch(sessions / NAME, body)
    r = import_logs([sessions], ledger=tmp_path / "l.sqlite3", tracker=CostTracker(fallback=False))
    assert r.added == 4 and r.files == 2  # the plain rollout's four calls
    assert "compressed file damaged" in r.unreadable[str(damaged)]


def test_looks_like() -> None:
    assert codex.looks_like(Path("x") / NAME, b"")
    assert codex.looks_like(Path("x") / (NAME + ".zst"), b"(\xb5/\xfd")
    assert codex.looks_like(Path("renamed.jsonl"), meta() + b"\n")
    assert codex.looks_like(Path("renamed.jsonl"), json.dumps(json.loads(meta())).encode() + b"\n")  # spaced
    assert not codex.looks_like(Path("renamed.jsonl"), b'{"type":"assistant","sessionId":"x"}\n')
    assert not codex.looks_like(Path("rollout-x.json"), meta())


def test_newer_session_meta_fields_missing_totals_and_long_paths() -> None:
    deep = "/home/dev/" + "very-long-folder/" * 20 + "shop"
    no_total = line("event_msg", {"type": "token_count", "info": {"total_token_usage": {
        "input_tokens": 700, "cached_input_tokens": 100, "output_tokens": 30}}})
    reader, calls = read([line("session_meta", {"session_id": PARENT, "cwd": deep}), turn("gpt-5.4", cwd=deep),
                          no_total], "renamed.jsonl")
    (call,) = calls
    assert call.event_id == f"codex:{PARENT}:730"  # total_tokens missing: input + output
    assert call.usage == Usage(input=600, cache_read=100, output=30)
    assert call.project.startswith("…") and call.project.endswith("/very-long-folder/shop")
    assert len(call.project) == 256


def test_cached_tokens_growing_faster_than_input_is_a_bad_field_not_a_negative_call() -> None:
    reader, calls = read([meta(), turn("gpt-5.4"), tokens(1000, 0, 10, 0), tokens(1500, 900, 20, 0),
                          tokens(2500, 1000, 30, 0)])
    assert [(c.event_id, c.usage) for c in calls] == [
        (f"codex:{SESSION}:1010", Usage(input=1000, output=10)),
        (f"codex:{SESSION}:2530", Usage(input=900, cache_read=100, output=10))]  # from the bad line's total
    assert reader.skipped[BAD_FIELD] == 1 and reader.last_error is not None
    assert "cached_input_tokens and cache_write_input_tokens grew by 900 + 0, more than input_tokens (500)" in reader.last_error


def test_a_total_repeated_after_a_call_without_model_bills_nothing() -> None:
    reader, calls = read([meta(), tokens(1000, 0, 10, 0), tokens(1000, 0, 10, 0)])
    assert calls == [] and reader.skipped == {NO_USAGE: 2, NO_MODEL: 1}


@pytest.mark.parametrize(("source", "tier"), [
    ("cli", "main"), ("exec", "main"), ({"subagent": "review"}, "subagent"),
    ({"subagent": {"thread_spawn": {"parent_thread_id": PARENT, "depth": 1, "agent_nickname": "scout"}}}, "subagent"),
])
def test_sessions_codex_starts_itself_are_tier_subagent(source: Any, tier: str) -> None:
    _, calls = read([meta(source=source), turn("gpt-5.4"), tokens(100, 0, 5, 0)])
    assert [c.tier for c in calls] == [tier]


def test_cache_writes_of_newer_models_are_their_own_bucket_and_priced() -> None:
    def total(i: int, c: int, w: int, o: int) -> bytes:
        return line("event_msg", {"type": "token_count", "info": {"total_token_usage": {
            "input_tokens": i, "cached_input_tokens": c, "cache_write_input_tokens": w, "output_tokens": o,
            "reasoning_output_tokens": 0, "total_tokens": i + o}}}, "2026-12-02T10:00:00.000Z")
    _, calls = read([meta(), turn("gpt-5.6-sol"), total(30000, 0, 28000, 500), total(62000, 28000, 30000, 900)])
    assert [(c.event_id, c.usage) for c in calls] == [
        (f"codex:{SESSION}:30500", Usage(input=2000, cache_write=28000, output=500)),
        (f"codex:{SESSION}:62900", Usage(input=2000, cache_read=28000, cache_write=2000, output=400))]
    events = record_all(CostTracker(fallback=False), calls)
    # gpt-5.6-sol from 2026-12-01: 5 input, 0.50 cached, 6.25 cache write, 30 output per 1M
    assert [e.cost_units for e in events] == [
        (2000 * 5 * 10**6) + (28000 * 6_250_000) + (500 * 30 * 10**6),
        (2000 * 5 * 10**6) + (28000 * 500_000) + (2000 * 6_250_000) + (400 * 30 * 10**6)]


# -- Codex 0.153+: per-response token_usage_record lines, the service tier, paginated rollouts ----------
def used(i: int, c: int, o: int, r: int = 0) -> dict[str, int]:
    return {"input_tokens": i, "cached_input_tokens": c, "cache_write_input_tokens": 0, "output_tokens": o,
            "reasoning_output_tokens": r, "total_tokens": i + o}


def record(response: str, usage: tuple[int, int, int], thread_total: tuple[int, int, int], *, turn: str = "t1",
           ts: str = "2026-11-30T09:01:00.000Z", ordinal: int | None = None) -> bytes:
    body: dict[str, Any] = {"timestamp": ts}
    if ordinal is not None:
        body["ordinal"] = ordinal
    body |= {"type": "token_usage_record", "payload": {
        "thread_id": SESSION, "turn_id": turn, "session_id": SESSION, "root_turn_id": turn, "response_id": response,
        "usage": used(*usage), "turn_token_usage": used(*usage), "thread_token_usage": used(*thread_total)}}
    return json.dumps(body, separators=(",", ":")).encode()


def settings(tier: str | None, model: str = "gpt-5.4") -> bytes:
    thread = {"model": model, "model_provider_id": "openai", "approval_policy": "on-request"}
    if tier is not None:
        thread["service_tier"] = tier
    return line("event_msg", {"type": "thread_settings_applied", "thread_id": SESSION, "thread_settings": thread})


def test_records_bill_each_response_and_the_totals_after_them_are_not_billed_again() -> None:
    lines = [meta(), turn("gpt-5.4"), *chatter("go"),
             record("resp_1", (12000, 0, 400), (12000, 0, 400)), tokens(12000, 0, 400, 0),
             record("resp_2", (13000, 11800, 500), (25000, 11800, 900)), tokens(25000, 11800, 900, 0),
             # a remote compaction: a response of its own, kept out of the running total
             record("resp_3", (30000, 0, 2000), (25000, 11800, 900)), tokens(25000, 11800, 900, 0)]
    reader, calls = read(lines)
    assert [(c.event_id, c.usage) for c in calls] == [
        (f"codex:{SESSION}:12400", Usage(input=12000, output=400)),
        (f"codex:{SESSION}:25900", Usage(input=1200, cache_read=11800, output=500)),
        (f"codex:{SESSION}:25900:resp_3", Usage(input=30000, output=2000))]
    assert reader.skipped[codex.RUNNING_TOTAL] == 3
    # the same ids the totals gave before records: an older import of the file counts them once
    _, by_totals = read([meta(), turn("gpt-5.4"), tokens(12000, 0, 400, 0), tokens(25000, 11800, 900, 0)])
    assert [c.event_id for c in by_totals] == [c.event_id for c in calls[:2]]


def test_a_file_continued_by_a_newer_codex_is_billed_by_totals_then_by_records() -> None:
    lines = [meta(), turn("gpt-5.4"), tokens(12000, 0, 400, 0),  # an older Codex: totals only
             record("resp_2", (13000, 11800, 500), (25000, 11800, 900)), tokens(25000, 11800, 900, 0)]
    _, calls = read(lines)
    assert [c.event_id for c in calls] == [f"codex:{SESSION}:12400", f"codex:{SESSION}:25900"]
    assert sum(c.usage.total_tokens for c in calls) == 25900


def test_the_service_tier_in_force_prices_the_call_and_fast_is_priority() -> None:
    lines = [meta(), settings(None), turn("gpt-5.4"), record("resp_1", (1000, 0, 100), (1000, 0, 100)),
             settings("fast"), record("resp_2", (1000, 0, 100), (2000, 0, 200)),
             settings("flex"), record("resp_3", (1000, 0, 100), (3000, 0, 300)),
             settings("default"), record("resp_4", (1000, 0, 100), (4000, 0, 400)),
             settings("Priority"), record("resp_5", (1000, 0, 100), (5000, 0, 500))]
    _, calls = read(lines)
    assert [c.variant for c in calls] == [None, "fast", "flex", None, "priority"]  # as Codex wrote it
    tracker = CostTracker(fallback=False)
    events = record_all(tracker, calls)
    standard, fast, priority = events[0].cost_units, events[1].cost_units, events[4].cost_units
    assert fast == priority == 2 * standard > 0  # OpenAI's Fast (priority) processing: twice standard for gpt-5.4
    # the totals-only path reads the tier too
    _, old = read([meta(), turn("gpt-5.4"), settings("priority"), tokens(1000, 0, 100, 0)])
    assert old[0].variant == "priority"


def served(line_: bytes, requested: str, response: Any) -> bytes:
    """A token_count line with the models Codex names beside its usage."""
    obj = json.loads(line_)
    obj["payload"]["info"] |= {"requested_model": requested, "latest_response_model": response}
    return json.dumps(obj, separators=(",", ":")).encode()


def test_the_model_the_response_named_is_billed_over_the_one_asked_for() -> None:
    lines = [meta(), turn("gpt-6.2-sol"),
             served(tokens(1000, 0, 100, 0), "gpt-6.2-sol", "gpt-6.1-sol-2026-09-29"),  # served another
             tokens(2000, 0, 200, 0),  # says nothing: the turn's model
             served(tokens(3000, 0, 300, 0), "gpt-6.2-sol", "gpt-6.2-sol")]
    _, calls = read(lines)
    assert [c.model for c in calls] == ["gpt-6.1-sol-2026-09-29", "gpt-6.2-sol", "gpt-6.2-sol"]
    tracker = CostTracker(fallback=False)
    first = record_all(tracker, calls)[0]
    assert first.matched == "gpt-6.1-sol"


def test_a_response_model_that_is_not_a_name_is_a_bad_field_and_its_tokens_go_to_the_next_call() -> None:
    reader, calls = read([meta(), turn("gpt-6.2-sol"), served(tokens(1000, 0, 100, 0), "gpt-6.2-sol", 7),
                          tokens(2000, 0, 200, 0)])
    assert reader.skipped[BAD_FIELD] == 1 and "token_count.info.latest_response_model" in reader.last_error
    assert [(c.model, c.usage.input, c.usage.output) for c in calls] == [("gpt-6.2-sol", 2000, 200)]


@pytest.mark.parametrize("tier", ["us east", 7])
def test_an_unreadable_service_tier_leaves_the_calls_after_it_unpriced_not_at_the_tier_before(tier: Any) -> None:
    lines = [meta(), turn("gpt-5.4"), settings("fast"), tokens(1000, 0, 100, 0),
             settings(tier), tokens(2000, 0, 200, 0), settings("default"), tokens(3000, 0, 300, 0)]
    reader, calls = read(lines)
    assert [c.variant for c in calls] == ["fast", "unreadable", None]
    assert reader.skipped[BAD_FIELD] == 1 and "thread_settings.service_tier" in reader.last_error
    events = record_all(CostTracker(fallback=False), calls)
    assert events[1].cost_units is None and events[1].usage.input == 1000  # counted, unpriced


def test_a_reasoning_count_that_shrinks_is_no_restart() -> None:
    """Reasoning is inside output: a running total whose reasoning falls while the rest grows bills the call."""
    _, calls = read([meta(), turn("gpt-5.4"), tokens(1000, 0, 100, 50), tokens(2000, 0, 200, 40)])
    assert [(c.event_id, c.usage.input, c.usage.output) for c in calls] == [
        (f"codex:{SESSION}:1100", 1000, 100), (f"codex:{SESSION}:2200", 1000, 100)]


def test_ultrafast_is_read_and_priced_at_three_times_standard_on_gpt_6_2() -> None:
    lines = [meta(), turn("gpt-6.2-sol"), record("resp_1", (1000, 0, 100), (1000, 0, 100)),
             settings("ultrafast"), record("resp_2", (1000, 0, 100), (2000, 0, 200))]
    _, calls = read(lines)
    assert [c.variant for c in calls] == [None, "ultrafast"]
    events = record_all(CostTracker(fallback=False), calls)
    assert events[1].cost_units == 3 * events[0].cost_units > 0  # 3x through 2027-02-28 (pricing/openai.toml)


def test_a_paginated_subagent_bills_its_own_records_only() -> None:
    """A spawned subagent's rollout: its parent's history copied below subagent_history_start_ordinal,
    a checkpoint's token_count carrying another thread's running total; its own responses as records."""
    lines = [json.dumps({"timestamp": "2026-11-30T09:00:00.000Z", "ordinal": 0, "type": "session_meta", "payload": {
        "id": SESSION, "cwd": CWD, "history_mode": "paginated", "subagent_history_start_ordinal": 5,
        "source": {"subagent": {"thread_spawn": {"parent_thread_id": PARENT}}}}}).encode(),
        turn("gpt-5.4"),
        tokens(90000, 50000, 9000, 0),  # a checkpoint: another thread's running total, before any record
        record("resp_parent", (9000, 0, 900), (9000, 0, 900), ordinal=3),  # a copy (never written, but never billed)
        record("resp_own", (2000, 1000, 300), (2000, 1000, 300), ordinal=7)]
    reader, calls = read(lines)
    assert [(c.event_id, c.tier, c.usage) for c in calls] == [
        (f"codex:{SESSION}:2300", "subagent", Usage(input=1000, cache_read=1000, output=300))]
    assert reader.skipped[codex.COPIED] == 1 and reader.skipped[codex.RUNNING_TOTAL] == 1


def test_a_compacted_lines_snapshot_of_a_record_is_never_billed() -> None:
    snapshot = line("compacted", {"message": "summary", "compaction_response_id": "resp_9",
                                  "latest_token_usage_record": {"response_id": "resp_9", "usage": used(5000, 0, 500)}})
    reader, calls = read([meta(), turn("gpt-5.4"), snapshot])
    assert calls == [] and reader.skipped == {NO_USAGE: 3}


def test_a_bad_service_tier_or_record_is_a_bad_field_naming_it() -> None:
    reader, calls = read([meta(), line("event_msg", {"type": "thread_settings_applied", "thread_settings": {
        "service_tier": 2}}), turn("gpt-5.4"), record("", (1, 0, 1), (1, 0, 1))])
    assert calls == [] and reader.skipped[BAD_FIELD] == 2
    assert "service_tier must be a string" in reader.errors[0] and "response_id" in reader.errors[1]


@pytest.mark.parametrize("bad", [{"response_id": None}, {"usage": "lots"}, {"usage": None}, {"response_id": 42}])
def test_a_record_that_cannot_be_read_is_said_and_its_response_billed_from_the_next_total(bad: dict[str, Any]) -> None:
    broken = json.loads(record("resp_2", (13000, 11800, 500), (25000, 11800, 900)))
    broken["payload"].update(bad)
    lines = [meta(), turn("gpt-5.4"), record("resp_1", (12000, 0, 400), (12000, 0, 400)), tokens(12000, 0, 400, 0),
             json.dumps(broken).encode(), tokens(25000, 11800, 900, 0),
             record("resp_3", (1000, 0, 100), (26000, 11800, 1000)), tokens(26000, 11800, 1000, 0)]
    reader, calls = read(lines)
    assert [(c.event_id, c.usage) for c in calls] == [
        (f"codex:{SESSION}:12400", Usage(input=12000, output=400)),
        (f"codex:{SESSION}:25900", Usage(input=1200, cache_read=11800, output=500)),  # from the totals
        (f"codex:{SESSION}:27000", Usage(input=1000, output=100))]
    assert reader.skipped[BAD_FIELD] == 1 and reader.skipped[codex.RUNNING_TOTAL] == 2


def test_an_ordinal_that_is_not_a_number_is_a_bad_field_not_the_threads_own() -> None:
    meta_line = json.dumps({"timestamp": "2026-11-30T09:00:00.000Z", "ordinal": 0, "type": "session_meta", "payload": {
        "id": SESSION, "cwd": CWD, "history_mode": "paginated", "subagent_history_start_ordinal": 3}}).encode()
    copied = json.loads(record("resp_parent", (7000, 0, 700), (7000, 0, 700)))
    copied["ordinal"] = "2"
    reader, calls = read([meta_line, turn("gpt-5.4"), json.dumps(copied).encode()])
    assert calls == [] and reader.skipped[BAD_FIELD] == 1 and "ordinal must be" in reader.errors[-1]
