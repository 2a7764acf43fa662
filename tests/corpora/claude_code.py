"""A realistic Claude Code config dir, and the truth about every call in it.

``write_corpus(root, seed=…, lines=…)`` writes ``root/projects/<encoded-cwd>/<session>.jsonl`` (and
``<session>/subagents/agent-<id>.jsonl``) as Claude Code 2.1.x writes them, with the traps real logs
hold: streaming partials before the final line of a call (same ``message.id`` and ``requestId``,
``stop_reason: null``, fewer output tokens), sessions behind a proxy without ``requestId``, resumed
sessions that copy earlier lines verbatim, 5-minute and 1-hour cache writes (and old lines without
the TTL breakdown), prompts past 200k tokens on models with a long-context price cliff, fast mode,
web searches, ``<synthetic>`` and API-error lines, subagent progress lines and Task results that
carry a ``usage`` of their own, user prompts, tool results, summaries, compaction markers,
file-history snapshots (a few of them large), a line cut by a crash and a torn last line; and
(``current=True``, the default) Claude Code's newer shapes: advisor calls (``/advisor``: an
``advisor_message`` entry in ``usage.iterations``, billed at the advisor model's prices and left out
of the top-level counts) and context forks (``/btw`` side questions and compactions: a
``subagents/agent-aside_question-*.jsonl`` that replays its session's calls under its own request id
before making its own).

The returned :class:`Truth` is what the generator decided, never re-read from the files: the final
usage of every distinct call, and how many lines of each kind it wrote. It imports nothing from
costpanel, so it serves as an independent reference (tests) and as a workload (bench scripts).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson

START = dt.datetime(2026, 3, 10, tzinfo=dt.timezone.utc)  # the window crosses 2026-03-13 (see LONG_CONTEXT)
DAYS = 7
VERSION = "2.1.37"

# (model as logged, weight for a main session, has a 1M context) — the 1M ones can pass 200k.
MODELS: tuple[tuple[str, float, bool], ...] = (
    ("claude-opus-4-6", 4.0, True),
    ("claude-sonnet-4-6", 3.0, True),
    ("claude-sonnet-4-5-20250929", 2.0, True),
    ("claude-opus-4-5-20251101", 1.5, False),
    ("claude-haiku-4-5-20251001", 1.0, False),
    ("claude-sonnet-4-20250514", 0.7, True),
    ("claude-opus-4-1-20250805", 0.5, False),
)
SUBAGENT_MODEL = "claude-haiku-4-5-20251001"
FAST_MODEL = "claude-opus-4-6"
PROJECTS = ("/home/dev/shop-api", "/home/dev/infra_tools", "/srv/work/ml-pipeline", "/home/dev/notes.site")
NO_CWD_PROJECT = "/home/dev/scratch"  # its lines carry no cwd: the folder name decodes back to it exactly

# Kinds of line, as the reader should take them.
CALL = "call"  # an assistant line with usage: yields a call (final, partial or a resumed copy)
NO_USAGE = "no usage"
SYNTHETIC = "synthetic"
API_ERROR = "api error"
MALFORMED = "malformed json"
TORN = "waiting for a newline"  # costpanel.integrations.logs.TORN, written out: the corpus is independent
REPLAYED = "copied from its session"  # a context fork's copy of a call its session's file bills
ADVISORS = {"claude-sonnet-4-6": "claude-opus-4-6", "claude-haiku-4-5-20251001": "claude-opus-4-5-20251101"}


class TrueCall(NamedTuple):
    """One distinct call with its final usage (what the logs bill)."""

    event_id: str
    ts: float  # epoch seconds of the final line
    model: str  # as logged
    input: int
    output: int
    cache_read: int
    cache_write: int  # 5-minute
    cache_write_1h: int
    web_search: int
    project: str
    session: str
    tier: str  # "main" or "subagent"
    variant: str | None  # "fast" or None

    @property
    def prompt(self) -> int:
        return self.input + self.cache_read + self.cache_write + self.cache_write_1h

    @property
    def day(self) -> str:
        return dt.datetime.fromtimestamp(self.ts, dt.timezone.utc).date().isoformat()


@dataclass
class Truth:
    calls: list[TrueCall] = field(default_factory=list)
    lines: Counter[str] = field(default_factory=Counter)  # lines written, by kind
    files: list[Path] = field(default_factory=list)
    bytes: int = 0
    advisor_entries: int = 0  # advisor entries on the CALL lines written (copies included): a call each when read


def encode_cwd(cwd: str) -> str:
    """Claude Code's project folder name: every character but a letter or digit becomes ``-``."""
    return "".join(ch if ch.isalnum() else "-" for ch in cwd)


def _iso(ms: int) -> str:
    when = dt.datetime.fromtimestamp(ms // 1000, dt.timezone.utc)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


class _Gen:
    def __init__(self, root: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.extra = random.Random(seed + 1_000_003)  # the newer shapes' choices: the rest stays as it was
        self.root = root
        self.truth = Truth()
        words = ("the", "cache", "function", "test", "returns", "import", "request", "value", "config",
                 "error", "user", "we", "should", "file", "line", "fix", "add", "path", "model", "token")
        self.filler = " ".join(self.rng.choice(words) for _ in range(60_000))
        self.serial = 0
        self.fork_lines = 0  # lines of context forks: on top of the lines asked for (the rest as it was)

    # -- ids and text ----------------------------------------------------------------------------
    def hex(self, n: int) -> str:
        return "%0*x" % (n, self.rng.getrandbits(4 * n))

    def uuid(self) -> str:
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def msg_id(self) -> str:
        self.serial += 1
        return f"msg_01{self.hex(18)}{self.serial:06d}"

    def text(self, n: int) -> str:
        start = self.rng.randrange(0, len(self.filler) - n - 1)
        return self.filler[start:start + n]

    # -- lines -------------------------------------------------------------------------------------
    def base(self, s: _Session, kind: str, ms: int) -> dict[str, Any]:
        line: dict[str, Any] = {"parentUuid": s.last_uuid, "isSidechain": s.agent is not None, "userType": "external"}
        if s.cwd_in_lines:
            line["cwd"] = s.cwd
        line["sessionId"] = s.session
        line["version"] = VERSION
        line["gitBranch"] = "main"
        if s.agent is not None:
            line["agentId"] = s.agent
        line["type"] = kind
        s.last_uuid = line["uuid"] = self.uuid()
        line["timestamp"] = _iso(ms)
        return line

    def user(self, s: _Session, ms: int, size: int, *, tool: bool, extra: dict[str, Any] | None = None) -> None:
        line = self.base(s, "user", ms)
        content: Any = self.text(size)
        if tool:
            content = [{"tool_use_id": "toolu_01" + self.hex(22), "type": "tool_result", "content": content}]
        line["message"] = {"role": "user", "content": content}
        if extra:
            line.update(extra)
        s.emit(line, NO_USAGE)

    def assistant(self, s: _Session, ms: int, msg_id: str, req: str | None, model: str, usage: dict[str, Any],
                  stop: str | None, content: list[dict[str, Any]], kind: str = CALL,
                  error: bool = False) -> bytes:
        line = self.base(s, "assistant", ms)
        line["message"] = {"model": model, "id": msg_id, "type": "message", "role": "assistant", "content": content,
                           "stop_reason": stop, "stop_sequence": None, "usage": usage}
        if req is not None:
            line["requestId"] = req
        if error:
            line["isApiErrorMessage"] = True
        return s.emit(line, kind)

    def snapshot(self, s: _Session, ms: int, big: bool) -> None:
        files = self.rng.randint(1000, 4000) if big else self.rng.randint(0, 8)
        backups = {f"src/module_{k}/file_{k}.py": {"backupFileName": f"{self.hex(16)}@v{k % 7}", "version": k % 7,
                                                    "backupTime": _iso(ms)} for k in range(files)}
        mid = self.uuid()
        s.emit({"type": "file-history-snapshot", "messageId": mid,
                "snapshot": {"messageId": mid, "trackedFileBackups": backups, "timestamp": _iso(ms)},
                "isSnapshotUpdate": self.rng.random() < 0.5}, NO_USAGE)


class _Session:
    """One log file being written."""

    def __init__(self, gen: _Gen, path: Path, session: str, cwd: str, cwd_in_lines: bool, agent: str | None) -> None:
        self.gen = gen
        self.path = path
        self.session = session
        self.cwd = cwd
        self.cwd_in_lines = cwd_in_lines
        self.agent = agent
        self.last_uuid: str | None = None
        self.out: list[bytes] = []
        self.finals: list[bytes] = []  # the final line of each of its own calls (what a context fork replays)

    def emit(self, line: dict[str, Any], kind: str) -> bytes:
        data = orjson.dumps(line)
        self.out.append(data)
        self.gen.truth.lines[kind] += 1
        return data

    def save(self, torn: bytes = b"") -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = b"\n".join(self.out) + b"\n" + torn if self.out else torn
        self.path.write_bytes(body)
        self.gen.truth.files.append(self.path)
        self.gen.truth.bytes += len(body)


def _usage(i: int, r: int, w5: int, w1h: int, o: int, ttl: str, search: int, fast: bool,
           advisor: dict[str, Any] | None = None) -> dict[str, Any]:
    usage: dict[str, Any] = {"input_tokens": i, "cache_creation_input_tokens": w5 + w1h, "cache_read_input_tokens": r}
    if ttl != "legacy":  # lines from before the TTL breakdown have the total only (all 5-minute)
        usage["cache_creation"] = {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1h}
    usage["output_tokens"] = o
    usage["service_tier"] = "standard"
    if search:
        usage["server_tool_use"] = {"web_search_requests": search, "web_fetch_requests": 0}
    if fast:
        usage["speed"] = "fast"
    if advisor is not None:  # the executor's two steps sum to the top level; the advisor's stand apart
        usage["iterations"] = [
            {"type": "message", "input_tokens": i - i // 2, "output_tokens": o // 3, "cache_read_input_tokens": r,
             "cache_creation_input_tokens": w5 + w1h},
            advisor,
            {"type": "message", "input_tokens": i // 2, "output_tokens": o - o // 3, "cache_read_input_tokens": 0,
             "cache_creation_input_tokens": 0}]
    return usage


_ZERO = {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
         "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0}, "service_tier": None,
         "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0}}


def _conversation(g: _Gen, s: _Session, model: str, start_ms: int, calls: int, *, long: bool, proxy: bool,
                  ttl: str, fast: bool, sub_parent: _Session | None = None, tear_last: bool = False,
                  crash_line: bool = False, search_once: bool = False, advisor: str | None = None) -> tuple[int, bytes]:
    """Write ``calls`` model calls (with their user lines) into ``s``; returns (end ms, torn bytes)."""
    rng = g.rng
    ms = start_ms
    context = 0
    cap = rng.randint(215_000, 330_000) if long else rng.randint(90_000, 170_000)
    tier = "main" if s.agent is None else "subagent"
    torn = b""
    g.user(s, ms, rng.randint(40, 600), tool=False)
    for n in range(calls):
        ms += rng.randint(2_000, 40_000)
        if context == 0:  # first call: the system prompt and tools are written to the cache
            r, new = 0, rng.randint(14_000, 26_000)
        elif rng.random() < 0.04:  # a cache miss after a pause: the whole context written again
            r, new = 0, context + rng.randint(200, 4_000)
        else:
            r, new = context, (rng.randint(200, 6_000) if rng.random() < 0.9 else rng.randint(15_000, 40_000))
        if ttl == "1h":
            w5, w1h = 0, new
        elif ttl == "mixed":
            w1h = new if context == 0 else rng.choice((0, new // 3))
            w5 = new - w1h
        else:  # "5m" and "legacy"
            w5, w1h = new, 0
        i = rng.randint(1, 12)
        o = rng.randint(1, 60) if rng.random() < 0.15 else rng.randint(60, 2_500)
        search = rng.randint(1, 4) if rng.random() < 0.04 or (search_once and n == 1) else 0
        msg, req = g.msg_id(), (None if proxy else "req_011C" + g.hex(20))
        partials = rng.choice((0, 1, 1, 2, 3)) if o > 8 else 0
        final_ms = ms + 300 * partials + rng.randint(200, 9_000)
        last = n == calls - 1
        if last and tear_last:  # Claude Code was killed while writing the final line
            data = orjson.dumps(g.base(s, "assistant", final_ms) | {"message": {
                "model": model, "id": msg, "usage": _usage(i, r, w5, w1h, o, ttl, search, fast)}})
            return final_ms, data[: len(data) * 2 // 3]
        for k in range(partials):
            p_ms = ms + 300 * k if _iso(ms + 300 * k)[:10] == _iso(final_ms)[:10] else final_ms
            blocks = [{"type": "thinking", "thinking": g.text(rng.randint(20, 250)), "signature": g.hex(64)}
                      if k == 0 else {"type": "text", "text": g.text(rng.randint(20, 200))}]
            line = g.assistant(s, p_ms, msg, req, model, _usage(i, r, w5, w1h, rng.randint(1, min(o - 1, 40)),
                                                                ttl, search, fast), None, blocks)
            if crash_line and n == 1 and k == 0:  # a crash cut the next write short; it went on after
                cut = line.index(b'"usage"') + 30
                s.out.append(line[:cut] + b"\x00" * 24)
                g.truth.lines[MALFORMED] += 1
        stop = "tool_use" if not last else "end_turn"
        consulted = None
        if advisor is not None and n and g.extra.random() < 0.2:  # the executor asked its advisor (final line only)
            a_in, a_out = min(r + new, 190_000), g.extra.randint(400, 1_800)
            a_read = g.extra.choice((0, a_in // 2))
            consulted = {"type": "advisor_message", "model": advisor, "input_tokens": a_in - a_read,
                         "cache_read_input_tokens": a_read, "cache_creation_input_tokens": 0, "output_tokens": a_out}
        s.finals.append(g.assistant(s, final_ms, msg, req, model, _usage(i, r, w5, w1h, o, ttl, search, fast, consulted),
                                    stop, [{"type": "tool_use", "id": "toolu_01" + g.hex(22),
                                            "name": rng.choice(("Read", "Edit", "Bash")),
                                            "input": {"command": g.text(rng.randint(10, 120))}}]))
        g.truth.calls.append(TrueCall(f"claude-code:{msg}:{req or ''}", final_ms / 1000, model, i, o, r, w5, w1h,
                                      search, s.cwd, s.session, tier, "fast" if fast else None))
        if consulted is not None:
            g.truth.advisor_entries += 1
            g.truth.calls.append(TrueCall(f"claude-code:{msg}:{req or ''}:advisor1", final_ms / 1000, advisor,
                                          consulted["input_tokens"], consulted["output_tokens"], consulted["cache_read_input_tokens"],
                                          0, 0, 0, s.cwd, s.session, tier, None))
        ms = final_ms
        context = r + new + o
        if sub_parent is not None and rng.random() < 0.3:  # the parent shows the subagent's progress
            sub_parent.emit(g.base(sub_parent, "progress", ms) | {"data": {
                "type": "agent_progress", "agentId": s.agent, "message": {"type": "assistant", "message": {
                    "id": msg, "model": model, "usage": _usage(i, r, w5, w1h, o, ttl, 0, fast)}}}}, NO_USAGE)
        if not last:
            ms += rng.randint(500, 20_000)
            g.user(s, ms, rng.randint(20, 300) if rng.random() < 0.85 else rng.randint(300, 2_500), tool=True)
            if rng.random() < 0.03:
                g.snapshot(s, ms, big=rng.random() < 0.02)
            if rng.random() < 0.015:
                g.assistant(s, ms + 50, g.uuid(), None, "<synthetic>", dict(_ZERO), "stop_sequence",
                            [{"type": "text", "text": "No response requested."}], kind=SYNTHETIC)
            if rng.random() < 0.01:
                g.assistant(s, ms + 80, g.uuid(), None, "<synthetic>", dict(_ZERO), "stop_sequence",
                            [{"type": "text", "text": 'API Error: 529 {"type":"error","error":{"type":'
                              '"overloaded_error","message":"Overloaded"}}'}], kind=API_ERROR, error=True)
        if context > cap:  # auto-compaction: a boundary, a summary prompt, a fresh context
            s.emit(g.base(s, "system", ms) | {"subtype": "compact_boundary", "content": "Conversation compacted",
                                              "compactMetadata": {"trigger": "auto", "preTokens": context}}, NO_USAGE)
            g.user(s, ms + 10, rng.randint(2_000, 8_000), tool=False, extra={"isCompactSummary": True})
            context = 0
    return ms, torn


def _side_question(g: _Gen, s: _Session, folder: Path, end_ms: int, model: str) -> None:
    """A /btw side question of session ``s``: its file replays some of the session's calls (their
    lines as the session wrote them, under the side question's request id) and then makes its own."""
    rng, g.rng = g.rng, g.extra  # ids and text from the newer shapes' generator: the rest stays as it was
    try:
        _write_side_question(g, s, folder, end_ms, model)
    finally:
        g.rng = rng


def _write_side_question(g: _Gen, s: _Session, folder: Path, end_ms: int, model: str) -> None:
    rng = g.rng
    before = sum(g.truth.lines.values())
    fork = _Session(g, folder / f"agent-aside_question-{g.hex(16)}.jsonl", s.session, s.cwd, s.cwd_in_lines, None)
    req = "req_011C" + g.hex(20)
    for data in s.finals[-rng.randint(1, min(6, len(s.finals))):]:
        line = orjson.loads(data)
        line["requestId"], line["isSidechain"] = req, True
        fork.emit(line, REPLAYED)
    ms = end_ms + rng.randint(1_000, 60_000)
    i, r, o = rng.randint(1, 9), rng.randint(20_000, 150_000), rng.randint(40, 900)
    msg = g.msg_id()
    line = g.base(fork, "assistant", ms) | {"isSidechain": True, "requestId": req}
    line["message"] = {"model": model, "id": msg, "type": "message", "role": "assistant", "stop_reason": "end_turn",
                       "content": [{"type": "text", "text": g.text(rng.randint(20, 300))}],
                       "usage": _usage(i, r, 0, 0, o, "5m", 0, False)}
    fork.emit(line, CALL)
    g.truth.calls.append(TrueCall(f"claude-code:{msg}:{req}", ms / 1000, model, i, o, r, 0, 0, 0, s.cwd, s.session,
                                  "subagent", None))
    fork.save()
    g.fork_lines += sum(g.truth.lines.values()) - before


def write_corpus(root: Path, *, seed: int = 0, lines: int = 2000, current: bool = True) -> Truth:
    """Write a Claude config dir of about ``lines`` log lines at ``root``; return what it holds.
    ``current=False``: without advisor calls and context forks (the shapes of Claude Code 2.1.37).

    At ``lines=57_000`` the files total about 43 MB, the size ccusage's speed was measured on."""
    g = _Gen(root, seed)
    rng = g.rng
    window_ms = DAYS * 86_400_000
    start_ms = int(START.timestamp() * 1000)
    previous: dict[str, _Session] = {}
    first = True
    # First a fixed plan, so that even a small corpus has every model with both cache TTLs, a long
    # prompt on each long-context model before and after 2026-03-13 (when Opus/Sonnet 4.6 went flat),
    # fast mode and a session behind a proxy: (model, long, ttl, fast, proxy, start day or None).
    has_1m = {m: big for m, _, big in MODELS}
    plan: list[tuple[str, bool, str, bool, bool, int | None]] = [(m, False, "mixed", False, False, None)
                                                                  for m, _, _ in MODELS]
    plan += [(m, True, "mixed", False, False, day) for m in ("claude-opus-4-6", "claude-sonnet-4-6",
                                                          "claude-sonnet-4-5-20250929") for day in (1, 4)]
    plan += [("claude-sonnet-4-20250514", True, "mixed", False, False, 2)]
    plan += [(FAST_MODEL, False, "1h", True, True, None)]
    while sum(g.truth.lines.values()) - g.fork_lines < lines or first:
        cwd = rng.choice(PROJECTS + (NO_CWD_PROJECT,))
        session_id = g.uuid()
        path = root / "projects" / encode_cwd(cwd) / f"{session_id}.jsonl"
        s = _Session(g, path, session_id, cwd, cwd != NO_CWD_PROJECT, None)
        planned = bool(plan)
        if planned:
            model, long, ttl, fast, proxy, day = plan.pop(0)
            calls = rng.randint(45, 60) if long else rng.randint(8, 30)
        else:
            model = rng.choices([m for m, _, _ in MODELS], [w for _, w, _ in MODELS])[0]
            fast = model == FAST_MODEL and rng.random() < 0.15
            long = has_1m[model] and not fast and rng.random() < 0.3
            proxy = rng.random() < 0.1
            ttl = rng.choice(("5m", "5m", "1h", "mixed", "legacy"))
            calls, day = rng.randint(8, 90), None
        ms = start_ms + (rng.randrange(window_ms - 6 * 3_600_000) if day is None
                         else day * 86_400_000 + rng.randrange(3_600_000, 10 * 3_600_000))
        if rng.random() < 0.5:
            s.emit({"type": "summary", "summary": g.text(rng.randint(20, 80)), "leafUuid": g.uuid()}, NO_USAGE)
        g.snapshot(s, ms, big=rng.random() < 0.03)
        old = previous.get(cwd)
        if old is not None and rng.random() < 0.2:  # a resumed session starts with the old one's lines, verbatim
            for data in old.out[: rng.randint(5, 30)]:
                s.out.append(data)
                kind = NO_USAGE
                if data.endswith(b"\x00"):
                    kind = MALFORMED
                elif b'"usage"' in data:
                    message = orjson.loads(data).get("message")
                    if isinstance(message, dict) and "usage" in message:
                        kind = API_ERROR if b'"isApiErrorMessage":true' in data else \
                            SYNTHETIC if message["model"] == "<synthetic>" else CALL
                        if kind == CALL:
                            g.truth.advisor_entries += data.count(b'"advisor_message"')
                g.truth.lines[kind] += 1
        tear = first  # the corpus's first file ends with a torn line
        advisor = ADVISORS.get(model) if current and (planned or g.extra.random() < 0.5) else None
        end_ms, torn = _conversation(g, s, model, ms, calls, long=long, proxy=proxy, ttl=ttl, fast=fast,
                                     tear_last=tear, crash_line=not first and rng.random() < 0.1,
                                     search_once=planned, advisor=advisor)
        if current and s.finals and g.extra.random() < 0.15:
            _side_question(g, s, path.parent / session_id / "subagents", end_ms, model)
        if torn:
            g.truth.lines[TORN] += 1
        for _ in range(rng.choice((0, 0, 1, 2, 3))):  # subagents (Task tool): files of their own
            agent = g.hex(7)
            sub = _Session(g, path.parent / session_id / "subagents" / f"agent-{agent}.jsonl", session_id, cwd,
                           s.cwd_in_lines, agent)
            sub_model = SUBAGENT_MODEL if rng.random() < 0.7 else model
            sub_start = ms + rng.randrange(max(1, end_ms - ms))
            sub_end, _ = _conversation(g, sub, sub_model, sub_start, rng.randint(3, 25), long=False, proxy=proxy,
                                       ttl=rng.choice(("5m", "1h")), fast=False, sub_parent=s,
                                       advisor=ADVISORS.get(sub_model) if current and g.extra.random() < 0.5 else None)
            g.user(s, sub_end + 500, rng.randint(200, 1_500), tool=True, extra={"toolUseResult": {
                "status": "completed", "agentId": agent, "totalDurationMs": sub_end - sub_start,
                "totalTokens": rng.randint(10_000, 90_000),
                "usage": {"input_tokens": 8, "output_tokens": 900, "cache_read_input_tokens": 40_000}}})
            sub.save()
        s.save(torn)
        previous[cwd] = s
        first = False
    return g.truth
