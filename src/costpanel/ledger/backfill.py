"""Writing many calls at once, in the caller's thread: ``costpanel import`` and other backfills.

The live path (a tracker's queue and the ledger's writer thread) suits calls arriving one by one;
a backfill has them all at hand, so it writes big batches on its own connection, one transaction
each, and learns per batch what was new. Calls carry event ids, and the ledger's upsert decides:
an id not stored yet is *added*; an id stored with fewer tokens is *replaced* (a streaming partial
superseded by its final line); an id stored with as many tokens or more is a *duplicate*. Running
the same backfill twice therefore adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from ..events import Event
from .rows import Dims, Upserted, upsert_events
from .sqlite_storage import connect, default_path

__all__ = ["Backfill", "Upserted"]

CACHE_KB = 64 << 10  # page cache of a backfill's connection (memory used only as the ledger grows)


class Backfill:
    """A ledger file opened for batch writes (``path`` None: the default ledger)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_path()
        self._conn = connect(self.path)
        # Calls arrive in random event-id order, so each lands on a random page of the id index:
        # with SQLite's default 2 MB cache a large import rereads pages from the OS at every row.
        self._conn.execute(f"PRAGMA cache_size = -{CACHE_KB}")
        self._dims = Dims()

    def write(self, events: Sequence[Event]) -> Upserted:
        """Store ``events`` (committed calls with their event ids) in one transaction; the
        sessions they name are stored as ended (an imported session is never resumed)."""
        return self.write_each([events])[0]

    def write_each(self, batches: Sequence[Sequence[Event]]) -> list[Upserted]:
        """:meth:`write` of each batch in turn, all in one transaction (a commit costs ~1 ms)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            counts = [upsert_events(conn, events, self._dims) for events in batches]
            conn.execute("COMMIT")
        except BaseException:
            self._dims.forget()
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return counts

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Backfill:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
