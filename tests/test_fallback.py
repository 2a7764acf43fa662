"""Names the catalog does not know are priced from genai-prices (the real, installed library,
offline): exactly as genai-prices computes, said to be so everywhere, never by a loose match onto a
catalog model, and without stalling record() while the library loads."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import threading
import time
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

import pytest
from cli_run import costpanel

from costpanel import CostTracker, Usage
from costpanel.events import COMMITTED, PENDING
from costpanel.gui.viewmodel import FALLBACK_MARK, build_view
from costpanel.money import units_to_usd
from costpanel.pricing import Catalog
from costpanel.pricing.fallback import (
    GenaiPricesFallback,
    Unpriceable,
    accepted,
    compile_period,
    find_model,
    shared_fallback,
)
from costpanel.pricing.rates import cost_units
from costpanel.quote import quote

SOURCE = f"genai-prices {version('genai-prices')}"
LONG_TAIL = "groq/llama-3.1-8b-instant"  # Groq's; not in the catalog, listed by genai-prices under this exact name
KEY = "groq/llama-3.1-8b-instant"  # provider/id: the model row's key
AT = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.timezone.utc)


def genai_total(name: str, usage: Usage, at: dt.datetime) -> Decimal:
    """genai-prices' own figure for the call (its Usage counts cached tokens inside input_tokens)."""
    import genai_prices

    provider, _ = find_model(shared_fallback()._load(), name)  # the same provider ours resolved to
    their = genai_prices.Usage(input_tokens=usage.prompt_tokens, cache_read_tokens=usage.cache_read,
                               cache_write_tokens=usage.cache_write, output_tokens=usage.output)
    ref = name.split("/", 1)[1] if name.startswith(provider.id + "/") else name
    return genai_prices.calc_price(their, ref, provider_id=provider.id, genai_request_timestamp=at).total_price


def test_the_installed_genai_prices_is_the_release_the_test_extra_pins() -> None:
    # A venv installed before the pin moved would check the catalog against other data.
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    [pin] = [d for d in pyproject["project"]["optional-dependencies"]["test"] if d.startswith("genai-prices==")]
    assert SOURCE == "genai-prices " + pin.split("==")[1], "reinstall the test extra: pip install -e '.[test]'"


# -- exact prices ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [
    LONG_TAIL,
    "groq/llama-3.3-70b-versatile",
    "command-r-plus",  # routed by genai-prices' own provider rules, no prefix
    "minimax/MiniMax-M3",  # cliff tiers
    "minimax/MiniMax-M2",  # cache read and write prices
    "fireworks/accounts/fireworks/models/gpt-oss-120b",  # a price change: two periods
    "openrouter/bytedance-seed/seed-1.6",  # tiered
])
@pytest.mark.parametrize("usage", [
    Usage(input=1200, output=300),
    Usage(input=150_000, cache_read=60_000, cache_write=3_000, output=2_000),  # above 128k/200k cliffs
    Usage(input=1, output=0),
    Usage(input=999_999, cache_read=1_234_567, output=77_777),
])
def test_priced_exactly_as_genai_prices_computes(catalog: Catalog, name: str, usage: Usage) -> None:
    assert catalog.match(name) is None
    entry = accepted(shared_fallback().resolve_now(name), catalog)
    assert entry is not None and entry.priced_by == SOURCE
    for at in (AT, dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)):
        ours = units_to_usd(cost_units(entry.period_at(at.timestamp()), usage))
        assert ours == genai_total(name, usage, at)


def test_cliff_tiers_per_price_field_are_compiled_exactly() -> None:
    """Each field's own thresholds become whole-request cliffs, as genai-prices applies them."""
    import genai_prices
    from genai_prices.types import ModelPrice, Tier, TieredPrices

    price = ModelPrice(input_mtok=TieredPrices(Decimal("1.25"), [Tier(128_000, Decimal("2.5")), Tier(1_000_000, Decimal(5))]),
                       output_mtok=TieredPrices(Decimal(5), [Tier(200_000, Decimal("7.5"))]),
                       cache_read_mtok=Decimal("0.125"))
    period = compile_period(float("-inf"), price, "test")
    assert [t for t, _ in period.tiers] == [128_000, 200_000, 1_000_000]
    for prompt in (1, 128_000, 128_001, 199_999, 200_000, 200_001, 1_000_000, 1_000_001, 2_000_000):
        usage = Usage(input=prompt - prompt // 4, cache_read=prompt // 4, output=1000)
        their = price.calc_price(genai_prices.Usage(input_tokens=prompt, cache_read_tokens=prompt // 4,
                                                    output_tokens=1000))["total_price"]
        assert units_to_usd(cost_units(period, usage)) == their, prompt


@pytest.mark.parametrize(("price", "why"), [
    ({"input_mtok": Decimal(1), "output_mtok": Decimal(2), "input_audio_mtok": Decimal(3)}, "cannot bill"),
    ({"input_mtok": Decimal(1)}, "no output_mtok"),
    ({"input_mtok": Decimal("0.0000001"), "output_mtok": Decimal(1)}, "finer"),
])
def test_a_price_costpanel_cannot_represent_is_refused(price: dict, why: str) -> None:
    from genai_prices.types import ModelPrice

    with pytest.raises(Unpriceable, match=why):
        compile_period(0.0, ModelPrice(**price), "test")


def test_zero_only_when_genai_prices_states_zero() -> None:
    from genai_prices.types import ModelPrice

    free = compile_period(0.0, ModelPrice(input_mtok=Decimal(0), output_mtok=Decimal(0)), "test")
    assert cost_units(free, Usage(input=10, output=10)) == 0
    with pytest.raises(Unpriceable):  # no prices at all: unpriced, never $0
        compile_period(0.0, ModelPrice(), "test")


def test_off_peak_prices_are_refused() -> None:
    from costpanel.pricing.fallback import compile_model

    snapshot = shared_fallback()._load()
    provider = next(p for p in snapshot.providers if p.id == "deepseek")
    model = next(m for m in provider.models if m.id == "deepseek-chat")
    with pytest.raises(Unpriceable, match="time-of-day"):
        compile_model(provider, model, SOURCE)


# -- what is trusted ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["claude-sonnet-4-5-weird", "claude-opus-4-1-x", "gemini-2.5-pro-weird",
                                  "google/claude-sonnet-4-5-x"])
def test_never_a_loose_match_onto_a_catalog_model(catalog: Catalog, name: str) -> None:
    match = find_model(shared_fallback()._load(), name)
    assert match is not None, "genai-prices itself matches it (else this test proves nothing)"
    assert catalog.match(name) is None and catalog.match(match[1].id) is not None  # loosely, onto a catalog model
    assert accepted(shared_fallback().resolve_now(name), catalog) is None
    tracker = CostTracker(catalog)
    e = tracker.record(name, Usage(input=10, output=10))
    assert e.cost_units is None and e.priced_by is None and e.matched is None and e.status == COMMITTED
    assert quote(catalog, name, Usage(input=10)).priced is False


def test_the_catalog_guard_refuses_any_genai_model_the_catalog_prices(catalog: Catalog) -> None:
    found = shared_fallback().resolve_now(LONG_TAIL)
    assert accepted(found, catalog) is not None
    assert accepted(found._replace(names=(*found.names, "gpt-4o-mini")), catalog) is None


@pytest.mark.parametrize(("name", "why"), [
    ("gemini-3.8-flash-tts", "covers"),  # a provider the catalog covers: the catalog is the authority
    ("magistral-medium", "covers"),  # a floating alias the catalog refuses on purpose
    ("grok-4.7-fast", "does not know"),  # only a reseller (Cursor) lists it: no routing rule, not guessed
    ("llama-3.1-8b-instant", "does not know"),  # likewise without its provider's prefix
    ("groq/canopylabs/orpheus-v1-english", "not a text model"),
])
def test_what_the_fallback_leaves_unpriced(catalog: Catalog, name: str, why: str) -> None:
    found = shared_fallback().resolve_now(name)
    assert accepted(found, catalog) is None and why in found.why


def test_covered_providers_are_the_ones_pricing_diff_compares() -> None:
    from costpanel.pricing.diff import GENAI_PROVIDERS
    from costpanel.pricing.fallback import COVERED_PROVIDERS

    assert set(GENAI_PROVIDERS) == COVERED_PROVIDERS


def test_unknown_to_both_is_unpriced_and_looked_up_once(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    fb = GenaiPricesFallback()
    fb.load()
    calls: list[str] = []
    real = fb._resolve
    monkeypatch.setattr(fb, "_resolve", lambda n: calls.append(n) or real(n))
    tracker = CostTracker(catalog, fallback=fb)
    events = [tracker.record("no-such-model", Usage(input=5, output=5)) for _ in range(50)]
    assert calls == ["no-such-model"]
    assert {(e.cost_units, e.priced_by, e.status) for e in events} == {(None, None, COMMITTED)}
    assert tracker.snapshot().unpriced_calls == 50


def test_fallback_off_counts_unknown_names_unpriced(catalog: Catalog) -> None:
    tracker = CostTracker(catalog, fallback=False)
    e = tracker.record(LONG_TAIL, Usage(input=5, output=5))
    assert e.cost_units is None and e.priced_by is None and e.status == COMMITTED
    assert quote(catalog, LONG_TAIL, Usage(input=5), fallback=False).priced is False


# -- the tracker -------------------------------------------------------------------------------------------
def test_event_snapshot_and_panel_say_genai_prices(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)  # the process's fallback, loaded (conftest): resolved inside record()
    usage = Usage(input=1200, output=300)
    e = tracker.record(LONG_TAIL, usage, tier="Tier 2", at=AT)
    assert e.status == COMMITTED and e.priced_by == SOURCE and e.matched == KEY and e.provider == "groq"
    assert e.cost_usd == genai_total(LONG_TAIL, usage, AT) == Decimal("0.000084")
    tracker.record("gpt-4o", usage, tier="Tier 2", at=AT)
    snap = tracker.snapshot()
    assert snap.by_model[KEY].priced_by == SOURCE and snap.by_model["gpt-4o"].priced_by == "catalog"
    assert snap.total_usd == e.cost_usd + tracker.catalog.match("gpt-4o").cost_units(usage, AT.timestamp()) / Decimal(10**12)
    rows = {r.key: (r.cells[0], r.tooltips[0]) for r in build_view(snap).tables["models"]}
    assert rows[KEY] == (KEY + FALLBACK_MARK, f"priced by {SOURCE}: {KEY} is not in costpanel's catalog")
    assert rows["gpt-4o"] == ("gpt-4o", None)


def test_record_returns_at_once_while_genai_prices_loads(catalog: Catalog) -> None:
    gate = threading.Event()  # holds the background load, as a slow first import would
    fb = GenaiPricesFallback(gate=gate)
    tracker = CostTracker(catalog, fallback=fb)
    seen: list = []
    tracker.subscribe(seen.append)
    usage = Usage(input=1200, output=300)
    first = tracker.record(LONG_TAIL, usage, tier="Tier 1", event_id="a", at=AT)
    second = tracker.record(LONG_TAIL, usage, tier="Tier 2", session="other", at=AT)
    dup = tracker.record(LONG_TAIL, usage, event_id="a")
    assert (first.status, second.status, dup.status) == (PENDING, PENDING, "duplicate")
    assert first.cost_units is None and first.priced_by is None
    tracker.record("gpt-4o", usage, tier="Tier 1")  # a catalog name is never held up
    snap = tracker.snapshot()
    assert snap.pending_calls == 2 and snap.calls == 1 and KEY not in snap.by_model
    assert [e.model for e in seen] == ["gpt-4o"]  # the ledger and subscribers get them once priced

    gate.set()
    tracker.settle()
    snap = tracker.snapshot()
    exact = genai_total(LONG_TAIL, usage, AT)
    assert snap.pending_calls == 0 and snap.pending_usd == 0
    assert snap.by_model[KEY].calls == 2 and snap.by_model[KEY].cost_usd == 2 * exact
    assert snap.by_model[KEY].priced_by == SOURCE
    priced = [e for e in seen if e.model == LONG_TAIL]
    assert {(e.status, e.priced_by, e.cost_usd, e.matched) for e in priced} == {(COMMITTED, SOURCE, exact, KEY)}
    assert sorted((e.tier, e.session == tracker.session) for e in priced) == [("Tier 1", True), ("Tier 2", False)]
    # from now on the name takes the ordinary path: counted at once
    again = tracker.record(LONG_TAIL, usage, at=AT)
    assert again.status == COMMITTED and again.cost_usd == exact


def test_the_lookup_settles_calls_on_its_own_thread(catalog: Catalog) -> None:
    gate = threading.Event()
    fb = GenaiPricesFallback(gate=gate)
    tracker = CostTracker(catalog, fallback=fb)
    done = threading.Event()
    tracker.subscribe(lambda e: done.set())
    tracker.record(LONG_TAIL, Usage(input=10, output=10))
    gate.set()
    assert done.wait(30)
    assert tracker.snapshot().by_model[KEY].priced_by == SOURCE


def test_a_lookup_still_running_when_settling_gives_up_is_counted_unpriced(catalog: Catalog) -> None:
    gate = threading.Event()
    tracker = CostTracker(catalog, fallback=GenaiPricesFallback(gate=gate))
    tracker.record(LONG_TAIL, Usage(input=10, output=10))
    tracker.settle(timeout=0.01)  # never lost: counted, unpriced (never $0)
    snap = tracker.snapshot()
    assert snap.pending_calls == 0 and snap.unpriced_calls == 1 and snap.by_model[LONG_TAIL].cost_usd is None
    assert snap.by_model[LONG_TAIL].priced_by is None  # unresolved: the name as given is its row
    gate.set()


def test_close_waits_for_lookups_and_the_ledger_stores_the_source(catalog: Catalog, tmp_path: Path) -> None:
    gate = threading.Event()
    db = tmp_path / "ledger.sqlite3"
    tracker = CostTracker(catalog, fallback=GenaiPricesFallback(gate=gate), ledger=db)
    tracker.record(LONG_TAIL, Usage(input=1200, output=300), at=AT)
    tracker.record("gpt-4o", Usage(input=1200, output=300), at=AT)
    tracker.record("no-such-model", Usage(input=1, output=1), at=AT)
    threading.Timer(0.05, gate.set).start()
    tracker.close()
    with sqlite3.connect(db) as conn:
        stored = dict(conn.execute("SELECT model, priced_by FROM events").fetchall())
        rolled = dict(conn.execute("SELECT model_key, MAX(priced_by) FROM rollup GROUP BY 1").fetchall())
    assert stored == {LONG_TAIL: SOURCE, "gpt-4o": "catalog", "no-such-model": None}
    by_key = {KEY: SOURCE, "gpt-4o": "catalog", "no-such-model": None}
    assert rolled == by_key

    r = costpanel("report", "--db", str(db), "--range", "all", "--by", "model", "--json")
    assert r.returncode == 0, r.stderr
    rows = {row["model"]: row for row in json.loads(r.stdout)["rows"]}
    assert {m: row["priced_by"] for m, row in rows.items()} == by_key
    assert Decimal(rows[KEY]["cost_usd"]) == genai_total(LONG_TAIL, Usage(input=1200, output=300), AT)
    table = costpanel("report", "--db", str(db), "--range", "all", "--by", "model")
    assert "Priced by" in table.stdout and SOURCE in table.stdout
    from costpanel.ledger.queries import TimeRange, calls_in

    with sqlite3.connect(db) as conn:  # what `export --by call` reads
        assert {c.model: c.priced_by for c in calls_in(conn, TimeRange(float("-inf"), float("inf"), "all"))} == stored


def test_an_attempt_waits_for_the_lookup(catalog: Catalog) -> None:
    gate = threading.Event()
    tracker = CostTracker(catalog, fallback=GenaiPricesFallback(gate=gate))
    threading.Timer(0.05, gate.set).start()
    with tracker.attempt() as a:
        e = a.record(LONG_TAIL, Usage(input=10, output=10))
    assert e.priced_by == SOURCE and e.cost_units is not None
    assert tracker.snapshot().by_model[KEY].priced_by == SOURCE


# -- costpanel price -----------------------------------------------------------------------------------------
def test_price_falls_back_and_says_so(catalog: Catalog) -> None:
    q = quote(catalog, LONG_TAIL, Usage(input=1200, output=300), AT)
    assert q.priced and q.priced_by == SOURCE and q.provider == "groq"
    r = costpanel("price", LONG_TAIL, "--input", "1200", "--output", "300")
    assert r.returncode == 0, r.stderr
    assert f"priced by {SOURCE}" in r.stdout and "0.000084" in r.stdout
    j = costpanel("price", LONG_TAIL, "--input", "1200", "--output", "300", "--json")
    assert json.loads(j.stdout)["priced_by"] == SOURCE
    unknown = costpanel("price", "no-such-model", "--input", "1")
    assert unknown.returncode == 3 and "nor in genai-prices" in unknown.stderr


@pytest.mark.parametrize(("args", "words"), [
    (["--variant", "batch"], f"llama-3.1-8b-instant has no 'batch' price in {SOURCE} (variants it offers: none)"),
    (["--web-search", "2"], f"llama-3.1-8b-instant has no web search price in {SOURCE};"),
])
def test_price_of_a_fallback_model_says_genai_prices_lacks_the_variant_or_fee(args: list[str], words: str) -> None:
    r = costpanel("price", LONG_TAIL, "--input", "10", *args)
    assert r.returncode == 3, r.stdout + r.stderr
    assert words in r.stderr and "catalog" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


# -- what is not loaded ------------------------------------------------------------------------------------
PROBE = """
import sys
import costpanel
assert 'genai_prices' not in sys.modules, 'import costpanel'
t = costpanel.CostTracker(ledger=False)
t.record('gpt-4o', costpanel.Usage(input=1, output=1))
t.record('openai/gpt-4o-mini-2024-07-18', costpanel.Usage(input=1, output=1))
assert 'genai_prices' not in sys.modules, 'catalog names'
e = t.record('groq/llama-3.1-8b-instant', costpanel.Usage(input=1, output=1))
assert e.status == 'pending', e
t.close()
assert t.snapshot().by_model['groq/llama-3.1-8b-instant'].priced_by.startswith('genai-prices'), t.snapshot().by_model
print('ok')
"""


def test_genai_prices_loads_only_for_a_name_the_catalog_lacks() -> None:
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False)
    assert r.stdout.strip() == "ok", r.stderr


def test_close_waits_for_calls_the_lookup_thread_is_committing(catalog: Catalog, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The lookup's thread takes the waiting calls and commits them; a close() in that window must
    wait for it, or the calls would be committed into a closed ledger and lost."""
    gate = threading.Event()
    db = tmp_path / "ledger.sqlite3"
    tracker = CostTracker(catalog, fallback=GenaiPricesFallback(gate=gate), ledger=db)
    taken = threading.Event()
    commit = tracker._commit_waiting

    def slow_commit(*args: object) -> None:  # widen the window between taking the calls and committing them
        taken.set()
        time.sleep(0.3)
        commit(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(tracker, "_commit_waiting", slow_commit)
    tracker.record(LONG_TAIL, Usage(input=1200, output=300), at=AT, variant="batch")
    tracker.record(LONG_TAIL, Usage(input=1200, output=300), at=AT)
    gate.set()
    assert taken.wait(30)  # the lookup's thread holds the calls; none is waiting any more
    assert not tracker._waiting
    tracker.close()  # no LedgerError: nothing is left unstored
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT model, variant, priced_by FROM events ORDER BY id").fetchall()
    assert sorted(stored, key=repr) == sorted([(LONG_TAIL, "batch", None), (LONG_TAIL, None, SOURCE)], key=repr)
    snap = tracker.snapshot()
    assert snap.pending_calls == 0 and snap.by_model[KEY].calls == 2


def test_settle_returns_only_when_the_lookup_threads_commits_are_done(catalog: Catalog,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    tracker = CostTracker(catalog, fallback=GenaiPricesFallback(gate=gate))
    taken = threading.Event()
    commit = tracker._commit_waiting

    def slow_commit(*args: object) -> None:
        taken.set()
        time.sleep(0.3)
        commit(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(tracker, "_commit_waiting", slow_commit)
    tracker.record(LONG_TAIL, Usage(input=1200, output=300), at=AT)
    gate.set()
    assert taken.wait(30)
    tracker.settle()
    snap = tracker.snapshot()
    assert snap.pending_calls == 0 and snap.by_model[KEY].calls == 1 and snap.by_model[KEY].priced_calls == 1


def test_the_same_model_at_two_hosts_is_two_rows(catalog: Catalog) -> None:
    """genai-prices lists one model id at several hosts at different prices: each host's is a row."""
    tracker = CostTracker(catalog)
    usage = Usage(input=1_000_000, output=1_000_000)
    a = tracker.record("openrouter/meta-llama/llama-3.1-8b-instruct", usage, at=AT)
    b = tracker.record("novita/meta-llama/llama-3.1-8b-instruct", usage, at=AT)
    c = tracker.record("meta-llama/llama-3.1-8b-instruct", usage, at=AT)
    tracker.settle()
    rows = tracker.snapshot().by_model
    assert a.matched != b.matched and a.provider != b.provider
    assert rows[a.matched].provider == a.provider and rows[b.matched].provider == b.provider
    assert rows[a.matched].calls == rows[b.matched].calls == 1
    assert c.matched is None or c.matched not in (a.matched, b.matched)
