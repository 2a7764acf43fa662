"""Re-create ``v1.sqlite3``: a ledger as written before ``m002_rollups`` existed.

Only ``m001_events`` is applied (and recorded in ``costpanel_migrations``); the events table holds
priced, unpriced and discarded calls of two sessions over two UTC days, some without an event id. The schema is spelled
out here, not taken from ``costpanel.ledger.schema``, so the file stays what version 1 wrote even
if the migration code changes. Run from the repository root: ``python tests/data/ledger/make_v1.py``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from costpanel import CostTracker, Usage
from costpanel.pricing import load_catalog

HERE = Path(__file__).parent
APPLICATION_ID = 0x43505331
V1_SCHEMA = """
CREATE TABLE costpanel_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    event_id TEXT,
    ts REAL NOT NULL,
    session TEXT NOT NULL,
    tier TEXT NOT NULL,
    model TEXT NOT NULL,
    model_key TEXT NOT NULL,
    matched TEXT,
    provider TEXT,
    input INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    cache_write INTEGER NOT NULL,
    cache_write_1h INTEGER NOT NULL,
    output INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    cost_units INTEGER,
    status TEXT NOT NULL
);
CREATE UNIQUE INDEX events_event_id ON events(event_id) WHERE event_id IS NOT NULL;
CREATE TABLE sessions (id TEXT PRIMARY KEY, started_at REAL NOT NULL, ended_at REAL);
"""


def main() -> None:
    target = HERE / "v1.sqlite3"
    target.unlink(missing_ok=True)
    tracker = CostTracker(load_catalog(overrides=False))
    start = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.timezone.utc)
    events = []
    for n in range(40):
        at = start + dt.timedelta(minutes=37 * n)  # spread over many 15-minute buckets and 2 days
        session = "v1-first" if n < 25 else "v1-second"
        tier = ("Tier 1", "Tier 2", "Tier 3")[n % 3]
        model = ("gpt-4o", "claude-sonnet-4", "mystery-model-v1", "gpt-4o-mini")[n % 4]
        usage = Usage(input=1000 + n, cache_read=10 * (n % 5), cache_write=n % 7, output=50 + n)
        if n % 9 == 4:  # a fallback attempt that failed: kept as discarded
            with tracker.attempt(tier, session=session) as a:
                a.record(model, usage, event_id=f"v1-{n}", at=at)
                a.discard()
            events += a.events
        else:
            event_id = None if n % 10 == 7 else f"v1-{n}"  # callers need not give ids
            events.append(tracker.record(model, usage, tier=tier, session=session, event_id=event_id, at=at))
    conn = sqlite3.connect(target, isolation_level=None)
    for statement in V1_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO costpanel_migrations VALUES ('m001_events', ?)", (start.timestamp(),))
    conn.executemany(
        "INSERT INTO events (event_id, ts, session, tier, model, model_key, matched, provider, input, cache_read, "
        "cache_write, cache_write_1h, output, requests, cost_units, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(e.event_id, e.ts, e.session, e.tier, e.model, e.matched or e.model.strip(), e.matched, e.provider,
          *e.usage, e.cost_units, e.status) for e in events],
    )
    conn.execute("INSERT INTO sessions VALUES ('v1-first', ?, ?)", (events[0].ts, events[24].ts + 1))
    conn.execute("INSERT INTO sessions VALUES ('v1-second', ?, NULL)", (events[25].ts,))
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("VACUUM")
    conn.close()
    print(f"wrote {target} ({target.stat().st_size} bytes, {len(events)} events)")


if __name__ == "__main__":
    main()
