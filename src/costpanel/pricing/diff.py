"""``costpanel pricing diff``: the catalog beside genai-prices (and LiteLLM's price JSON).

The tool a maintainer runs before a release. Each other source is first read into plain
:class:`TheirModel` rows (one small adapter per source), then one comparison yields
:class:`DiffRow` rows of four kinds:

- ``missing``    — the source lists a current text model that the catalog does not match;
- ``unlisted``   — a current catalog model the source does not list;
- ``price``      — a rate of the period in force now differs (Decimals compared exactly);
- ``retirement`` — one side says retired/deprecated, the other current;
- ``variant``    — a price variant (batch, flex, priority) the source prices: missing here, or a
  rate of it that differs (field ``<variant>.<rate>``, e.g. ``batch.input``);
- ``stale``      — a known difference no source shows any more (fixed upstream or here): it would
  hide the next real difference of that model and field. Judged only when every provider is
  compared with both sources, since a known difference may be one source's.

Deliberate differences live in data, ``pricing/_known_differences.toml``; a row they cover is
``known`` (with the reason), every other row is ``new``. genai-prices is imported only here,
inside functions, so ``import costpanel`` never loads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .litellm_import import LITELLM_PROVIDERS
from .retirement import is_retired

if TYPE_CHECKING:
    from .catalog import Catalog, ModelEntry

KNOWN_DIFFERENCES_FILE = "_known_differences.toml"

# Rates compared, costpanel's name -> genai-prices' ModelPrice attribute.
RATE_FIELDS: tuple[tuple[str, str], ...] = (
    ("input", "input_mtok"),
    ("output", "output_mtok"),
    ("cache_read", "cache_read_mtok"),
    ("cache_write", "cache_write_mtok"),
    ("cache_write_1h", "cache_write_1h_mtok"),
)

# genai-prices provider id -> ours (the covered providers only).
GENAI_PROVIDERS: Mapping[str, str] = {
    "openai": "openai", "anthropic": "anthropic", "google": "google", "x-ai": "xai",
    "mistral": "mistral", "deepseek": "deepseek", "perplexity": "perplexity",
}
_LITELLM_TEXT_MODES = frozenset({"chat", "completion", "responses"})

# --------------------------------------------------------------------------- which models are text models
# genai-prices lists every billable model of a provider: embeddings, image, audio, speech, OCR …
# A model counts as a text (chat / reasoning / coding) model when its data says so:
# 1. its prices (now) include both ``input_mtok`` and ``output_mtok`` — embeddings and
#    moderation have no output price, tts-1 is priced per character, whisper/voice/live-audio
#    models per audio hour, OCR per page, self-host-only Gemma entries have no price at all;
# 2. it has no price for a non-text modality (``input_audio_mtok``, ``output_image_mtok``,
#    ``output_video_mtok``, ``audio_hours`` …; the only extra keys a text model has are cache,
#    search and request fees, and Sonar Deep Research's citation/reasoning tokens);
# 3. its id names no non-text product. Some image, speech and audio models are priced only
#    per text token in genai-prices' data (``gpt-5-image``, ``gpt-4o-mini-tts``,
#    ``gpt-4o-audio-preview``, ``gemini-3.8-flash-tts``, ``mistral-embed``), so rules 1-2
#    alone would take them for chat models.
TEXT_PRICE_KEYS = frozenset({
    "input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok",
    "web_searches_kcount", "storage_searches_kcount", "requests_kcount",
    "output_reasoning_mtok", "output_citation_mtok",
})
NON_TEXT_WORDS = ("embed", "image", "tts", "audio", "realtime", "transcribe", "whisper", "voice",
                  "moderation", "ocr", "live")


def is_text_model(model_id: str, price_keys: Iterable[str]) -> bool:
    """Whether genai-prices' model (its id, the price keys it has now) is a text model (above)."""
    keys = set(price_keys)
    if not {"input_mtok", "output_mtok"} <= keys or not keys <= TEXT_PRICE_KEYS:
        return False
    words = model_id.lower().replace("_", "-").replace(".", "-").replace("/", "-").split("-")
    return not any(w.startswith(NON_TEXT_WORDS) for w in words)


# --------------------------------------------------------------------------- rows


class TheirModel(NamedTuple):
    """One model as another source lists it, read into costpanel's terms."""

    provider: str  # ours, e.g. "xai"
    id: str
    current: bool  # not deprecated / not past its deprecation date
    text: bool  # a text model (see is_text_model); non-text models are never reported missing
    rates: Mapping[str, Decimal | None]  # RATE_FIELDS names, USD per 1M, period in force now
    matches: Callable[[str], bool]  # whether a name denotes this model, by the source's own rules
    names: tuple[str, ...]  # its id, then the exact names its match rules list (tried in turn)
    variants: Mapping[str, Mapping[str, Decimal | None]] = {}  # noqa: RUF012 - variant -> rates, never mutated


DiffKind = Literal["missing", "unlisted", "price", "retirement", "variant", "stale"]
# LiteLLM's field suffix of each variant it prices (``input_cost_per_token_batches``) -> our variant.
LITELLM_VARIANTS: Mapping[str, str] = {"batches": "batch", "flex": "flex", "priority": "priority"}
# genai-prices' price-variant conditions (``when``) -> the catalog's variant names. OpenAI's
# service_tier "fast" is Priority renamed (both accepted), so it is compared once, as priority;
# "default" is the standard price; Perplexity's search_type prices requests, not tokens.
GENAI_VARIANTS: Mapping[tuple[tuple[str, str], ...], str] = {
    (("processing", "batch"),): "batch",
    (("service_tier", "flex"),): "flex",
    (("service_tier", "priority"),): "priority",
    (("service_tier", "ultrafast"),): "ultrafast",
    (("speed", "fast"),): "fast",
}
VARIANT_RATES = ("input", "output", "cache_read")  # the rates LiteLLM gives per variant


class DiffRow(NamedTuple):
    source: str  # "genai-prices 0.2.3", "litellm"
    provider: str
    kind: DiffKind
    model: str  # ours for unlisted/price/retirement, theirs for missing
    their_id: str  # the source's id ("" for unlisted)
    field: str  # "model", a rate name, or "retired"
    ours: str
    theirs: str
    status: Literal["new", "known"]
    reason: str  # the known-differences reason, or what the row means

    def to_json(self) -> dict[str, str]:
        return self._asdict()


# --------------------------------------------------------------------------- known differences


def known_differences_path() -> Path:
    from .files import bundled_dir

    return bundled_dir() / KNOWN_DIFFERENCES_FILE


def load_known_differences(path: Path | None = None) -> dict[tuple[str, str], str]:
    """``{(model id, field): reason}`` from the known-differences file (validated; PricingError)."""
    from pydantic import ValidationError

    from .errors import PricingError
    from .files import read_toml
    from .schema import KnownDifferencesFile

    path = known_differences_path() if path is None else path
    if not path.is_file():
        return {}
    try:
        parsed = KnownDifferencesFile.model_validate(read_toml(path))
    except ValidationError as exc:
        raise PricingError([f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]) from exc
    return {(d.model, d.field): d.reason for d in parsed.differences}


# --------------------------------------------------------------------------- sources


def genai_prices_version() -> str:
    from importlib.metadata import version

    return version("genai-prices")


def genai_prices_models(providers: Iterable[str] | None = None,
                        now: dt.datetime | None = None) -> list[TheirModel]:
    """The installed genai-prices' models of the covered providers (ours: ``providers``)."""
    from genai_prices import data
    from genai_prices.types import TieredPrices

    now = now or dt.datetime.now(dt.timezone.utc)
    wanted = set(GENAI_PROVIDERS.values()) if providers is None else set(providers)
    out: list[TheirModel] = []
    for p in data.providers:
        ours = GENAI_PROVIDERS.get(p.id)
        if ours is None or ours not in wanted:
            continue
        for m in p.models:
            price = m.get_prices(now)
            values = price._comparable_values()  # the keys it has a price for
            rates: dict[str, Decimal | None] = {}
            for name, key in RATE_FIELDS:
                v = values.get(key)
                rates[name] = v.base if isinstance(v, TieredPrices) else v  # below the first cliff
            names = (m.id, *(n for n in _equals_names(m.match) if n != m.id))
            out.append(TheirModel(ours, m.id, not m.deprecated, is_text_model(m.id, values), rates, m.is_match,
                                  names, _genai_variants(m, now)))
    return out


def _genai_variants(model: Any, now: dt.datetime) -> dict[str, dict[str, Decimal | None]]:
    """A genai-prices model's variants in force at ``now``: our name -> the rates a call in it is
    billed at, as genai-prices resolves them (its variant's own prices over the standard ones)."""
    from genai_prices.types import TieredPrices

    standard = model.get_prices(now)
    out: dict[str, dict[str, Decimal | None]] = {}
    for key, name in GENAI_VARIANTS.items():
        prices = model.get_prices(now, dict(key))
        values = {k: getattr(prices, k, None) for _, k in RATE_FIELDS}
        if values == {k: getattr(standard, k, None) for _, k in RATE_FIELDS}:
            continue  # no variant of that condition in force
        out[name] = {ours: v.base if isinstance(v, TieredPrices) else v
                     for ours, theirs in RATE_FIELDS if ours in VARIANT_RATES
                     for v in (values[theirs],)}
    return out


def _equals_names(clause: Any) -> list[str]:
    """The exact names in a genai-prices match rule (``equals`` clauses, inside ``or`` ones):
    its model ids are sometimes names no API takes (``codestral`` matches ``codestral-latest``)."""
    if hasattr(clause, "equals"):
        return [clause.equals]
    return [n for c in getattr(clause, "or_", ()) for n in _equals_names(c)]


def litellm_models(data: Mapping[str, Any], providers: Iterable[str] | None = None,
                   today: dt.date | None = None) -> list[TheirModel]:
    """LiteLLM's text entries of the covered providers' direct APIs."""
    from .litellm_import import RATE_FIELDS as LITELLM_FIELDS

    today = today or dt.datetime.now(dt.timezone.utc).date()
    wanted = set(LITELLM_PROVIDERS.values()) if providers is None else set(providers)
    out: list[TheirModel] = []
    for key, entry in data.items():
        if not isinstance(entry, Mapping):
            continue
        ours = LITELLM_PROVIDERS.get(str(entry.get("litellm_provider")))
        if ours is None or ours not in wanted:
            continue
        rates = {name: _per_million(entry.get(field)) for name, field in LITELLM_FIELDS}
        text = entry.get("mode", "chat") in _LITELLM_TEXT_MODES and None not in (rates["input"], rates["output"])
        deprecation = entry.get("deprecation_date")
        current = not (isinstance(deprecation, str) and deprecation[:10] <= today.isoformat())
        bare = key.split("/", 1)[1] if "/" in key else key
        names = {key.lower(), bare.lower()}
        variants = {ours_name: _litellm_variant(entry, suffix) for suffix, ours_name in LITELLM_VARIANTS.items()
                    if isinstance(entry.get(f"input_cost_per_token_{suffix}"), (int, float))}
        out.append(TheirModel(ours, bare, current, text, rates, lambda n, names=names: n.lower() in names, (bare,),
                              variants))
    return out


def _per_million(v: object) -> Decimal | None:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return None
    return (Decimal(repr(v)) if isinstance(v, float) else Decimal(v)).scaleb(6).normalize()


def _litellm_variant(entry: Mapping[str, Any], suffix: str) -> dict[str, Decimal | None]:
    fields = {"input": "input_cost_per_token", "output": "output_cost_per_token",
              "cache_read": "cache_read_input_token_cost"}
    return {name: _per_million(entry.get(f"{field}_{suffix}")) for name, field in fields.items()}


def _variant_rates(entry: ModelEntry, variant: str) -> dict[str, Decimal] | None:
    """Our rates (USD per 1M, below any cliff) for ``variant`` in the period in force now, or None."""
    from .rates import with_variant

    billed = with_variant(entry.current, variant)
    if billed is None:
        return None
    return {name: Decimal(getattr(billed.base, name)).scaleb(-6).normalize() for name in VARIANT_RATES}


# --------------------------------------------------------------------------- comparison


def _show(v: Decimal | None) -> str:
    return "—" if v is None else format(v.normalize(), "f")


def _billed(rates: Mapping[str, Decimal | None], name: str) -> Decimal | None:
    """The rate a bucket is billed at: a cache rate left out falls back as costpanel bills it
    (1-hour write -> 5-minute write -> input; read -> input), on both sides alike."""
    value = rates.get(name)
    if value is None and name == "cache_write_1h":
        return _billed(rates, "cache_write")
    if value is None and name in ("cache_read", "cache_write"):
        return rates.get("input")
    return value


def compare(catalog: Catalog, theirs: Sequence[TheirModel], *, source: str,
            known: Mapping[tuple[str, str], str] | None = None,
            providers: Iterable[str] | None = None) -> list[DiffRow]:
    """Every difference between ``catalog`` and one source's models (see the module docstring)."""
    known = known or {}
    covered = {t.provider for t in theirs} if providers is None else set(providers)
    rows: list[DiffRow] = []

    def row(provider: str, kind: DiffKind, model: str, their_id: str, field: str, ours: str, them: str,
            meaning: str) -> None:
        key = _known(known, model, their_id, field)
        reason = known[key] if key is not None else None
        rows.append(DiffRow(source, provider, kind, model, their_id, field, ours, them,
                            "known" if reason else "new", reason or meaning))

    for t in theirs:
        if t.provider not in covered:
            continue
        # Another provider's model may match (Claude on Vertex AI is in genai-prices' google):
        # the catalog prices that name as that model, so its prices are what is compared.
        entry: ModelEntry | None = next(filter(None, map(catalog.match, t.names)), None)
        if entry is None:
            if t.current and t.text:
                row(t.provider, "missing", t.id, t.id, "model", "—", "listed", "not in the catalog")
            continue
        retired = is_retired(entry.retired)  # as of today: a scheduled retirement is still current
        if retired == t.current:
            ours = f"retired {entry.retired}" if retired else "current"
            row(t.provider, "retirement", entry.id, t.id, "retired", ours,
                "current" if t.current else "deprecated", "retired on one side only")
        spec = entry.current_spec
        if spec is None or entry.free or not t.text:
            continue
        mine = {name: getattr(spec, name) for name, _ in RATE_FIELDS}
        for name, _ in RATE_FIELDS:
            if mine[name] is None and t.rates.get(name) is None:
                continue
            if _billed(mine, name) != _billed(t.rates, name):
                row(t.provider, "price", entry.id, t.id, name, _show(mine[name]), _show(t.rates.get(name)),
                    "differs now")
        for variant, theirs_rates in t.variants.items():
            ours_rates = _variant_rates(entry, variant)
            if ours_rates is None:
                row(t.provider, "variant", entry.id, t.id, variant, "—", "priced", "variant not in the catalog")
                continue
            for name in VARIANT_RATES:
                them = _billed(theirs_rates, name)
                if them is not None and ours_rates[name] != them:
                    row(t.provider, "variant", entry.id, t.id, f"{variant}.{name}", _show(ours_rates[name]),
                        _show(them), "variant rate differs now")

    for entry in catalog.models.values():
        if entry.provider not in covered or is_retired(entry.retired) or entry.free:
            continue
        names = (entry.id, *entry.aliases)
        if not any(t.provider == entry.provider and t.matches(n) for t in theirs for n in names):
            row(entry.provider, "unlisted", entry.id, "", "model", "priced", "—", "not listed by the source")
    return rows


def _known(known: Mapping[tuple[str, str], str], model: str, their_id: str,
           field: str) -> tuple[str, str] | None:
    """The known-differences entry for a difference of ``field``: under our id, else the source's."""
    for key in ((model, field), (their_id, field)):
        if key in known:
            return key
    return None


def known_key(row: DiffRow, known: Mapping[tuple[str, str], str]) -> tuple[str, str] | None:
    """The known-differences entry that covers ``row`` (as :func:`compare` found it), or None."""
    return _known(known, row.model, row.their_id, row.field)


def stale_rows(rows: Sequence[DiffRow], known: Mapping[tuple[str, str], str],
               catalog: Catalog) -> list[DiffRow]:
    """A ``stale`` row (status new) per known difference that none of ``rows`` shows: ``rows`` must
    compare every provider with every source, or a difference of the one left out looks stale."""
    seen = {known_key(r, known) for r in rows if r.status == "known"}
    out: list[DiffRow] = []
    for (model, field), reason in sorted(known.items()):
        if (model, field) in seen:
            continue
        entry = catalog.models.get(model)
        out.append(DiffRow("known differences", entry.provider if entry else "", "stale", model, model, field,
                           "", "", "new", f"no source differs here any more: remove it (it said: {reason})"))
    return out


def diff_catalog(catalog: Catalog, *, providers: Iterable[str] | None = None,
                 litellm: Mapping[str, Any] | None = None,
                 known: Mapping[tuple[str, str], str] | None = None) -> list[DiffRow]:
    """The catalog against the installed genai-prices, and against LiteLLM's data if given; with
    both sources and every provider, also the known differences that no longer occur (``stale``)."""
    everyone = set(GENAI_PROVIDERS.values())
    wanted = everyone if providers is None else set(providers)
    known = load_known_differences() if known is None else known
    rows = compare(catalog, genai_prices_models(wanted), source=f"genai-prices {genai_prices_version()}",
                   known=known, providers=wanted)
    if litellm is not None:
        rows += compare(catalog, litellm_models(litellm, wanted), source="litellm", known=known, providers=wanted)
        if wanted == everyone:
            rows += stale_rows(rows, known, catalog)
    return rows


__all__ = ["DiffRow", "GENAI_PROVIDERS", "LITELLM_PROVIDERS", "TheirModel", "compare", "diff_catalog",
           "genai_prices_models", "is_text_model", "known_key", "litellm_models", "load_known_differences",
           "stale_rows"]
