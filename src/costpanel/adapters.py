"""Normalise each provider's usage payload into costpanel's disjoint :class:`~costpanel.usage.Usage`.

Every adapter takes either an SDK object (attribute access: openai / anthropic / google-genai
/ litellm types, any pydantic model) or parsed JSON (dicts), and either the usage block itself
or a whole response that carries it. Missing or ``None`` counts are 0. Anything that is not a
plain non-negative int, and any cached count larger than the total that should contain it,
raises ``ValueError`` naming the provider's field and value: a wrong bill is worse than none,
so nothing is clamped.

Server-side web searches (the ``web_search`` bucket) are read where the payload reports them:
Anthropic's and LiteLLM's ``usage.server_tool_use.web_search_requests``; OpenAI's Responses
``output`` items and Gemini's grounding metadata, which only a whole response carries (pass the
response, not its ``usage``, to count them). :func:`variant_of` reads the price variant a call
was billed under (``service_tier``, ``speed``, ``inference_geo``) for ``CostTracker.record``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .usage import MAX_COUNT, Usage
from .variants import UNREADABLE, canonical_variant, combine

__all__ = ["from_anthropic", "from_gemini", "from_litellm", "from_openai", "from_otel", "variant_of",
           "variant_or_unreadable"]


def _get(obj: Any, *path: str) -> Any:
    """``obj[a][b]`` for mappings, ``obj.a.b`` for objects; ``None`` as soon as a step is missing."""
    for key in path:
        if obj is None:
            return None
        obj = obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)
    return obj


class CountTypeError(TypeError, ValueError):
    """A token count of the wrong type (a float, a bool, a string): a TypeError, as ``Usage()``
    raises for one, and still a ValueError, as the adapters raised before."""


def _field(obj: Any, *names: str, flat: bool = False) -> tuple[str, int | None]:
    """The first present field among dotted ``names`` and its validated count (``None`` if absent).

    ``flat`` treats each name as one key: OpenTelemetry attribute names contain dots. Only
    there may a count be a string of ASCII digits, because OTLP/JSON encodes int64 as strings.
    """
    for name in names:
        value = _get(obj, name) if flat else _get(obj, *name.split("."))
        if value is None:
            continue
        if flat and isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise CountTypeError(f"{name} must be a non-negative integer, got {type(value).__name__} {value!r}")
        if not 0 <= value <= MAX_COUNT:
            raise ValueError(f"{name} must be between 0 and {MAX_COUNT:,}, got {value!r}")
        return name, int(value)
    return names[0], None


def _named(obj: Any, *names: str, flat: bool = False) -> tuple[str, int]:
    """Like :func:`_field`, with a missing count read as 0."""
    name, value = _field(obj, *names, flat=flat)
    return name, value or 0


def _count(obj: Any, *names: str, flat: bool = False) -> int:
    return _named(obj, *names, flat=flat)[1]


def _within(whole: tuple[str, int], *parts: tuple[str, int]) -> int:
    """``whole`` minus ``parts``; raises naming every field if the parts do not fit inside it."""
    rest = whole[1] - sum(value for _, value in parts)
    if rest < 0:
        named = " + ".join(f"{name} ({value})" for name, value in parts if value)  # the parts that count
        raise ValueError(f"{named} exceeds {whole[0]} ({whole[1]})")
    return rest


def _unwrap(obj: Any, provider: str, markers: tuple[str, ...], members: tuple[str, ...] = ("usage",),
            received: Any = None) -> Any:
    """The usage block: ``obj`` itself if it has a usage field, else its ``usage``-like member."""
    for candidate in (obj, *(_get(obj, m) for m in members)):
        if candidate is not None and any(_get(candidate, key) is not None for key in markers):
            return candidate
    received = obj if received is None else received
    text = repr(received)
    text = text if len(text) <= 80 else text[:77] + "..."
    holder = f" or a response whose {' / '.join(members)} holds one" if members else ""
    raise TypeError(
        f"from_{provider}() needs a usage mapping or object with one of {', '.join(markers)}{holder}; "
        f"got {type(received).__name__}: {text}"
    )


def _cache_writes(obj: Any, totals: tuple[str, ...], detail: str) -> tuple[int, int]:
    """(5-minute, 1-hour) cache writes from Anthropic's total and its optional TTL breakdown.

    The total is authoritative for the sum; what the breakdown leaves unexplained was written
    with the default 5-minute TTL. Without a total the breakdown stands on its own.
    """
    w5 = _named(obj, f"{detail}.ephemeral_5m_input_tokens")
    w1h = _named(obj, f"{detail}.ephemeral_1h_input_tokens")
    total_name, total = _field(obj, *totals)
    if total is None:
        return w5[1], w1h[1]
    return _within((total_name, total), w5, w1h) + w5[1], w1h[1]


def _openai_web_searches(obj: Any) -> int:
    """Web search tool calls of a whole Responses API response: its ``output`` items of type
    ``web_search_call`` (OpenAI bills the web search tool per call, whatever the call's action).

    A usage block alone carries no such count, so it gives 0. Chat Completions' search models
    (``gpt-4o-search-preview`` …) bill search per request through the model's own price, so a
    chat completion gives 0 here too. An ``output`` that is not a list (another provider's shape
    under the same name) counts nothing.
    """
    items = _get(obj, "output")
    if not isinstance(items, (list, tuple)):
        return 0
    return sum(1 for item in items if _get(item, "type") == "web_search_call")


def from_openai(obj: Any) -> Usage:
    """OpenAI Chat Completions (``prompt_tokens``) or Responses API (``input_tokens``) usage.

    Both count cached tokens inside the prompt total and reasoning tokens inside the output,
    so only the cached parts have to move: input = prompt - cached - cache writes (``cache_write_tokens``,
    which OpenAI reports and bills from GPT-5.6 on). Given a whole Responses API
    response, its ``web_search_call`` output items are the ``web_search`` count.
    """
    u = _unwrap(obj, "openai", ("prompt_tokens", "completion_tokens", "input_tokens", "output_tokens"))
    chat = _get(u, "prompt_tokens") is not None or _get(u, "completion_tokens") is not None
    prompt, out = ("prompt_tokens", "completion_tokens") if chat else ("input_tokens", "output_tokens")
    cached = _named(u, f"{prompt}_details.cached_tokens")
    written = _named(u, f"{prompt}_details.cache_write_tokens")  # billed apart from GPT-5.6 on
    return Usage(input=_within(_named(u, prompt), cached, written), cache_read=cached[1], cache_write=written[1],
                 output=_count(u, out), web_search=_openai_web_searches(obj))


def from_anthropic(obj: Any) -> Usage:
    """Anthropic Messages usage: ``input_tokens`` already excludes cache reads and writes.

    Cache writes are split by TTL using ``cache_creation`` when the API sends it. Web searches
    are ``server_tool_use.web_search_requests`` ($10 per 1,000 at Anthropic). Its sibling
    ``web_fetch_requests`` is not read: "Web fetch usage has no additional charges beyond standard
    token costs" (platform.claude.com/docs/en/agents-and-tools/tool-use/web-fetch-tool), and the
    fetched pages are already in ``input_tokens``.
    """
    markers = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    u = _unwrap(obj, "anthropic", markers)
    w5, w1h = _cache_writes(u, ("cache_creation_input_tokens",), "cache_creation")
    return Usage(
        input=_count(u, "input_tokens"),
        cache_read=_count(u, "cache_read_input_tokens"),
        cache_write=w5,
        cache_write_1h=w1h,
        output=_count(u, "output_tokens"),
        web_search=_count(u, "server_tool_use.web_search_requests"),
    )


ADVISOR_ITERATION = "advisor_message"


def anthropic_advisors(obj: Any) -> list[tuple[str, Usage]]:
    """The advisor calls inside an Anthropic response (the advisor tool, ``advisor_20260301``):
    ``(advisor model, its usage)`` for each ``usage.iterations[]`` entry of type
    ``advisor_message``. Their tokens are outside the response's top-level usage (the executor's,
    which :func:`from_anthropic` reads) and billed at the advisor model's prices, so record each as
    a call of its own: ``for model, usage in anthropic_advisors(msg): tracker.record(model, usage)``.
    An entry without a model raises ValueError (its price is unknown: never priced as the executor).
    """
    u = _unwrap(obj, "anthropic", ("input_tokens", "output_tokens", "iterations"))
    iterations = _get(u, "iterations") or ()
    found: list[tuple[str, Usage]] = []
    for n, entry in enumerate(iterations):
        if _get(entry, "type") != ADVISOR_ITERATION:
            continue
        model = _get(entry, "model")
        if not isinstance(model, str) or not model:
            raise ValueError(f"usage.iterations[{n}]: an advisor_message without a model: its price is unknown")
        found.append((model, from_anthropic(entry)))
    return found


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def from_gemini(obj: Any) -> Usage:
    """Gemini ``usage_metadata`` (python SDK, snake_case) or ``usageMetadata`` (REST, camelCase).

    ``prompt_token_count`` includes ``cached_content_token_count``; ``tool_use_prompt_token_count``
    (tool results fed back to the model) is outside it but billed as input; ``thoughts_token_count``
    is outside ``candidates_token_count`` but billed as output.

    Given a whole response, Grounding with Google Search fills ``web_search``: see
    :func:`_gemini_web_searches`. ``usage_metadata`` alone carries no search count (0).
    """
    keys = ("prompt_token_count", "candidates_token_count", "total_token_count")
    u = _unwrap(obj, "gemini", keys + tuple(map(_camel, keys)), ("usage_metadata", "usageMetadata"))

    def field(name: str) -> tuple[str, int]:
        return _named(u, name, _camel(name))

    cached = field("cached_content_token_count")
    return Usage(
        input=_within(field("prompt_token_count"), cached) + field("tool_use_prompt_token_count")[1],
        cache_read=cached[1],
        output=field("candidates_token_count")[1] + field("thoughts_token_count")[1],
        web_search=_gemini_web_searches(obj),
    )


def _gemini_web_searches(response: Any) -> int:
    """Billable Google Search groundings of a whole ``GenerateContentResponse``.

    "When you use Grounding with Google Search with Gemini 3, your project is billed for each
    search query that the model decides to execute [...] For billing purposes, we ignore the empty
    web search queries when counting unique queries. [...] with Gemini 2.5 or older models, your
    project is billed per prompt." (ai.google.dev/gemini-api/docs/google-search#pricing). So: the
    distinct non-empty ``candidates[].grounding_metadata.web_search_queries`` (``groundingMetadata
    .webSearchQueries`` in REST JSON); at most 1 when ``model_version`` names a Gemini 1.x or 2.x
    model. Without a ``model_version`` the Gemini 3 rule (per query) applies.
    """
    candidates = _get(response, "candidates")
    if not isinstance(candidates, (list, tuple)):
        return 0
    queries: set[str] = set()
    for candidate in candidates:
        for meta in ("grounding_metadata", "groundingMetadata"):
            for key in ("web_search_queries", "webSearchQueries"):
                found = _get(candidate, meta, key)
                if found is None:
                    continue
                if not isinstance(found, (list, tuple)) or not all(isinstance(q, str) for q in found):
                    raise ValueError(f"{meta}.{key} must be a list of strings, got {type(found).__name__} "
                                     f"{found!r:.80}")
                queries.update(q.strip() for q in found if q.strip())
    version = _get(response, "model_version") or _get(response, "modelVersion")
    if isinstance(version, str):
        major = re.search(r"(?:^|/)gemini-(\d+)", version.lower())
        if major and int(major.group(1)) < 3:
            return min(len(queries), 1)
    return len(queries)


def from_litellm(obj: Any) -> Usage:
    """LiteLLM's OpenAI-shaped ``Usage``, including the cache fields it adds for Anthropic models.

    ``prompt_tokens`` includes ``prompt_tokens_details.cached_tokens`` (= ``cache_read_input_tokens``).
    Whether it also includes ``cache_creation_input_tokens`` depends on the LiteLLM version: the
    current Anthropic transformation (``AnthropicConfig.calculate_usage`` in
    ``litellm/llms/anthropic/chat/transformation.py``) adds cache reads and writes, and LiteLLM's
    own cost maths (``generic_cost_per_token``) bills ``prompt_tokens - cached_tokens -
    cache_creation_tokens`` as uncached; some 2025 releases (v1.74, BerriAI/litellm#13207) added
    only the reads. So writes are subtracted when they fit inside what is left of
    ``prompt_tokens`` and taken as outside it when they cannot; no token is counted twice.
    Web searches are ``server_tool_use.web_search_requests`` (``litellm.types.utils.ServerToolUse``,
    filled from Anthropic's usage) when present.
    """
    u = _unwrap(obj, "litellm", ("prompt_tokens", "completion_tokens"))
    read = _named(u, "prompt_tokens_details.cached_tokens", "cache_read_input_tokens")
    totals = ("cache_creation_input_tokens", "prompt_tokens_details.cache_creation_tokens")
    w5, w1h = _cache_writes(u, totals, "prompt_tokens_details.cache_creation_token_details")
    uncached = _within(_named(u, "prompt_tokens"), read)
    if w5 + w1h <= uncached:
        uncached -= w5 + w1h
    return Usage(input=uncached, cache_read=read[1], cache_write=w5, cache_write_1h=w1h,
                 output=_count(u, "completion_tokens"), web_search=_count(u, "server_tool_use.web_search_requests"))


_OTEL_INPUT = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")  # the latter: pre-rename name
_OTEL_OUTPUT = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")


def from_otel(attributes: Any) -> Usage:
    """OpenTelemetry GenAI span attributes (``gen_ai.usage.*``).

    Takes the attribute mapping, a span with ``.attributes`` / ``"attributes"``, or OTLP/JSON's
    ``[{"key": ..., "value": {"intValue": "12"}}]`` list. Per the GenAI semantic conventions
    ``gen_ai.usage.input_tokens`` SHOULD include all input tokens, and both
    ``gen_ai.usage.cache_read.input_tokens`` and ``gen_ai.usage.cache_creation.input_tokens``
    SHOULD be included in it, so both are subtracted. The conventions carry no cache TTL, so
    writes count as 5-minute writes. Counts may be ints or ASCII-digit strings (OTLP/JSON int64).
    The conventions define no web search count either, so ``web_search`` stays 0.
    """
    attrs = attributes if isinstance(attributes, (list, tuple)) else _get(attributes, "attributes")
    attrs = attributes if attrs is None else attrs
    if isinstance(attrs, (list, tuple)):
        pairs = [(_get(a, "key"), _get(a, "value")) for a in attrs]
        attrs = {k: next(iter(v.values()), None) if isinstance(v, Mapping) else v for k, v in pairs}
    u = _unwrap(attrs, "otel", _OTEL_INPUT + _OTEL_OUTPUT, (), received=attributes)
    read = _named(u, "gen_ai.usage.cache_read.input_tokens", flat=True)
    # renamed cache_write in the newest drafts: either name
    write = _named(u, "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_write.input_tokens", flat=True)
    return Usage(
        input=_within(_named(u, *_OTEL_INPUT, flat=True), read, write),
        cache_read=read[1],
        cache_write=write[1],
        output=_count(u, *_OTEL_OUTPUT, flat=True),
    )


# Field values that mean "no variant" beyond costpanel.variants.STANDARD (standard / default / auto):
# Anthropic's ``inference_geo`` when the request ran anywhere ("global") or the API cannot say.
_NO_VARIANT = {"inference_geo": frozenset(("global", "not_available"))}
_VARIANT_FIELDS = ("service_tier", "speed", "inference_geo")


def variant_of(payload: Any) -> str | None:
    """The price variant a provider response says its call was billed under, for
    ``CostTracker.record(..., variant=...)``; None for the standard price.

    Reads, from the response or its ``usage`` (SDK object or dict; the response's own field wins):

    - ``service_tier``: OpenAI Chat Completions and Responses (top level: ``flex``, ``priority``,
      ``scale``; ``default`` / ``auto`` are standard) and Anthropic ``usage`` (``priority``,
      ``batch``; ``standard`` is standard);
    - ``speed`` (Anthropic ``usage``): ``fast``; ``standard`` is standard;
    - ``inference_geo`` (Anthropic ``usage``): ``us`` (US-only inference); ``global`` and
      ``not_available`` are standard.

    Several stack into one canonical name (fast mode run in the US: ``"fast+us"``). Any other string
    passes through lower-cased, so a value the catalog does not price leaves the call unpriced rather
    than silently standard. Values that are not strings (``None``, a number, an enum the SDK did not
    map) are ignored; a string that is not a variant name (``"us east"``) raises ``ValueError``
    naming the field, and so do fields no call can carry together (``flex`` with ``batch``; see
    :data:`costpanel.variants.EXCLUSIVE`).
    """
    usage = _get(payload, "usage")
    parts: list[str | None] = []
    for name in _VARIANT_FIELDS:
        value = _get(payload, name)
        if not isinstance(value, str):
            value = _get(usage, name)
        if not isinstance(value, str):
            continue
        if value.strip().lower() in _NO_VARIANT.get(name, ()):
            continue
        try:
            parts.append(canonical_variant(value))
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    return combine(*parts)


def variant_or_unreadable(payload: Any) -> tuple[str | None, str | None]:
    """:func:`variant_of` for a feed that counts every call whatever its tier says: ``(variant,
    None)``, or, for a tier that is no variant name (or two that clash), ``(UNREADABLE, why)`` —
    the call is then counted unpriced (no price file may define that variant), never dropped."""
    try:
        return variant_of(payload), None
    except (TypeError, ValueError) as error:
        return UNREADABLE, str(error)
