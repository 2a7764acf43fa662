"""The ledger's SQLite schema: forward migrations, an append-only list of small named functions.

The applied names are kept in ``costpanel_migrations``; ``PRAGMA application_id`` marks the file
as costpanel's, so a foreign or corrupt database is refused with a clear error, never rewritten.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

APPLICATION_ID = 0x43505331  # "CPS1"
BUCKET_SECONDS = 900  # roll-ups per 15 minutes: every real UTC offset is a multiple of 15 minutes


class LedgerError(RuntimeError):
    """The ledger file cannot be used (foreign, corrupt, newer schema, unwritable)."""


def _run(conn: sqlite3.Connection, script: str) -> None:
    """Statements one by one (``executescript`` would commit half-way through a migration)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    if pending.strip():
        conn.execute(pending)


# The summed columns every roll-up table carries.
_TOTALS = ("calls INTEGER NOT NULL, input INTEGER NOT NULL, cache_read INTEGER NOT NULL, "
           "cache_write INTEGER NOT NULL, cache_write_1h INTEGER NOT NULL, output INTEGER NOT NULL, "
           "requests INTEGER NOT NULL, cost_units INTEGER NOT NULL, unpriced_calls INTEGER NOT NULL,")


def m001_events(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            event_id TEXT,                  -- the caller's id (idempotence); NULL when none was given
            ts REAL NOT NULL,               -- epoch seconds, UTC
            session TEXT NOT NULL,
            tier TEXT NOT NULL,
            model TEXT NOT NULL,            -- the name as the caller gave it
            model_key TEXT NOT NULL,        -- catalog id, or the name when unknown
            matched TEXT,                   -- catalog id, NULL when unpriced
            provider TEXT,
            input INTEGER NOT NULL,
            cache_read INTEGER NOT NULL,
            cache_write INTEGER NOT NULL,
            cache_write_1h INTEGER NOT NULL,
            output INTEGER NOT NULL,
            requests INTEGER NOT NULL,
            cost_units INTEGER,             -- 1e-12 USD, exact; NULL when unpriced
            status TEXT NOT NULL            -- committed | discarded
        );
        -- Only ids callers gave are unique-checked: a partial index skips the rest, which keeps
        -- ingest at a few microseconds a row. Reports read the roll-ups, not this table.
        CREATE UNIQUE INDEX events_event_id ON events(event_id) WHERE event_id IS NOT NULL;
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            started_at REAL NOT NULL,
            ended_at REAL
        )
        """,
    )


def m002_rollups(conn: sqlite3.Connection) -> None:
    """Per 15-minute totals, so reports over a million calls read thousands of rows."""
    _run(
        conn,
        f"""
        CREATE TABLE rollup (
            bucket INTEGER NOT NULL,        -- epoch seconds // {BUCKET_SECONDS} * {BUCKET_SECONDS}
            session TEXT NOT NULL,
            tier TEXT NOT NULL,
            model_key TEXT NOT NULL,
            matched TEXT,
            provider TEXT,
            status TEXT NOT NULL,
            {_TOTALS}
            PRIMARY KEY (bucket, session, tier, model_key, status)
        ) WITHOUT ROWID;
        INSERT INTO rollup
        SELECT CAST(ts / {BUCKET_SECONDS} AS INTEGER) * {BUCKET_SECONDS}, session, tier, model_key,
               MAX(matched), MAX(provider), status, COUNT(*), SUM(input), SUM(cache_read),
               SUM(cache_write), SUM(cache_write_1h), SUM(output), SUM(requests),
               COALESCE(SUM(cost_units), 0), SUM(cost_units IS NULL)
        FROM events
        GROUP BY 1, session, tier, model_key, status
        """,
    )


HOUR = 3600


def m003_hourly(conn: sqlite3.Connection) -> None:
    """Hourly totals without the session: a month of reports reads 720 buckets, not 2,880 × sessions.
    Local days are whole hours in most time zones; the 15-minute table serves the edges of the
    rest (India, Nepal, parts of Australia)."""
    _run(
        conn,
        f"""
        CREATE TABLE rollup_hour (
            hour INTEGER NOT NULL,
            tier TEXT NOT NULL,
            model_key TEXT NOT NULL,
            matched TEXT,
            provider TEXT,
            status TEXT NOT NULL,
            {_TOTALS}
            PRIMARY KEY (hour, tier, model_key, status)
        ) WITHOUT ROWID;
        INSERT INTO rollup_hour
        SELECT bucket / {HOUR} * {HOUR}, tier, model_key, MAX(matched), MAX(provider), status, SUM(calls),
               SUM(input), SUM(cache_read), SUM(cache_write), SUM(cache_write_1h), SUM(output), SUM(requests),
               SUM(cost_units), SUM(unpriced_calls)
        FROM rollup GROUP BY 1, tier, model_key, status
        """,
    )


def m004_committed_ids(conn: sqlite3.Connection) -> None:
    """Ids are unique per status: a discarded fallback attempt retried under the same id must
    still count once committed, and the same event written twice still counts once."""
    _run(
        conn,
        """
        DROP INDEX IF EXISTS events_event_id;
        CREATE UNIQUE INDEX events_id_status ON events(event_id, status) WHERE event_id IS NOT NULL
        """,
    )


EVENTS_VIEW = """
CREATE VIEW events AS
SELECT c.id, c.event_id, c.ts, d.session, d.tier, d.model, d.model_key, NULLIF(d.matched, '') AS matched,
       NULLIF(d.provider, '') AS provider, c.input, c.cache_read, c.cache_write, c.cache_write_1h, c.output,
       c.requests, c.cost_units, CASE c.committed WHEN 1 THEN 'committed' ELSE 'discarded' END AS status,
       strftime('%Y-%m-%dT%H:%M:%fZ', c.ts, 'unixepoch') AS time_utc,
       CASE WHEN c.cost_units IS NOT NULL
            THEN printf('%d.%012d', c.cost_units / 1000000000000, c.cost_units % 1000000000000) END AS cost_usd
FROM calls AS c JOIN dims AS d ON d.id = c.dim
"""


def m005_lean_calls(conn: sqlite3.Connection) -> None:
    """One narrow row per call: the repeated names (session, tier, model, provider) move to ``dims``
    and the status becomes a flag, so a million calls are written in seconds and take a third of the
    space. The view ``events`` keeps the v1 columns for readers and ad-hoc SQL, plus ``time_utc``
    (ISO 8601) and ``cost_usd`` (exact, as text; NULL when unpriced) for people."""
    _run(
        conn,
        f"""
        CREATE TABLE dims (
            id INTEGER PRIMARY KEY,
            session TEXT NOT NULL,
            tier TEXT NOT NULL,
            model TEXT NOT NULL,            -- the name as the caller gave it
            matched TEXT NOT NULL,          -- catalog id, '' when unpriced
            provider TEXT NOT NULL,         -- '' when unknown
            model_key TEXT NOT NULL,        -- catalog id, or the name when unknown
            UNIQUE (session, tier, model, matched, provider)
        );
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            event_id TEXT,                  -- the caller's id (idempotence); NULL when none was given
            ts REAL NOT NULL,               -- epoch seconds, UTC
            dim INTEGER NOT NULL REFERENCES dims (id),
            committed INTEGER NOT NULL,     -- 1: counted; 0: a discarded fallback attempt
            input INTEGER NOT NULL,
            cache_read INTEGER NOT NULL,
            cache_write INTEGER NOT NULL,
            cache_write_1h INTEGER NOT NULL,
            output INTEGER NOT NULL,
            requests INTEGER NOT NULL,
            cost_units INTEGER              -- 1e-12 USD, exact; NULL when unpriced
        );
        INSERT INTO dims (session, tier, model, matched, provider, model_key)
        SELECT DISTINCT session, tier, model, IFNULL(matched, ''), IFNULL(provider, ''), model_key FROM events;
        INSERT INTO calls
        SELECT e.id, e.event_id, e.ts, d.id, e.status = 'committed', e.input, e.cache_read, e.cache_write,
               e.cache_write_1h, e.output, e.requests, e.cost_units
        FROM events AS e JOIN dims AS d
          ON d.session = e.session AND d.tier = e.tier AND d.model = e.model
         AND d.matched = IFNULL(e.matched, '') AND d.provider = IFNULL(e.provider, '');
        DROP TABLE events;
        CREATE UNIQUE INDEX calls_event_id ON calls (event_id, committed) WHERE event_id IS NOT NULL;
        {EVENTS_VIEW}
        """,
    )


EVENTS_VIEW_V6 = """
CREATE VIEW events AS
SELECT c.id, c.event_id, c.ts, d.session, d.tier, d.model, d.model_key, NULLIF(d.matched, '') AS matched,
       NULLIF(d.provider, '') AS provider, c.input, c.cache_read, c.cache_write, c.cache_write_1h, c.output,
       c.requests, c.web_search, c.cost_units, CASE c.committed WHEN 1 THEN 'committed' ELSE 'discarded' END AS status,
       NULLIF(d.variant, '') AS variant, NULLIF(d.source, '') AS source,
       strftime('%Y-%m-%dT%H:%M:%fZ', c.ts, 'unixepoch') AS time_utc,
       CASE WHEN c.cost_units IS NOT NULL
            THEN printf('%d.%012d', c.cost_units / 1000000000000, c.cost_units % 1000000000000) END AS cost_usd
FROM calls AS c JOIN dims AS d ON d.id = c.dim
"""


def m006_variants_and_search(conn: sqlite3.Connection) -> None:
    """Web searches become a bucket (a column of ``calls`` and the roll-ups); a call's price variant
    (``batch``, ``priority`` …) and what priced it (``catalog``, ``genai-prices x.y.z``) join its
    dimensions. Calls stored before were standard-priced by the catalog, and are marked so."""
    _run(
        conn,
        f"""
        DROP VIEW events;
        ALTER TABLE calls ADD COLUMN web_search INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE rollup ADD COLUMN web_search INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE rollup ADD COLUMN source TEXT;
        ALTER TABLE rollup_hour ADD COLUMN web_search INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE rollup_hour ADD COLUMN source TEXT;
        UPDATE rollup SET source = 'catalog' WHERE matched IS NOT NULL;
        UPDATE rollup_hour SET source = 'catalog' WHERE matched IS NOT NULL;
        CREATE TABLE dims_v6 (
            id INTEGER PRIMARY KEY,
            session TEXT NOT NULL,
            tier TEXT NOT NULL,
            model TEXT NOT NULL,            -- the name as the caller gave it
            matched TEXT NOT NULL,          -- catalog id, '' when unpriced
            provider TEXT NOT NULL,         -- '' when unknown
            model_key TEXT NOT NULL,        -- catalog id, or the name when unknown
            variant TEXT NOT NULL,          -- price variant ('batch', 'fast+us' …), '' when standard
            source TEXT NOT NULL,           -- 'catalog', 'genai-prices x.y.z'; '' when unpriced
            UNIQUE (session, tier, model, matched, provider, variant, source)
        );
        INSERT INTO dims_v6 (id, session, tier, model, matched, provider, model_key, variant, source)
        SELECT id, session, tier, model, matched, provider, model_key, '',
               CASE WHEN matched != '' THEN 'catalog' ELSE '' END FROM dims;
        DROP TABLE dims;
        ALTER TABLE dims_v6 RENAME TO dims;
        {EVENTS_VIEW_V6}
        """,
    )


EVENTS_VIEW_V7 = EVENTS_VIEW_V6.replace("NULLIF(d.source, '') AS source", "NULLIF(d.priced_by, '') AS priced_by")


def m007_priced_by(conn: sqlite3.Connection) -> None:
    """What priced a call is ``priced_by`` (``source`` names where a call came from: Claude Code
    logs, LiteLLM, OpenTelemetry …, which later migrations add)."""
    _run(
        conn,
        f"""
        DROP VIEW events;
        ALTER TABLE dims RENAME COLUMN source TO priced_by;
        ALTER TABLE rollup RENAME COLUMN source TO priced_by;
        ALTER TABLE rollup_hour RENAME COLUMN source TO priced_by;
        {EVENTS_VIEW_V7}
        """,
    )


EVENTS_VIEW_V8 = EVENTS_VIEW_V7.replace("NULLIF(d.priced_by, '') AS priced_by",
                                        "NULLIF(d.priced_by, '') AS priced_by, d.source, d.project")
_TOTALS_V6 = _TOTALS + " web_search INTEGER NOT NULL,"  # web_search joined the summed columns in m006
_ROLLUP_COPY = ("calls, input, cache_read, cache_write, cache_write_1h, output, requests, web_search, cost_units, "
                "unpriced_calls, matched, provider, priced_by, status")


def m008_source_project(conn: sqlite3.Connection) -> None:
    """Where each call came from (``source``: ``api`` for a direct ``record()``, ``claude-code``,
    ``litellm`` … — see :mod:`costpanel.sources`) and its ``project`` ('' when none) join its
    dimensions and the roll-ups' keys, so reports group by them. ``dims`` and both roll-up tables
    are rebuilt (a UNIQUE or PRIMARY KEY cannot be altered in place); the calls stored before came
    through ``record()`` without a project: ``'api'`` and ``''``."""
    _run(
        conn,
        f"""
        DROP VIEW events;
        CREATE TABLE dims_v8 (
            id INTEGER PRIMARY KEY,
            session TEXT NOT NULL,
            tier TEXT NOT NULL,
            model TEXT NOT NULL,            -- the name as the caller gave it
            matched TEXT NOT NULL,          -- catalog id, '' when unpriced
            provider TEXT NOT NULL,         -- '' when unknown
            model_key TEXT NOT NULL,        -- catalog id, or the name when unknown
            variant TEXT NOT NULL,          -- price variant ('batch', 'fast+us' …), '' when standard
            priced_by TEXT NOT NULL,        -- 'catalog', 'genai-prices x.y.z'; '' when unpriced
            source TEXT NOT NULL DEFAULT 'api',  -- where the call came from ('api', 'claude-code' …)
            project TEXT NOT NULL DEFAULT '',    -- its project, '' when none
            UNIQUE (session, tier, model, matched, provider, variant, priced_by, source, project)
        );
        INSERT INTO dims_v8 (id, session, tier, model, matched, provider, model_key, variant, priced_by)
        SELECT id, session, tier, model, matched, provider, model_key, variant, priced_by FROM dims;
        DROP TABLE dims;
        ALTER TABLE dims_v8 RENAME TO dims;
        CREATE TABLE rollup_v8 (
            bucket INTEGER NOT NULL,        -- epoch seconds // {BUCKET_SECONDS} * {BUCKET_SECONDS}
            session TEXT NOT NULL,
            tier TEXT NOT NULL,
            model_key TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'api',
            project TEXT NOT NULL DEFAULT '',
            matched TEXT,
            provider TEXT,
            priced_by TEXT,
            status TEXT NOT NULL,
            {_TOTALS_V6}
            PRIMARY KEY (bucket, session, tier, model_key, status, source, project)
        ) WITHOUT ROWID;
        INSERT INTO rollup_v8 (bucket, session, tier, model_key, {_ROLLUP_COPY})
        SELECT bucket, session, tier, model_key, {_ROLLUP_COPY} FROM rollup;
        DROP TABLE rollup;
        ALTER TABLE rollup_v8 RENAME TO rollup;
        CREATE TABLE rollup_hour_v8 (
            hour INTEGER NOT NULL,
            tier TEXT NOT NULL,
            model_key TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'api',
            project TEXT NOT NULL DEFAULT '',
            matched TEXT,
            provider TEXT,
            priced_by TEXT,
            status TEXT NOT NULL,
            {_TOTALS_V6}
            PRIMARY KEY (hour, tier, model_key, status, source, project)
        ) WITHOUT ROWID;
        INSERT INTO rollup_hour_v8 (hour, tier, model_key, {_ROLLUP_COPY})
        SELECT hour, tier, model_key, {_ROLLUP_COPY} FROM rollup_hour;
        DROP TABLE rollup_hour;
        ALTER TABLE rollup_hour_v8 RENAME TO rollup_hour;
        {EVENTS_VIEW_V8}
        """,
    )


EVENTS_VIEW_V9 = EVENTS_VIEW_V8.replace("d.source, d.project", "d.source, d.project, d.approximate")


def m009_approximate(conn: sqlite3.Connection) -> None:
    """Whether a call's usage was only estimated by its source (``approximate``: Claude Code's
    telemetry gives cache writes without their TTL split) joins its dimensions. ``dims`` is rebuilt
    for its UNIQUE key; every call stored before was exact."""
    _run(
        conn,
        f"""
        DROP VIEW events;
        CREATE TABLE dims_v9 (
            id INTEGER PRIMARY KEY,
            session TEXT NOT NULL,
            tier TEXT NOT NULL,
            model TEXT NOT NULL,            -- the name as the caller gave it
            matched TEXT NOT NULL,          -- catalog id, '' when unpriced
            provider TEXT NOT NULL,         -- '' when unknown
            model_key TEXT NOT NULL,        -- catalog id, or the name when unknown
            variant TEXT NOT NULL,          -- price variant ('batch', 'fast+us' …), '' when standard
            priced_by TEXT NOT NULL,        -- 'catalog', 'genai-prices x.y.z'; '' when unpriced
            source TEXT NOT NULL DEFAULT 'api',  -- where the call came from ('api', 'claude-code' …)
            project TEXT NOT NULL DEFAULT '',    -- its project, '' when none
            approximate INTEGER NOT NULL DEFAULT 0,  -- 1: its source could only estimate the usage
            UNIQUE (session, tier, model, matched, provider, variant, priced_by, source, project, approximate)
        );
        INSERT INTO dims_v9 (id, session, tier, model, matched, provider, model_key, variant, priced_by, source,
                             project)
        SELECT id, session, tier, model, matched, provider, model_key, variant, priced_by, source, project FROM dims;
        DROP TABLE dims;
        ALTER TABLE dims_v9 RENAME TO dims;
        {EVENTS_VIEW_V9}
        """,
    )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (m001_events, m002_rollups, m003_hourly,
                                                                m004_committed_ids, m005_lean_calls,
                                                                m006_variants_and_search, m007_priced_by,
                                                                m008_source_project, m009_approximate)


def check_owner(conn: sqlite3.Connection, *, where: str = "database", shared: bool = False) -> None:
    """Refuse a corrupt file, another program's database, or a newer costpanel's — reading only,
    before anything (even the journal mode) is changed.

    ``shared``: an application's own database that costpanel's tables join (same-transaction
    writes) — its tables are expected; only a file stamped by another program is refused.
    """
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.OperationalError:  # cannot be opened or read (permissions, locks): not the content
        raise
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_CORRUPT:  # a database, with damaged pages
            file = "FILE" if where == "database" else where  # a connection without a file name to give
            raise LedgerError(f"{where} is damaged ({exc}); costpanel will not touch it: restore it from a "
                              f"backup, or recover what is left with `sqlite3 {file} .recover`") from None
        raise LedgerError(f"{where} is not a costpanel ledger ({exc}); costpanel will not touch it") from None
    ours = app_id == APPLICATION_ID or "costpanel_migrations" in tables
    if app_id not in (0, APPLICATION_ID) or not (ours or not tables or shared):
        raise LedgerError(f"{where} belongs to another program (it is not a costpanel ledger); "
                          "costpanel will not touch it")
    if "costpanel_migrations" in tables:
        applied = {r[0] for r in conn.execute("SELECT name FROM costpanel_migrations")}
        unknown = applied - {m.__name__ for m in MIGRATIONS}
        if unknown:
            raise LedgerError(f"{where} was written by a newer costpanel (migrations {sorted(unknown)}); "
                              "upgrade costpanel")


def pending_migrations(conn: sqlite3.Connection) -> list[str]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    applied = set() if "costpanel_migrations" not in tables else {
        r[0] for r in conn.execute("SELECT name FROM costpanel_migrations")}
    return [m.__name__ for m in MIGRATIONS if m.__name__ not in applied]


def migrate(conn: sqlite3.Connection, *, where: str = "database") -> list[str]:
    """Bring ``conn``'s costpanel tables up to date; returns the migrations applied now.

    Creates them in an empty database (also one an application already uses for its own data,
    for same-transaction writes), refuses a file another program owns or a newer schema.
    """
    check_owner(conn, where=where, shared=True)
    empty = not conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    ours = conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.execute("CREATE TABLE IF NOT EXISTS costpanel_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    applied = {r[0] for r in conn.execute("SELECT name FROM costpanel_migrations")}
    done = []
    for migration in MIGRATIONS:
        if migration.__name__ in applied:
            continue
        # A savepoint makes each migration all-or-nothing whatever transaction mode the
        # connection uses (the application's own connection, for same-transaction writes).
        conn.execute(f"SAVEPOINT {migration.__name__}")
        try:
            migration(conn)
            conn.execute("INSERT INTO costpanel_migrations VALUES (?, ?)", (migration.__name__, time.time()))
        except BaseException:
            conn.execute(f"ROLLBACK TO {migration.__name__}")
            conn.execute(f"RELEASE {migration.__name__}")
            raise
        conn.execute(f"RELEASE {migration.__name__}")
        done.append(migration.__name__)
    if empty or ours:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    return done
