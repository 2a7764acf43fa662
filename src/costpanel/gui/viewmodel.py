"""Snapshot → everything the panel displays, as plain strings and lists. No Dear PyGui here.

The panel only copies these texts into widgets, so every number on screen is tested headless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from typing import Any

from ..budgets import BudgetStatus, budget_status
from ..pricing.catalog import FALLBACK_ORIGIN_PREFIX, OVERRIDE_SOURCE
from ..snapshot import Row, Snapshot, natural_key
from . import format as fmt
from .fonts import Glyphs, default_glyphs

STANDARD_TIERS = ("Tier 1", "Tier 2", "Tier 3", "Tier 4")  # always shown, zero until used
BURN_MIN_S = 60.0  # a rate from the first seconds extrapolates wildly ("$2,291/h" after 5 s)
BURN_MIN_CALLS = 5
SEP = " \u00b7 "  # a middle dot between figures on one line
UNPRICED_HINT = (
    "No price for {model!r}: its tokens are counted, its cost is not.\n"
    "Add it to a TOML file in {config}/pricing/ (see docs/pricing.md),\n"
    "then run `costpanel pricing check`."
)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    numeric: bool = True


TIER_COLUMNS = (
    Column("tier", "Tier", False), Column("models", "Model(s)", False), Column("calls", "Calls"),
    Column("input", "Input"), Column("cache_read", "Cache read"), Column("cache_write", "Cache write"),
    Column("output", "Output"), Column("cost", "Cost"), Column("share", "Share"),
)
MODEL_COLUMNS = (
    Column("model", "Model", False), Column("provider", "Provider", False), Column("calls", "Calls"),
    Column("input", "Input"), Column("cache_read", "Cache read"), Column("cache_write", "Cache write"),
    Column("output", "Output"), Column("cost", "Cost"), Column("per_call", "$/call"), Column("share", "Share"),
)
PAIR_COLUMNS = (
    Column("tier", "Tier", False), Column("model", "Model", False), Column("calls", "Calls"),
    Column("tokens", "Tokens"), Column("cost", "Cost"), Column("share", "Share"),
)
TABLES: dict[str, tuple[Column, ...]] = {
    "tiers": TIER_COLUMNS, "models": MODEL_COLUMNS, "pairs": PAIR_COLUMNS, "discarded": PAIR_COLUMNS,
}


Cells = list[tuple[str, "str | None"]]  # (text, tooltip) per column


class RowView:
    """One table row: sort values now, display texts on first use — a panel formats only the rows
    a user can see (a scrolled 40-row table shows about ten)."""

    __slots__ = ("key", "sort_values", "unpriced", "names", "_make", "_cells")

    def __init__(self, key: str, sort_values: tuple[object, ...], make: Callable[[], Cells],
                 *, unpriced: bool = False, names: tuple[str, ...] = ()) -> None:
        self.key = key
        self.sort_values = sort_values
        self.unpriced = unpriced  # the whole row has no price: shown with a badge colour
        self.names = names  # a tier row's model names, as shown (the panel fits as many as its column holds)
        self._make: Callable[[], Cells] | None = make
        self._cells: Cells = []

    def _texts(self) -> Cells:
        if self._make is not None:
            self._cells, self._make = self._make(), None
        return self._cells

    @property
    def cells(self) -> tuple[str, ...]:
        return tuple(text for text, _ in self._texts())

    @property
    def tooltips(self) -> tuple[str | None, ...]:
        return tuple(tip for _, tip in self._texts())

    def __repr__(self) -> str:
        return f"RowView({self.key!r}, {self.cells!r})"


@dataclass(frozen=True, slots=True)
class HeaderView:
    cost: str
    cost_exact: str
    tokens: str
    calls: str
    elapsed: str
    burn_5m: str
    burn_session: str
    projection: str  # session cost an hour from now at the last-5-minutes rate
    unpriced: str  # "" when every call is priced
    pending: str  # open attempts, "" when none
    discarded: str  # discarded fallback attempts, "" when none
    session: str


CHART_TITLE = "Cumulative cost"  # the chart's title while every call is on it
TABLE_LABELS = {"tiers": "By tier", "models": "By model"}
ROUNDED_NOTE = " (costs rounded: the rows can differ from the total by a cent; each row's tooltip has its exact cost)"


@dataclass(frozen=True, slots=True)
class PanelView:
    header: HeaderView
    tables: Mapping[str, list[RowView]]
    chart: Mapping[str, tuple[list[float], list[float]]]  # line label → (x epoch s, y cumulative USD)
    budget: BudgetStatus | None
    chart_title: str = CHART_TITLE
    rounded: frozenset[str] = frozenset()  # tables whose rows, as shown, do not add up to the total as shown


# -- cells ------------------------------------------------------------------------------------------
def _cost_cell(row: Row) -> tuple[str, str | None]:
    """The cost, and one tooltip with every exact figure of the row (one tooltip per row keeps
    software rendering cheap; the token columns show short forms like 1.23M)."""
    exact = (f"input {fmt.tokens(row.input)}, cache read {fmt.tokens(row.cache_read)}, "
             f"cache write {fmt.tokens(row.cache_write)} (5 min) + {fmt.tokens(row.cache_write_1h)} (1 h), "
             f"output {fmt.tokens(row.output)} tokens; {row.requests:,} request(s)")
    if row.web_search:  # a fee of its own, not in the token counts (Anthropic $10 per 1,000 …)
        exact += f", {row.web_search:,} web search(es) billed per search"
    cost = row.cost_usd
    if cost is None:
        return "unpriced", f"{row.unpriced_calls:,} unpriced call(s): cost unknown\n{exact}"
    text = fmt.usd(cost)
    tip = f"{fmt.usd_exact(cost)} exactly"
    if row.unpriced_calls:
        text += " +?"
        tip += (f"; plus {row.unpriced_calls:,} unpriced call(s) not included (the $/call column averages the "
                f"{row.priced_calls:,} priced)")
    return text, f"{tip}\n{exact}"


def _tokens_cell(n: int) -> tuple[str, str | None]:
    short = fmt.tokens(n, short=True)
    exact = fmt.tokens(n)
    return short, (f"{exact} tokens" if short != exact else None)


def _cache_write_cell(row: Row) -> tuple[str, str | None]:
    text, _ = _tokens_cell(row.cache_write + row.cache_write_1h)
    return text, f"5-minute writes {fmt.tokens(row.cache_write)}, 1-hour writes {fmt.tokens(row.cache_write_1h)}"


_share = fmt.row_share


def _cost_sort(row: Row) -> object:
    return row.cost_units if row.priced_calls else -1  # unpriced sorts below $0


MODELS_CELL_CHARS = 34  # what the tier table's Model(s) column shows at 100 % before it would clip


def models_text(models: tuple[str, ...], limit: int = MODELS_CELL_CHARS) -> str:
    """A tier's models, costliest first, as many whole names as fit and ``+N`` for the rest:
    a name cut by the column's edge could read as another model (``gpt-4o-mini`` as ``gpt-4``)."""
    shown: list[str] = []
    for k, model in enumerate(models):
        rest = len(models) - k - 1
        text = ", ".join([*shown, model]) + (f" +{rest}" if rest else "")
        if shown and len(text) > limit:
            break
        shown.append(model)
    hidden = len(models) - len(shown)
    return ", ".join(shown) + (f" +{hidden}" if hidden else "")


def _tier_row(name: str, row: Row | None, g: Glyphs) -> RowView:
    if row is None:  # a standard tier not used yet
        def zero() -> Cells:
            return [(g(name), None), (fmt.NONE, None), *[("0", None)] * 5, (fmt.usd(Decimal(0)), None),
                    (fmt.share(0.0), None)]

        return RowView(name, (natural_key(name), "", 0, 0, 0, 0, 0, 0, 0.0), zero)

    names = tuple(g(m) for m in row.models)

    def cells() -> Cells:
        models = models_text(names)
        return [
            (g(name), None), (models, ", ".join(names) if len(names) > 1 else None), (f"{row.calls:,}", None),
            _tokens_cell(row.input), _tokens_cell(row.cache_read), _cache_write_cell(row), _tokens_cell(row.output),
            _cost_cell(row), (_share(row), None),
        ]

    sort = (natural_key(name), ", ".join(row.models), row.calls, row.input, row.cache_read,
            row.cache_write + row.cache_write_1h, row.output, _cost_sort(row), row.share)
    return RowView(name, sort, cells, unpriced=row.cost_usd is None, names=names)


FALLBACK_MARK = " ·gp"  # a model row priced by genai-prices, not the catalog (its tooltip says which)
VARIANT_HINT = ("calls billed at {names} prices are among these (the rest standard, if any): the row sums "
                "them all; costpanel report --by variant splits the ledger's calls")
FALLBACK_HINT = "priced by {source}: {model} is not in costpanel's catalog"
OVERRIDE_HINT = "priced by your own price file: an override of costpanel's catalog"


def with_variants(label: str, tip: str | None, variants: tuple[str, ...]) -> tuple[str, str | None]:
    """A model's cell naming the price variants some of its calls were billed under (``fast`` …):
    its cost is not what standard rates would make of its tokens, and the row does not split it."""
    if not variants:
        return label, tip
    hint = VARIANT_HINT.format(names=", ".join(variants))
    return f"{label} (incl. {', '.join(variants)})", hint if tip is None else f"{tip}\n{hint}"


def _model_row(name: str, row: Row, config_dir: str, g: Glyphs, variants: tuple[str, ...] = ()) -> RowView:
    unpriced = row.matched is None
    fallback = not unpriced and (row.priced_by or "").startswith(FALLBACK_ORIGIN_PREFIX)
    override = not unpriced and row.priced_by == OVERRIDE_SOURCE

    def cells() -> Cells:
        shown = g(name)
        label = f"{shown} [unpriced]" if unpriced else f"{shown}{FALLBACK_MARK}" if fallback else shown
        tip = UNPRICED_HINT.format(model=shown, config=config_dir) if unpriced else \
            FALLBACK_HINT.format(source=row.priced_by, model=shown) if fallback else OVERRIDE_HINT if override else None
        return [
            with_variants(label, tip, variants), (g(row.provider) if row.provider else fmt.NONE, None), (f"{row.calls:,}", None),
            _tokens_cell(row.input), _tokens_cell(row.cache_read), _cache_write_cell(row), _tokens_cell(row.output),
            _cost_cell(row), (fmt.per_call(row.usd_per_call), None), (_share(row), None),
        ]

    sort = (name.casefold(), row.provider or "", row.calls, row.input, row.cache_read,
            row.cache_write + row.cache_write_1h, row.output, _cost_sort(row),
            row.cost_units // row.priced_calls if row.priced_calls else -1, row.share)
    return RowView(name, sort, cells, unpriced=unpriced)


def _pair_row(tier: str, model: str, row: Row, g: Glyphs, variants: tuple[str, ...] = ()) -> RowView:
    def cells() -> Cells:
        shown = g(model)
        return [(g(tier), None), with_variants(f"{shown} [unpriced]" if row.matched is None else shown, None, variants),
                (f"{row.calls:,}", None), _tokens_cell(row.tokens), _cost_cell(row), (_share(row), None)]

    sort = (natural_key(tier), model.casefold(), row.calls, row.tokens, _cost_sort(row), row.share)
    return RowView(f"{tier}\x1f{model}", sort, cells, unpriced=row.matched is None)


def sort_rows(rows: list[RowView], columns: Sequence[Column], spec: tuple[str, bool] | None) -> list[RowView]:
    """Rows ordered by ``spec`` = (column key, descending); the default order when None."""
    if spec is None:
        return rows
    key, descending = spec
    index = next((i for i, c in enumerate(columns) if c.key == key), None)
    if index is None:
        return rows
    return sorted(rows, key=lambda r: r.sort_values[index], reverse=descending)  # type: ignore[return-value]


# -- the whole view -------------------------------------------------------------------------------------
def header_view(s: Snapshot, glyphs: Glyphs | None = None, *, since_midnight: bool = False) -> HeaderView:
    """The header's texts; ``glyphs``: what the notices naming models can draw (Roboto's by default,
    so CJK shows as code points; the panel passes its own, and draws such a notice in the CJK
    system font when there is one). ``since_midnight``: a watched
    day (`costpanel watch` counts from local midnight), whose length would read like a clock."""
    g = glyphs if glyphs is not None else default_glyphs()
    unpriced = ""
    if s.unpriced_calls:
        unpriced = f"{s.unpriced_calls:,} call(s) unpriced: {', '.join(g(m) for m in s.unpriced_labels)}"
    pending = f"{s.pending_calls:,} call(s) pending ({fmt.usd(s.pending_usd)})" if s.pending_calls else ""
    if s.approximate_calls:  # Claude Code telemetry: cache writes without their TTL split
        approximate = f"\u2248 {s.approximate_calls:,} call(s) approximate (cache writes priced at the 5-minute rate)"
        pending = f"{pending} \u00b7 {approximate}" if pending else approximate
    discarded = ""
    if s.discarded.calls:
        discarded = f"{s.discarded.calls:,} discarded fallback call(s), {fmt.usd(s.discarded.cost_usd)} not in the total"
    burn_5m, burn_session, projection = burn_texts(s)
    cost, cost_exact = fmt.usd(s.total_usd), f"{fmt.usd_exact(s.total_usd)} exactly"
    if s.unpriced_calls:  # never a silent $0: the total leaves out what has no price, and says so
        cost += " +?"
        cost_exact += f"; plus {s.unpriced_calls:,} unpriced call(s) not included"
    return HeaderView(
        cost=cost,
        cost_exact=cost_exact,
        tokens=f"{fmt.tokens(s.tokens)} tokens",
        calls=f"{s.calls:,} call{'' if s.calls == 1 else 's'}",
        # a watched day: since its local midnight, or since the Reset that began a new session
        elapsed=f"today, since {s.started_at.astimezone():%H:%M}" if since_midnight else f"elapsed {fmt.duration(s.elapsed_s)}",
        burn_5m=burn_5m,
        burn_session=burn_session,
        projection=projection,
        unpriced=unpriced,
        pending=pending,
        discarded=discarded,
        session=g(s.session),
    )


def burn_texts(s: Snapshot) -> tuple[str, str, str]:
    """(last 5 minutes, the run so far, cost in an hour): "—" until the session's first call is at
    least ``BURN_MIN_S`` old and it has ``BURN_MIN_CALLS`` calls (a run that began after the
    session opened — `watch` counts from midnight, a Reset waits for the next experiment — is
    measured from its first call); each says which window it is taken over."""
    if s.active_s < BURN_MIN_S or s.calls < BURN_MIN_CALLS:
        wait = f"{fmt.NONE} (shown after {BURN_MIN_S:.0f} s and {BURN_MIN_CALLS} calls)"
        return wait, "", f"in 1 h: {fmt.NONE}"  # no second "—" beside the first: one wait said once
    active = int(min(300.0, s.active_s))
    window = "last 5 min" if active >= 300 else (
        f"last {active // 60} min {active % 60:02} s (the whole run)" if active % 60 else f"last {active // 60} min (the whole run)")
    burn_5m = s.burn_rate_usd_per_hour(300)
    return (f"{fmt.rate(burn_5m)} over the {window}",
            f"{fmt.rate(s.burn_rate_usd_per_hour(None))} session average",
            f"in 1 h at the 5-min rate: {fmt.usd(s.total_usd + Decimal(str(round(burn_5m, 6))))}")


def chart_title(s: Snapshot, lines: Mapping[str, tuple[list[float], list[float]]]) -> str:
    """The chart's title; once calls have left its window (the tracker's series, an hour), it says
    which span it shows, as the total's line then starts above zero at the window's first second."""
    total = lines.get("Total")
    if not total or not total[1] or not total[1][0]:
        return CHART_TITLE
    span = s.series_window_s
    hours, minutes = divmod(span, 3600)
    window = ("hour" if hours == 1 else f"{hours} hours") if not minutes else \
        f"{span // 60} min" if not span % 60 else f"{span} s"
    return f"{CHART_TITLE}, the {window} up to the last call"  # (not "the last hour": no call lately leaves it earlier)


def chart_series(s: Snapshot) -> dict[str, tuple[list[float], list[float]]]:
    """Cumulative cost per tier and in total, over the tracker's series window (an hour). Each line
    starts at zero the second before its first point, so even a session of one second draws a line;
    one whose earlier calls have left the window starts at their sum on the window's first second."""
    newest = s.total_series.newest
    since = None if newest is None else newest - s.total_series.window + 1  # the total's window: every line's
    lines = {tier: view.cumulative_usd(start=True, since=since) for tier, view in s.series.items()}
    lines["Total"] = total = s.total_series.cumulative_usd(start=True)
    if total[0]:
        for xs, ys in lines.values():  # a tier quiet lately stays flat up to the latest second
            if xs and xs[-1] < total[0][-1]:
                xs.append(total[0][-1])
                ys.append(ys[-1])
    return lines


def steps(xs: Sequence[float], *columns: Sequence[float]) -> tuple[list[float], ...]:
    """Points of a cumulative cost as it is drawn: each value held until the next point, then a
    rise straight up (a sloped segment between two calls 30 s apart would show spending between
    them). ``columns`` (a line's y, or a band's bottom and top) are held alike; C-level passes."""
    if len(xs) < 2:
        return (list(xs), *(list(c) for c in columns))
    return (list(chain.from_iterable(zip(xs, xs)))[1:],
            *(list(chain.from_iterable(zip(c, c)))[:-1] for c in columns))


def stacked(chart: Mapping[str, tuple[list[float], list[float]]]) -> dict[str, tuple[list[float], list[float], list[float]]]:
    """Tiers stacked in natural order: label -> (x, bottom, top) on the union of every tier's seconds,
    each tier's cumulative cost held from its last point (0 before its first)."""
    tiers = sorted((k for k in chart if k != "Total"), key=natural_key)
    xs = sorted({x for t in tiers for x in chart[t][0]})
    running = [0.0] * len(xs)
    out: dict[str, tuple[list[float], list[float], list[float]]] = {}
    for t in tiers:
        txs, tys = chart[t]
        top, k, last = [], 0, 0.0
        for i, x in enumerate(xs):
            while k < len(txs) and txs[k] <= x:
                last = tys[k]
                k += 1
            top.append(running[i] + last)
        out[t] = (xs, running, top)
        running = top
    return out


def build_view(
    s: Snapshot,
    *,
    budget: Decimal | None = None,
    sort: Mapping[str, tuple[str, bool]] | None = None,
    config_dir: str = "~/.config/costpanel",
    chart: bool = True,
    tables: Sequence[str] = tuple(TABLES),
    standard_tiers: Sequence[str] = STANDARD_TIERS,
    glyphs: Glyphs | None = None,
    since_midnight: bool = False,
) -> PanelView:
    """The header always; the named ``tables`` (the ones on screen) and the chart when asked.
    ``standard_tiers`` are listed even before they are used (an orchestrator's Tier 1-4); a
    watched CLI session passes none and sees the tiers it has (``main``, ``subagent``).
    ``glyphs``: what the table cells can draw (Roboto, plus CJK when a system font has it: a
    cell with CJK text is drawn in that font); ``since_midnight``: see :func:`header_view`."""
    sort = sort or {}
    g = glyphs if glyphs is not None else default_glyphs()
    builders: dict[str, Callable[[], list[RowView]]] = {
        "tiers": lambda: _tier_rows(s, standard_tiers, g),
        "models": lambda: [_model_row(m, r, config_dir, g, s.variants(m)) for m, r in s.by_model.items()],
        "pairs": lambda: [_pair_row(t, m, r, g, s.variants(m, t)) for (t, m), r in s.by_tier_model.items()],
        "discarded": lambda: [_pair_row(t, m, r, g) for (t, m), r in s.discarded_by_tier_model.items()],
    }
    rows = {name: sort_rows(builders[name](), TABLES[name], sort.get(name)) for name in tables}
    lines = chart_series(s) if chart else {}
    rounded = frozenset(name for name, by in (("tiers", s.by_tier), ("models", s.by_model))
                        if name in tables and rows_round_off(s.total_usd, (r.cost_usd for r in by.values())))
    return PanelView(header_view(s, glyphs, since_midnight=since_midnight), rows, lines, budget_status(s.total_usd, budget),
                     chart_title(s, lines) if chart else CHART_TITLE, rounded)


def rows_round_off(total: Decimal, costs: Iterable[Decimal | None]) -> bool:
    """Whether rows' costs, rounded as the table shows them, add up to something else than the
    total rounded as the header shows it (each is exact; the rounding of each is not)."""
    def shown(value: Decimal) -> Decimal:
        return Decimal(fmt.usd(value).replace("$", "").replace(",", ""))

    priced = [shown(c) for c in costs if c is not None]
    return bool(priced) and sum(priced) != shown(total)


def _tier_rows(s: Snapshot, standard: Sequence[str], g: Glyphs) -> list[RowView]:
    by_tier = s.by_tier
    tiers = [_tier_row(t, by_tier.get(t), g) for t in standard]
    tiers += [_tier_row(t, r, g) for t, r in by_tier.items() if t not in standard]
    tiers.sort(key=lambda r: r.sort_values[0])  # natural order: Tier 1 ... Tier 4, Tier 10, then labels
    return tiers


ViewBuilder = Callable[[Snapshot], PanelView]

# -- a panel fed by `costpanel watch` ------------------------------------------------------------------
ALL_SOURCES = "All sources"


@dataclass(frozen=True)
class WatchFeed:
    """What the panel needs from a watcher, as plain callables (safe from the render thread: each
    reads counters under the watcher's lock or a dict): the Sources line's figures, the filter's
    choices (``claude-code``, ``claude-code / shop`` …) and the tracker of one choice."""

    stats: Callable[[], Any]  # -> an object with .line() (integrations.watch.WatchStats)
    names: Callable[[], list[str]]
    get: Callable[[str], Any]  # name -> CostTracker, None when unknown
    _reset_at: list[Any] = field(default_factory=list)  # the stats when Reset was pressed (the last)

    def mark_reset(self) -> None:
        """Reset pressed: the Sources line counts calls and skipped lines from here on, as the totals do."""
        self._reset_at[:] = [self.stats()]

    def sources_text(self) -> str:
        stats = self.stats()
        if self._reset_at:
            return f"Sources: {stats.since(self._reset_at[0]).line(sep=' | ', since=' since Reset')}"
        return f"Sources: {stats.line(sep=' | ')}"

    def bad_lines_text(self) -> str:
        """The Sources line's tooltip: the first bad lines, by file and line ("" when none)."""
        bad = getattr(self.stats(), "bad_lines", ())
        return "Bad lines (the first few):\n" + "\n".join(bad) if bad else ""

    def choices(self) -> list[str]:
        return [ALL_SOURCES, *self.names()]
