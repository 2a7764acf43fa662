"""The ledger when its process dies: kill -9, SIGTERM, Ctrl-C, and an exit that never called close().

A real child process (tests/ledger_writer.py) records calls with ids 0, 1, 2, … steadily and prints
``recorded N at T`` after each; the test signals it and then reads the file it left behind.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from costpanel import CostTracker
from costpanel.ledger.store import connect
from costpanel.pricing import Catalog

WRITER = Path(__file__).parent / "ledger_writer.py"
FLUSH_INTERVAL = 0.25
SLACK = 0.5  # scheduling and the write itself, on a busy CI machine


def landed(db: Path) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        return sorted(int(r[0][1:]) for r in conn.execute("SELECT event_id FROM events"))
    finally:
        conn.close()


def check_file_is_sound(db: Path) -> None:
    """Opens, passes SQLite's own check, and its roll-ups agree with its events to the unit."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        events = conn.execute("SELECT COUNT(*), COALESCE(SUM(input), 0), COALESCE(SUM(cost_units), 0) "
                              "FROM events").fetchone()
        rollup = conn.execute("SELECT COALESCE(SUM(calls), 0), COALESCE(SUM(input), 0), "
                              "COALESCE(SUM(cost_units), 0) FROM rollup").fetchone()
    finally:
        conn.close()
    assert rollup == events
    connect(db).close()  # costpanel opens it again (and migrates nothing)


def run_stream(db: Path, stop: signal.Signals, *, flush: float, after: float,
               before_signal: object = None) -> tuple[list[tuple[int, float]], int, str]:
    """Start a streaming writer, let it record for ``after`` seconds, send ``stop``; returns the
    (id, time) pairs it printed, its exit code and its stderr."""
    cmd = [sys.executable, str(WRITER), "stream", str(db), "--flush", str(flush), "--every", "0.001",
           "--seconds", "30"]
    lines: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        try:
            first = None
            while True:
                line = proc.stdout.readline()
                if not line:
                    break  # the child died on its own: the asserts below say how
                lines.append(line)
                if line.startswith("recorded"):
                    first = first or time.monotonic()
                    if time.monotonic() - first >= after:
                        break
            if callable(before_signal):
                before_signal()
        finally:
            proc.send_signal(stop)
            rest, err = proc.communicate(timeout=30)
    lines += rest.splitlines()
    recorded = []
    for line in lines:
        if line.startswith("recorded"):
            _, n, _, t = line.split()
            recorded.append((int(n), float(t)))
    assert recorded, f"the writer recorded nothing: {err}"
    assert [n for n, _ in recorded] == list(range(len(recorded)))
    return recorded, proc.returncode, err


def test_kill_9_keeps_the_file_sound_and_loses_at_most_the_last_flush_interval(tmp_path: Path,
                                                                                 catalog: Catalog) -> None:
    db = tmp_path / "killed.sqlite3"
    recorded, code, err = run_stream(db, signal.SIGKILL, flush=FLUSH_INTERVAL, after=1.0)
    assert code == -signal.SIGKILL, err
    check_file_is_sound(db)

    ids = landed(db)
    k = len(ids)
    assert ids == list(range(k)), "what landed is not a prefix of what was recorded (a batch landed in part)"
    last_n, last_t = recorded[-1]
    assert k <= last_n + 2  # at most one call recorded but not yet printed
    lost = [(n, t) for n, t in recorded if n >= k]
    if lost:
        age = last_t - lost[0][1]
        assert age <= FLUSH_INTERVAL + SLACK, (
            f"{len(lost)} recorded call(s) lost, the oldest recorded {age:.3f} s before the last one printed; "
            f"the ledger promises at most flush_interval ({FLUSH_INTERVAL} s) + {SLACK} s of slack")
    assert k >= len(recorded) // 2, f"only {k} of {len(recorded)} calls landed after ~1 s of recording"

    # A restart resumes the killed session from exactly what landed.
    resumed = CostTracker(catalog, ledger=db, resume=True)
    try:
        snap = resumed.snapshot()
        assert (snap.calls, snap.total.input) == (k, k * (k + 1) // 2)
    finally:
        resumed.close()


def test_sigterm_flushes_everything_recorded(tmp_path: Path) -> None:
    db = tmp_path / "terminated.sqlite3"

    def nothing_written_yet() -> None:  # the writer waits 60 s: only the SIGTERM path can write
        assert landed(db) == []

    recorded, code, err = run_stream(db, signal.SIGTERM, flush=60, after=0.5, before_signal=nothing_written_yet)
    assert code == 128 + signal.SIGTERM, err
    assert "could not be written" not in err
    check_file_is_sound(db)
    ids = landed(db)
    assert ids == list(range(len(ids))) and len(ids) >= len(recorded), (
        f"{len(recorded) - len(ids)} of {len(recorded)} recorded calls lost on SIGTERM")


def test_ctrl_c_flushes_everything_recorded(tmp_path: Path) -> None:
    db = tmp_path / "interrupted.sqlite3"
    recorded, code, err = run_stream(db, signal.SIGINT, flush=60, after=0.3)
    assert code in (-signal.SIGINT, 1, 130), err  # KeyboardInterrupt ends Python with SIGINT
    check_file_is_sound(db)
    ids = landed(db)
    assert ids == list(range(len(ids))) and len(ids) >= len(recorded)


def test_an_exit_without_close_is_flushed_at_exit(tmp_path: Path) -> None:
    db = tmp_path / "no-close.sqlite3"
    done = subprocess.run([sys.executable, str(WRITER), "batch", str(db), "--count", "2000", "--flush", "60",
                           "--no-close", "--session", "unclosed"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    check_file_is_sound(db)
    assert landed(db) == list(range(2000))
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT id, ended_at FROM sessions").fetchall() == [("unclosed", None)]
    finally:
        conn.close()
    assert {p.name for p in tmp_path.iterdir()} == {"no-close.sqlite3"}  # closed cleanly: WAL checkpointed

