"""integrations/tail.py on real files: appended lines, torn lines, truncation, replacement,
deletion, unreadable files, garbage and over-long lines, and whole-document sources."""

from __future__ import annotations

import json
import os
import types
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage
from costpanel.integrations import jsonl, tail
from costpanel.integrations.logs import DOCUMENT, MALFORMED, UNREADABLE, LogCall, Skips
from costpanel.integrations.tail import DELETED, READER_FAILED, TOO_LONG, Tail


def line(n: int, output: int = 10, session: str = "s") -> bytes:
    return json.dumps({"ts": 1_800_000_000 + n, "model": "claude-sonnet-4-5", "session": session,
                       "usage": {"input": 100 + n, "output": output}, "id": f"call-{n}"}).encode() + b"\n"


def ids(calls: list[LogCall]) -> list[str]:
    return [c.event_id for c in calls]


def test_appended_lines_are_read_once_each(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_bytes(line(1) + line(2))
    t = Tail()
    assert ids(t.follow(f, jsonl)) == ["call-1", "call-2"]
    assert t.read(f) == []
    with f.open("ab") as out:
        out.write(line(3))
    (call,) = t.read(f)
    assert (call.event_id, call.usage) == ("call-3", Usage(input=103, output=10))
    assert t.read(f) == [] and t.lines == 3


def test_a_torn_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    whole = line(1)
    f.write_bytes(whole[:25])
    t = Tail()
    assert t.follow(f, jsonl) == []
    assert t.files[f].waiting and t.skipped() == {}
    with f.open("ab") as out:
        out.write(whole[25:-1])  # whole now but for its newline (a writer that ends without one): read, as import does
    assert ids(t.read(f)) == ["call-1"] and not t.files[f].waiting
    with f.open("ab") as out:
        out.write(b"\n" + line(2)[:10])
    assert t.read(f) == [] and t.files[f].waiting  # its newline adds nothing; the next line waits
    with f.open("ab") as out:
        out.write(line(2)[10:])
    assert ids(t.read(f)) == ["call-2"] and not t.files[f].waiting and t.lines == 2


def test_a_last_line_of_binary_garbage_is_not_said_to_wait_for_a_newline(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_bytes(line(1) + b"\xff\xfe\x00garbage")
    t = Tail()
    assert ids(t.follow(f, jsonl)) == ["call-1"] and not t.files[f].waiting
    f.write_bytes(line(1) + line(2)[:9])  # rewritten: a JSON line being written again
    t.read(f)
    assert t.files[f].waiting


def test_lines_split_across_read_chunks_are_joined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "a.jsonl"
    f.write_bytes(b"".join(line(n) for n in range(5)))
    monkeypatch.setattr(tail, "CHUNK", 7)  # every line spans many reads
    calls = Tail().follow(f, jsonl)
    assert calls == jsonl.Reader(f).read_lines(line(n).rstrip(b"\n") for n in range(5))


def test_a_truncated_file_is_read_again_from_its_start(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_bytes(line(1) + line(2) + line(3))
    t = Tail()
    t.follow(f, jsonl)
    with f.open("ab") as out:
        out.write(b"not json\n")
    assert t.read(f) == [] and (t.lines, t.skipped()) == (4, {MALFORMED: 1})
    f.write_bytes(line(7))  # shorter than what was read: truncated and rewritten
    assert ids(t.read(f)) == ["call-7"]
    assert t.files[f].restarts == 1
    # the counts describe the file as it is now: one line, nothing skipped (not 5 lines, 1 malformed)
    assert (t.lines, t.skipped()) == (1, {})
    with f.open("ab") as out:
        out.write(line(8) + b"{broken\n")
    assert ids(t.read(f)) == ["call-8"]
    assert (t.lines, t.skipped()) == (3, {MALFORMED: 1})


def test_a_file_rewritten_in_place_with_more_bytes_is_read_again(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_bytes(line(1))
    t = Tail()
    t.follow(f, jsonl)
    inode = f.stat().st_ino
    with f.open("r+b") as out:  # same inode, larger, different first bytes
        out.write(line(5) + line(6))
    assert f.stat().st_ino == inode
    assert ids(t.read(f)) == ["call-5", "call-6"]


def test_a_file_replaced_by_rename_is_read_again_and_counted_once(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_bytes(line(1) + line(2, output=5))
    t, tracker = Tail(), CostTracker()
    for c in t.follow(f, jsonl):
        tracker.record(c.model, c.usage, event_id=c.event_id)
    new = tmp_path / "a.jsonl.tmp"
    new.write_bytes(line(1) + line(2, output=5) + line(3))  # a log rotated or rewritten atomically
    os.replace(new, f)
    again = t.read(f)
    assert ids(again) == ["call-1", "call-2", "call-3"]
    statuses = [tracker.record(c.model, c.usage, event_id=c.event_id).status for c in again]
    assert statuses == ["duplicate", "duplicate", "committed"]
    assert tracker.snapshot().calls == 3


def test_a_deleted_file_is_counted_and_forgotten_with_its_skips_kept(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_bytes(line(1) + b"not json\n")
    t = Tail()
    t.follow(f, jsonl)
    f.unlink()
    assert t.read(f) == []
    assert f not in t.files
    assert t.skipped() == {MALFORMED: 1}  # lines
    assert t.file_problems() == {DELETED: 1}  # files
    assert t.lines == 2
    assert t.read(f) == []  # no longer followed: nothing, and not counted twice
    assert t.file_problems() == {DELETED: 1}
    f.write_bytes(line(3))  # written again (a session folder re-made): followed, no longer said to be gone
    assert ids(t.follow(f, jsonl)) == ["call-3"]
    assert t.file_problems() == {} and t.skipped() == {MALFORMED: 1}  # the old lines' skips stay counted


def test_an_unreadable_file_is_counted_once_and_read_when_it_is_back(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_bytes(line(1))
    t = Tail()
    t.follow(f, jsonl)
    f.unlink()
    f.mkdir()  # a folder where the file was: opening it fails (even as root, unlike chmod)
    assert t.read(f) == [] and t.read(f) == []
    assert t.file_problems() == {UNREADABLE: 1} and t.skipped() == {}
    f.rmdir()
    f.write_bytes(line(5) + line(6))
    assert ids(t.read(f)) == ["call-5", "call-6"]  # a new file (maybe the same inode): from its start
    f.unlink()
    f.mkdir()  # unreadable again: a new problem, counted again
    assert t.read(f) == []
    assert t.file_problems() == {UNREADABLE: 2}


def test_binary_garbage_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    garbage = bytes(range(256)) * 4 + b"\n\xff\xfe\x00{\n"
    f.write_bytes(garbage + line(1))
    t = Tail()
    assert ids(t.follow(f, jsonl)) == ["call-1"]
    assert t.skipped()[MALFORMED] == garbage.count(b"\n")


def test_a_line_past_the_limit_is_dropped_up_to_its_newline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tail, "MAX_LINE", 100)
    monkeypatch.setattr(tail, "CHUNK", 64)
    f = tmp_path / "a.jsonl"
    f.write_bytes(b"x" * 150)
    t = Tail()
    assert t.follow(f, jsonl) == []
    assert not t.files[f].waiting  # nothing buffered past the limit
    with f.open("ab") as out:
        out.write(b"y" * 300 + b"\n" + line(1))
    assert ids(t.read(f)) == ["call-1"]
    assert t.skipped() == {TOO_LONG: 1}


class _DocReader:
    """A DOCUMENT source per the contract: {"calls": [line objects]} re-read whole."""

    def __init__(self, path: Path) -> None:
        self.path, self.skipped, self.lines = path, Skips(), 0

    def read_document(self, data: bytes) -> list[LogCall]:
        try:
            objs = json.loads(data)["calls"]
        except (ValueError, KeyError):
            self.skipped[MALFORMED] += 1
            return []
        self.lines = len(objs)
        return jsonl.Reader(self.path).read_lines(json.dumps(o).encode() for o in objs)


DOC = types.SimpleNamespace(KIND=DOCUMENT, Reader=_DocReader)


def test_a_document_is_read_whole_when_it_changes_and_skips_describe_its_last_version(tmp_path: Path) -> None:
    f = tmp_path / "chat.json"
    objs = [json.loads(line(1))]
    f.write_text(json.dumps({"calls": objs}))
    t = Tail()
    assert ids(t.follow(f, DOC)) == ["call-1"]  # type: ignore[arg-type]
    assert t.read(f) == []  # unchanged: not read again
    f.write_text('{"calls": [')  # caught mid-write
    assert t.read(f) == [] and t.skipped() == {MALFORMED: 1}
    f.write_text(json.dumps({"calls": [*objs, json.loads(line(2))]}))
    assert ids(t.read(f)) == ["call-1", "call-2"]
    assert t.skipped() == {}  # the document as it is now has nothing skipped


class _BrokenReader(jsonl.Reader):
    def read_lines(self, lines):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug in a reader")


BROKEN = types.SimpleNamespace(KIND="lines", Reader=_BrokenReader)


def test_a_reader_that_raises_is_counted_and_other_files_go_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad, good = tmp_path / "bad.jsonl", tmp_path / "good.jsonl"
    bad.write_bytes(line(1))
    good.write_bytes(line(2))
    t = Tail()
    assert t.follow(bad, BROKEN) == []  # type: ignore[arg-type]
    assert ids(t.follow(good, jsonl)) == ["call-2"]
    assert t.file_problems() == {READER_FAILED: 1}
    assert "reading " + str(bad) in caplog.text
