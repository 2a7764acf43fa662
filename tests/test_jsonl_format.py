"""costpanel's own event line format (integrations/jsonl.py): every field, every refusal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from costpanel import Usage
from costpanel.integrations import jsonl
from costpanel.integrations.logs import BAD_FIELD, MALFORMED, NO_MODEL, NO_USAGE

LINE = (b'{"ts": "2026-12-03T14:05:09Z", "session": "run-42", "tier": "Tier 2", "model": "claude-sonnet-4-5", '
        b'"usage": {"input": 1200, "cache_read": 5000, "output": 310}, "id": "run-42/call-7", "project": "shop", '
        b'"variant": "batch"}')


def test_a_full_line_becomes_the_call_it_describes(tmp_path: Path) -> None:
    call, = jsonl.Reader(tmp_path / "events.jsonl").read_lines([LINE])
    assert call == jsonl.LogCall("run-42/call-7", dt.datetime(2026, 12, 3, 14, 5, 9, tzinfo=dt.timezone.utc).timestamp(),
                                 "claude-sonnet-4-5", Usage(input=1200, cache_read=5000, output=310), "Tier 2",
                                 "run-42", "shop", "batch", "costpanel")


def test_defaults_session_from_the_file_tier_default_and_a_digest_id(tmp_path: Path) -> None:
    line = b'{"ts": 1764770709.5, "model": "gpt-4o", "usage": {"input": 10, "output": 2}}'
    reader = jsonl.Reader(tmp_path / "orchestrator-7.jsonl")
    call, again = reader.read_lines([line, line + b"  "])
    assert (call.session, call.tier, call.project, call.variant, call.ts) == ("orchestrator-7", "default", "", None,
                                                                             1764770709.5)
    assert call.event_id.startswith("costpanel:") and call.event_id == again.event_id  # same bytes, same id
    other, = reader.read_lines([line.replace(b"10", b"11")])
    assert other.event_id != call.event_id


@pytest.mark.parametrize(("line", "reason", "says"), [
    (b"\x00\xff\xfe garbage", MALFORMED, None),
    (b'{"ts": 1, "model": "gpt-4o", "usage": {"input": 1, "output": 1}', MALFORMED, None),
    (b'["not", "an", "object"]', BAD_FIELD, "JSON object"),
    (b'{"ts": 1, "model": "gpt-4o"}', NO_USAGE, None),
    (b'{"ts": 1, "model": "gpt-4o", "usage": {}}', NO_USAGE, "usage: empty"),
    (b'{"ts": 1, "model": "gpt-4o", "usage": null}', NO_USAGE, "usage: missing"),
    (b'{"ts": 1, "usage": {"input": 1}}', NO_MODEL, None),
    (b'{"ts": 1, "model": "gpt-4o", "usage": {"input": -5}}', BAD_FIELD, "Usage.input must be >= 0, got -5"),
    (b'{"ts": 1, "model": "gpt-4o", "usage": {"input": 1.5}}', BAD_FIELD, "Usage.input"),
    (b'{"ts": 1, "model": "gpt-4o", "usage": {"prompt_tokens": 5}}', BAD_FIELD, "unknown bucket(s) ['prompt_tokens']"),
    (b'{"ts": 1, "model": "gpt-4o", "usage": [1, 2]}', BAD_FIELD, "usage must be an object"),
    (b'{"ts": "2026-12-03T14:05:09", "model": "gpt-4o", "usage": {"input": 1}}', BAD_FIELD, "offset"),
    (b'{"ts": "yesterday", "model": "gpt-4o", "usage": {"input": 1}}', BAD_FIELD, "'yesterday'"),
    (b'{"ts": true, "model": "gpt-4o", "usage": {"input": 1}}', BAD_FIELD, "ts must be"),
    (b'{"model": "gpt-4o", "usage": {"input": 1}}', BAD_FIELD, "ts must be"),
    (b'{"ts": 1, "model": 7, "usage": {"input": 1}}', BAD_FIELD, "model must be a str"),
    (b'{"ts": 1, "model": "gpt-4o", "tier": 3, "usage": {"input": 1}}', BAD_FIELD, "tier must be a str, got int 3"),
    (b'{"ts": 1, "model": "gpt-4o", "id": "", "usage": {"input": 1}}', BAD_FIELD, "id must be a non-empty"),
    (b'{"ts": 1, "model": "gpt-4o", "variant": "batch+flex", "usage": {"input": 1}}', BAD_FIELD, "service tiers"),
    (b'{"ts": 1, "model": "gpt-4o", "project": "a\\nb", "usage": {"input": 1}}', BAD_FIELD, "control character"),
])
def test_a_bad_line_is_skipped_with_its_reason_and_reading_goes_on(tmp_path: Path, line: bytes, reason: str,
                                                                    says: str | None) -> None:
    reader = jsonl.Reader(tmp_path / "e.jsonl")
    calls = reader.read_lines([line, LINE])
    assert [c.event_id for c in calls] == ["run-42/call-7"]
    assert dict(reader.skipped) == {reason: 1} and reader.lines == 2
    if says is not None:
        assert says in (reader.last_error or "") and "e.jsonl:1:" in (reader.last_error or "")


def test_files_and_detection(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.jsonl").write_bytes(LINE + b"\n")
    (tmp_path / "y.ndjson").write_bytes(LINE + b"\n")
    (tmp_path / "notes.txt").write_text("hello")
    assert [p.name for p in jsonl.find_files(tmp_path)] == ["x.jsonl", "y.ndjson"]
    assert list(jsonl.find_files(tmp_path / "y.ndjson")) == [tmp_path / "y.ndjson"]
    assert jsonl.looks_like(tmp_path / "y.ndjson", LINE + b"\n{")
    assert not jsonl.looks_like(tmp_path / "c.jsonl", b'{"type": "assistant", "message": {"usage": {}}}\n')
    assert not jsonl.looks_like(tmp_path / "c.jsonl", b"\x89PNG\r\n")
    assert jsonl.default_roots() == []


def test_optional_fields_written_as_null_take_their_defaults(tmp_path: Path) -> None:
    """serde's Option, Jackson and Go pointers write a missing value as null: as if absent."""
    line = (b'{"ts": 1764770709, "model": "gpt-4o", "usage": {"input": 10}, "id": null, "session": null, '
            b'"tier": null, "project": null, "variant": null}')
    reader = jsonl.Reader(tmp_path / "run-9.jsonl")
    call, = reader.read_lines([line])
    assert (call.session, call.tier, call.project, call.variant) == ("run-9", "default", "", None)
    assert call.event_id.startswith("costpanel:") and not reader.skipped
