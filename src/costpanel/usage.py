"""Token usage of one model call, in disjoint buckets.

Providers disagree on what "input tokens" means (OpenAI, Gemini and OpenTelemetry count cached
tokens inside the prompt total, Anthropic does not). costpanel keeps its own buckets disjoint so
that each token is billed exactly once; the ``from_*`` adapters in :mod:`costpanel.adapters`
normalise each provider's shape into them.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple


class Bucket(NamedTuple):
    """One kind of billable usage. :data:`REGISTRY` is the single list of them: ``Usage``, the
    tracker's cells, row types, export and report columns, the ledger's column lists and the
    compiled rates all derive from it."""

    name: str  # attribute, column and price-file field name
    label: str  # for people (table headers)
    doc: str
    unit: str  # "tokens" or "requests"
    in_prompt: bool  # part of the prompt a long-context price cliff is measured on
    price_field: str  # the price file's field (USD per 1M tokens, or per 1,000 requests)
    default: int = 0  # what ``Usage(...)`` assumes when it is not given


# Storage order of a Usage tuple, a tracker cell and a ledger row. To add a bucket, append it here,
# add a ledger migration for its column and its price field in pricing/schema.py; record() prices
# buckets by position, so extend its cost line too (an import-time check in tracker.py says so).
REGISTRY: tuple[Bucket, ...] = (
    Bucket("input", "Input", "Uncached prompt tokens.", "tokens", True, "input"),
    Bucket("cache_read", "Cache read", "Prompt tokens read from the cache.", "tokens", True, "cache_read"),
    Bucket("cache_write", "Cache write (5 min)", "Prompt tokens written to a 5-minute cache.", "tokens", True,
           "cache_write"),
    Bucket("cache_write_1h", "Cache write (1 h)", "Prompt tokens written to a 1-hour cache.", "tokens", True,
           "cache_write_1h"),
    Bucket("output", "Output", "Output tokens, reasoning included.", "tokens", False, "output"),
    Bucket("requests", "Requests", "Billable requests (per-request fees).", "requests", False, "per_1k_requests",
           default=1),
    Bucket("web_search", "Web searches", "Server-side web searches the provider bills per 1,000.", "requests", False,
           "web_search_per_1k"),
)
BUCKETS: tuple[str, ...] = tuple(b.name for b in REGISTRY)
TOKEN_BUCKETS: tuple[str, ...] = tuple(b.name for b in REGISTRY if b.unit == "tokens")
PROMPT_BUCKETS: tuple[str, ...] = tuple(b.name for b in REGISTRY if b.in_prompt)
# Usage(...)'s positional order: input and output first (``Usage(1200, 300)``), then the rest.
USAGE_ARGS: tuple[str, ...] = ("input", "output", *(b for b in BUCKETS if b not in ("input", "output")))

# Far above any real call (the largest context windows are ~10M tokens); keeps a typo such as
# a timestamp passed as a token count (1.7e9 s) from poisoning a session's totals, and any one
# call's exact cost within the ledger's 64-bit integers ($600/M tokens in every bucket: ~$4.2M).
MAX_COUNT = 10**9


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


def _make_new() -> Any:
    """``Usage.__new__`` written out for the registry's buckets, as ``namedtuple`` does: one
    chained fast check (built-in ints in range), and per-field errors only when it fails.
    A loop over the buckets would cost a microsecond per ``Usage(...)`` on the agent's hot path."""
    params = ", ".join(f"{b.name}={b.default}" for b in sorted(REGISTRY, key=lambda b: USAGE_ARGS.index(b.name)))
    fast = " and ".join([f"type({n}) is int" for n in BUCKETS] + [f"0 <= {n} <= MAX_COUNT" for n in BUCKETS])
    slow = "".join(f"        {n} = check_count({n!r}, {n})\n" for n in BUCKETS)
    source = (f"def __new__(cls, {params}):\n"
              f"    if not ({fast}):\n{slow}"
              f"    return tuple_new(cls, ({', '.join(BUCKETS)},))\n")
    namespace: dict[str, Any] = {"MAX_COUNT": MAX_COUNT, "check_count": check_count, "tuple_new": tuple.__new__}
    exec(source, namespace)  # noqa: S102 - our own text, built from the registry above
    return namespace["__new__"]


def _adapter(name: str, doc: str) -> Any:
    """A ``Usage.from_*`` classmethod that calls ``costpanel.adapters.<name>``."""

    def convert(cls: type, payload: Any) -> Usage:
        from . import adapters

        result: Usage = getattr(adapters, name)(payload)
        return result

    convert.__name__ = convert.__qualname__ = name
    convert.__doc__ = doc
    return classmethod(convert)


_PROMPT = itemgetter(*(BUCKETS.index(n) for n in PROMPT_BUCKETS))
_TOKENS = itemgetter(*(BUCKETS.index(n) for n in TOKEN_BUCKETS))
_NEW_ARGS = itemgetter(*(BUCKETS.index(n) for n in USAGE_ARGS))


class Usage(tuple):
    """Immutable counts of one call, one per bucket of :data:`REGISTRY`.

    ``Usage(input=1200, output=300, cache_read=..., cache_write=..., cache_write_1h=...,
    requests=1)``: ``input`` is the uncached prompt; ``cache_read``/``cache_write``/
    ``cache_write_1h`` are the cached parts (5-minute and 1-hour writes); ``output`` includes
    reasoning tokens; ``requests`` counts billable requests (per-request fees), 1 by default;
    ``web_search`` counts server-side web searches (billed per 1,000 where the provider does).

    A tuple subclass (stored in ``BUCKETS`` order) so creating one costs a fraction of a
    microsecond on the hot path; the fields are also readable by name.
    """

    __slots__ = ()
    __new__ = _make_new()

    if TYPE_CHECKING:  # for type checkers only: at run time each is a property made from REGISTRY below
        input: int
        cache_read: int
        cache_write: int
        cache_write_1h: int
        output: int
        requests: int
        web_search: int

        def __new__(cls, input: int = 0, output: int = 0, cache_read: int = 0, cache_write: int = 0,
                    cache_write_1h: int = 0, requests: int = 1, web_search: int = 0) -> Usage: ...

    @property
    def prompt_tokens(self) -> int:
        """All prompt tokens, cached or not: what a provider's price cliffs are measured on."""
        return sum(_PROMPT(self))

    @property
    def total_tokens(self) -> int:
        return sum(_TOKENS(self))

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
        # every count that differs from its default (requests defaults to 1): eval(repr(u)) == u
        parts = ", ".join(f"{k}={v}" for k, v in zip(BUCKETS, self)
                          if k in ("input", "output") or v != (1 if k == "requests" else 0))
        return f"Usage({parts})"

    def __getnewargs__(self) -> tuple[int, ...]:  # pickling: __new__ takes USAGE_ARGS order
        return _NEW_ARGS(self)  # type: ignore[no-any-return]

    # Provider adapters (implemented in costpanel.adapters, imported on first use).
    from_openai = _adapter("from_openai", "Chat Completions or Responses usage (SDK object or dict): cached tokens moved out of input.")
    from_anthropic = _adapter("from_anthropic", "Anthropic Messages usage: input already excludes the cache; 5m and 1h writes split.")
    from_gemini = _adapter("from_gemini", "Gemini ``usage_metadata``: cached tokens moved out of the prompt; thoughts billed as output.")
    from_litellm = _adapter("from_litellm", "LiteLLM's OpenAI-shaped usage, including its Anthropic cache fields when present.")
    from_otel = _adapter("from_otel", "OpenTelemetry GenAI span attributes (``gen_ai.usage.*``).")


# Field access by name (``usage.cache_read``); indexing stays available for the hot path.
for _k, _b in enumerate(REGISTRY):
    setattr(Usage, _b.name, property(itemgetter(_k), doc=_b.doc))
del _k, _b
