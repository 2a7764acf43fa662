"""Price variants (batch, priority, fast …) and web-search fees: how the catalog states them, how
a call carries them, and that a variant or fee the catalog does not state is never billed as $0.

The numbers here come from a test price file, so they check the mechanics; the bundled prices of
each provider's variants are checked in test_prices_variants.py."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage
from costpanel.pricing import Catalog, PricingError
from costpanel.pricing.catalog import build_catalog
from costpanel.pricing.files import MATCHING_FILE, bundled_dir, provider_paths
from costpanel.quote import quote
from costpanel.variants import canonical_variant, combine

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 1, tzinfo=UTC)
OLD = dt.datetime(2026, 1, 15, tzinfo=UTC)

# Two periods so a call dated back is billed with the variants of its own period.
PRICES = """
provider = "acme"
name = "Acme"
sources = ["https://acme.example/pricing"]
checked = 2026-12-01

[[variants]]
name = "batch"
multiplier = 0.5
source = "https://acme.example/batch"

[[variants]]
name = "regional"
multiplier = 1.1
source = "https://acme.example/regions"
models = ["acme-big"]

[[variants]]
name = "regional"
multiplier = 1
source = "https://acme.example/regions"
note = "older models cost the same everywhere"

[[variants]]
name = "us"
multiplier = 1.2
source = "https://acme.example/regions"
models = ["acme-small"]

[[models]]
id = "acme-big"

[[models.prices]]
effective = 2026-01-01
source = "https://acme.example/pricing"
input = 2
output = 8

[models.prices.variants.priority]
input = 4
output = 16

[[models.prices]]
effective = 2026-06-01
source = "https://acme.example/pricing"
input = 3
output = 15
cache_read = 0.3
cache_write = 3.75
cache_write_1h = 6
web_search_per_1k = 10
per_1k_requests = 1

[[models.prices.tiers]]
above_prompt_tokens = 2000000
input = 6
output = 22.5
cache_read = 0.6
cache_write = 7.5
cache_write_1h = 12

[models.prices.variants.fast]
multiplier = 6

[models.prices.variants.us]
multiplier = 1.1

[models.prices.variants.batch]
multiplier = 0.25
note = "this period's own batch price wins over the file-wide one"

[[models]]
id = "acme-small"

[[models.prices]]
effective = 2026-01-01
source = "https://acme.example/pricing"
input = 1
output = 5

[models.prices.variants.priority]
input = 2
output = 10
cache_read = 0.2
multiplier = 0.5
"""

REGIONAL_RULE = """
[[rewrites]]
name = "acme-region"
pattern = '(?:us|eu)\\.acme\\.(.+)'
replace = '\\1'
variant = "regional"
"""


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    folder = tmp_path_factory.mktemp("variants") / "pricing"
    shutil.copytree(bundled_dir(), folder)
    (folder / "acme.toml").write_text(PRICES, encoding="utf-8")
    with (folder / MATCHING_FILE).open("a", encoding="utf-8") as f:
        f.write(REGIONAL_RULE)
    return build_catalog(provider_paths(folder), [], folder)


def cost(catalog: Catalog, model: str, usage: Usage, variant: str | None = None,
         at: dt.datetime = NOW) -> Decimal | None:
    return quote(catalog, model, usage, at, variant).cost_usd


M = 1_000_000


# -------------------------------------------------------------------------- what each variant costs
@pytest.mark.parametrize(("model", "usage", "variant", "at", "expected"), [
    # standard: 1M in x $3 + 1M out x $15, plus the $1/1k request fee
    ("acme-big", Usage(M, M), None, NOW, "18.001"),
    # a multiplier scales every token bucket, caches included, never the fees
    ("acme-big", Usage(M, M), "fast", NOW, "108.001"),
    ("acme-big", Usage(M, M, cache_read=M // 4, cache_write=M // 4, cache_write_1h=M // 4), "fast", NOW,
     str(6 * (3 + 15 + (Decimal("0.3") + Decimal("3.75") + 6) / 4) + Decimal("0.001"))),
    # the period's own batch (x0.25) wins over the file-wide x0.5
    ("acme-big", Usage(M, M), "batch", NOW, "4.501"),
    # stacked multipliers multiply: 6 x 1.1
    ("acme-big", Usage(M, M), "fast+us", NOW, str(Decimal("6.6") * 18 + Decimal("0.001"))),
    ("acme-big", Usage(M, M), "us+fast", NOW, str(Decimal("6.6") * 18 + Decimal("0.001"))),
    # a cliff tier is re-priced by the variant too: 2,000,001 prompt tokens at $6 x 6
    ("acme-big", Usage(2 * M + 1, 0), "fast", NOW, str(Decimal(2 * M + 1) * 36 / M + Decimal("0.001"))),
    # a call dated back gets that period's variants: priority was explicit then
    ("acme-big", Usage(M, M), "priority", OLD, "20"),
    ("acme-big", Usage(M, M), "batch", OLD, "5"),  # file-wide batch applies to every period
    # explicit prices with a multiplier on top; a cache bucket left out falls back to the variant's input
    ("acme-small", Usage(M, M, cache_read=M, cache_write=M), "priority", NOW, str(Decimal("0.5") * (2 + 10 + Decimal("0.2") + 2))),
    # explicit + file-wide multiplier stack (batch+priority would be two service tiers: refused)
    ("acme-small", Usage(M, M), "priority+us", NOW, str(Decimal("0.5") * Decimal("1.2") * 12)),
    # the file-wide catch-all regional entry (x1) applies to models not listed under the x1.1 one
    ("acme-small", Usage(M, M), "regional", NOW, "6"),
    ("acme-big", Usage(M, M), "regional", NOW, str(Decimal("1.1") * 18 + Decimal("0.001"))),
    # web searches at $10 per 1,000
    ("acme-big", Usage(M, 0, web_search=3), None, NOW, str(3 + Decimal("0.03") + Decimal("0.001"))),
    # a variant does not scale the search fee
    ("acme-big", Usage(0, 0, web_search=1000), "fast", NOW, "10.001"),
])
def test_a_variant_is_billed_as_the_catalog_states_it(acme: Catalog, model: str, usage: Usage, variant: str | None,
                                                      at: dt.datetime, expected: str) -> None:
    assert cost(acme, model, usage, variant, at) == Decimal(expected)
    if variant is not None:  # the tracker bills it the same, to the last unit
        event = CostTracker(acme).record(model, usage, variant=variant, at=at)
        assert event.cost_usd == Decimal(expected)
        assert event.variant == canonical_variant(variant)


@pytest.mark.parametrize(("model", "usage", "variant", "at"), [
    ("acme-big", Usage(M, M), "flex", NOW),  # not offered at all
    ("acme-big", Usage(M, M), "fast", OLD),  # offered in a later period only
    ("acme-big", Usage(M, M), "priority", NOW),  # offered in an earlier period only
    ("acme-big", Usage(M, M), "fast+flex", NOW),  # one part not offered
    ("acme-small", Usage(M, M), "fast", NOW),
    ("acme-small", Usage(1, 1, web_search=1), None, NOW),  # searches, but no search price stated
])
def test_a_variant_or_fee_the_catalog_does_not_state_is_unpriced_never_standard_or_zero(
        acme: Catalog, model: str, usage: Usage, variant: str | None, at: dt.datetime,
        caplog: pytest.LogCaptureFixture) -> None:
    assert not quote(acme, model, usage, at, variant).priced
    tracker = CostTracker(acme)
    with caplog.at_level(logging.WARNING, logger="costpanel.tracker"):
        first = tracker.record(model, usage, variant=variant, at=at)
        second = tracker.record(model, usage, variant=variant, at=at)
    assert first.cost_units is None and first.priced_by is None and second.cost_units is None
    total = tracker.snapshot().total
    assert total.unpriced_calls == 2 and total.cost_units == 0
    if variant is not None:  # said once, naming the model and the variant
        said = [r.getMessage() for r in caplog.records if "counted unpriced" in r.getMessage()]
        assert len(said) == 1 and model in said[0] and repr(canonical_variant(variant)) in said[0]


def test_two_explicit_price_sets_for_one_call_are_unpriced(tmp_path: Path) -> None:
    text = PRICES.replace("[models.prices.variants.us]\nmultiplier = 1.1",
                          "[models.prices.variants.us]\ninput = 3.3\noutput = 16.5\n"
                          "[[models.prices.variants.us.tiers]]\nabove_prompt_tokens = 2000000\ninput = 6.6\noutput = 24.75")
    text = text.replace("[models.prices.variants.fast]\nmultiplier = 6",
                        "[models.prices.variants.fast]\ninput = 18\noutput = 90\n"
                        "[[models.prices.variants.fast.tiers]]\nabove_prompt_tokens = 2000000\ninput = 36\noutput = 135")
    catalog = _catalog_with(tmp_path, text)
    assert cost(catalog, "acme-big", Usage(M, M), "us") == Decimal("19.801")
    assert cost(catalog, "acme-big", Usage(M, M), "fast") == Decimal("108.001")
    assert cost(catalog, "acme-big", Usage(M, M), "fast+us") is None


# ------------------------------------------------------------------ names that imply a variant
def test_a_search_fee_charged_per_request_is_one_fee_a_call_under_every_variant(tmp_path: Path) -> None:
    catalog = _catalog_with(tmp_path, PRICES.replace("web_search_per_1k = 10", 'web_search_per_1k = 10\nweb_search_per = "request"'))
    usage = Usage(M, 0, web_search=7)
    # 1M x $3 + one $0.01 search fee + the $0.001 request fee; under fast (x6) and batch (x0.25) alike
    for variant, tokens in ((None, 3), ("fast", 18), ("batch", Decimal("0.75"))):
        q = quote(catalog, "acme-big", usage, NOW, variant)
        assert q.cost_usd == tokens + Decimal("0.011") and q.breakdown["web_search"] == Decimal("0.01"), variant
        assert q.usage.web_search == 7
        assert CostTracker(catalog).record("acme-big", usage, at=NOW, variant=variant).cost_usd == q.cost_usd
    assert cost(catalog, "acme-big", Usage(M, 0, web_search=0)) == Decimal("3.001")  # no search, no fee


def test_a_rewrite_rule_can_imply_a_variant_and_it_stacks_with_the_calls_own(acme: Catalog) -> None:
    tracker = CostTracker(acme)
    plain = tracker.record("acme-big", Usage(M, M))
    regional = tracker.record("us.acme.acme-big", Usage(M, M))
    both = tracker.record("eu.acme.acme-big", Usage(M, M), variant="batch")
    assert (plain.variant, regional.variant, both.variant) == (None, "regional", "batch+regional")
    assert regional.cost_usd == Decimal("1.1") * 18 + Decimal("0.001")
    assert both.cost_usd == Decimal("0.275") * 18 + Decimal("0.001")
    assert regional.matched == "acme-big"
    rows = tracker.snapshot().by_model
    assert list(rows) == ["acme-big"]  # one row per model whatever the variant
    assert rows["acme-big"].cost_usd == plain.cost_usd + regional.cost_usd + both.cost_usd


def test_the_bundled_bedrock_global_prefix_implies_no_variant(catalog: Catalog) -> None:
    entry, implied = catalog.resolve("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert entry is not None and entry.id == "claude-sonnet-4-5" and implied is None


# ---------------------------------------------------------------------- the variant a call carries
@pytest.mark.parametrize(("given", "expected"), [
    (None, None), ("batch", "batch"), ("Batch", "batch"), (" fast ", "fast"), ("US+Fast", "fast+us"),
    ("fast+us+fast", "fast+us"), ("standard", None), ("default", None), ("auto", None), ("fast+standard", "fast"),
    ("priority", "priority"), ("data_zone-2", "data_zone-2"),
])
def test_a_variant_is_named_canonically(given: str | None, expected: str | None) -> None:
    assert canonical_variant(given) == expected


@pytest.mark.parametrize(("bad", "error", "words"), [
    (1, TypeError, "variant must be a str or None, got int 1"),
    (b"fast", TypeError, "got bytes"),
    ("", ValueError, "each part must be a name"),
    ("fast++us", ValueError, "each part must be a name"),
    ("fast mode", ValueError, "each part must be a name"),
    ("-fast", ValueError, "each part must be a name"),
    ("fa\x00st", ValueError, "each part must be a name"),
    ("x" * 121, ValueError, "at most 120"),
])
def test_a_bad_variant_is_refused_naming_it_and_changes_nothing(catalog: Catalog, bad: object, error: type,
                                                                words: str) -> None:
    tracker = CostTracker(catalog)
    tracker.record("gpt-4o", Usage(10, 10))
    before = tracker.snapshot()
    with pytest.raises(error, match=None) as exc:
        tracker.record("gpt-4o", Usage(10, 10), variant=bad)  # type: ignore[arg-type]
    assert words in str(exc.value)
    with pytest.raises(error):
        quote(catalog, "gpt-4o", Usage(10, 10), variant=bad)  # type: ignore[arg-type]
    after = tracker.snapshot()
    assert after.version == before.version and after.total == before.total


def test_combine_stacks_and_drops_nothing() -> None:
    assert combine(None, None) is None
    assert combine("regional", None) == "regional"
    assert combine("regional", "batch") == "batch+regional"
    assert combine("us", "fast+priority") == "fast+priority+us"


@pytest.mark.parametrize(("given", "words"), [
    ("batch+flex", "variant 'batch+flex': batch and flex are service tiers; a call has one"),
    ("Flex+Priority", "variant 'Flex+Priority': flex and priority are service tiers; a call has one"),
    ("batch+priority", "batch and priority are service tiers"),
    ("batch+flex+priority", "batch, flex and priority are service tiers"),
    ("fast+batch", "variant 'fast+batch': batch and fast do not stack"),
    ("us+govcloud", "govcloud and us are different endpoints"),
    ("regional+govcloud", "govcloud and regional are different endpoints"),
])
def test_a_variant_no_call_can_carry_is_refused_naming_the_clash(catalog: Catalog, given: str, words: str) -> None:
    with pytest.raises(ValueError, match="variant") as exc:
        canonical_variant(given)
    assert words in str(exc.value)
    with pytest.raises(ValueError, match="variant"):
        combine(*given.lower().split("+"))
    tracker = CostTracker(catalog)
    tracker.record("gpt-5.5", Usage(10, 10))
    before = tracker.snapshot()
    with pytest.raises(ValueError, match=words.split(":")[-1].strip()):
        tracker.record("gpt-5.5", Usage(10, 10), variant=given)
    with pytest.raises(ValueError, match="variant"):
        quote(catalog, "gpt-5.5", Usage(10, 10), variant=given)
    after = tracker.snapshot()
    assert after.version == before.version and after.total == before.total and after.total.calls == 1


def test_combinations_that_do_exist_still_stack() -> None:
    assert canonical_variant("fast+us") == "fast+us"
    assert canonical_variant("batch+regional") == "batch+regional"
    assert canonical_variant("batch+us") == "batch+us"
    assert combine("regional", "batch") == "batch+regional"


def test_a_variant_clashing_with_the_one_the_name_implies_is_refused_and_changes_nothing(catalog: Catalog) -> None:
    # us. is a Bedrock regional profile; "us" is the Anthropic API's US-only inference
    assert catalog.resolve("us.anthropic.claude-opus-4-6-v1")[1] == "regional"
    tracker = CostTracker(catalog)
    tracker.record("us.anthropic.claude-opus-4-6-v1", Usage(10, 10))
    before = tracker.snapshot()
    for _ in range(2):  # the second time from record()'s cached plan and variant
        with pytest.raises(ValueError, match="variant 'regional\\+us': regional and us are different endpoints"):
            tracker.record("us.anthropic.claude-opus-4-6-v1", Usage(10, 10), variant="us")
    with pytest.raises(ValueError, match="regional and us"):
        tracker.price("us.anthropic.claude-opus-4-6-v1", Usage(10, 10), "Tier 1", None, "us")
    with pytest.raises(ValueError, match="regional and us"):
        quote(catalog, "us.anthropic.claude-opus-4-6-v1", Usage(10, 10), variant="us")
    after = tracker.snapshot()
    assert after.version == before.version and after.total == before.total and after.total.calls == 1
    with pytest.raises(ValueError, match="regional and us"), tracker.attempt("Tier 1") as attempt:
        attempt.record("us.anthropic.claude-opus-4-6-v1", Usage(10, 10), variant="US")
    assert tracker.snapshot().total == before.total


def test_an_attempt_carries_its_variant(acme: Catalog) -> None:
    tracker = CostTracker(acme)
    with tracker.attempt("Tier 1") as attempt:
        pending = attempt.record("acme-big", Usage(M, M), variant="fast")
    assert pending.variant == "fast" and pending.cost_usd == Decimal("108.001")
    committed = attempt.events[0]
    assert committed.variant == "fast" and committed.priced_by == "catalog"
    assert tracker.snapshot().total.cost_usd == Decimal("108.001")


# ------------------------------------------------------------------------------------ the ledger
def test_the_ledger_keeps_each_calls_variant_source_and_searches(acme: Catalog, tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    with CostTracker(acme, ledger=db) as tracker:
        tracker.record("acme-big", Usage(M, M, web_search=3), variant="fast", event_id="a")
        tracker.record("acme-big", Usage(M, M), event_id="b")
        tracker.record("no-such-model", Usage(5, 5), variant="batch", event_id="c")
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT event_id, variant, priced_by, web_search, cost_usd FROM events ORDER BY event_id").fetchall()
    assert rows == [("a", "fast", "catalog", 3, "108.031000000000"), ("b", None, "catalog", 0, "18.001000000000"),
                    ("c", "batch", None, 0, None)]
    sums = conn.execute("SELECT SUM(web_search), MAX(priced_by) FROM rollup WHERE model_key = 'acme-big'").fetchone()
    assert sums == (3, "catalog")
    resumed = CostTracker(acme, ledger=db, resume=True)
    try:
        row = resumed.snapshot().by_model["acme-big"]
        assert row.priced_by == "catalog" and row.web_search == 3 and row.cost_usd == Decimal("126.032")
    finally:
        resumed.close()


# ----------------------------------------------------------------------- the file is validated
def _catalog_with(tmp_path: Path, text: str) -> Catalog:
    folder = tmp_path / "pricing"
    shutil.copytree(bundled_dir(), folder)
    (folder / "acme.toml").write_text(text, encoding="utf-8")
    return build_catalog(provider_paths(folder), [], folder)


@pytest.mark.parametrize(("old", "new", "words"), [
    ("[models.prices.variants.fast]\nmultiplier = 6", "[models.prices.variants.fast]\nnote = 'x'",
     ["variants.fast", "needs a multiplier or its own input and output prices"]),
    ("[models.prices.variants.fast]\nmultiplier = 6", "[models.prices.variants.fast]\nmultiplier = 0",
     ["variants.fast.multiplier", "above 0"]),
    ("[models.prices.variants.fast]\nmultiplier = 6", "[models.prices.variants.fast]\nmultiplier = '6'",
     ["variants.fast.multiplier", "must be a number"]),
    ("[models.prices.variants.fast]\nmultiplier = 6", "[models.prices.variants.fast]\ninput = 18",
     ["needs both input and output"]),
    ("[models.prices.variants.fast]\nmultiplier = 6", "[models.prices.variants.fast]\ninput = 18\noutput = 90",
     ["variant 'fast' has its own prices but no tiers"]),
    ("[models.prices.variants.fast]\nmultiplier = 6", "[models.prices.variants.fast]\ncache_read = 1\nmultiplier = 2",
     ["need its own input and output prices too"]),
    ("[models.prices.variants.fast]\nmultiplier = 6", "[models.prices.variants.Fast]\nmultiplier = 6", ["Fast"]),
    ('models = ["acme-big"]', 'models = ["acme-huge"]', ["'acme-huge' is not in this file"]),
    ('models = ["acme-big"]', 'models = ["acme-big", "acme-big"]', ["'acme-big' is already listed"]),
    ('note = "older models cost the same everywhere"', 'models = ["acme-big"]', ["'acme-big' is already listed"]),
    ('models = ["acme-big"]\n', "", ["a second 'regional' entry without models"]),
    ('source = "https://acme.example/batch"', 'source = "acme batch page"', ["source must be a URL"]),
    ("web_search_per_1k = 10", 'web_search_per_1k = 10\nweb_search_per = "query"', ["web_search_per", "'search'", "'request'"]),
    ("checked = 2026-12-01\n", 'checked = 2026-12-01\nvariant_aliases = { fast = "fast" }\n',
     ["variant_aliases", "'fast' -> 'fast' must name a variant, not itself or another alias"]),
    ("checked = 2026-12-01\n", 'checked = 2026-12-01\nvariant_aliases = { speedy = "priority", quick = "speedy" }\n',
     ["'quick' -> 'speedy' must name a variant"]),
    ("checked = 2026-12-01\n", 'checked = 2026-12-01\nvariant_aliases = { batch = "priority" }\n',
     ["'batch' is also a variant of this file"]),
    ("checked = 2026-12-01\n", 'checked = 2026-12-01\nvariant_aliases = { priority = "us" }\n',
     ["'priority' is also a variant of this file"]),  # a model's own variant, not only a file-wide one
    ("checked = 2026-12-01\n", 'checked = 2026-12-01\nvariant_aliases = { Speedy = "priority" }\n',
     ["variant_aliases", "Speedy"]),
    ("checked = 2026-12-01\n", 'checked = 2026-12-01\nvariant_aliases = { turbo = "nothing" }\n',
     ["'turbo' -> 'nothing': no model of this file offers a 'nothing' variant (offered: batch, fast, priority"]),
    ("checked = 2026-12-01\n", 'checked = 2026-12-01\nvariant_aliases = { standard = "priority" }\n',
     ["variant_aliases", "'standard' is reserved: the standard price"]),
    ("[models.prices.variants.fast]\nmultiplier = 6", "[models.prices.variants.unreadable]\nmultiplier = 6",
     ["variants.unreadable", "'unreadable' is reserved: a call whose tier cannot be read, never priced"]),
])
def test_a_malformed_variant_is_one_clear_problem_naming_the_file_and_field(tmp_path: Path, old: str, new: str,
                                                                            words: list[str]) -> None:
    assert old in PRICES
    with pytest.raises(PricingError) as exc:
        _catalog_with(tmp_path, PRICES.replace(old, new, 1))
    problems = exc.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(str(tmp_path / "pricing" / "acme.toml")), problems[0]
    for w in words:
        assert w in problems[0], problems[0]


def test_a_rewrite_rules_variant_must_be_a_variant_name(tmp_path: Path) -> None:
    folder = tmp_path / "pricing"
    shutil.copytree(bundled_dir(), folder)
    with (folder / MATCHING_FILE).open("a", encoding="utf-8") as f:
        f.write(REGIONAL_RULE.replace('variant = "regional"', 'variant = "Regional Endpoint"'))
    with pytest.raises(PricingError) as exc:
        build_catalog(provider_paths(folder), [], folder)
    assert len(exc.value.problems) == 1 and "variant" in exc.value.problems[0]


# --------------------------------------------------------------------- pricing diff compares variants
def test_pricing_diff_compares_litellms_variant_prices_with_ours(acme: Catalog) -> None:
    from costpanel.pricing.diff import compare, litellm_models

    litellm = {
        "acme-big": {"litellm_provider": "mistral", "mode": "chat", "input_cost_per_token": 3e-06,
                     "output_cost_per_token": 1.5e-05, "cache_read_input_token_cost": 3e-07,
                     # batch: ours is x0.25 (the period's own) -> 0.75 / 3.75 / 0.075; theirs 1.5 in: differs
                     "input_cost_per_token_batches": 1.5e-06, "output_cost_per_token_batches": 3.75e-06,
                     "cache_read_input_token_cost_batches": 7.5e-08,
                     # priority: not offered in the period in force now
                     "input_cost_per_token_priority": 6e-06, "output_cost_per_token_priority": 3e-05},
    }
    theirs = [t for t in litellm_models(litellm, ["mistral"]) if t.id == "acme-big"]
    assert theirs and set(theirs[0].variants) == {"batch", "priority"}
    # the test catalog's acme models belong to "acme": compare them as that provider
    theirs = [t._replace(provider="acme") for t in theirs]
    rows = [r for r in compare(acme, theirs, source="litellm", providers=["acme"]) if r.kind == "variant"]
    shown = {(r.field, r.ours, r.theirs) for r in rows}
    assert shown == {("batch.input", "0.75", "1.5"), ("priority", "—", "priced")}
    assert all(r.status == "new" and r.model == "acme-big" for r in rows)
    known = {("acme-big", "batch.input"): "ours is the provider's own batch page", ("acme-big", "priority"): "x"}
    rows = [r for r in compare(acme, theirs, source="litellm", providers=["acme"], known=known) if r.kind == "variant"]
    assert {r.status for r in rows} == {"known"}


def test_pricing_list_says_which_variants_and_search_fee_a_model_has(acme: Catalog) -> None:
    from costpanel.pricing.listing import list_models

    rows = {r.id: r.to_json() for r in list_models(acme, provider="acme")}
    assert rows["acme-big"]["variants"] == ["batch", "fast", "regional", "us"]
    assert rows["acme-big"]["web_search_per_1k"] == "10"
    assert rows["acme-small"]["variants"] == ["batch", "priority", "regional", "us"]
    assert rows["acme-small"]["web_search_per_1k"] is None
    assert rows["acme-big"]["web_search_per"] == "search"


def test_pricing_list_says_when_a_search_fee_is_per_request(catalog: Catalog) -> None:
    from costpanel.pricing.listing import list_models

    rows = {r.id: r.to_json() for r in list_models(catalog, provider="google")}
    assert (rows["gemini-2.5-flash"]["web_search_per_1k"], rows["gemini-2.5-flash"]["web_search_per"]) == ("35", "request")
    assert (rows["gemini-3.5-flash"]["web_search_per_1k"], rows["gemini-3.5-flash"]["web_search_per"]) == ("14", "search")


# ------------------------------------------------------------------------------ costpanel price
def test_costpanel_price_takes_a_variant_and_web_searches() -> None:
    import json

    from cli_run import costpanel

    # Opus 4.6 fast (6x $5 / $25) in the US (1.1x): 10k x $33/M + 1k x $165/M; 2 searches x $10/1k
    r = costpanel("price", "claude-opus-4-6", "--input", "10000", "--output", "1000", "--variant", "US+Fast",
                  "--web-search", "2", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["variant"], data["priced_by"], data["cost_usd"]) == ("fast+us", "catalog", "0.515")
    assert data["breakdown"]["web_search"] == "0.02" and data["usage"]["web_search"] == 2
    table = costpanel("price", "claude-opus-4-6", "--input", "10000", "--variant", "fast")
    assert table.returncode == 0 and "claude-opus-4-6 (anthropic) · fast" in table.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["claude-opus-4-6", "--variant", "flex"], "claude-opus-4-6 has no 'flex' price in the catalog (variants it offers: "),
    (["claude-2.1", "--web-search", "1"], "claude-2.1 has no web search price in the catalog"),
])
def test_costpanel_price_of_an_unpriced_variant_or_search_is_one_line_exit_3(args: list[str], words: str) -> None:
    from cli_run import costpanel

    r = costpanel("price", *args)
    assert r.returncode == 3, r.stdout + r.stderr
    assert words in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize(("args", "words"), [
    (["gpt-5.5", "--variant", "batch+flex"], "variant 'batch+flex': batch and flex are service tiers; a call has one"),
    (["gpt-5.5", "--variant", "flex+priority"], "flex and priority are service tiers"),
    (["gpt-5.5", "--variant", "batch+priority"], "batch and priority are service tiers"),
    (["claude-opus-4-6", "--variant", "fast+batch"], "batch and fast do not stack"),
    (["us.anthropic.claude-opus-4-6-v1", "--variant", "us"], "regional and us are different endpoints"),
])
def test_costpanel_price_refuses_an_impossible_variant_with_one_line_exit_2(args: list[str], words: str) -> None:
    from cli_run import costpanel

    r = costpanel("price", *args, "--input", "1000")
    assert r.returncode == 2, r.stdout + r.stderr
    assert words in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_costpanel_price_refuses_a_malformed_variant_with_exit_2() -> None:
    from cli_run import costpanel

    r = costpanel("price", "gpt-4o", "--variant", "fast mode")
    assert r.returncode == 2 and "variant 'fast mode'" in r.stderr and "Traceback" not in r.stderr


# ------------------------------------------------------------------------------ snapshot rows
def test_a_model_row_of_only_unpriced_calls_has_no_price_source(acme: Catalog, catalog: Catalog) -> None:
    tracker = CostTracker(acme)
    tracker.record("acme-big", Usage(M, M), variant="flex")  # flex is not offered: unpriced
    tracker.record("acme-big", Usage(M, M), tier="Tier 2", variant="flex")
    snap = tracker.snapshot()
    row = snap.by_model["acme-big"]
    assert (row.calls, row.unpriced_calls, row.cost_usd, row.matched) == (2, 2, None, "acme-big")
    assert row.priced_by is None and {r.priced_by for r in snap.by_tier_model.values()} == {None}
    tracker.record("acme-big", Usage(M, M), tier="Tier 2")  # one priced call: the row says what priced it
    snap = tracker.snapshot()
    assert snap.by_model["acme-big"].priced_by == "catalog"
    assert snap.by_tier_model[("Tier 2", "acme-big")].priced_by == "catalog"
    assert snap.by_tier_model[("default", "acme-big")].priced_by is None
    free = CostTracker(catalog)
    free_model = next(e.id for e in catalog.models.values() if e.free)  # $0 on purpose: still priced
    free.record(free_model, Usage(10, 10))
    assert free.snapshot().by_model[free_model].priced_by == "catalog"


def test_a_variants_own_source_must_be_a_url_one_problem(tmp_path: Path) -> None:
    text = PRICES.replace("[models.prices.variants.fast]\nmultiplier = 6",
                          "[models.prices.variants.fast]\nmultiplier = 6\nsource = \"fast mode page\"")
    with pytest.raises(PricingError) as exc:
        _catalog_with(tmp_path, text)
    assert len(exc.value.problems) == 1
    assert "variants.fast.source" in exc.value.problems[0] and "source must be a URL" in exc.value.problems[0]


def test_a_variant_alias_bills_the_variant_it_names_and_only_where_the_model_offers_it(tmp_path: Path) -> None:
    catalog = _catalog_with(tmp_path, PRICES.replace("checked = 2026-12-01\n",
                                                     'checked = 2026-12-01\nvariant_aliases = { speedy = "priority" }\n'))
    at = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)  # acme-big's first period: priority $4 / $16
    usage = Usage(input=1_000_000, output=1_000_000)
    speedy = quote(catalog, "acme-big", usage, at, variant="speedy")
    assert speedy.cost_usd == quote(catalog, "acme-big", usage, at, variant="priority").cost_usd == Decimal(20)
    with pytest.raises(ValueError, match="speedy is the provider's name for priority; batch and priority are "
                                         "service tiers"):
        quote(catalog, "acme-big", usage, at, variant="batch+speedy")  # two tiers, once aliased
    with pytest.raises(ValueError, match="so it names priority twice"):
        quote(catalog, "acme-big", usage, at, variant="priority+speedy")
    assert quote(catalog, "acme-small", usage, at, variant="speedy").cost_usd == Decimal(6)  # its own priority
    later = dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc)  # acme-big's second period offers no priority
    assert quote(catalog, "acme-big", usage, later, variant="speedy").cost_usd is None


OPENAI_OVERRIDE = """
provider = "openai"
name = "OpenAI"
sources = ["https://example.com/pricing"]
checked = 2026-12-04

[[models]]
id = "gpt-6.3-sol"

  [[models.prices]]
  effective = 2026-12-04
  source = "https://example.com/pricing"
  input = 3
  output = 15

    [models.prices.variants.priority]
    multiplier = 2

[[models]]
id = "gpt-6.3-terra"

  [[models.prices]]
  effective = 2026-12-04
  source = "https://example.com/pricing"
  input = 1
  output = 5

    [models.prices.variants.priority]
    multiplier = 2

    [models.prices.variants.fast]
    multiplier = 3
"""


def test_an_override_files_models_take_their_providers_variant_aliases(tmp_path: Path) -> None:
    """OpenAI's `fast` is its priority whichever file prices the model: a user's override for a
    model released today bills a `fast` call at its priority price, as the bundled file's do."""
    override = tmp_path / "mine.toml"
    override.write_text(OPENAI_OVERRIDE, encoding="utf-8")
    catalog = build_catalog(provider_paths(bundled_dir()), [override], bundled_dir())
    usage = Usage(input=1_000_000, output=1_000_000)
    at = dt.datetime(2026, 12, 5, tzinfo=dt.timezone.utc)
    assert quote(catalog, "gpt-6.3-sol", usage, at, variant="fast").cost_usd == Decimal(36)  # 2 x ($3 + $15)
    with pytest.raises(ValueError, match="so it names priority twice"):
        quote(catalog, "gpt-6.3-sol", usage, at, variant="fast+priority")
    # an override's own variant of the alias's name is its own price, not the alias
    assert quote(catalog, "gpt-6.3-terra", usage, at, variant="fast").cost_usd == Decimal(18)  # 3 x ($1 + $5)
