"""Price variants a call can carry: batch, a service tier (``flex``, ``priority``, ``ultrafast``),
Anthropic's fast mode, a data-residency or regional surcharge.

A call's variant is a name, or several joined by ``+`` when they stack (``fast+us``); the catalog
says what each costs for each model (``pricing/*.toml``). The provider's words for the standard
price (``standard``, ``default``) mean no variant. Plain Python: it is on ``import costpanel``'s path.
"""

from __future__ import annotations

from collections.abc import Iterable

# Values providers report for the ordinary price: OpenAI's ``service_tier`` "default" (and the
# request's "auto"), Anthropic's "standard" service tier and speed.
STANDARD = frozenset(("standard", "default", "auto"))
# The variant of a call whose provider named a tier that is not a variant name ("us east", a
# clash): its tokens are counted, unpriced (no price file may define it), never dropped or priced standard.
UNREADABLE = "unreadable"
MAX_VARIANT = 120
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")

# Parts no call can carry together: a variant stacking two of one group is refused (ValueError),
# never priced by multiplying made-up factors. A call is processed in one service tier (OpenAI's
# batch, flex, priority and ultrafast, Gemini's batch, flex and priority; Anthropic's Message
# Batches and Priority Tier); Anthropic's
# fast mode is a synchronous Messages API option, not offered through the Batch API; and a call
# goes through one endpoint: the Anthropic API with US-only inference (``inference_geo``), a
# Bedrock regional (geo) profile or Bedrock GovCloud.
EXCLUSIVE: tuple[frozenset[str], ...] = (
    frozenset(("batch", "flex", "priority", "ultrafast")),
    frozenset(("batch", "fast")),
    frozenset(("us", "regional", "govcloud")),
)
# Why each group excludes, as the error says it (after "a and b").
_WHY = dict(zip(EXCLUSIVE, (
    "are service tiers; a call has one",
    "do not stack: a batch runs neither in Anthropic's fast mode nor in OpenAI's Fast tier",
    ("are different endpoints (Anthropic API US-only inference, Bedrock regional, Bedrock GovCloud); "
     "a call goes through one"),
), strict=True))


def clashes(parts: set[str] | frozenset[str]) -> bool:
    """Whether ``parts`` stack two of one group (:data:`EXCLUSIVE`)."""
    return any(len(group.intersection(parts)) > 1 for group in EXCLUSIVE)


def _check_exclusive(name: str, parts: Iterable[str], said: str = "") -> None:
    """Raise ValueError naming ``name`` and the clash when ``parts`` stack two of one group
    (``said``: what the message tells first, e.g. which part an alias stands for)."""
    for group in EXCLUSIVE:
        clash = sorted(group.intersection(parts))
        if len(clash) > 1:
            both = ", ".join(clash[:-1]) + " and " + clash[-1]
            raise ValueError(f"variant {name!r}: {said + '; ' if said else ''}{both} {_WHY[group]}")


def canonical_variant(value: object) -> str | None:
    """``value`` as the catalog names it: lower case, parts sorted (``US+Fast`` -> ``fast+us``), or
    None for the standard price. Raises TypeError/ValueError naming the field and value, and
    ValueError for parts no call can carry together (:data:`EXCLUSIVE`, e.g. ``batch+flex``)."""
    if value is None:
        return None
    if type(value) is not str:
        raise TypeError(f"variant must be a str or None, got {type(value).__name__} {value!r}")
    if len(value) > MAX_VARIANT:
        raise ValueError(f"variant is {len(value):,} characters long (at most {MAX_VARIANT}): {value[:40]!r}...")
    parts = {p.strip().lower() for p in value.split("+")}
    for part in parts:
        if not part or part[0] in "_-" or not _NAME_CHARS.issuperset(part):
            raise ValueError(f"variant {value!r}: each part must be a name of letters, digits, '-' or '_' "
                             "(several joined by '+', e.g. 'batch' or 'fast+us')")
    parts -= STANDARD
    if len(parts) > 1:
        _check_exclusive(value, parts)
    return "+".join(sorted(parts)) or None


def check_aliased(name: str, parts: list[tuple[str, str]]) -> None:
    """Raise ValueError when ``parts`` ((as the call said it, as the model's price file names it)
    pairs) name one variant twice or stack two of one group once a provider's aliases are read as
    the variants they name: OpenAI's ``fast`` is its ``priority``, so ``fast+flex`` is two tiers."""
    own = [target for _, target in parts]
    said = ", ".join(f"{given} is the provider's name for {target}" for given, target in parts if given != target)
    if len(set(own)) < len(own):
        twice = next(t for t in own if own.count(t) > 1)
        raise ValueError(f"variant {name!r}: {said}, so it names {twice} twice")
    _check_exclusive(name, own, said)


def combine(*variants: str | None) -> str | None:
    """Stack variants (one implied by the model's name, one the call carries) into one canonical name.
    Raises ValueError when they stack parts no call can carry together (:data:`EXCLUSIVE`), e.g. the
    Bedrock ``regional`` a ``us.`` profile implies with the Anthropic API's ``us``."""
    parts = {p for v in variants if v for p in v.split("+")}
    name = "+".join(sorted(parts)) or None
    if len(parts) > 1:
        _check_exclusive(name, parts)  # type: ignore[arg-type]
    return name
