"""Claude Code's telemetry events (``CLAUDE_CODE_ENABLE_TELEMETRY=1``, ``OTEL_LOGS_EXPORTER=otlp``)
-> calls for ``CostTracker.record``. Plain Python: :mod:`.otlp` decodes the OTLP log records.

Claude Code exports one log record per API request (code.claude.com/docs/en/monitoring-usage,
"API request event"): body ``"claude_code.api_request"``, attribute ``event.name`` =
``"api_request"`` (newer OTLP exporters may also fill the record's ``event_name``), with
``session.id``, ``model``, ``input_tokens`` (Anthropic's meaning: cache excluded),
``output_tokens``, ``cache_read_tokens``, ``cache_creation_tokens``, ``request_id``,
``client_request_id``, ``event.sequence``, ``event.timestamp``, ``speed`` (``fast`` / ``normal``),
``agent.name`` (a named subagent), ``cost_usd`` (Claude Code's estimate: not used). Real exports
carry the counts as strings (``"120"``); ints are accepted too.

- Usage via :func:`costpanel.adapters.from_anthropic`. The event has no 5-minute/1-hour split of
  ``cache_creation_tokens``: they are priced as 5-minute writes, and such calls are *approximate*
  (a 1-hour write costs 1.6x a 5-minute one). The session logs have the split; watch them for
  exact figures.
- Tier ``subagent`` when ``agent.name`` is set, else ``main`` (the log watcher's tiers).
- Variant ``fast`` when ``speed`` is ``"fast"``.
- Session ``session.id``; project ``costpanel.project`` when set through ``OTEL_RESOURCE_ATTRIBUTES``.
- Event id ``otel:<session.id>:<request_id>``, else ``client_request_id``, else
  ``seq<event.sequence>``, else ``t<time in ns>`` (``-`` for a missing session): stable across an
  exporter's retries of the same batch, so a resent record counts once.
- Time: the record's ``time_unix_nano``, else ``event.timestamp``, else when it was observed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..adapters import from_anthropic
from ._fields import iso_seconds
from .genai import GenAiCall, NotACall, cache_ttl_unknown, count, text
from .logs import NO_MODEL, NO_USAGE

API_REQUEST_NAMES = frozenset(("claude_code.api_request", "api_request"))
OTHER_EVENT = "not an api_request event"  # prompts, tool results, errors …: nothing billed

# Claude Code attribute -> Anthropic usage field (from_anthropic's input).
_TOKENS = {"input_tokens": "input_tokens", "output_tokens": "output_tokens",
           "cache_read_tokens": "cache_read_input_tokens", "cache_creation_tokens": "cache_creation_input_tokens"}


def is_api_request(event_name: str, attributes: Mapping[str, Any], body: object) -> bool:
    """Whether a log record is Claude Code's ``api_request`` event (by any of the three places
    its name travels)."""
    return (event_name in API_REQUEST_NAMES or attributes.get("event.name") in API_REQUEST_NAMES
            or body in API_REQUEST_NAMES)


def _timestamp(attributes: Mapping[str, Any], time_ns: int, observed_ns: int) -> float:
    if time_ns:
        return time_ns / 1e9
    stamp = attributes.get("event.timestamp")
    if isinstance(stamp, str):
        return iso_seconds("event.timestamp", stamp)
    if observed_ns:
        return observed_ns / 1e9
    return dt.datetime.now(dt.UTC).timestamp()


def _event_key(attributes: Mapping[str, Any], time_ns: int) -> str | None:
    for key in ("request_id", "client_request_id"):
        if value := text(attributes, key):
            return value
    sequence = count(attributes, "event.sequence")
    if sequence is not None:
        return f"seq{sequence}"
    return f"t{time_ns}" if time_ns else None


def call_from_api_request(attributes: Mapping[str, Any], *, time_ns: int = 0, observed_ns: int = 0,
                          resource: Mapping[str, Any] | None = None) -> GenAiCall:
    """The call one ``api_request`` event records. Raises :class:`~.genai.NotACall` (no usage, no
    model) or TypeError/ValueError naming the attribute and value."""
    tokens = {field: n for key, field in _TOKENS.items() if (n := count(attributes, key)) is not None}
    if not tokens:
        raise NotACall(NO_USAGE)
    model = text(attributes, "model")
    if model is None:
        raise NotACall(NO_MODEL)
    session = text(attributes, "session.id", resource)
    key = _event_key(attributes, time_ns)
    speed = text(attributes, "speed")
    return GenAiCall(
        event_id=None if key is None else f"otel:{session or '-'}:{key}",
        ts=_timestamp(attributes, time_ns, observed_ns),
        model=model,
        usage=from_anthropic(tokens),
        tier="subagent" if text(attributes, "agent.name") else "main",
        session=session,
        project=text(attributes, "costpanel.project", resource) or "",
        variant="fast" if speed == "fast" else None,
        provider="anthropic",
    )


approximate = cache_ttl_unknown  # its cache writes carry no 5-minute/1-hour split
