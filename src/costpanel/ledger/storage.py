"""What the ledger's writer needs from a store, and nothing more: the seam between the queue
(back-pressure, retries, flush at exit: :mod:`.store`) and a database (:mod:`.sqlite_storage`).

A second backend (PostgreSQL, for a team's shared ledger) implements :class:`Storage`; the
writer's queue and back-pressure logic stay as they are. The writer calls a store from one
thread at a time (it holds its own lock), so a store need not be thread-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..events import Event

if TYPE_CHECKING:
    from ..shards import SessionState

Mark = tuple[str, str, float]  # ("start" | "end", session id, epoch seconds): a session opened or ended


class StorageUnavailable(Exception):
    """The store cannot take this write now (busy, full, read-only, damaged, unreachable).

    Nothing is wrong with the batch: the writer keeps it queued, in order, says so in ``health()``
    and retries. Any other exception from :meth:`Storage.write` blames the batch's content, and
    the writer then writes it one call at a time to set the culprit aside.
    """

    def __init__(self, message: str, *, busy: bool = False) -> None:
        super().__init__(message)
        self.busy = busy  # another writer holds the store: worth waiting for at close, unlike a full disk


class Storage(Protocol):
    name: str  # the store as people know it (a file path, a server), for messages
    path: Path | None  # the file of a file-backed store (reports and the History tab read it); None otherwise
    rejected_path: Path  # where calls the store refuses are set aside, one JSON object a line (0600)

    def write(self, events: Sequence[Event], marks: Sequence[Mark]) -> None:
        """Store the session marks and the events in one transaction, all or nothing; raise
        :class:`StorageUnavailable` when the store, not the content, is the trouble."""
        ...

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query (``Ledger.read``: tests, tools)."""
        ...

    def restore(self, series_seconds: int, session: str | None) -> SessionState | None:
        """The named session, or the last open one that is not a demo, rebuilt exactly; None if none."""
        ...

    def close(self) -> None:
        ...
