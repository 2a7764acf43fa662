"""What every log source shares: the call a log line becomes, skip reasons, and the reader contract.

A *log source* is a module (:mod:`.claude_code`, :mod:`.codex`, :mod:`.gemini_cli`, :mod:`.jsonl`)
with:

- ``SOURCE``: its source name (``claude-code`` …, :data:`costpanel.sources.KNOWN_SOURCES`);
- ``KIND``: :data:`LINES` (JSON Lines, read line by line, appended to while the agent runs) or
  :data:`DOCUMENT` (one JSON document rewritten whole, as Gemini CLI's chats are);
- ``default_roots() -> list[Path]``: where the tool writes its logs on this machine (existing or
  not; the environment variables the tool honours come first);
- ``find_files(root: Path) -> Iterator[Path]``: its log files under ``root`` (a folder or a file);
- ``looks_like(path: Path, head: bytes) -> bool``: whether a file (of which ``head`` is the first
  few KB) is one of its logs, for ``--source all``;
- ``Reader(path: Path)``: a reader for one file, with ``skipped`` (:class:`Skips`) and ``lines``
  (lines seen), and ``read_lines(lines) -> list[LogCall]`` for :data:`LINES` sources (complete
  lines, without their newline, in file order; state such as Codex's cumulative totals carries
  over between calls, and ``reset()`` starts over when a file is truncated or replaced) or
  ``read_document(data) -> list[LogCall]`` for :data:`DOCUMENT` sources (the whole file each time).

A reader never raises on bad input: a line it cannot use is counted in ``skipped`` under one of
the reasons below, and reading goes on. It yields every usage line it meets, repeats included:
de-duplication (one call per event id, keeping the most tokens) belongs to the tracker and the
ledger, whose upsert handles a streaming partial superseded by its final line.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

from ..usage import Usage

LINES = "lines"
DOCUMENT = "document"

# Why a line was skipped: the keys of Skips, shown by `import` and the panel's Sources line.
NO_USAGE = "no usage"  # a user prompt, a summary, a snapshot, a tool result: nothing billed
SYNTHETIC = "synthetic"  # Claude Code's `<synthetic>` messages: written by the CLI, never billed
API_ERROR = "api error"  # an error the API returned: nothing billed
MALFORMED = "malformed json"  # not JSON (binary garbage, a line cut by a crash)
BAD_FIELD = "bad field"  # JSON, but a field has the wrong type or an impossible value
NO_MODEL = "no model"  # usage without a model name to price it by
TORN = "torn last line"  # the last line has no newline yet: read again when it is complete
UNREADABLE = "unreadable"  # a file or folder that cannot be opened or read


class Skips(Counter[str]):
    """Skipped lines (or files) by reason."""


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


def home() -> Path:
    """The user's home folder (``Path.home()``, which honours ``$HOME``): tests point it elsewhere."""
    return Path.home()
