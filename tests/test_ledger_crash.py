"""The ledger when its process dies: kill -9, SIGTERM, Ctrl-C, and an exit that never called close().

A real child process (tests/ledger_writer.py) records calls with ids 0, 1, 2, … steadily and prints
``recorded N at T`` after each; the test signals it and then reads the file it left behind.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from costpanel import CostTracker
from costpanel.ledger import Ledger
from costpanel.ledger.store import DEFAULT_FLUSH_INTERVAL, connect
from costpanel.pricing import Catalog

WRITER = Path(__file__).parent / "ledger_writer.py"
ROOT = Path(__file__).resolve().parent.parent
# A kill -9 may lose the calls of the last flush interval. The test allows two intervals plus a
# margin for a busy machine (the writer thread is starved of CPU, the write itself takes time):
# a call recorded longer ago than that must be on disk. Only a writer that flushes every few
# seconds or more can cross this bound; scheduling noise on a loaded CI machine cannot.
MARGIN_S = 1.5
SURVIVES_AFTER_S = 2 * DEFAULT_FLUSH_INTERVAL + MARGIN_S
RECORD_FOR_S = SURVIVES_AFTER_S + 1.0  # so the calls of the first second must have landed


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


def run_stream(db: Path, stop: signal.Signals, *, flush: float | None, after: float,
               before_signal: object = None) -> tuple[list[tuple[int, float]], int, str]:
    """Start a streaming writer (``flush=None``: the Ledger's default interval), let it record for
    ``after`` seconds, send ``stop``; returns the (id, time) pairs it printed, its exit code and
    its stderr."""
    cmd = [sys.executable, str(WRITER), "stream", str(db), *([] if flush is None else ["--flush", str(flush)]),
           "--every", "0.001", "--seconds", "30"]
    lines: list[str] = []
    # stderr goes to a file, so that stdout can be read to its end after the signal: communicate()
    # would read the pipe past the lines readline() has already buffered, and lose them.
    err_path = db.with_name(db.name + ".stderr")
    with err_path.open("w") as err_file, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file,
                                                          text=True) as proc:
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
            rest = proc.stdout.read()  # every line still buffered here or in the pipe, up to the child's exit
            proc.wait(timeout=30)
    err = err_path.read_text()
    lines += rest.splitlines()
    recorded = []
    for line in lines:
        if line.startswith("recorded"):
            _, n, _, t = line.split()
            recorded.append((int(n), float(t)))
    assert recorded, f"the writer recorded nothing: {err}"
    assert [n for n, _ in recorded] == list(range(len(recorded)))
    return recorded, proc.returncode, err


def test_the_default_flush_interval_is_the_documented_quarter_second(tmp_path: Path) -> None:
    # The README promises users a commit every 0.25 s, so that a kill -9 loses at most that.
    assert DEFAULT_FLUSH_INTERVAL == 0.25
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    promised = re.findall(r"commits every ([0-9.]+) s", readme)
    assert promised == ["0.25"], f"README.md should say the writer 'commits every 0.25 s', found {promised}"
    ledger = Ledger(tmp_path / "default.sqlite3")
    try:
        assert ledger.flush_interval == DEFAULT_FLUSH_INTERVAL  # what Ledger() and CostTracker(ledger=True) use
    finally:
        ledger.close()


def test_kill_9_loses_only_calls_of_the_last_flush_interval(tmp_path: Path, catalog: Catalog) -> None:
    db = tmp_path / "killed.sqlite3"
    recorded, code, err = run_stream(db, signal.SIGKILL, flush=None, after=RECORD_FOR_S)  # the default interval
    assert code == -signal.SIGKILL, err
    check_file_is_sound(db)

    ids = landed(db)
    k = len(ids)
    assert ids == list(range(k)), "what landed is not a prefix of what was recorded (a batch landed in part)"
    last_n, last_t = recorded[-1]
    assert k <= last_n + 2  # at most one call recorded but not yet printed
    old_enough = [n for n, t in recorded if t <= last_t - SURVIVES_AFTER_S]
    assert old_enough, f"the child recorded for less than {SURVIVES_AFTER_S} s: nothing to check"
    assert k > old_enough[-1], (
        f"call {old_enough[-1]}, recorded {SURVIVES_AFTER_S} s or more before the kill, is not on disk "
        f"(only calls 0..{k - 1} are): the writer did not commit every {DEFAULT_FLUSH_INTERVAL} s")

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


NON_DAEMON_RECORDER = """
import sys, threading, time
from costpanel import CostTracker, Usage
from costpanel.ledger import Ledger

tracker = CostTracker(ledger=Ledger(sys.argv[1], flush_interval=60))  # only the SIGTERM path writes
said = threading.Lock()
def work(k):
    n = 0
    while True:  # never ends: SIGTERM's default would kill it, and so must the ledger's handler
        tracker.record("gpt-4o", Usage(input=100, output=1), tier="T", event_id=f"{k}-{n}")
        with said:  # one whole line each (print writes the text and its newline apart)
            sys.stdout.write(f"{k}-{n}\\n")
            sys.stdout.flush()
        n += 1
        time.sleep(0.001)
threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]  # non-daemon
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


def test_sigterm_twice_ends_a_process_with_non_daemon_threads_and_loses_nothing(tmp_path: Path) -> None:
    """A supervisor signals the process group (SIGTERM twice, ms apart) of a program whose threads
    never end: the second signal cut the exit flush short (calls lost without a word), and the
    first never ended the process (shutdown waited for its threads; SIGTERM's default kills)."""
    db, script = tmp_path / "nd.sqlite3", tmp_path / "recorder.py"
    script.write_text(NON_DAEMON_RECORDER)
    with subprocess.Popen([sys.executable, str(script), str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        try:
            assert proc.stdout is not None
            for _ in range(300):  # a few hundred calls queued, none written yet
                proc.stdout.readline()
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.002)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    check_file_is_sound(db)
    conn = sqlite3.connect(db)
    try:
        stored = {r[0] for r in conn.execute("SELECT event_id FROM events")}
    finally:
        conn.close()
    rejected = db.with_name(db.name + ".rejected.jsonl")
    aside = {json.loads(line)["event_id"] for line in rejected.read_text().splitlines()} if rejected.exists() else set()
    printed = set(out.split())  # each printed once its record() returned
    assert printed and printed <= stored | aside, f"{len(printed - stored - aside)} recorded calls lost"
    assert len(stored) >= 300
    assert err.count("recorded after the ledger was closed") <= 1  # one line, not one a call


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



def test_the_sigterm_handler_goes_once_the_last_ledger_is_closed(tmp_path: Path) -> None:
    """A ledger turns SIGTERM into a normal exit (so it flushes) while it is open; once the last
    one is closed SIGTERM is the default again, and a new ledger installs the handler again."""
    script = textwrap.dedent(f"""
        import signal
        from costpanel import CostTracker
        first, second = CostTracker(ledger={str(tmp_path / 'a.sqlite3')!r}), CostTracker(ledger={str(tmp_path / 'b.sqlite3')!r})
        print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
        first.close()
        print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)  # one still open: still flushes on SIGTERM
        second.close()
        print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
        third = CostTracker(ledger={str(tmp_path / 'c.sqlite3')!r})
        print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
        third.close()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "True", "False"]
