"""costpanel's own event line format: how an orchestrator in any language feeds the panel.

Append one JSON object per line to a file; ``costpanel watch --format costpanel FILE`` follows
it live and ``costpanel import --format costpanel FILE`` backfills the ledger::

    {"ts": "2026-12-03T14:05:09Z", "session": "run-42", "tier": "Tier 2", "model": "claude-sonnet-4-5",
     "usage": {"input": 1200, "cache_read": 5000, "output": 310}, "id": "run-42/call-7"}

- ``ts``: ISO 8601 with an offset (``Z``), or epoch seconds (a number). Required.
- ``model``: the name as sent to the provider. Required.
- ``usage``: costpanel's disjoint buckets (:data:`costpanel.usage.BUCKETS`): ``input`` is the
  *uncached* prompt; ``cache_read``, ``cache_write`` (5-minute), ``cache_write_1h``, ``output``
  (reasoning included), ``requests`` (default 1), ``web_search``. Required; unknown keys are refused.
- ``id``: the call's event id. Recording an id again with more tokens replaces the earlier usage (a
  streaming partial superseded), with equal or fewer it is a duplicate. Without one, the line's own
  bytes are the id (``costpanel:<digest>``), so importing a file twice still counts each line once.
- ``session`` (default: the file's name without extension), ``tier`` (default ``default``),
  ``project`` (default none), ``variant`` (``batch``, ``priority`` … default standard): optional.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from ..labels import check_label, label_from
from ..sources import check_project
from ..usage import BUCKETS, Usage
from ..variants import canonical_variant
from ._fields import BadField, iso_seconds
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
    not_json,
    sorted_paths,
    walk,
)

SOURCE = "costpanel"
KIND = LINES
SUFFIXES = (".jsonl", ".ndjson")
_BUCKETS = frozenset(BUCKETS)
_DEFAULT_TIER = "default"


def default_roots() -> list[Path]:
    """None: the format has no default place; files are named on the command line."""
    return []


def find_files(root: Path) -> Iterator[Path]:
    """``root`` itself when it is a file; else its ``*.jsonl`` / ``*.ndjson`` files, recursively."""
    if root.is_file():
        yield root
        return
    names = (os.path.join(folder, name) for folder, files in walk(root) for name in files
             if os.path.splitext(name)[1] in SUFFIXES)
    yield from (path for path in sorted_paths(names) if path.is_file())


def looks_like(path: Path, head: bytes) -> bool:
    """A first line that is an object with ``model``, ``usage`` and ``ts`` at the top level."""
    first = head.split(b"\n", 1)[0]
    try:
        obj = orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return isinstance(obj, dict) and {"model", "usage", "ts"} <= obj.keys()


BadLine = BadField  # a line with a field of the wrong type or value; the message names it


_NO_USAGE = "usage: missing"
_EMPTY_USAGE = "usage: empty (no bucket)"


def _timestamp(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadLine(f"ts must be an ISO 8601 time or epoch seconds, got {type(value).__name__} {value!r}")
    if isinstance(value, str):
        return iso_seconds("ts", value)
    if not math.isfinite(value) or value < 0:
        raise BadLine(f"ts must be epoch seconds >= 0, got {value!r}")
    return float(value)


def _usage(value: Any) -> Usage:
    if not isinstance(value, dict):
        raise BadLine(f"usage must be an object of buckets ({', '.join(BUCKETS)}), got {type(value).__name__}")
    unknown = value.keys() - _BUCKETS
    if unknown:
        raise BadLine(f"usage has unknown bucket(s) {sorted(unknown)}; buckets are {', '.join(BUCKETS)}")
    try:
        return Usage(**value)
    except (TypeError, ValueError) as exc:
        raise BadLine(str(exc)) from None


def _label(obj: dict[str, Any], field: str, default: str) -> str:
    value = obj.get(field)
    if value is None:  # absent or null (serializers write a missing optional value as null): the default
        value = default
    try:
        check_label(field, value)
    except (TypeError, ValueError) as exc:
        raise BadLine(str(exc)) from None
    return value  # type: ignore[no-any-return]


def parse(line: bytes, default_session: str) -> LogCall:
    """One event line; raises orjson.JSONDecodeError or :class:`BadLine` (naming the field)."""
    obj = orjson.loads(line)
    if not isinstance(obj, dict):
        raise BadLine(f"an event line is a JSON object, got {type(obj).__name__}")
    if not obj.get("usage") and obj.get("usage") != []:  # absent, null or {}: nothing billed, not a $0 call
        raise BadLine(_NO_USAGE if obj.get("usage") is None else _EMPTY_USAGE)
    model = obj.get("model")
    if model is None:
        raise BadLine("model: missing")
    try:
        check_label("model", model)
        variant = canonical_variant(obj.get("variant"))
        project = obj.get("project")
        if project is None:  # absent or null: no project
            project = ""
        check_project(project)
    except (TypeError, ValueError) as exc:
        raise BadLine(str(exc)) from None
    event_id = obj.get("id")
    if event_id is None:
        import hashlib  # here: OpenSSL's load is ~4 ms of every costpanel import's start-up

        event_id = "costpanel:" + hashlib.blake2b(line.strip(), digest_size=12).hexdigest()
    else:
        try:
            check_label("id", event_id)
        except (TypeError, ValueError) as exc:
            raise BadLine(str(exc)) from None
    return LogCall(event_id, _timestamp(obj.get("ts")), model, _usage(obj["usage"]),
                   _label(obj, "tier", _DEFAULT_TIER), _label(obj, "session", default_session), project, variant,
                   SOURCE)


class Reader:
    """Reads one event file; a line that is not a valid event is skipped and counted by reason
    (the last error's message is kept in :attr:`last_error` for the user)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.session = label_from(path.stem) if path.stem else "costpanel"
        self.skipped = Skips()
        self.lines = 0
        self.last_error: str | None = None
        self.errors = Examples()

    def reset(self) -> None:
        """Nothing carries over between lines: a truncated file needs no state reset."""

    def read_lines(self, lines: Iterable[bytes]) -> list[LogCall]:
        calls = []
        for line in lines:
            self.lines += 1
            if not line.strip():
                self.skipped[BLANK] += 1
                continue
            try:
                calls.append(parse(line, self.session))
            except orjson.JSONDecodeError as exc:
                self.skipped[MALFORMED] += 1
                self.errors.add(f"{self.path}:{self.lines}: {not_json(exc)}")
            except BadLine as exc:
                text = str(exc)
                reason = NO_USAGE if text in (_NO_USAGE, _EMPTY_USAGE) else NO_MODEL if text == "model: missing" else BAD_FIELD
                self.skipped[reason] += 1
                self.last_error = self.errors.add(f"{self.path}:{self.lines}: {text}")
        return calls
