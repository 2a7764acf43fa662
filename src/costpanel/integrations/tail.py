"""Following log files incrementally: what ``costpanel watch`` reads each time a file changes.

Plain Python, no threads: :class:`Tail` keeps, per file, the offset read so far and the unfinished
last line (held until its newline arrives), and hands complete lines to the file's reader. A file
truncated (smaller than the offset), replaced (another inode) or rewritten in place (its first bytes
changed) is read again from the start after the reader's ``reset()``: the calls it yields again
carry the same event ids, which the tracker and the ledger count once (their upsert keeps the most
tokens). A DOCUMENT file (Gemini CLI's older whole-JSON chats) is read whole whenever its size,
mtime or inode changes. A file deleted or unreadable while followed is counted under a reason, never raised.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from .logs import DOCUMENT, UNREADABLE, LogCall, Skips, being_written, is_whole_object, kind_of

DELETED = "deleted while watched"  # a followed file that disappeared (its calls stay counted)
TOO_LONG = "line too long"  # a line past MAX_LINE bytes without a newline: dropped, not buffered forever
READER_FAILED = "reader error"  # a reader raised (a bug: readers count bad input): logged, the watch goes on
CHUNK = 1 << 20  # bytes read at a time: a large file on catch-up is read in bounded pieces
MAX_LINE = 64 << 20  # Claude Code's file-history snapshots reach megabytes; nothing billed is this long
HEAD = 256  # first bytes kept to tell a file rewritten in place (same inode, new content)


class FollowedFile:
    """One file being followed: its reader and how far it has been read."""

    def __init__(self, path: Path, source: ModuleType) -> None:
        self.path = path
        self.source = source
        self.document = kind_of(source, path) == DOCUMENT
        self.reader: Any = source.Reader(path)
        self.offset = 0  # bytes consumed, the unfinished last line included
        self.partial: list[bytes] = []  # the unfinished last line, in pieces (joined once complete)
        self.partial_size = 0
        self.partial_read = False  # the unfinished line was a whole JSON object: read already
        self.partial_text = True  # the unfinished line can be a JSON line being written (logs.being_written)
        self.dropping = False  # inside a line past MAX_LINE: bytes are dropped up to its newline
        self.ident: tuple[int, int] | None = None  # (device, inode) when last read
        self.head = b""
        self.stamp: tuple[int, ...] | None = None  # DOCUMENT: (device, inode, size, mtime) when last read
        self.problem: str | None = None  # why the last read failed (counted once until it reads again)
        self.restarts = 0  # times read again from the start (truncated, replaced, rewritten)

    @property
    def waiting(self) -> bool:
        """An unfinished last line is held until its newline arrives (unless it is whole already);
        it is said to wait only while it can be a JSON line being written (not binary garbage)."""
        return self.partial_size > 0 and not self.partial_read and self.partial_text

    def read(self) -> list[LogCall]:
        """The calls in what was added since the last read. Raises OSError (the caller counts it)."""
        if self.document:
            return self._read_document()
        # O_NONBLOCK: a FIFO named like a log must not block the watch on open; it is refused below
        with open(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise OSError(errno.EINVAL, "not a regular file", str(self.path))
            ident = (st.st_dev, st.st_ino)
            if self.ident is not None and (ident != self.ident or st.st_size < self.offset
                                           or os.pread(f.fileno(), len(self.head), 0) != self.head):
                self._restart()
            self.ident = ident
            if st.st_size == self.offset:
                return []
            f.seek(self.offset)
            calls: list[LogCall] = []
            while chunk := f.read(CHUNK):
                self.offset += len(chunk)
                calls += self._lines(chunk)
            if self.partial and not self.partial_read and not self.dropping:
                last = b"".join(self.partial)
                if is_whole_object(last):  # a writer that ended without a newline: read it now, as an import does
                    calls += self.reader.read_lines([last])
                    self.partial_read = True
                self.partial_text = being_written(last)
            if len(self.head) < HEAD:
                self.head = os.pread(f.fileno(), min(HEAD, self.offset), 0)
        return calls

    def _restart(self) -> None:
        self.reader.reset()
        # its lines and skips describe the file as it is now (and line numbers in messages start over)
        self.reader.skipped.clear()
        self.reader.lines = 0
        examples = getattr(self.reader, "errors", None)
        if examples is not None:
            examples.clear()
        self.offset = self.partial_size = 0
        self.partial, self.dropping, self.head, self.partial_read = [], False, b"", False
        self.restarts += 1

    def _lines(self, chunk: bytes) -> list[LogCall]:
        end = chunk.rfind(b"\n")
        if end < 0:  # no line ends in this chunk: it all belongs to the unfinished line
            self._hold(chunk)
            return []
        lines = chunk[:end].split(b"\n")
        if self.dropping:  # the rest of an over-long line ends here
            lines[0] = b""
            self.dropping = False
        elif self.partial:
            if self.partial_read and not lines[0].strip():  # its newline came: the line was read already
                lines[0] = b""
            else:
                lines[0] = b"".join((*self.partial, lines[0]))
        self.partial, self.partial_size, self.partial_read = [], 0, False
        self._hold(chunk[end + 1:])
        return self.reader.read_lines(line for line in lines if line) if any(lines) else []

    def _hold(self, piece: bytes) -> None:
        if not piece or self.dropping:
            return
        self.partial.append(piece)
        self.partial_size += len(piece)
        if self.partial_size > MAX_LINE:
            self.reader.skipped[TOO_LONG] += 1
            self.partial, self.partial_size, self.dropping = [], 0, True

    def _read_document(self) -> list[LogCall]:
        st = os.stat(self.path)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(self.path))
        stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if stamp == self.stamp:
            return []
        data = self.path.read_bytes()
        self.stamp = stamp
        # A fresh reader per read: its skips describe the document as it is now, not every version seen.
        self.reader = self.source.Reader(self.path)
        return self.reader.read_document(data)  # type: ignore[no-any-return]


class Tail:
    """The files followed, each read from where it was left; problems counted by reason."""

    def __init__(self) -> None:
        self.files: dict[Path, FollowedFile] = {}
        self.problems = Skips()  # files unreadable (or a reader failed) while followed
        self._deleted: set[Path] = set()  # files deleted while followed, and not written again since
        self._gone = Skips()  # lines skipped in files no longer followed
        self._gone_lines = 0

    def follow(self, path: Path, source: ModuleType) -> list[LogCall]:
        """Start following ``path`` (read as ``source``'s log) and return its calls so far."""
        if path not in self.files:
            self.files[path] = FollowedFile(path, source)
            self._deleted.discard(path)  # written again (a log rotated, a session folder re-made): read, not gone
        return self.read(path)

    def read(self, path: Path) -> list[LogCall]:
        """What is new in a followed file ([] for one not followed, deleted or unreadable)."""
        followed = self.files.get(path)
        if followed is None:
            return []
        try:
            calls = followed.read()
        except FileNotFoundError:
            self.forget(path)
            self._deleted.add(path)
            return []
        except OSError:  # permission, I/O error, a folder where the file was: counted once, retried
            if followed.problem is None:
                followed.problem = UNREADABLE
                self.problems[UNREADABLE] += 1
            return []
        except Exception:  # what was read of it is lost, counted and logged; other files go on
            import logging

            self.problems[READER_FAILED] += 1
            logging.getLogger(__name__).exception("costpanel: reading %s failed", path)
            return []
        followed.problem = None
        return calls

    def forget(self, path: Path) -> None:
        followed = self.files.pop(path, None)
        if followed is not None:
            self._gone.update(followed.reader.skipped)
            self._gone_lines += followed.reader.lines

    def under(self, folder: Path) -> Iterable[Path]:
        """Followed files inside ``folder`` (a folder deleted or moved away takes them along)."""
        return [p for p in self.files if p.is_relative_to(folder)]

    @property
    def lines(self) -> int:
        return self._gone_lines + sum(f.reader.lines for f in self.files.values())

    def skipped(self) -> Skips:
        """Lines skipped by reason, in every file followed so far."""
        total = Skips(self._gone)
        for followed in self.files.values():
            total.update(followed.reader.skipped)
        return Skips({reason: n for reason, n in total.items() if n > 0})

    def bad_lines(self, limit: int = 5) -> list[str]:
        """The first few bad lines of the files followed, each naming its file and line (a reader
        from elsewhere may keep none)."""
        found: list[str] = []
        for followed in self.files.values():
            found += getattr(followed.reader, "errors", ())[:limit - len(found)]
            if len(found) >= limit:
                break
        return found

    def file_problems(self) -> Skips:
        """Files by what happened to them: deleted while watched (and not there again), unreadable, a
        reader error."""
        problems = Skips({reason: n for reason, n in self.problems.items() if n > 0})
        if self._deleted:
            problems[DELETED] = len(self._deleted)
        return problems
