"""Continuing a session after a restart: its totals rebuilt exactly from the ledger."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..shards import SessionState
from ..snapshot import ModelMeta, TierModel
from ..usage import BUCKETS, TOKEN_BUCKETS, USAGE_ARGS, Usage
from .rows import own_id

if TYPE_CHECKING:
    from .store import Ledger

Read = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]
DEMO_PREFIX = "demo-"  # `costpanel demo`'s sessions: history, never resumed without being named
RECENT_ROWS = 1_000_000  # how far back (in rows) a restart looks for the series' window


def restore_session(ledger: Ledger, series_seconds: int, session: str | None = None) -> SessionState | None:
    """The named session, or the last one still open that is not a demo, rebuilt from the ledger;
    None if none."""
    return ledger.restore(series_seconds, session)


def restore_from(read: Read, series_seconds: int, session: str | None = None) -> SessionState | None:
    """:func:`restore_session` on a SQL connection's ``read`` (the SQLite store's)."""
    if session is None:
        # The last one opened, whatever its events' dates, and never a demo's: a demo killed before
        # it could end its session must not become the user's session.
        row = read(f"SELECT id, started_at FROM sessions WHERE ended_at IS NULL AND substr(id, 1, "
                   f"{len(DEMO_PREFIX)}) <> ? ORDER BY rowid DESC LIMIT 1", (DEMO_PREFIX,))
    else:
        row = read("SELECT id, started_at FROM sessions WHERE id = ?", (session,))
    if not row:
        return None
    session_id, started_at = row[0]
    state = SessionState(session_id, series_seconds, version_base=1)
    state.started_wall = float(started_at)
    # The session's age counts from its start, not from this restart: elapsed time and the
    # session's burn rate go on where they were (downtime included, as on a wall clock).
    state.started_mono = time.monotonic() - max(0.0, time.time() - state.started_wall)
    committed: dict[TierModel, tuple[int, ...]] = {}
    discarded: dict[TierModel, tuple[int, ...]] = {}
    models: dict[str, ModelMeta] = {}
    sums = ", ".join(f"SUM({c})" for c in ("calls", *BUCKETS, "cost_units", "unpriced_calls"))  # a cell's layout
    for tier, key, matched, provider, source, status, *cell in read(
        f"SELECT tier, model_key, MAX(matched), MAX(provider), MAX(priced_by), status, {sums} "
        "FROM rollup WHERE session = ? GROUP BY tier, model_key, status", (session_id,)
    ):
        (committed if status == "committed" else discarded)[(tier, key)] = tuple(cell)
        models[key] = (matched, provider, source)
    for key, meta in models.items():
        state.add_model(key, meta)
    state.retired.cells = committed
    state.retired.writes = sum(c[0] for c in committed.values())
    state.discarded = discarded
    # The calls of the series' window go back to their seconds (the 5-minute burn rate goes on).
    # Recent calls are the ledger's last rows, so only those are scanned, whatever its size.
    last = read("SELECT MAX(id) FROM calls", ())[0][0] or 0
    state.restore_series(read(
        f"SELECT c.ts, d.tier, IFNULL(c.cost_units, 0), {' + '.join(f'c.{b}' for b in TOKEN_BUCKETS)} "
        "FROM calls AS c JOIN dims AS d ON d.id = c.dim "
        "WHERE c.id > ? AND c.committed = 1 AND d.session = ? AND c.ts >= ?",
        (last - RECENT_ROWS, session_id, time.time() - series_seconds)))
    state.first_ts = read("SELECT MIN(c.ts) FROM calls AS c JOIN dims AS d ON d.id = c.dim "
                          "WHERE d.session = ? AND c.committed = 1", (session_id,))[0][0]
    state.approximate_calls = read("SELECT COUNT(*) FROM calls AS c JOIN dims AS d ON d.id = c.dim "
                                   "WHERE d.session = ? AND d.approximate = 1 AND c.committed = 1", (session_id,))[0][0]
    # The variants the session's sums hold (a what-if from them says so): its dims say, not each call.
    for tier, key, variant in read("SELECT DISTINCT d.tier, d.model_key, d.variant FROM dims AS d "
                                   "WHERE d.session = ? AND d.variant != '' AND EXISTS (SELECT 1 FROM calls AS c "
                                   "WHERE c.dim = d.id AND c.committed = 1)", (session_id,)):
        state.variants.setdefault((tier, key), set()).add(variant)
    # What each id counted, so a call with more tokens under it still replaces it after a restart.
    # a caller's id another session's call holds is stored as "<id> (session <session>)": read back as <id>
    state.seen_ids = {own_id(event_id, session_id): ((tier, key), Usage(*usage), cost, ts)
                      for event_id, tier, key, ts, cost, *usage in read(
        f"SELECT c.event_id, d.tier, d.model_key, c.ts, c.cost_units, {', '.join(f'c.{b}' for b in USAGE_ARGS)} "
        "FROM calls AS c JOIN dims AS d ON d.id = c.dim "
        "WHERE c.event_id IS NOT NULL AND c.committed = 1 AND d.session = ?", (session_id,))}
    return state
