"""Gemini CLI chat recordings (costpanel.integrations.gemini_cli) on files shaped like the ones its
ChatRecordingService writes: the appended .jsonl of today and the whole-document .json of before."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costpanel import CostTracker, Usage
from costpanel.integrations import gemini_cli
from costpanel.integrations.logs import BAD_FIELD, MALFORMED, NO_MODEL, NO_USAGE, TORN, LogCall

SESSION = "6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"
CWD = "/home/dev/shop"
SLUG = "shop"
# USD per 1M tokens (pricing/google.toml): input, cached, output
RATES = {"gemini-3-flash-preview": (Decimal("0.50"), Decimal("0.05"), Decimal("3")),
         "gemini-3.5-flash": (Decimal("1.50"), Decimal("0.15"), Decimal("9"))}


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def header(kind: str | None = None) -> dict[str, Any]:
    record = {"sessionId": SESSION, "projectHash": hashlib.sha256(CWD.encode()).hexdigest(),
              "startTime": "2026-11-30T09:00:00.000Z", "lastUpdated": "2026-11-30T09:00:00.000Z"}
    if kind:
        record["kind"] = kind
    return record


def user(mid: str, text: str, ts: str = "2026-11-30T09:00:05.000Z") -> dict[str, Any]:
    return {"id": mid, "timestamp": ts, "type": "user", "content": [{"text": text}]}


def reply(mid: str, model: str | None, ts: str, tokens: dict[str, int] | None, **extra: Any) -> dict[str, Any]:
    record = {"id": mid, "timestamp": ts, "type": "gemini", "content": "Done.", "thoughts": [], "tokens": tokens,
              **extra}
    if model is not None:
        record["model"] = model
    return record


def toks(i: int, o: int, c: int = 0, t: int = 0, tool: int = 0) -> dict[str, int]:
    return {"input": i, "output": o, "cached": c, "thoughts": t, "tool": tool, "total": i + o + t + tool}


def jsonl_records() -> list[dict[str, Any]]:
    """A session as ChatRecordingService appends it: a reply is written first without its usage,
    then whole again once the usage arrives, then again when its tool calls complete."""
    call = {"id": "tc1", "name": "read_file", "args": {"path": "a.py"}, "status": "success",
            "timestamp": "2026-11-30T09:00:09.000Z"}
    return [
        header(),
        user("u1", "explain a.py"),
        reply("g1", "gemini-3-flash-preview", "2026-11-30T09:00:08.000Z", None),
        reply("g1", "gemini-3-flash-preview", "2026-11-30T09:00:08.000Z", toks(9000, 400, 0, 250)),
        reply("g1", "gemini-3-flash-preview", "2026-11-30T09:00:08.000Z", None, toolCalls=[call]),
        {"$set": {"lastUpdated": "2026-11-30T09:00:09.000Z"}},
        reply("g2", "gemini-3-flash-preview", "2026-11-30T09:00:12.000Z", toks(11000, 600, 8000, 100, 1500)),
        user("u2", "now fix it", "2026-11-30T09:01:00.000Z"),
        reply("g3", "gemini-3.5-flash", "2026-11-30T09:01:05.000Z", toks(14000, 900, 10000, 300)),
        {"$rewindTo": "u2"},  # the user went back: g3 was billed all the same
        user("u3", "fix it differently", "2026-11-30T09:02:00.000Z"),
        reply("g4", "gemini-3.5-flash", "2026-11-30T09:02:05.000Z", toks(13000, 700, 12000)),
        {"id": "i1", "timestamp": "2026-11-30T09:02:06.000Z", "type": "info", "content": "Saved."},
    ]


EXPECTED = [  # (message id, model, usage): input - cached + tool, output + thoughts
    ("g1", "gemini-3-flash-preview", Usage(input=9000, output=650)),
    ("g2", "gemini-3-flash-preview", Usage(input=4500, cache_read=8000, output=700)),
    ("g3", "gemini-3.5-flash", Usage(input=4000, cache_read=10000, output=1200)),
    ("g4", "gemini-3.5-flash", Usage(input=1000, cache_read=12000, output=700)),
]


def expected_cost(model: str, usage: Usage) -> int:
    i, c, o = RATES[model]
    return int((usage.input * i + usage.cache_read * c + usage.output * o) * 1_000_000)


def record_all(tracker: CostTracker, calls: list[LogCall]) -> list[Any]:
    return [tracker.record(c.model, c.usage, tier=c.tier, session=c.session, event_id=c.event_id,
                           at=dt.datetime.fromtimestamp(c.ts, dt.timezone.utc), variant=c.variant,
                           source=c.source, project=c.project) for c in calls]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def gemini_home(tmp_path: Path) -> Path:
    """A ~/.gemini with the project registry and the slug folder's .project_root marker."""
    root = tmp_path / ".gemini"
    write(root / "projects.json", dumps({"projects": {CWD: SLUG, "/srv/old-app": "old-app"}}))
    write(root / "tmp" / SLUG / ".project_root", CWD.encode() + b"\n")
    return root


def chat_file(gemini_home: Path, records: list[dict[str, Any]], name: str = "session-2026-11-30T09-00-6f1c2d3e.jsonl",
              tail: bytes = b"") -> Path:
    data = b"".join(dumps(r) + b"\n" for r in records) + tail
    return write(gemini_home / "tmp" / SLUG / "chats" / name, data)


def test_replies_with_tokens_are_calls_in_our_buckets(gemini_home: Path) -> None:
    path = chat_file(gemini_home, jsonl_records())
    reader = gemini_cli.Reader(path)
    calls = reader.read_document(path.read_bytes())
    assert [(c.event_id, c.model, c.usage) for c in calls] == [
        (f"gemini-cli:{SESSION}:{mid}", model, usage) for mid, model, usage in EXPECTED]
    first = calls[0]
    assert (first.tier, first.session, first.project, first.variant, first.source) == (
        "main", SESSION, CWD, None, "gemini-cli")
    assert first.ts == dt.datetime(2026, 11, 30, 9, 0, 8, tzinfo=dt.timezone.utc).timestamp()
    # every line is a call or a reason: the header, u1, g1 still waiting and g1 copied for its tool
    # calls, $set, u2, $rewindTo, u3, i1
    assert reader.skipped == {NO_USAGE: 9} and reader.lines == len(jsonl_records()) == 4 + 9


def test_exact_cost_through_the_tracker_and_a_second_read_adds_nothing(gemini_home: Path) -> None:
    path = chat_file(gemini_home, jsonl_records())
    reader = gemini_cli.Reader(path)
    tracker = CostTracker(fallback=False)
    events = record_all(tracker, reader.read_document(path.read_bytes()))
    want = [expected_cost(model, usage) for _, model, usage in EXPECTED]
    assert [e.cost_units for e in events] == want == [
        6_450_000_000, 4_750_000_000, 18_300_000_000, 9_600_000_000]
    again = record_all(tracker, reader.read_document(path.read_bytes()))  # the file grew: read whole again
    assert {e.status for e in again} == {"duplicate"}
    assert reader.skipped == {NO_USAGE: 9}  # counts describe the latest read, not the sum of reads


def test_a_line_being_written_is_left_for_the_next_read(gemini_home: Path) -> None:
    records = jsonl_records()
    path = chat_file(gemini_home, records[:4], tail=dumps(records[6])[:40])
    reader = gemini_cli.Reader(path)
    assert [c.event_id[-2:] for c in reader.read_document(path.read_bytes())] == ["g1"]
    assert reader.skipped == {NO_USAGE: 3, TORN: 1}  # the header, u1, g1 waiting for its tokens
    path = chat_file(gemini_home, records[:4] + [records[6]])
    assert [c.event_id[-2:] for c in reader.read_document(path.read_bytes())] == ["g1", "g2"]
    assert reader.skipped == {NO_USAGE: 3}


def test_a_legacy_json_document_half_written_then_whole(gemini_home: Path) -> None:
    doc = {**header(), "messages": [user("u1", "hi"), reply("g1", "gemini-3-flash-preview",
                                                             "2026-11-30T09:00:08.000Z", toks(2000, 100, 1000, 50))]}
    text = json.dumps(doc, indent=2).encode()
    path = write(gemini_home / "tmp" / SLUG / "chats" / "session-2026-11-30T09-00-6f1c2d3e.json", text[:120])
    reader = gemini_cli.Reader(path)
    assert reader.read_document(path.read_bytes()) == []
    assert reader.skipped == {MALFORMED: 1}
    calls = reader.read_document(text)
    assert [(c.event_id, c.usage) for c in calls] == [
        (f"gemini-cli:{SESSION}:g1", Usage(input=1000, cache_read=1000, output=150))]
    assert reader.skipped == {NO_USAGE: 1}
    assert reader.lines == 2  # its messages are its lines: lines = usage lines + skipped, as in a log
    # Resuming migrates it to a .jsonl beside it, same session and message ids: counted once.
    migrated = chat_file(gemini_home, [header(), *doc["messages"], {"$set": {"sessionId": SESSION}}],
                         name="session-2026-11-30T09-00-6f1c2d3e.jsonl")
    again = gemini_cli.Reader(migrated).read_document(migrated.read_bytes())
    assert [(c.event_id, c.usage) for c in again] == [(c.event_id, c.usage) for c in calls]


def test_a_checkpoint_set_of_messages_is_read(gemini_home: Path) -> None:
    records = [header(), {"$set": {"messages": [user("u1", "x"), reply("g9", "gemini-3.5-flash",
                                                                       "2026-11-30T10:00:00Z", toks(100, 10))]}}]
    path = chat_file(gemini_home, records)
    reader = gemini_cli.Reader(path)
    calls = reader.read_document(path.read_bytes())
    assert [(c.event_id, c.usage) for c in calls] == [(f"gemini-cli:{SESSION}:g9", Usage(input=100, output=10))]
    # each message of the checkpoint is a call or a reason, as a line is: lines = calls + skipped
    assert reader.lines == len(calls) + sum(reader.skipped.values()) == 3  # the header, u1, g9


def test_a_bad_line_after_a_checkpoint_is_named_by_its_own_line_number(gemini_home: Path) -> None:
    records = [header(), {"$set": {"messages": [user("u1", "x"), user("u2", "y"), user("u3", "z")]}}]
    path = chat_file(gemini_home, records)
    with path.open("ab") as f:
        f.write(b"{not json\n")
    reader = gemini_cli.Reader(path)
    reader.read_document(path.read_bytes())
    assert any(e.startswith(f"{path}:3: ") for e in reader.errors), list(reader.errors)


def test_a_subagents_file_is_tier_subagent(gemini_home: Path) -> None:
    sub = "9a8b7c6d-0000-4111-8222-333344445555"
    records = [{**header("subagent"), "sessionId": sub, "directories": [CWD]},
               reply("s1", "gemini-3-flash-preview", "2026-11-30T09:00:30.000Z", toks(3000, 200))]
    path = chat_file(gemini_home, records, name=f"{SESSION}/{sub}.jsonl")
    (call,) = gemini_cli.Reader(path).read_document(path.read_bytes())
    assert (call.event_id, call.tier, call.session, call.project) == (f"gemini-cli:{sub}:s1", "subagent", sub, CWD)


def test_the_project_is_the_working_directory_behind_the_folder(gemini_home: Path) -> None:
    tmp = gemini_home / "tmp"
    name = "chats/session-2026-11-30T09-00-6f1c2d3e.jsonl"
    assert gemini_cli.Reader(tmp / SLUG / name).project == CWD  # .project_root
    assert gemini_cli.Reader(tmp / "old-app" / name).project == "/srv/old-app"  # projects.json slug
    legacy = hashlib.sha256(b"/srv/old-app").hexdigest()
    assert gemini_cli.Reader(tmp / legacy / name).project == "/srv/old-app"  # a sha256(cwd) folder
    unknown = hashlib.sha256(b"/nowhere").hexdigest()
    assert gemini_cli.Reader(tmp / unknown / name).project == unknown
    write(gemini_home / "projects.json", b"\x00garbage")
    assert gemini_cli.Reader(tmp / "old-app" / name).project == "old-app"
    assert gemini_cli.Reader(Path("/loose/session-1.json")).project == ""


@pytest.mark.parametrize(("bad", "reason", "message"), [
    (reply("b1", "gemini-3.5-flash", "2026-11-30T09:03:00Z", "lots"), BAD_FIELD,  # type: ignore[arg-type]
     "tokens must be an object, got str"),
    (reply("b1", "gemini-3.5-flash", "2026-11-30T09:03:00Z", {"input": "12", "output": 3}), BAD_FIELD,
     "tokens.input must be a non-negative integer, got str '12'"),
    (reply("b1", "gemini-3.5-flash", "2026-11-30T09:03:00Z", {"input": 10, "output": -3}), BAD_FIELD,
     "tokens.output must be a non-negative integer, got int -3"),
    (reply("b1", "gemini-3.5-flash", "2026-11-30T09:03:00Z", toks(10, 3, c=11)), BAD_FIELD,
     "tokens.cached (11) exceeds tokens.input (10)"),
    (reply("b1", "gemini-3.5-flash", "yesterday", toks(10, 3)), BAD_FIELD, "timestamp must be an ISO 8601 time"),
    (reply("b1", 42, "2026-11-30T09:03:00Z", toks(10, 3)), BAD_FIELD, "model must be a str"),  # type: ignore[arg-type]
    (reply("b1", None, "2026-11-30T09:03:00Z", toks(10, 3)), NO_MODEL, None),
    (reply("b1", "gemini-3.5-flash", "2026-11-30T09:03:00Z", toks(0, 0)), NO_USAGE, None),
])
def test_bad_messages_are_counted_by_reason_and_reading_goes_on(gemini_home: Path, bad: dict[str, Any], reason: str,
                                                               message: str | None) -> None:
    records = jsonl_records()
    path = chat_file(gemini_home, [*records[:4], bad, *records[7:]])
    reader = gemini_cli.Reader(path)
    calls = reader.read_document(path.read_bytes())
    assert [c.event_id.rsplit(":", 1)[1] for c in calls] == ["g1", "g3", "g4"]
    assert reader.skipped == ({NO_USAGE: 8} if reason == NO_USAGE else {NO_USAGE: 7, reason: 1})
    if message is not None:
        assert reader.last_error is not None and message in reader.last_error and "'b1'" in reader.last_error


def test_garbage_lines_and_non_objects_never_stop_the_read(gemini_home: Path) -> None:
    records = jsonl_records()
    data = (b"".join(dumps(r) + b"\n" for r in records[:4]) + b"\x00\xff\xfe binary \x13\n" + b"[1, 2]\n"
            + b'{"id": "g5", "type": "gemini", "tokens": {"inpu\n' + b"".join(dumps(r) + b"\n" for r in records[6:]))
    path = write(gemini_home / "tmp" / SLUG / "chats" / "session-x.jsonl", data)
    reader = gemini_cli.Reader(path)
    calls = reader.read_document(data)
    assert [c.event_id.rsplit(":", 1)[1] for c in calls] == ["g1", "g2", "g3", "g4"]
    assert reader.skipped == {NO_USAGE: 7, MALFORMED: 2, BAD_FIELD: 1}
    assert reader.read_document(b"\x00\x01\x02") == [] and reader.skipped == {TORN: 1}
    legacy = gemini_cli.Reader(gemini_home / "tmp" / SLUG / "chats" / "session-y.json")
    assert legacy.read_document(b"[]") == [] and legacy.skipped == {BAD_FIELD: 1}
    assert legacy.read_document(b"\xff\xfe") == [] and legacy.skipped == {MALFORMED: 1}


def test_an_unknown_model_comes_out_unpriced_never_zero(gemini_home: Path) -> None:
    path = chat_file(gemini_home, [header(), reply("g1", "gemini-9-imaginary", "2026-11-30T09:00:08Z",
                                                   toks(5000, 100))])
    (event,) = record_all(CostTracker(fallback=False), gemini_cli.Reader(path).read_document(path.read_bytes()))
    assert event.counted and event.cost_units is None and not event.priced


def test_default_roots_follow_gemini_cli_home_else_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    monkeypatch.delenv("GEMINI_CLI_HOME", raising=False)
    assert gemini_cli.default_roots() == [tmp_path / "me/.gemini/tmp"]
    monkeypatch.setenv("GEMINI_CLI_HOME", str(tmp_path / "other"))
    assert gemini_cli.default_roots() == [tmp_path / "other/.gemini/tmp"]


def test_find_files_and_a_whole_import(gemini_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_CLI_HOME", str(gemini_home.parent))
    main = chat_file(gemini_home, jsonl_records())
    sub = chat_file(gemini_home, [header("subagent"), reply("s1", "gemini-3-flash-preview",
                                                            "2026-11-30T09:00:30Z", toks(3000, 200))],
                    name=f"{SESSION}/9a8b7c6d.jsonl")
    old = write(gemini_home / "tmp" / hashlib.sha256(b"/srv/old-app").hexdigest() / "chats" / "session-old.json",
                dumps({**header(), "sessionId": "old", "messages": [
                    reply("o1", "gemini-3-flash-preview", "2026-10-01T09:00:00Z", toks(1000, 10))]}))
    write(gemini_home / "tmp" / SLUG / "chats" / "session-x.jsonl.unreadable-1764493200000", b"{}")
    write(gemini_home / "tmp" / SLUG / "logs.json", b"[]")
    write(gemini_home / "settings.json", b"{}")
    (root,) = gemini_cli.default_roots()
    files = list(gemini_cli.find_files(root))
    assert files == sorted([main, sub, old])
    assert list(gemini_cli.find_files(gemini_home)) == files
    assert list(gemini_cli.find_files(main)) == [main]
    events = []
    tracker = CostTracker(fallback=False)
    for path in files:
        events += record_all(tracker, gemini_cli.Reader(path).read_document(path.read_bytes()))
    total = sum(expected_cost(m, u) for _, m, u in EXPECTED) + expected_cost(
        "gemini-3-flash-preview", Usage(input=3000, output=200)) + expected_cost(
        "gemini-3-flash-preview", Usage(input=1000, output=10))
    assert sum(e.cost_units for e in events) == total == 41_730_000_000
    assert {(e.source, e.project) for e in events} == {("gemini-cli", CWD), ("gemini-cli", "/srv/old-app")}


def test_looks_like() -> None:
    head = dumps(header()) + b"\n"
    assert gemini_cli.looks_like(Path("session-1.jsonl"), head)
    assert gemini_cli.looks_like(Path("session-1.json"), b'{\n  "sessionId": "x",\n  "projectHash": "y"')
    assert not gemini_cli.looks_like(Path("rollout-1.jsonl"), b'{"type":"session_meta","payload":{}}')
    assert not gemini_cli.looks_like(Path("session-1.txt"), head)
    # in Gemini CLI's own chats folder, a chat caught half-written is still Gemini's (read as malformed)
    assert gemini_cli.looks_like(Path("/h/.gemini/tmp/shop/chats/session-1.json"), b'{"sess')
    assert not gemini_cli.looks_like(Path("/h/elsewhere/chats/session-1.json"), b'{"sess')


def test_a_half_written_chat_found_by_detection_is_malformed_not_unknown(gemini_home: Path, tmp_path: Path) -> None:
    from costpanel.integrations.ingest import import_logs

    text = json.dumps({**header(), "messages": [reply("g1", "gemini-3.5-flash", "2026-11-30T09:00:08Z",
                                                      toks(10, 1))]}).encode()
    write(gemini_home / "tmp" / SLUG / "chats" / "session-2026-11-30T09-00-6f1c2d3e.json", text[:20])
    result = import_logs([gemini_home], "all", tmp_path / "ledger.sqlite3")
    assert (result.files, dict(result.skipped)) == (1, {MALFORMED: 1})


@pytest.mark.parametrize(("meta", "name", "tier", "session"), [
    ({**header(), "kind": "subagent"}, "session-2026-11-30T09-00-6f1c2d3e.jsonl", "subagent", SESSION),
    ({**header(), "kind": "main"}, "session-2026-11-30T09-00-6f1c2d3e.jsonl", "main", SESSION),
    ({"projectHash": "abc"}, "session-2026-11-30T09-00-6f1c2d3e.jsonl", "main",
     "session-2026-11-30T09-00-6f1c2d3e"),
])
def test_tier_and_session_from_the_metadata(gemini_home: Path, meta: dict[str, Any], name: str, tier: str,
                                            session: str) -> None:
    path = chat_file(gemini_home, [meta, reply("g1", "gemini-3.5-flash", "2026-11-30T09:00:08Z", toks(10, 1))],
                     name=name)
    (call,) = gemini_cli.Reader(path).read_document(path.read_bytes())
    assert (call.tier, call.session, call.event_id) == (tier, session, f"gemini-cli:{session}:g1")


def as_calls(calls: list[LogCall]) -> list[tuple[Any, ...]]:
    return [(c.event_id, c.ts, c.model, c.usage, c.tier, c.session, c.project) for c in calls]


@pytest.mark.parametrize("cut", range(len(jsonl_records()) + 1))
def test_a_jsonl_chat_read_as_it_grows_gives_the_calls_of_the_whole_file(gemini_home: Path, cut: int) -> None:
    """``watch`` reads a .jsonl chat line by line as it is appended to: whatever was on disk at
    each read, the calls and counts are those of reading the finished file whole."""
    path = chat_file(gemini_home, jsonl_records())
    lines = path.read_bytes().split(b"\n")[:-1]
    whole = gemini_cli.Reader(path)
    want = whole.read_document(path.read_bytes())
    growing = gemini_cli.Reader(path)
    got = growing.read_lines(lines[:cut]) + growing.read_lines(lines[cut:])
    assert as_calls(got) == as_calls(want)
    assert (growing.skipped, growing.lines) == (whole.skipped, whole.lines) == ({NO_USAGE: 9}, len(lines))


def test_a_reply_is_billed_when_its_tokens_arrive_and_a_copy_counts_once(gemini_home: Path) -> None:
    """Every reply line with tokens is yielded (the log-source contract: de-duplication is the
    upsert's), so a copy is a duplicate and a copy whose tokens grew replaces the call."""
    path = chat_file(gemini_home, [header()])
    reader = gemini_cli.Reader(path)
    assert reader.read_lines([dumps(header())]) == []
    pending = reply("g1", "gemini-3.5-flash", "2026-11-30T09:00:08.000Z", None)
    assert reader.read_lines([dumps(pending)]) == [] and reader.skipped == {NO_USAGE: 2}  # waiting for its usage
    (first,) = reader.read_lines([dumps({**pending, "tokens": toks(100, 10)})])
    assert first.usage == Usage(input=100, output=10)
    copies = [dumps({**pending, "toolCalls": [{"id": "t1"}]}), dumps({**pending, "tokens": toks(100, 10)})]
    (copy,) = reader.read_lines(copies)  # a copy for its tool calls bills nothing; one with tokens is yielded
    (grown,) = reader.read_lines([dumps({**pending, "tokens": toks(100, 25)})])
    tracker = CostTracker(fallback=False)
    assert [e.status for e in record_all(tracker, [first, copy, grown])] == ["committed", "duplicate", "replaced"]
    assert tracker.snapshot().calls == 1 and tracker.snapshot().total.usage == Usage(input=100, output=25)
    assert (reader.lines, reader.skipped) == (6, {NO_USAGE: 3})  # 6 lines: 3 calls, 3 with no usage


def test_watch_reads_only_what_was_appended_to_a_jsonl_chat(gemini_home: Path) -> None:
    from costpanel.integrations.logs import DOCUMENT, LINES
    from costpanel.integrations.tail import Tail

    records = jsonl_records()
    path = chat_file(gemini_home, records[:-3])
    legacy = write(gemini_home / "tmp" / SLUG / "chats" / "session-old.json",
                   dumps({**header(), "sessionId": "old", "messages": [
                       reply("o1", "gemini-3-flash-preview", "2026-10-01T09:00:00Z", toks(1000, 10))]}))
    assert (gemini_cli.kind_of(path), gemini_cli.kind_of(legacy)) == (LINES, DOCUMENT)
    t = Tail()
    assert [c.event_id[-2:] for c in t.follow(path, gemini_cli)] == ["g1", "g2", "g3"]
    assert [c.event_id[-2:] for c in t.follow(legacy, gemini_cli)] == ["o1"]
    assert not t.files[path].document and t.files[legacy].document
    with path.open("ab") as out:
        out.write(b"".join(dumps(r) + b"\n" for r in records[-3:]))
    (call,) = t.read(path)  # only the new reply: not every call of the session again
    assert (call.event_id, call.usage) == (f"gemini-cli:{SESSION}:g4", EXPECTED[3][2])
    assert t.files[path].offset == path.stat().st_size and t.read(path) == []
    assert t.skipped() == {NO_USAGE: 9} and t.lines == len(records) + 1
