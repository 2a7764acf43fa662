"""The durable ledger: every recorded call in SQLite, written by a background thread in batches.

``record()`` only appends the event to an in-memory queue (a ``deque.append``); a writer thread
commits what has queued every ``flush_interval`` seconds in one transaction. A crash loses at most
that interval; WAL keeps the file consistent whatever happens. A failing write (disk full,
read-only file) is reported by :meth:`Ledger.health` and retried — events are never dropped.
"""

from __future__ import annotations

import atexit
import collections
import os
import signal
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..events import Event
from ..paths import data_dir, ensure_private_dir
from .rows import Dims, write_events
from .schema import LedgerError, check_owner, migrate, pending_migrations

ENV_DB = "COSTPANEL_DB"
DEFAULT_FLUSH_INTERVAL = 0.25
BUSY_TIMEOUT_MS = 10_000  # opening and reading; the writer uses a short one and retries instead
WRITER_BUSY_TIMEOUT_MS = 1_000
MAX_BATCH = 20_480  # events per transaction (a multiple of 2,048): a backlog is written in several
MAX_BACKLOG = 20_000  # queued calls (~4 MB) beyond which record() keeps pace with the writer


def default_path() -> Path:
    """``COSTPANEL_DB``, else ``<user data dir>/ledger.sqlite3``."""
    env = os.environ.get(ENV_DB)
    return Path(env).expanduser() if env else data_dir() / "ledger.sqlite3"


def connect(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, with a busy timeout.

    The file's owner is checked before anything is changed; several processes may open a new
    ledger at the same moment (creation, migration and the WAL switch each tolerate the others).
    """
    ensure_private_dir(path.parent)
    try:  # created 0600 before SQLite opens it
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # there already, or another process just made it
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
    except sqlite3.OperationalError as exc:  # locked for too long, unreadable, read-only: not the content
        conn.close()
        raise LedgerError(f"{path} cannot be opened for writing ({exc})") from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise LedgerError(f"{path} is not a costpanel ledger ({exc}); costpanel will not touch it") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _retry_busy(step: Callable[[], Any], attempts: int = 50) -> Any:
    for n in range(attempts):
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or n == attempts - 1:
                raise
            time.sleep(0.02 * (n + 1))
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Health:
    ok: bool
    queued: int  # events waiting for the writer
    written: int  # events this process wrote
    last_error: str | None  # the latest write failure, kept until a write succeeds
    last_flush: float | None  # epoch seconds of the last successful write
    rejected: int = 0  # calls that could not be stored at all, kept in <ledger>.rejected.jsonl


class Ledger:
    """A SQLite ledger file with a background writer. Thread-safe; one per file per process."""

    def __init__(self, path: Path | str | None = None, *, flush_interval: float = DEFAULT_FLUSH_INTERVAL,
                 max_backlog: int = MAX_BACKLOG, install_signal_handlers: bool = True) -> None:
        """``max_backlog``: calls queued beyond this while writes succeed make ``record()`` keep
        pace with the writer (until half of it is written) instead of growing memory without bound."""
        self.path = Path(path).expanduser() if path is not None else default_path()
        if flush_interval <= 0:
            raise ValueError(f"flush_interval must be > 0 seconds, got {flush_interval}")
        if type(max_backlog) is not int or max_backlog < 1:
            raise ValueError(f"max_backlog must be a positive int (calls), got {max_backlog!r}")
        self.flush_interval = flush_interval
        self.max_backlog = max_backlog
        self._conn = connect(self.path, busy_timeout_ms=WRITER_BUSY_TIMEOUT_MS)
        self._lock = threading.Lock()  # guards the connection
        self._queue: collections.deque[Event] = collections.deque()
        self._marks: collections.deque[tuple[str, str, float]] = collections.deque()  # session start/end
        self._dims = Dims()
        self._progress = threading.Condition()  # notified after every batch
        self._wake = threading.Event()
        self._closed = False
        self._written = 0
        self._in_flight = 0
        self._rejected = 0
        self.rejected_path = self.path.with_name(self.path.name + ".rejected.jsonl")
        self._last_error: str | None = None
        self._last_flush: float | None = None
        self._writer = threading.Thread(target=self._run, name="costpanel-ledger-writer", daemon=True)
        self._writer.start()
        _open_ledgers.add(self)
        if install_signal_handlers:
            _install_sigterm_flush()

    # -- feeding ------------------------------------------------------------------------------------
    def append(self, event: Event) -> None:
        """The tracker's subscriber: O(1), never touches the disk (past ``max_backlog`` queued
        calls it waits for the writer: see :meth:`_keep_pace`)."""
        if self._closed:  # the tracker logs this: a call after close() would otherwise vanish
            raise RuntimeError(f"ledger {self.path} is closed; this call is not stored")
        queue = self._queue
        queue.append(event)
        if len(queue) > self.max_backlog:
            self._keep_pace()

    def _keep_pace(self) -> None:
        """Calls arrive faster than the writer stores them (a tight recording loop starves it of
        the GIL): wait until half the backlog is written rather than let memory grow without
        bound. Never while writes fail: then calls wait in memory, as promised, not the caller."""
        queue = self._queue
        with self._progress:
            while (len(queue) > self.max_backlog // 2 and not self._closed and self._last_error is None
                   and self._writer.is_alive()):
                self._wake.set()
                self._progress.wait(0.05)

    @property
    def closed(self) -> bool:
        return self._closed

    def session_started(self, session: str, ts: float) -> None:
        self._marks.append(("start", session, ts))

    def session_ended(self, session: str, ts: float) -> None:
        self._marks.append(("end", session, ts))

    # -- writing ------------------------------------------------------------------------------------
    def _run(self) -> None:
        backoff = self.flush_interval
        while True:
            self._wake.wait(backoff)
            self._wake.clear()
            closing = self._closed
            try:
                ok = self._flush_queue()
                while ok and self._pending():  # a backlog: the next batch at once
                    ok = self._flush_queue()
            except Exception as exc:  # a bug, not the file: report it, keep the writer alive
                import logging

                ok = False
                self._last_error = f"{type(exc).__name__}: {exc}"
                logging.getLogger(__name__).exception("costpanel ledger %s: writer error", self.path)
            backoff = self.flush_interval if ok else min(backoff * 2, 5.0)
            if closing and (ok or not self._pending()):
                return

    def _pending(self) -> int:
        return len(self._queue) + len(self._marks)

    def _flush_queue(self) -> bool:
        """Write what has queued (up to ``MAX_BATCH`` events); on failure keep it queued, in order,
        for the next try. One flusher at a time (the lock), so batches land in queue order."""
        with self._lock:
            if not self._pending():
                return True
            popleft = self._queue.popleft  # one popper at a time (the lock): the length only grows
            batch = [popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
            marks = [self._marks.popleft() for _ in range(len(self._marks))]
            self._in_flight = len(batch) + len(marks)  # still "queued" for health() until on disk
            try:
                self._write(batch, marks)
            except (sqlite3.OperationalError, OSError) as exc:  # busy, full, I/O: the file's trouble
                self._queue.extendleft(reversed(batch))
                self._marks.extendleft(reversed(marks))
                self._last_error = f"{type(exc).__name__}: {exc}"
                import logging

                logging.getLogger(__name__).warning("costpanel ledger %s: write failed, will retry: %s",
                                                    self.path, exc)
                return False
            except Exception as exc:  # something in the batch itself: find it, keep the rest
                self._isolate(batch, marks, exc)
                return True
            else:
                self._written += len(batch)
                self._last_error = None
                self._last_flush = time.time()
                return True
            finally:
                self._in_flight = 0
                self._notify_progress()

    def _notify_progress(self) -> None:
        with self._progress:
            self._progress.notify_all()

    def _isolate(self, batch: Sequence[Event], marks: Sequence[tuple[str, str, float]],
                 first_error: Exception) -> None:
        """Write a failing batch one item at a time; an item that still fails is set aside in
        ``<ledger>.rejected.jsonl`` (never silently dropped, never blocking the queue)."""
        items: list[tuple[Sequence[Event], Sequence[tuple[str, str, float]]]] = [((), (m,)) for m in marks]
        items += [((e,), ()) for e in batch]
        for events, one_mark in items:
            try:
                self._write(events, one_mark)
                self._written += len(events)
                continue
            except (sqlite3.OperationalError, OSError):  # the file's trouble after all: retry later
                pass
            except Exception as exc:
                try:
                    self._reject(events[0] if events else one_mark[0], exc)
                    continue
                except OSError:  # not even the side file can be written (a full disk): keep it queued
                    pass
            self._queue.extend(events)
            self._marks.extend(one_mark)
        self._last_flush = time.time()

    def _reject(self, item: Any, exc: Exception) -> None:
        import json
        import logging

        record = {"error": f"{type(exc).__name__}: {exc}"}
        if isinstance(item, Event):
            record.update({k: v for k, v in item._asdict().items() if k != "usage"})
            record["usage"] = item.usage.as_dict()
            record["cost_units"] = None if item.cost_units is None else str(item.cost_units)
        else:
            record["item"] = repr(item)
        line = (json.dumps(record) + "\n").encode()
        fd = os.open(self.rejected_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        self._rejected += 1
        self._last_error = (f"{self._rejected} call(s) could not be stored ({type(exc).__name__}: {exc}); "
                            f"kept in {self.rejected_path}")
        logging.getLogger(__name__).error("costpanel ledger %s: %s", self.path, self._last_error)

    def _write(self, events: Sequence[Event], marks: Sequence[tuple[str, str, float]]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
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
        except BaseException:
            self._dims.forget()  # ids this transaction made are gone with it
            if conn.in_transaction:  # SQLite may have rolled back already (a full disk does)
                conn.execute("ROLLBACK")
            raise

    def flush(self, timeout: float = 30.0) -> bool:
        """Write everything queued so far; True once it is on disk."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._flush_queue() and not self._pending():
                return True
            time.sleep(0.05)
        return False

    def health(self) -> Health:
        return Health(self._last_error is None, self._pending() + self._in_flight, self._written,
                      self._last_error, self._last_flush, self._rejected)

    def close(self) -> None:
        """Flush and stop the writer. Safe to call twice; also runs at interpreter exit."""
        if self._closed:
            return
        self._closed = True
        self._notify_progress()  # a recorder keeping pace with the writer goes on
        self._wake.set()
        self._writer.join(timeout=30)
        while self._pending() and self._flush_queue():
            pass
        with self._lock:
            self._conn.close()
        if self._pending():
            import logging

            logging.getLogger(__name__).error("costpanel ledger %s: %d event(s) could not be written: %s",
                                              self.path, self._pending(), self._last_error)
        _open_ledgers.discard(self)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------------
    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """A read on the writer's connection (reports open their own, read-only)."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()


_open_ledgers: weakref.WeakSet[Ledger] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for ledger in list(_open_ledgers):
        try:
            ledger.close()
        except Exception:  # exiting: report, keep closing the others
            import logging

            logging.getLogger(__name__).exception("costpanel ledger %s: could not flush at exit", ledger.path)


_sigterm_installed = False


def _install_sigterm_flush() -> None:
    """SIGTERM's default kills without running atexit; turn it into a normal exit, which flushes.
    Only when nobody else handles SIGTERM and only from the main thread (signal's own rule)."""
    global _sigterm_installed
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    _sigterm_installed = True


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)
