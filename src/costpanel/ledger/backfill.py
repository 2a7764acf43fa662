"""Writing many calls at once, in the caller's thread: ``costpanel import`` and other backfills.

The live path (a tracker's queue and the ledger's writer thread) suits calls arriving one by one;
a backfill has them all at hand, so it writes big batches on its own connection, one transaction
each, and learns per batch what was new. Calls carry event ids, and the ledger's upsert decides:
an id not stored yet is *added*; an id stored with fewer tokens is *replaced* (a streaming partial
superseded by its final line); an id stored with as many tokens or more is a *duplicate*. Running
the same backfill twice therefore adds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from ..events import Event
from .rows import Dims, Upserted, _last_call, upsert_events
from .sqlite_storage import connect, default_path

__all__ = ["Added", "Backfill", "Upserted"]

CACHE_KB = 64 << 10  # page cache of a backfill's connection (memory used only as the ledger grows)


class Added(NamedTuple):
    """What a backfill added: calls, their exact cost (1e-12 USD) without the unpriced ones, how
    many are unpriced, and the epoch seconds of the first and last (None when it added none)."""

    calls: int
    cost_units: int
    unpriced: int
    first_ts: float | None
    last_ts: float | None


class Backfill:
    """A ledger file opened for batch writes (``path`` None: the default ledger)."""

    def __init__(self, path: Path | str | None = None, *, commit_every_s: float = 0.0) -> None:
        """``commit_every_s``: a write commits only once its transaction has been open this long
        (:meth:`commit` ends it): every commit rewrites the pages its calls touched all over the
        event-id index, so an import of a million calls writes far less in fewer, larger
        transactions. A crash loses what was not committed yet (an import run again reads it)."""
        self.path = Path(path).expanduser() if path is not None else default_path()
        self._commit_every = commit_every_s
        self._opened = 0.0  # monotonic time the open transaction began
        self._conn = connect(self.path, writer=True)
        # Calls arrive in random event-id order, so each lands on a random page of the id index:
        # with SQLite's default 2 MB cache a large import rereads pages from the OS at every row.
        self._conn.execute(f"PRAGMA cache_size = -{CACHE_KB}")
        self._dims = Dims()
        self._inserted: list[tuple[int, int]] = []  # (after, up to) row ids each write inserted

    def write(self, events: Sequence[Event]) -> Upserted:
        """Store ``events`` (committed calls with their event ids) in one transaction; the
        sessions they name are stored as ended (an imported session is never resumed)."""
        return self.write_each([events])[0]

    def write_each(self, batches: Sequence[Sequence[Event]]) -> list[Upserted]:
        """:meth:`write` of each batch in turn, all in one transaction (a commit costs ~1 ms)."""
        conn = self._conn
        if not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
            self._opened = time.monotonic()
        try:
            before = _last_call(conn)  # the write lock is held: rows past it are this write's
            counts = [upsert_events(conn, events, self._dims) for events in batches]
            after = _last_call(conn)
            if after > before:
                if self._inserted and self._inserted[-1][1] == before:  # right after the last write's rows
                    self._inserted[-1] = (self._inserted[-1][0], after)
                else:
                    self._inserted.append((before, after))
            if time.monotonic() - self._opened >= self._commit_every:
                conn.execute("COMMIT")
        except BaseException:
            self._dims.forget()  # ids made since the last commit are gone
            self._inserted.clear()  # (an import that fails is not summed)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return counts

    def added(self) -> Added:
        """The calls this backfill added (not those it replaced), as stored now (a call it added
        and then replaced with more tokens counts at its final usage): their count, exact cost,
        unpriced ones and first and last times. Only what is committed is read."""
        calls = cost = unpriced = 0
        first: float | None = None
        last: float | None = None
        for lo, hi in self._inserted:
            n, c, u, a, b = self._conn.execute(
                "SELECT COUNT(*), IFNULL(SUM(cost_units), 0), COUNT(*) - COUNT(cost_units), MIN(ts), MAX(ts) "
                "FROM calls WHERE id > ? AND id <= ? AND committed = 1", (lo, hi)).fetchone()
            if n:
                calls, cost, unpriced = calls + n, cost + c, unpriced + u
                first = a if first is None else min(first, a)
                last = b if last is None else max(last, b)
        return Added(calls, cost, unpriced, first, last)

    def commit(self) -> None:
        """Commit what the writes since the last commit left open."""
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the file; what was not committed is rolled back (see :meth:`commit`)."""
        self._conn.close()

    def __enter__(self) -> Backfill:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
