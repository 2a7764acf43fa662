"""Codex CLI's session logs ("rollouts"): ``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl``.

``$CODEX_HOME`` defaults to ``~/.codex``; ``codex archive`` moves files to ``archived_sessions/``.
Each line is ``{"timestamp", "type", "payload"}`` (Codex's ``RolloutLine``). Three kinds matter::

    {"timestamp":"…Z","type":"session_meta","payload":{"id":"<uuid>","cwd":"/home/me/shop",…}}
    {"timestamp":"…Z","type":"turn_context","payload":{"cwd":"/home/me/shop","model":"gpt-5.3-codex",…}}
    {"timestamp":"…Z","type":"event_msg","payload":{"type":"token_count","info":{
        "total_token_usage":{"input_tokens":…,"cached_input_tokens":…,"output_tokens":…,
                             "reasoning_output_tokens":…,"total_tokens":…},
        "last_token_usage":{…},"model_context_window":272000},"rate_limits":{…}}}

``total_token_usage`` is the session's running total. A call's usage is the difference between
two successive totals: Codex can write the same ``token_count`` again (same totals, e.g. at a
turn's end), so summing ``last_token_usage`` would count those calls twice. Event id
``codex:<session>:<cumulative total_tokens>``: a repeated total is the same id, a duplicate.
``input_tokens`` includes ``cached_input_tokens`` (and ``cache_write_input_tokens``, which Codex
writes since GPT-5.6 bills cache writes) and ``output_tokens`` includes ``reasoning_output_tokens``
(the Responses API's usage): input = input - cached - cache writes.

A fork (``/fork``, or a subagent spawned with the parent's context) starts a new file whose
first line is its own ``session_meta``, followed by a copy of the parent's lines, the parent's
``session_meta`` and ``token_count`` events included, and then its own turns, whose totals go on
from the parent's. A ``session_meta`` naming another session switches the reader to that id, so
the copied events get the parent's event ids and count once; Codex marks no end of the copy, so
the fork's own calls are labelled with that session too (their ids are new totals: still
counted once).

Since Codex 0.153 (2026) each response also gets a ``token_usage_record`` line, written just
before the ``token_count`` that reports it::

    {"timestamp":"…Z","type":"token_usage_record","payload":{"thread_id":"…","turn_id":"…",
        "response_id":"resp_…","usage":{"input_tokens":…,"cached_input_tokens":…,"output_tokens":…,…},
        "turn_token_usage":{…},"thread_token_usage":{…}}}

Its ``usage`` is that response's alone, and a response whose usage Codex leaves out of the running
total (a remote compaction) has one too: once a file has a record, records bill its calls and its
``token_count`` lines are counted as :data:`RUNNING_TOTAL` (a file written by an older Codex and
continued by a newer one is billed by totals up to its first record). A record's event id is the
total's form, ``codex:<session>:<thread_token_usage.total_tokens>`` (the id the same response got
from its ``token_count``: an import from before records stays counted once), or
``codex:<session>:<total>:<response_id>`` when that total did not grow. A paginated rollout
(``session_meta.history_mode: "paginated"``, Codex 0.155) is billed by records only: a subagent's or
review's copy of its parent's history (``ordinal`` below ``subagent_history_start_ordinal``) or a
checkpoint carries a ``token_count`` with another thread's running total. A ``compacted`` line's
``latest_token_usage_record`` is a snapshot, never billed.

Service tier: ``event_msg`` ``thread_settings_applied`` (Codex 0.149+) carries
``thread_settings.service_tier`` (absent, ``default``: standard; ``priority`` or ``fast``, OpenAI's
two names for one tier, kept as written; ``ultrafast``; ``flex``) and ``thread_settings.model``; the
last one before a call is in force for it. One that is no variant name is a bad field, and the calls
after it are counted unpriced (:data:`~costpanel.variants.UNREADABLE`), never at the tier before.
Older rollouts do not say (their calls are priced standard).

Model: the last ``turn_context.model`` (or ``thread_settings.model``) before a call; a
``token_count`` whose ``info.latest_response_model`` names the model the response came from
(Codex writes it beside ``requested_model`` when the two may differ) bills that model. A record
names no model: it is billed at its turn's.

Tier ``main``, or ``subagent`` for the sessions Codex starts itself (``session_meta.source`` is
``{"subagent": …}``: a review, a spawned agent thread).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from operator import sub
from pathlib import Path
from typing import Any

import orjson

from ..usage import Usage
from ..variants import UNREADABLE, canonical_variant
from ._fields import BadField, Fields, clip_path, count
from .logs import (
    BAD_FIELD,
    BLANK,
    LINES,
    MALFORMED,
    NO_MODEL,
    NO_USAGE,
    Examples,
    LogCall,
    Skips,
    home,
    not_json,
    sorted_paths,
    walk,
)

SOURCE = "codex"
KIND = LINES
MAIN = "main"
SUBAGENT = "subagent"
PREFIX = "rollout-"
SUFFIX = ".jsonl"
FOLDERS = ("sessions", "archived_sessions")
RUNNING_TOTAL = "running total"  # a token_count of a file whose records bill its calls (each response once)
COPIED = "copied from its parent"  # a record below subagent_history_start_ordinal: the parent's, billed there
# Only lines naming token_count, turn_context or session_meta are parsed; the rest (messages,
# tool calls, reasoning: most of the bytes) are counted as billing nothing on a byte search.
_UUID = re.compile(r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")
# Field order of a cumulative total (Codex's TokenUsage; cache writes since GPT-5.6, 0 before).
_TOTAL_FIELDS = ("input_tokens", "cached_input_tokens", "cache_write_input_tokens", "output_tokens",
                 "reasoning_output_tokens", "total_tokens")

Total = tuple[int, int, int, int, int, int]


def codex_home() -> Path:
    """``$CODEX_HOME`` (as Codex reads it), else ``~/.codex``."""
    configured = os.environ.get("CODEX_HOME", "").strip()
    return Path(configured).expanduser() if configured else home() / ".codex"


def default_roots() -> list[Path]:
    """``sessions/`` and ``archived_sessions/`` of the Codex home."""
    base = codex_home()
    return [base / folder for folder in FOLDERS]


# Since Codex 0.137 (June 2026) a rollout idle for 7 days is compressed to ``rollout-*.jsonl.zst``
# and the plain file deleted (codex-rs/rollout/src/compression.rs): history older than a week is
# only there. Read through zstandard's stream decoder (see ingest.py).
COMPRESSED = ".zst"


def _is_rollout(name: str) -> bool:
    return name.startswith(PREFIX) and (name.endswith(SUFFIX) or name.endswith(SUFFIX + COMPRESSED))


def is_compressed(path: Path | str) -> bool:
    return os.fspath(path).endswith(SUFFIX + COMPRESSED)


def find_files(root: Path) -> Iterator[Path]:
    """``rollout-*.jsonl`` and ``rollout-*.jsonl.zst`` under ``root``, recursively and sorted: a
    Codex home (its ``sessions/`` and ``archived_sessions/``), either of those, any folder, or
    ``root`` itself when it is a file. A compressed rollout whose plain file is also there (Codex
    writes the plain one back while it appends to a resumed session) is left to the plain one."""
    if root.is_file():
        yield root
        return
    tops = [root / f for f in FOLDERS if (root / f).is_dir()] or [root]
    found = []
    for top in tops:
        for folder, files in walk(top):
            names = set(files)
            found += [os.path.join(folder, name) for name in files if _is_rollout(name)
                      and not (name.endswith(COMPRESSED) and name[:-len(COMPRESSED)] in names)]
    yield from sorted_paths(found)


_SESSION_META = re.compile(rb'"type"\s*:\s*"session_meta"')  # compact as Codex writes it, or re-serialised


def looks_like(path: Path, head: bytes) -> bool:
    """A ``rollout-*.jsonl`` file (compressed or not), or a ``.jsonl`` whose first line is a Codex
    ``session_meta``."""
    if _is_rollout(path.name):
        return True
    if path.suffix != SUFFIX:
        return False
    first = head.split(b"\n", 1)[0]
    return _SESSION_META.search(first) is not None and b'"payload"' in first


def _total(value: Any, where: str) -> Total:
    """A cumulative (or last-call) usage object as a tuple; a missing total_tokens is input + output."""
    if type(value) is not dict:
        raise BadField(f"{where} must be an object, got {type(value).__name__}")
    inp, cached, written, out, reasoning, total = [count(value, key, where) for key in _TOTAL_FIELDS]
    if cached + written > inp:
        raise BadField(f"{where}: cached_input_tokens ({cached}) + cache_write_input_tokens ({written}) "
                       f"exceeds input_tokens ({inp})")
    if value.get("total_tokens") is None:
        total = inp + out
    return inp, cached, written, out, reasoning, total


class Reader:
    """Reads one rollout file, keeping what its lines establish for those after them: the session,
    the project, the model and the last cumulative total. Lines it cannot use are counted in
    :attr:`skipped` by reason; the last bad field's message is kept in :attr:`last_error`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        match = _UUID.search(path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.stem)
        self.file_session = match.group(1) if match else path.stem
        self.skipped = Skips()
        self.lines = 0
        self.last_error: str | None = None
        self.errors = Examples()
        self._fields = Fields()
        self.reset()

    def reset(self) -> None:
        """Forget what earlier lines said: the file was truncated or replaced and is read again."""
        self.session = self.file_session
        self.project = ""
        self.model: str | None = None
        self.tier = MAIN
        self._previous: Total | None = None  # the session's last cumulative total
        self._previous_call: LogCall | None = None  # the call that total ended
        self._restarts: dict[str, int] = {}  # per session: how often its total went down
        self.variant: str | None = None  # the service tier in force (thread_settings_applied)
        self._records = False  # a token_usage_record was seen: records bill, totals do not
        self._paginated = False  # session_meta.history_mode "paginated": records only
        self._copied_below = -1  # subagent_history_start_ordinal: lines below it are the parent's
        self._turn_models: dict[str, str] = {}  # turn_id -> its turn_context's model
        self._record_total = -1  # the last record's thread total (its event id)
        self._record_failed = False  # a record could not be read: the next running total bills its response

    def read_lines(self, lines: Iterable[bytes]) -> list[LogCall]:
        calls: list[LogCall] = []
        skipped = self.skipped
        for line in lines:
            self.lines += 1
            if (b"token_count" not in line and b"turn_context" not in line and b"session_meta" not in line
                    and b"token_usage_record" not in line and b"thread_settings_applied" not in line):
                skipped[NO_USAGE if line.strip() else BLANK] += 1
                continue
            try:
                call = self._parse(line)
            except orjson.JSONDecodeError as exc:
                skipped[MALFORMED] += 1
                self.errors.add(f"{self.path}:{self.lines}: {not_json(exc)}")
                continue
            except BadField as exc:
                skipped[BAD_FIELD] += 1
                self.last_error = self.errors.add(f"{self.path}:{self.lines}: {exc}")
                continue
            if type(call) is str:
                skipped[call] += 1
            else:
                calls.append(call)  # type: ignore[arg-type]
        return calls

    def _parse(self, line: bytes) -> LogCall | str:
        """One marked line: its call, or why it bills nothing. Raises JSONDecodeError or BadField."""
        obj = orjson.loads(line)
        if type(obj) is not dict:
            raise BadField(f"a rollout line is a JSON object, got {type(obj).__name__}")
        kind = obj.get("type")
        payload = obj.get("payload")
        if kind == "session_meta":
            self._session_meta(self._object(payload, "session_meta.payload"))
            return NO_USAGE
        if kind == "turn_context":
            self._turn_context(self._object(payload, "turn_context.payload"))
            return NO_USAGE
        if kind == "token_usage_record":
            return self._record(obj, self._object(payload, "token_usage_record.payload"))
        if kind != "event_msg" or type(payload) is not dict:
            return NO_USAGE  # the word was in a message, a tool's output or a compacted snapshot
        if payload.get("type") == "thread_settings_applied":
            self._settings(self._object(payload.get("thread_settings"), "thread_settings_applied.thread_settings"))
            return NO_USAGE
        if payload.get("type") != "token_count":
            return NO_USAGE
        if self._paginated:  # records alone bill it (a checkpoint's total is another thread's)
            return RUNNING_TOTAL
        if self._records and not self._record_failed:  # records bill this file's calls: keep the total only
            self._note_total(payload.get("info"))
            return RUNNING_TOTAL
        self._record_failed = False  # (a record that could not be read: its response is billed from this total)
        info = payload.get("info")
        if info is None:
            return NO_USAGE  # before the first response of a session, and rate-limit-only updates
        info = self._object(info, "token_count.info")
        if info.get("total_token_usage") is None:
            return NO_USAGE  # logs before 2025-09 had no usage
        return self._token_count(obj, info)

    @staticmethod
    def _object(value: Any, where: str) -> dict[str, Any]:
        if type(value) is not dict:
            raise BadField(f"{where} must be an object, got {type(value).__name__}")
        return value

    def _session_meta(self, payload: dict[str, Any]) -> None:
        session = payload.get("id", payload.get("session_id"))
        if session is not None:
            session = self._fields.label("session_meta.payload.id", session)
            if session != self.session:  # a new file's own id, or a fork's copy of its parent's lines
                self.session = session
                self._previous = self._previous_call = None
                self._record_total = -1
        self._cwd(payload, "session_meta")
        source = payload.get("source")  # "cli", "exec", "vscode" … or {"subagent": "review" | {"thread_spawn": …}}
        if source is not None:
            self.tier = SUBAGENT if (type(source) is dict and SUBAGENT in source) or source == SUBAGENT else MAIN
        model = payload.get("model")
        if model is not None and self.model is None:
            self.model = self._fields.label("session_meta.payload.model", model)
        if payload.get("history_mode") == "paginated":
            self._paginated = True
        start = payload.get("subagent_history_start_ordinal")
        if start is not None:
            self._copied_below = count(payload, "subagent_history_start_ordinal", "session_meta.payload")

    def _turn_context(self, payload: dict[str, Any]) -> None:
        self._cwd(payload, "turn_context")
        model = payload.get("model")
        if model is not None:
            self.model = self._fields.label("turn_context.payload.model", model)
            turn = payload.get("turn_id")
            if type(turn) is str and len(self._turn_models) < 10_000:
                self._turn_models[turn] = self.model

    def _settings(self, settings: dict[str, Any]) -> None:
        """``thread_settings_applied``: the service tier (and model) in force from here on."""
        tier = settings.get("service_tier")
        if tier is None:
            self.variant = None
        elif type(tier) is not str:
            self.variant = UNREADABLE  # the calls from here on: counted, unpriced, never at the tier before
            raise BadField(f"thread_settings.service_tier must be a string, got {type(tier).__name__} {tier!r}")
        else:
            try:  # as Codex says it (fast is OpenAI's priority: the catalog prices both alike); a tier
                self.variant = canonical_variant(tier)  # the catalog does not know leaves the call unpriced
            except ValueError as exc:
                self.variant = UNREADABLE
                raise BadField(f"thread_settings.service_tier: {exc}") from None
        model = settings.get("model")
        if model is not None:
            self.model = self._fields.label("thread_settings.model", model)

    def _note_total(self, info: Any) -> None:
        """Keep a token_count's running total as the base of the next difference, without billing it."""
        if type(info) is dict and type(info.get("total_token_usage")) is dict:
            try:
                self._previous, self._previous_call = _total(info["total_token_usage"], "token_count"), None
            except BadField:
                pass

    def _record(self, obj: dict[str, Any], payload: dict[str, Any]) -> LogCall | str:
        """A ``token_usage_record``: one response's own usage (see the module's docstring). One that
        cannot be read is a bad field, and its response is billed from the next running total."""
        self._records = True
        try:
            return self._read_record(obj, payload)
        except BadField:
            self._record_failed = True
            raise

    def _read_record(self, obj: dict[str, Any], payload: dict[str, Any]) -> LogCall | str:
        ordinal = obj.get("ordinal")
        if ordinal is not None and (type(ordinal) is not int or ordinal < 0):
            raise BadField(f"ordinal must be a non-negative integer, got {type(ordinal).__name__} {ordinal!r}")
        if ordinal is not None and ordinal < self._copied_below:
            return COPIED
        usage = payload.get("usage")
        if usage is None:
            raise BadField("token_usage_record.payload.usage is missing: the response's usage is unknown")
        inp, cached, written, out, _reasoning, _ = _total(usage, "token_usage_record.payload.usage")
        response = payload.get("response_id")
        if type(response) is not str or not response:
            raise BadField(f"token_usage_record.payload.response_id must be a non-empty string, got {response!r}")
        thread = payload.get("thread_token_usage")
        total = _total(thread, "token_usage_record.payload.thread_token_usage")[5] if thread is not None else -1
        event_id = f"codex:{self.session}:{total}"
        if total <= self._record_total:  # a response Codex kept out of the running total (a remote compaction)
            event_id += f":{response}"
        else:
            self._record_total = total
        turn = payload.get("turn_id")
        model = self._turn_models.get(turn, self.model) if type(turn) is str else self.model
        if model is None:
            return NO_MODEL
        ts = self._fields.ts("timestamp", obj.get("timestamp"))
        usage_ = Usage(input=inp - cached - written, cache_read=cached, cache_write=written, output=out)
        return LogCall(self._fields.label("event id", event_id), ts, model, usage_, self.tier, self.session,
                       self.project, self.variant, SOURCE)

    def _cwd(self, payload: dict[str, Any], kind: str) -> None:
        cwd = payload.get("cwd")
        if cwd is not None:
            if type(cwd) is not str:
                raise BadField(f"{kind}.payload.cwd must be a string, got {type(cwd).__name__} {cwd!r}")
            if cwd:
                self.project = self._fields.label(f"{kind}.payload.cwd", clip_path(cwd))

    def _token_count(self, obj: dict[str, Any], info: dict[str, Any]) -> LogCall | str:
        total = _total(info["total_token_usage"], "token_count.info.total_token_usage")
        # The model the response named (OpenAI may serve another than the one asked for): it is billed.
        served = info.get("latest_response_model")
        model = self.model if served is None else self._fields.label("token_count.info.latest_response_model", served)
        ts = self._fields.ts("timestamp", obj.get("timestamp"))
        previous = self._previous
        if previous == total:  # the same total written again: the same call, a duplicate
            return self._previous_call or NO_USAGE
        restarts = self._restarts.get(self.session, 0)
        delta: Total = total if previous is None else tuple(map(sub, total, previous))  # type: ignore[assignment]
        # Reasoning is inside output, never billed apart: a reasoning count that shrinks is no restart.
        if min(delta[0], delta[1], delta[2], delta[3], delta[5]) < 0:
            # The total went down (the session's count started over): never a negative call. If
            # the line's last call is the whole new total, that call is the first of the new count.
            restarts += 1
            self._restarts[self.session] = restarts
            last = info.get("last_token_usage")
            if last is None or _total(last, "token_count.info.last_token_usage") != total:
                self._previous, self._previous_call = total, None
                return NO_USAGE
            delta = total
        self._previous, self._previous_call = total, None  # moved on, whatever this line turns out to be
        if model is None:
            return NO_MODEL
        inp, cached, written, out, _reasoning, _ = delta
        if cached + written > inp:
            raise BadField(f"token_count.info.total_token_usage: cached_input_tokens and cache_write_input_tokens "
                           f"grew by {cached} + {written}, more than input_tokens ({inp})")
        # Input includes the cached and the cache-written tokens (Responses API usage); output
        # includes reasoning. from_openai reads the same, but has no cache writes.
        usage = Usage(input=inp - cached - written, cache_read=cached, cache_write=written, output=out)
        event_id = f"codex:{self.session}:{total[5]}" + (f":{restarts}" if restarts else "")
        call = LogCall(self._fields.label("event id", event_id), ts, model, usage, self.tier, self.session,
                       self.project, self.variant, SOURCE)
        self._previous_call = call
        return call
