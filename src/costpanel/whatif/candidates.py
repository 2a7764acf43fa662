""""Cheapest that has the same capabilities": the cheapest model of a short list the user edits.

The catalog knows prices, not capabilities, so the user says which models can do the job: a list
(``[whatif] candidates``), optionally one per tier (``[whatif.tiers]``). The bundled list is
``pricing/_whatif.toml``; a ``whatif.toml`` in the user's config dir replaces it whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..labels import check_label
from .engine import Item, items_of_cells, reprice
from .rows import WhatIf
from .target import Target, make_plan, resolve_target

if TYPE_CHECKING:
    import sqlite3

    from ..ledger.queries import TimeRange
    from ..pricing.catalog import Catalog
    from ..snapshot import Snapshot

USER_FILE = "whatif.toml"  # in the config dir
BUNDLED_FILE = "_whatif.toml"  # in the bundled pricing folder
MAX_CANDIDATES = 50


class Candidates(NamedTuple):
    """Model names to choose from: ``models`` for every tier, ``tiers`` lists for some tiers."""

    models: tuple[str, ...]
    tiers: Mapping[str, tuple[str, ...]] = {}  # noqa: RUF012 - never mutated
    path: Path | None = None  # the file they were read from

    def for_tier(self, tier: str) -> tuple[str, ...]:
        return self.tiers.get(tier, self.models)


def user_path() -> Path:
    from ..paths import config_dir

    return config_dir() / USER_FILE


def bundled_path() -> Path:
    from ..pricing.files import bundled_dir

    return bundled_dir() / BUNDLED_FILE


def _names(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where} must be a non-empty list of model names, got {value!r}")
    if len(value) > MAX_CANDIDATES:
        raise ValueError(f"{where} lists {len(value)} models (at most {MAX_CANDIDATES}): keep the list short")
    for name in value:
        try:
            check_label(where, name)
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None
    return tuple(dict.fromkeys(value))


def parse_candidates(data: Mapping[str, Any], where: str) -> Candidates:
    """Candidates from a parsed file; ValueError naming the file and field when it is malformed."""
    table = data.get("whatif")
    if not isinstance(table, dict):
        raise ValueError(f"{where}: needs a [whatif] table with candidates = [\"model\", ...]")
    unknown = set(table) - {"candidates", "tiers"}
    if unknown:
        raise ValueError(f"{where}: [whatif] has unknown field(s) {', '.join(sorted(unknown))}; "
                         "the fields are candidates and tiers")
    models = _names(table.get("candidates"), f"{where}: whatif.candidates")
    tiers = table.get("tiers", {})
    if not isinstance(tiers, dict):
        raise ValueError(f"{where}: whatif.tiers must be a table of tier = [\"model\", ...], got {tiers!r}")
    lists = {}
    for tier, names in tiers.items():
        check_label(f"{where}: whatif.tiers key", tier)
        lists[tier] = _names(names, f"{where}: whatif.tiers.{tier!r}")
    return Candidates(models, lists)


def load_candidates(path: Path | None = None) -> Candidates:
    """The user's list (``<config dir>/whatif.toml``) when there is one, else the bundled list;
    ``path``: that file instead. ValueError names the file and what is wrong in it."""
    import tomllib

    if path is None:
        path = user_path()
        if not path.is_file():
            path = bundled_path()
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such candidates file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    return parse_candidates(data, str(path))._replace(path=path)


class Choice(NamedTuple):
    """The cheapest candidate(s) and the what-if they give.

    ``target``: the model (overall) or tier -> model (per tier; a tier with no candidate that
    prices all its calls keeps its models). ``ranked``: per tier (``"*"`` overall) the candidates
    that priced every call, cheapest first, as (model id, what-if units). ``skipped``: (name as
    listed, why) for candidates left out: unknown to the catalog, or a call they cannot price."""

    target: str | Mapping[str, str] | None
    whatif: WhatIf | None
    ranked: Mapping[str, tuple[tuple[str, int], ...]]
    skipped: tuple[tuple[str, str], ...]


def cheapest(snapshot: Snapshot, candidates: Candidates | Sequence[str] | None = None, *,
             per_tier: bool = False) -> Choice:
    """The cheapest candidate for this session's usage (from its sums: rows are ``approximate``
    where a candidate has long-context cliffs; :func:`cheapest_of` with the ledger's calls is exact)."""
    catalog = snapshot._catalog
    if catalog is None:
        from ..pricing import load_catalog

        catalog = load_catalog()
    return cheapest_of(list(items_of_cells(snapshot._cells, snapshot._variants)), catalog, candidates, exact=False,
                       per_tier=per_tier)


def cheapest_in_ledger(conn: sqlite3.Connection, span: TimeRange, catalog: Catalog,
                       candidates: Candidates | Sequence[str] | None = None, *, per_tier: bool = False) -> Choice:
    """:func:`cheapest` of the ledger's committed calls in ``span``: exact (each call's own cliff)."""
    from .ledger import ledger_items

    listed = _as_candidates(candidates)
    names = {*listed.models, *(m for ms in listed.tiers.values() for m in ms)}
    targets = []
    for name in names:
        try:
            targets.append(resolve_target(catalog, name, "candidate"))
        except ValueError:
            continue  # cheapest_of says why it is skipped
    return cheapest_of(list(ledger_items(conn, span, targets)), catalog, listed, exact=True, per_tier=per_tier)


def _as_candidates(candidates: Candidates | Sequence[str] | None) -> Candidates:
    if candidates is None:
        return load_candidates()
    if isinstance(candidates, Candidates):
        return candidates
    return Candidates(_names(list(candidates), "candidates"))


def cheapest_of(items: Iterable[Item], catalog: Catalog, candidates: Candidates | Sequence[str] | None = None, *,
                exact: bool, per_tier: bool = False) -> Choice:
    """:func:`cheapest` of any usage: a snapshot's sums, or calls (``exact=True``)."""
    candidates = _as_candidates(candidates)
    items = list(items)
    if not items:  # no usage: nothing is cheaper than anything
        return Choice(None, None, {}, ())
    tiers = list(dict.fromkeys(i.tier for i in items))
    names = list(dict.fromkeys(n for n in (*candidates.models, *(m for t in tiers for m in candidates.for_tier(t)))))
    skipped: dict[str, str] = {}
    targets: dict[str, Target] = {}
    for name in names:
        try:
            targets[name] = resolve_target(catalog, name, "candidate")
        except ValueError:
            skipped[name] = "not in the price catalog"
    results = {name: reprice(items, make_plan(catalog, t.id), exact=exact) for name, t in targets.items()}

    def ranked(tier: str | None) -> tuple[tuple[str, int], ...]:
        listed = candidates.models if tier is None else candidates.for_tier(tier)
        out = []
        for name in listed:
            if name not in results:
                continue
            row = results[name].total if tier is None else results[name].by_tier[tier]
            if row.what_if_unpriced_calls:
                why = "; ".join(n for n in row.notes if "not priced" in n)
                skipped.setdefault(name, f"cannot price {row.what_if_unpriced_calls:,} call(s)"
                                         f"{'' if tier is None else f' of {tier}'}{f' ({why})' if why else ''}")
                continue
            out.append((targets[name].id, row.what_if_units))
        return tuple(sorted(out, key=lambda pair: pair[1]))  # stable: list order breaks ties

    if not per_tier:
        overall = ranked(None)
        target = overall[0][0] if overall and items else None
        whatif = None if target is None else results[next(n for n in results if targets[n].id == target)]
        return Choice(target, whatif, {"*": overall}, tuple(skipped.items()))
    by_tier = {tier: ranked(tier) for tier in tiers}
    mapping = {tier: best[0][0] for tier, best in by_tier.items() if best}
    whatif = reprice(items, make_plan(catalog, mapping), exact=exact) if mapping else None
    return Choice(mapping or None, whatif, by_tier, tuple(skipped.items()))
