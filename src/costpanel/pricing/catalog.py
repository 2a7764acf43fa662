"""The price catalog: every model's compiled price history, and deliberate name matching.

Matching order (and nothing else — no longest-prefix or substring guessing); the rules are data
in ``pricing/_matching.toml`` and every step ends in an exact id/alias lookup:
1. the name exactly, then lower-cased and trimmed, as a model id or declared alias;
2. routing prefixes stripped (``openai/``, ``models/``, ``bedrock/`` …, repeatedly);
3. whole-name rewrites, in file order, each at most once (Bedrock ids and regions, ``@default``,
   OpenRouter's dotted Claude versions);
4. exact renames (Azure's ``gpt-35-turbo``);
5. one date suffix stripped (``-2024-08-06``, ``-20250929``, ``@20250929``).
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from ..usage import Usage
from .errors import PricingError
from .rates import FEE_FIELDS, ZERO_RATES, Period, Variant, Rates, breakdown_units, compile_rates, cost_units

if TYPE_CHECKING:  # file handling (pathlib, tomllib, pydantic) loads only when prices are read
    from pathlib import Path

    from .schema import CliffTier, ModelSpec, PricePeriod, ProviderFile, ProviderVariant, VariantPrice

_EARLIEST = float("-inf")
CATALOG_SOURCE = "catalog"
OVERRIDE_SOURCE = "override"  # a model priced by the user's own price file (it replaced or added the model)
FALLBACK_ORIGIN_PREFIX = "genai-prices"  # the origin of entries priced by the genai-prices fallback


class SpecRef:
    """A model's validated price-file spec, validated from its raw TOML table on first use.

    A catalog loaded from the compiled cache carries only the raw table, itself still pickled
    (decoding ~200 tables of Decimals and dates would be half the cost of a hit, and grow with the
    catalog), so pricing calls never imports pydantic; listings and ``pricing diff`` pay for it on
    first access. Validating one model alone gives the same spec as validating its whole file
    (the file's own check only compares ids across models)."""

    __slots__ = ("_raw", "_spec")

    def __init__(self, raw: Mapping[str, Any] | bytes, spec: ModelSpec | None = None) -> None:
        self._raw = raw  # the table, or its pickle until first use
        self._spec = spec

    def raw(self) -> Mapping[str, Any]:
        raw = self._raw
        if isinstance(raw, bytes):
            import pickle

            raw = self._raw = pickle.loads(raw)
        return raw

    def get(self) -> ModelSpec:
        spec = self._spec
        if spec is None:  # two threads may both validate: same result, no lock needed
            from .schema import ModelSpec

            spec = self._spec = ModelSpec.model_validate(self.raw())
        return spec

    def __getstate__(self) -> bytes:
        # The table only (the spec would need pydantic to unpickle), pickled on its own so that
        # loading the catalog copies bytes instead of decoding it.
        import pickle

        raw = self._raw
        return raw if isinstance(raw, bytes) else pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL)

    def __setstate__(self, raw: bytes) -> None:
        self._raw, self._spec = raw, None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SpecRef) and self.raw() == other.raw()

    def __hash__(self) -> int:
        return hash(self.raw().get("id"))  # equal tables have equal ids

    def __repr__(self) -> str:
        return f"SpecRef({self.raw().get('id')!r})"


class ModelEntry(NamedTuple):
    """One priced model with its compiled price periods (oldest first)."""

    id: str
    provider: str
    provider_name: str
    name: str
    aliases: tuple[str, ...]
    free: bool
    retired: dt.date | None  # the provider's retirement day (UTC); a future day is scheduled
    periods: tuple[Period, ...]
    origin: str
    spec_ref: SpecRef
    override: bool = False  # from an override file (the user's), not a bundled one

    def __repr__(self) -> str:
        return f"ModelEntry(id={self.id!r}, provider={self.provider!r}, periods={len(self.periods)})"

    def period_at(self, ts: float) -> Period:
        """The period in force at ``ts``; the first period also covers earlier calls."""
        periods = self.periods
        if ts >= periods[-1].start_ts:
            return periods[-1]
        return periods[self._index_at(ts)]

    def _index_at(self, ts: float) -> int:
        return max(bisect.bisect_right([p.start_ts for p in self.periods], ts) - 1, 0)

    def cost_units(self, usage: Usage, ts: float) -> int | None:
        return cost_units(self.period_at(ts), usage)

    def breakdown_units(self, usage: Usage, ts: float) -> dict[str, int] | None:
        return breakdown_units(self.period_at(ts), usage)

    @property
    def priced_by(self) -> str:
        """What priced it, as events, snapshots and reports say: ``catalog`` (a bundled file),
        ``override`` (the user's own file: a price they set, shown as theirs) or the library it
        came from (``genai-prices 0.2.3``)."""
        if self.override:
            return OVERRIDE_SOURCE
        return self.origin if self.origin.startswith(FALLBACK_ORIGIN_PREFIX) else CATALOG_SOURCE

    @property
    def spec(self) -> ModelSpec:
        """The model as validated from its price file (see SpecRef)."""
        return self.spec_ref.get()

    @property
    def current(self) -> Period:
        """The period in force now (a file may already hold a scheduled price change)."""
        return self.period_at(time.time())

    @property
    def current_spec(self) -> PricePeriod | None:
        """The price file's period in force now (periods are compiled one for one from it)."""
        return self.spec.prices[self._index_at(time.time())] if self.spec.prices else None


def _ts(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()


def _compile_tiers(tiers: Iterable[CliffTier], fees: Mapping[str, object]) -> tuple[tuple[int, Rates], ...]:
    # A cliff tier re-prices the tokens; per-request fees are the period's whatever the prompt.
    return tuple((t.above_prompt_tokens, compile_rates({**dict(t), **fees})) for t in tiers)


def _compile_variant(p: PricePeriod, fees: Mapping[str, object], v: VariantPrice | ProviderVariant) -> Variant:
    factor = Fraction(v.multiplier) if v.multiplier is not None else Fraction(1)
    if not getattr(v, "explicit", False):  # a file-wide variant is always a multiplier
        return Variant(factor, None)
    own = Period(_ts(p.effective), compile_rates({**dict(v), **fees}), _compile_tiers(v.tiers, fees),
                 v.source or p.source)
    return Variant(factor, own)


def _compile_period(p: PricePeriod, shared: Mapping[str, ProviderVariant] | None = None,
                    aliases: Mapping[str, str] | None = None) -> Period:
    fees = {f: getattr(p, f) for f in FEE_FIELDS}
    variants = {name: _compile_variant(p, fees, v) for name, v in {**(shared or {}), **p.variants}.items()}
    for alias, name in (aliases or {}).items():
        # the one variant under both names (with_variant refuses it twice in a call); an override
        # file's own variant of the alias's name is its own price, and stays
        if name in variants and alias not in variants:
            variants[alias] = variants[name] = variants[name]._replace(name=name)
    return Period(_ts(p.effective), compile_rates(dict(p)), _compile_tiers(p.tiers, fees), p.source, variants,
                  search_once=p.web_search_per == "request")


def _entry(pf: ProviderFile, spec: ModelSpec, origin: str, raw: Mapping[str, Any], override: bool,
           aliases: Mapping[str, str]) -> ModelEntry:
    """``aliases``: the provider's variant aliases, from all its files."""
    shared = pf.variants_for(spec.id)
    periods = tuple(_compile_period(p, shared, aliases) for p in spec.prices)
    if spec.free and not periods:
        periods = (Period(_EARLIEST, ZERO_RATES, (), pf.sources[0]),)
    return ModelEntry(
        id=spec.id,
        provider=pf.provider,
        provider_name=pf.name,
        name=spec.name or spec.id,
        aliases=spec.aliases,
        free=spec.free,
        retired=spec.retired,
        periods=periods,
        origin=origin,
        spec_ref=SpecRef(raw, spec),
        override=override,
    )


class Replacement(NamedTuple):
    """An override file's model that replaced one loaded before it (same id)."""

    model: str
    origin: str  # the file whose model is in force
    replaced_origin: str  # the file it replaced
    bundled: bool  # whether the replaced model was a bundled one
    dropped: tuple[str, ...] = ()  # price variants the replaced model offered now and this one does not


class Catalog:
    """Immutable after construction; safe to share between trackers and threads."""

    def __init__(self, entries: Iterable[ModelEntry], prefixes: Sequence[str], suffixes: Sequence[str],
                 replaced: Sequence[Replacement] = (), rewrites: Sequence[tuple[str, str]] = (),
                 renames: Mapping[str, str] | None = None,
                 rewrite_variants: Sequence[str | None] = ()) -> None:
        self.replaced: tuple[Replacement, ...] = tuple(replaced)  # said by `pricing check`, never an error
        self._models: dict[str, ModelEntry] = {}
        index: dict[str, ModelEntry] = {}
        problems: list[str] = []
        for e in entries:
            self._models[e.id] = e
            for name in (e.id, *e.aliases):
                key = name.strip().lower()
                other = index.get(key)
                if other is not None and other is not e:
                    problems.append(
                        f"{e.origin}: model {e.id!r}: name {name!r} is already used by model {other.id!r} "
                        f"in {other.origin}; remove one of them or give it another alias"
                    )
                index[key] = e
        if problems:
            raise PricingError(problems)
        self._index = index
        import re

        # Longest first so `vertex_ai_beta/` wins over a shorter prefix of it.
        self._prefixes = tuple(sorted({p.lower() for p in prefixes}, key=len, reverse=True))
        self._suffixes = tuple(re.compile(s) for s in suffixes)
        variants = tuple(rewrite_variants) or (None,) * len(rewrites)
        self._rewrites = tuple((re.compile(p), r, v) for (p, r), v in zip(rewrites, variants, strict=True))
        self._renames: Mapping[str, str] = MappingProxyType(dict(renames or {}))
        self.models: Mapping[str, ModelEntry] = MappingProxyType(self._models)

    def __getstate__(self) -> dict[str, Any]:
        # Pickled whole for the compiled cache (see compiled_cache.py); read-only views cannot be
        # pickled, so they are dropped here and rebuilt over the restored dicts.
        state = {k: v for k, v in self.__dict__.items() if not isinstance(v, MappingProxyType)}
        state["_renames"] = dict(self._renames)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._renames = MappingProxyType(state["_renames"])
        self.models = MappingProxyType(self._models)

    def __len__(self) -> int:
        return len(self._models)

    @property
    def providers(self) -> tuple[str, ...]:
        return tuple(sorted({e.provider for e in self._models.values()}))

    def normalise(self, name: str) -> str:
        """Lower-case, trimmed, routing prefixes removed."""
        n = name.strip().lower()
        changed = True
        while changed:
            changed = False
            for p in self._prefixes:
                if n.startswith(p) and len(n) > len(p):
                    n = n[len(p) :]
                    changed = True
        return n

    def rewrite(self, n: str) -> str:
        """``n`` after the whole-name rewrites (in order, each at most once)."""
        return self._rewritten(n)[0]

    def _rewritten(self, n: str) -> tuple[str, str | None]:
        """``n`` rewritten, and the price variant the applied rules imply (e.g. ``regional``)."""
        implied: list[str] = []
        for rx, template, variant in self._rewrites:
            m = rx.fullmatch(n)
            if m is not None:
                n = m.expand(template)
                if variant is not None:
                    implied.append(variant)
        return n, "+".join(sorted(set(implied))) or None

    def match(self, name: str) -> ModelEntry | None:
        """The model ``name`` denotes, or None. See the module docstring for the rules."""
        return self.resolve(name)[0]

    def resolve(self, name: str) -> tuple[ModelEntry | None, str | None]:
        """The model ``name`` denotes (or None), and the price variant its name implies (a Bedrock
        regional endpoint's ``us.`` prefix: ``regional``), or None."""
        index = self._index
        entry = index.get(name) or index.get(name.strip().lower())
        if entry is not None:
            return entry, None
        n = self.normalise(name)
        entry = index.get(n)
        if entry is not None:
            return entry, None
        n, implied = self._rewritten(n)
        n = self._renames.get(n, n)
        entry = index.get(n)
        if entry is not None:
            return entry, implied
        for rx in self._suffixes:
            bare = rx.sub("", n, count=1)
            if bare != n and (entry := index.get(bare)) is not None:
                return entry, implied
        return None, None

    def suggestions(self, name: str, n: int = 5) -> list[str]:
        """Close model ids, for an error message about an unknown name."""
        import difflib

        return difflib.get_close_matches(self.rewrite(self.normalise(name)), sorted(self._models), n=n, cutoff=0.6)


def build_catalog(bundled: Sequence[Path], overrides: Sequence[Path], rules_folder: Path) -> Catalog:
    """Validate every file, collect every problem, then apply overrides by model id."""
    from .files import load_matching_rules, read_toml, validate_provider

    rules = load_matching_rules(rules_folder)
    problems: list[str] = []
    loaded: list[tuple[Path, ProviderFile, list[Any], bool]] = []
    for path, is_override in [*((p, False) for p in bundled), *((p, True) for p in overrides)]:
        try:
            data = read_toml(path)
            # The raw model tables go with the entries: their spec is re-validated from them on
            # demand after a cache hit (one to one with pf.models once the file validated).
            loaded.append((path, validate_provider(path, data), data["models"], is_override))
        except PricingError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PricingError(problems)

    entries: dict[str, ModelEntry] = {}
    bundled_ids: set[str] = set()
    replaced: list[Replacement] = []
    prefixes = list(rules.strip_prefixes)
    # A provider's variant aliases are its API's words, whichever file a model of it is in: an
    # override file for openai gets `fast` for its models' priority as the bundled file's do.
    aliases: dict[str, dict[str, str]] = {}
    for _, pf, _, _ in loaded:
        aliases.setdefault(pf.provider, {}).update(pf.variant_aliases)
    for path, pf, raw_models, is_override in loaded:
        prefixes.extend(pf.prefixes)
        for spec, raw in zip(pf.models, raw_models, strict=True):
            before = entries.get(spec.id)
            if before is not None and not is_override:
                problems.append(
                    f"{path}: model {spec.id!r} is also defined in {before.origin}; "
                    "a model id may appear in one bundled file only"
                )
                continue
            elif not is_override:
                bundled_ids.add(spec.id)
            entries[spec.id] = _entry(pf, spec, str(path), raw, is_override,  # an override replaces the whole model
                                      aliases[pf.provider])
            if before is not None:  # its variants too: say which ones it no longer offers
                dropped = tuple(sorted(set(before.current.variants) - set(entries[spec.id].current.variants)))
                replaced.append(Replacement(spec.id, str(path), before.origin, spec.id in bundled_ids, dropped))
    if problems:
        raise PricingError(problems)
    return Catalog(entries.values(), prefixes, rules.strip_suffixes, replaced,
                   rewrites=[(r.pattern, r.replace) for r in rules.rewrites], renames=rules.renames,
                   rewrite_variants=[r.variant for r in rules.rewrites])


_cache_lock = threading.Lock()
_cache: dict[bytes, Catalog] = {}


def load_catalog(*, overrides: bool = True, extra: Sequence[Path | str] = ()) -> Catalog:
    """Bundled prices plus user overrides (and ``extra`` files), validated.

    Keyed by the files' contents: the same catalog object per process while they are unchanged
    (many trackers share it), and across processes through the compiled cache on disk, so only
    a change to a price file pays for validating and compiling them again.
    """
    from pathlib import Path

    from . import compiled_cache
    from .files import MATCHING_FILE, bundled_dir, override_paths, provider_paths

    folder = bundled_dir()
    bundled = provider_paths(folder)
    user = [*(override_paths() if overrides else []), *(Path(p) for p in extra)]
    for p in user:
        if not p.is_file():
            raise PricingError([f"{p}: no such pricing file"])
    inputs = [*(("bundled", p) for p in bundled), ("rules", folder / MATCHING_FILE), *(("override", p) for p in user)]
    try:
        key: bytes | None = compiled_cache.content_key(inputs)
    except OSError:  # an unreadable file: the build below names it as a pricing problem
        key = None
    with _cache_lock:
        if key is not None:
            cached = _cache.get(key)
            if cached is None:
                cached = compiled_cache.load(key)
            if cached is not None:
                _cache.clear()
                _cache[key] = cached
                return cached
        catalog = build_catalog(bundled, user, folder)  # raises PricingError: nothing is cached
        if key is not None:
            # Stored only if no file changed while it was built, so the key describes its contents.
            with contextlib.suppress(OSError):
                if compiled_cache.content_key(inputs) == key:
                    compiled_cache.store(key, catalog)
            _cache.clear()
            _cache[key] = catalog
        return catalog


def checked_catalog(paths: Sequence[Path]) -> Catalog:
    """The catalog of the given files as overrides on top of the bundled ones and the user's other
    overrides (so a clash with any of them shows, as a tracker would meet it; the given files come
    last, so they win), or of the bundled files plus the user's overrides when none are given.
    Raises PricingError listing every problem."""
    from .files import bundled_dir, override_paths, provider_paths

    if paths:
        folder = bundled_dir()
        given = {p.resolve() for p in paths}
        others = [p for p in override_paths() if p.resolve() not in given]
        return build_catalog(provider_paths(folder), [*others, *paths], folder)
    return load_catalog()


def check_files(paths: Sequence[Path]) -> list[str]:
    """Problems in the given files, or in the bundled files plus overrides when none are given."""
    try:
        checked_catalog(paths)
    except PricingError as exc:
        return list(exc.problems)
    return []


def replacement_notes(catalog: Catalog) -> list[str]:
    """``note: <file> overrides bundled model gpt-4o``, one per replaced model (intended or not)."""
    def dropped(r: Replacement) -> str:
        if not r.dropped:
            return ""
        return (f"; it no longer offers the variants {', '.join(r.dropped)} (calls under them are counted "
                "unpriced: give them in your file, as the bundled one does, to keep them)")

    return [(f"note: {r.origin} overrides bundled model {r.model}" if r.bundled
             else f"note: {r.origin} overrides model {r.model} from {r.replaced_origin}") + dropped(r)
            for r in catalog.replaced]


__all__ = ["Catalog", "ModelEntry", "PricingError", "Rates", "Replacement", "build_catalog", "check_files",
           "checked_catalog", "load_catalog", "replacement_notes"]
