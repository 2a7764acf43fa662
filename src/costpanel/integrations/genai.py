"""One OpenTelemetry GenAI span (its attributes) -> one call for ``CostTracker.record``.

Shared by :class:`~.otel.CostpanelSpanProcessor` (spans ending in this process) and
:class:`~.otlp.OtlpReceiver` (spans exported to costpanel over OTLP/HTTP), so both apply the same
rules. Plain Python: no OpenTelemetry import.

The rules (GenAI semantic conventions, `open-telemetry/semantic-conventions-genai`
``model/gen-ai/registry.yaml``, status "development"):

- A model call is a span carrying ``gen_ai.usage.*`` token counts. Spans without any are not
  calls (``no usage``); ``invoke_agent`` and ``execute_tool`` spans (``gen_ai.operation.name``)
  carry the summed usage of the calls inside them and are skipped (``agent or tool span``), and so
  are Claude Code's own spans (``claude_code.*``): its calls are counted from its
  ``claude_code.api_request`` log events (:mod:`.otlp`), never twice.
- Usage through :func:`costpanel.adapters.from_otel`: ``gen_ai.usage.input_tokens`` *includes*
  ``gen_ai.usage.cache_read.input_tokens`` and the cache writes, which are priced as 5-minute
  writes (the conventions carry no TTL). The writes' attribute was
  ``gen_ai.usage.cache_creation.input_tokens`` and is ``gen_ai.usage.cache_write.input_tokens`` in
  newer instrumentations (opentelemetry-util-genai): both are read; when both are set they must agree.
- ``gen_ai.provider.name`` (or the deprecated ``gen_ai.system``) disambiguates one case: some
  Anthropic instrumentations report Anthropic's own ``input_tokens`` (cache excluded) against the
  conventions. With provider ``anthropic`` and cached tokens larger than the input total, which the
  conventions' reading cannot explain, the counts are read Anthropic's way. Everywhere else the
  provider is only reported: model names are matched by the catalog (``docs/pricing.md``), which
  already strips routing prefixes and knows cloud-specific names.
- Model: ``gen_ai.response.model`` (what answered), else ``gen_ai.request.model``.
- Tier: the span's ``costpanel.tier`` attribute (the name is configurable), else ``"default"``
  (also for a value that is no tier label, said once in the log: the call still counts).
  Session: ``costpanel.session``, else ``session.id``; project: ``costpanel.project`` (else none).
  These three are read from the span, then from its resource (``OTEL_RESOURCE_ATTRIBUTES``).
- Event id ``otel:<trace id, 32 hex>:<span id, 16 hex>``; time: the span's end.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from threading import Lock
from typing import Any, NamedTuple

from ..adapters import from_otel
from ..events import DUPLICATE, Event
from ..labels import check_label
from ..tracker import CostTracker
from ..usage import MAX_COUNT, Usage
from .logs import BAD_FIELD, NO_MODEL, NO_USAGE

SOURCE = "otel"
DEFAULT_TIER = "default"
TIER_ATTRIBUTE = "costpanel.tier"
SESSION_ATTRIBUTES = ("costpanel.session", "session.id")
PROJECT_ATTRIBUTE = "costpanel.project"

# Skip reasons beyond those of .logs (NO_USAGE, NO_MODEL, BAD_FIELD).
SUMMARY = "agent or tool span"  # invoke_agent / execute_tool: the sum of calls counted on their own
CLAUDE_CODE_SPAN = "claude code span"  # counted from Claude Code's api_request log events instead
ERROR = "error"  # an unexpected exception (logged): the SDK and the exporter never see it

SUMMARY_OPERATIONS = frozenset(("invoke_agent", "execute_tool"))

_INPUT = "gen_ai.usage.input_tokens"
_CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
_CACHE_CREATION = "gen_ai.usage.cache_creation.input_tokens"
_CACHE_WRITE = "gen_ai.usage.cache_write.input_tokens"  # the newer name of _CACHE_CREATION
# Any of these makes a span a model call (the last two: names before the 2024 rename).
_USAGE_KEYS = (_INPUT, "gen_ai.usage.output_tokens", _CACHE_READ, _CACHE_CREATION, _CACHE_WRITE,
               "gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens")


_said: set[str] = set()
_said_lock = Lock()


def _say_once(message: str) -> None:
    with _said_lock:
        if message in _said or len(_said) >= 1000:
            return
        _said.add(message)
    logging.getLogger(__name__).warning("costpanel: %s", message)


class NotACall(Exception):
    """The span or log record is not a billed model call; ``reason`` is its skip reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GenAiCall(NamedTuple):
    """What ``CostTracker.record`` takes, read from one span or log record."""

    event_id: str | None
    ts: float  # epoch seconds, UTC
    model: str
    usage: Usage
    tier: str
    session: str | None
    project: str
    variant: str | None
    provider: str | None  # gen_ai.provider.name / gen_ai.system, for reports of what was read
    ignored: str | None = None  # an attribute not used, and why (a tier that is no label): said once


def text(attributes: Mapping[str, Any], key: str, resource: Mapping[str, Any] | None = None) -> str | None:
    """A string attribute (the span's, else its resource's); None when absent or empty. Any other
    type raises TypeError naming the attribute: a tier or model must never be guessed."""
    for source in (attributes, resource or {}):
        value = source.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise TypeError(f"{key} must be a string, got {type(value).__name__} {value!r:.80}")
        return value
    return None


def count(attributes: Mapping[str, Any], key: str) -> int | None:
    """A token count: an int, or a string of ASCII digits (OTLP/JSON's int64, Claude Code's
    attributes); None when absent. Anything else raises ValueError naming the attribute."""
    value = attributes.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{key} must be a token count (a non-negative integer), got "
                         f"{type(value).__name__} {value!r:.80}")
    return value


def otel_usage(attributes: Mapping[str, Any], provider: str | None) -> Usage:
    """The span's usage in costpanel's buckets (see the module docstring)."""
    usage = {key: attributes[key] for key in _USAGE_KEYS if attributes.get(key) is not None}
    creation, write = count(usage, _CACHE_CREATION), count(usage, _CACHE_WRITE)
    if creation is not None and write is not None and creation != write:
        raise ValueError(f"{_CACHE_CREATION} ({creation}) and {_CACHE_WRITE} ({write}) disagree")
    if write is not None:
        usage[_CACHE_CREATION] = write
    usage.pop(_CACHE_WRITE, None)
    if provider == "anthropic":
        prompt, cached = count(usage, _INPUT), (count(usage, _CACHE_READ) or 0) + (creation or write or 0)
        if prompt is not None and cached > prompt:  # Anthropic's own input_tokens: cache excluded
            usage[_INPUT] = prompt + cached
    return from_otel(usage)


def event_id(trace_id: int, span_id: int) -> str:
    """``otel:<trace id>:<span id>`` in the W3C/OTLP hex forms; ids must be valid (non-zero)."""
    if not 0 < trace_id < 1 << 128 or not 0 < span_id < 1 << 64:
        raise ValueError(f"invalid trace or span id ({trace_id:#x}, {span_id:#x}): no event id to count it by")
    return f"otel:{trace_id:032x}:{span_id:016x}"


def call_from_span(attributes: Mapping[str, Any], *, trace_id: int, span_id: int, end_ns: int | None,
                   name: str = "", resource: Mapping[str, Any] | None = None,
                   tier_attribute: str = TIER_ATTRIBUTE) -> GenAiCall:
    """The call a span records. Raises :class:`NotACall` for a span that is not a billed model call
    and TypeError/ValueError (naming the attribute and value) for one whose attributes cannot be billed."""
    if name.startswith("claude_code."):
        raise NotACall(CLAUDE_CODE_SPAN)
    operation = attributes.get("gen_ai.operation.name")
    # The conventions name these spans "invoke_agent {agent}" / "execute_tool {tool}": an
    # instrumentation that sets the name and not the attribute is not counted twice either.
    if operation in SUMMARY_OPERATIONS or (operation is None and name.split(" ", 1)[0] in SUMMARY_OPERATIONS):
        raise NotACall(SUMMARY)
    if not any(attributes.get(key) is not None for key in _USAGE_KEYS):
        raise NotACall(NO_USAGE)
    provider = text(attributes, "gen_ai.provider.name") or text(attributes, "gen_ai.system")
    usage = otel_usage(attributes, provider)
    model = text(attributes, "gen_ai.response.model") or text(attributes, "gen_ai.request.model")
    if model is None:
        raise NotACall(NO_MODEL)
    session = next((s for key in SESSION_ATTRIBUTES if (s := text(attributes, key, resource))), None)
    tier, ignored = tier_of(attributes, tier_attribute, resource)
    return GenAiCall(
        event_id=event_id(trace_id, span_id),
        ts=end_ns / 1e9 if end_ns else dt.datetime.now(dt.UTC).timestamp(),
        model=model,
        usage=usage,
        tier=tier,
        session=session,
        project=text(attributes, PROJECT_ATTRIBUTE, resource) or "",
        variant=None,
        provider=provider,
        ignored=ignored,
    )


def tier_of(attributes: Mapping[str, Any], key: str, resource: Mapping[str, Any] | None) -> tuple[str, str | None]:
    """The tier the attribute names, else ``default``; a value that is no tier label (a number, a
    name with control characters …) is ignored with a reason, and the call still counts: a label
    mistake must not take its spend out of the total (as LiteLLM's metadata tier)."""
    try:
        tier = text(attributes, key, resource)
        if tier is None:
            return DEFAULT_TIER, None
        check_label("tier", tier)
    except (TypeError, ValueError) as error:
        return DEFAULT_TIER, f"{key} ignored ({error}); counted under tier {DEFAULT_TIER!r}"
    return tier, None


def cache_ttl_unknown(call: GenAiCall) -> bool:
    """Priced on an assumption: cache writes whose TTL the source does not say (OTLP's GenAI
    conventions, Claude Code's events) taken as 5-minute writes. Marked approximate everywhere."""
    return call.usage.cache_write > 0


def record_call(tracker: CostTracker, call: GenAiCall, source: str = SOURCE, approximate: bool = False) -> Event:
    """Record ``call`` (``approximate``: its usage was only estimated, and the Event says so);
    raises TypeError/ValueError (naming the field) when the tracker refuses it. An attribute the
    call was read without is logged once per reason."""
    if call.ignored is not None:
        _say_once(call.ignored)
    return tracker.record(call.model, call.usage, tier=call.tier, session=call.session, event_id=call.event_id,
                          at=dt.datetime.fromtimestamp(call.ts, dt.UTC), variant=call.variant,
                          source=source, project=call.project, approximate=approximate)


@dataclass(frozen=True)
class FeedStats:
    """What a feed did so far (a snapshot)."""

    requests: int = 0  # OTLP export requests accepted (200); 0 for the span processor
    recorded: int = 0  # calls handed to the tracker; their outcome is in ``statuses``
    statuses: dict[str, int] = field(default_factory=dict)  # Event.status -> calls (committed, duplicate …)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> spans or log records not recorded
    approximate: int = 0  # calls priced on an assumption: Claude Code's cache writes at the 5-minute rate
    rejected: dict[int, int] = field(default_factory=dict)  # HTTP status -> requests refused (receiver)


class Counters:
    """Thread-safe counts behind :class:`FeedStats` (the SDK and the HTTP server call from many threads)."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._requests = 0
        self._statuses: Counter[str] = Counter()
        self._skipped: Counter[str] = Counter()
        self._approximate = 0
        self._rejected: Counter[int] = Counter()

    def request(self) -> None:
        with self._lock:
            self._requests += 1

    def recorded(self, event: Event, approximate: bool = False) -> None:
        with self._lock:
            self._statuses[event.status] += 1
            self._approximate += approximate and event.status != DUPLICATE

    def skipped(self, reason: str) -> int:
        """Count one skip; returns how many there were for that reason (1: log it)."""
        with self._lock:
            self._skipped[reason] += 1
            return self._skipped[reason]

    def rejected(self, status: int) -> None:
        with self._lock:
            self._rejected[int(status)] += 1

    def snapshot(self) -> FeedStats:
        with self._lock:
            return FeedStats(self._requests, sum(self._statuses.values()), dict(self._statuses),
                             dict(self._skipped), self._approximate, dict(self._rejected))


__all__ = ["BAD_FIELD", "CLAUDE_CODE_SPAN", "DEFAULT_TIER", "ERROR", "NO_MODEL", "NO_USAGE", "SOURCE", "SUMMARY",
           "Counters", "FeedStats", "GenAiCall", "NotACall", "call_from_span", "count", "record_call", "text"]
