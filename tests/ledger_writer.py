"""A separate process that writes a ledger, for the tests that need real processes.

Run as ``python tests/ledger_writer.py MODE PATH [options]`` by the ledger tests (not collected by
pytest: its name does not start with ``test_``). Modes:

``batch``   record ``--count`` calls with ids ``<prefix><n>`` as fast as possible, then close (or,
            with ``--no-close``, just return and leave the flush to the atexit hook).
``stream``  record one call about every ``--every`` seconds, printing ``recorded N at T`` (T: this
            process's ``time.time()``) after each, until killed or ``--seconds`` have passed.
``full``    record ``--count`` calls (ids ``<prefix><n>-xxx…``, 200 x's: they need new pages) into a
            ledger whose file cannot grow (as on a full disk), wait
            until the writer reports it, and exit without ``close()`` (the atexit hook's turn).
``open``    print ``ready``, wait for the file ``--go`` to appear, then ``connect()`` and print
            ``ok`` or the error (several of these started together race to create one ledger).
``days``    read JSON ``{"events": [[iso, input], ...], "ranges": [...]}`` on stdin, record the
            events at those instants, print the ``day`` report and the parsed ranges as JSON. Run
            with ``TZ`` set: days are bucketed in the process's local time zone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from costpanel import CostTracker, Usage
from costpanel.ledger import Ledger
from costpanel.pricing import load_catalog

MODEL = "gpt-4o"


def _tracker(args: argparse.Namespace) -> CostTracker:
    # Without --flush the Ledger's own default applies: the crash test checks that default.
    ledger = Ledger(Path(args.path)) if args.flush is None else Ledger(Path(args.path), flush_interval=args.flush)
    return CostTracker(load_catalog(overrides=False), ledger=ledger, session=args.session)


def batch(args: argparse.Namespace) -> None:
    tracker = _tracker(args)
    for n in range(args.count):
        tracker.record(MODEL, Usage(input=n + 1, output=1), tier=f"T{n % 3}", event_id=f"{args.prefix}{n}")
    print(f"recorded {args.count}", flush=True)
    if not args.no_close:
        tracker.ledger.close()  # type: ignore[union-attr]


def full(args: argparse.Namespace) -> None:
    tracker = _tracker(args)
    ledger = tracker.ledger
    assert ledger is not None and ledger.flush()
    ledger.read(f"PRAGMA max_page_count = {ledger.read('PRAGMA page_count')[0][0]}")
    for n in range(args.count):
        tracker.record(MODEL, Usage(input=n + 1, output=1), event_id=f"{args.prefix}{n}-{'x' * 200}")  # pages
    deadline = time.monotonic() + 10
    while ledger.health().ok and time.monotonic() < deadline:
        time.sleep(0.02)
    print(f"recorded {args.count}; writer: {ledger.health().last_error}", flush=True)


def stream(args: argparse.Namespace) -> None:
    tracker = _tracker(args)
    print("started", flush=True)
    deadline = time.monotonic() + args.seconds
    n = 0
    while time.monotonic() < deadline:
        tracker.record(MODEL, Usage(input=n + 1, output=1), event_id=f"{args.prefix}{n}")
        print(f"recorded {n} at {time.time():.6f}", flush=True)
        n += 1
        time.sleep(args.every)
    if not args.no_close:
        tracker.ledger.close()  # type: ignore[union-attr]


def open_when_told(args: argparse.Namespace) -> None:
    from costpanel.ledger.store import connect

    go = Path(args.go)
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.001)
    try:
        connect(Path(args.path)).close()
    except BaseException as exc:  # report whatever it is: the test names it
        print(f"{type(exc).__name__}: {exc}", flush=True)
        return
    print("ok", flush=True)


def days(args: argparse.Namespace) -> None:
    from costpanel.ledger.queries import open_read_only, parse_range, report

    spec = json.load(sys.stdin)
    tracker = _tracker(args)
    for n, (iso, tokens) in enumerate(spec["events"]):
        tracker.record(MODEL, Usage(input=tokens, output=0), event_id=f"e{n}", at=dt.datetime.fromisoformat(iso))
    tracker.ledger.close()  # type: ignore[union-attr]
    conn = open_read_only(Path(args.path))
    try:
        out = {
            "days": {r.key: [r.calls, r.input, r.cost_units] for r in report(conn, parse_range("all"), "day")},
            "ranges": {},
        }
        for text in spec["ranges"]:
            span = parse_range(text)
            out["ranges"][text] = {
                "start": span.start, "end": span.end,
                "days": {r.key: [r.calls, r.input] for r in report(conn, span, "day")},
            }
    finally:
        conn.close()
    json.dump(out, sys.stdout)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("batch", "stream", "full", "open", "days"))
    p.add_argument("path")
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--prefix", default="e")
    p.add_argument("--session", default=None)
    p.add_argument("--flush", type=float, default=None, help="seconds; default: the Ledger's default")
    p.add_argument("--every", type=float, default=0.001)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--no-close", action="store_true")
    p.add_argument("--go", default="")
    args = p.parse_args()
    {"batch": batch, "stream": stream, "full": full, "open": open_when_told, "days": days}[args.mode](args)


if __name__ == "__main__":
    main()
