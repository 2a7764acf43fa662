"""Cloud and router names (issue 10, section 2): each resolves to the catalog model it denotes
through the data rules of ``pricing/_matching.toml`` — or to nothing. Never by substring."""

from __future__ import annotations

import datetime as dt
import shutil
import tomllib
from pathlib import Path

import pytest

from costpanel import Usage
from costpanel.pricing import Catalog, PricingError
from costpanel.pricing.catalog import build_catalog
from costpanel.pricing.files import MATCHING_FILE, bundled_dir, provider_paths
from costpanel.quote import quote

# (name sent, catalog id it must resolve to, or None: must stay unpriced)
ROUTE_CASES: list[tuple[str, str | None]] = [
    # --- Amazon Bedrock: `anthropic.` vendor part, `-vN:M` version, region profiles, `bedrock/`
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"),
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
    ("anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
    ("anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"),
    ("anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
    ("anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),  # Opus 4.6: `-v1` without `:0`
    ("anthropic.claude-opus-5-5", "claude-opus-5-5"),  # newer ids carry no version
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("apac.anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("jp.anthropic.claude-sonnet-5-5", "claude-sonnet-5-5"),
    ("au.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
    ("us-gov.anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"),
    ("bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("bedrock/eu.anthropic.claude-3-5-haiku-20241022-v2:0", "claude-3-5-haiku"),
    ("bedrock/apac.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("bedrock/global.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
    ("bedrock/converse/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("Bedrock/US.Anthropic.Claude-Sonnet-4-5-20250929-V1:0", "claude-sonnet-4-5"),  # case-insensitive
    # Bedrock: must NOT match
    ("us.anthropic.claude-sonnet-4-5-mini-v1:0", None),  # no such model: never the nearest one
    ("anthropic.claude-sonnet-4-5-20250929-v1:0:200k", None),  # context variant, not modelled
    ("xx.anthropic.claude-sonnet-4-5-20250929-v1:0", None),  # not a Bedrock region
    ("us.claude-sonnet-4-5", None),  # a region only in front of a Bedrock vendor part
    ("us.gpt-4o", None),
    ("anthropic.gpt-4o", None),  # the Bedrock rule is for Claude ids only
    ("meta.llama3-70b-instruct-v1:0", None),  # other Bedrock vendors: Bedrock's own prices
    ("anthropic.claude-sonnet-4-5-20250929-v1:0-extra", None),
    # --- Google Vertex AI: `vertex_ai/`, `@YYYYMMDD`, `@default`, Claude on Vertex
    ("vertex_ai/gemini-3.5-flash", "gemini-3.5-flash"),
    ("vertex_ai/gemini-2.5-flash@default", "gemini-2.5-flash"),
    ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
    ("vertex_ai/claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
    ("claude-sonnet-4-5@default", "claude-sonnet-4-5"),
    ("vertex_ai/claude-sonnet-4-6@default", "claude-sonnet-4-6"),
    ("vertex_ai/claude-opus-4-1@20250805", "claude-opus-4-1"),
    ("claude-sonnet-4@20250514", "claude-sonnet-4"),
    ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"),
    ("vertex_ai/claude-3-5-haiku@20241022", "claude-3-5-haiku"),
    # Vertex: must NOT match
    ("claude-sonnet-4-5@latest", None),
    ("vertex_ai/unknown-model@default", None),
    ("@default", None),
    # --- Azure OpenAI / Azure AI Foundry
    ("azure/gpt-4o", "gpt-4o"),
    ("azure_ai/gpt-4o", "gpt-4o"),
    ("gpt-35-turbo", "gpt-3.5-turbo"),
    ("azure/gpt-35-turbo", "gpt-3.5-turbo"),
    ("azure_ai/gpt-35-turbo", "gpt-3.5-turbo"),
    ("gpt-35-turbo-16k", "gpt-3.5-turbo-16k"),
    ("azure/gpt-35-turbo-16k", "gpt-3.5-turbo-16k"),
    ("azure/gpt-35-turbo-instruct", "gpt-3.5-turbo-instruct"),  # priced by OpenAI at the same price
    # Azure: must NOT match
    ("azure_ai/unknown-model", None),
    ("azure/gpt-35-turbo-0301", None),  # an old version with another price: not renamed
    ("gpt-35", None),
    ("azure/my-gpt4o-prod", None),  # a deployment name: mapped by the user's override (docs)
    # --- OpenRouter: vendor prefixes and dotted Claude versions
    ("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
    ("openrouter/anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
    ("anthropic/claude-3.7-sonnet", "claude-3-7-sonnet"),
    ("anthropic/claude-3.5-haiku", "claude-3-5-haiku"),
    ("anthropic/claude-opus-4.1", "claude-opus-4-1"),
    ("anthropic/claude-haiku-4.5", "claude-haiku-4-5"),
    ("anthropic/claude-opus-4.6", "claude-opus-4-6"),
    ("anthropic/claude-sonnet-5.5", "claude-sonnet-5-5"),
    ("anthropic/claude-sonnet-4", "claude-sonnet-4"),
    ("claude-sonnet-4.5", "claude-sonnet-4-5"),
    ("openai/gpt-4o", "gpt-4o"),
    ("openrouter/openai/gpt-4o-mini", "gpt-4o-mini"),
    ("google/gemini-3.5-flash", "gemini-3.5-flash"),
    ("x-ai/grok-4.3", "grok-4.3"),
    ("mistralai/mistral-large-2512", "mistral-large-2512"),
    ("deepseek/deepseek-v4-pro", "deepseek-v4-pro"),
    ("perplexity/sonar", "perplexity/sonar"),  # the exact id (Agent API model) wins, as before
    # OpenRouter: must NOT match
    ("anthropic/claude-sonnet-4.5.1", None),
    ("anthropic/claude-sonnet-4.55", None),
    ("anthropic/claude-sonnet-4.5-mini", None),
    ("anthropic/claude-3.7-sonnet:thinking", None),  # OpenRouter variants are not modelled
    ("anthropic/claude-sonnet-4.5:free", None),  # never priced as the paid model
    ("openai/gpt-4.1.5", None),
    ("claude-4.5", None),
    # --- names from the issue: aliases in the catalog, or deliberately not
    ("gemini-flash-latest", "gemini-3.8-flash"),
    ("google/gemini-flash-latest", "gemini-3.8-flash"),
    ("vertex_ai/gemini-flash-latest", "gemini-3.8-flash"),
    ("mistral-large", "mistral-large-latest"),  # short names: aliases of the family's -latest model
    ("mistralai/mistral-large", "mistral-large-latest"),
    ("mistral/mistral-medium", "mistral-medium-latest"),
    ("mistral-small", "mistral-small-latest"),
    # --- OpenAI fine-tunes: ft:<base>:<org>:<suffix>:<id> -> the catalog's ft:<base> model
    ("ft:gpt-4o-mini-2024-07-18:acme::9abc", "ft:gpt-4o-mini-2024-07-18"),
    ("ft:gpt-4o-2024-08-06:my-org:custom-suffix:abc123", "ft:gpt-4o-2024-08-06"),
    ("openai/ft:gpt-4.1-2025-04-14:acme:support-bot:Bx12", "ft:gpt-4.1-2025-04-14"),
    ("FT:GPT-4.1-MINI-2025-04-14:Acme::xyz", "ft:gpt-4.1-mini-2025-04-14"),
    ("ft:gpt-4o-2024-11-20:acme::z9", "ft:gpt-4o-2024-08-06"),  # an alias, same fine-tuned rates
    ("ft:gpt-4o-mini-2024-07-18", "ft:gpt-4o-mini-2024-07-18"),  # the bare ft: id
    ("ft:gpt-3.5-turbo-0125:acme::x1", None),  # a base the catalog has no fine-tuned price for
    ("ft:gpt-4o-mini:acme::x1", None),         # undated base: not rewritten into a dated one
    ("ft:unknown-model:acme::x1", None),
    ("gpt-4o-mini-2024-07-18:acme::9abc", None),  # not ft: no rewrite
]


@pytest.mark.parametrize(("name", "expected"), ROUTE_CASES, ids=[c[0] for c in ROUTE_CASES])
def test_cloud_and_router_names_resolve_to_the_model_they_denote(catalog: Catalog, name: str,
                                                                 expected: str | None) -> None:
    entry = catalog.match(name)
    assert (entry.id if entry else None) == expected


def test_every_expected_id_exists_in_the_catalog(catalog: Catalog) -> None:
    missing = {want for _, want in ROUTE_CASES if want is not None and want not in catalog.models}
    assert not missing


def _rules() -> dict[str, object]:
    with (bundled_dir() / MATCHING_FILE).open("rb") as f:
        return tomllib.load(f)


def test_every_rename_targets_a_catalog_name_exactly(catalog: Catalog) -> None:
    renames = _rules()["renames"]
    assert isinstance(renames, dict) and renames
    for old, new in renames.items():
        assert catalog.match(new) is not None, f"rename {old!r} -> {new!r}: no such catalog name"
        assert catalog.match(old) is catalog.match(new)


def test_every_rewrite_rule_is_exercised_by_the_table(catalog: Catalog) -> None:
    import re

    rules = _rules()["rewrites"]
    assert isinstance(rules, list)
    unused = []
    for rule in rules:
        rx = re.compile(rule["pattern"])
        if not any(rx.fullmatch(catalog.normalise(name)) for name, want in ROUTE_CASES if want):
            unused.append(rule["name"])
    assert not unused


@pytest.mark.parametrize("bedrock", [
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "bedrock/global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "vertex_ai/claude-sonnet-4-5@20250929",
    "anthropic/claude-sonnet-4.5",
])
def test_a_routed_name_costs_exactly_what_the_anthropic_id_costs(catalog: Catalog, bedrock: str) -> None:
    # The list price through every route without a price variant (a regional `us.` profile is the
    # `regional` variant: +10 %, tests/test_prices_variants.py).
    usage = Usage(input=123_457, output=9_876, cache_read=50_001, cache_write=7_777)
    when = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    routed = quote(catalog, bedrock, usage, when)
    direct = quote(catalog, "claude-sonnet-4-5-20250929", usage, when)
    assert routed.cost_usd is not None
    assert routed.cost_usd == direct.cost_usd
    assert routed.breakdown == direct.breakdown
    # $3 / $15 / $0.30 / $3.75 per 1M (Claude Sonnet 4.5, prompt under 200k)
    from decimal import Decimal

    assert routed.cost_usd == (Decimal(123_457) * 3 + Decimal(9_876) * 15 + Decimal(50_001) * Decimal("0.30")
                               + Decimal(7_777) * Decimal("3.75")) / 1_000_000


@pytest.mark.parametrize(("sent", "ft_id", "base", "expected"), [
    # 1,000,000 in + 1,000,000 out: fine-tuned 0.30 + 1.20 = 1.50; base gpt-4o-mini 0.15 + 0.60 = 0.75
    ("ft:gpt-4o-mini-2024-07-18:acme::9abc", "ft:gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18", "1.50"),
    # fine-tuned 3.75 + 15 = 18.75; base gpt-4o-2024-08-06 2.50 + 10 = 12.50
    ("ft:gpt-4o-2024-08-06:my-org:custom-suffix:abc123", "ft:gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "18.75"),
    # fine-tuned 3 + 12 = 15; base gpt-4.1 2 + 8 = 10
    ("azure/ft:gpt-4.1-2025-04-14:org:s:id", "ft:gpt-4.1-2025-04-14", "gpt-4.1-2025-04-14", "15"),
    # fine-tuned 0.80 + 3.20 = 4; base gpt-4.1-mini 0.40 + 1.60 = 2
    ("ft:gpt-4.1-mini-2025-04-14:org::id", "ft:gpt-4.1-mini-2025-04-14", "gpt-4.1-mini-2025-04-14", "4"),
])
def test_a_fine_tune_costs_the_fine_tuned_rate_and_its_base_never_does(catalog: Catalog, sent: str, ft_id: str,
                                                                        base: str, expected: str) -> None:
    from decimal import Decimal

    usage = Usage(input=1_000_000, output=1_000_000)
    when = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    tuned = quote(catalog, sent, usage, when)
    assert tuned.matched == ft_id and tuned.cost_usd == Decimal(expected)
    plain = quote(catalog, base, usage, when)
    assert plain.matched is not None and not plain.matched.startswith("ft:")
    assert plain.cost_usd is not None and plain.cost_usd < tuned.cost_usd


def test_gpt_35_turbo_costs_what_gpt_3_5_turbo_costs(catalog: Catalog) -> None:
    usage = Usage(input=1_000_000, output=1_000_000)
    when = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert quote(catalog, "azure/gpt-35-turbo", usage, when).cost_usd == \
        quote(catalog, "gpt-3.5-turbo", usage, when).cost_usd is not None


# ------------------------------------------------------------------ the rules file is validated

def _folder_with_rules(tmp_path: Path, edit: str, *, replace: tuple[str, str] | None = None) -> Path:
    folder = tmp_path / "pricing"
    shutil.copytree(bundled_dir(), folder)
    path = folder / MATCHING_FILE
    text = path.read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    path.write_text(text + edit, encoding="utf-8")
    return folder


def _problems(folder: Path) -> list[str]:
    with pytest.raises(PricingError) as exc:
        build_catalog(provider_paths(folder), [], folder)
    return list(exc.value.problems)


BAD_RULES = [  # rewrites[7]: the rule appended after the 7 bundled ones
    ('\n[[rewrites]]\nname = "broken"\npattern = \'(claude-.+\'\nreplace = \'\\1\'\n',
     ["rewrite 'broken': pattern '(claude-.+' is not a valid regular expression"]),
    ('\n[[rewrites]]\nname = "no-group"\npattern = \'claude-.+\'\nreplace = \'\\2\'\n',
     ["rewrite 'no-group': replace '\\\\2' refers to group '2'"]),
    ('\n[[rewrites]]\nname = "named"\npattern = \'(?P<m>claude-.+)\'\nreplace = \'\\g<x>\'\n',
     ["rewrite 'named'", "group 'x'"]),
    ('\n[[rewrites]]\nname = "typo"\npattern = \'(.+)@x\'\nreplace = \'\\1\'\nreplacement = "oops"\n',
     ["rewrites[7].replacement", "unknown field"]),
    ('\n[[rewrites]]\nname = "no-replace"\npattern = \'(.+)@x\'\n', ["rewrites[7].replace", "required"]),
    ('\n[[rewrites]]\nname = "vertex-default"\npattern = \'(.+)@y\'\nreplace = \'\\1\'\n',
     ["rewrite names must be unique", "'vertex-default'"]),
    ('\n[[rewrites]]\nname = "Bad Name"\npattern = \'(.+)@y\'\nreplace = \'\\1\'\n', ["rewrites[7].name"]),
]


@pytest.mark.parametrize(("edit", "expected"), BAD_RULES, ids=[e[1][0][:30] for e in BAD_RULES])
def test_a_malformed_rewrite_is_a_clear_error_naming_the_rule(tmp_path: Path, edit: str,
                                                               expected: list[str]) -> None:
    problems = _problems(_folder_with_rules(tmp_path, edit))
    assert len(problems) == 1, problems
    assert problems[0].startswith(str(tmp_path / "pricing" / MATCHING_FILE) + ": ")
    for part in expected:
        assert part in problems[0], problems[0]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('"gpt-35-turbo" = "gpt-3.5-turbo"', '"GPT-35-Turbo" = "gpt-3.5-turbo"', "write them in lower case"),
    ('"gpt-35-turbo" = "gpt-3.5-turbo"', '"gpt-35-turbo" = "gpt-35-turbo"', "renames to itself"),
    ('"gpt-35-turbo" = "gpt-3.5-turbo"', '"gpt-35-turbo" = "gpt-35-turbo-16k"', "renamed again"),
    ('"gpt-35-turbo" = "gpt-3.5-turbo"', '"gpt-35-turbo" = "gpt 3.5"', "renames.gpt-35-turbo"),
    ("'-\\d{8}$',", "'-\\d{8',", "strip_suffixes"),
    ("'-\\d{8}$',", "'-\\d{8}',", "must end with $"),
    ('"azure_ai/",', '"Azure_AI/",', "lower case"),
])
def test_malformed_renames_prefixes_and_suffixes_are_clear_errors(tmp_path: Path, old: str, new: str,
                                                                 expected: str) -> None:
    problems = _problems(_folder_with_rules(tmp_path, "", replace=(old, new)))
    assert len(problems) == 1 and expected in problems[0], problems


def test_the_bundled_rules_file_is_valid_and_loads() -> None:
    folder = bundled_dir()
    catalog = build_catalog(provider_paths(folder), [], folder)
    assert catalog.match("us.anthropic.claude-sonnet-4-5-20250929-v1:0") is not None


# ------------------------------------------------------- a deployment name, mapped by the user

DOCS = Path(__file__).resolve().parents[1] / "docs" / "pricing.md"


def test_the_documented_deployment_override_maps_an_azure_deployment_name(tmp_path: Path,
                                                                         catalog: Catalog) -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("### A name only your deployment knows"):]
    example = section[section.index("```toml\n") + len("```toml\n"):section.index("```\n", section.index("```toml"))]
    override = tmp_path / "azure-deployments.toml"
    override.write_text(example, encoding="utf-8")
    assert catalog.match("azure/my-gpt4o-prod") is None
    folder = bundled_dir()
    mine = build_catalog(provider_paths(folder), [override], folder)
    usage = Usage(input=1_000_000, output=1_000_000, cache_read=1_000_000)
    when = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for name in ("azure/my-gpt4o-prod", "my-gpt4o-prod", "azure/my-gpt4o-staging"):
        q = quote(mine, name, usage, when)
        assert (q.matched, q.provider) == ("my-gpt4o-prod", "my-azure")
        assert q.cost_usd == quote(catalog, "gpt-4o", usage, when).cost_usd


def test_an_unknown_routed_name_gets_suggestions_after_the_rules(catalog: Catalog) -> None:
    # Suggestions only: the name itself stays unpriced.
    assert catalog.match("us.anthropic.claude-sonnet-4-5-mini-v1:0") is None
    assert "claude-sonnet-4-5" in catalog.suggestions("us.anthropic.claude-sonnet-4-5-mini-v1:0")
