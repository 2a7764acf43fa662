"""What every log source shares: the call a log line becomes, skip reasons, and the reader contract.

A *log source* is a module (:mod:`.claude_code`, :mod:`.codex`, :mod:`.gemini_cli`, :mod:`.jsonl`)
with:

- ``SOURCE``: its source name (``claude-code`` …, :data:`costpanel.sources.KNOWN_SOURCES`);
- ``KIND``: :data:`LINES` (JSON Lines, read line by line, appended to while the agent runs) or
  :data:`DOCUMENT` (one JSON document rewritten whole, as Gemini CLI's older chats are); a source
  whose files differ (Gemini CLI: ``.json`` documents, ``.jsonl`` lines) also has
  ``kind_of(path) -> str``, which :func:`kind_of` asks first;
- ``default_roots() -> list[Path]``: where the tool writes its logs on this machine (existing or
  not; the environment variables the tool honours come first);
- ``find_files(root: Path) -> Iterator[Path]``: its log files under ``root`` (a folder or a file);
- ``looks_like(path: Path, head: bytes) -> bool``: whether a file (of which ``head`` is the first
  few KB) is one of its logs, for ``--source all``;
- ``Reader(path: Path)``: a reader for one file, with ``skipped`` (:class:`Skips`), ``lines``
  (lines seen) and ``errors`` (:class:`Examples`: the first bad lines, named), and
  ``read_lines(lines) -> list[LogCall]`` for :data:`LINES` sources (complete lines, without their
  newline, in file order; state such as Codex's cumulative totals carries over between calls, and
  ``reset()`` starts over when a file is truncated or replaced) or
  ``read_document(data) -> list[LogCall]`` for :data:`DOCUMENT` files (the whole file each time).
  A :data:`LINES` reader may also have ``read_block(block) -> list[LogCall]``: ``read_lines`` of
  the lines of ``block`` (bytes of whole lines, each ending with a newline), which an import then
  calls instead of splitting each chunk it reads into lines (Claude Code's reader finds its usage
  lines by a byte search and only counts the others).

A reader never raises on bad input: a line it cannot use is counted in ``skipped`` under one of
the reasons below, and reading goes on. It yields every usage line it meets, repeats included:
de-duplication (one call per event id, keeping the most tokens) belongs to the tracker and the
ledger, whose upsert handles a streaming partial superseded by its final line.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from ..usage import Usage

LINES = "lines"
DOCUMENT = "document"

# Why a line was skipped: the keys of Skips, shown by `import` and the panel's Sources line.
NO_USAGE = "no usage"  # a user prompt, a summary, a snapshot, a tool result: nothing billed
BLANK = "blank"  # an empty or whitespace-only line (so lines = calls + skipped, always)
SYNTHETIC = "synthetic"  # Claude Code's `<synthetic>` messages: written by the CLI, never billed
API_ERROR = "api error"  # an error the API returned: nothing billed
MALFORMED = "malformed json"  # not JSON (binary garbage, a line cut by a crash)
BAD_FIELD = "bad field"  # JSON, but a field has the wrong type or an impossible value
NO_MODEL = "no model"  # usage without a model name to price it by
TORN = "waiting for a newline"  # the last line is not whole yet (being written): read again once complete
UNREADABLE = "unreadable"  # a file or folder that cannot be opened or read


def not_json(exc: Exception, *, one_line: bool = True) -> str:
    """A JSON error for people: ``not JSON (unexpected end of data at column 62)``. orjson counts
    lines within what it was given, which for one log line is always "line 1": only the column
    helps (the message already names the file's line)."""
    text = str(exc)
    if one_line:
        text = re.sub(r": line 1 column (\d+) \(char \d+\)$", r" at column \1", text)
    return f"not JSON ({text})"


def is_whole_object(line: bytes) -> bool:
    """A last line without its newline that is whole nonetheless: one JSON object (a writer that
    ended without a final newline). A line cut while being written never is: its braces do not close."""
    import orjson

    if not line.lstrip().startswith(b"{"):
        return False
    try:
        return type(orjson.loads(line)) is dict
    except orjson.JSONDecodeError:
        return False


def being_written(line: bytes) -> bool:
    """Whether a last line without its newline can be a JSON line still being written: it starts
    a JSON object and is text (no NUL byte, valid UTF-8 but for a character cut at its end).
    Binary garbage, or the closing brace of a pretty-printed JSON document read as lines, never
    gets its newline: counting it as waiting would say so at every read."""
    if not line.lstrip().startswith(b"{") or b"\0" in line:
        return False
    try:
        line.decode()
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data"  # a multi-byte character cut by the writer
    return True


class Skips(Counter[str]):
    """Skipped lines (or files) by reason."""


MAX_EXAMPLES = 5  # bad lines a reader keeps word of, per file


class Examples(list[str]):
    """A file's first few bad lines, each naming the file, the line and what was wrong with it."""

    def add(self, message: str) -> str:
        if len(self) < MAX_EXAMPLES:
            self.append(message)
        return message


class LogCall(NamedTuple):
    """One billed model call as a log recorded it: what ``CostTracker.record`` takes."""

    event_id: str  # the source's stable id (claude-code:<message.id>:<requestId> …)
    ts: float  # epoch seconds, UTC, as logged
    model: str
    usage: Usage
    tier: str  # "main" or "subagent" for agent CLIs; the line's own tier for the JSONL format
    session: str  # the log's session id
    project: str  # the working directory (or ""), decoded from the folder name or `cwd`
    variant: str | None  # price variant (`fast`, `priority` …) where the log says; None: standard
    source: str


def kind_of(source: ModuleType, path: Path) -> str:
    """How ``source`` reads ``path``: :data:`LINES` (incrementally) or :data:`DOCUMENT` (whole)."""
    per_file = getattr(source, "kind_of", None)
    return per_file(path) if per_file is not None else source.KIND  # type: ignore[no-any-return]


def home() -> Path:
    """The user's home folder (``Path.home()``, which honours ``$HOME``): tests point it elsewhere."""
    return Path.home()


# -- listing folders ---------------------------------------------------------------------------
Walked = list[tuple[str, list[str]]]  # (folder, names of its non-folder entries), as os.walk gives


class _Listings:
    """What :func:`walk` listed while :func:`shared_listings` is open, and the Path of each name
    :func:`sorted_paths` made (four sources list the same files)."""

    def __init__(self) -> None:
        self.trees: dict[str, Walked] = {}
        self.paths: dict[str, Path] = {}
        self.plain: set[str] = set()  # files listed that are not symbolic links (no lstat needed)
        self.unlistable: dict[str, str] = {}  # folders found inside a tree that could not be listed -> why

    def subtree(self, key: str) -> Walked | None:
        """``key``'s listing out of a tree listed already that walked into it."""
        for top, tree in self.trees.items():
            if key.startswith(top.rstrip(os.sep) + os.sep):
                inside = key + os.sep
                found = [(folder, files) for folder, files in tree if folder == key or folder.startswith(inside)]
                if any(folder == key for folder, _ in found):  # walked into (not a link to a folder)
                    return found
        return None


# While shared_listings() is open, in the thread that opened it: watch lists folders from two
# threads at once, and one's listing must never serve (or end) the other's.
_local = threading.local()


def _shared() -> _Listings | None:
    return getattr(_local, "listings", None)


@contextlib.contextmanager
def shared_listings() -> Iterator[dict[str, str]]:
    """While open, :func:`walk` lists each tree once for every source that asks (an import's
    plan: four sources would otherwise walk the same folders four times). Yields the folders
    met inside a tree that could not be listed, with why (filled as trees are walked)."""
    outer, mine = _shared(), _Listings()
    _local.listings = mine
    try:
        yield mine.unlistable
    finally:
        _local.listings = outer


def walk(top: Path) -> Walked:
    """``os.walk(top)`` (links to folders not followed, folders that cannot be listed passed
    over), as a list; shared while :func:`shared_listings` is open."""
    key = os.fspath(top)
    shared = _shared()
    if shared is None:
        return [(folder, files) for folder, _, files in os.walk(key)]
    found = shared.trees.get(key)
    if found is None:
        found = shared.subtree(key)
        if found is None:
            found = _scan(key, shared.plain, shared.unlistable)
        shared.trees[key] = found
    return found


def is_plain_file(name: str) -> bool:
    """Whether a :func:`walk` of an open :func:`shared_listings` saw ``name`` as a file that is
    not a symbolic link."""
    shared = _shared()
    return shared is not None and name in shared.plain


def _scan(top: str, plain: set[str], unlistable: dict[str, str]) -> Walked:
    """``os.walk(top)`` from ``os.scandir`` entries, noting the files that are not links: the entry
    types come with the listing, where os.walk asks the system about each folder again. A folder
    inside ``top`` that cannot be listed goes into ``unlistable`` (``top`` itself is the caller's)."""
    found: Walked = []
    folders = [top]
    while folders:
        folder = folders.pop()
        files: list[str] = []
        try:
            entries = os.scandir(folder)
        except OSError as exc:  # passed over, as os.walk does, but named: its logs are missing
            if folder != top:
                unlistable[folder] = exc.strerror or str(exc)
            continue
        with entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if not is_dir:
                    files.append(entry.name)
                    if not entry.is_symlink():
                        plain.add(entry.path)
                elif not entry.is_symlink():  # a link to a folder is not walked into
                    folders.append(entry.path)
        found.append((folder, files))
    return found


def sorted_paths(names: Iterable[str]) -> list[Path]:
    """``sorted(map(Path, names))`` at a fraction of the cost: ordered as paths are (part by part,
    so ``a/b`` before ``a-b``), by comparing lists of strings rather than Path objects."""
    ordered = sorted(names, key=_parts)
    shared = _shared()
    if shared is None:
        return [Path(name) for name in ordered]
    paths = shared.paths
    out = []
    for name in ordered:
        path = paths.get(name)
        if path is None:
            path = paths[name] = Path(name)
        out.append(path)
    return out


def _parts(name: str) -> list[str]:
    return name.split(os.sep)
