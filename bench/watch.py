"""`costpanel watch`: how fast an appended line is counted, and what watching idle files costs.

Targets (issue 11 §1):
- a line appended to a watched file reaches the panel and the ledger within 1 s;
- watching 1,000 idle files costs < 2 % of a core.
(a) latency: a line is appended to a watched file; time until the tracker's snapshot shows it (what
    the panel draws on its next frame: at most 1/idle_fps = 0.5 s later, 1/24 s while data flows),
    and until the ledger (a read-only connection, as the History tab reads it) holds it.
(b) idle cost: 1,000 files in 50 folders (Claude Code's projects/<project>/<session>.jsonl shape)
    watched for --idle-seconds; CPU time of the whole process (every thread) over wall time.
Run: PYTHONPATH=src python bench/watch.py [--samples 40] [--idle-seconds 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from _common import check, header, percentile

from costpanel import CostTracker
from costpanel.integrations import jsonl
from costpanel.integrations.watch import Root, Watcher

TARGET_LATENCY_S = 1.0
TARGET_IDLE_CORE = 0.02


def line(n: int) -> str:
    return json.dumps({"ts": time.time(), "model": "claude-sonnet-4-5", "session": "bench", "tier": "main",
                       "usage": {"input": 1000, "cache_read": 20_000, "output": 200}, "id": f"bench-{n}"}) + "\n"


def wait_until(condition, timeout: float = 10.0) -> float:  # type: ignore[no-untyped-def]
    """perf_counter when ``condition()`` first held (polled every 2 ms)."""
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise SystemExit(f"not seen after {timeout} s")
        time.sleep(0.002)
    return time.perf_counter()


def latency(folder: Path, samples: int) -> tuple[list[float], list[float]]:
    logs = folder / "latency"
    logs.mkdir()
    log = logs / "run.jsonl"
    log.write_text(line(-1))
    db = folder / "ledger.sqlite3"
    tracker = CostTracker(ledger=db)
    watcher = Watcher(tracker, [Root(logs, (jsonl,))])
    watcher.start()
    watcher.ready.wait(10)
    tracker.ledger.flush()  # type: ignore[union-attr]
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    to_tracker, to_ledger = [], []
    try:
        for n in range(samples):
            time.sleep(0.3)  # lines arrive apart, as an agent writes them (each its own change)
            calls = tracker.snapshot().calls
            t0 = time.perf_counter()
            with log.open("a") as f:
                f.write(line(n))
            seen = wait_until(lambda: tracker.snapshot().calls > calls)
            stored = wait_until(lambda: conn.execute("SELECT 1 FROM events WHERE event_id = ?",
                                                     (f"bench-{n}",)).fetchone() is not None)
            to_tracker.append(seen - t0)
            to_ledger.append(stored - t0)
    finally:
        conn.close()
        watcher.stop()
        tracker.close(end_session=True)
    return to_tracker, to_ledger


def idle_cost(folder: Path, seconds: float, files: int = 1000) -> tuple[float, int]:
    root = folder / "projects"
    for k in range(files):
        session = root / f"-home-dev-project-{k % 50}" / f"session-{k}.jsonl"
        session.parent.mkdir(parents=True, exist_ok=True)
        session.write_text(line(k))
    tracker = CostTracker()
    watcher = Watcher(tracker, [Root(root, (jsonl,))])
    watcher.start()
    watcher.ready.wait(30)
    time.sleep(1.0)  # the catch-up's garbage and caches settle
    cpu0, wall0 = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    followed = watcher.stats().files
    watcher.stop()
    return cpu / wall, followed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    args = parser.parse_args()
    header("watch")
    folder = Path(tempfile.mkdtemp(prefix="costpanel-bench-watch-"))
    try:
        to_tracker, to_ledger = latency(folder, args.samples)
        for label, values in (("tracker (panel)", to_tracker), ("ledger", to_ledger)):
            p50, p95 = percentile(values, 50), percentile(values, 95)
            print(f"append -> {label}: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(values) * 1000:.0f} ms "
                  f"({args.samples} lines); p95 / 1 s target = {p95 / TARGET_LATENCY_S:.2f}  "
                  f"{check('<= 1 s', p95 <= TARGET_LATENCY_S)}")
        core, followed = idle_cost(folder, args.idle_seconds)
        print(f"idle: {followed:,} files watched for {args.idle_seconds:g} s: {core:.2%} of a core; "
              f"/ 2 % target = {core / TARGET_IDLE_CORE:.2f}  {check('< 2 %', core < TARGET_IDLE_CORE)}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
