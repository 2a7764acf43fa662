"""Files a folder of logs may hold that are not ordinary logs: a FIFO named like one, file names
that are not UTF-8 or hold a newline. Never a hang, never a crash, the good calls kept."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_run import costpanel
from costpanel.labels import check_label, label_from

BAD_NAME = os.fsdecode(b"ev\xff\xfename.jsonl")  # a name that is not UTF-8, as Python holds it


def line(n: int) -> str:
    """A call of now (the watch counts today's), n seconds on: never before a midnight the test crosses."""
    return json.dumps({"ts": time.time() + n, "model": "claude-sonnet-4-5",
                       "usage": {"input": 100 + n, "output": 5}}) + "\n"


@pytest.fixture
def odd(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / BAD_NAME).write_text(line(1))
    (folder / "nl\nname.jsonl").write_text(line(2))
    (folder / "good.jsonl").write_text(line(3))
    os.mkfifo(folder / "fifo.jsonl")
    return folder


def test_import_keeps_every_call_of_oddly_named_files_and_refuses_the_fifo(odd: Path, tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    r = costpanel("import", str(odd), "--db", str(db), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["added"], out["unreadable"]) == (3, {str(odd / "fifo.jsonl"): "not a regular file"})
    conn = sqlite3.connect(db)
    try:  # the sessions named after the files are usable labels
        sessions = sorted(s for (s,) in conn.execute("SELECT DISTINCT session FROM events"))
    finally:
        conn.close()
    assert sessions == ["ev??name", "good", "nl?name"]


def test_watch_neither_hangs_on_a_fifo_nor_stops_on_a_name_that_is_not_utf8(odd: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "costpanel", "watch", "--headless", "--seconds", "4",
                             "--no-ledger", str(odd)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    with (odd / "good.jsonl").open("a") as f:  # followed live although watchfiles cannot name one file
        f.write(line(4))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    last = out.strip().splitlines()[-1]
    assert "4 calls" in last and "file name not UTF-8 1" in last, out


def test_labels_refuse_text_that_cannot_be_stored_and_label_from_mends_it() -> None:
    with pytest.raises(ValueError, match="not valid text"):
        check_label("session", BAD_NAME)
    assert label_from(BAD_NAME) == "ev??name.jsonl" and label_from("a\nb") == "a?b" and label_from("\n") == "?"
    assert label_from("x" * 300).startswith("…") and len(label_from("x" * 300)) == 256
