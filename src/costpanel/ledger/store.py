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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..events import COMMITTED, Event
from ..paths import data_dir, ensure_private_dir
from .schema import BUCKET_SECONDS, HOUR, LedgerError, check_owner, migrate, pending_migrations

ENV_DB = "COSTPANEL_DB"
DEFAULT_FLUSH_INTERVAL = 0.25
BUSY_TIMEOUT_MS = 10_000  # opening and reading; the writer uses a short one and retries instead
WRITER_BUSY_TIMEOUT_MS = 1_000
MAX_BATCH = 20_000  # events per transaction: a backlog is written in several, keeping memory flat

_EVENT_COLUMNS = ("event_id, ts, session, tier, model, model_key, matched, provider, input, cache_read, "
                  "cache_write, cache_write_1h, output, requests, cost_units, status")
_INSERT = f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES ({', '.join('?' * 16)})"
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
            conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others then find it done
            try:
                migrate(conn, where=str(path))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
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


def event_row(e: Event) -> tuple[object, ...]:
    """The ``events`` row of one event (also for same-transaction writes on the caller's connection)."""
    # Field indexes, not names: this runs for every call recorded.
    model, matched, provider, tier, session, u, cost, ts, event_id, status = e
    return (event_id, ts, session, tier, model, matched or model.strip(), matched, provider,
            u[0], u[1], u[2], u[3], u[4], u[5], cost, status)


def _rollup_rows(rows: Iterable[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Batch totals per (bucket, session, tier, model, status), summed in Python (cheaper than a
    GROUP BY over the freshly inserted rows): rows are grouped by key, then each group's columns
    are summed in C (``zip``/``sum``)."""
    groups: dict[tuple[object, ...], list[tuple[object, ...]]] = {}
    size = BUCKET_SECONDS
    for r in rows:
        key = (int(r[1] // size) * size, r[2], r[3], r[5], r[15])  # type: ignore[operator]
        group = groups.get(key)
        if group is None:
            groups[key] = [r]
        else:
            group.append(r)
    out = []
    for (bucket, session, tier, model_key, status), group in groups.items():
        cols = list(zip(*group))
        costs = cols[14]
        unpriced = costs.count(None)
        cost = sum(c for c in costs if c is not None) if unpriced else sum(costs)  # type: ignore[arg-type]
        out.append((bucket, session, tier, model_key, group[0][6], group[0][7], status, len(group),
                    *(sum(cols[i]) for i in range(8, 14)), cost, unpriced))  # type: ignore[arg-type]
    return out


_ADD_TOTALS = """
    calls = calls + excluded.calls, input = input + excluded.input,
    cache_read = cache_read + excluded.cache_read, cache_write = cache_write + excluded.cache_write,
    cache_write_1h = cache_write_1h + excluded.cache_write_1h, output = output + excluded.output,
    requests = requests + excluded.requests, cost_units = cost_units + excluded.cost_units,
    unpriced_calls = unpriced_calls + excluded.unpriced_calls,
    matched = COALESCE(excluded.matched, matched), provider = COALESCE(excluded.provider, provider)
"""
_UPSERT_ROLLUP = f"""
INSERT INTO rollup (bucket, session, tier, model_key, matched, provider, status, calls, input, cache_read,
                    cache_write, cache_write_1h, output, requests, cost_units, unpriced_calls)
VALUES ({', '.join('?' * 16)})
ON CONFLICT (bucket, session, tier, model_key, status) DO UPDATE SET {_ADD_TOTALS}"""
_UPSERT_HOUR = f"""
INSERT INTO rollup_hour (hour, tier, model_key, matched, provider, status, calls, input, cache_read,
                         cache_write, cache_write_1h, output, requests, cost_units, unpriced_calls)
VALUES ({', '.join('?' * 15)})
ON CONFLICT (hour, tier, model_key, status) DO UPDATE SET {_ADD_TOTALS}"""


def _hourly_rows(rollups: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The batch's 15-minute roll-ups folded into hours, without the session."""
    acc: dict[tuple[Any, ...], list[Any]] = {}
    for bucket, _, tier, key, matched, provider, status, *sums in rollups:
        k = (bucket // HOUR * HOUR, tier, key, status)
        a = acc.get(k)
        if a is None:
            acc[k] = [matched, provider, *sums]
        else:
            for n, v in enumerate(sums, 2):
                a[n] += v
    return [(k[0], k[1], k[2], a[0], a[1], k[3], *a[2:]) for k, a in acc.items()]


_UPSERT_SESSION = """
INSERT INTO sessions (id, started_at) VALUES (?, ?)
ON CONFLICT (id) DO UPDATE SET started_at = MIN(started_at, excluded.started_at)
"""


def write_events(conn: sqlite3.Connection, events: Iterable[Event]) -> int:
    """Insert events and their roll-ups on ``conn`` inside the caller's transaction (no commit).

    For applications that keep their own data in SQLite: call ``migrate(conn)`` once, then this in
    the same transaction as the content the calls paid for. Returns the rows actually inserted
    (an event whose id is already in the ledger, or twice in ``events``, is written once).
    """
    rows = [event_row(e) for e in events if e[9] in (COMMITTED, "discarded")]
    given = [r[0] for r in rows if r[0] is not None]
    if given:  # drop (id, status) pairs already stored or repeated here before anything is counted
        seen: set[tuple[object, object]] = set()
        for chunk in range(0, len(given), 500):
            part = given[chunk:chunk + 500]
            seen.update(conn.execute(
                f"SELECT event_id, status FROM events WHERE event_id IN ({', '.join('?' * len(part))})", part))
        kept = []
        for r in rows:
            if r[0] is not None:
                if (r[0], r[15]) in seen:
                    continue
                seen.add((r[0], r[15]))
            kept.append(r)
        rows = kept
    if not rows:
        return 0
    conn.executemany(_INSERT, rows)
    rollups = _rollup_rows(rows)
    conn.executemany(_UPSERT_ROLLUP, rollups)
    conn.executemany(_UPSERT_HOUR, _hourly_rows(rollups))
    starts: dict[object, float] = {}
    for r in rows:
        if r[2] not in starts or r[1] < starts[r[2]]:  # type: ignore[operator]
            starts[r[2]] = r[1]  # type: ignore[assignment]
    conn.executemany(_UPSERT_SESSION, starts.items())
    return len(rows)


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
                 install_signal_handlers: bool = True) -> None:
        self.path = Path(path).expanduser() if path is not None else default_path()
        if flush_interval <= 0:
            raise ValueError(f"flush_interval must be > 0 seconds, got {flush_interval}")
        self.flush_interval = flush_interval
        self._conn = connect(self.path, busy_timeout_ms=WRITER_BUSY_TIMEOUT_MS)
        self._lock = threading.Lock()  # guards the connection
        self._queue: collections.deque[Any] = collections.deque()
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
        """The tracker's subscriber: O(1), never touches the disk."""
        if self._closed:  # the tracker logs this: a call after close() would otherwise vanish
            raise RuntimeError(f"ledger {self.path} is closed; this call is not stored")
        self._queue.append(event)

    def session_started(self, session: str, ts: float) -> None:
        self._queue.append(("start", session, ts))

    def session_ended(self, session: str, ts: float) -> None:
        self._queue.append(("end", session, ts))

    # -- writing ------------------------------------------------------------------------------------
    def _run(self) -> None:
        backoff = self.flush_interval
        while True:
            self._wake.wait(backoff)
            self._wake.clear()
            closing = self._closed
            ok = self._flush_queue()
            while ok and self._queue:  # a backlog: the next batch at once
                ok = self._flush_queue()
            backoff = self.flush_interval if ok else min(backoff * 2, 5.0)
            if closing and (ok or not self._queue):
                return

    def _flush_queue(self) -> bool:
        """Write everything queued; on failure keep it queued (in order) for the next try.
        One flusher at a time (the lock), so batches land in the order they were queued."""
        with self._lock:
            if not self._queue:
                return True
            batch = []
            while self._queue and len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.popleft())
                except IndexError:
                    break
            self._in_flight = len(batch)  # still "queued" for health() until it is on disk
            try:
                self._write(batch)
            except (sqlite3.OperationalError, OSError) as exc:  # busy, full, I/O: the file's trouble
                self._queue.extendleft(reversed(batch))
                self._in_flight = 0
                self._last_error = f"{type(exc).__name__}: {exc}"
                import logging

                logging.getLogger(__name__).warning("costpanel ledger %s: write failed, will retry: %s",
                                                    self.path, exc)
                return False
            except Exception as exc:  # something in the batch itself: find it, keep the rest
                self._in_flight = 0
                self._isolate(batch, exc)
                return True
            self._written += sum(1 for item in batch if isinstance(item, Event))
            self._in_flight = 0
            self._last_error = None
            self._last_flush = time.time()
            return True

    def _isolate(self, batch: Sequence[Any], first_error: Exception) -> None:
        """Write a failing batch one item at a time; an item that still fails is set aside in
        ``<ledger>.rejected.jsonl`` (never silently dropped, never blocking the queue)."""
        for item in batch:
            try:
                self._write([item])
            except (sqlite3.OperationalError, OSError):
                self._queue.append(item)  # the file's trouble after all: retry later
            except Exception as exc:
                self._reject(item, exc)
            else:
                if isinstance(item, Event):
                    self._written += 1
        self._last_flush = time.time()

    def _reject(self, item: Any, exc: Exception) -> None:
        import json
        import logging

        self._rejected += 1
        self._last_error = (f"{self._rejected} call(s) could not be stored ({type(exc).__name__}: {exc}); "
                            f"kept in {self.rejected_path}")
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
        logging.getLogger(__name__).error("costpanel ledger %s: %s", self.path, self._last_error)

    def _write(self, batch: Sequence[Any]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            events = [item for item in batch if isinstance(item, Event)]
            if events:
                write_events(conn, events)
            for item in batch:
                if isinstance(item, tuple) and item[0] == "start":
                    conn.execute("INSERT INTO sessions (id, started_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                                 (item[1], item[2]))
                elif isinstance(item, tuple) and item[0] == "end":
                    conn.execute("INSERT INTO sessions (id, started_at, ended_at) VALUES (?, ?, ?) "
                                 "ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at",
                                 (item[1], item[2], item[2]))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (a full disk does)
                conn.execute("ROLLBACK")
            raise

    def flush(self, timeout: float = 30.0) -> bool:
        """Write everything queued so far; True once it is on disk."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._flush_queue() and not self._queue:
                return True
            time.sleep(0.05)
        return False

    def health(self) -> Health:
        return Health(self._last_error is None, len(self._queue) + self._in_flight, self._written,
                      self._last_error, self._last_flush, self._rejected)

    def close(self) -> None:
        """Flush and stop the writer. Safe to call twice; also runs at interpreter exit."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        self._writer.join(timeout=30)
        while self._queue and self._flush_queue():
            pass
        with self._lock:
            self._conn.close()
        if self._queue:
            import logging

            logging.getLogger(__name__).error("costpanel ledger %s: %d event(s) could not be written: %s",
                                              self.path, len(self._queue), self._last_error)
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
