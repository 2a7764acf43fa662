"""Price variants a call can carry: batch, a service tier (``flex``, ``priority``), Anthropic's fast
mode, a data-residency or regional surcharge.

A call's variant is a name, or several joined by ``+`` when they stack (``fast+us``); the catalog
says what each costs for each model (``pricing/*.toml``). The provider's words for the standard
price (``standard``, ``default``) mean no variant. Plain Python: it is on ``import costpanel``'s path.
"""

from __future__ import annotations

# Values providers report for the ordinary price: OpenAI's ``service_tier`` "default" (and the
# request's "auto"), Anthropic's "standard" service tier and speed.
STANDARD = frozenset(("standard", "default", "auto"))
MAX_VARIANT = 120
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


def canonical_variant(value: object) -> str | None:
    """``value`` as the catalog names it: lower case, parts sorted (``US+Fast`` -> ``fast+us``), or
    None for the standard price. Raises TypeError/ValueError naming the field and value."""
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
    return "+".join(sorted(parts)) or None


def combine(*variants: str | None) -> str | None:
    """Stack variants (one implied by the model's name, one the call carries) into one canonical name."""
    parts = {p for v in variants if v for p in v.split("+")}
    return "+".join(sorted(parts)) or None
