"""Claude Code's session logs: ``projects/<encoded-cwd>/<session>.jsonl`` under each config dir.

Since Claude Code 2.1 a subagent writes ``projects/<encoded-cwd>/<session>/subagents/agent-<id>.jsonl``
beside its parent session. Every assistant line that carries ``message.usage`` is one model call
(or a streaming partial of one)::

    {"type": "assistant", "sessionId": "…", "requestId": "req_…", "timestamp": "2026-11-30T09:12:04.511Z",
     "cwd": "/home/me/shop", "isSidechain": false, "message": {"id": "msg_…", "model": "claude-opus-4-8",
     "stop_reason": "end_turn", "usage": {"input_tokens": 3, "cache_read_input_tokens": 41250,
     "cache_creation_input_tokens": 1800, "cache_creation": {"ephemeral_5m_input_tokens": 0,
     "ephemeral_1h_input_tokens": 1800}, "output_tokens": 412, "service_tier": "standard"}}}

An advisor (Claude Code's ``/advisor``, the API's advisor tool) runs a second model inside the
same request: its tokens are in ``message.usage.iterations[]`` as ``{"type": "advisor_message",
"model": …, "input_tokens": …}`` entries, left out of the top-level counts (which are the executor's:
the sum of its ``message`` iterations) and billed at the advisor model's prices. Each is one more
call, event id ``claude-code:<message.id>:<requestId>:advisor<k>`` (k from 1), with the line's tier,
session and time; its model is the entry's ``model``, else the line's ``advisorModel``.

A context fork (``agent-aside_question-*.jsonl``: a ``/btw`` side question; ``agent-acompact-*.jsonl``:
a compaction) under ``<session>/subagents/`` first replays its session's history, the same
``message.id`` and usage under another ``requestId``, then makes its own call. A line of such a
file whose ``message.id`` the session's own file bills is that call again: skipped as
:data:`REPLAYED` (ccusage does the same since 2026-05: its issue #913). Its own call is counted.

Event id ``claude-code:<message.id>:<requestId or "">``. Streaming writes one id several times
(partials first with ``stop_reason: null`` and fewer output tokens): every line is yielded, and the
tracker's and the ledger's upsert keep the one with the most tokens. Lines without ``"usage"``
(prompts, tool results, summaries, file-history snapshots that can be megabytes) are skipped on a
byte search, before any JSON parsing: on real logs that is most of the bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import msgspec
import orjson

from ..adapters import variant_or_unreadable
from ..labels import MAX_LABEL, check_label, label_from
from ..usage import BUCKETS, MAX_COUNT, Usage
from ._fields import BadField, iso_seconds
from .logs import (
    API_ERROR,
    BAD_FIELD,
    BLANK,
    LINES,
    MALFORMED,
    NO_MODEL,
    NO_USAGE,
    SYNTHETIC,
    Examples,
    LogCall,
    Skips,
    home,
    not_json,
    sorted_paths,
    walk,
)

SOURCE = "claude-code"
KIND = LINES
SUFFIX = ".jsonl"
MAIN = "main"
SUBAGENT = "subagent"
_USAGE_MARK = b'"usage"'
_TYPE = re.compile(rb'"type"\s*:\s*"([a-z-]+)"')  # a line's kind, as looks_like() reads it
_SYNTHETIC_MODEL = "<synthetic>"
REPLAYED = "copied from its session"  # a context fork's replay of its session's calls (billed there)
# Subagent files that begin with a copy of their session's history (a fork of its context).
CONTEXT_FORKS = ("agent-aside_question-", "agent-acompact-")
ADVISOR = "advisor_message"  # an iteration billed at the advisor model's prices (outside the top-level counts)
_ADVISOR_MARK = b'"advisor_message"'
# Values of usage's service_tier / speed / inference_geo that mean the standard price: on almost
# every line, so variant_of (a few microseconds) only runs when one of them says something else.
_PLAIN = (None, "standard", "global", "not_available", "default")  # a tuple: `in` compares, never hashes
# usage_of builds Usage tuples in this storage order; a new bucket must be added there too.
if BUCKETS != ("input", "cache_read", "cache_write", "cache_write_1h", "output", "requests", "web_search"):
    raise ImportError(f"claude_code.usage_of builds Usage in an older bucket order than {BUCKETS}")
_new_usage = tuple.__new__


# The few fields a call needs, decoded by msgspec straight into typed objects: everything else on
# the line (the message's content, most of its bytes) is skipped without building Python objects,
# and types and ranges are checked in C. Roughly half of orjson.loads' time, and most of the Python
# that followed it. A line this refuses (any odd type, range or shape) is read by the full parse,
# so both paths give the same result for every line (tests/test_claude_code.py compares them).
_Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
_ABSENT = -1  # a count not on the line (defaults are not checked against the range)


class _CacheCreation(msgspec.Struct):
    ephemeral_5m_input_tokens: _Count = 0
    ephemeral_1h_input_tokens: _Count = 0


class _ServerTools(msgspec.Struct):
    web_search_requests: _Count = 0


class _Usage(msgspec.Struct):
    input_tokens: _Count = _ABSENT
    output_tokens: _Count = _ABSENT
    cache_read_input_tokens: _Count = 0
    cache_creation_input_tokens: _Count = 0
    cache_creation: _CacheCreation | None = None
    server_tool_use: _ServerTools | None = None
    service_tier: str | None = None
    speed: str | None = None
    inference_geo: str | None = None
    # Only whether it is there (an advisor's entry: the full parse reads it). Raw, not `Raw | None`:
    # msgspec takes no Raw in a union, and would refuse every line that has iterations.
    iterations: msgspec.Raw = msgspec.Raw()


class _Message(msgspec.Struct):
    id: str | None = None
    model: str | None = None
    usage: _Usage | None = None


class _Line(msgspec.Struct):
    message: _Message | None = None
    sessionId: str | None = None  # noqa: N815 - the log's own names
    cwd: str | None = None
    requestId: str | None = None  # noqa: N815
    timestamp: dt.datetime | None = None  # RFC 3339, read in C; another spelling: the full parse
    isSidechain: bool | None = None  # noqa: N815
    agentId: str | None = None  # noqa: N815
    isApiErrorMessage: bool | None = None  # noqa: N815
    uuid: str | None = None


_decode_line = msgspec.json.Decoder(_Line).decode


def default_roots() -> list[Path]:
    """``$CLAUDE_CONFIG_DIR`` (a comma-separated list of config dirs, as Claude Code and ccusage
    read it), else both ``~/.config/claude`` (newer installs) and ``~/.claude``."""
    configured = os.environ.get("CLAUDE_CONFIG_DIR", "")
    roots = [Path(part.strip()).expanduser() for part in configured.split(",") if part.strip()]
    if roots:
        return roots
    return [home() / ".config" / "claude", home() / ".claude"]


def find_files(root: Path) -> Iterator[Path]:
    """The ``*.jsonl`` files under ``root``, recursively and sorted: a config dir (its ``projects/``),
    a ``projects/`` dir, any folder of logs, or ``root`` itself when it is a file. A default config
    dir without ``projects/`` yet has none (its ``history.jsonl`` holds prompts, not calls).
    Folders that cannot be read are passed over (the caller counts what it could not open)."""
    try:
        if root.is_file():
            yield root
            return
        has_projects = (root / "projects").is_dir()
    except OSError:  # a folder we may not look into
        return
    if not has_projects and root in default_roots():
        return
    found = [os.path.join(folder, name) for folder, files in walk(root / "projects" if has_projects else root)
             for name in files if name.endswith(SUFFIX)]
    yield from sorted_paths(found)


def looks_like(path: Path, head: bytes) -> bool:
    """A ``.jsonl`` file under a ``projects/`` folder or in a ``subagents/`` one, or whose first
    lines carry Claude Code's fields (``sessionId`` with ``"type":"assistant"``/``"user"``, or a
    ``file-history-snapshot`` / ``summary`` line, which open many sessions)."""
    if path.suffix != SUFFIX:
        return False
    if "projects" in path.parts or path.parent.name == "subagents":
        return True
    kinds = set(_TYPE.findall(head))  # Claude Code writes compact JSON; a copy re-serialised may have spaces
    if b"file-history-snapshot" in kinds or (b"summary" in kinds and b'"leafUuid"' in head):
        return True
    return b'"sessionId"' in head and not kinds.isdisjoint((b"assistant", b"user"))


def decode_project(folder: str) -> str:
    """The working directory from the folder name Claude Code made of it: every character other than
    a letter or digit became ``-``, so ``/home/me/my-app`` is ``-home-me-my-app``. Lossy (a ``-``,
    ``_`` or ``.`` in a name comes back as ``/``): only used for lines without a ``cwd``."""
    if len(folder) > 2 and folder[0].isalpha() and folder[1:3] == "--":  # C:\Users\me -> C--Users-me
        return folder[0] + ":\\" + folder[3:].replace("-", "\\")
    if folder.startswith("-"):
        return folder.replace("-", "/")
    return folder


def _place(path: Path) -> tuple[str, str, bool]:
    """(encoded project folder, session id from the file name, is a subagent file) for ``path``."""
    parts = path.parts
    if len(parts) >= 3 and parts[-2] == "subagents":  # <project>/<session>/subagents/agent-<id>.jsonl
        return (parts[-4] if len(parts) >= 4 else ""), parts[-3], True
    return path.parent.name, path.stem, False


def _lines_in(block: bytes, start: int, end: int) -> tuple[int, int]:
    """(lines, blank or whitespace-only ones) in ``block[start:end]``, whole lines (``start`` at a
    line's start). Counted in C when every line starts with ``{`` (none is blank then): the usual
    log, whose lines are each split and looked at only otherwise."""
    if end <= start:
        return 0, 0
    lines = block.count(b"\n", start, end) + (block[end - 1] != 10)  # 10: a last line without its newline
    if start:  # the newline before this line counts it
        objects = block.count(b"\n{", start - 1, end)
    else:
        objects = (block[0] == 123) + block.count(b"\n{", 0, end)  # 123: {
    if objects == lines:
        return lines, 0
    lines = block[start:end].split(b"\n")
    if not lines[-1]:  # the newline ending the last line
        lines.pop()
    return len(lines), lines.count(b"") + sum(map(bytes.isspace, lines))


BadLine = BadField  # a line with a field of the wrong type or value; the message names it


def _count(usage: dict[str, Any], key: str, where: str = "message.usage") -> int:
    value = usage.get(key)
    if value is None:
        return 0
    if type(value) is int and 0 <= value <= MAX_COUNT:
        return value
    raise BadLine(f"{where}.{key} must be an integer from 0 to {MAX_COUNT:,}, got {type(value).__name__} {value!r}")


def usage_of(usage: dict[str, Any], where: str = "message.usage") -> Usage:
    """Claude's ``message.usage`` in costpanel's buckets, read as :func:`~costpanel.adapters.from_anthropic`
    reads it (a test holds the two equal): 1-hour writes from ``cache_creation``, what that breakdown
    leaves unexplained of ``cache_creation_input_tokens`` (all of it on lines without one) 5-minute;
    web searches from ``server_tool_use``. Written out for the plain dicts of a log line: the adapter
    handles SDK objects too and costs ~25 us a line against ~1 us here. Raises :class:`BadLine`."""
    get = usage.get
    i = get("input_tokens", 0)
    o = get("output_tokens", 0)
    r = get("cache_read_input_tokens", 0)
    total = get("cache_creation_input_tokens", 0)
    creation = get("cache_creation")
    tools = get("server_tool_use")
    w5 = w1h = ws = 0
    if type(creation) is dict:
        w5 = creation.get("ephemeral_5m_input_tokens", 0)
        w1h = creation.get("ephemeral_1h_input_tokens", 0)
    if type(tools) is dict:
        ws = tools.get("web_search_requests", 0)
    if (type(i) is int and type(o) is int and type(r) is int and type(total) is int and type(w5) is int
            and type(w1h) is int and type(ws) is int and 0 <= i <= MAX_COUNT and 0 <= o <= MAX_COUNT
            and 0 <= r <= MAX_COUNT and 0 <= w5 and 0 <= w1h and w5 + w1h <= total <= MAX_COUNT
            and 0 <= ws <= MAX_COUNT and (creation is None or type(creation) is dict)
            and (tools is None or type(tools) is dict)):
        # Every count checked above as Usage() would: build the tuple directly (~1 us a line less).
        return _new_usage(Usage, (i, r, total - w1h, w1h, o, 1, ws))
    return _usage_checked(usage, where)


def _usage_checked(usage: dict[str, Any], at: str = "message.usage") -> Usage:
    """:func:`usage_of` for a line the fast path refused: nulls read as 0, anything else wrong raises
    :class:`BadLine` naming the field and its value."""
    creation = usage.get("cache_creation")
    tools = usage.get("server_tool_use")
    if creation is not None and type(creation) is not dict:
        raise BadLine(f"{at}.cache_creation must be an object, got {type(creation).__name__}")
    if tools is not None and type(tools) is not dict:
        raise BadLine(f"{at}.server_tool_use must be an object, got {type(tools).__name__}")
    where = f"{at}.cache_creation"
    w5 = _count(creation, "ephemeral_5m_input_tokens", where) if creation else 0
    w1h = _count(creation, "ephemeral_1h_input_tokens", where) if creation else 0
    if usage.get("cache_creation_input_tokens") is not None:
        # The total is authoritative; what the breakdown leaves unexplained was a 5-minute write.
        total = _count(usage, "cache_creation_input_tokens", at)
        if w5 + w1h > total:
            raise BadLine(f"{where}: ephemeral_5m_input_tokens ({w5}) + ephemeral_1h_input_tokens ({w1h}) "
                          f"exceeds {at}.cache_creation_input_tokens ({total})")
        w5 = total - w1h
    web = _count(tools, "web_search_requests", f"{at}.server_tool_use") if tools else 0
    return Usage(input=_count(usage, "input_tokens", at), output=_count(usage, "output_tokens", at),
                 cache_read=_count(usage, "cache_read_input_tokens", at), cache_write=w5, cache_write_1h=w1h,
                 web_search=web)


class _Billed(msgspec.Struct):
    message: _Message | None = None


_decode_billed = msgspec.json.Decoder(_Billed).decode


def billed_message_ids(path: Path) -> tuple[set[str], bytes]:
    """The ``message.id`` of every line with usage in a Claude Code log, and its last line if it has
    no newline yet (being written: a line that does not decode is passed over, this only tells
    replays apart). An unreadable file: none."""
    ids: set[str] = set()
    tail = b""
    try:
        with open(path, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    tail = line
                    continue
                if _USAGE_MARK not in line:
                    continue
                try:
                    message = _decode_billed(line).message
                except msgspec.DecodeError:
                    continue
                if message is not None and message.usage is not None and message.id:
                    ids.add(message.id)
    except OSError:
        pass
    return ids, tail


def _variant(payload: dict[str, Any], usage: dict[str, Any]) -> str | None:
    """The price variant ``usage`` (within ``payload``, a message or an advisor's entry) was billed
    under; None for the standard price, without calling variant_of on the usual plain line.
    A tier that is not a variant name (or a clash) is :data:`~costpanel.variants.UNREADABLE`: the
    call is counted unpriced, never dropped."""
    if usage.get("speed") in _PLAIN and usage.get("service_tier") in _PLAIN and usage.get("inference_geo") in _PLAIN:
        return None
    return variant_or_unreadable(payload)[0]


def timestamp(value: object) -> float:
    """Epoch seconds of a line's ISO 8601 time with its offset (Claude Code writes UTC with ``Z``):
    what the fast path's msgspec reads (see :func:`~._fields.iso_seconds`). Raises BadLine."""
    return iso_seconds("timestamp", value)


# Model, session and project names that passed check_label, each to its first copy, shared by
# every reader of the process (a name does not depend on the file: an import's hundreds of files
# then check each name once, not once a file); calls share one string per name (a batch pickles
# each once, and its hash is kept).
_CHECKED: dict[str, str] = {}
MAX_CHECKED = 10_000


class Reader:
    """Reads one Claude Code log file. Lines it cannot use are counted in :attr:`skipped` by reason;
    the last bad field's message (file and line number) is kept in :attr:`last_error`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        folder, session, self.subagent_file = _place(path)
        # names from the file system stand in when a line lacks its own: made usable labels
        self.file_session = label_from(session) if session else session
        self.folder_project = label_from(decode_project(folder)) if folder else decode_project(folder)
        self.skipped = Skips()
        self.lines = 0
        # a context fork's session file, whose billed message ids this file replays (None: not a fork)
        self.fork_of = (path.parent.parent.with_suffix(SUFFIX) if self.subagent_file
                        and path.name.startswith(CONTEXT_FORKS) else None)
        self._billed: set[str] = set()  # message ids the session file bills (read on first need)
        self._billed_size = -1  # the session file's size when they were read
        self._session_tail = b""  # the session file's last line when it had no newline yet (being written)
        self._number = 0  # the line being read (1-based)
        self.last_error: str | None = None
        self.errors = Examples()
        self._checked = _CHECKED

    def reset(self) -> None:
        """Nothing carries over between lines (no cumulative counters): a truncated or replaced file
        is simply read again from its first line."""

    def read_lines(self, lines: Iterable[bytes]) -> list[LogCall]:
        lines = list(lines)
        return self.read_block(b"\n".join(lines) + b"\n") if lines else []

    def read_block(self, block: bytes) -> list[LogCall]:
        """:meth:`read_lines` of the lines in ``block`` (each ends with a newline), found by a byte
        search for ``"usage"``: the lines between (most of a real log's bytes) are only counted, by a
        split in C, never searched or parsed one by one in Python."""
        calls: list[LogCall] = []
        append = calls.append
        skipped = self.skipped
        parse, fast = self._parse, self._fast
        find, rfind = block.find, block.rfind
        number = self.lines  # the lines before `done`
        done = no_usage = blanks = 0  # done: offset of the first line not counted yet
        at = find(_USAGE_MARK)
        while at >= 0:
            start = rfind(b"\n", done, at) + 1 or done
            if start > done:
                lines, blank = _lines_in(block, done, start)
                number += lines
                no_usage += lines - blank
                blanks += blank
            end = find(b"\n", at)
            if end < 0:  # the last line without its newline
                end = len(block)
            line = block[start:end]
            number += 1
            self._number = number  # (an advisor's message names the line)
            done = end + 1
            at = find(_USAGE_MARK, done)
            try:
                call = fast(line)
                if call is None:  # not the usual shape: the full parse decides
                    call = parse(line)
            except orjson.JSONDecodeError as exc:
                skipped[MALFORMED] += 1
                self.errors.add(f"{self.path}:{number}: {not_json(exc)}")
                continue
            except BadLine as exc:
                skipped[BAD_FIELD] += 1
                self.last_error = self.errors.add(f"{self.path}:{number}: {exc}")
                continue
            except (TypeError, ValueError, AttributeError) as exc:  # a shape no check above foresaw
                skipped[BAD_FIELD] += 1
                self.last_error = self.errors.add(
                    f"{self.path}:{number}: unexpected field types ({type(exc).__name__}: {exc})")
                continue
            if type(call) is str:
                skipped[call] += 1
            elif type(call) is list:  # the executor's call and its advisor's
                calls.extend(call)
            else:
                append(call)  # type: ignore[arg-type]
        if done < len(block):
            lines, blank = _lines_in(block, done, len(block))
            number += lines
            no_usage += lines - blank
            blanks += blank
        self.lines = number
        if no_usage:
            skipped[NO_USAGE] += no_usage
        if blanks:
            skipped[BLANK] += blanks
        return calls

    def _fast(self, line: bytes) -> LogCall | str | None:
        """:meth:`_parse` of a line of the usual shape, from its typed fields; None for any other
        line (odd types or ranges, invalid UTF-8 anywhere, names not checked yet, a price
        variant, a usage without input or output counts), which the full parse then reads."""
        if not line.isascii():
            try:  # msgspec passes invalid UTF-8 in the fields it skips; orjson (the full parse) does not
                line.decode()
            except UnicodeDecodeError:
                return None
        try:
            obj = _decode_line(line)
        except msgspec.DecodeError:  # malformed, or a field of another type (ValidationError)
            return None
        message = obj.message
        if message is None:
            return NO_USAGE
        usage = message.usage
        if usage is None:
            return NO_USAGE
        i, o = usage.input_tokens, usage.output_tokens
        if i == _ABSENT and o == _ABSENT:  # {} is no usage; the full parse tells the rest apart
            return None
        if usage.iterations and _ADVISOR_MARK in line:  # an advisor's own call: the full parse
            return None
        if obj.isApiErrorMessage is True:
            return API_ERROR
        model = message.model
        if model == _SYNTHETIC_MODEL:
            return SYNTHETIC
        if not model:
            return NO_MODEL
        message_id = message.id
        if message_id is None:
            message_id = obj.uuid
            if message_id is None:
                return None
        if self.fork_of is not None and self.replayed(message_id):
            return REPLAYED
        event_id = f"claude-code:{message_id}:{obj.requestId or ''}"
        if len(event_id) > MAX_LABEL or not event_id.isprintable():
            return None
        checked = self._checked
        model = checked.get(model)
        session = checked.get(obj.sessionId or self.file_session)
        project = checked.get(obj.cwd or self.folder_project)
        if model is None or session is None or project is None:  # first seen: checked by the full parse
            return None
        if not (usage.speed in _PLAIN and usage.service_tier in _PLAIN and usage.inference_geo in _PLAIN):
            return None
        when = obj.timestamp
        if when is None or when.tzinfo is None:  # no time, or one without its offset: the full parse says why
            return None
        total = usage.cache_creation_input_tokens
        creation = usage.cache_creation
        w5 = w1h = 0
        if creation is not None:
            w5, w1h = creation.ephemeral_5m_input_tokens, creation.ephemeral_1h_input_tokens
            if w5 + w1h > total:
                return None
        tools = usage.server_tool_use
        tier = SUBAGENT if self.subagent_file or obj.isSidechain is True or obj.agentId else MAIN
        used = _new_usage(Usage, (0 if i == _ABSENT else i, usage.cache_read_input_tokens, total - w1h, w1h,
                                  0 if o == _ABSENT else o, 1, 0 if tools is None else tools.web_search_requests))
        return _new_usage(LogCall, (event_id, when.timestamp(), model, used, tier, session, project, None, SOURCE))

    def _parse(self, line: bytes) -> LogCall | list[LogCall] | str:
        """One line: its call (and its advisor's, a list then), or the reason it bills nothing.
        Raises JSONDecodeError or BadLine."""
        obj = orjson.loads(line)
        if type(obj) is not dict:
            raise BadLine(f"a log line is a JSON object, got {type(obj).__name__}")
        message = obj.get("message")
        if type(message) is not dict:
            return NO_USAGE  # "usage" was in some text, or in a subagent's progress line (its own file has it)
        usage = message.get("usage")
        if not usage:  # absent, null or {}
            return NO_USAGE
        if type(usage) is not dict:
            raise BadLine(f"message.usage must be an object, got {type(usage).__name__}")
        if obj.get("isApiErrorMessage") is True:
            return API_ERROR
        model = message.get("model")
        if model == _SYNTHETIC_MODEL:
            return SYNTHETIC
        if model is None or model == "":
            return NO_MODEL

        message_id = message.get("id")
        if message_id is None:  # never seen from the API; a proxy might drop it: the line's uuid stands in
            message_id = obj.get("uuid")
        request_id = obj.get("requestId")
        if type(message_id) is not str or not (request_id is None or type(request_id) is str):
            raise BadLine(f"message.id and requestId must be strings, got {message_id!r} and {request_id!r}")
        if self.fork_of is not None and self.replayed(message_id):
            return REPLAYED
        event_id = f"claude-code:{message_id}:{request_id or ''}"
        if len(event_id) > MAX_LABEL or not event_id.isprintable():
            raise BadLine(f"message.id / requestId do not make a usable event id: {event_id[:80]!r}")

        session = obj.get("sessionId") or self.file_session
        project = obj.get("cwd") or self.folder_project
        checked = self._checked
        if type(model) is not str or type(session) is not str or type(project) is not str:
            project = self._check(model, session, project)
        else:
            known = checked.get(model), checked.get(session), checked.get(project)
            if None in known:
                project = self._check(model, session, project)
            else:
                model, session, project = known  # type: ignore[assignment]

        tier = MAIN
        if self.subagent_file or obj.get("isSidechain") is True or obj.get("agentId"):
            tier = SUBAGENT
        try:
            variant = _variant(message, usage)
        except (TypeError, ValueError) as exc:
            raise BadLine(f"message.usage: {exc}") from None
        call = _new_usage(LogCall, (event_id, timestamp(obj.get("timestamp")), model, usage_of(usage), tier, session,
                                    project, variant, SOURCE))
        iterations = usage.get("iterations")
        if iterations is None or _ADVISOR_MARK not in line:
            return call
        return [call, *self._advisors(obj, iterations, call)]

    def _advisors(self, obj: dict[str, Any], iterations: object, call: LogCall) -> list[LogCall]:
        """The advisor calls of a line's ``usage.iterations`` (see the module's docstring). One that
        cannot be read (no model, bad counts, iterations not a list) is skipped and counted, with a
        message naming the line; the executor's call stands."""
        at = f"{self.path}:{self._number}"
        if type(iterations) is not list:
            self._advisor_skipped(BAD_FIELD, f"{at}: message.usage.iterations must be a list, got "
                                  f"{type(iterations).__name__}: its advisor's usage not counted")
            return []
        found: list[LogCall] = []
        k = 0
        for n, entry in enumerate(iterations):
            if type(entry) is not dict or entry.get("type") != ADVISOR:
                continue
            k += 1
            where = f"message.usage.iterations[{n}]"
            model, named = entry.get("model"), f"{where}.model"
            if model is None or model == "":
                model, named = obj.get("advisorModel"), "advisorModel"
            if model is None or model == "":
                self._advisor_skipped(NO_MODEL, f"{at}: {where}: an advisor's usage without a model (nor "
                                      "advisorModel on the line): not counted")
                continue
            try:
                check_label(named, model)
                usage = usage_of(entry, where)
                variant = _variant({"usage": entry}, entry)
            except (TypeError, ValueError) as exc:  # BadLine included
                self._advisor_skipped(BAD_FIELD, f"{at}: {exc}: that advisor's usage not counted")
                continue
            if not usage.total_tokens and not usage.web_search:  # an entry without counts: nothing billed
                self._advisor_skipped(NO_USAGE)
                continue
            found.append(call._replace(event_id=f"{call.event_id}:advisor{k}", model=self._checked.get(model, model),
                                       usage=usage, variant=variant))
        return found

    def _advisor_skipped(self, reason: str, message: str | None = None) -> None:
        """An advisor entry not counted (the line's own call was): counted by reason, and said."""
        self.skipped[reason] += 1
        if message is not None:
            self.last_error = self.errors.add(message + " (the line's own call is counted)")

    def replayed(self, message_id: str) -> bool:
        """Whether this context fork's line of ``message_id`` replays a call its session's file bills.
        The session file is read again when it has grown since (a fork written while it streams)."""
        if message_id in self._billed:
            return True
        assert self.fork_of is not None
        try:
            size = os.stat(self.fork_of).st_size
        except OSError:  # no session file (deleted, or the fork copied elsewhere): nothing to match
            return False
        if size != self._billed_size:
            self._billed, self._session_tail = billed_message_ids(self.fork_of)
            self._billed_size = size
        # a session line still being written (no newline yet) may be the one this replays
        return message_id in self._billed or f'"{message_id}"'.encode() in self._session_tail

    def _check(self, model: object, session: object, project: object) -> str:
        """Check names once each (they repeat on every line); returns the project as recorded."""
        if type(project) is not str:
            raise BadLine(f"cwd must be a string, got {type(project).__name__} {project!r}")
        if len(project) > MAX_LABEL:
            project = "…" + project[-(MAX_LABEL - 1):]  # the folder's own name is at the end
        for field, value in (("message.model", model), ("sessionId", session), ("cwd", project)):
            if field == "cwd" and value == "":
                continue
            try:
                check_label(field, value)
            except (TypeError, ValueError) as exc:
                raise BadLine(str(exc)) from None
        checked = self._checked
        if len(checked) >= MAX_CHECKED:  # bounded: start over rather than stop caching new names
            checked.clear()
        for name in (model, session, project):
            checked.setdefault(name, name)  # type: ignore[arg-type]
        return project
