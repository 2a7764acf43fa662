"""Field checks the log readers share: a bad value raises :class:`BadField` naming the field,
which the reader counts under ``bad field`` (and keeps as its ``last_error``)."""

from __future__ import annotations

import datetime as dt

import msgspec

from ..labels import MAX_LABEL, check_label
from ..usage import MAX_COUNT

_TS_CACHE_MAX = 4096
_rfc3339 = msgspec.convert
_LABELS_MAX = 10_000


class BadField(ValueError):
    """A JSON value of the wrong type or an impossible value; the message names the field."""


def count(holder: dict[str, object], key: str, where: str) -> int:
    """A token count: a non-negative int (missing or null: 0)."""
    value = holder.get(key)
    if value is None:
        return 0
    if type(value) is not int or not 0 <= value <= MAX_COUNT:
        raise BadField(f"{where}.{key} must be a non-negative integer, got {type(value).__name__} {value!r}")
    return value


def iso_seconds(field: str, value: object) -> float:
    """Epoch seconds of an ISO 8601 time with its offset (the agents write UTC, ``Z``); a time
    without one could be any time zone, so it is refused rather than guessed.

    An RFC 3339 time is read as msgspec reads it (a reader that decodes a line's time into its
    typed fields then agrees with this to the bit: beyond microseconds it rounds); other ISO 8601
    spellings (``2026-11-30T09:12Z``, a decimal comma …) as ``datetime.fromisoformat`` reads them."""
    if type(value) is not str:
        raise BadField(f"{field} must be an ISO 8601 string, got {type(value).__name__} {value!r}")
    try:
        when = _rfc3339(value, dt.datetime)
    except msgspec.ValidationError:
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            raise BadField(f"{field} must be an ISO 8601 time such as 2026-11-30T09:12:04.511Z, "
                           f"got {value[:60]!r}") from None
    if when.utcoffset() is None:
        raise BadField(f"{field} must carry its offset (Z or +hh:mm): {value[:60]!r} could be any time zone")
    return when.timestamp()


def clip_path(path: str) -> str:
    """A working directory as a project label: a path longer than a label keeps its end (the
    folder's own name)."""
    return path if len(path) <= MAX_LABEL else "…" + path[-(MAX_LABEL - 1):]


class Fields:
    """Per-reader caches: labels that passed :func:`check_label` and parsed timestamps (a session
    repeats both on every line)."""

    def __init__(self) -> None:
        self._labels: set[tuple[str, str]] = set()
        self._times: dict[str, float] = {}

    def label(self, field: str, value: object) -> str:
        """``value`` if it is a usable label (model, session, project, event id), else BadField."""
        if type(value) is str and (field, value) in self._labels:
            return value
        try:
            check_label(field, value)
        except (TypeError, ValueError) as exc:
            raise BadField(str(exc)) from None
        if len(self._labels) < _LABELS_MAX:
            self._labels.add((field, value))  # type: ignore[arg-type]
        return value  # type: ignore[return-value]

    def ts(self, field: str, value: object) -> float:
        """Epoch seconds of an ISO 8601 time with its offset (both CLIs write UTC, ``Z``)."""
        cached = self._times.get(value) if type(value) is str else None
        if cached is not None:
            return cached
        seconds = iso_seconds(field, value)
        if len(self._times) >= _TS_CACHE_MAX:
            self._times.clear()
        self._times[value] = seconds
        return seconds
