"""Token usage of one model call, in disjoint buckets.

Providers disagree on what "input tokens" means (OpenAI, Gemini and OpenTelemetry count cached
tokens inside the prompt total, Anthropic does not). costpanel keeps its own buckets disjoint so
that each token is billed exactly once; the ``from_*`` adapters in :mod:`costpanel.adapters`
normalise each provider's shape into them.
"""

from __future__ import annotations

from typing import Any

BUCKETS: tuple[str, ...] = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "requests")
TOKEN_BUCKETS: tuple[str, ...] = BUCKETS[:5]
PROMPT_BUCKETS: tuple[str, ...] = BUCKETS[:4]

# Far above any real call (the largest context windows are ~2M tokens); keeps a typo such as
# a timestamp passed as a token count from poisoning a session's totals.
MAX_COUNT = 10**12


def check_count(name: str, value: object) -> int:
    """Return ``value`` if it is a valid token/request count, else raise naming the field."""
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"Usage.{name} must be a non-negative int, got {type(value).__name__} {value!r}")
        value = int(value)  # an int subclass such as numpy's is fine once converted
    if value < 0:
        raise ValueError(f"Usage.{name} must be >= 0, got {value!r}")
    if value > MAX_COUNT:
        raise ValueError(f"Usage.{name} is implausibly large ({value!r} > {MAX_COUNT:,})")
    return value


def _adapter(name: str, doc: str) -> Any:
    """A ``Usage.from_*`` classmethod that calls ``costpanel.adapters.<name>``."""

    def convert(cls: type, payload: Any) -> Usage:
        from . import adapters

        result: Usage = getattr(adapters, name)(payload)
        return result

    convert.__name__ = convert.__qualname__ = name
    convert.__doc__ = doc
    return classmethod(convert)


class Usage(tuple):
    """Immutable token counts of one call.

    ``input`` is the uncached prompt; ``cache_read``/``cache_write``/``cache_write_1h`` are the
    cached parts (5-minute and 1-hour writes); ``output`` includes reasoning tokens; ``requests``
    counts billable requests (per-request fees), 1 by default.

    A tuple subclass so that creating one costs a fraction of a microsecond on the hot path.
    """

    __slots__ = ()

    def __new__(
        cls,
        input: int = 0,
        output: int = 0,
        cache_read: int = 0,
        cache_write: int = 0,
        cache_write_1h: int = 0,
        requests: int = 1,
    ) -> Usage:
        t = int
        if not (
            type(input) is t
            and type(output) is t
            and type(cache_read) is t
            and type(cache_write) is t
            and type(cache_write_1h) is t
            and type(requests) is t
            and 0 <= input <= MAX_COUNT
            and 0 <= output <= MAX_COUNT
            and 0 <= cache_read <= MAX_COUNT
            and 0 <= cache_write <= MAX_COUNT
            and 0 <= cache_write_1h <= MAX_COUNT
            and 0 <= requests <= MAX_COUNT
        ):
            input = check_count("input", input)
            cache_read = check_count("cache_read", cache_read)
            cache_write = check_count("cache_write", cache_write)
            cache_write_1h = check_count("cache_write_1h", cache_write_1h)
            output = check_count("output", output)
            requests = check_count("requests", requests)
        # Stored in BUCKETS order.
        return tuple.__new__(cls, (input, cache_read, cache_write, cache_write_1h, output, requests))

    # Field access by name; tuple indexing stays available for the hot path.
    input = property(lambda self: self[0], doc="Uncached prompt tokens.")
    cache_read = property(lambda self: self[1], doc="Prompt tokens read from the cache.")
    cache_write = property(lambda self: self[2], doc="Prompt tokens written to a 5-minute cache.")
    cache_write_1h = property(lambda self: self[3], doc="Prompt tokens written to a 1-hour cache.")
    output = property(lambda self: self[4], doc="Output tokens, reasoning included.")
    requests = property(lambda self: self[5], doc="Billable requests.")

    @property
    def prompt_tokens(self) -> int:
        """All prompt tokens, cached or not: what a provider's price cliffs are measured on."""
        return self[0] + self[1] + self[2] + self[3]

    @property
    def total_tokens(self) -> int:
        return self[0] + self[1] + self[2] + self[3] + self[4]

    def as_dict(self) -> dict[str, int]:
        return dict(zip(BUCKETS, self))

    def __add__(self, other: object) -> Usage:  # type: ignore[override]
        if not isinstance(other, Usage):
            return NotImplemented
        return tuple.__new__(Usage, tuple(a + b for a, b in zip(self, other)))

    def __mul__(self, other: object) -> Any:  # a tuple would repeat itself; that is never wanted
        return NotImplemented

    __rmul__ = __mul__

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={v}" for k, v in zip(BUCKETS, self) if v or k in ("input", "output"))
        return f"Usage({parts})"

    def __getnewargs__(self) -> tuple[int, ...]:  # pickling: __new__ takes keyword order, not BUCKETS order
        return (self[0], self[4], self[1], self[2], self[3], self[5])

    # Provider adapters (implemented in costpanel.adapters, imported on first use).
    from_openai = _adapter("from_openai", "Chat Completions or Responses usage (SDK object or dict): cached tokens moved out of input.")
    from_anthropic = _adapter("from_anthropic", "Anthropic Messages usage: input already excludes the cache; 5m and 1h writes split.")
    from_gemini = _adapter("from_gemini", "Gemini ``usage_metadata``: cached tokens moved out of the prompt; thoughts billed as output.")
    from_litellm = _adapter("from_litellm", "LiteLLM's OpenAI-shaped usage, including its Anthropic cache fields when present.")
    from_otel = _adapter("from_otel", "OpenTelemetry GenAI span attributes (``gen_ai.usage.*``).")
