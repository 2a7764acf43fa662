"""The shape of a pricing file (``pricing/<provider>.toml``), validated with pydantic.

Numbers are read with ``tomllib``'s ``parse_float=Decimal`` so ``0.075`` stays exactly 0.075.
All token prices are USD per 1,000,000 tokens; the per-request fee is USD per 1,000 requests.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationInfo,
                      field_validator, model_validator)

from ..usage import REGISTRY

# The price fields of the registry's buckets: per 1M tokens (on every rate set), per 1,000 requests.
PRICE_FIELDS: tuple[str, ...] = tuple(b.price_field for b in REGISTRY)
TOKEN_PRICE_FIELDS: tuple[str, ...] = tuple(b.price_field for b in REGISTRY if b.unit == "tokens")
FEE_PRICE_FIELDS: tuple[str, ...] = tuple(b.price_field for b in REGISTRY if b.unit != "tokens")

# Costs are kept as integers of 1e-12 USD; a price per 1M tokens with more than 6 decimals
# would not be a whole number of those units per token.
MAX_DECIMALS = 6
MAX_PRICE = Decimal(1_000_000)  # USD per 1M tokens: $1 a token; anything above is a typo

ModelId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S+$")]


def _numbers_only(value: object) -> object:
    """TOML numbers arrive as int or Decimal; a quoted "3" or a boolean is a mistake in the file."""
    if value is not None and (isinstance(value, (str, bool)) or not isinstance(value, (int, Decimal))):
        raise ValueError(f"price must be a number, got {type(value).__name__} {value!r}")
    return value


def _check_price(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0:
        raise ValueError(f"price must be a finite number >= 0, got {value}")
    if value > MAX_PRICE:
        raise ValueError(f"price {value} is above {MAX_PRICE} USD per 1M tokens; a typo?")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise ValueError(f"price {value} has more than {MAX_DECIMALS} decimals (USD per 1M tokens)")
    return value


def _check_url(v: str | None) -> str | None:
    if v is not None and not v.startswith(("https://", "http://")):
        raise ValueError(f"source must be a URL, got {v!r}")
    return v


# Where a price was read: a web page's address.
SourceUrl = Annotated[str, StringConstraints(min_length=8), AfterValidator(_check_url)]
OptionalSourceUrl = Annotated["str | None", AfterValidator(_check_url)]  # one problem for a bad value, not two

# A token price (USD per 1M): a TOML number, finite, >= 0, at most 6 decimals. The validators wrap
# the optional type whole, so a bad value is one problem, not one per branch of the union.
Price = Annotated[Decimal, BeforeValidator(_numbers_only), AfterValidator(_check_price)]
OptionalPrice = Annotated["Decimal | None", BeforeValidator(_numbers_only), AfterValidator(_check_price)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Rates(_Strict):
    """Token prices in USD per 1M tokens. A bucket left out is not offered by the model and is
    billed at the uncached input rate (``cache_write_1h`` falls back to ``cache_write`` first)."""

    input: Price = Field(description="Uncached prompt tokens, USD per 1M.")
    output: Price = Field(description="Output tokens including reasoning, USD per 1M.")
    cache_read: OptionalPrice = Field(default=None, description="Cached prompt tokens read, USD per 1M.")
    cache_write: OptionalPrice = Field(default=None, description="Prompt tokens written to a 5-minute cache, USD per 1M.")
    cache_write_1h: OptionalPrice = Field(default=None, description="Prompt tokens written to a 1-hour cache, USD per 1M.")


class CliffTier(Rates):
    """A price set that applies to the *whole* request once its prompt (uncached + cache read +
    cache writes) is above ``above_prompt_tokens``."""

    above_prompt_tokens: int = Field(gt=0, description="Threshold on the request's total prompt tokens.")


def _not_reserved(name: str) -> str:
    from ..variants import STANDARD, UNREADABLE

    if name == UNREADABLE or name in STANDARD:
        raise ValueError(f"{name!r} is reserved: {'a call whose tier cannot be read, never priced' if name == UNREADABLE else 'the standard price, no variant'}")
    return name


VariantName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40),
                        AfterValidator(_not_reserved)]
MAX_MULTIPLIER = Decimal(100)


def _check_multiplier(v: Decimal | None) -> Decimal | None:
    if v is not None and not (v.is_finite() and 0 < v <= MAX_MULTIPLIER):
        raise ValueError(f"multiplier must be above 0 and at most {MAX_MULTIPLIER}, got {v}")
    return v


OptionalMultiplier = Annotated["Decimal | None", BeforeValidator(_numbers_only), AfterValidator(_check_multiplier)]
Multiplier = Annotated[Decimal, BeforeValidator(_numbers_only), AfterValidator(_check_multiplier)]


class VariantPrice(_Strict):
    """A price variant of one period (``[models.prices.variants.<name>]``): its own token prices
    (``input`` and ``output`` at least, cache buckets as in a period), a ``multiplier`` on the
    period's token prices, or both (the multiplier applies to the variant's own prices).
    Per-request and web-search fees are the period's."""

    multiplier: OptionalMultiplier = Field(default=None, description="Factor on the token prices (0.5 = half price).")
    input: OptionalPrice = None
    output: OptionalPrice = None
    cache_read: OptionalPrice = None
    cache_write: OptionalPrice = None
    cache_write_1h: OptionalPrice = None
    tiers: tuple[CliffTier, ...] = Field(default=(), description="The variant's own cliff tiers (with own prices).")
    source: OptionalSourceUrl = Field(default=None, description="URL, when not the period's source.")
    note: str | None = None

    @property
    def explicit(self) -> bool:
        return self.input is not None or self.output is not None

    @model_validator(mode="after")
    def _complete(self) -> VariantPrice:
        if self.explicit and (self.input is None or self.output is None):
            raise ValueError("a variant with its own prices needs both input and output")
        if not self.explicit and self.multiplier is None:
            raise ValueError("a variant needs a multiplier or its own input and output prices")
        if not self.explicit and (self.tiers or any(getattr(self, f) is not None for f in TOKEN_PRICE_FIELDS)):
            raise ValueError("cache prices or tiers of a variant need its own input and output prices too")
        return self


class PricePeriod(Rates):
    """Prices in force from ``effective`` (UTC midnight) until the next period starts."""

    effective: dt.date = Field(description="First day these prices apply (UTC).")
    source: SourceUrl = Field(description="URL of the page these prices were read from.")
    per_1k_requests: Decimal | None = Field(default=None, description="Fee per 1,000 requests, USD.")
    web_search_per_1k: Decimal | None = Field(default=None, description="Fee per 1,000 server-side web searches, USD.")
    web_search_per: Literal["search", "request"] = Field(
        default="search", description="What the web-search fee is charged per: each search (query), or each "
                                      "request that searched, however many searches it ran (Gemini 2.x grounding).")
    tiers: tuple[CliffTier, ...] = Field(default=(), description="Cliff tiers, lowest threshold first.")
    variants: dict[VariantName, VariantPrice] = Field(
        default_factory=dict, description="Price variants of this period (batch, priority, fast …), by name.")
    note: str | None = None

    @field_validator(*FEE_PRICE_FIELDS, mode="before")
    @classmethod
    def _fee_number(cls, v: object) -> object:
        return _numbers_only(v)

    @field_validator(*FEE_PRICE_FIELDS, mode="after")
    @classmethod
    def _valid_fee(cls, v: Decimal | None, info: ValidationInfo) -> Decimal | None:
        v = _check_price(v)
        if v is not None and v.normalize().as_tuple().exponent < -(MAX_DECIMALS + 3):  # type: ignore[operator]
            raise ValueError(f"{info.field_name} {v} is finer than 1e-12 USD per request")
        return v

    @model_validator(mode="after")
    def _tiers_ascending(self) -> PricePeriod:
        thresholds = [t.above_prompt_tokens for t in self.tiers]
        if thresholds != sorted(set(thresholds)):
            raise ValueError(f"tiers must have strictly increasing above_prompt_tokens, got {thresholds}")
        for name, v in self.variants.items():
            # A variant with its own prices but no cliffs would under-price a long prompt silently.
            if self.tiers and v.explicit and not v.tiers:
                raise ValueError(f"variant {name!r} has its own prices but no tiers while the period has cliff "
                                 "tiers: give its tiers too, or use a multiplier")
            thresholds = [t.above_prompt_tokens for t in v.tiers]
            if thresholds != sorted(set(thresholds)):
                raise ValueError(f"variant {name!r}: tiers must have strictly increasing above_prompt_tokens, "
                                 f"got {thresholds}")
        return self


class ModelSpec(_Strict):
    """One model: its canonical id, other names it is called by, and its price history."""

    id: ModelId
    name: str | None = Field(default=None, description="Display name.")
    aliases: tuple[ModelId, ...] = Field(default=(), description="Other exact names (dated snapshots, `-latest`).")
    free: bool = Field(default=False, description="Priced at zero on purpose (e.g. Pollinations' free models).")
    embedding: bool = Field(default=False, description="An embedding model: billed on its input, output = 0 "
                                                        "(listed apart from the models that generate text).")
    retired: dt.date | None = Field(
        default=None, description="Day (UTC) the provider retired the model; a future day is a scheduled retirement. "
                                  "Kept so history stays priced.")
    prices: tuple[PricePeriod, ...] = Field(default=(), description="Price periods, oldest first.")
    note: str | None = None

    @field_validator("retired", mode="before")
    @classmethod
    def _retired_is_a_date(cls, v: object) -> object:
        # `retired` was a boolean before it became a date: say how to convert, not "invalid date".
        if isinstance(v, bool):
            hint = "write the day it was retired, e.g. retired = 2025-07-14" if v else "leave the field out"
            raise ValueError(f"retired must be a date (the day the provider retired the model, UTC), "
                             f"not the boolean {v}: {hint}")
        if v is not None and (isinstance(v, dt.datetime) or not isinstance(v, dt.date)):
            # a quoted "2025-07-14", a number or a time of day is a slip: a TOML date is unambiguous
            raise ValueError(f"retired must be a TOML date without quotes or time, e.g. retired = 2025-07-14; "  # noqa: TRY004 (pydantic reports ValueError)
                             f"got {type(v).__name__} {v!r}")
        return v

    @model_validator(mode="after")
    def _prices_consistent(self) -> ModelSpec:
        if not self.free and not self.prices:
            raise ValueError("a model that is not free needs at least one [[models.prices]] period")
        if self.free:
            for n, p in enumerate(self.prices):
                for name in PRICE_FIELDS:
                    if getattr(p, name):
                        raise ValueError(f"a free model cannot have non-zero prices: prices[{n}].{name} = {getattr(p, name)}")
        dates = [p.effective for p in self.prices]
        if dates != sorted(set(dates)):
            shown = ", ".join(d.isoformat() for d in dates)
            raise ValueError(f"price periods must be in strictly increasing effective order, got {shown}")
        if self.id in self.aliases:
            raise ValueError(f"alias {self.id!r} repeats the model id")
        repeated = sorted({a for a in self.aliases if self.aliases.count(a) > 1})
        if repeated:
            raise ValueError(f"aliases list {', '.join(map(repr, repeated))} more than once")
        return self


class ProviderVariant(_Strict):
    """A variant that applies to many models of a file (``[[variants]]``): a multiplier on their
    token prices, e.g. the 50 % batch discount. A period's own variant of the same name wins."""

    name: VariantName
    multiplier: Multiplier = Field(description="Factor on the token prices (0.5 = half price).")
    source: SourceUrl = Field(description="URL of the page that states it.")
    models: tuple[ModelId, ...] | None = Field(
        default=None, description="Model ids it applies to; left out: every model of the file not listed "
                                  "under another entry of the same name.")
    note: str | None = None


class ProviderFile(_Strict):
    """A whole ``pricing/<provider>.toml`` file."""

    provider: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")] = Field(
        description="Provider key, lower case (e.g. `openai`)."
    )
    name: str = Field(description="Display name (e.g. `OpenAI`).")
    sources: tuple[str, ...] = Field(min_length=1, description="Pricing pages this file was built from.")
    checked: dt.date = Field(description="When the prices were last compared with the sources.")
    prefixes: tuple[str, ...] = Field(
        default=(), description="Routing prefixes that name this provider (`openai/`), stripped before matching."
    )
    models: tuple[ModelSpec, ...] = Field(min_length=1)
    variants: tuple[ProviderVariant, ...] = Field(default=(), description="Variants for many models at once.")
    variant_aliases: dict[VariantName, VariantName] = Field(
        default_factory=dict, description="Other names the provider reports for a variant, alias -> the "
                                          "variant's name (OpenAI's service_tier `fast` is Priority renamed): "
                                          "a model offering the variant is billed alike under either name.")

    @model_validator(mode="after")
    def _aliases_name_variants(self) -> ProviderFile:
        own = {v.name for v in self.variants} | {n for m in self.models for p in m.prices for n in p.variants}
        for alias, target in self.variant_aliases.items():
            if alias == target or target in self.variant_aliases:
                raise ValueError(f"variant_aliases: {alias!r} -> {target!r} must name a variant, not itself or "
                                 "another alias")
            if target not in own:
                raise ValueError(f"variant_aliases: {alias!r} -> {target!r}: no model of this file offers a "
                                 f"{target!r} variant (offered: {', '.join(sorted(own)) or 'none'})")
            if alias in own:
                raise ValueError(f"variant_aliases: {alias!r} is also a variant of this file; an alias cannot "
                                 "price differently from its variant")
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> ProviderFile:
        seen: dict[str, str] = {}
        for m in self.models:
            for name in dict.fromkeys((m.id, *m.aliases)):
                if name in seen:
                    raise ValueError(f"model name {name!r} is used by both model {seen[name]!r} and model {m.id!r}")
                seen[name] = m.id
        ids = {m.id for m in self.models}
        claimed: dict[tuple[str, str], int] = {}
        catch_all: set[str] = set()
        for n, v in enumerate(self.variants):
            if v.models is None:
                if v.name in catch_all:
                    raise ValueError(f"variants[{n}]: a second {v.name!r} entry without models; list the models "
                                     "of all but one")
                catch_all.add(v.name)
                continue
            for model in v.models:
                if model not in ids:
                    raise ValueError(f"variants[{n}] ({v.name!r}): model {model!r} is not in this file")
                if (v.name, model) in claimed:
                    raise ValueError(f"variants[{n}] ({v.name!r}): model {model!r} is already listed in "
                                     f"variants[{claimed[(v.name, model)]}]")
                claimed[(v.name, model)] = n
        return self

    def variants_for(self, model_id: str) -> dict[str, ProviderVariant]:
        """The file-wide variants that apply to ``model_id``, by name."""
        listed = {v.name: v for v in self.variants if v.models is not None and model_id in v.models}
        rest = {v.name: v for v in self.variants if v.models is None and v.name not in listed}
        return {**rest, **listed}


def _compiled(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{what} {pattern!r} is not a valid regular expression: {exc}") from None


RuleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class RewriteRule(_Strict):
    """One named rewrite: a regular expression that must match the *whole* (lower-cased,
    prefix-stripped) name, and the name it is rewritten to (``\\1``, ``\\g<name>`` refer to groups)."""

    name: RuleName = Field(description="Rule name, shown in errors and docs (`bedrock-anthropic`).")
    pattern: str = Field(min_length=1, description="Regular expression matched against the whole name.")
    replace: str = Field(description="The rewritten name (a re template).")
    variant: VariantName | None = Field(default=None, description="A price variant the name implies "
                                        "(`regional` for a Bedrock region prefix).")
    note: str | None = None

    @model_validator(mode="after")
    def _valid(self) -> RewriteRule:
        rx = _compiled(self.pattern, f"rewrite {self.name!r}: pattern")
        for ref in re.findall(r"\\(\d+)|\\g<([^>]*)>", self.replace):
            number, named = ref
            group = named or number
            if group.isdigit() and int(group) > rx.groups or not group.isdigit() and group not in rx.groupindex:
                raise ValueError(f"rewrite {self.name!r}: replace {self.replace!r} refers to group {group!r}, "
                                 f"which pattern {self.pattern!r} does not have")
        if not self.replace.strip():
            raise ValueError(f"rewrite {self.name!r}: replace must not be empty")
        return self


class MatchingRules(_Strict):
    """``pricing/_matching.toml``: how a dressed model name is normalised before lookup.

    Order (see docs/pricing.md): exact -> lower-cased -> ``strip_prefixes`` -> ``rewrites`` (in file
    order, each at most once) -> ``renames`` -> one of ``strip_suffixes``; an exact lookup after each."""

    strip_prefixes: tuple[str, ...] = Field(description="Routing prefixes stripped (repeatedly) from the front.")
    rewrites: tuple[RewriteRule, ...] = Field(default=(), description="Whole-name regex rewrites, in order.")
    renames: dict[ModelId, ModelId] = Field(default_factory=dict, description="Exact name -> catalog name.")
    strip_suffixes: tuple[str, ...] = Field(description="Regular expressions stripped once from the end (dates).")

    @field_validator("strip_prefixes", mode="after")
    @classmethod
    def _prefixes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for p in v:
            if not p or p != p.strip().lower():
                raise ValueError(f"strip_prefixes: {p!r} must be non-empty, lower case, without spaces around it")
        return v

    @field_validator("strip_suffixes", mode="after")
    @classmethod
    def _suffixes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for s in v:
            _compiled(s, "strip_suffixes")
            if not s.endswith("$"):
                raise ValueError(f"strip_suffixes: {s!r} must end with $ (it strips a suffix)")
        return v

    @model_validator(mode="after")
    def _unique_renames_and_rules(self) -> MatchingRules:
        names = [r.name for r in self.rewrites]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"rewrite names must be unique: {', '.join(map(repr, repeated))} repeated")
        for old, new in self.renames.items():
            if old != old.lower() or new != new.lower():
                raise ValueError(f"renames: {old!r} = {new!r}: names are matched lower-cased, write them in lower case")
            if old == new:
                raise ValueError(f"renames: {old!r} renames to itself")
            if new in self.renames:
                raise ValueError(f"renames: {old!r} = {new!r}, which is renamed again; renames are applied once")
        return self

# `model` (listed on one side only), a rate, `retired`, a variant (`batch`) or one of its rates (`batch.input`).
DiffField = Annotated[str, StringConstraints(
    pattern=r"^(model|input|output|cache_read|cache_write|cache_write_1h|retired"
            r"|(batch|flex|priority|ultrafast|fast)(\.(input|output|cache_read))?)$")]  # the variants `pricing diff` compares


class KnownDifference(_Strict):
    """One deliberate difference between the catalog and genai-prices / LiteLLM."""

    model: ModelId = Field(description="Our model id (or the source's id, for a model we do not price).")
    field: DiffField = Field(description="`model` (listed on one side only), a rate, `retired`, a variant "
                                         "(`batch`) or a variant's rate (`batch.input`).")
    reason: Annotated[str, StringConstraints(min_length=3, strip_whitespace=True)] = Field(
        description="Why the difference is deliberate.")


class KnownDifferencesFile(_Strict):
    """``pricing/_known_differences.toml``: what ``costpanel pricing diff`` shows as known."""

    differences: tuple[KnownDifference, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> KnownDifferencesFile:
        keys = [(d.model, d.field) for d in self.differences]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError("listed more than once: " + ", ".join(f"{m} {f}" for m, f in repeated))
        return self
