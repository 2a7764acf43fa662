"""The ledger in a SQLite file: opening it (WAL, busy timeout, 0600, migrations) and writing
batches in one transaction. The one :class:`~.storage.Storage` implementation today."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..events import Event
from ..paths import data_dir, ensure_private_dir
from .rows import Dims, write_events
from .schema import LedgerError, check_owner, migrate, pending_migrations
from .storage import Mark, StorageUnavailable

if TYPE_CHECKING:
    from ..shards import SessionState

ENV_DB = "COSTPANEL_DB"
BUSY_TIMEOUT_MS = 10_000  # opening and reading; the writer uses a short one and retries instead
WRITER_BUSY_TIMEOUT_MS = 1_000
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_WRITABLE_HINT = ("make the file and its folder writable (chmod u+w; chattr -i), or use another ledger "
                  "(--db PATH or COSTPANEL_DB)")


def default_path() -> Path:
    """``COSTPANEL_DB``, else ``<user data dir>/ledger.sqlite3``."""
    env = os.environ.get(ENV_DB)
    return Path(env).expanduser() if env else data_dir() / "ledger.sqlite3"


def connect(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, writer: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, with a busy timeout.

    ``writer``: the connection writes many batches in one transaction (a backfill). Each multi-row
    INSERT after the transaction's first write keeps a statement journal (the pages it changes, to
    undo that statement alone), in a temporary file by default: a million-call import wrote 1.5 GB
    to them (29x the ledger's size, ~1 s of system calls). In memory it is only as large as one
    statement's changes. The live writer (one batch a transaction), readers and migrations (whose
    index builds may sort a large table) keep temporary files on disk.

    The file's owner is checked before anything is changed; several processes may open a new
    ledger at the same moment (creation, migration and the WAL switch each tolerate the others).
    """
    if path.is_dir():
        raise LedgerError(f"{path} is a folder: give the ledger a file name, e.g. {path / 'ledger.sqlite3'}")
    try:
        ensure_private_dir(path.parent)
        try:  # created 0600 before SQLite opens it
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:  # there already, or another process just made it
            # SQLite would open a read-only file without a word and leave its -wal and -shm behind
            if not os.access(path, os.R_OK | os.W_OK):
                raise LedgerError(f"{path} cannot be written (it is read-only or immutable): "
                                  f"{_WRITABLE_HINT}") from None
    except OSError as exc:  # a folder that cannot be made or written, a file in the way of one
        raise LedgerError(f"{path} cannot be created ({exc.strerror or exc}): {_WRITABLE_HINT}") from None
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000)
    try:
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        check_owner(conn, where=str(path))
        mode = _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        if str(mode).lower() != "wal":
            raise LedgerError(f"{path}: could not switch to WAL mode (got {mode!r})")
        conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable across crashes of the process
        conn.execute("PRAGMA wal_autocheckpoint = 10000")  # fewer checkpoints during a large ingest
        if pending_migrations(conn):
            # One process migrates (a large ledger takes seconds); the others wait, then find it done.
            _retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
            try:
                migrate(conn, where=str(path))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        _probe_write(conn)
        if writer:
            conn.execute("PRAGMA temp_store = MEMORY")  # statement journals (see above), after any migration
    except sqlite3.OperationalError as exc:  # locked for too long, unreadable, read-only: not the content
        conn.close()
        if exc.sqlite_errorcode & 0xFF in _BUSY_CODES:
            raise LedgerError(f"{path} is locked by another process ({exc}); try again once it is done") from None
        raise LedgerError(f"{path} cannot be written ({exc}): {_WRITABLE_HINT}") from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        if is_damage(exc):
            raise damaged(path, exc) from None
        raise LedgerError(f"{path} is not a costpanel ledger ({exc}); costpanel will not touch it") from None
    except BaseException:
        conn.close()
        raise
    return conn


_FILL_HINT = ("record with CostTracker(ledger=True), or fill it with `costpanel import` (agent logs) or "
              "`costpanel watch` (`costpanel demo` keeps its simulated calls apart, in demo.sqlite3)")


def open_read_only(path: Path, *, verify: bool = False) -> sqlite3.Connection:
    """A reader that cannot change the file (and does not create one). A ledger written by an
    older costpanel is first brought up to date by a short read-write open. ``verify``: run
    SQLite's quick check first (:func:`check_integrity`; the CLI does, the panel does not)."""
    if not path.exists():
        raise LedgerError(f"no ledger at {path} yet: {_FILL_HINT}")
    if path.is_dir():
        raise LedgerError(f"{path} is a folder: give the ledger's file, e.g. {path / 'ledger.sqlite3'}")
    for attempt in (1, 2):
        conn = _connect_read_only(path)
        try:
            check_owner(conn, where=str(path))
            if "costpanel_migrations" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}:
                # an empty file (or one costpanel never wrote): a report does not make it a ledger
                raise LedgerError(f"{path} is not a costpanel ledger yet (it holds no costpanel tables): {_FILL_HINT}")
            if not pending_migrations(conn):
                if verify:
                    _quick_check(conn, path)
                return conn
        except sqlite3.OperationalError as exc:  # unreadable, locked for too long: not the content
            conn.close()
            raise LedgerError(f"{path} cannot be read ({exc}): check the permissions of the file and "
                              "its folder") from None
        except sqlite3.DatabaseError as exc:  # a page the checks above read is damaged
            conn.close()
            raise damaged(path, exc) from None
        except BaseException:
            conn.close()
            raise
        conn.close()
        if attempt == 2:
            break
        try:
            connect(path).close()  # migrates, then read again
        except LedgerError as exc:
            raise LedgerError(f"{path} was written by an older costpanel and could not be upgraded ({exc})") from None
    raise LedgerError(f"{path}: migrations still pending after an upgrade")


def check_integrity(path: Path) -> None:
    """Raise :class:`LedgerError` if the ledger at ``path`` (when there is one) is damaged: SQLite's
    ``PRAGMA quick_check``, read-only. It reads the whole file (~0.2 s for a million calls): the
    CLI's reads run it, and every ledger a tracker opens for writing (a writer meets a damaged page
    only if it happens to touch it: it went on adding calls around one that no report could read)."""
    if not path.is_file() or not path.stat().st_size:
        return  # nothing there yet: a new ledger
    try:
        conn = _connect_read_only(path)
    except LedgerError:
        return  # the open that follows says why it cannot be read
    try:
        _quick_check(conn, path)
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_CORRUPT:
            raise damaged(path, exc) from None
        # not a database at all, or unreadable: the open that follows says so, in its own words
    finally:
        conn.close()


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
    if problems != ["ok"]:  # one line: "*** in database main ***\nPage 31: ..." → "Page 31: ..."
        found = "; ".join(" ".join(p.replace("*** in database main ***", "").split()) for p in problems)
        raise damaged(path, f"SQLite's integrity check: {found}")


def damaged(path: Path | str, detail: object) -> LedgerError:
    """The error for a ledger whose pages are damaged (a disk fault, a copy made mid-write)."""
    return LedgerError(f"{path} is damaged ({detail}); no figures are read from it: restore it from a backup, "
                       f"or recover what is left with `sqlite3 {path} .recover`; to start a new ledger there, "
                       f"move it aside together with its -wal and -shm files (its last writes may be in the -wal, "
                       f"which a new ledger would discard)")


def is_damage(exc: BaseException) -> bool:
    """A SQLite error that means a damaged file (not a busy, full or read-only one)."""
    return (isinstance(exc, sqlite3.DatabaseError)
            and getattr(exc, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB))


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """``mode=ro``; in a folder that cannot be written and with no ``-wal`` file, ``immutable=1``:
    a WAL reader needs to make a ``-shm`` file next to the ledger, and there no writer can be
    changing it (its WAL could not be made either)."""
    uri = f"file:{quote(str(path))}?mode=ro"
    if not os.access(path.parent, os.W_OK) and not path.with_name(path.name + "-wal").exists():
        uri += "&immutable=1"
    try:
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{path} cannot be read ({exc})") from None


def _probe_write(conn: sqlite3.Connection) -> None:
    """Fail now, not at the first flush, on a file SQLite opened read-only without a word where
    ``access()`` said it was writable (root squash on NFS, ACLs, a change between the check and
    the open). A row is changed and the change rolled back: SQLite refuses to change a page of a
    read-only file, and nothing reaches the disk. A lock held by another writer proves nothing
    either way: it is left to the writer's retries."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF in _BUSY_CODES:
            return
        raise
    try:
        conn.execute("UPDATE costpanel_migrations SET applied_at = applied_at "
                     "WHERE rowid = (SELECT MIN(rowid) FROM costpanel_migrations)")
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def _retry_busy(step: Callable[[], Any], attempts: int = 50) -> Any:
    for n in range(attempts):
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or n == attempts - 1:
                raise
            time.sleep(0.02 * (n + 1))
    raise AssertionError("unreachable")


def _unavailable(exc: BaseException) -> StorageUnavailable | None:
    """The file's trouble (busy, full, read-only, I/O, damaged) as :class:`StorageUnavailable`;
    None when the error blames what was being written."""
    if isinstance(exc, (sqlite3.OperationalError, OSError)) or is_damage(exc):
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        return StorageUnavailable(f"{type(exc).__name__}: {exc}", busy=code in _BUSY_CODES)
    return None


class SqliteStorage:
    """One ledger file, on one connection (the writer's); see :class:`~.storage.Storage`."""

    def __init__(self, path: Path) -> None:
        self.path: Path | None = path
        self.name = str(path)
        self.rejected_path = path.with_name(path.name + ".rejected.jsonl")
        # A damaged file is refused before anything is written to it: SQLite writes new pages
        # around a damaged one without a word, and no report would read that spend back. (One
        # that cannot be written is refused by connect(), before a reader's -wal and -shm are made.)
        if os.access(path, os.R_OK | os.W_OK):
            check_integrity(path)
        self.conn = connect(path, busy_timeout_ms=WRITER_BUSY_TIMEOUT_MS)
        self._dims = Dims()

    def write(self, events: Sequence[Event], marks: Sequence[Mark]) -> None:
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for kind, session, ts in marks:
                if kind == "start":
                    conn.execute("INSERT INTO sessions (id, started_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                                 (session, ts))
                else:
                    conn.execute("INSERT INTO sessions (id, started_at, ended_at) VALUES (?, ?, ?) "
                                 "ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at", (session, ts, ts))
            if events:
                write_events(conn, events, self._dims)
            conn.execute("COMMIT")
        except BaseException as exc:
            self._dims.forget()  # ids this transaction made are gone with it
            if conn.in_transaction:  # SQLite may have rolled back already (a full disk does)
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:  # the file's trouble again: the first error says more
                    pass
            unavailable = _unavailable(exc)
            if unavailable is not None:
                raise unavailable from exc
            raise

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def restore(self, series_seconds: int, session: str | None) -> SessionState | None:
        from .resume import restore_from

        return restore_from(self.read, series_seconds, session)

    def close(self) -> None:
        self.conn.close()
