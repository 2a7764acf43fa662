"""Watcher: follows agent logs live and records their calls into a tracker (``costpanel watch``).

On :meth:`Watcher.start` a thread reads every existing log file once (catch-up: only calls since
local midnight go into the tracker, older ones are counted as ``before today``), then follows
changes with ``watchfiles`` (inotify/FSEvents via Rust's ``notify``; debounce 200 ms, so a line
appended reaches the tracker well within the 1 s target). Files under watched folders are matched
to their source; new files and folders are picked up as they appear. The thread touches only the
tracker (thread-safe), never Dear PyGui. Re-reading a file (truncated, replaced) yields calls with
the same event ids, which the tracker's upsert counts once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

from ..tracker import CostTracker
from .logs import BAD_FIELD, LogCall, Skips, shared_listings
from .registry import DETECTION_ORDER, detection_rank, load
from .tail import Tail

BEFORE_TODAY = "before today"  # calls older than local midnight: the panel shows today (import backfills)
NOT_RECOGNISED = "not a known log format"  # a file under a PATH no source recognises (--source all)
DEBOUNCE_MS = 200  # watchfiles' default 1,600 ms would break the 1 s latency target
STEP_MS = 50  # how often watchfiles checks for the end of a burst of changes and for stop()
READY_TIMEOUT_MS = 150  # a quiet tick: the first one says the watch is in place; each checks the roots
LAYOUT_CHECK_S = 1.0  # a thread with nothing to watch looks this often whether a root appeared or went
MAX_VIEWS = 256  # per-(source, project) trackers for the panel's filter; past this, no new filters
HEAD_BYTES = 8192  # what looks_like() sees of a file to detect its source
UNDECODABLE_NAME = "file name not UTF-8"  # watchfiles stops on it: the folder is then re-read every FALLBACK_READ_S
FALLBACK_READ_S = 0.5


def available_sources(names: Iterable[str] = DETECTION_ORDER) -> list[ModuleType]:
    """The log source modules of ``names`` present in this build, in the order their formats are
    asked whether a file is theirs (:data:`~.registry.DETECTION_ORDER`: the strictest first)."""
    return [module for module in map(load, sorted(names, key=detection_rank)) if module is not None]


def local_midnight(now: dt.datetime | None = None) -> float:
    """Epoch seconds of today's start in the local time zone (as the ledger's days: DST respected)."""
    from ..ledger.queries import local_midnight as midnight_of

    return midnight_of((now or dt.datetime.now()).astimezone().date())


CLAUDE_CODE = "claude-code"
# A session id as a file name (telemetry's session.id comes from the network: never a path or a glob)
_SESSION_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,127}")


class Root(NamedTuple):
    """A watched path (a folder or a file) and its log sources; ``detect``: each file's content
    decides which of them reads it (``--source all`` on a PATH), unrecognised files are counted."""

    path: Path
    sources: tuple[ModuleType, ...]
    detect: bool = False


def default_roots(sources: Sequence[ModuleType]) -> list[Root]:
    """Every default log location of ``sources`` (existing or not)."""
    return [Root(Path(p), (m,)) for m in sources for p in m.default_roots()]


@dataclass(frozen=True)
class WatchStats:
    """What the Sources line shows: folders watched, files followed, calls, skipped lines by reason,
    and files by what happened to them (deleted while watched, unreadable, not a known format)."""

    folders: int
    files: int
    calls: int  # calls counted (new event ids)
    replaced: int  # calls whose usage a later line with more tokens replaced (streaming partials)
    duplicates: int  # lines of calls already counted (files re-read, repeated lines)
    lines: int
    skipped: dict[str, int]
    missing: tuple[str, ...]  # roots that do not exist (yet)
    waiting: int = 0  # files whose last line has no newline yet
    error: str | None = None  # why watching stopped, if it did (the figures are then frozen)
    files_set_aside: dict[str, int] = field(default_factory=dict)  # files (not lines) by reason
    files_named: int = 0  # files watched because they were named (not found in a folder watched)
    bad_lines: tuple[str, ...] = ()  # the first few bad lines, each with its file and line number
    otlp: Any = None  # the OTLP receiver's FeedStats when `watch --otlp-port` runs one
    folders_unreadable: int = 0  # folders inside watched trees that cannot be listed (their logs unread)

    def since(self, earlier: WatchStats) -> WatchStats:
        """These figures with the counts (calls, lines, skipped lines) taken from ``earlier`` on: what
        was read since then (the panel's Reset). Folders and files are states, kept whole."""
        skipped = {k: n - earlier.skipped.get(k, 0) for k, n in self.skipped.items()}
        return replace(self, calls=self.calls - earlier.calls, replaced=self.replaced - earlier.replaced,
                       duplicates=self.duplicates - earlier.duplicates, lines=self.lines - earlier.lines,
                       skipped={k: n for k, n in skipped.items() if n > 0})

    def line(self, sep: str = " · ", *, calls: bool = True, since: str = "") -> str:
        """One line for people: ``2 folders watched · 14 files · 1,203 calls · skipped 40 lines (no
        usage 38, malformed json 2) · 1 file deleted or not read (deleted while watched 1)`` (the
        panel's ASCII-only font takes ``sep=" | "``)."""
        shown_missing = ", ".join(map(_home_short, self.missing[:2]))
        more_missing = f" +{len(self.missing) - 2:,} more" if len(self.missing) > 2 else ""
        if not (self.folders or self.files_named or self.files) and self.missing:  # nothing there yet
            parts = [f"waiting for {shown_missing}{more_missing} (not found yet)"]
        else:
            watched = [f"{self.folders:,} folder{'s' * (self.folders != 1)}"] if self.folders or not self.files_named \
                else []
            if self.files_named:
                watched.append(f"{self.files_named:,} file{'s' * (self.files_named != 1)}")
            parts = [f"{' and '.join(watched)} watched"]
            if self.folders or self.files != self.files_named:  # "2 files watched · 2 files" says it twice
                parts.append(f"{self.files:,} file{'s' * (self.files != 1)}")
        if calls:  # (left out where the same count is said just before); beside OTLP's: the logs' own
            parts.append(f"{self.calls:,} call{'s' * (self.calls != 1)}{' from logs' if self.otlp is not None else ''}"
                         f"{since}")
        skipped = sum(self.skipped.values())
        if skipped:
            parts.append(f"skipped {skipped:,} line{'s' * (skipped != 1)} ({_reasons(self.skipped)})")
        if self.waiting:  # a last line not ended yet: counted once its newline comes
            parts.append(f"{self.waiting:,} line{'s' * (self.waiting != 1)} waiting for a newline")
        aside = sum(self.files_set_aside.values())
        if aside:
            parts.append(f"{aside:,} file{'s' * (aside != 1)} deleted or not read ({_reasons(self.files_set_aside)})")
        if self.folders_unreadable:
            n = self.folders_unreadable
            parts.append(f"{n:,} folder{'s' * (n != 1)} not readable (logs in {'them' if n != 1 else 'it'} not counted)")
        if self.missing and not parts[0].startswith("waiting for"):  # the first two named (home as ~), the rest counted
            parts.append(f"not found (yet): {shown_missing}{more_missing}")
        if self.otlp is not None:
            parts.append(_otlp_part(self.otlp))
        if self.error:
            parts.append(f"watching stopped: {self.error}")
        return sep.join(parts)


def _home_short(path: str) -> str:
    """``~/.codex/sessions`` for a path in the user's home (a Sources line has room for two)."""
    home = str(Path.home())
    return "~" + path[len(home):] if home != "/" and (path == home or path.startswith(home + os.sep)) else path


def _otlp_part(stats: Any) -> str:
    """``OTLP: 5 calls (2 approximate), skipped 3 (session read from its logs 2, no model 1), 1
    request refused (413 1)``: what the receiver counted, left out and refused."""
    calls = sum(n for status, n in stats.statuses.items() if status != "duplicate")
    text = f"OTLP: {calls:,} call{'s' * (calls != 1)}"
    if stats.approximate:
        text += f" ({stats.approximate:,} approximate)"
    skipped = sum(stats.skipped.values())
    if skipped:
        text += f", skipped {skipped:,} ({_reasons(stats.skipped)})"
    refused = sum(stats.rejected.values())
    if refused:
        statuses = {str(code): n for code, n in stats.rejected.items()}
        text += f", {refused:,} request{'s' * (refused != 1)} refused ({_reasons(statuses)})"
    return text


def _reasons(counts: dict[str, int]) -> str:
    """``malformed json 40, no usage 3``: the most frequent reason first."""
    return ", ".join(f"{reason} {n:,}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass
class Views:
    """A tracker per source and per (source, project), fed the same calls as the main one: the
    panel's filter shows one of them (their own upsert keeps them exact). No ledger."""

    catalog: Any
    started_at: dt.datetime | None = None  # as the main tracker's session (a watch: local midnight)
    trackers: dict[str, CostTracker] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def names_for(call: LogCall) -> tuple[str, str]:
        return call.source, f"{call.source} / {call.project or '(no project)'}"

    def record(self, call: LogCall, at: dt.datetime) -> None:
        for name in self.names_for(call):
            tracker = self.trackers.get(name)
            if tracker is None:
                with self._lock:
                    if len(self.trackers) >= MAX_VIEWS:
                        continue
                    tracker = self.trackers.setdefault(name, CostTracker(self.catalog, started_at=self.started_at))
            tracker.record(call.model, call.usage, call.tier, call.session, call.event_id, at, call.variant,
                           call.source, call.project)

    def names(self) -> list[str]:
        return sorted(self.trackers)

    def get(self, name: str) -> CostTracker | None:
        return self.trackers.get(name)


class Watcher:
    """Follows the log files under ``roots`` and records their calls into ``tracker``.

    ``since``: calls before it are counted as ``before today`` and not recorded (default: local
    midnight at construction; None records everything). ``views``: per-source/project trackers
    for the panel's filter (None: none kept)."""

    def __init__(self, tracker: CostTracker, roots: Sequence[Root], *, since: float | None | bool = True,
                 views: Views | None = None, debounce_ms: int = DEBOUNCE_MS, step_ms: int = STEP_MS) -> None:
        self.tracker = tracker
        self.roots = [r._replace(path=r.path.expanduser().absolute()) for r in roots]
        self.since = local_midnight() if since is True else None if since is False else since
        self.views = views
        self.debounce_ms, self.step_ms = debounce_ms, step_ms
        self.tail = Tail()
        self.ready = threading.Event()  # catch-up done and the watch in place
        self.error: BaseException | None = None  # what ended the watch thread, if anything did
        self._undecodable: set[str] = set()  # watchfiles errors on file names that are not UTF-8, said once each
        self._stop = threading.Event()
        self._lock = threading.RLock()  # the two watch threads (folders, single files) share the tail
        self._threads: list[threading.Thread] = []
        self._unsettled = 0
        self._relayout = threading.Condition()  # a root folder appeared or went: the watches start over
        self._generation = 0
        self._layout: tuple[list[Path], list[Path]] = ([], [])
        self._sessions: set[str] = set()
        self._owned: set[str] = set()  # sessions found as Claude Code session files (owns_session)
        self._unlistable: dict[str, str] = {}  # folders inside watched trees that cannot be listed -> why
        self.otlp: Any = None  # an OtlpReceiver feeding the same tracker: its counts join the stats
        self._calls = self._replaced = self._duplicates = 0
        self._recorded = Skips()  # calls the tracker refused or that are before today
        self._undetected: set[Path] = set()  # files no source recognised (yet: maybe still empty)

    # -- which file is whose ----------------------------------------------------------------------
    def _root_of(self, path: Path) -> Root | None:
        best = None
        for root in self.roots:
            if (path == root.path or path.is_relative_to(root.path)) and (best is None or len(root.path.parts) > len(best.path.parts)):
                best = root
        return best

    def _log_files(self, root: Path, sources: Sequence[ModuleType]) -> dict[Path, ModuleType | None]:
        """Log files under ``root`` by source (None: several sources possible, detect by content);
        the folders inside it that cannot be listed are remembered for the Sources line."""
        found: dict[Path, ModuleType | None] = {}
        with shared_listings() as unlistable:
            for module in sources:
                try:
                    for path in module.find_files(root):
                        if path.name.endswith(".zst"):  # a Codex rollout compressed after 7 idle days: not today's
                            continue
                        found[path] = module if path not in found else None
                except OSError:
                    continue
        inside = os.path.join(os.fspath(root), "")
        with self._lock:  # this listing's word on the folders under root replaces the last one's
            self._unlistable = {f: why for f, why in self._unlistable.items() if not f.startswith(inside)}
            self._unlistable.update(unlistable)
        return found

    def _detect(self, path: Path, sources: Sequence[ModuleType]) -> ModuleType | None:
        try:  # O_NONBLOCK: opening a FIFO named like a log must not block the watch
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    return None
                head = os.pread(fd, HEAD_BYTES, 0)
            finally:
                os.close(fd)
        except OSError:
            return None
        return next((m for m in sources if m.looks_like(path, head)), None)

    def _visit(self, paths: Iterable[Path]) -> None:
        """Paths that changed: followed files are read (a file gone is counted by the tail), the
        files of a folder deleted or moved away go with it, a new folder is scanned for log files,
        and a new file is followed when its sources' ``find_files`` lists it in its folder. Only
        that folder is listed, not the root: Claude Code's config dir also holds todos and shell
        snapshots that change all the time, and listing every project on each change would cost."""
        scan: dict[Path, tuple[Root, Path | None]] = {}  # folder -> (its root, the one file wanted or None: all)
        for path in paths:
            if path in self.tail.files:
                self._record(self.tail.read(path))
            elif not path.exists():
                for gone in self.tail.under(path):
                    self._record(self.tail.read(gone))
            elif (root := self._root_of(path)) is not None:
                if path == root.path or path.is_dir():
                    scan[path] = (root, None)
                elif path.parent not in scan:
                    scan[path.parent] = (root, path)
                elif scan[path.parent][1] not in (None, path):
                    scan[path.parent] = (root, None)  # several new files in one folder: list it once
        for folder, (root, wanted) in scan.items():
            self._scan(root, folder, wanted)

    def _scan(self, root: Root, folder: Path | None = None, wanted: Path | None = None) -> None:
        """Follow the log files under ``folder`` (default: the whole root) not followed yet, per the
        sources' ``find_files`` (only ``wanted`` when given; with several sources possible, the
        content decides: ``looks_like``)."""
        for found, module in self._log_files(root.path if folder is None else folder, root.sources).items():
            if found in self.tail.files or wanted is not None and found != wanted:
                continue
            if root.detect or module is None:  # --source all on a PATH: the content decides
                module = self._detect(found, root.sources if module is None else (module,))
            with self._lock:  # one file at a time: the panel's stats() waits for a file, not a catch-up
                if module is None:
                    self._undetected.add(found)  # maybe still empty: tried again when it changes
                    continue
                self._undetected.discard(found)
                if found not in self.tail.files:
                    self._record(self.tail.follow(found, module))

    # -- recording ------------------------------------------------------------------------------
    def _record(self, calls: list[LogCall]) -> None:
        since, tracker, views = self.since, self.tracker, self.views
        for call in calls:
            if since is not None and call.ts < since:
                self._recorded[BEFORE_TODAY] += 1
                continue
            at = dt.datetime.fromtimestamp(call.ts, dt.timezone.utc)
            try:
                event = tracker.record(call.model, call.usage, call.tier, call.session, call.event_id, at,
                                       call.variant, call.source, call.project)
            except (TypeError, ValueError):  # a label the tracker refuses (too long, control characters)
                self._recorded[BAD_FIELD] += 1
                continue
            self._sessions.add(call.session)
            status = event.status
            if status == "duplicate":
                self._duplicates += 1
                continue
            if status == "replaced":
                self._replaced += 1
            else:
                self._calls += 1
            if views is not None:
                views.record(call, at)

    def owns_session(self, session_id: str) -> bool:
        """Whether the watched logs hold this session (logs win over OTLP telemetry): a watched log
        produced calls of it, or a Claude Code session file of that name is under a watched folder.
        Claude Code writes the session's file from its first prompt on, before any API request, so
        the telemetry of a call cannot beat its file, even when it beats the call's own line."""
        if session_id in self._sessions or session_id in self._owned:
            return True
        if _SESSION_NAME.fullmatch(session_id) and any(
                os.path.isfile(os.path.join(folder, session_id + ".jsonl")) for folder in self._session_folders()):
            self._owned.add(session_id)
            return True
        return False

    def reads(self, source: str) -> bool:
        """Whether a watched root is read as ``source``'s logs (a source name: ``claude-code`` …)."""
        return any(getattr(m, "SOURCE", None) == source for root in self.roots for m in root.sources)

    def _session_folders(self) -> Iterable[str]:
        """Where Claude Code session files can be under the watched roots: each root, its
        ``projects/`` and their sub-folders (``projects/<encoded cwd>/<session>.jsonl``)."""
        for root in self.roots:
            if not any(getattr(m, "SOURCE", None) == CLAUDE_CODE for m in root.sources):
                continue
            for folder in (root.path, root.path / "projects"):
                try:
                    with os.scandir(folder) as entries:
                        children = [e.path for e in entries if e.is_dir(follow_symlinks=False)]
                except OSError:  # not there (yet), not a folder, not readable
                    continue
                yield os.fspath(folder)
                yield from children

    # -- running ----------------------------------------------------------------------------------
    def catch_up(self) -> None:
        """Read every existing log file once (and whatever followed files gained since)."""
        for path in list(self.tail.files):
            with self._lock:
                self._record(self.tail.read(path))
        for root in self.roots:
            if root.path.exists():
                self._scan(root)

    def _paths(self, recursive: bool) -> list[Path]:
        """What to watch: the root folders (recursively); and, not recursively, the folder of each
        file named on the command line (a watch on the file itself would follow its old inode after
        a rename) and the nearest existing folder above a root that does not exist (yet)."""
        if recursive:
            return sorted({r.path for r in self.roots if r.path.is_dir()})
        above = set()
        for root in self.roots:
            if not root.path.is_dir():
                folder = root.path.parent
                while not folder.is_dir() and folder != folder.parent:
                    folder = folder.parent
                above.add(folder)
        return sorted(above)

    def _wanted(self, change: Any, path: str) -> bool:
        """The non-recursive watch's filter: a file root itself, or a step towards a missing root."""
        p = Path(path)  # every root: one missing a moment ago may exist by the time this runs
        return any(r.path.is_relative_to(p) for r in self.roots)

    def _check_layout(self) -> None:
        """A root folder deleted or created: both watches start over on what exists now."""
        layout = (self._paths(True), self._paths(False))
        if layout != self._layout:
            with self._relayout:
                self._layout = layout
                self._generation += 1
                self._relayout.notify_all()

    def start(self) -> None:
        """Catch up and follow changes on background threads; returns at once (:attr:`ready` is
        set when the catch-up is done and the watches are in place)."""
        self._layout = (self._paths(True), self._paths(False))
        self._unsettled = 2
        self._threads = [threading.Thread(target=self._run, args=(recursive,), daemon=True,
                                          name=f"costpanel-watch-{'folders' if recursive else 'files'}")
                         for recursive in (True, False)]
        for thread in self._threads:
            thread.start()

    def _settled(self) -> None:
        with self._lock:
            self._unsettled -= 1
            if self._unsettled <= 0:
                self.ready.set()

    def _run(self, recursive: bool) -> None:
        import watchfiles

        try:
            if recursive:  # one thread reads what exists; the other watches meanwhile
                self.catch_up()
            settled = False
            while not self._stop.is_set():
                generation = self._generation
                paths = self._paths(recursive)
                if not paths:  # nothing of this kind to watch until the roots change
                    if not settled:
                        settled = True
                        self._settled()
                    with self._relayout:
                        self._relayout.wait_for(lambda: self._generation != generation or self._stop.is_set(),
                                                LAYOUT_CHECK_S)
                    self._check_layout()
                    continue
                try:
                    settled = self._watch(watchfiles, paths, recursive, generation, settled)
                except Exception as exc:  # noqa: BLE001 - one odd file name must not end the watch
                    if "decode path" not in str(exc):
                        raise
                    # watchfiles cannot pass on a file name that is not UTF-8 (it stops at once, every
                    # time, while the file is there): count it once, read what changed, try again soon
                    with self._lock:
                        if str(exc) not in self._undecodable:
                            self._undecodable.add(str(exc))
                            self.tail.problems[UNDECODABLE_NAME] += 1
                        self.catch_up()
                        if not settled:
                            settled = True
                            self._settled()
                    self._stop.wait(FALLBACK_READ_S)
        except Exception as exc:  # a watch that cannot run (inotify limit …) is said, never a silent stop
            self.error = exc
            self.ready.set()

    def _watch(self, watchfiles: Any, paths: list[Any], recursive: bool, generation: int, settled: bool) -> bool:
        """One watchfiles watch of ``paths``, until the roots change (a new generation) or stop().
        Returns whether the watch has settled (said it is in place)."""
        watching = False
        for changes in watchfiles.watch(*paths, watch_filter=None if recursive else self._wanted,
                                        debounce=self.debounce_ms, step=self.step_ms, stop_event=self._stop,
                                        rust_timeout=READY_TIMEOUT_MS, yield_on_timeout=True,
                                        recursive=recursive, raise_interrupt=False,
                                        ignore_permission_denied=True):
            with self._lock:
                self._visit(sorted({Path(p) for _, p in changes}))
                # On every change and every quiet tick: the OS does not always report a watched
                # folder's own deletion, nor a folder made before a new watch was in place.
                self._check_layout()
                if not watching:  # the watch is in place now: catch what changed while it was set up
                    watching = True
                    self.catch_up()
                    if not settled:
                        settled = True
                        self._settled()
            if self._generation != generation:
                break
        return settled

    def stop(self, timeout: float = 5.0) -> None:
        """End the watch threads (from any thread); idempotent."""
        self._stop.set()
        with self._relayout:
            self._relayout.notify_all()
        for thread in self._threads:
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout)

    @property
    def started(self) -> bool:
        return bool(self._threads)

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def stats(self) -> WatchStats:
        with self._lock:
            skipped = self.tail.skipped()
            skipped.update(self._recorded)
            aside = self.tail.file_problems()
            if self._undetected:
                aside[NOT_RECOGNISED] += len(self._undetected)
            # the roots watched: folders and files named (not the folders above a root that does
            # not exist yet, which are watched only to see it appear)
            folders = {r.path for r in self.roots if r.path.is_dir()}
            named = {r.path for r in self.roots if r.path.exists()} - folders
            return WatchStats(
                folders=len(folders), files_named=len(named), files=len(self.tail.files), calls=self._calls, replaced=self._replaced,
                duplicates=self._duplicates, lines=self.tail.lines, skipped=dict(skipped),
                missing=tuple(str(r.path) for r in self.roots if not r.path.exists()),
                waiting=sum(f.waiting for f in self.tail.files.values()),
                error=None if self.error is None else f"{type(self.error).__name__}: {self.error}",
                files_set_aside=dict(aside),
                bad_lines=tuple(self.tail.bad_lines()),
                otlp=None if self.otlp is None else self.otlp.stats,
                folders_unreadable=len(self._unlistable),
            )
