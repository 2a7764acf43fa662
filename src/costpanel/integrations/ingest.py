"""Backfilling the ledger from agent logs: what ``costpanel import`` runs (no CLI here).

Files (named, found under named folders, or under every default root of the chosen sources) are
read in chunks by their source's reader; the calls are priced by a tracker's public
:meth:`~costpanel.CostTracker.price` and written with :class:`~costpanel.ledger.backfill.Backfill`
in large batches, one transaction each.

De-duplication keeps little state: calls wait in one dict per batch (event id -> the line with the
most tokens so far), bounded by :data:`BATCH_CALLS`, so a streaming partial and its final line, or
a call repeated by the next file of a resumed session, become one call before the ledger sees them;
across batches, files and runs the ledger's upsert decides. Counting is as if every usage line
were upserted one by one in file order: a line with no more tokens than the best seen for its id
is a duplicate; the lines of an id that raised its tokens within a batch (streaming partials
superseded) follow the ledger's verdict on the line kept: new to the ledger, they count as one
added and the rest replaced; already stored, as one replaced (or duplicate) and the rest duplicates.
So importing the same files twice reports added 0 and replaced 0 however lines fell into batches,
and ``calls == added + replaced + duplicates``. The one inexact split: where the ledger held a
call with fewer tokens than several of a batch's lines of its id, some of those lines count as
duplicates that line by line would be replacements (the ledger says it replaced, not what it held).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import ModuleType
from typing import Any

from ..events import Event
from ..ledger.backfill import Backfill, Upserted
from ..ledger.rows import USER_ID_SOURCES, call_key
from ..ledger.sqlite_storage import check_integrity, default_path
from ..usage import Usage
from .logs import (
    BAD_FIELD,
    DOCUMENT,
    MALFORMED,
    TORN,
    UNREADABLE,
    LogCall,
    being_written,
    is_plain_file,
    is_whole_object,
    kind_of,
    shared_listings,
    walk,
)
from .registry import ALL, chosen, detection_rank

UNKNOWN_FORMAT = "unknown format"  # a file no source recognises (counted per file)
LINE_TOO_LONG = "line too long"  # longer than MAX_LINE_BYTES: never read whole
READER_FAILED = "reader failed"  # a reader broke its contract and raised: the file's rest is skipped
HEAD_BYTES = 8192  # what looks_like() sees of a file
CHUNK_BYTES = 4 << 20  # read size: big enough for few reads, small enough for a 200 MB peak
BATCH_CALLS = 10_000  # calls per ledger transaction and bound of the de-duplication dict (20k: +40 MB, no faster)
# Ids left waiting when a full batch is written mid-file: a streaming partial's final line comes a
# few lines later, so the two still meet here rather than as an add and a replace in the ledger.
KEEP_RECENT = 512
# A transaction stays open this long over the batches written (their pages then reach the disk
# once, not once a batch: 1M lines 2x less ledger time); other writers of the ledger (a live
# tracker, `watch`) wait at most this long, within their busy timeout and retries.
COMMIT_EVERY_S = 1.0
WRITER_THREAD = True  # False: write in the reading thread (bench/import_stages.py compares)
MAX_LINE_BYTES = 32 << 20  # a billed call's line is well under 1 MB; snapshots of files can be far larger
MAX_DOCUMENT_BYTES = 128 << 20  # a whole-document log (Gemini CLI's older chats) larger than this is refused
_MAX_ERRORS = 5  # examples of bad lines kept for the user
_UTC = dt.timezone.utc


class PathNotFound(ValueError):
    """A path named on the command line that does not exist (nothing is imported then)."""


@dataclass
class ImportResult:
    """What an import did. ``skipped`` counts lines by reason; ``unknown format`` and
    ``unreadable`` in it count files (also listed in ``unreadable`` with their error)."""

    files: int = 0  # log files read
    lines: int = 0  # lines (or documents) read, torn last lines included
    calls: int = 0  # usage lines among them = added + replaced + duplicates (a call refused when priced: skipped)
    added: int = 0
    replaced: int = 0
    duplicates: int = 0
    unpriced: int = 0  # calls written without a price (unknown model or variant): never as $0
    skipped: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)  # files read per source
    unreadable: dict[str, str] = field(default_factory=dict)  # path -> why
    unpriced_models: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # a few bad lines, each naming file, line and field
    waiting: list[str] = field(default_factory=list)  # a few last lines still being written (torn), named
    added_cost_units: int = 0  # exact cost of the calls added (1e-12 USD), as stored at the end; unpriced ones aside
    replaced_cost_units: int = 0  # what the replaced calls changed the ledger's priced cost by (1e-12 USD)
    priced_now: int = 0  # replaced calls that had no price and have one now (a price added since)
    added_unpriced: int = 0  # calls added without a price
    added_from: float | None = None  # epoch seconds of the first and the last call added (None: none added)
    added_to: float | None = None

    def unreadable_once(self, where: str, why: str) -> None:
        """A file or folder that cannot be read, counted and named once however often it is met."""
        if where not in self.unreadable:
            self.unreadable[where] = why
            self.skipped[UNREADABLE] += 1

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("skipped", "sources", "unpriced_models", "unreadable"):
            data[key] = dict(sorted(data[key].items()))
        data["errors"], data["waiting"] = list(self.errors), list(self.waiting)
        data["usage_lines"] = data.pop("calls")  # as the summary says: a call may take several lines
        from ..money import units_to_usd, usd_str

        data["added_cost_usd"] = usd_str(units_to_usd(data.pop("added_cost_units")))
        data["replaced_cost_change_usd"] = usd_str(units_to_usd(data.pop("replaced_cost_units")))
        for key in ("added_from", "added_to"):  # ISO 8601 UTC, as the ledger's events view says times
            ts = data.pop(key)
            data[f"{key}_utc"] = None if ts is None else dt.datetime.fromtimestamp(ts, _UTC).isoformat().replace(
                "+00:00", "Z")
        return data


# (file, names of the sources that may have written it, whether to ask them with looks_like())
Task = tuple[Path, tuple[str, ...], bool]


def plan(paths: Sequence[Path], sources: dict[str, ModuleType], detect: bool,
         result: ImportResult) -> list[Task]:
    """The files to read, each once. A folder that cannot be listed goes into ``result.unreadable``.
    Raises :class:`PathNotFound` naming the first path that does not exist."""
    for path in paths:
        if not os.path.lexists(path) or not path.exists():
            raise PathNotFound(f"{path}: no such file or folder")
    with shared_listings() as unlistable:
        tasks = _plan(paths, sources, detect, result)
    for folder, why in sorted(unlistable.items()):  # found inside a tree: its logs are not read
        result.unreadable_once(folder, why)
    return tasks


def _plan(paths: Sequence[Path], sources: dict[str, ModuleType], detect: bool, result: ImportResult) -> list[Task]:
    tasks: dict[str, Task] = {}
    real = _RealPaths()
    unions: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, ...]] = {}

    def add(path: Path, names: tuple[str, ...], ask: bool) -> None:
        key = real(path)
        known = tasks.get(key)
        if known is None:
            tasks[key] = (path, names, ask)
        elif known[2] and ask:  # listed by several sources: any of them may claim it, strictest first
            both = unions.get((known[1], names))
            if both is None:
                both = unions[(known[1], names)] = tuple(sorted({*known[1], *names}, key=detection_rank))
            tasks[key] = (known[0], both, True)

    if not paths:  # every default root: a file there is its source's, no detection needed
        for name, module in sources.items():
            for root in module.default_roots():
                if root.exists():
                    _walk(root, module, name, False, add, result)
        return list(tasks.values())
    names = tuple(sorted(sources, key=detection_rank))
    for path in paths:
        if not path.is_dir():  # a file (or a FIFO, a device …: reading it says why not)
            add(path, names, detect)
            continue
        walk(path)  # listed once here, the sources' find_files then take their parts of it
        for name, module in sources.items():
            _walk(path, module, name, detect, add, result)
    return list(tasks.values())


class _RealPaths:
    """A file's real path (its key: each file is read once however it was reached), for one
    ``lstat`` a file plus one ``realpath`` a folder, where ``Path.resolve()`` costs a system call
    per path component (most of a large plan's time)."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}
        self._files: dict[str, str] = {}  # each source lists the files it may read: many are listed twice

    def __call__(self, path: Path) -> str:
        name = os.fspath(path)
        key = self._files.get(name)
        if key is None:
            key = self._files[name] = self._real(name)
        return key

    def _real(self, name: str) -> str:
        try:
            if not is_plain_file(name) and stat.S_ISLNK(os.lstat(name).st_mode):  # a link: where it points
                return os.path.realpath(name, strict=True)
        except (OSError, RuntimeError, ValueError):  # gone, a symlink loop: reading it will say so
            return os.path.abspath(name)
        folder, base = os.path.split(name)
        try:
            return os.path.join(self._folder(folder), base)
        except (OSError, RuntimeError, ValueError):
            return os.path.abspath(name)

    def _folder(self, folder: str) -> str:
        """A folder's real path: its parent's (cached) joined with its name unless it is a link
        itself, one ``lstat`` a folder where ``realpath`` takes one per path component."""
        real = self._folders.get(folder)
        if real is None:
            parent, base = os.path.split(folder)
            if not base or base in (".", "..") or not parent or parent == folder:
                real = os.path.realpath(folder or ".", strict=True)
            elif stat.S_ISLNK(os.lstat(folder).st_mode):
                real = os.path.realpath(folder, strict=True)
            else:
                real = os.path.join(self._folder(parent), base)
            self._folders[folder] = real
        return real


def _walk(root: Path, module: ModuleType, name: str, ask: bool, add: Any, result: ImportResult) -> None:
    try:
        if root.is_dir():  # pathlib's walk skips a folder it may not list without a word: say so
            os.scandir(root).close()
        for path in module.find_files(root):
            add(path, (name,), ask)
    except OSError as exc:  # a folder that cannot be listed: what was found before it is kept
        result.unreadable_once(str(exc.filename or root), exc.strerror or str(exc))


class Importer:
    """Reads files into a ledger; ``close()`` (or the end of a ``with``) writes what is waiting."""

    def __init__(self, ledger: Path | str | None, tracker: Any = None, *, open_ledger: bool = True,
                 check: bool = False) -> None:
        """``open_ledger=False``: the ledger is opened by :meth:`read_parallel` once its workers
        are reading (a new ledger's schema is made meanwhile), or by :meth:`open_ledger`.
        ``check``: SQLite's quick check of an existing ledger before it is opened for writing
        (never add to a damaged file); it reads the whole file, so with workers it runs while they read."""
        if tracker is None:
            from ..tracker import CostTracker

            tracker = CostTracker()
        self.tracker = tracker
        self.result = ImportResult()
        self.batch_calls = BATCH_CALLS
        self._ledger_path = ledger
        self._check = check
        self._backfill: Backfill | None = None
        if open_ledger:
            self.open_ledger()
        # event id -> the call with the most tokens: one batch, in first-seen order
        self._waiting: dict[Any, LogCall] = {}
        self._raised: dict[Any, int] = {}  # event id (key) -> lines that raised its tokens (streaming partials)
        self._sessions: set[str] = set()  # session labels already validated
        # SQLite runs without the GIL: writing batch N in a thread while batch N+1 is read and
        # priced hides much of the ledger's time on two cores.
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="costpanel-import")
        self._pending: Future[list[tuple[int, Upserted]]] | None = None

    def open_ledger(self) -> Backfill:
        """The ledger, opened (and migrated) on first use. Raises the ledger's LedgerError."""
        if self._backfill is None:
            if self._check:
                _refuse_damaged(self._ledger_path)
            self._backfill = Backfill(self._ledger_path, commit_every_s=COMMIT_EVERY_S)
        return self._backfill

    # -- reading ---------------------------------------------------------------------------------
    def read(self, tasks: Iterable[Task], sources: dict[str, ModuleType]) -> ImportResult:
        for path, names, ask in tasks:
            self.read_file(path, names, ask, sources)
        return self.result

    def read_file(self, path: Path, names: Sequence[str], ask: bool, sources: dict[str, ModuleType]) -> None:
        result = self.result
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:  # deleted since it was listed, no permission, a dangling link
            return self._unreadable(path, exc.strerror or str(exc))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):  # a FIFO would block, a device never end
                return self._unreadable(path, "not a regular file")
            name = names[0]
            if ask:
                head = os.pread(fd, HEAD_BYTES, 0)
                found = next((n for n in names if sources[n].looks_like(path, head)), None)
                if found is None:
                    result.skipped[UNKNOWN_FORMAT] += 1
                    return None
                name = found
            module = sources[name]
            reader = module.Reader(path)
            try:
                if kind_of(module, path) == DOCUMENT:
                    self._document(fd, info.st_size, path, reader)
                elif path.name.endswith(ZSTD_SUFFIX):  # a cold Codex rollout
                    with _zstd_reads(fd) as read:
                        self._lines(fd, reader, read)
                else:
                    self._lines(fd, reader)
            except OSError as exc:  # the disk failed mid-file: what was read is kept
                self._unreadable(path, exc.strerror or str(exc))
            except Exception as exc:  # a reader bug must not end the import: say which file and why
                result.skipped[READER_FAILED] += 1
                result.unreadable[str(path)] = f"{name} reader failed: {type(exc).__name__}: {exc}"
            result.files += 1
            result.sources[name] += 1
            result.lines += reader.lines
            result.skipped.update(reader.skipped)
            named = getattr(reader, "errors", ())  # a reader from elsewhere may keep no examples
            result.errors.extend(named[:max(0, _MAX_ERRORS - len(result.errors))])
        except OSError as exc:
            self._unreadable(path, exc.strerror or str(exc))
        finally:
            os.close(fd)
        return None

    def read_parallel(self, tasks: Sequence[Task], sources: dict[str, ModuleType], workers: int) -> ImportResult:
        """:meth:`read` in ``workers`` forked processes (reading, parsing and pricing use a core
        each) while this one writes the ledger: the only writer, so batches stay transactions.
        Files of one folder go to one worker (a resumed session's copies meet in its batches, in
        file order: the same copy is kept on every run); each worker takes the next folder, the
        largest first, when it is done with one, so they finish together however fast each
        folder reads (bytes alone do not say: the share of usage lines differs)."""
        import multiprocessing
        from multiprocessing.connection import wait

        context = multiprocessing.get_context("fork")
        groups = _folders(tasks)
        taken = context.RawValue("l", 0)  # folders handed out so far (read and bumped under `lock`)
        lock = context.Lock()
        readers, processes = [], []
        for _ in range(min(workers, len(groups))):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_work, args=(self, _claims(groups, taken, lock), sources, send),
                                      daemon=True)
            process.start()
            send.close()
            readers.append(receive)
            processes.append(process)
        # Batches received while the writer is busy wait here and are then written together, in
        # one transaction: a batch's calls touch pages all over the event-id index, so the fewer
        # commits the less is written (1M lines: 2-3x less), and the workers are never held up
        # by a parent waiting on its writer (up to MAX_WAITING_CALLS).
        waiting: list[dict[int, list[Event]]] = []
        waiting_calls = 0
        try:
            self.open_ledger()  # while the workers read (forked without the connection)
            while readers:
                for receive in wait(readers, timeout=_POLL_S if waiting else None):
                    try:
                        kind, payload = receive.recv()
                    except EOFError:  # a worker died without a word (killed, out of memory)
                        raise RuntimeError("an import worker process ended unexpectedly; nothing it read after "
                                           "its last batch was stored: run the import again") from None
                    if kind == _BATCH:
                        waiting.append(_rebuilt(payload))
                        waiting_calls += sum(map(len, payload.values()))
                    elif kind == _DONE:
                        _merge(self.result, payload)
                        readers.remove(receive)
                    else:  # the worker's own error, as text: raise it here, where the user sees it
                        raise RuntimeError(payload)
                if waiting and (self._pending is None or self._pending.done() or waiting_calls >= MAX_WAITING_CALLS
                                or not readers):
                    self._collect()
                    self._pending = self._writer.submit(self._store_many, waiting)
                    waiting, waiting_calls = [], 0
        except BaseException:  # the ledger failed, a worker died, Ctrl-C: what the rest read has no use
            for process in processes:
                process.kill()
            raise
        finally:
            for process in processes:
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
        return self.result

    def _unreadable(self, path: Path, why: str) -> None:
        self.result.unreadable[str(path)] = why
        self.result.skipped[UNREADABLE] += 1

    def _lines(self, fd: int, reader: Any, read: Callable[[int, int], bytes] = os.read) -> None:
        """Complete lines, chunk by chunk; a last line without its newline is torn (an agent is
        writing it): skipped now, read by the next import once complete. A line longer than
        :data:`MAX_LINE_BYTES` (a snapshot of many files, never a billed call) is dropped as it
        streams past rather than held."""
        parts: list[bytes] = []  # the start of a line that has not ended yet
        held = 0
        too_long = False
        take, result = self._take, self.result
        read_block = getattr(reader, "read_block", None) or _block_reader(reader)
        while chunk := read(fd, CHUNK_BYTES):
            cut = chunk.rfind(b"\n") + 1  # the chunk's complete lines end here
            if cut:
                if too_long:  # the end of the long line
                    result.skipped[LINE_TOO_LONG] += 1
                    result.lines += 1
                    too_long = False
                    block = chunk[chunk.find(b"\n") + 1:cut]
                elif parts:
                    parts.append(chunk[:cut])
                    block = b"".join(parts)
                else:
                    block = chunk if cut == len(chunk) else chunk[:cut]
                parts, held = [], 0
                if block:
                    take(read_block(block))
                chunk = chunk[cut:]  # the start of the next line
            if chunk and not too_long:
                parts.append(chunk)
                held += len(chunk)
                if held > MAX_LINE_BYTES:
                    parts, held, too_long = [], 0, True
        if too_long:
            result.skipped[LINE_TOO_LONG] += 1
            result.lines += 1
        elif any(part.strip() for part in parts):
            last = b"".join(parts)
            if is_whole_object(last):  # a whole line whose writer ended without a newline: it will never get one
                take(read_block(last + b"\n"))
                return
            result.lines += 1
            where = f"{getattr(reader, 'path', '?')}:{getattr(reader, 'lines', 0) + 1}"  # the file and its last line
            if not being_written(last):  # binary, or not a JSON line at all: no newline will make it one
                result.skipped[MALFORMED] += 1
                if len(result.errors) < _MAX_ERRORS:
                    result.errors.append(f"{where}: not JSON (a last line without a newline that does not start "
                                         "a JSON object, or binary)")
                return
            result.skipped[TORN] += 1
            if len(result.waiting) < _MAX_ERRORS:  # named, apart from bad lines: it only waits
                result.waiting.append(f"{where}: no newline yet (still being written?): read by the next import "
                                      "once complete")

    def _document(self, fd: int, size: int, path: Path, reader: Any) -> None:
        if size > MAX_DOCUMENT_BYTES:
            raise OSError(0, f"larger than {MAX_DOCUMENT_BYTES >> 20} MB: not read as one document")
        parts = []
        while chunk := os.read(fd, CHUNK_BYTES):
            parts.append(chunk)
        self._take(reader.read_document(b"".join(parts)))

    # -- de-duplication --------------------------------------------------------------------------
    def _take(self, calls: list[LogCall]) -> None:
        """Keep, per event id, the call with the most tokens; a line with no more is a duplicate."""
        if not calls:
            return
        waiting, raised = self._waiting, self._raised
        get = waiting.get
        duplicates = 0
        per_session = calls[0].source in USER_ID_SOURCES  # call_key, inline: one reader's calls, one source
        for call in calls:
            event_id: Any = (call.event_id, call.session) if per_session else call.event_id
            best = get(event_id)
            if best is None:  # the usual line: one dict store, its tokens not even summed
                waiting[event_id] = call
            elif call.usage.total_tokens > best.usage.total_tokens:  # a partial superseded (in place)
                waiting[event_id] = call
                raised[event_id] = raised.get(event_id, 0) + 1
            else:
                duplicates += 1
        self.result.calls += len(calls)
        self.result.duplicates += duplicates
        if len(waiting) >= self.batch_calls + KEEP_RECENT:
            entries = list(waiting.values())
            cut = len(entries) - KEEP_RECENT
            self._waiting = {call_key(call): call for call in entries[cut:]}
            self._write(entries[:cut])

    # -- pricing and writing ---------------------------------------------------------------------
    def _write(self, entries: list[LogCall]) -> None:
        """Price and store a batch. Calls are written in groups by how many lines raised their
        tokens, so the ledger's verdict on each kept call (counts per group) applies to those
        lines too."""
        result = self.result
        price = self.tracker.price_event
        groups: dict[int, list[Event]] = {}
        pop = self._raised.pop
        for call in entries:
            raised = pop(call_key(call), 0) if self._raised else 0
            try:
                event = price(call.model, call.usage, call.tier, call.session, call.event_id, call.ts, call.variant,
                              call.source, call.project)
            except (TypeError, ValueError, OverflowError, OSError):  # a field the reader let through
                result.skipped[BAD_FIELD] += 1 + raised
                result.calls -= 1 + raised
                continue
            if event.cost_units is None:
                result.unpriced += 1
                # a known model billed under a variant it has no price for: the variant is why
                result.unpriced_models[call.model if call.variant is None or event.matched is None
                                       else f"{call.model} ({call.variant})"] += 1
            group = groups.get(raised)
            if group is None:
                groups[raised] = [event]
            else:
                group.append(event)
        self._store_batch(groups)

    def _store_batch(self, groups: dict[int, list[Event]]) -> None:
        """Hand a priced batch to the ledger (a worker process sends it to the parent instead)."""
        self._collect()  # at most one batch in the writer's hands: memory stays bounded
        if WRITER_THREAD:
            self._pending = self._writer.submit(self._store, groups)
        else:
            self._count(self._store(groups))

    def _store(self, groups: dict[int, list[Event]]) -> list[tuple[int, Upserted]]:
        return self._store_many([groups])

    def _store_many(self, batches: list[dict[int, list[Event]]]) -> list[tuple[int, Upserted]]:
        """Store batches in turn (each as if alone: the same counts), all in one transaction."""
        order = [(raised, groups[raised]) for groups in batches for raised in sorted(groups)]
        done = self.open_ledger().write_each([events for _, events in order])
        return [(raised, upserted) for (raised, _), upserted in zip(order, done, strict=True)]

    def _collect(self) -> None:
        """Count the batch the writer thread was given (its error, such as a LedgerError, raises here)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._count(pending.result())

    def _count(self, stored: list[tuple[int, Upserted]]) -> None:
        result = self.result
        for raised, done in stored:
            result.added += done.added
            result.replaced_cost_units += done.replaced_units
            result.priced_now += done.priced_now
            # The lines a kept call superseded in this batch: replaced if the call was new to the
            # ledger, else duplicates (the ledger held one of them already, usually the latest: a
            # session imported while it streamed; see the module's docstring)
            result.replaced += done.replaced + done.added * raised
            result.duplicates += done.duplicates + (done.duplicates + done.replaced) * raised

    def flush(self) -> None:
        """Write every call waiting, and wait until it is stored and committed."""
        entries, self._waiting = list(self._waiting.values()), {}
        if entries:
            self._write(entries)
        self._collect()
        if self._backfill is not None:  # in the writer's thread, after its writes
            self._writer.submit(self._backfill.commit).result()
            added = self._writer.submit(self._backfill.added).result()
            result = self.result
            result.added_cost_units, result.added_unpriced = added.cost_units, added.unpriced
            result.added_from, result.added_to = added.first_ts, added.last_ts

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._shut()

    def _shut(self) -> None:
        self._writer.shutdown(wait=True)  # never close the connection under a write in progress
        if self._backfill is not None:
            self._backfill.close()

    def __enter__(self) -> Importer:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._shut()


# What a worker process sends its parent: a priced batch, its counts at the end, or its error.
_BATCH, _DONE, _FAILED = "batch", "done", "failed"
WORKER_BATCH_CALLS = 2048
MAX_WAITING_CALLS = 20_000  # calls the parent holds while its writer is busy (~10 MB), then it waits
_POLL_S = 0.005  # how often the parent looks whether its writer is free, while batches wait
PARALLEL_MIN_BYTES = 16 << 20  # below this, forking workers costs more than it saves
MAX_WORKERS = 4


def workers_for(tasks: Sequence[Task]) -> int:
    """How many processes read ``tasks``: one per core (up to :data:`MAX_WORKERS`) once there is
    enough to read, and never more than there are folders."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2 or len(tasks) < 2:
        return 1
    size = 0
    for path, _, _ in tasks:
        with contextlib.suppress(OSError):
            size += os.stat(path).st_size
        if size >= PARALLEL_MIN_BYTES:  # enough: the rest need not be looked at
            break
    else:
        return 1
    return max(1, min(cores, MAX_WORKERS, len({path.parent for path, _, _ in tasks})))


def _folders(tasks: Sequence[Task]) -> list[list[Task]]:
    """``tasks`` by folder, the largest folder (in bytes) first, each folder's files in plan order."""
    folders: dict[Path, list[Task]] = {}
    for task in tasks:
        folders.setdefault(task[0].parent, []).append(task)

    def size(group: list[Task]) -> int:
        total = 0
        for path, _, _ in group:
            with contextlib.suppress(OSError):
                total += os.stat(path).st_size
        return total

    return [group for _, group in sorted(((size(group), group) for group in folders.values()), key=_first,
                                         reverse=True)]


def _claims(groups: list[list[Task]], taken: Any, lock: Any) -> Iterator[Task]:
    """The tasks of the folders this worker claims, one folder at a time, the next one only once
    it is done with the last (``taken``: a counter shared by the workers, under ``lock``)."""
    while True:
        with lock:
            k = taken.value
            if k >= len(groups):
                return
            taken.value = k + 1
        yield from groups[k]


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


def _work(importer: Importer, share: Iterable[Task], sources: dict[str, ModuleType], conn: Any) -> None:
    """A worker process: read and price ``share``, sending each batch to the parent. Never touches
    the parent's ledger connection or threads (not in this process), and ends with ``os._exit``:
    the parent's exit handlers (a ledger's flush, say) are not this process's to run."""
    code = 0
    try:
        importer.result = ImportResult()
        importer.batch_calls = WORKER_BATCH_CALLS  # the parent writes while this reads on: hand over often
        importer._store_batch = lambda groups: conn.send((_BATCH, _flat(groups)))  # type: ignore[method-assign]
        importer.read(share, sources)
        entries, importer._waiting = list(importer._waiting.values()), {}
        if entries:
            importer._write(entries)
        conn.send((_DONE, importer.result))
    except BaseException as exc:  # noqa: BLE001 - said to the parent, which raises it
        code = 1
        with contextlib.suppress(Exception):
            conn.send((_FAILED, f"import worker failed: {type(exc).__name__}: {exc}"))
    finally:
        with contextlib.suppress(Exception):
            conn.close()
        os._exit(code)


_new_tuple = tuple.__new__
_USAGE_AT = Event._fields.index("usage")


def _flat(groups: dict[int, list[Event]]) -> dict[int, list[tuple[Any, ...]]]:
    """A priced batch as plain tuples: a named tuple pickles through a Python-level
    ``__getnewargs__`` per object (~8 us a call), plain tuples of str/int/float in C."""
    at = _USAGE_AT
    return {raised: [(*e[:at], tuple(e[at]), *e[at + 1:]) for e in events] for raised, events in groups.items()}


def _rebuilt(groups: dict[int, list[tuple[Any, ...]]]) -> dict[int, list[Event]]:
    """The Events :func:`_flat` sent (no validation: the worker built them)."""
    at = _USAGE_AT
    new = _new_tuple
    return {raised: [new(Event, (*t[:at], new(Usage, t[at]), *t[at + 1:])) for t in rows]
            for raised, rows in groups.items()}


def _block_reader(reader: Any) -> Callable[[bytes], list[LogCall]]:
    """``read_block`` for a reader that reads lines only: the block split into them."""

    def read_block(block: bytes) -> list[LogCall]:
        lines = block.split(b"\n")
        lines.pop()  # after the last newline: nothing
        return reader.read_lines(lines)  # type: ignore[no-any-return]

    return read_block


def _merge(into: ImportResult, part: ImportResult) -> None:
    """Add a worker's counts (what it read; the ledger's verdicts are counted here) to ``into``."""
    for f in fields(ImportResult):
        mine, theirs = getattr(into, f.name), getattr(part, f.name)
        if mine is None or isinstance(mine, float):  # the parent's own (what its ledger added)
            continue
        if isinstance(mine, int):
            setattr(into, f.name, mine + theirs)
        elif isinstance(mine, Counter):
            mine.update(theirs)
        elif isinstance(mine, dict):
            mine.update(theirs)
        else:
            mine.extend(theirs[:max(0, _MAX_ERRORS - len(mine))])


ZSTD_SUFFIX = ".zst"


@contextlib.contextmanager
def _zstd_reads(fd: int) -> Iterator[Callable[[int, int], bytes]]:
    """``os.read`` for a zstd-compressed file (streamed: memory stays bounded); a damaged stream
    is an OSError naming it, so the file counts as unreadable with what was read before kept."""
    import zstandard

    stream = zstandard.ZstdDecompressor().stream_reader(os.fdopen(os.dup(fd), "rb"), closefd=True)

    def read(_fd: int, size: int) -> bytes:
        try:
            return stream.read(size)
        except zstandard.ZstdError as exc:
            raise OSError(0, f"compressed file damaged ({exc})") from None

    try:
        yield read
    finally:
        stream.close()


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    """Fewer garbage-collector passes while importing: an import allocates millions of short-lived
    tuples (no cycles), and each automatic full pass would walk the catalog's objects again."""
    threshold = gc.get_threshold()
    gc.freeze()  # what is loaded so far (catalog, modules) lives to the end: never walk it
    gc.set_threshold(100_000, 50, 1000)  # still collected now and then: a reader's cycles cannot pile up
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _refuse_damaged(ledger: Path | str | None) -> None:
    """SQLite's quick check of the ledger at ``ledger`` (None: the default one), if there is one:
    LedgerError when it is damaged."""
    check_integrity(default_path() if ledger is None else Path(ledger).expanduser())


def import_logs(paths: Sequence[Path | str] = (), source: str = ALL, ledger: Path | str | None = None,
                tracker: Any = None, workers: int | None = None, check: bool = True) -> ImportResult:
    """Import log files into the ledger at ``ledger`` (None: the default ledger).

    ``paths``: files or folders (none: every default root of the chosen sources); ``source``: a
    name of :data:`~.registry.LOG_SOURCES`, or ``all`` to detect each named file's source.
    ``workers``: processes that read and price (None: :func:`workers_for` decides; 1: this one).
    ``check``: refuse a damaged ledger (SQLite's quick check, ~0.2 s per million calls stored,
    run while the workers read) before anything is written to it.
    Raises :class:`PathNotFound`, :class:`~.registry.SourceUnavailable`, or the ledger's
    :class:`~costpanel.ledger.LedgerError` (nothing written).
    """
    sources = chosen(source)
    result = ImportResult()
    tasks = plan([Path(p).expanduser() for p in paths], sources, source == ALL, result)
    count = workers_for(tasks) if workers is None else workers
    if check and not tasks:  # nothing to add, but a damaged ledger is still said
        _refuse_damaged(ledger)
    # No file to read: no ledger made either (a path with a typo in it leaves nothing behind).
    with Importer(ledger, tracker, open_ledger=count <= 1 and bool(tasks), check=check) as importer:
        importer.result = result
        if count > 1:
            importer.read_parallel(tasks, sources, count)
        else:
            importer.read(tasks, sources)
    return result
