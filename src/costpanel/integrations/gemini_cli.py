"""Gemini CLI's chat recordings: ``~/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl``.

``$GEMINI_CLI_HOME`` replaces the home folder when set (Gemini CLI's ``homedir()``), so the files
are under ``$GEMINI_CLI_HOME/.gemini/tmp``. ``<project>`` is a short slug since mid-2026
(``~/.gemini/projects.json`` maps each working directory to it and ``tmp/<slug>/.project_root``
holds the directory), and was ``sha256(cwd)`` before. Subagents write
``chats/<parent session id>/<session id>.jsonl``.

Two shapes (:func:`kind_of`):

- ``.json`` (Gemini CLI before mid-2026), read whole each time (:data:`~.logs.DOCUMENT`): one
  document ``{"sessionId", "projectHash", "startTime", "lastUpdated", "messages": [...]}``,
  rewritten whole after each message. A half-written one is skipped as malformed this time and
  read next time.
- ``.jsonl`` (since), read line by line as it grows (:data:`~.logs.LINES`: ``watch`` reads only what
  was appended, however long the session): a metadata line ``{"sessionId", "projectHash",
  "startTime", "kind", …}``, then appended records: a message (``{"id", "timestamp", "type", …}``;
  a message is appended again, whole, each time it changes, e.g. when its tokens arrive),
  ``{"$set": {…}}`` (metadata; with ``messages``, a checkpoint of the whole list) and
  ``{"$rewindTo": "<message id>"}``. A reply is a call once its tokens arrive; a copy appended
  again with tokens is yielded again (the upsert counts it once, or replaces it when its tokens
  grew), one without tokens (for its tool calls) bills nothing. Every line is a call or a
  reason (metadata, rewinds and replies still waiting for their tokens: *no usage*).

A billed call is a ``"type": "gemini"`` message with ``tokens`` (Gemini's usage metadata)::

    {"id": "…", "timestamp": "2026-11-30T09:12:04.511Z", "type": "gemini", "model": "gemini-3-pro-preview",
     "tokens": {"input": 12000, "output": 300, "cached": 8000, "thoughts": 150, "tool": 0, "total": 12450}}

``input`` is ``promptTokenCount`` (cached tokens included), ``output`` ``candidatesTokenCount``,
``thoughts`` ``thoughtsTokenCount`` (billed as output), ``tool`` ``toolUsePromptTokenCount``: the
results of tools the model ran itself (Google Search, code execution) fed back to it, outside
``promptTokenCount`` and billed as input (``totalTokenCount`` counts it). They are read as
:func:`~costpanel.adapters.from_gemini` reads the API's usage metadata. Event id
``gemini-cli:<sessionId>:<message id>``. A rewind removes messages from the conversation, not from
the bill: calls before a ``$rewindTo`` still count.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from ..adapters import from_gemini
from ._fields import BadField, Fields, clip_path
from .logs import (
    BAD_FIELD,
    DOCUMENT,
    Examples,
    LINES,
    LogCall,
    MALFORMED,
    NO_MODEL,
    NO_USAGE,
    Skips,
    TORN,
    home,
    not_json,
    sorted_paths,
    walk,
)

SOURCE = "gemini-cli"
KIND = DOCUMENT  # the older .json chats; kind_of() says per file
MAIN = "main"
SUBAGENT = "subagent"
SUFFIXES = (".json", ".jsonl")
PREFIX = "session-"
CHATS = "chats"
# tokens field -> the API's usage metadata name, as from_gemini reads it
_TOKENS = {"input": "promptTokenCount", "cached": "cachedContentTokenCount", "output": "candidatesTokenCount",
           "thoughts": "thoughtsTokenCount", "tool": "toolUsePromptTokenCount", "total": "totalTokenCount"}


def kind_of(path: Path) -> str:
    """``.jsonl`` chats are appended to (read line by line), ``.json`` ones rewritten whole."""
    return LINES if path.name.endswith(".jsonl") else DOCUMENT


def gemini_dir() -> Path:
    """``$GEMINI_CLI_HOME/.gemini`` when set (Gemini CLI's own rule), else ``~/.gemini``."""
    configured = os.environ.get("GEMINI_CLI_HOME", "")
    return (Path(configured).expanduser() if configured else home()) / ".gemini"


def default_roots() -> list[Path]:
    """The ``tmp/`` folder of Gemini CLI's directory: one folder per project under it."""
    return [gemini_dir() / "tmp"]


def _is_chat(path: Path) -> bool:
    name = path.name
    return name.endswith(SUFFIXES) and (name.startswith(PREFIX) or CHATS in path.parts[:-1])


def find_files(root: Path) -> Iterator[Path]:
    """Chat recordings under ``root``, recursively and sorted: ``session-*.json(l)`` and the
    ``.json(l)`` files of a ``chats/`` folder (subagents' included). ``root`` may be a ``.gemini``
    folder (its ``tmp/``), its ``tmp/``, a project or ``chats/`` folder, or a file."""
    if root.is_file():
        yield root
        return
    top = root / "tmp" if (root / "tmp").is_dir() else root
    yield from sorted_paths(os.path.join(folder, name) for folder, files in walk(top) for name in files
                            if name.endswith(SUFFIXES) and (name.startswith(PREFIX) or CHATS in folder.split(os.sep)))


def looks_like(path: Path, head: bytes) -> bool:
    """A ``.json``/``.jsonl`` file in a ``chats/`` folder of a ``.gemini`` folder (whatever its
    content: a chat caught half-written is Gemini's, read as malformed), or one that opens with
    Gemini CLI's ``sessionId`` and ``projectHash``."""
    if not path.name.endswith(SUFFIXES):
        return False
    folders = path.parts[:-1]
    return (CHATS in folders and ".gemini" in folders) or (b'"sessionId"' in head and b'"projectHash"' in head)


def _place(path: Path) -> tuple[Path | None, bool]:
    """(the project folder above ``chats/``, whether the file is a subagent's) for ``path``."""
    parts = path.parts
    for k in range(len(parts) - 2, -1, -1):
        if parts[k] == CHATS:
            return Path(*parts[:k]) if k else None, len(parts) - k > 2
    return None, False


def project_of(folder: Path | None) -> str:
    """The working directory a project folder (``tmp/<slug or hash>``) stands for: its
    ``.project_root`` marker, else ``projects.json`` (matching the slug, or the sha256 of a
    registered directory for a hash folder), else the folder's name. Never raises."""
    if folder is None:
        return ""
    try:
        marker = (folder / ".project_root").read_text(encoding="utf-8").strip()
        if marker:
            return marker
    except (OSError, UnicodeDecodeError):
        pass
    try:
        registry = orjson.loads((folder.parent.parent / "projects.json").read_bytes())
        projects = registry.get("projects") if type(registry) is dict else None
        if type(projects) is dict:
            import hashlib  # here: OpenSSL's load is ~4 ms of every costpanel import's start-up

            for cwd, slug in projects.items():
                if slug == folder.name or hashlib.sha256(cwd.encode()).hexdigest() == folder.name:
                    return str(cwd)
    except (OSError, orjson.JSONDecodeError):
        pass
    return folder.name


class Reader:
    """Reads one chat recording: a ``.jsonl`` one line by line as it grows (:meth:`read_lines`), a
    ``.json`` one whole (:meth:`read_document`). Bad records are counted in :attr:`skipped` by
    reason; the last bad field's message is kept in :attr:`last_error`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        folder, self.subagent_file = _place(path)
        self.project = clip_path(project_of(folder))
        self.skipped = Skips()
        self.lines = 0
        self.last_error: str | None = None
        self.errors = Examples()
        self._fields = Fields()
        self._line_no = 0  # the .jsonl file's own line number (``lines`` counts a checkpoint's messages)
        self._meta: dict[str, Any] = {}  # the metadata line and its $set updates

    def reset(self) -> None:
        """The file was truncated or replaced: read it as new (its calls come again, as duplicates)."""
        self._meta.clear()
        self._line_no = 0

    def read_lines(self, lines: Iterable[bytes]) -> list[LogCall]:
        """The calls in complete ``.jsonl`` lines appended since the last read."""
        calls: list[LogCall] = []
        for line in lines:
            if not line.strip():
                continue
            self.lines += 1
            self._line_no += 1
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                self.skipped[MALFORMED] += 1
                self.errors.add(f"{self.path}:{self._line_no}: {not_json(exc)}")
                continue
            if type(record) is dict:
                self._record(record, calls)
            else:
                self.skipped[BAD_FIELD] += 1
                self.last_error = self.errors.add(
                    f"{self.path}:{self._line_no}: a record is a JSON object, got {type(record).__name__}")
        return calls

    def read_document(self, data: bytes) -> list[LogCall]:
        """The calls in the whole file as it is now (counts describe this read alone): a ``.json``
        document, or all of a ``.jsonl`` file (its last line without a newline is torn: left out)."""
        self.skipped.clear()
        self.errors.clear()
        self.lines = self._line_no = 0
        self.reset()
        if self.path.name.endswith(".jsonl"):
            lines = data.split(b"\n")
            torn = lines.pop() if lines else b""  # after the last newline: empty, or a line being written
            if torn.strip():
                self.skipped[TORN] += 1
            return self.read_lines(lines)
        self.lines = 1
        try:
            whole = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            self.skipped[MALFORMED] += 1  # also a file caught half-written: read again next time
            self.errors.add(f"{self.path}: {not_json(exc, one_line=False)}")
            return []
        if type(whole) is not dict:
            self.skipped[BAD_FIELD] += 1
            self.last_error = self.errors.add(
                f"{self.path}: a chat recording is a JSON object, got {type(whole).__name__}")
            return []
        calls: list[LogCall] = []
        self._record(whole, calls)
        # Its messages are its lines: each a call or a reason, so lines = usage lines + skipped
        # in an import's counts, as for the logs read line by line.
        self.lines = len(calls) + sum(self.skipped.values())
        return calls

    def _record(self, record: dict[str, Any], calls: list[LogCall]) -> None:
        """One record: a message, or metadata (the header, ``$set``) and a rewind (the rewound calls
        were billed all the same), which bill nothing themselves."""
        if "$set" in record:
            update = record["$set"]
            if type(update) is dict:
                self._meta.update((k, v) for k, v in update.items() if k != "messages")
                if type(update.get("messages")) is list:  # a checkpoint: its messages are counted
                    self.lines += len(update["messages"]) - 1  # each a call or a reason, as a line is
                    self._messages(update["messages"], calls)
                    return
            self.skipped[NO_USAGE] += 1
        elif type(record.get("id")) is str:
            self._messages([record], calls)
        elif type(record.get("messages")) is list:  # a whole .json document: its messages are counted
            self._meta.update((k, v) for k, v in record.items() if k != "messages")
            self._messages(record["messages"], calls)
        else:  # the metadata line, a rewind
            if "$rewindTo" not in record:
                self._meta.update(record)
            self.skipped[NO_USAGE] += 1

    def _messages(self, found: list[Any], calls: list[LogCall]) -> None:
        """Each message is a call or a reason: every reply that carries tokens is yielded, a copy
        appended again included (the tracker's and the ledger's upsert count it once)."""
        session = self._meta.get("sessionId") or self.path.stem
        tier = SUBAGENT if self.subagent_file or self._meta.get("kind") == SUBAGENT else MAIN
        for message in found:
            if type(message) is not dict or type(message.get("id")) is not str:
                self.skipped[BAD_FIELD] += 1
                self.last_error = self.errors.add(
                    f"{self.path}: a message is an object with a string id, got {str(message)[:80]!r}")
                continue
            try:
                call = self._call(message, session, tier)
            except BadField as exc:
                self.skipped[BAD_FIELD] += 1
                self.last_error = self.errors.add(f"{self.path}: message {message['id']!r}: {exc}")
                continue
            if type(call) is str:
                self.skipped[call] += 1
            else:
                calls.append(call)  # type: ignore[arg-type]

    def _call(self, message: dict[str, Any], session: object, tier: str) -> LogCall | str:
        tokens = message.get("tokens")
        if message.get("type") != "gemini" or tokens is None:
            return NO_USAGE  # the user's prompts, info and error lines, a reply still waiting for its usage
        if type(tokens) is not dict:
            raise BadField(f"tokens must be an object, got {type(tokens).__name__}")
        metadata = {}
        for field, api_name in _TOKENS.items():
            value = tokens.get(field)
            if value is not None and (type(value) is not int or value < 0):
                raise BadField(f"tokens.{field} must be a non-negative integer, got {type(value).__name__} {value!r}")
            metadata[api_name] = value
        if not any(metadata[name] for name in ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount",
                                                "toolUsePromptTokenCount")):
            return NO_USAGE
        model = message.get("model")
        if model is None or model == "":
            return NO_MODEL
        try:
            usage = from_gemini(metadata)
        except (TypeError, ValueError) as exc:
            said = str(exc)
            for field, api_name in _TOKENS.items():  # in the file's own words: tokens.cached, not the API's
                said = said.replace(api_name, f"tokens.{field}")
            raise BadField(said) from None
        label = self._fields.label
        session = label("sessionId", session)
        event_id = label("event id", f"gemini-cli:{session}:{message['id']}")
        return LogCall(event_id, self._fields.ts("timestamp", message.get("timestamp")), label("model", model),
                       usage, tier, session, self.project and label("project", self.project), None, SOURCE)
