"""The durable ledger: every recorded call stored by a background thread in batches.

``record()`` only appends the event to an in-memory queue (a ``deque.append``); a writer thread
hands what has queued to the store (:mod:`.storage`; a SQLite file, :mod:`.sqlite_storage`) every
``flush_interval`` seconds, one transaction per batch. A crash loses at most that interval; WAL
keeps the file consistent whatever happens. A failing write (disk full, file made read-only) is
reported by :meth:`Ledger.health` and retried; what still cannot be stored at :meth:`Ledger.close`
is saved to a side file and ``close()`` raises, naming it — events are never dropped silently.
"""

from __future__ import annotations

import atexit
import contextlib
import collections
import os
import signal
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..events import Event
from .rows import write_events
from .schema import LedgerError
from .sqlite_storage import ENV_DB, SqliteStorage, connect, damaged, default_path, is_damage
from .storage import Mark, Storage, StorageUnavailable

if TYPE_CHECKING:
    from ..shards import SessionState

__all__ = ["ENV_DB", "Health", "Ledger", "LedgerError", "connect", "default_path", "write_events"]

DEFAULT_FLUSH_INTERVAL = 0.25
MAX_BATCH = 20_480  # events per transaction (a multiple of 2,048): a backlog is written in several
MAX_BACKLOG = 20_000  # queued calls (~4 MB) beyond which record() keeps pace with the writer
CLOSE_BUSY_WAIT = 10.0  # seconds close() waits for a store another writer holds (a full disk: not at all)


@dataclass(frozen=True)
class Health:
    ok: bool
    queued: int  # events waiting for the writer
    written: int  # events this process wrote
    last_error: str | None  # the latest write failure, kept until a write succeeds
    last_flush: float | None  # epoch seconds of the last successful write
    rejected: int = 0  # calls that could not be stored at all, kept in <ledger>.rejected.jsonl


class Ledger:
    """A ledger with a background writer: the queue, back-pressure and flush-at-exit, in front of a
    :class:`~.storage.Storage` (a SQLite file unless one is given). Thread-safe; one per file per process."""

    def __init__(self, path: Path | str | None = None, *, flush_interval: float = DEFAULT_FLUSH_INTERVAL,
                 max_backlog: int = MAX_BACKLOG, install_signal_handlers: bool = True,
                 storage: Storage | None = None) -> None:
        """``max_backlog``: calls queued beyond this while writes succeed make ``record()`` keep
        pace with the writer (until half of it is written) instead of growing memory without bound.
        ``storage``: another store than the SQLite file at ``path`` (which is then not given)."""
        if flush_interval <= 0:
            raise ValueError(f"flush_interval must be > 0 seconds, got {flush_interval}")
        if type(max_backlog) is not int or max_backlog < 1:
            raise ValueError(f"max_backlog must be a positive int (calls), got {max_backlog!r}")
        if storage is not None and path is not None:
            raise ValueError("give a ledger path or a storage, not both")
        self.flush_interval = flush_interval
        self.max_backlog = max_backlog
        # Queue length past which an append calls overflow(): the backlog, or -1 once closed.
        self.accept_limit = max_backlog
        if storage is None:
            storage = SqliteStorage(Path(path).expanduser() if path is not None else default_path())
        self.storage = storage
        self.path = storage.path
        self.rejected_path = storage.rejected_path
        self._lock = threading.Lock()  # one caller of the store at a time
        self._queue: collections.deque[Event] = collections.deque()
        self._marks: collections.deque[Mark] = collections.deque()  # session start/end
        self._progress = threading.Condition()  # notified after every batch
        self._wake = threading.Event()
        self._closed = False
        self._written = 0
        self._in_flight = 0
        # Odd while the writer moves calls between the queue and its batch: health() then waits
        # for the move to end, so a call is never counted both queued and in flight, nor neither.
        self._moving = 0
        self._rejected = 0
        self._late = 0  # calls recorded after close(), set aside (one warning says so, not one each)
        self._late_lock = threading.Lock()  # threads still recording while close() runs: one first, one warning
        self.pace_waits = 0  # times record() waited for the writer (never while writes fail)
        self._busy = False  # the last failure was another writer holding the store
        self._last_error: str | None = None
        self._last_flush: float | None = None
        self._writer = threading.Thread(target=self._run, name="costpanel-ledger-writer", daemon=True)
        self._writer.start()
        _open_ledgers.add(self)
        if install_signal_handlers:
            _install_sigterm_flush()

    # -- feeding ------------------------------------------------------------------------------------
    def append(self, event: Event) -> None:
        """O(1), never touches the disk (past ``max_backlog`` queued calls it waits for the writer:
        see :meth:`_keep_pace`). A tracker does the same inline: ``queue.append(event)``, then
        :meth:`overflow` once the queue is longer than :attr:`accept_limit`."""
        queue = self._queue
        queue.append(event)
        if len(queue) > self.accept_limit:
            self.overflow(event)

    @property
    def queue(self) -> collections.deque[Event]:
        """The writer's queue, for :class:`CostTracker`'s inline append (a method call per event
        costs more than the append itself)."""
        return self._queue

    def overflow(self, event: Event) -> None:
        """After an append past :attr:`accept_limit`: keep pace with the writer, or, once the
        ledger is closed (the limit is then -1), take the event back out and say it is not stored."""
        if self._closed:  # the tracker logs this: a call after close() would otherwise vanish
            try:
                self._queue.remove(event)
            except ValueError:
                pass  # close() took it after all: stored or saved with the rest
            else:
                said = self._save_late(event)
                if said is not None:
                    raise RuntimeError(said)
            return
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
                self.pace_waits += 1
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
            if self._closed:
                return  # close() writes what is left, in the closing thread
            ok = self._drain()
            backoff = self.flush_interval if ok else min(backoff * 2, 5.0)

    def _drain(self) -> bool:
        """Write everything queued, batch after batch; False as soon as a write fails."""
        try:
            ok = self._flush_queue()
            while ok and self._pending():  # a backlog: the next batch at once
                ok = self._flush_queue()
            return ok
        except Exception as exc:  # a bug, not the store: report it, keep the writer alive
            import logging

            self._last_error = f"{type(exc).__name__}: {exc}"
            self._busy = False
            logging.getLogger(__name__).exception("costpanel ledger %s: writer error", self.storage.name)
            return False

    def _pending(self) -> int:
        return len(self._queue) + len(self._marks)

    def _flush_queue(self) -> bool:
        """Write what has queued (up to ``MAX_BATCH`` events); on failure keep it queued, in order,
        for the next try. One flusher at a time (the lock), so batches land in queue order."""
        with self._lock:
            if not self._pending():
                return True
            popleft = self._queue.popleft  # one popper at a time (the lock): the length only grows
            self._moving += 1
            batch = [popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
            marks = [self._marks.popleft() for _ in range(len(self._marks))]
            self._in_flight = len(batch) + len(marks)  # still "queued" for health() until stored
            self._moving += 1
            try:
                self.storage.write(batch, marks)
            except StorageUnavailable as exc:  # busy, full, read-only: the store's trouble, not the batch's
                self._moving += 1
                self._queue.extendleft(reversed(batch))
                self._marks.extendleft(reversed(marks))
                self._in_flight = 0
                self._moving += 1
                self._last_error, self._busy = str(exc), exc.busy
                if not self._closed:  # closing, it is not retried: close() says what became of the calls
                    import logging

                    logging.getLogger(__name__).warning("costpanel ledger %s: write failed, will retry: %s",
                                                        self.storage.name, exc)
                return False
            except Exception:  # something in the batch itself: find it, keep the rest
                return self._isolate(batch, marks)
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

    def _isolate(self, batch: Sequence[Event], marks: Sequence[Mark]) -> bool:
        """Write a failing batch one item at a time; an item that still fails is set aside in
        ``<ledger>.rejected.jsonl`` (never silently dropped, never blocking the queue). False when
        some item had to stay queued (the store or the side file failed): retried later."""
        items: list[tuple[Sequence[Event], Sequence[Mark]]] = [((), (m,)) for m in marks]
        items += [((e,), ()) for e in batch]
        left: list[tuple[Sequence[Event], Sequence[Mark]]] = []  # to retry, in their order
        for n, (events, one_mark) in enumerate(items):
            try:
                self.storage.write(events, one_mark)
                self._written += len(events)
                self._in_flight -= len(events) + len(one_mark)
                continue
            except StorageUnavailable as exc:  # the store's trouble after all: this and the rest wait
                self._last_error, self._busy = str(exc), exc.busy
                left += items[n:]
                break
            except Exception as exc:
                try:
                    self._reject(events[0] if events else one_mark[0], exc)
                    self._in_flight -= len(events) + len(one_mark)
                    continue
                except OSError as side:  # not even the side file can be written (a full disk)
                    self._last_error, self._busy = (f"{type(exc).__name__}: {exc}; and {self.rejected_path}: "
                                                    f"{side.strerror or side}"), False
            left.append((events, one_mark))
        if left:  # back at the front, before calls queued since: the ledger keeps the calls' order
            events_left = [e for events, _ in left for e in events]
            marks_left = [m for _, one_mark in left for m in one_mark]
            self._moving += 1
            self._queue.extendleft(reversed(events_left))
            self._marks.extendleft(reversed(marks_left))
            self._in_flight -= len(events_left) + len(marks_left)
            self._moving += 1
        self._last_flush = time.time()
        return not left

    def _reject(self, item: Event | Mark, exc: Exception) -> None:
        import logging

        _append_lines(self.rejected_path, [_json_line(item, f"{type(exc).__name__}: {exc}")])
        self._rejected += 1
        self._last_error = (f"{self._rejected} call(s) could not be stored ({type(exc).__name__}: {exc}); "
                            f"kept in {self.rejected_path}")
        logging.getLogger(__name__).error("costpanel ledger %s: %s", self.storage.name, self._last_error)

    def flush(self, timeout: float = 30.0) -> bool:
        """Write everything queued so far; True once it is stored."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._flush_queue() and not self._pending():
                return True
            time.sleep(0.05)
        return False

    def health(self) -> Health:
        while True:  # never behind the lock (held while the store writes): a move takes microseconds
            moving = self._moving
            if moving % 2 == 0:
                queued = self._pending() + self._in_flight
                if self._moving == moving:
                    break
            time.sleep(0)
        return Health(self._last_error is None, queued, self._written, self._last_error, self._last_flush,
                      self._rejected)

    def close(self) -> None:
        """Write what is queued and stop the writer. Safe to call twice; also runs at interpreter exit.

        Raises :class:`LedgerError` when calls could not be stored (the store became unwritable):
        they are saved to ``<ledger>.rejected.jsonl``, or if that fails to a file in the temp
        folder, and the message says how many and where. Nothing is dropped without a word."""
        if self._closed:
            return
        self._closed = True
        self.accept_limit = -1  # every later append goes to overflow(), which refuses it
        self._notify_progress()  # a recorder keeping pace with the writer goes on
        self._wake.set()
        self._writer.join(timeout=30)  # it finishes the batch it is writing
        busy_until = time.monotonic() + CLOSE_BUSY_WAIT
        while not self._drain() and self._busy and time.monotonic() < busy_until:
            time.sleep(0.05)  # another process holds the store: it lets go within seconds
        problem = self._save_unstored() if self._pending() else None
        try:
            with self._lock:
                self.storage.close()
        finally:
            _open_ledgers.discard(self)
            if not _open_ledgers:
                _uninstall_sigterm_flush()
        if problem is not None:
            raise LedgerError(problem)

    def _save_unstored(self) -> str:
        """Everything still queued, appended to the rejected side file (else to a new file in the
        temp folder) as JSON lines; returns what :meth:`close` raises."""
        marks, events = list(self._marks), list(self._queue)
        self._marks.clear()
        self._queue.clear()
        reason = self._last_error or "the writer stopped"
        lines = [_json_line(item, f"not stored: {reason}") for item in (*marks, *events)]
        what = f"{len(events):,} call(s)" + (f" and {len(marks):,} session start/end mark(s)" if marks else "")
        failed = []
        import tempfile

        for target in (self.rejected_path, None):
            try:
                saved = _save_lines(target, lines)
            except OSError as exc:
                failed.append(f"{target or tempfile.gettempdir()}: {exc.strerror or exc}")
                continue
            return f"{self.storage.name}: {what} could not be stored ({reason}); saved in {saved}"
        return f"{self.storage.name}: {what} could not be stored ({reason}) nor saved ({'; '.join(failed)}); lost"

    def _save_late(self, event: Event) -> str | None:
        """A call recorded after :meth:`close` (a library's callback at interpreter exit, after the
        ledger's own exit handler; threads still recording while a SIGTERM'd process ends): kept in
        the rejected side file, as close() keeps what it could not store. Returns the one line that
        says so for the first such call; None for later ones (saved alike: one line, not one each)."""
        line = [_json_line(event, "not stored: recorded after the ledger was closed")]
        where = f"{self.storage.name}: a call recorded after the ledger was closed ({event.model}, {event.tier})"
        with self._late_lock:
            self._late += 1
            first = self._late == 1
            for target in (self.rejected_path, None):
                try:
                    saved = _save_lines(target, line)
                except OSError:
                    continue
                return f"{where} is not stored; saved in {saved} (as are any later ones)" if first else None
        return f"{where} is not stored nor saved; lost"

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------------
    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """A read through the writer's store (reports open their own, read-only connection)."""
        with self._lock:
            return self.storage.read(sql, params)

    def restore(self, series_seconds: int, session: str | None = None) -> SessionState | None:
        """The named session, or the last open one that is not a demo, rebuilt from what is stored
        (everything queued is written first)."""
        self.flush()
        with self._lock:
            try:
                return self.storage.restore(series_seconds, session)
            except sqlite3.DatabaseError as exc:  # a damaged page met while reading the session back
                if is_damage(exc):
                    raise damaged(self.storage.name, exc) from None
                raise


def _json_line(item: Event | Mark, error: str) -> bytes:
    """A call (or session mark) the store did not take, as one JSON line a person or a script can
    read back: the error, the event's fields, its usage buckets and its exact cost as a string."""
    import json

    record: dict[str, Any] = {"error": error}
    if isinstance(item, Event):
        record.update({k: v for k, v in item._asdict().items() if k != "usage"})
        record["usage"] = item.usage.as_dict()
        record["cost_units"] = None if item.cost_units is None else str(item.cost_units)
    else:
        record["item"] = repr(item)
    return (json.dumps(record) + "\n").encode()


def _append_lines(path: Path, lines: list[bytes]) -> None:
    """Append to a private (0600) file."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as f:
        f.writelines(lines)


def _save_lines(path: Path | None, lines: list[bytes]) -> Path:
    """Append to ``path``, or (None) to a new private file in the temp folder; returns the file."""
    if path is not None:
        _append_lines(path, lines)
        return path
    import tempfile

    fd, name = tempfile.mkstemp(prefix="costpanel-unstored-", suffix=".jsonl")  # 0600, a name of its own
    with os.fdopen(fd, "wb") as f:
        f.writelines(lines)
    return Path(name)


_open_ledgers: weakref.WeakSet[Ledger] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for ledger in list(_open_ledgers):
        try:
            ledger.close()
        except Exception as exc:  # exiting: one line each (no traceback), and close the others
            text = str(exc) if isinstance(exc, LedgerError) else (
                f"ledger {ledger.storage.name} could not be closed ({type(exc).__name__}: {exc})")
            sys.stderr.write(f"costpanel: error: {text}\n")


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


def _uninstall_sigterm_flush() -> None:
    """The last ledger closed: SIGTERM kills again, as before the first one opened (only from the
    main thread, and only if the handler is still ours)."""
    global _sigterm_installed
    if not _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is _exit_on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _sigterm_installed = False


_terminating = False  # a SIGTERM turned into an exit: the ledgers are flushed, then the process ends
_terminating_at = 0.0  # (monotonic) when
_flushing = False  # that flush is under way: a second SIGTERM (a supervisor signalling the group) waits
_REPEAT_S = 5.0  # a SIGTERM this soon after the first adds nothing: the exit it asked for is under way


def _exit_on_sigterm(signum: int, frame: object) -> None:
    global _terminating, _terminating_at
    # Raised again while the first exit unwinds or flushes, it would cut the flush short and lose
    # what is still queued. (Long after, the program must have swallowed the first: raise again.)
    if _flushing or (_terminating and time.monotonic() - _terminating_at < _REPEAT_S):
        return
    _terminating, _terminating_at = True, time.monotonic()
    raise SystemExit(128 + signum)


def _flush_then_end() -> None:
    """At shutdown after a SIGTERM, before Python waits for the program's non-daemon threads
    (which, still running, kept the process alive where SIGTERM's default would have ended it):
    every ledger flushed and closed, then the exit SIGTERM means (status 143)."""
    global _flushing
    if not _terminating:
        return
    _flushing = True
    _close_all()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(128 + signal.SIGTERM)


if hasattr(threading, "_register_atexit"):  # CPython 3.9+: runs before non-daemon threads are joined
    threading._register_atexit(_flush_then_end)
