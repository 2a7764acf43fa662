"""The price catalog: deliberate name matching, file validation, overrides, price history,
cliff tiers and bucket fallbacks."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
import time
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage
from costpanel.pricing import Catalog, PricingError, load_catalog
from costpanel.pricing.files import bundled_dir
from costpanel.quote import quote

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 1, tzinfo=UTC)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=UTC)


def usd(model: str, catalog: Catalog, when: dt.datetime = NOW, **counts: int) -> dict[str, Decimal]:
    """Per-bucket cost of one call, plus ``total``."""
    q = quote(catalog, model, Usage(**counts), when)
    assert q.breakdown is not None, f"{model} is unpriced"
    return {**q.breakdown, "total": q.cost_usd}


# ---------------------------------------------------------------------------------- matching

MATCH_CASES = [
    # exact ids never borrow a neighbour's price
    ("gpt-4", "gpt-4"),
    ("gpt-4o", "gpt-4o"),
    ("gpt-4o-mini", "gpt-4o-mini"),
    ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),  # a dated snapshot with a price of its own
    ("gpt-4o-2024-08-06", "gpt-4o-2024-08-06"),
    ("gpt-4-0613", "gpt-4"),  # declared alias (short stamps are never stripped)
    ("gpt-3.5-turbo", "gpt-3.5-turbo"),
    # provider / routing prefixes
    ("openai/gpt-4o", "gpt-4o"),
    ("openai/gpt-4o-mini", "gpt-4o-mini"),
    ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
    ("gemini/gemini-2.5-pro", "gemini-2.5-pro"),
    ("models/gemini-2.5-flash", "gemini-2.5-flash"),
    ("vertex_ai/gemini-2.5-pro", "gemini-2.5-pro"),
    ("openrouter/openai/gpt-4o", "gpt-4o"),  # stripped repeatedly
    ("vertex_ai/gemini/gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
    # date suffixes, once, after prefixes
    ("gpt-4.1-2025-04-14", "gpt-4.1"),
    ("openai/gpt-5-mini-2025-08-07", "gpt-5-mini"),
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
    ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
    ("vertex_ai/claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
    ("claude-haiku-4-5@20251001", "claude-haiku-4-5"),
    # case and whitespace
    ("GPT-4o", "gpt-4o"),
    ("  gpt-4o-mini\n", "gpt-4o-mini"),
    ("OpenAI/GPT-4O-Mini-2024-07-18", "gpt-4o-mini"),
    ("\tGemini/Gemini-2.5-Pro ", "gemini-2.5-pro"),
    # an exact id that looks like a prefix + id wins over prefix stripping
    ("perplexity/sonar", "perplexity/sonar"),
    ("perplexity/sonar-pro", "sonar-pro"),
    # names that must NOT match anything
    ("gpt-4o-minix", None),
    ("gpt", None),
    ("gpt-4o-", None),
    ("claude", None),
    ("claude-sonnet", None),
    ("gemini", None),
    ("gpt-4o-mini-high", None),
    ("gpt-4o-mini-foo", None),  # never the longest id it starts with
    ("gpt-4o-minimal", None),
    ("claude-sonnet-4-5-latest", None),
    ("gemini-2.5-pro-max", None),
    ("o3-mini-ultra", None),
    ("gpt-4o-mini-2024", None),  # not a whole date stamp
    ("4o-mini", None),  # substring
    ("o-mini", None),
    ("gpt-4o mini", None),
    ("my-gpt-4o", None),  # longer name containing an id
    ("gpt-4o-mini-2024-07-18-extra", None),
    ("openai/", None),  # a bare prefix is not a model
    ("models/", None),
    ("pollinations/gpt-4o", None),  # never stripped to the paid model
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("name", "expected"), MATCH_CASES)
def test_model_names_match_deliberately(catalog: Catalog, name: str, expected: str | None) -> None:
    entry = catalog.match(name)
    assert (entry.id if entry else None) == expected


def test_gpt_4o_mini_and_gpt_4_are_priced_differently(catalog: Catalog) -> None:
    # The replaced tracker's bug: prefix matching priced gpt-4o-mini as gpt-4.
    mini = usd("gpt-4o-mini", catalog, input=1_000_000)["total"]
    four = usd("gpt-4", catalog, input=1_000_000)["total"]
    four_o = usd("gpt-4o", catalog, input=1_000_000)["total"]
    assert (mini, four_o, four) == (Decimal("0.15"), Decimal("2.5"), Decimal("30"))


def _all_strip_prefixes() -> list[str]:
    """Prefixes from _matching.toml and every bundled provider file (read independently)."""
    folder = bundled_dir()
    with (folder / "_matching.toml").open("rb") as f:
        prefixes = list(tomllib.load(f)["strip_prefixes"])
    for path in folder.glob("*.toml"):
        if not path.name.startswith("_"):
            with path.open("rb") as f:
                prefixes.extend(tomllib.load(f).get("prefixes", []))
    return prefixes


def test_prefix_stripping_never_turns_a_pollinations_name_into_a_paid_model(catalog: Catalog) -> None:
    prefixes = _all_strip_prefixes()
    assert "pollinations/" not in prefixes
    free = [e for e in catalog.models.values() if e.provider == "pollinations"]
    assert len(free) >= 10
    checked = 0
    for entry in free:
        for name in (entry.id, *entry.aliases):
            for prefix in ["", *prefixes]:
                got = catalog.match(prefix + name)
                assert got is entry, f"{prefix + name!r} matched {got and got.id!r}"
                checked += 1
    # and names that are a paid model's id behind `pollinations/` stay free or unknown
    for name in ("pollinations/deepseek-reasoner", "pollinations/mistral", "pollinations/openai"):
        entry = catalog.match(name)
        assert entry is not None and entry.free and entry.provider == "pollinations"
    assert checked > 100


def test_suggestions_offer_close_ids_for_an_unknown_name(catalog: Catalog) -> None:
    assert "gpt-4o-mini" in catalog.suggestions("openai/gpt-4o-mni")


# -------------------------------------------------------------------------------- validation

HEAD = """\
provider = "acme"
name = "Acme"
sources = ["https://acme.example/pricing"]
checked = 2026-01-01
"""

OK_PRICES = "input = 1\noutput = 2\n"


def model_toml(prices: str = OK_PRICES, *, mid: str = "acme-1", extra: str = "",
               effective: str = "2025-01-01", source: str = "https://acme.example/pricing") -> str:
    period = f'effective = {effective}\nsource = "{source}"\n{prices}'
    return f'\n[[models]]\nid = "{mid}"\n{extra}\n[[models.prices]]\n{period}'


TIERS_DESCENDING = OK_PRICES + textwrap.dedent("""\
    [[models.prices.tiers]]
    above_prompt_tokens = 200
    input = 2
    output = 4
    [[models.prices.tiers]]
    above_prompt_tokens = 100
    input = 2
    output = 4
    """)

# (case, file text, substrings one problem line must contain besides the file's path)
BAD_FILES = [
    ("negative price", HEAD + model_toml("input = -1.5\noutput = 2\n"),
     ["'acme-1'", "prices[0].input", "-1.5"]),
    ("more than 6 decimals", HEAD + model_toml("input = 0.1234567\noutput = 2\n"),
     ["'acme-1'", "prices[0].input", "0.1234567", "6 decimals"]),
    ("missing output", HEAD + model_toml("input = 1\n"),
     ["'acme-1'", "prices[0].output", "Field required"]),
    ("unknown price field", HEAD + model_toml(OK_PRICES + "cache_wrte = 1.75\n"),
     ["'acme-1'", "prices[0].cache_wrte", "unknown field", "1.75"]),
    ("unknown model field", HEAD + model_toml(extra='colour = "red"'),
     ["'acme-1'", "colour", "unknown field", "red"]),
    ("source not a URL", HEAD + model_toml(source="acme.example/pricing"),
     ["'acme-1'", "prices[0].source", "must be a URL", "acme.example/pricing"]),
    ("negative request fee", HEAD + model_toml(OK_PRICES + "per_1k_requests = -5\n"),
     ["'acme-1'", "prices[0].per_1k_requests", "-5"]),
    ("unsorted periods", HEAD + model_toml(effective="2025-03-01") + "\n[[models.prices]]\neffective = 2024-07-15\n"
     'source = "https://acme.example/pricing"\n' + OK_PRICES,
     ["'acme-1'", "increasing effective order", "2024"]),
    ("tiers not ascending", HEAD + model_toml(TIERS_DESCENDING),
     ["'acme-1'", "prices[0]", "above_prompt_tokens", "[200, 100]"]),
    ("id with whitespace", HEAD + model_toml(mid="acme 1"),
     ["'acme 1'", "field id", "acme 1"]),
    ("provider key not lower case", HEAD.replace('"acme"', '"Acme"') + model_toml(),
     ["provider", "'Acme'"]),
    ("duplicate alias within a file", HEAD + model_toml(extra='aliases = ["acme-shared"]')
     + model_toml(mid="acme-2", extra='aliases = ["acme-shared"]'),
     ["'acme-shared'", "'acme-1'", "'acme-2'"]),
    ("alias repeats its own id", HEAD + model_toml(extra='aliases = ["acme-1"]'),
     ["'acme-1'", "repeats the model id"]),
    ("invalid TOML", HEAD + "[[models]\nid = 'acme-1'\n",
     ["not valid TOML", "line 5"]),
    ("non-free model without prices", HEAD + '\n[[models]]\nid = "acme-1"\n',
     ["'acme-1'", "needs at least one [[models.prices]]"]),
    ("free model with a non-zero price", HEAD + model_toml("input = 0\noutput = 0.5\n", extra="free = true"),
     ["'acme-1'", "free model cannot have non-zero prices"]),
    ("override alias collides with a bundled model", HEAD + model_toml(extra='aliases = ["gpt-4o"]'),
     ["'acme-1'", "'gpt-4o'", "already used by model 'gpt-4o'", "openai.toml"]),
    ("override id collides with a bundled alias", HEAD + model_toml(mid="gpt-4o-mini-2024-07-18"),
     ["'gpt-4o-mini-2024-07-18'", "already used by model 'gpt-4o-mini'", "openai.toml"]),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=c) for c, t, e in BAD_FILES])
def test_malformed_file_problems_name_file_model_field_and_value(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PricingError) as info:
        load_catalog(extra=[path])
    problems = info.value.problems
    assert problems and all(line.startswith(f"{path}:") for line in problems), problems
    assert any(all(s in line for s in expected) for line in problems), problems
    assert all(line in str(info.value) for line in problems)


def test_problems_in_several_files_are_all_reported(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(HEAD + model_toml("input = -1\noutput = 2\n"), encoding="utf-8")
    b.write_text(HEAD.replace("acme", "beta") + model_toml(mid="beta-1", source="nope"), encoding="utf-8")
    with pytest.raises(PricingError) as info:
        load_catalog(extra=[a, b])
    assert any(str(a) in line and "prices[0].input" in line for line in info.value.problems)
    assert any(str(b) in line and "prices[0].source" in line for line in info.value.problems)


def test_one_invalid_model_yields_no_spurious_models_list_problem(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(HEAD + model_toml("input = -1\noutput = 2\n"), encoding="utf-8")
    with pytest.raises(PricingError) as info:
        load_catalog(extra=[path])
    assert all("'acme-1'" in line for line in info.value.problems), info.value.problems


def test_duplicate_alias_within_one_model_names_the_alias(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(HEAD + model_toml(extra='aliases = ["acme-x", "acme-x"]'), encoding="utf-8")
    with pytest.raises(PricingError) as info:
        load_catalog(extra=[path])
    assert any("'acme-1'" in line and "'acme-x'" in line for line in info.value.problems), info.value.problems


def test_duplicate_name_in_a_file_names_both_models(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(HEAD + model_toml(extra='aliases = ["acme-shared"]')
                    + model_toml(mid="acme-2", extra='aliases = ["acme-shared"]'), encoding="utf-8")
    with pytest.raises(PricingError) as info:
        load_catalog(extra=[path])
    assert any("'acme-1'" in line and "'acme-2'" in line for line in info.value.problems), info.value.problems


def test_a_free_model_may_have_zero_price_periods(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(HEAD + model_toml("input = 0\noutput = 0\n", extra="free = true"), encoding="utf-8")
    cat = load_catalog(extra=[path])
    assert usd("acme-1", cat, input=10**6, output=10**6)["total"] == 0


# --------------------------------------------------------------------------------- overrides


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_config_dir_override_adds_a_new_model(isolated_user_dirs: Path) -> None:
    path = write(isolated_user_dirs / "pricing" / "acme.toml", HEAD + model_toml(extra='aliases = ["acme-one"]'))
    cat = load_catalog()
    entry = cat.match("acme-one")
    assert entry is not None and entry.id == "acme-1" and entry.origin == str(path)
    assert usd("acme-1", cat, input=10**6, output=10**6)["total"] == Decimal(3)
    assert cat.match("gpt-4o").id == "gpt-4o"  # bundled models stay
    assert load_catalog(overrides=False).match("acme-1") is None


def test_config_dir_single_pricing_toml_is_read(isolated_user_dirs: Path) -> None:
    path = write(isolated_user_dirs / "pricing.toml", HEAD + model_toml())
    cat = load_catalog()
    assert cat.match("acme-1").origin == str(path)
    assert usd("acme-1", cat, input=10**6, output=10**6)["total"] == Decimal(3)  # $1 + $2 per 1M


def test_env_override_file_adds_a_new_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "mine.toml", HEAD + model_toml())
    monkeypatch.setenv("COSTPANEL_PRICING", str(path))
    assert load_catalog().match("acme/acme-1") is None  # no prefixes declared
    assert load_catalog().match("acme-1").origin == str(path)


def test_env_override_folder_and_path_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "dir" / "a.toml", HEAD + model_toml())
    b = write(tmp_path / "b.toml", HEAD.replace('"acme"', '"beta"') + model_toml(mid="beta-1"))
    monkeypatch.setenv("COSTPANEL_PRICING", os.pathsep.join([str(tmp_path / "dir"), str(b)]))
    cat = load_catalog()
    assert cat.match("acme-1").origin == str(tmp_path / "dir" / "a.toml")
    assert cat.match("beta-1").origin == str(b)


REPLACE_GPT4 = HEAD.replace('"acme"', '"mine"') + model_toml("input = 1\noutput = 2\n", mid="gpt-4",
                                                               extra='aliases = ["my-gpt-4"]')


def test_config_dir_override_replaces_a_bundled_model_by_id(isolated_user_dirs: Path, catalog: Catalog) -> None:
    assert catalog.match("gpt-4-0613").id == "gpt-4"
    path = write(isolated_user_dirs / "pricing" / "gpt4.toml", REPLACE_GPT4)
    cat = load_catalog()
    entry = cat.match("gpt-4")
    assert entry.origin == str(path) and entry.provider == "mine"
    assert usd("gpt-4", cat, input=10**6, output=10**6)["total"] == Decimal(3)
    assert cat.match("my-gpt-4") is entry
    # the bundled model's aliases went with it
    assert cat.match("gpt-4-0613") is None and cat.match("gpt-4-0314") is None
    assert len(cat) == len(catalog)


def test_env_override_replaces_a_bundled_model_and_wins_over_the_config_dir(
    isolated_user_dirs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(isolated_user_dirs / "pricing" / "gpt4.toml", REPLACE_GPT4)
    env_file = write(tmp_path / "later.toml", REPLACE_GPT4.replace("input = 1\n", "input = 7\n"))
    monkeypatch.setenv("COSTPANEL_PRICING", str(env_file))
    cat = load_catalog()
    assert cat.match("gpt-4").origin == str(env_file)
    assert usd("gpt-4", cat, input=10**6)["total"] == Decimal(7)


def test_load_catalog_picks_up_an_edited_override(isolated_user_dirs: Path) -> None:
    path = write(isolated_user_dirs / "pricing" / "acme.toml", HEAD + model_toml())
    first = load_catalog()
    assert load_catalog() is first  # cached while nothing changes
    assert usd("acme-1", first, input=10**6)["total"] == Decimal(1)
    path.write_text(HEAD + model_toml("input = 1.25\noutput = 2\n"), encoding="utf-8")
    second = load_catalog()
    assert second is not first
    assert usd("acme-1", second, input=10**6)["total"] == Decimal("1.25")


def test_load_catalog_picks_up_a_new_override_file(isolated_user_dirs: Path) -> None:
    assert load_catalog().match("acme-1") is None
    path = write(isolated_user_dirs / "pricing" / "acme.toml", HEAD + model_toml())
    assert load_catalog().match("acme-1").origin == str(path)


def test_env_override_pointing_at_a_missing_path_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope" / "prices.toml"
    monkeypatch.setenv("COSTPANEL_PRICING", str(missing))
    with pytest.raises(PricingError) as info:
        load_catalog()
    assert any(str(missing) in line and "COSTPANEL_PRICING" in line for line in info.value.problems)


def test_a_bad_override_fails_loading_with_its_problems(isolated_user_dirs: Path) -> None:
    path = write(isolated_user_dirs / "pricing" / "acme.toml", HEAD + model_toml("input = -1\noutput = 2\n"))
    with pytest.raises(PricingError) as info:
        load_catalog()
    assert any(line.startswith(f"{path}:") and "prices[0].input" in line for line in info.value.problems)
    assert load_catalog(overrides=False).match("gpt-4o").id == "gpt-4o"  # the bundled prices still load


# ----------------------------------------------------------------------------- price history


@pytest.mark.parametrize(
    ("model", "when", "input_price", "output_price"),
    [
        ("gpt-4o", "2024-06-01", "5", "15"),  # before the undated name moved to 2024-08-06
        ("gpt-4o", "2024-10-01T23:59:59", "5", "15"),
        ("gpt-4o", "2024-10-02T00:00:00", "2.5", "10"),  # periods start at UTC midnight
        ("gpt-4o", "2026-11-01", "2.5", "10"),
        ("o3", "2025-06-09T23:59:59", "10", "40"),
        ("o3", "2025-06-10", "2", "8"),
        ("gpt-5.6-luna", "2026-07-29", "1", "6"),
        ("gpt-5.6-luna", "2026-07-30", "0.2", "1.2"),
        ("mistral-large-latest", "2025-12-01", "2", "6"),
        ("mistral-large-latest", "2025-12-02", "0.5", "1.5"),
    ],
)
def test_a_call_is_priced_with_the_period_in_effect_at_its_time(
    catalog: Catalog, model: str, when: str, input_price: str, output_price: str
) -> None:
    # 100k tokens each: below every cliff tier; x10 gives the price per 1M
    cost = usd(model, catalog, at(when), input=100_000, output=100_000)
    assert (cost["input"] * 10, cost["output"] * 10) == (Decimal(input_price), Decimal(output_price))


def test_a_call_before_the_first_period_uses_the_first_period(catalog: Catalog) -> None:
    assert usd("gpt-4o", catalog, at("2020-01-01"), input=10**6)["total"] == Decimal(5)
    assert usd("deepseek-chat", catalog, at("2023-01-01"), input=10**6)["total"] == Decimal("0.14")


def test_tracker_prices_history_like_quote(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)
    old = tracker.record("gpt-4o", Usage(input=10**6), at=at("2024-06-01"))
    new = tracker.record("gpt-4o", Usage(input=10**6), at=at("2025-06-01"))
    assert (old.cost_usd, new.cost_usd) == (Decimal(5), Decimal("2.5"))


# -------------------------------------------------------------------------------- cliff tiers


def test_cliff_tier_applies_only_strictly_above_the_threshold(catalog: Catalog) -> None:
    at_limit = quote(catalog, "claude-sonnet-4-5", Usage(input=200_000, output=1_000), NOW)
    above = quote(catalog, "claude-sonnet-4-5", Usage(input=200_001, output=1_000), NOW)
    assert at_limit.tier_threshold is None
    assert at_limit.cost_usd == Decimal("0.6") + Decimal("0.015")  # 3/M, 15/M
    assert above.tier_threshold == 200_000
    assert above.cost_usd == Decimal("1.200006") + Decimal("0.0225")  # 6/M, 22.5/M on everything


def test_cliff_threshold_counts_every_prompt_bucket_and_not_output(catalog: Catalog) -> None:
    # 50,000 + 50,000 + 50,000 + 50,001 prompt tokens: above 200k only with all four buckets
    mixed = usd("claude-sonnet-4-5", catalog, input=50_000, cache_read=50_000, cache_write=50_000,
                cache_write_1h=50_001, output=10)
    assert mixed == {
        "input": Decimal("0.3"),  # 6/M
        "cache_read": Decimal("0.03"),  # 0.6/M
        "cache_write": Decimal("0.375"),  # 7.5/M
        "cache_write_1h": Decimal("0.600012"),  # 12/M
        "output": Decimal("0.000225"),  # 22.5/M
        "requests": Decimal(0),
        "web_search": Decimal(0),
        "total": Decimal("1.305237"),
    }
    below = usd("claude-sonnet-4-5", catalog, input=50_000, cache_read=50_000, cache_write=50_000,
                cache_write_1h=50_000, output=500_000)
    assert below["input"] == Decimal("0.15") and below["output"] == Decimal("7.5")  # base rates


def test_cliff_tier_reprices_the_whole_request_for_gemini_pro(catalog: Catalog) -> None:
    cost = usd("gemini-2.5-pro", catalog, input=150_000, cache_read=60_000, output=2_000)
    assert cost["input"] == Decimal("0.375")  # 2.5/M on all 150k, not just the part above 200k
    assert cost["cache_read"] == Decimal("0.015")  # 0.25/M
    assert cost["output"] == Decimal("0.03")  # 15/M


def test_a_tier_ends_with_its_price_period(catalog: Catalog) -> None:
    long_prompt = dict(input=300_000, output=1_000)
    assert usd("claude-sonnet-4-6", catalog, at("2026-03-12"), **long_prompt)["input"] == Decimal("1.8")
    assert usd("claude-sonnet-4-6", catalog, at("2026-03-13"), **long_prompt)["input"] == Decimal("0.9")


# ---------------------------------------------------------------------------- bucket fallbacks


def test_a_bucket_a_model_does_not_offer_is_billed_at_the_input_rate(catalog: Catalog) -> None:
    # OpenAI lists no cache-write price on gpt-4o: cache writes cost the input rate, never 0.
    cost = usd("gpt-4o", catalog, cache_write=10**6, cache_write_1h=10**6)
    assert cost["cache_write"] == cost["cache_write_1h"] == Decimal("2.5")
    # gpt-4o-2024-05-13 has no cached-input price: reads cost the input rate.
    assert usd("gpt-4o-2024-05-13", catalog, cache_read=10**6)["cache_read"] == Decimal(5)
    # Gemini 2.0 Flash-Lite has no caching at all.
    lite = usd("gemini-2.0-flash-lite", catalog, cache_read=10**6, cache_write=10**6)
    assert lite["cache_read"] == lite["cache_write"] == Decimal("0.075")


def test_a_missing_1h_cache_write_falls_back_to_the_5m_rate_first(catalog: Catalog) -> None:
    cost = usd("gpt-5.6-sol", catalog, cache_write=100_000, cache_write_1h=100_000)  # below the 272k tier
    assert cost["cache_write"] == cost["cache_write_1h"] == Decimal("0.5")  # 5/M


def test_a_tier_bucket_it_does_not_list_falls_back_to_the_tiers_input_rate(catalog: Catalog) -> None:
    cost = usd("gemini-2.5-pro", catalog, input=200_000, cache_write=1_000_000)
    assert cost["cache_write"] == Decimal("2.5")


def test_per_request_fee_is_billed_per_request(catalog: Catalog) -> None:
    assert usd("sonar", catalog, at("2025-06-01"), requests=1)["requests"] == Decimal("0.005")
    assert usd("sonar", catalog, at("2025-06-01"), requests=1000)["total"] == Decimal(5)


def test_a_free_model_prices_to_exactly_zero_and_is_priced(catalog: Catalog) -> None:
    q = quote(catalog, "pollinations/openai", Usage(input=10**6, cache_read=5, cache_write=7, output=10**6), NOW)
    assert q.priced and q.cost_usd == Decimal(0)
    assert set(q.breakdown.values()) == {Decimal(0)}
    tracker = CostTracker(catalog)
    event = tracker.record("searchgpt", Usage(input=1_000, output=1_000))
    assert event.priced and event.cost_usd == 0
    snap = tracker.snapshot()
    assert snap.unpriced == () and snap.unpriced_calls == 0 and snap.total_usd == 0


def test_an_unknown_model_is_unpriced_not_zero(catalog: Catalog) -> None:
    q = quote(catalog, "gpt-4o-minix", Usage(input=10, output=10), NOW)
    assert not q.priced and q.cost_usd is None and q.breakdown is None


def test_quote_refuses_a_naive_datetime_instead_of_reading_it_as_local_time(
        catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    # In Tokyo, 2024-10-02 03:00 local is still 2024-10-01 in UTC: the gpt-4o period before 2.5/M.
    # Read as local time the call would get the old price; costpanel refuses to guess, as record() does.
    try:
        with monkeypatch.context() as tz:
            tz.setenv("TZ", "Asia/Tokyo")
            time.tzset()
            naive = dt.datetime(2024, 10, 2, 3, 0)
            with pytest.raises(ValueError,
                               match=r"^at must be timezone-aware, got naive datetime 2024-10-02T03:00:00$"):
                quote(catalog, "gpt-4o", Usage(input=10**6), naive)
    finally:
        time.tzset()  # back to the process's own zone


def test_a_scheduled_price_change_is_not_listed_as_current_before_its_day(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from costpanel.pricing.listing import list_models

    later = '\n[[models.prices]]\neffective = 2100-01-01\nsource = "https://acme.example/pricing"\ninput = 5\noutput = 9\n'
    path = write(tmp_path / "mine.toml", HEAD + model_toml() + later)
    monkeypatch.setenv("COSTPANEL_PRICING", str(path))
    cat = load_catalog()
    entry = cat.match("acme-1")
    assert entry.current.base.input == 1 * 10**6  # $1/M today, in units of 1e-12 USD per token
    assert entry.current_spec.input == Decimal(1) and entry.current_spec.effective == dt.date(2025, 1, 1)
    (row,) = [r for r in list_models(cat, provider="acme") if r.id == "acme-1"]
    assert (row.rates["input"], row.rates["output"], row.effective) == (Decimal(1), Decimal(2), "2025-01-01")
    assert usd("acme-1", cat, input=10**6, output=10**6)["total"] == Decimal(3)  # today's price: $1 + $2


def test_a_model_from_an_override_file_is_priced_by_override_and_a_bundled_one_by_the_catalog(
        isolated_user_dirs: Path, catalog: Catalog) -> None:
    """The user's own price is said to be theirs (reports' "Priced by", the panel's tooltip,
    `costpanel price`), so that a price set by mistake is found where it was set."""
    write(isolated_user_dirs / "pricing" / "gpt4.toml", REPLACE_GPT4)
    write(isolated_user_dirs / "pricing" / "acme.toml", HEAD + model_toml())
    cat = load_catalog()
    assert (cat.match("gpt-4").priced_by, cat.match("acme-1").priced_by) == ("override", "override")
    assert cat.match("gpt-4o").priced_by == catalog.match("gpt-4").priced_by == "catalog"
    tracker = CostTracker(cat)
    tracker.record("gpt-4", Usage(input=10**6))
    tracker.record("gpt-4o", Usage(input=10**6))
    snap = tracker.snapshot()
    assert (snap.by_model["gpt-4"].priced_by, snap.by_model["gpt-4o"].priced_by) == ("override", "catalog")
    from costpanel.gui.viewmodel import OVERRIDE_HINT, build_view

    rows = {r.key: (r.cells[0], r.tooltips[0]) for r in build_view(snap).tables["models"]}
    assert rows["gpt-4"] == ("gpt-4", OVERRIDE_HINT) and rows["gpt-4o"] == ("gpt-4o", None)  # no genai-prices mark
