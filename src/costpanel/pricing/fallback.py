"""Prices for model names the catalog does not know, from the genai-prices library.

One :class:`GenaiPricesFallback` per process (:func:`shared_fallback`), shared by every tracker.
genai-prices is imported lazily, on a daemon thread, the first time a tracker meets a name its
catalog does not know (never on ``import costpanel``, never while every name is in the catalog):
its first load takes ~0.3 s, which must not stall an agent's thread inside ``record()``. Each name
is resolved once, on that thread, into a :class:`~costpanel.pricing.catalog.ModelEntry` with exact
integer rates and ``origin = "genai-prices x.y.z"`` (its ``source``); the tracker counts the name's
first calls as pending meanwhile and prices them when the lookup completes (see tracker.py).

What is trusted (docs/pricing.md says the same):
- genai-prices' own lookup only, as its ``calc_price`` finds a model: ``provider/model`` with one
  of its provider ids, or a bare name its provider rules route; a bare name only some reseller
  lists is not guessed (:func:`find_model`);
- never a model the catalog prices (:func:`accepted`: its genai-prices id or any exact name its
  match rule lists resolves in the catalog): ``claude-sonnet-4-5-weird``, which genai-prices
  matches to ``claude-sonnet-4-5`` by ``starts_with``, stays unpriced instead of being billed as
  it, and a catalog model's row never has two prices. So ``equals`` clauses are trusted, and
  ``starts_with``/``regex``/``contains`` ones only where they land on a model the catalog lacks;
- never a provider the catalog covers (:data:`COVERED_PROVIDERS`), and text models only.

What is priced, exactly or not at all (:func:`compile_model`; anything else is unpriced, never $0):
- prices of ``input_mtok``, ``output_mtok`` (both required, so a model genai-prices lists as free
  is priced at $0 only when it states ``0`` for both), ``cache_read_mtok``, ``cache_write_mtok``,
  ``cache_write_1h_mtok``, ``requests_kcount`` and ``web_searches_kcount``; a model with any other
  price (audio, image, reasoning, per-page …) is refused, as costpanel's buckets could not bill it;
- genai-prices' ``TieredPrices`` are whole-request cliffs on the prompt tokens (its docs and
  ``calc_unit_price``: crossing ``start`` re-prices *all* tokens), as the catalog's tiers are; each
  price field may have its own thresholds, compiled into one cliff tier per distinct threshold;
- ``ConditionalPrice`` lists with start dates become price periods (the first one also covers
  earlier calls, as genai-prices does); a time-of-day constraint (off-peak prices) is refused;
- a price finer than 1e-12 USD is refused.
Price variants (service tiers) are not taken over: a call billed under a variant is unpriced.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

from .catalog import FALLBACK_ORIGIN_PREFIX, ModelEntry, SpecRef
from .rates import FEE_FIELDS, Period, compile_rates

if TYPE_CHECKING:
    from .catalog import Catalog

_log = logging.getLogger(__name__)

# genai-prices price key -> costpanel price field (the only ones priced; see the module docstring)
PRICE_KEYS: dict[str, str] = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write",
    "cache_write_1h_mtok": "cache_write_1h",
    "requests_kcount": "per_1k_requests",
    "web_searches_kcount": "web_search_per_1k",
}
_REQUIRED = ("input_mtok", "output_mtok")
# genai-prices' providers whose models the catalog itself prices (pricing/diff.py GENAI_PROVIDERS):
# for them the catalog is the authority — a name it does not match is either refused on purpose
# (floating aliases, Live/TTS endpoints, names of a price variant) or a gap `costpanel pricing
# diff` reports as missing — so the fallback never prices them.
COVERED_PROVIDERS = frozenset({"openai", "anthropic", "google", "x-ai", "mistral", "deepseek", "perplexity"})
_MAX_NAMES = 16384  # distinct names remembered (a stream of made-up names must not grow it forever)
_EARLIEST = float("-inf")


class Found(NamedTuple):
    """A name's lookup: the entry (None: genai-prices does not know it, or it cannot be priced
    exactly) and the names that denote its genai-prices model (for the catalog guard)."""

    entry: ModelEntry | None
    names: tuple[str, ...] = ()
    why: str = ""  # why it is unpriced, for logs and `costpanel price`


PENDING = object()  # lookup(): still in flight
_UNKNOWN = Found(None, (), "genai-prices does not know it")


class GenaiPricesFallback:
    """Lazily loaded genai-prices, resolving names on a daemon thread; thread-safe.

    ``gate``: the worker waits for it before importing genai-prices (tests hold the warm-up)."""

    def __init__(self, *, gate: threading.Event | None = None) -> None:
        self._gate = gate
        self._cond = threading.Condition()
        self._found: dict[str, Found] = {}
        self._queue: list[str] = []
        self._waiters: dict[str, list[Callable[[str], None]]] = {}
        self._worker: threading.Thread | None = None
        self._snapshot: Any = None
        self._version: str | None = None
        self._failed: str | None = None
        self._load_lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._snapshot is not None or self._failed is not None

    def lookup(self, name: str, callback: Callable[[str], None] | None = None) -> Found | object:
        """The name's result: at once if genai-prices is loaded (resolving a new name takes well
        under a millisecond to a few ms, once), else :data:`PENDING` after queueing it for the
        worker, which loads genai-prices and then runs ``callback(name)`` on its thread."""
        found = self._found.get(name)
        if found is not None:
            return found
        if self.loaded:
            return self.resolve_now(name)
        with self._cond:
            found = self._found.get(name)
            if found is not None:
                return found
            if name not in self._waiters:
                self._waiters[name] = []
                self._queue.append(name)
            if callback is not None:
                self._waiters[name].append(callback)
            self._start()
            self._cond.notify_all()
        return PENDING

    def warm(self) -> None:
        """Start loading genai-prices in the background (returns at once)."""
        if not self.loaded:
            with self._cond:
                self._start()

    def load(self) -> None:
        """Load genai-prices now, in the calling thread."""
        self._load()

    def _start(self) -> None:  # with self._cond held
        if self._worker is None:
            self._worker = threading.Thread(target=self._run, name="costpanel-genai-prices", daemon=True)
            self._worker.start()

    def wait(self, name: str, timeout: float | None = None) -> Found | None:
        """Block until ``name`` is resolved (queueing it if needed); None on timeout."""
        if self.lookup(name) is PENDING:
            with self._cond:
                self._cond.wait_for(lambda: name in self._found, timeout)
        return self._found.get(name)

    def resolve_now(self, name: str) -> Found:
        """Resolve in the calling thread (the CLI may wait for the import)."""
        found = self._found.get(name)
        if found is None:
            found = self._resolve(name)
            with self._cond:
                self._remember(name, found)
        return found

    @property
    def version(self) -> str | None:
        self._load()
        return self._version

    # -- the worker -----------------------------------------------------------------------------------
    def _run(self) -> None:
        if self._gate is not None:
            self._gate.wait()
        self._load()
        while True:
            with self._cond:
                if not self._queue:
                    self._worker = None
                    return
                name = self._queue.pop(0)
            try:
                found = self._resolve(name)
            except Exception as exc:  # never leave a waiter hanging: unpriced, said in the log
                _log.exception("costpanel: genai-prices lookup of %r failed", name)
                found = Found(None, (), f"genai-prices failed: {exc}")
            with self._cond:
                self._remember(name, found)
                callbacks = self._waiters.pop(name, [])
                self._cond.notify_all()
            for callback in callbacks:
                try:
                    callback(name)
                except Exception:
                    _log.exception("costpanel: settling calls of %r failed", name)

    def _remember(self, name: str, found: Found) -> None:
        if len(self._found) >= _MAX_NAMES:
            self._found.clear()
        self._found[name] = found

    def _load(self) -> Any:
        if self._snapshot is None and self._failed is None:
            with self._load_lock:
                if self._snapshot is None and self._failed is None:
                    try:
                        from importlib.metadata import version

                        from genai_prices import data_snapshot

                        snapshot = data_snapshot.get_snapshot()
                        self._version = version("genai-prices")
                        self._snapshot = snapshot
                    except Exception as exc:  # not installed or broken: every miss stays unpriced
                        self._failed = f"genai-prices could not be loaded: {exc}"
                        _log.warning("costpanel: %s; unknown models stay unpriced", self._failed)
        return self._snapshot

    def _resolve(self, name: str) -> Found:
        snapshot = self._load()
        if snapshot is None:
            return Found(None, (), self._failed or "")
        match = find_model(snapshot, name)
        if match is None:
            return _UNKNOWN
        provider, model = match
        names = (model.id.lower(), *(n.lower() for n in equals_names(model.match)))
        owner = next((p.id for p in snapshot.providers if any(m is model for m in p.models)), provider.id)
        if owner in COVERED_PROVIDERS:
            return Found(None, names, f"genai-prices' {owner}/{model.id}: {owner} is a provider the catalog "
                                      "covers (a name of it the catalog does not match is refused or missing there)")
        from .diff import is_text_model

        prices = model.prices if not isinstance(model.prices, list) else model.prices[-1].prices
        if not is_text_model(model.id, prices._comparable_values()):
            return Found(None, names, f"genai-prices' {provider.id}/{model.id} is not a text model")
        try:
            entry = compile_model(provider, model, f"{FALLBACK_ORIGIN_PREFIX} {self._version}")
        except Unpriceable as exc:
            return Found(None, names, f"genai-prices' {provider.id}/{model.id}: {exc}")
        return Found(entry, names)


class Unpriceable(Exception):
    """genai-prices' price cannot be represented exactly in costpanel's terms."""


def equals_names(clause: Any) -> list[str]:
    """The exact names in a genai-prices match rule (``equals`` clauses, inside ``or`` ones)."""
    if hasattr(clause, "equals"):
        return [clause.equals]
    return [n for c in getattr(clause, "or_", ()) for n in equals_names(c)]


def find_model(snapshot: Any, name: str) -> tuple[Any, Any] | None:
    """genai-prices' (provider, model) for ``name``, as its own ``calc_price`` finds them:
    ``provider/model`` with one of its provider ids, else its provider-by-model routing. A bare
    name only some reseller lists (no routing rule) is not guessed: which of them served the call
    cannot be known, and their prices differ."""
    ref = name.strip().lower()
    providers = snapshot.providers
    if "/" in ref:
        head, rest = ref.split("/", 1)
        provider = next((p for p in providers if p.id == head), None)
        if provider is not None and rest:
            model = provider.find_model(rest, all_providers=providers)
            return None if model is None else (provider, model)
    try:
        return snapshot.find_provider_model(ref, None, None, None)
    except LookupError:
        return None


def accepted(found: Found, catalog: Catalog) -> ModelEntry | None:
    """``found``'s entry unless its genai-prices model is one the catalog prices (module docstring)."""
    if found.entry is None:
        return None
    if any(catalog.match(n) is not None for n in found.names):
        return None
    return found.entry


# --------------------------------------------------------------------------- compiling prices


def _day_ts(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()


def compile_model(provider: Any, model: Any, origin: str) -> ModelEntry:
    """A ModelEntry with exact integer rates, or :class:`Unpriceable`."""
    from genai_prices.types import ModelPrice, StartDateConstraint

    if isinstance(model.prices, ModelPrice):
        dated = [(_EARLIEST, model.prices)]
    else:
        dated = []
        for k, cp in enumerate(model.prices):
            if k == 0:  # used whenever no later one applies: it also covers earlier calls
                dated.append((_EARLIEST, cp.prices))
            elif isinstance(cp.constraint, StartDateConstraint):
                dated.append((_day_ts(cp.constraint.start_date), cp.prices))
            else:
                raise Unpriceable("time-of-day prices (off-peak) cannot be represented")
        if any(a[0] >= b[0] for a, b in pairwise(dated)):
            raise Unpriceable("price dates are not in order")
    source = (provider.pricing_urls or [""])[0] or f"genai-prices: {provider.id}"
    periods = tuple(compile_period(start, price, source) for start, price in dated)
    # The row key names the provider too: the same model id at two hosts (OpenRouter's and Novita's
    # meta-llama/llama-3.1-8b-instruct) has two prices and must not share one row.
    key = f"{provider.id}/{model.id}"
    return ModelEntry(
        id=key, provider=provider.id, provider_name=provider.name, name=model.name or model.id,
        aliases=(), free=False, retired=None, periods=periods, origin=origin,
        spec_ref=SpecRef({"id": key, "name": model.name or model.id, "prices": []}),
    )


def compile_period(start_ts: float, price: Any, source: str) -> Period:
    """One genai-prices ModelPrice as a Period (cliff tiers included)."""
    from genai_prices.types import TieredPrices

    values = {k: v for k, v in price.__dict__.items() if not k.startswith("_") and v is not None}
    extra = sorted(set(values) - set(PRICE_KEYS))
    if extra:
        raise Unpriceable(f"prices costpanel cannot bill ({', '.join(extra)})")
    missing = [k for k in _REQUIRED if k not in values]
    if missing:
        raise Unpriceable(f"no {' or '.join(missing)} price")
    fees = {PRICE_KEYS[k] for k in PRICE_KEYS} & set(FEE_FIELDS)
    thresholds: set[int] = set()
    for key, v in values.items():
        if isinstance(v, TieredPrices):
            if PRICE_KEYS[key] in fees:
                raise Unpriceable(f"tiered {key}")
            thresholds.update(t.start for t in v.tiers)
        elif not isinstance(v, Decimal):
            raise Unpriceable(f"{key} is not a price")

    def at(threshold: int | None) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for key, v in values.items():
            if isinstance(v, TieredPrices):
                p = v.base
                if threshold is not None:
                    for tier in v.tiers:  # ascending: the highest one at or below the threshold
                        if tier.start <= threshold:
                            p = tier.price
                out[PRICE_KEYS[key]] = p
            else:
                out[PRICE_KEYS[key]] = v
        return out

    try:
        base = compile_rates(at(None))
        tiers = tuple((t, compile_rates(at(t))) for t in sorted(thresholds))
    except ValueError as exc:  # finer than 1e-12 USD
        raise Unpriceable(str(exc)) from exc
    return Period(start_ts, base, tiers, source)


_shared: GenaiPricesFallback | None = None
_shared_lock = threading.Lock()


def shared_fallback() -> GenaiPricesFallback:
    """The process's fallback (created on first use; importing nothing)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = GenaiPricesFallback()
    return _shared


__all__ = ["COVERED_PROVIDERS", "PENDING", "Found", "GenaiPricesFallback", "Unpriceable", "accepted",
           "compile_model", "compile_period", "find_model", "shared_fallback"]
