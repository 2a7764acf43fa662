"""Turn LiteLLM's public price list into a costpanel override file.

LiteLLM publishes ``model_prices_and_context_window.json``: one JSON object whose keys are
model names (often with a routing prefix such as ``gemini/`` or ``azure/``) and whose values
hold per-token prices in USD as floats (``"input_cost_per_token": 2.5e-06``).
:func:`convert_litellm` turns the chat-style entries into the text of a ``ProviderFile`` TOML
(``provider = "litellm"``) that a user can drop into their config directory, and says why every
other entry was left out.

Mapping (USD per token -> USD per 1M tokens, exactly: ``Decimal(repr(float))`` x 1,000,000):

===============================================================  ====================
LiteLLM field                                                    costpanel field
===============================================================  ====================
``input_cost_per_token``                                         ``input``
``output_cost_per_token``                                        ``output``
``cache_read_input_token_cost``                                  ``cache_read``
``cache_creation_input_token_cost``                              ``cache_write``
``cache_creation_input_token_cost_above_1hr``                    ``cache_write_1h``
``input_cost_per_request`` (USD per request)                     ``per_1k_requests``
``<field>_above_<N>k_tokens`` / ``<field>_above_<N>_tokens``     a cliff tier above N
===============================================================  ====================

A cliff tier carries a full rate set: a bucket LiteLLM gives no tier price for is filled with
the model's base price, which is what LiteLLM itself charges (and the period's ``note`` says
so). LiteLLM compares the prompt with ``>`` except for xAI, which it bills from the threshold
inclusive; such tiers are written as ``above_prompt_tokens = N - 1``.

Left out, each with a reason: ``sample_spec``; modes other than chat / completion / responses
(an entry without ``mode`` is kept when it has token prices); entries without both token
prices; entries priced by a ``tiered_pricing`` table; negative, non-numeric or non-finite
prices; ids costpanel cannot use; and names ``skip_known`` claims for the bundled catalog.
Service-tier variants (``_priority``, ``_flex``, ``_batches``), audio / image / reasoning token
prices, per-query search fees and regional uplifts are not imported.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from costpanel.pricing.schema import MAX_DECIMALS, ModelSpec

__all__ = ["DEFAULT_SOURCE", "ImportResult", "convert_litellm", "load_litellm_json"]

DEFAULT_SOURCE = "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"

PROVIDER = "litellm"
DISPLAY_NAME = "LiteLLM import"

CHAT_MODES = frozenset({"chat", "completion", "responses"})

# costpanel rate field -> LiteLLM base field, in the order they are written.
RATE_FIELDS: tuple[tuple[str, str], ...] = (
    ("input", "input_cost_per_token"),
    ("output", "output_cost_per_token"),
    ("cache_read", "cache_read_input_token_cost"),
    ("cache_write", "cache_creation_input_token_cost"),
    ("cache_write_1h", "cache_creation_input_token_cost_above_1hr"),
)
_RATE_FOR_LITELLM = {litellm: ours for ours, litellm in RATE_FIELDS}

REQUEST_FIELD = "input_cost_per_request"
REASONING_FIELD = "output_cost_per_reasoning_token"

# ``<field>_above_<N>[k]_tokens``; the anchored ``_tokens$`` keeps the 1-hour tier key
# (``cache_creation_input_token_cost_above_1hr_above_200k_tokens``) from reading as a 5-minute
# one, and service-tier variants (``..._above_200k_tokens_priority``) from matching at all.
_TIER_KEY = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost"
    r"|cache_creation_input_token_cost_above_1hr|cache_creation_input_token_cost)"
    r"_above_(\d+)(k?)_tokens$"
)
# Anything that looks like a tier key on a rate we import but that _TIER_KEY cannot read.
_TIER_LIKE = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost"
    r"|cache_creation_input_token_cost)_above_.*_tokens$"
)

# LiteLLM bills these providers' threshold tiers from the threshold itself (>=), not above it.
_INCLUSIVE_THRESHOLD_PROVIDERS = frozenset({"xai"})

REASON_SAMPLE_SPEC = "LiteLLM's schema example (sample_spec), not a model"
REASON_NOT_OBJECT = "entry is not a JSON object"
REASON_BAD_ID = "not usable as a costpanel model id (needs 1-200 characters, no whitespace)"
REASON_KNOWN = "already in the bundled catalog"
REASON_NO_PRICES = "no token prices (input_cost_per_token / output_cost_per_token)"
REASON_TIERED_TABLE = "priced by a LiteLLM tiered_pricing table, which this import does not convert"
REASON_DUPLICATE = "duplicate model id"

_MAX_TOML_INT = 2**63 - 1


@dataclass(frozen=True)
class ImportResult:
    """What :func:`convert_litellm` made of a LiteLLM price list.

    ``toml_text`` is a complete ``ProviderFile`` TOML, or ``""`` when no model could be
    imported (a provider file needs at least one model, so there is nothing to write).
    """

    toml_text: str
    imported: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]


class _Skip(Exception):
    """Raised while converting one entry; the message is the reason it is skipped."""


class _LiteLLMData(dict[str, Any]):
    """The parsed file, remembering top-level keys the JSON text listed more than once."""

    duplicate_keys: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- loading


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__


def load_litellm_json(path: Path) -> Mapping[str, Any]:
    """Read LiteLLM's ``model_prices_and_context_window.json``.

    Numbers are read as Python floats, as LiteLLM reads them; :func:`convert_litellm` turns
    each into the decimal its shortest ``repr`` spells. When a key appears twice at the top
    level, the last entry wins (as in LiteLLM) and the imported model's note says so.

    Raises ``ValueError`` naming ``path`` when the file is not JSON or not a JSON object;
    ``OSError`` (which names the file) when it cannot be read.
    """
    path = Path(path)
    raw = path.read_bytes()
    seen_twice: set[str] = set()

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # Objects are finished innermost first, so the top-level object is the last call:
        # whatever this leaves in seen_twice at the end belongs to the top level.
        keys = [k for k, _ in pairs]
        seen_twice.clear()
        if len(set(keys)) != len(keys):
            seen_twice.update(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    try:
        data = json.loads(raw, object_pairs_hook=pairs_hook)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON (not UTF-8/16/32 text: {exc})") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: expected a JSON object mapping model names to their prices, got {_json_kind(data)}"
        )
    result = _LiteLLMData(data)
    result.duplicate_keys = frozenset(seen_twice)
    return result


# --------------------------------------------------------------------------- numbers


def _to_decimal(field: str, value: object) -> Decimal:
    """LiteLLM's number, exactly as written (a float goes through its shortest repr)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise _Skip(f"bad value for {field}: {value!r} (not a number)")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise _Skip(f"bad value for {field}: {value!r} (not a finite number)")
    if number < 0:
        raise _Skip(f"bad value for {field}: {value!r} (negative)")
    return number


def _fit(value: Decimal, places: int) -> tuple[Decimal, bool]:
    """``value`` normalised, rounded half-even to ``places`` decimals if it has more."""
    with localcontext() as ctx:
        ctx.prec = 200
        if value == 0:
            return Decimal(0), False
        normal = value.normalize()
        exponent = normal.as_tuple().exponent
        assert isinstance(exponent, int)  # finite: checked by _to_decimal
        if exponent >= -places:
            return normal, False
        rounded = normal.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        return (rounded.normalize() if rounded != 0 else Decimal(0)), True


def _plain(value: Decimal) -> str:
    """A TOML number in plain decimal notation (never exponent notation)."""
    text = format(value, "f")
    if "." not in text and abs(int(text)) > _MAX_TOML_INT:
        text += ".0"  # past TOML's 64-bit integers: write it as a (still exact) float
    return text


# --------------------------------------------------------------------------- one entry


def _per_million(field: str, value: object, notes: list[str]) -> Decimal:
    exact = _to_decimal(field, value).scaleb(6)
    fitted, rounded = _fit(exact, MAX_DECIMALS)
    if rounded:
        notes.append(
            f"LiteLLM's {field} {value!r} is {_plain(exact.normalize())} USD per 1M tokens; "
            f"rounded half-even to {_plain(fitted)} (costpanel keeps {MAX_DECIMALS} decimals)"
        )
    return fitted


def _read_rates(entry: Mapping[str, Any], notes: list[str]) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    for ours, field in RATE_FIELDS:
        value = entry.get(field)
        if value is not None:
            rates[ours] = _per_million(field, value, notes)
    return rates


def _read_tiers(
    entry: Mapping[str, Any], inclusive: bool, notes: list[str]
) -> dict[int, dict[str, Decimal]]:
    """Tier prices LiteLLM lists, by threshold in prompt tokens (only the buckets it lists)."""
    tiers: dict[int, dict[str, Decimal]] = {}
    for key in sorted(entry):
        match = _TIER_KEY.match(key)
        if match is None:
            if _TIER_LIKE.match(key) and entry[key] is not None:
                notes.append(f"LiteLLM field {key} has a threshold this import cannot read; ignored")
            continue
        value = entry[key]
        if value is None:
            continue
        base_field, number, kilo = match.groups()
        threshold = int(number) * (1000 if kilo else 1)
        price = _per_million(key, value, notes)
        ours = _RATE_FOR_LITELLM[base_field]
        tier = tiers.setdefault(threshold, {})
        if ours in tier and tier[ours] != price:
            raise _Skip(f"conflicting prices for {ours} above {threshold} prompt tokens")
        tier[ours] = price
    if inclusive and tiers:
        for threshold in sorted(tiers):
            notes.append(
                f"LiteLLM bills this provider's {threshold}-token tier from {threshold} prompt tokens "
                f"inclusive, so it is written as above {threshold - 1}"
            )
        tiers = {threshold - 1: rates for threshold, rates in tiers.items()}
    return tiers


# LiteLLM ``litellm_provider`` -> ours (direct APIs only: not vertex_ai, bedrock, azure …).
LITELLM_PROVIDERS: Mapping[str, str] = {
    "openai": "openai", "text-completion-openai": "openai", "anthropic": "anthropic", "gemini": "google",
    "xai": "xai", "mistral": "mistral", "deepseek": "deepseek", "perplexity": "perplexity",
}


def model_name(key: str, entry: Mapping[str, Any]) -> str:
    """The name a provider's own API reports for LiteLLM's ``key``: ``grok-4`` for ``xai/grok-4``
    (LiteLLM's routing prefix, where it is the entry's direct-API provider). A routed offering of
    another platform (``azure/gpt-4o``, ``bedrock/…``) keeps its prefix: its price is not the API's."""
    provider = entry.get("litellm_provider")
    if isinstance(provider, str) and provider in LITELLM_PROVIDERS and key.startswith(provider + "/"):
        return key[len(provider) + 1:]
    return key


def _convert_entry(
    key: str, entry: Mapping[str, Any], *, checked: dt.date, source: str, listed_twice: bool
) -> dict[str, Any]:
    """The ModelSpec fields for one chat entry; raises ``_Skip`` with the reason otherwise."""
    if entry.get("tiered_pricing") is not None:
        raise _Skip(REASON_TIERED_TABLE)
    has_input = entry.get("input_cost_per_token") is not None
    has_output = entry.get("output_cost_per_token") is not None
    if not has_input and not has_output:
        raise _Skip(REASON_NO_PRICES)
    if not has_output:
        raise _Skip("no output_cost_per_token (only input_cost_per_token is listed)")
    if not has_input:
        raise _Skip("no input_cost_per_token (only output_cost_per_token is listed)")

    notes: list[str] = []
    base = _read_rates(entry, notes)
    provider = entry.get("litellm_provider")
    inclusive = isinstance(provider, str) and provider in _INCLUSIVE_THRESHOLD_PROVIDERS
    tier_prices = _read_tiers(entry, inclusive, notes)

    period: dict[str, Any] = {"effective": checked, "source": source, **base}

    request_fee = entry.get(REQUEST_FIELD)
    if request_fee is not None:
        exact = _to_decimal(REQUEST_FIELD, request_fee).scaleb(3)
        fee, rounded = _fit(exact, MAX_DECIMALS + 3)
        if rounded:
            notes.append(
                f"LiteLLM's {REQUEST_FIELD} {request_fee!r} is {_plain(exact.normalize())} USD per "
                f"1,000 requests; rounded half-even to {_plain(fee)}"
            )
        period["per_1k_requests"] = fee

    tiers: list[dict[str, Any]] = []
    for threshold in sorted(tier_prices):
        listed = tier_prices[threshold]
        filled = [ours for ours, _ in RATE_FIELDS if ours not in listed and ours in base]
        rates = {ours: listed.get(ours, base.get(ours)) for ours, _ in RATE_FIELDS}
        tiers.append({"above_prompt_tokens": threshold, **{k: v for k, v in rates.items() if v is not None}})
        if filled:
            notes.append(
                f"above {threshold} prompt tokens LiteLLM lists no {', '.join(filled)} price, "
                "so the base price is used (as LiteLLM does)"
            )
    if tiers:
        period["tiers"] = tiers

    reasoning_rate = _reasoning_rate(entry.get(REASONING_FIELD))
    if reasoning_rate is not None and reasoning_rate != base["output"]:
        notes.append(
            f"LiteLLM lists reasoning tokens at {_plain(reasoning_rate)} USD per 1M, not the output "
            "price; costpanel bills reasoning tokens as output"
        )
    if "cache_write" in base and "cache_write_1h" in base and base["cache_write_1h"] < base["cache_write"]:
        notes.append(
            f"LiteLLM's 1-hour cache-write price ({_plain(base['cache_write_1h'])}) is below its "
            f"5-minute one ({_plain(base['cache_write'])}); check it against the provider's page"
        )
    if listed_twice:
        notes.append("LiteLLM's file lists this name more than once; the last entry is used (as LiteLLM does)")
    if notes:
        period["note"] = "; ".join(notes) + "."

    mode = entry.get("mode")
    described = [f"litellm_provider {provider}"] if isinstance(provider, str) else []
    described.append(f"mode {mode}" if isinstance(mode, str) else "no mode given")
    name = model_name(key, entry)
    spec: dict[str, Any] = {
        "id": name,
        "name": name,
        "prices": [period],
        "note": f"Imported from LiteLLM ({', '.join(described)}).",
    }
    if name != key:  # LiteLLM's routed name prices too (the catalog strips known prefixes anyway)
        spec["aliases"] = [key]
    try:
        ModelSpec.model_validate(spec)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _Skip(f"does not validate as a costpanel model ({where}: {first['msg']})") from exc
    return spec


def _reasoning_rate(value: object) -> Decimal | None:
    """LiteLLM's reasoning-token price per 1M, only to compare with output (never imported)."""
    if value is None:
        return None
    try:
        return _fit(_to_decimal(REASONING_FIELD, value).scaleb(6), MAX_DECIMALS)[0]
    except _Skip:
        return None


def _usable_id(key: object) -> bool:
    return (
        isinstance(key, str)
        and 1 <= len(key) <= 200
        and re.fullmatch(r"\S+", key) is not None
        and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in key)
    )


# --------------------------------------------------------------------------- TOML text

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\uFFFD")  # a lone surrogate cannot be written as UTF-8 or escaped in TOML
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _render(models: list[dict[str, Any]], *, checked: dt.date, source: str, skipped: int) -> str:
    lines = [
        "# Generated by `costpanel pricing import-litellm` from LiteLLM's price list.",
        f"# {len(models)} models imported, {skipped} entries skipped. Prices are USD per 1M tokens.",
        f"provider = {_toml_string(PROVIDER)}",
        f"name = {_toml_string(DISPLAY_NAME)}",
        f"sources = {_toml_value([source])}",
        f"checked = {_toml_value(checked)}",
    ]
    rate_order = [ours for ours, _ in RATE_FIELDS]
    for model in models:
        lines += ["", "[[models]]"]
        lines += [f"{k} = {_toml_value(model[k])}" for k in ("id", "name", "aliases", "note") if k in model]
        for period in model["prices"]:
            lines += ["", "  [[models.prices]]"]
            order = ["effective", "source", *rate_order, "per_1k_requests", "note"]
            lines += [f"  {k} = {_toml_value(period[k])}" for k in order if k in period]
            for tier in period.get("tiers", ()):
                lines += ["", "    [[models.prices.tiers]]"]
                lines += [
                    f"    {k} = {_toml_value(tier[k])}" for k in ["above_prompt_tokens", *rate_order] if k in tier
                ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- entry point


def convert_litellm(
    data: Mapping[str, Any],
    *,
    checked: dt.date,
    skip_known: Callable[[str], bool] = lambda name: False,
    source: str = DEFAULT_SOURCE,
) -> ImportResult:
    """Convert LiteLLM's price list (already parsed) into a costpanel override file.

    Every imported model gets one price period starting on ``checked`` (when its prices were
    read from LiteLLM) with ``source`` as its source. Models come out in the order of their
    LiteLLM keys, named as :func:`model_name` says (``imported`` lists the keys); every entry not
    imported is listed in ``skipped`` with the reason.
    """
    if isinstance(checked, dt.datetime) or not isinstance(checked, dt.date):
        raise TypeError(f"checked must be a datetime.date, got {checked!r}")
    if (
        not isinstance(source, str)
        or not source.startswith(("https://", "http://"))
        or len(source) < 8
        or re.search(r"[\s\x00-\x1f\x7f]", source)
    ):
        raise ValueError(f"source must be an http(s) URL without spaces, got {source!r}")

    listed_twice = getattr(data, "duplicate_keys", frozenset())
    models: list[dict[str, Any]] = []
    imported: list[str] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()

    for key in sorted(data, key=str):
        entry = data[key]
        label = key if isinstance(key, str) else repr(key)
        if key == "sample_spec":
            skipped.append((label, REASON_SAMPLE_SPEC))
            continue
        if not _usable_id(key):
            skipped.append((label, REASON_BAD_ID))
            continue
        if not isinstance(entry, Mapping):
            skipped.append((key, REASON_NOT_OBJECT))
            continue
        mode = entry.get("mode")
        if mode is not None and (not isinstance(mode, str) or mode not in CHAT_MODES):
            skipped.append((key, f"mode {mode!r} is not a chat model (imports chat, completion, responses)"))
            continue
        name = model_name(key, entry)
        if skip_known(key) or skip_known(name):
            skipped.append((key, REASON_KNOWN))
            continue
        if name in seen:  # `xai/grok-x` and `grok-x` both listed: one model
            skipped.append((key, REASON_DUPLICATE))
            continue
        try:
            spec = _convert_entry(key, entry, checked=checked, source=source, listed_twice=key in listed_twice)
        except _Skip as why:
            skipped.append((key, str(why)))
            continue
        seen.add(name)
        models.append(spec)
        imported.append(key)

    toml_text = _render(models, checked=checked, source=source, skipped=len(skipped)) if models else ""
    return ImportResult(toml_text=toml_text, imported=tuple(imported), skipped=tuple(skipped))
