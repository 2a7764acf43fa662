"""Claude Code's session logs (integrations/claude_code.py): every field it reads, every line it skips."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from costpanel import Usage
from costpanel.adapters import from_anthropic
from costpanel.usage import MAX_COUNT
from costpanel.integrations import claude_code as cc
from costpanel.integrations.logs import (
    API_ERROR,
    BAD_FIELD,
    BLANK,
    LINES,
    MALFORMED,
    NO_MODEL,
    NO_USAGE,
    SYNTHETIC,
    LogCall,
)

SESSION = "5d0f1c2a-8b7e-4f6d-9a3c-2e1b0d9c8f7a"
TS = "2026-11-30T09:12:04.511Z"
EPOCH = dt.datetime(2026, 11, 30, 9, 12, 4, 511000, tzinfo=dt.timezone.utc).timestamp()


def usage(**over: Any) -> dict[str, Any]:
    """``message.usage`` as Claude Code 2.1 writes it (a 1-hour write, no search)."""
    base: dict[str, Any] = {
        "input_tokens": 3, "cache_creation_input_tokens": 1800, "cache_read_input_tokens": 41250,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 1800},
        "output_tokens": 412, "service_tier": "standard",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not ...}


def line(*, msg: dict[str, Any] | None = None, **over: Any) -> bytes:
    """An assistant line of Claude Code 2.1.x; keyword ``...`` drops a field."""
    message: dict[str, Any] = {
        "model": "claude-opus-4-8", "id": "msg_01XhL6sQ8JkvJ1cW2mWcU8Ra", "type": "message", "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_01", "name": "Read", "input": {"file_path": "/x"}}],
        "stop_reason": "tool_use", "stop_sequence": None, "usage": usage(),
    }
    message.update(msg or {})
    obj: dict[str, Any] = {
        "parentUuid": "0b6c1e1e-11aa-4a52-9b8e-2b1d8c7f9a01", "isSidechain": False, "userType": "external",
        "cwd": "/home/me/shop", "sessionId": SESSION, "version": "2.1.37", "gitBranch": "main",
        "message": {k: v for k, v in message.items() if v is not ...},
        "requestId": "req_011CVbN2mJ9xq7Lk3RtYp4Wd", "type": "assistant",
        "uuid": "7e3a9c4d-2f1b-4d8e-a6c5-9b0e1f2a3d4c", "timestamp": TS,
    }
    obj.update(over)
    return orjson.dumps({k: v for k, v in obj.items() if v is not ...})


def read(path: Path, *lines: bytes) -> tuple[list[LogCall], cc.Reader]:
    reader = cc.Reader(path)
    return reader.read_lines(list(lines)), reader


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "projects" / "-home-me-shop" / f"{SESSION}.jsonl"


def test_an_assistant_line_becomes_the_call_it_logs(log: Path) -> None:
    (call,), reader = read(log, line())
    assert call == LogCall("claude-code:msg_01XhL6sQ8JkvJ1cW2mWcU8Ra:req_011CVbN2mJ9xq7Lk3RtYp4Wd", EPOCH,
                           "claude-opus-4-8", Usage(input=3, cache_read=41250, cache_write_1h=1800, output=412),
                           "main", SESSION, "/home/me/shop", None, "claude-code")
    assert (cc.SOURCE, cc.KIND, reader.lines, sum(reader.skipped.values())) == ("claude-code", LINES, 1, 0)


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, Usage(input=3, cache_read=41250, cache_write_1h=1800, output=412)),
    ({"cache_creation": {"ephemeral_5m_input_tokens": 600, "ephemeral_1h_input_tokens": 1200}},
     Usage(input=3, cache_read=41250, cache_write=600, cache_write_1h=1200, output=412)),
    ({"cache_creation": ...}, Usage(input=3, cache_read=41250, cache_write=1800, output=412)),  # before the TTL split
    ({"cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 1000}},  # the rest: 5-minute
     Usage(input=3, cache_read=41250, cache_write=800, cache_write_1h=1000, output=412)),
    ({"cache_creation_input_tokens": ..., "cache_creation": {"ephemeral_5m_input_tokens": 7,
                                                             "ephemeral_1h_input_tokens": 9}},
     Usage(input=3, cache_read=41250, cache_write=7, cache_write_1h=9, output=412)),
    ({"server_tool_use": {"web_search_requests": 3, "web_fetch_requests": 2}},
     Usage(input=3, cache_read=41250, cache_write_1h=1800, output=412, web_search=3)),
    ({"input_tokens": None, "cache_read_input_tokens": ..., "server_tool_use": None, "cache_creation": None},
     Usage(input=0, cache_write=1800, output=412)),
])
def test_cache_writes_split_by_ttl_and_web_searches_counted(log: Path, fields: dict[str, Any],
                                                             expected: Usage) -> None:
    (call,), _ = read(log, line(msg={"usage": usage(**fields)}))
    assert call.usage == expected
    assert call.usage == from_anthropic(usage(**fields))


@pytest.mark.parametrize(("fields", "variant"), [
    ({"service_tier": "standard", "inference_geo": "not_available"}, None),
    ({"inference_geo": "global", "speed": "standard"}, None),
    ({"service_tier": None, "speed": None}, None),
    ({"speed": "fast"}, "fast"),
    ({"inference_geo": "us"}, "us"),
    ({"speed": "fast", "inference_geo": "us"}, "fast+us"),
    ({"service_tier": "priority"}, "priority"),
    ({"service_tier": "batch"}, "batch"),
])
def test_the_price_variant_comes_from_service_tier_speed_and_inference_geo(log: Path, fields: dict[str, Any],
                                                                          variant: str | None) -> None:
    (call,), _ = read(log, line(msg={"usage": usage(**fields)}))
    assert call.variant == variant


def test_streaming_partials_are_all_yielded_under_one_event_id(log: Path) -> None:
    partial = {"stop_reason": None, "content": [{"type": "thinking", "thinking": "Let me", "signature": "x"}]}
    lines = [line(msg={**partial, "usage": usage(output_tokens=out)}, timestamp=f"2026-11-30T09:12:0{k}.000Z")
             for k, out in enumerate((1, 27))] + [line()]
    calls, reader = read(log, *lines)
    assert [c.usage.output for c in calls] == [1, 27, 412]  # de-duplication is the tracker's and ledger's job
    assert len({c.event_id for c in calls}) == 1
    assert calls[0].ts == dt.datetime(2026, 11, 30, 9, 12, 0, tzinfo=dt.timezone.utc).timestamp()
    assert reader.lines == 3


def test_a_missing_request_id_leaves_the_event_id_ending_empty(log: Path) -> None:
    (behind_proxy, null_id), _ = read(log, line(requestId=...), line(requestId=None))
    assert behind_proxy.event_id == null_id.event_id == "claude-code:msg_01XhL6sQ8JkvJ1cW2mWcU8Ra:"


def test_a_line_without_message_id_falls_back_to_its_uuid(log: Path) -> None:
    (call,), _ = read(log, line(msg={"id": ...}))
    assert call.event_id == "claude-code:7e3a9c4d-2f1b-4d8e-a6c5-9b0e1f2a3d4c:req_011CVbN2mJ9xq7Lk3RtYp4Wd"


def test_subagent_lines_and_files_get_the_subagent_tier(tmp_path: Path, log: Path) -> None:
    main, side, agent = read(log, line(), line(isSidechain=True), line(agentId="a3f9c21"))[0]
    assert (main.tier, side.tier, agent.tier) == ("main", "subagent", "subagent")
    sub = log.parent / SESSION / "subagents" / "agent-a3f9c21.jsonl"
    (call,), _ = read(sub, line(isSidechain=..., sessionId=...))
    assert (call.tier, call.session, call.project) == ("subagent", SESSION, "/home/me/shop")


def test_the_session_falls_back_to_the_file_name_and_the_project_to_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "projects" / "-home-me-shop" / "abc-123.jsonl"
    (call,), _ = read(path, line(sessionId=..., cwd=...))
    assert (call.session, call.project) == ("abc-123", "/home/me/shop")
    (win,), _ = read(tmp_path / "C--Users-me-app" / "s.jsonl", line(cwd=""))
    assert win.project == "C:\\Users\\me\\app"
    (loose,), _ = read(tmp_path / "logs" / "s.jsonl", line(cwd=None))
    assert loose.project == "logs"


def test_decode_project_reverses_claude_codes_folder_names() -> None:
    assert cc.decode_project("-home-me-shop") == "/home/me/shop"
    assert cc.decode_project("-Users-ann-Code-site") == "/Users/ann/Code/site"
    assert cc.decode_project("D--work-x") == "D:\\work\\x"
    assert cc.decode_project("plain") == "plain"


def test_names_checked_once_are_shared_by_readers_and_the_cache_stays_bounded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Readers of one process share the names they checked (an import reads hundreds of files of the
    same models and projects), and the cache starts over at its bound: every call is still read."""
    monkeypatch.setattr(cc, "MAX_CHECKED", 4)
    monkeypatch.setattr(cc, "_CHECKED", {})
    sessions = [f"s-{n}" for n in range(10)]
    calls, reader = read(tmp_path / "a.jsonl", *(line(sessionId=s, msg={"id": f"msg_{s}"}) for s in sessions))
    assert [c.session for c in calls] == sessions
    assert reader._checked is cc._CHECKED and len(cc._CHECKED) <= 4
    again, other = read(tmp_path / "b.jsonl", line(sessionId="s-9", msg={"id": "msg_x"}))
    assert other._checked is reader._checked and again[0].session == "s-9"


def test_a_cwd_longer_than_a_label_keeps_its_tail(log: Path) -> None:
    deep = "/home/me/" + "nested/" * 60 + "project-at-the-end"
    (call,), _ = read(log, line(cwd=deep))
    assert len(call.project) == 256 and call.project.endswith("/project-at-the-end") and call.project[0] == "…"


BACKUPS = {f"src/f{k}.py": {"version": k} for k in range(20000)}
HUGE_SNAPSHOT = orjson.dumps({"type": "file-history-snapshot", "messageId": "m", "isSnapshotUpdate": False,
                              "snapshot": {"trackedFileBackups": BACKUPS}})
SYNTHETIC_LINE = line(msg={"model": "<synthetic>", "id": "4f1e0c3a", "stop_reason": "stop_sequence",
                           "usage": usage(input_tokens=0, output_tokens=0, cache_creation_input_tokens=0,
                                          cache_read_input_tokens=0, cache_creation=..., service_tier=None)})
ERROR_LINE = orjson.loads(SYNTHETIC_LINE) | {"isApiErrorMessage": True}
ERROR_LINE["message"]["content"] = [{"type": "text", "text": 'API Error: 529 {"type":"overloaded_error"}'}]


@pytest.mark.parametrize(("raw", "reason", "says"), [
    (orjson.dumps({"type": "user", "sessionId": SESSION, "message": {"role": "user", "content": "fix the usage text"}}),
     NO_USAGE, None),
    (orjson.dumps({"type": "summary", "summary": "Refactor", "leafUuid": "u"}), NO_USAGE, None),
    (HUGE_SNAPSHOT, NO_USAGE, None),
    (b"\x00\x00\xff garbage without the key", NO_USAGE, None),  # never parsed: no "usage" in its bytes
    (orjson.dumps({"type": "user", "message": {"role": "user", "content": "x"},
                   "toolUseResult": {"agentId": "a1", "usage": {"input_tokens": 8, "output_tokens": 900}}}),
     NO_USAGE, None),
    (orjson.dumps({"type": "progress", "data": {"message": {"type": "assistant", "message": {
        "id": "msg_x", "model": "claude-haiku-4-5", "usage": usage()}}}}), NO_USAGE, None),
    (line(msg={"usage": {}}), NO_USAGE, None),
    (line(msg={"usage": None}), NO_USAGE, None),
    (SYNTHETIC_LINE, SYNTHETIC, None),
    (orjson.dumps(ERROR_LINE), API_ERROR, None),
    (line(msg={"model": ...}), NO_MODEL, None),
    (line(msg={"model": ""}), NO_MODEL, None),
    (line()[:300] + b'"usage":{"input_tokens":3,' + b"\x00" * 20, MALFORMED, None),
    (b'\xff\xfe"usage"\x00\x01', MALFORMED, None),
    (b'["usage"]', BAD_FIELD, "JSON object"),
    (line(msg={"usage": [1, 2]}), BAD_FIELD, "message.usage must be an object"),
    (line(msg={"usage": usage(input_tokens="12")}), BAD_FIELD, "message.usage.input_tokens must be an integer"),
    (line(msg={"usage": usage(output_tokens=-4)}), BAD_FIELD, "output_tokens must be an integer from 0"),
    (line(msg={"usage": usage(output_tokens=True)}), BAD_FIELD, "got bool True"),
    (line(msg={"usage": usage(cache_read_input_tokens=1.5)}), BAD_FIELD, "cache_read_input_tokens"),
    (line(msg={"usage": usage(output_tokens=10**13)}), BAD_FIELD, "output_tokens"),
    (line(msg={"usage": usage(cache_creation=[0, 5])}), BAD_FIELD, "cache_creation must be an object"),
    (line(msg={"usage": usage(cache_creation={"ephemeral_1h_input_tokens": "9"})}), BAD_FIELD,
     "cache_creation.ephemeral_1h_input_tokens"),
    (line(msg={"usage": usage(cache_creation={"ephemeral_5m_input_tokens": 5, "ephemeral_1h_input_tokens": 1800})}),
     BAD_FIELD, "exceeds message.usage.cache_creation_input_tokens (1800)"),
    (line(msg={"usage": usage(cache_creation={"ephemeral_5m_input_tokens": 1, "ephemeral_1h_input_tokens": 1800})}),
     BAD_FIELD, "ephemeral_5m_input_tokens (1) + ephemeral_1h_input_tokens (1800) exceeds"),
    (line(msg={"usage": usage(server_tool_use={"web_search_requests": -1})}), BAD_FIELD, "web_search_requests"),
    (line(msg={"usage": usage(server_tool_use=3)}), BAD_FIELD, "server_tool_use must be an object"),
    (line(timestamp=...), BAD_FIELD, "timestamp must be an ISO 8601 string, got NoneType"),
    (line(timestamp="2026-11-30T09:12:04"), BAD_FIELD, "offset"),
    (line(timestamp="yesterday"), BAD_FIELD, "'yesterday'"),
    (line(timestamp=1764493924), BAD_FIELD, "got int"),
    (line(msg={"id": 17}), BAD_FIELD, "message.id and requestId must be strings"),
    (line(requestId=["r"]), BAD_FIELD, "requestId"),
    (line(msg={"id": "x" * 300}), BAD_FIELD, "usable event id"),
    (line(msg={"model": 7}), BAD_FIELD, "message.model must be a str"),
    (line(msg={"model": "claude\nopus"}), BAD_FIELD, "control character"),
    (line(sessionId=12), BAD_FIELD, "sessionId must be a str"),
    (line(cwd=["/x"]), BAD_FIELD, "cwd must be a string"),
    (line(cwd="/home/\x1b[31mme"), BAD_FIELD, "control character"),
])
def test_a_line_that_bills_nothing_is_skipped_with_its_reason_and_reading_goes_on(
        log: Path, raw: bytes, reason: str, says: str | None) -> None:
    calls, reader = read(log, raw, line())
    assert len(calls) == 1 and calls[0].usage.output == 412
    assert dict(reader.skipped) == {reason: 1}
    assert reader.lines == 2
    if says is not None:
        assert reader.last_error is not None and says in reader.last_error, reader.last_error
        assert reader.last_error.startswith(f"{log}:1: ")


@pytest.mark.parametrize("raw", [
    line(msg={"model": ["claude-opus-4-8"]}), line(sessionId={"id": 1}), line(cwd=["/x"]), line(cwd={"a": 1}),
    line(msg={"id": ["m"]}), line(requestId={"r": 1}), line(isSidechain=[1], agentId={"a": 1}, timestamp=[TS]),
])
def test_unhashable_values_after_good_lines_are_bad_fields_not_crashes(log: Path, raw: bytes) -> None:
    calls, reader = read(log, line(), raw, line())  # the first line fills the reader's caches
    assert len(calls) == 2 and dict(reader.skipped) == {BAD_FIELD: 1}


@pytest.mark.parametrize("fields", [{"speed": "very fast"}, {"service_tier": ""}, {"service_tier": "batch", "speed": "fast"}])
def test_a_tier_that_is_no_variant_name_counts_the_call_unpriced_not_dropped(log: Path, fields: dict[str, Any]) -> None:
    from costpanel import CostTracker
    from costpanel.variants import UNREADABLE

    (call,), reader = read(log, line(msg={"usage": usage(**fields)}))
    assert call.variant == UNREADABLE and call.usage.output == 412 and not reader.skipped
    event = CostTracker(fallback=False).record(call.model, call.usage, variant=call.variant)
    assert event.cost_units is None and event.usage.output == 412  # its tokens counted, never at a price guessed


@pytest.mark.parametrize("fields", [{"speed": ["fast"]}, {"service_tier": {"x": 1}}, {"inference_geo": []}])
def test_a_variant_field_that_is_not_a_string_is_ignored_as_variant_of_does(log: Path, fields: dict[str, Any]) -> None:
    (call,), reader = read(log, line(msg={"usage": usage(**fields)}))
    assert call.variant is None and not reader.skipped


def test_line_numbers_and_counts_carry_over_between_batches(log: Path) -> None:
    reader = cc.Reader(log)
    reader.read_lines([line(), b'{"type":"summary"}'])
    reader.read_lines([])
    reader.read_lines([b"", line(timestamp="soon")])
    assert reader.lines == 4 and dict(reader.skipped) == {NO_USAGE: 1, BLANK: 1, BAD_FIELD: 1}
    assert reader.last_error is not None and reader.last_error.startswith(f"{log}:4: timestamp")


def test_blank_lines_are_counted_as_lines_and_skipped_as_blank(log: Path) -> None:
    """lines = calls + skipped: a blank or whitespace-only line is a skip of its own, not "no usage"."""
    calls, reader = read(log, b"", b"   ", line(), b"\t", b'{"type":"user"}')
    assert (len(calls), reader.lines, dict(reader.skipped)) == (1, 5, {BLANK: 3, NO_USAGE: 1})


def test_reset_changes_nothing_a_reread_would_double(log: Path) -> None:
    reader = cc.Reader(log)
    first = reader.read_lines([line()])
    reader.reset()
    assert reader.read_lines([line()]) == first  # the same event id: the upsert counts it once


counts = st.one_of(st.none(), st.integers(0, 3_000_000), st.integers(-5, -1), st.booleans(), st.just("7"),
                 st.sampled_from([MAX_COUNT, MAX_COUNT + 1]), st.just(2.0))


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "input_tokens": counts, "output_tokens": counts, "cache_read_input_tokens": counts,
    "cache_creation_input_tokens": counts,
    "cache_creation": st.one_of(st.none(), st.fixed_dictionaries({}, optional={
        "ephemeral_5m_input_tokens": counts, "ephemeral_1h_input_tokens": counts})),
    "server_tool_use": st.one_of(st.none(), st.fixed_dictionaries({}, optional={"web_search_requests": counts})),
}))
def test_the_fast_usage_path_agrees_with_from_anthropic(raw: dict[str, Any]) -> None:
    markers = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    assume(any(raw.get(k) is not None for k in markers))  # else from_anthropic says "not a usage block"
    try:
        expected: Usage | str = from_anthropic(raw)
    except ValueError:
        expected = "refused"
    try:
        got: Usage | str = cc.usage_of(raw)
    except cc.BadLine:
        got = "refused"
    assert got == expected


def test_default_roots_follow_claude_config_dir_else_both_home_folders(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    assert cc.default_roots() == [tmp_path / "home" / ".config" / "claude", tmp_path / "home" / ".claude"]
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f" {tmp_path / 'work'} ,,{tmp_path / 'personal'},")
    assert cc.default_roots() == [tmp_path / "work", tmp_path / "personal"]
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "")
    assert cc.default_roots()[1] == tmp_path / "home" / ".claude"


def test_find_files_takes_a_config_dir_a_projects_dir_a_folder_or_a_file(tmp_path: Path) -> None:
    config = tmp_path / "claude"
    files = [config / "projects" / "-a" / "s1.jsonl", config / "projects" / "-a" / "s1" / "subagents" / "agent-x.jsonl",
             config / "projects" / "-b" / "s2.jsonl"]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(line() + b"\n")
    (config / "projects" / "-a" / "notes.txt").write_text("not a log")
    (config / "todos").mkdir()
    (config / "todos" / "t.jsonl").write_text("{}")  # outside projects/: not a session log
    expected = sorted(files)
    assert list(cc.find_files(config)) == expected
    assert list(cc.find_files(config / "projects")) == expected
    assert list(cc.find_files(config / "projects" / "-a")) == sorted(files[:2])
    assert list(cc.find_files(files[2])) == [files[2]]
    assert list(cc.find_files(tmp_path / "missing")) == []


def test_a_default_config_dir_without_projects_has_no_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / ".claude"
    config.mkdir()
    (config / "history.jsonl").write_text('{"display": "fix the tests", "timestamp": 1764493924}\n')
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    assert list(cc.find_files(config)) == []
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "elsewhere"))
    assert list(cc.find_files(config)) == [config / "history.jsonl"]  # a folder named on purpose: all of it


def test_looks_like_knows_claude_code_logs_from_other_jsonl(tmp_path: Path) -> None:
    assert cc.looks_like(tmp_path / "projects" / "-a" / "s.jsonl", b"")
    assert cc.looks_like(tmp_path / "x" / "subagents" / "agent-1.jsonl", b"")
    assert cc.looks_like(tmp_path / "s.jsonl", line())
    assert cc.looks_like(tmp_path / "s.jsonl", HUGE_SNAPSHOT[:4096])
    assert not cc.looks_like(tmp_path / "s.json", line())
    codex = b'{"timestamp":"2026-11-30T09:12:04.511Z","type":"session_meta","payload":{"id":"x","cwd":"/a"}}'
    assert not cc.looks_like(tmp_path / "rollout-1.jsonl", codex)
    ours = b'{"ts": "2026-12-03T14:05:09Z", "model": "gpt-4o", "usage": {"input": 1}}'
    assert not cc.looks_like(tmp_path / "events.jsonl", ours)
    # a log re-serialised with spaces after ":" and "," (json.dumps' default) is still one
    spaced = json.dumps(orjson.loads(line())).encode()
    assert b'"type": "assistant"' in spaced and cc.looks_like(tmp_path / "s.jsonl", spaced)
    snapshot = json.dumps({"type": "file-history-snapshot", "messageId": "m", "snapshot": {}}).encode()
    assert cc.looks_like(tmp_path / "s.jsonl", snapshot)


scalars = st.none() | st.booleans() | st.integers(-2, 10**13) | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = scalars | st.lists(scalars, max_size=3) | st.dictionaries(st.text(max_size=5), scalars, max_size=3)
FIELDS = ("message", "model", "id", "usage", "input_tokens", "cache_creation", "ephemeral_1h_input_tokens",
          "server_tool_use", "speed", "requestId", "sessionId", "cwd", "timestamp", "isSidechain", "agentId",
          "isApiErrorMessage", "uuid")


def _replace(obj: Any, key: str, value: Any) -> Any:
    """``obj`` with every ``key`` (at any depth) set to ``value``."""
    if isinstance(obj, dict):
        return {k: value if k == key else _replace(v, key, value) for k, v in obj.items()}
    return obj


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FIELDS), json_values), min_size=1, max_size=3))
def test_any_field_of_any_type_is_read_or_counted_never_raised(edits: list[tuple[str, Any]]) -> None:
    obj = orjson.loads(line(msg={"usage": usage(server_tool_use={"web_search_requests": 1}, speed="fast")}))
    for key, value in edits:
        obj = _replace(obj, key, value)
    raw = orjson.dumps(obj)
    reader = cc.Reader(Path("projects/-a/s.jsonl"))
    calls = reader.read_lines([raw, raw[: len(raw) // 2]])
    assert len(calls) + sum(reader.skipped.values()) == 2 == reader.lines
    for call in calls:
        assert type(call.usage) is Usage and call.event_id.startswith("claude-code:") and call.model


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1, 1, 1, 1), max_value=dt.datetime(9999, 12, 31, 22)),
       st.integers(min_value=0, max_value=9), st.integers(min_value=0, max_value=999_999_999),
       st.sampled_from(["Z", "z", "+00:00", "-00:00", "+05:30", "-11:45", ""]))
def test_the_fast_path_reads_every_time_as_the_full_parse_does(when: dt.datetime, digits: int, fraction: int,
                                                              offset: str) -> None:
    """The fast path decodes the time in C (msgspec); the full parse reads the string: they agree to
    the bit for any number of fractional digits and offset, or the fast path leaves the line to it."""
    text = f"{when.year:04d}" + when.strftime("-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{fraction:09d}"[:digits]
    text += offset
    raw = line(timestamp=text)
    reader = cc.Reader(Path("projects/-a/s.jsonl"))
    reader._parse(line())
    full, fast = _both_paths(raw, reader)
    assert fast is None or fast == full
    if offset and offset != "z":  # an RFC 3339 time: the usual line, answered by the fast path
        assert isinstance(fast, cc.LogCall)
        if digits <= 6:  # exact in datetime too (more digits are rounded, as the cases below show)
            assert fast.ts == dt.datetime.fromisoformat(text).timestamp()
    if not offset:
        assert full is cc.BadLine  # a time without an offset is refused, never guessed


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-15T18:49:56.463Z", dt.datetime(2026, 3, 15, 18, 49, 56, 463000, tzinfo=dt.timezone.utc)),
    ("2026-03-15T20:49:56.463+02:00", dt.datetime(2026, 3, 15, 18, 49, 56, 463000, tzinfo=dt.timezone.utc)),
    ("2026-03-15T18:49:56.4631239Z", dt.datetime(2026, 3, 15, 18, 49, 56, 463124, tzinfo=dt.timezone.utc)),  # rounded
    ("2026-03-15T18:49:56.9999996Z", dt.datetime(2026, 3, 15, 18, 49, 57, tzinfo=dt.timezone.utc)),
    ("2026-03-15T18:49Z", dt.datetime(2026, 3, 15, 18, 49, tzinfo=dt.timezone.utc)),  # not RFC 3339: ISO 8601
    ("2026-03-15T18:49:56,5Z", dt.datetime(2026, 3, 15, 18, 49, 56, 500000, tzinfo=dt.timezone.utc)),
])
def test_times_are_read_as_rfc_3339_else_as_iso_8601(text: str, expected: dt.datetime) -> None:
    assert cc.timestamp(text) == expected.timestamp()


@pytest.mark.parametrize("bad", ["2026-03-15T18:60:00.000Z", "2026-03-15T18:00:60.000Z", "2026-03-15T18:+5:00.000Z",
                                 "2026-03-15T18: 5:00.000Z", "2026-03-15T18:0\u00b2:00.000Z", "2026-03-15T18:05:00.0x0Z",
                                 "2026-03-15T24:00:00Z", "2026-03-15T18:49:05.-10Z", "2026-03-15T18:49:56", "soon", ""])
def test_a_time_that_is_not_one_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(cc.BadLine, match="timestamp"):
        cc.timestamp(bad)


def _both_paths(raw: bytes, reader: cc.Reader) -> tuple[object, object]:
    """(the full parse's verdict, the fast path's) on one line: a call, a skip reason, or the
    exception class raised; the full parse goes first, so the fast path sees names it checked."""
    verdicts: list[object] = []
    for parse in (reader._parse, reader._fast):
        try:
            verdicts.append(parse(raw))
        except (orjson.JSONDecodeError, cc.BadLine, TypeError, ValueError, AttributeError) as exc:
            verdicts.append(type(exc))
    return verdicts[0], verdicts[1]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FIELDS + ("cache_read_input_tokens", "cache_creation_input_tokens",
                                                    "ephemeral_5m_input_tokens", "web_search_requests",
                                                    "service_tier", "inference_geo", "output_tokens")),
                          json_values | st.integers(min_value=-2, max_value=2**70)), min_size=1, max_size=3))
def test_the_fast_path_reads_every_line_as_the_full_parse_does_or_leaves_it_to_it(
        edits: list[tuple[str, Any]]) -> None:
    obj = orjson.loads(line(msg={"usage": usage(server_tool_use={"web_search_requests": 1})}))
    for key, value in edits:
        obj = _replace(obj, key, value)
    raw = json.dumps(obj, separators=(",", ":")).encode()  # orjson refuses to write ints past 64 bits
    full, fast = _both_paths(raw, cc.Reader(Path("projects/-a/s.jsonl")))
    assert fast is None or fast == full


@pytest.mark.parametrize("raw", [
    line(msg={"usage": {}}), line(msg={"usage": {"service_tier": "standard"}}), line(msg={"usage": None}),
    line(msg={"usage": usage(input_tokens=..., output_tokens=...)}), line(msg={"usage": usage(output_tokens=...)}),
    line(message=None), line(message="text"), line(msg={"model": "<synthetic>"}), line(msg={"model": ""}),
    line(isApiErrorMessage=True), line(msg={"id": ...}), line(msg={"id": ...}, uuid=...), line(requestId=...),
    line(sessionId=""), line(cwd=""), line(isSidechain=True), line(agentId="a1"), line(agentId=""),
    line(msg={"usage": usage(cache_creation=None, cache_creation_input_tokens=7)}),
    line(msg={"usage": usage(cache_creation_input_tokens=10)}),  # the 1-hour breakdown exceeds the total
    line(msg={"usage": usage(speed="fast")}), line(msg={"usage": usage(service_tier="priority")}),
    line(timestamp=...), line(timestamp="2026-03-15T18:49:56.4631239Z"), line(timestamp="2026-03-15T18:49:56"),
    line(msg={"content": [{"type": "text", "text": "\u4e2d\u6587 \U0001f600"}]}),
    line(msg={"content": [{"type": "text", "text": "ok"}]}).replace(b'"ok"', b'"\xff\xfe"'),  # invalid UTF-8
    line(msg={"content": [{"type": "text", "text": "ok"}]}).replace(b'"ok"', b'"\\ud800"'),  # a lone surrogate
    line(msg={"content": [{"type": "text", "text": "ok"}]}).replace(b'"ok"', b'"a\x01b"'),  # a raw control char
    line(msg={"content": [{"n": 1}]}).replace(b'"n":1', b'"n":123456789012345678901234567890'),
    line(msg={"content": [1, 2]}).replace(b"[1,2]", b"[1,2,]"), line()[:-1], line() + b" x",
    line(msg={"usage": usage()}).replace(b'"input_tokens":3', b'"input_tokens":3,"input_tokens":4'),
])
def test_the_fast_path_agrees_with_the_full_parse_on_odd_lines(raw: bytes) -> None:
    reader = cc.Reader(Path("projects/-a/s.jsonl"))
    reader._parse(line())  # the usual names checked: the fast path answers for lines that carry them
    full, fast = _both_paths(raw, reader)
    assert fast is None or fast == full
    # a second time the names are checked: the fast path answers most lines itself
    assert _both_paths(raw, reader)[1] in (None, full)


def test_the_fast_path_reads_a_realistic_corpus_as_the_full_parse_does(tmp_path: Path) -> None:
    from corpora.claude_code import write_corpus

    write_corpus(tmp_path, seed=3, lines=3000)
    answered = total = 0
    for path in sorted(tmp_path.rglob("*.jsonl")):
        reader = cc.Reader(path)
        for raw in path.read_bytes().split(b"\n"):
            if b'"usage"' not in raw:
                continue
            full, fast = _both_paths(raw, reader)
            assert fast is None or fast == full, raw[:200]
            total += 1
            answered += fast is not None
    assert answered >= 0.9 * total  # the usual line never takes the slow way


def _read_both_ways(raw: bytes) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(calls, lines, skips, errors) of ``raw`` read line by line, and read as one block."""
    out = []
    for way in ("lines", "block"):
        reader = cc.Reader(Path("projects/-a/s.jsonl"))
        if way == "lines":
            parts = raw.split(b"\n") if raw else []
            if raw.endswith(b"\n"):
                parts.pop()
            calls = reader.read_lines(parts)
        else:
            calls = reader.read_block(raw)
        out.append((calls, reader.lines, dict(reader.skipped), list(reader.errors)))
    return out[0], out[1]


@pytest.mark.parametrize("raw", [
    b"", b"\n", b"\n\n  \n\t\r\n", line() + b"\n", line(), b"\n" + line() + b"\n\n",
    b'{"type":"summary"}\n' + line() + b"\n \n" + line(msg={"usage": usage(output_tokens=9)}) + b"\n{x\n",
    line() + b"\n" + line() + b"\n",  # the same call twice
    b'{"text":"\\"usage\\" in a prompt"}\n' + line(),  # "usage" in a line that bills nothing
    line().replace(b'"usage"', b'"usage","x":{"usage":1},"usage"', 1) + b"\n",  # the mark twice on one line
    b'\x00\xff"usage"\n' + line(timestamp="soon") + b"\n" + line() + b"\n",  # garbage and a bad field: line 2
])
def test_a_block_is_read_as_its_lines_are(raw: bytes) -> None:
    """``read_block`` (what an import uses: a byte search, the other lines only counted) gives the
    calls, line count, skips and named bad lines that reading the same lines one by one gives."""
    by_lines, by_block = _read_both_ways(raw)
    assert by_block == by_lines


def _lines_by_split(block: bytes, start: int, end: int) -> tuple[int, int]:
    lines = block[start:end].split(b"\n")
    if not lines[-1]:
        lines.pop()
    return len(lines), sum(not line.strip() for line in lines)


@given(st.lists(st.sampled_from([b"{}", b"{", b"}", b"", b" ", b"\t", b"\r", b"x", b' {"a":1}', b"{ }"]),
                max_size=8).map(b"\n".join), st.booleans(), st.data())
@settings(max_examples=400, deadline=None)
def test_lines_and_blank_lines_between_usage_lines_are_counted_exactly(body: bytes, newline: bool,
                                                                       data: st.DataObject) -> None:
    """``_lines_in`` (C counts when every line starts with ``{``) counts lines and blank or
    whitespace-only ones as splitting the span into lines does, from any line's start."""
    block = body + b"\n" if newline else body
    starts = [0] + [n + 1 for n, byte in enumerate(block) if byte == 10]
    start = data.draw(st.sampled_from(starts))
    end = data.draw(st.sampled_from([n for n in [*starts, len(block)] if n >= start]))
    assert cc._lines_in(block, start, end) == _lines_by_split(block, start, end)


def test_a_realistic_corpus_is_read_as_blocks_as_it_is_line_by_line(tmp_path: Path) -> None:
    from corpora.claude_code import write_corpus

    write_corpus(tmp_path, seed=4, lines=2000)
    files = sorted(tmp_path.rglob("*.jsonl"))
    assert files
    for path in files:
        by_lines, by_block = _read_both_ways(path.read_bytes())
        assert by_block == by_lines
        assert by_block[1] == path.read_bytes().count(b"\n") + (not path.read_bytes().endswith(b"\n"))


def test_a_bad_line_is_named_by_its_file_line_and_column_not_orjsons_line_1(log: Path) -> None:
    """orjson counts lines within what it was given: for one log line always "line 1", which next
    to the file's own line number reads as a contradiction. The column is kept."""
    _, reader = read(log, line(), b'{"type":"assistant","message":{"usage": {"input_tokens": 1,')
    (message,) = reader.errors
    assert message == f"{log}:2: not JSON (unexpected end of data at column 60)"  # the line is 59 bytes: just past it
    assert "line 1" not in message


# ------------------------------------------------------------------------------ advisor calls
def advised(**advisor: Any) -> dict[str, Any]:
    """A usage whose executor consulted an advisor (Claude Code's /advisor): the top-level counts are
    the executor's two ``message`` iterations summed; the advisor's are only in its own entry."""
    entry = {"type": "advisor_message", "model": "claude-opus-4-7", "input_tokens": 159_419, "output_tokens": 7_805,
             "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0, **advisor}
    return usage(input_tokens=2, output_tokens=491, cache_read_input_tokens=226_584, cache_creation_input_tokens=7_853,
                 cache_creation={"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 7_853}, iterations=[
                     {"type": "message", "input_tokens": 1, "output_tokens": 45, "cache_read_input_tokens": 109_696,
                      "cache_creation_input_tokens": 7_192},
                     {k: v for k, v in entry.items() if v is not ...},
                     {"type": "message", "input_tokens": 1, "output_tokens": 446, "cache_read_input_tokens": 116_888,
                      "cache_creation_input_tokens": 661}])


def test_an_advisors_tokens_are_a_call_of_their_own_at_the_advisors_model(log: Path) -> None:
    (executor, advisor), reader = read(log, line(msg={"model": "claude-sonnet-4-6", "usage": advised()},
                                                 advisorModel="claude-opus-4-7", isSidechain=True))
    base = "claude-code:msg_01XhL6sQ8JkvJ1cW2mWcU8Ra:req_011CVbN2mJ9xq7Lk3RtYp4Wd"
    assert executor == LogCall(base, EPOCH, "claude-sonnet-4-6",
                               Usage(input=2, cache_read=226_584, cache_write_1h=7_853, output=491), "subagent",
                               SESSION, "/home/me/shop", None, "claude-code")
    assert advisor == LogCall(f"{base}:advisor1", EPOCH, "claude-opus-4-7", Usage(input=159_419, output=7_805),
                              "subagent", SESSION, "/home/me/shop", None, "claude-code")
    assert (reader.lines, dict(reader.skipped)) == (1, {})


def test_an_advisor_entry_without_a_model_takes_the_lines_advisor_model(log: Path) -> None:
    calls, _ = read(log, line(msg={"usage": advised(model=..., cache_creation_input_tokens=1_000,
                                                    cache_creation={"ephemeral_5m_input_tokens": 0,
                                                                    "ephemeral_1h_input_tokens": 1_000})},
                              advisorModel="claude-fable-5"))
    assert [(c.model, c.usage.cache_write_1h, c.event_id.endswith(":advisor1")) for c in calls[1:]] == [
        ("claude-fable-5", 1_000, True)]


def test_an_advisor_entry_with_no_model_anywhere_is_skipped_and_the_executor_kept(log: Path) -> None:
    calls, reader = read(log, line(msg={"usage": advised(model=...)}))
    assert [c.model for c in calls] == ["claude-opus-4-8"]
    assert reader.skipped == {NO_MODEL: 1} and "iterations[1]" in reader.errors[-1]


def test_an_advisor_entry_with_a_bad_count_is_skipped_naming_it(log: Path) -> None:
    calls, reader = read(log, line(msg={"usage": advised(output_tokens=-5)}))
    assert [c.model for c in calls] == ["claude-opus-4-8"] and reader.skipped == {BAD_FIELD: 1}
    assert "message.usage.iterations[1].output_tokens" in reader.errors[-1] and "-5" in reader.errors[-1]


def test_two_advisor_entries_are_two_calls_and_message_iterations_none(log: Path) -> None:
    u = advised()
    u["iterations"].append({"type": "advisor_message", "model": "claude-opus-4-7", "input_tokens": 170_000,
                            "output_tokens": 900, "cache_read_input_tokens": 159_000})
    calls, _ = read(log, line(msg={"usage": u}))
    assert [c.event_id.rsplit(":", 1)[-1] for c in calls] == ["req_011CVbN2mJ9xq7Lk3RtYp4Wd", "advisor1", "advisor2"]
    assert calls[2].usage == Usage(input=170_000, cache_read=159_000, output=900)


def test_a_line_that_only_mentions_advisor_message_is_one_call(log: Path) -> None:
    calls, _ = read(log, line(msg={"content": [{"type": "text", "text": 'the "advisor_message" type'}],
                                   "usage": usage(iterations=[{"type": "message", "input_tokens": 3}])}))
    assert [c.model for c in calls] == ["claude-opus-4-8"]


def test_advisor_calls_are_imported_once_and_priced_at_the_advisors_rates(tmp_path: Path) -> None:
    from decimal import Decimal

    from costpanel.integrations.ingest import import_logs

    folder = tmp_path / "projects" / "-home-me-shop"
    folder.mkdir(parents=True)
    advisor_line = line(msg={"model": "claude-sonnet-4-6", "usage": advised()})
    (folder / f"{SESSION}.jsonl").write_bytes(advisor_line + b"\n" + advisor_line + b"\n")  # written twice
    db = tmp_path / "l.db"
    first = import_logs([tmp_path], ledger=db, workers=1)
    again = import_logs([tmp_path], ledger=db, workers=1)
    assert (first.added, first.duplicates, again.added, again.replaced) == (2, 2, 0, 0)
    # the advisor: Opus 4.7 at $5 / $25 per million (159,419 in, 7,805 out); the executor: Sonnet 4.6
    # at $3 in, $0.30 cache reads, $6 1-hour writes, $15 out
    assert Decimal(first.added_cost_units) / 10**12 == Decimal("0.797095") + Decimal("0.195125") + \
        Decimal("0.000006") + Decimal("0.0073650") + Decimal("0.0679752") + Decimal("0.0471180")


# ------------------------------------------------------------------------------ context forks
def _session_with_fork(root: Path, fork_name: str) -> tuple[Path, Path]:
    """A session that billed msg_A and msg_B, and a context fork of it that replays both under its
    own request id (as a /btw side question does) before its own call msg_C."""
    session = root / "projects" / "-home-me-shop" / f"{SESSION}.jsonl"
    fork = session.parent / SESSION / "subagents" / fork_name
    fork.parent.mkdir(parents=True)

    def billed(mid: str, req: str, out: int, **over: Any) -> bytes:
        return line(msg={"id": mid, "usage": usage(output_tokens=out)}, requestId=req, **over) + b"\n"

    session.write_bytes(billed("msg_A", "req_A", 100) + billed("msg_B", "req_B", 200))
    fork.write_bytes(billed("msg_A", "req_btw", 100, isSidechain=True) + billed("msg_B", "req_btw", 200, isSidechain=True)
                     + billed("msg_C", "req_btw", 50, isSidechain=True))
    return session, fork


@pytest.mark.parametrize("name", ["agent-aside_question-7f3a9c.jsonl", "agent-acompact-1b2c3d.jsonl"])
def test_a_context_forks_replay_of_its_session_is_skipped_and_its_own_call_kept(tmp_path: Path, name: str) -> None:
    _, fork = _session_with_fork(tmp_path, name)
    calls, reader = read(fork, *fork.read_bytes().splitlines())
    assert [(c.event_id, c.tier) for c in calls] == [("claude-code:msg_C:req_btw", "subagent")]
    assert reader.skipped == {cc.REPLAYED: 2} and reader.lines == 3


def test_an_ordinary_subagents_lines_are_never_taken_for_replays(tmp_path: Path) -> None:
    _, fork = _session_with_fork(tmp_path, "agent-a1b2c3d.jsonl")  # a Task subagent: its own calls
    calls, reader = read(fork, *fork.read_bytes().splitlines())
    assert len(calls) == 3 and not reader.skipped


def test_a_fork_whose_session_file_is_gone_counts_its_lines(tmp_path: Path) -> None:
    session, fork = _session_with_fork(tmp_path, "agent-aside_question-7f3a9c.jsonl")
    session.unlink()
    calls, reader = read(fork, *fork.read_bytes().splitlines())
    assert len(calls) == 3 and not reader.skipped


def test_a_fork_read_before_its_session_grew_reads_the_session_again(tmp_path: Path) -> None:
    session, fork = _session_with_fork(tmp_path, "agent-aside_question-7f3a9c.jsonl")
    first, second, own = fork.read_bytes().splitlines()
    reader = cc.Reader(fork)
    assert len(reader.read_lines([first])) == 0
    session.write_bytes(session.read_bytes() + line(msg={"id": "msg_D"}, requestId="req_D") + b"\n")
    replay_of_d = line(msg={"id": "msg_D"}, requestId="req_btw", isSidechain=True)
    assert reader.read_lines([replay_of_d, own]) == [reader.read_lines([own])[0]]  # msg_D: a replay too
    assert reader.skipped[cc.REPLAYED] == 2


@pytest.mark.parametrize("workers", [1, 2])
def test_an_import_bills_a_replayed_call_once_in_any_reading_order(tmp_path: Path, workers: int) -> None:
    from costpanel.integrations.ingest import import_logs

    _session_with_fork(tmp_path, "agent-aside_question-7f3a9c.jsonl")
    (tmp_path / "projects" / "big.jsonl").write_bytes(b'{"type":"user"}\n' * 300_000)  # enough to fork workers
    result = import_logs([tmp_path], ledger=tmp_path / "l.db", workers=workers)
    assert (result.added, result.duplicates, result.skipped[cc.REPLAYED]) == (3, 0, 2)


def test_an_advisor_line_read_after_its_names_are_known_still_gives_both_calls(log: Path) -> None:
    """The second line of a session takes the fast path (its names are checked): an advisor's entry
    must still send it to the full parse, and a line whose iterations hold no advisor must not."""
    advisor_line = line(msg={"model": "claude-sonnet-4-6", "usage": advised()})
    calls, reader = read(log, advisor_line, advisor_line)
    assert [c.model for c in calls] == ["claude-sonnet-4-6", "claude-opus-4-7"] * 2
    plain = line(msg={"model": "claude-sonnet-4-6", "usage": usage(iterations=[{"type": "message", "input_tokens": 3}])})
    fast = reader._fast(plain)
    assert isinstance(fast, LogCall) and fast.usage.input == 3  # Claude Code writes iterations on most lines now
    assert reader._fast(advisor_line) is None


def test_a_replay_after_the_forks_own_call_is_skipped_on_the_fast_path_too(tmp_path: Path) -> None:
    """A second side question in one file replays the session again after the first one's own
    call: those lines come when the file's names are known (the fast path)."""
    _, fork = _session_with_fork(tmp_path, "agent-aside_question-7f3a9c.jsonl")
    first, second, own = fork.read_bytes().splitlines()
    calls, reader = read(fork, own, first, second)
    assert [c.event_id for c in calls] == ["claude-code:msg_C:req_btw"] and reader.skipped == {cc.REPLAYED: 2}


def test_iterations_of_the_wrong_shape_keep_the_executors_call(log: Path) -> None:
    calls, reader = read(log, line(msg={"usage": usage(iterations={"type": "advisor_message", "input_tokens": 5})}))
    assert [c.model for c in calls] == ["claude-opus-4-8"] and reader.skipped == {BAD_FIELD: 1}
    assert reader.errors[-1].startswith(f"{log}:1: message.usage.iterations must be a list, got dict")
    assert reader.errors[-1].endswith("(the line's own call is counted)")


def test_a_bad_advisor_model_on_the_line_is_named_as_the_lines(log: Path) -> None:
    calls, reader = read(log, line(msg={"usage": advised(model=...)}, advisorModel=7))
    assert len(calls) == 1 and reader.skipped == {BAD_FIELD: 1}
    assert "advisorModel must be a str, got int 7" in reader.errors[-1] and "iterations[1].model" not in reader.errors[-1]


def test_an_advisor_entry_without_counts_bills_nothing(log: Path) -> None:
    calls, reader = read(log, line(msg={"usage": usage(iterations=[{"type": "advisor_message",
                                                                    "model": "claude-opus-4-7"}])}))
    assert [c.model for c in calls] == ["claude-opus-4-8"] and reader.skipped == {NO_USAGE: 1}


def test_a_replay_of_the_line_its_session_is_still_writing_is_a_replay(tmp_path: Path) -> None:
    """The session's last line has no newline yet (Claude Code is writing it) when the fork is read:
    its message id is there all the same, and the replay is not billed under the fork's request."""
    session, fork = _session_with_fork(tmp_path, "agent-aside_question-7f3a9c.jsonl")
    z = line(msg={"id": "msg_Z", "usage": usage(output_tokens=70)}, requestId="req_Z")
    session.write_bytes(session.read_bytes() + z[: len(z) // 2])  # torn: half of the line written
    replay = line(msg={"id": "msg_Z", "usage": usage(output_tokens=70)}, requestId="req_btw", isSidechain=True)
    calls, reader = read(fork, replay, *fork.read_bytes().splitlines())
    assert [c.event_id for c in calls] == ["claude-code:msg_C:req_btw"] and reader.skipped == {cc.REPLAYED: 3}
