"""``costpanel pricing diff``: the library on a catalog with a small override file (real files,
``COSTPANEL_PRICING``) against the installed genai-prices, and the command as a subprocess."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from cli_run import costpanel, one_line_error
from costpanel.pricing import load_catalog
from costpanel.pricing.diff import (
    DiffRow, TheirModel, compare, diff_catalog, genai_prices_models, litellm_models, load_known_differences,
)
from costpanel.pricing.errors import PricingError
from costpanel.pricing.litellm_import import load_litellm_json

pytest.importorskip("genai_prices", reason="genai-prices is a dependency (pip install -e .)")

SAMPLE = Path(__file__).parent / "data" / "litellm" / "model_prices_sample.json"
TODAY = dt.datetime.now(dt.timezone.utc).date().isoformat()


def _theirs(model_id: str) -> TheirModel:
    return next(m for m in genai_prices_models(["openai"]) if m.id == model_id)


def _override(tmp_path: Path, sol_input: Decimal, sol_priority: str = "2") -> Path:
    """gpt-6.1-sol at ``sol_input`` (genai-prices' other rates and its batch / flex / priority
    factors, priority ``sol_priority``), a model genai-prices cannot know, and gpt-4o marked
    retired, which genai-prices lists as current."""
    sol = _theirs("gpt-6.1-sol").rates
    path = tmp_path / "mine.toml"
    path.write_text(f"""
provider = "openai"
name = "OpenAI"
sources = ["https://example.com/pricing"]
checked = {TODAY}

[[models]]
id = "gpt-6.1-sol"
  [[models.prices]]
  effective = 2026-01-01
  source = "https://example.com/pricing"
  input = {sol_input}
  output = {sol["output"]}
  cache_read = {sol["cache_read"]}
  cache_write = {sol["cache_write"]}
    [models.prices.variants.batch]
    multiplier = 0.5
    [models.prices.variants.flex]
    multiplier = 0.5
    [models.prices.variants.priority]
    multiplier = {sol_priority}

[[models]]
id = "acme-house-model-1"
  [[models.prices]]
  effective = 2026-01-01
  source = "https://example.com/pricing"
  input = 1
  output = 2

[[models]]
id = "gpt-4o"
retired = 2026-01-01
  [[models.prices]]
  effective = 2024-01-01
  source = "https://example.com/pricing"
  input = 2.5
  output = 10
  cache_read = 1.25
""", encoding="utf-8")
    return path


@pytest.fixture
def overridden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = _override(tmp_path, _theirs("gpt-6.1-sol").rates["input"] + Decimal("0.000001"))
    monkeypatch.setenv("COSTPANEL_PRICING", str(path))
    return path


def _rows(rows: list[DiffRow], **want: str) -> list[DiffRow]:
    return [r for r in rows if all(getattr(r, k) == v for k, v in want.items())]


def test_a_price_one_millionth_off_is_a_difference_shown_exactly(overridden: Path) -> None:
    theirs = _theirs("gpt-6.1-sol").rates["input"]
    rows = diff_catalog(load_catalog(), providers=["openai"], known={})
    [row] = _rows(rows, kind="price", model="gpt-6.1-sol")
    assert (row.field, row.status) == ("input", "new")
    assert Decimal(row.ours) == theirs + Decimal("0.000001") and Decimal(row.theirs) == theirs
    assert row.source.startswith("genai-prices 0.")


def test_equal_prices_give_no_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSTPANEL_PRICING", str(_override(tmp_path, _theirs("gpt-6.1-sol").rates["input"])))
    rows = diff_catalog(load_catalog(), providers=["openai"], known={})
    assert not _rows(rows, model="gpt-6.1-sol")


def test_a_genai_prices_variant_is_compared_rate_by_rate_and_one_we_lack_is_a_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sol = _theirs("gpt-6.1-sol")
    assert set(sol.variants) >= {"batch", "flex", "priority"}  # genai-prices' service tiers, read as ours
    monkeypatch.setenv("COSTPANEL_PRICING", str(_override(tmp_path, sol.rates["input"], sol_priority="2.5")))
    rows = _rows(diff_catalog(load_catalog(), providers=["openai"], known={}), model="gpt-6.1-sol")
    assert {(r.kind, r.field, r.ours, r.theirs) for r in rows} == {
        ("variant", "priority.input", "5", "4"), ("variant", "priority.output", "25", "20"),
        ("variant", "priority.cache_read", "0.25", "0.2")}
    # GPT-6.2 Astra's Ultrafast (3x) read in our terms (the catalog prices it alike: no row in the bundled diff)
    astra = _theirs("gpt-6.2-astra")
    assert astra.variants["ultrafast"] == {"input": Decimal(24), "output": Decimal(120), "cache_read": Decimal("1.2")}
    assert astra.variants["priority"]["input"] == Decimal(16)  # "fast" is not a second row: it is priority


def test_our_model_the_source_does_not_list_and_a_retirement_it_does_not_share(overridden: Path) -> None:
    rows = diff_catalog(load_catalog(), providers=["openai"], known={})
    [unlisted] = _rows(rows, model="acme-house-model-1")
    assert (unlisted.kind, unlisted.field, unlisted.status) == ("unlisted", "model", "new")
    retired = _rows(rows, kind="retirement", model="gpt-4o")
    assert retired and all((r.ours, r.theirs) == ("retired 2026-01-01", "current") for r in retired)


def test_a_difference_listed_in_the_known_file_is_known_with_its_reason(overridden: Path, tmp_path: Path) -> None:
    known_file = tmp_path / "known.toml"
    known_file.write_text('[[differences]]\nmodel = "gpt-6.1-sol"\nfield = "input"\nreason = "our test says so"\n',
                          encoding="utf-8")
    rows = diff_catalog(load_catalog(), providers=["openai"], known=load_known_differences(known_file))
    [row] = _rows(rows, kind="price", model="gpt-6.1-sol")
    assert (row.status, row.reason) == ("known", "our test says so")


def test_only_the_providers_asked_for_are_compared(overridden: Path) -> None:
    rows = diff_catalog(load_catalog(), providers=["deepseek"], known={})
    assert {r.provider for r in rows} <= {"deepseek"}


def test_a_missing_model_is_one_no_name_of_which_the_catalog_matches() -> None:
    catalog = load_catalog(overrides=False)
    made_up = TheirModel("openai", "gpt-acme-9", True, True, {"input": Decimal(1), "output": Decimal(2)},
                         lambda n: n == "gpt-acme-9", ("gpt-acme-9",))
    retired = made_up._replace(id="gpt-acme-8", current=False)
    embedding = made_up._replace(id="gpt-acme-embed", text=False)
    rows = compare(catalog, [made_up, retired, embedding], source="test", providers=["openai"])
    assert [(r.kind, r.model, r.status) for r in rows if r.kind == "missing"] == [("missing", "gpt-acme-9", "new")]
    for row in diff_catalog(catalog):  # on the real data too
        if row.kind == "missing" and row.source.startswith("genai"):
            theirs = next(m for m in genai_prices_models([row.provider]) if m.id == row.their_id)
            assert not any(catalog.match(n) for n in theirs.names)


def test_litellm_entries_are_read_exactly_and_compared() -> None:
    models = litellm_models(load_litellm_json(SAMPLE))
    grok = next(m for m in models if m.id == "grok-4-fast-reasoning")
    assert grok.provider == "xai" and grok.rates["input"] == Decimal("0.2")  # 2e-07 per token, exactly
    assert not any(m.provider == "openai" and m.id == "text-embedding-3-small" and m.text for m in models)
    rows = diff_catalog(load_catalog(overrides=False), litellm=load_litellm_json(SAMPLE))
    [row] = _rows(rows, source="litellm", kind="price", model="grok-4-fast-reasoning", field="input")
    assert (row.ours, row.theirs, row.status) == ("1.25", "0.2", "known")  # billed as grok-4.3 since May
    assert not _rows(rows, source="litellm", kind="price", model="gpt-4o")  # LiteLLM agrees


def test_the_known_differences_file_is_validated(tmp_path: Path) -> None:
    bad = tmp_path / "known.toml"
    bad.write_text('[[differences]]\nmodel = "x"\nfield = "inptu"\nreason = "typo"\nextra = 1\n', encoding="utf-8")
    with pytest.raises(PricingError) as exc:
        load_known_differences(bad)
    text = " ".join(exc.value.problems)
    assert "field" in text and "extra" in text


def test_the_bundled_known_differences_file_is_valid() -> None:
    assert load_known_differences()


# ------------------------------------------------------------------------------------ command


def test_the_command_exits_1_on_new_differences_and_prints_them(overridden: Path) -> None:
    r = costpanel("pricing", "diff", "--provider", "openai", env={"COSTPANEL_PRICING": str(overridden)})
    assert r.returncode == 1, r.stderr
    assert "gpt-6.1-sol" in r.stdout and "acme-house-model-1" in r.stdout
    assert "new difference(s)" in r.stdout


def test_json_output_and_exit_code_agree(overridden: Path) -> None:
    r = costpanel("pricing", "diff", "--provider", "OpenAI", "--json", env={"COSTPANEL_PRICING": str(overridden)})
    data = json.loads(r.stdout)
    assert data["new"] == sum(d["status"] == "new" for d in data["differences"]) > 0
    assert r.returncode == 1
    plain = costpanel("pricing", "diff", "--provider", "anthropic", "--json")
    assert plain.returncode == (1 if json.loads(plain.stdout)["new"] else 0)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_new_shows_only_the_new_differences_and_counts_both(overridden: Path, provider: str) -> None:
    env = {"COSTPANEL_PRICING": str(overridden)}
    full = json.loads(costpanel("pricing", "diff", "--provider", provider, "--json", env=env).stdout)
    assert full["known"] > 0  # there is something for --new to leave out
    r = costpanel("pricing", "diff", "--provider", provider, "--new", "--json", env=env)
    data = json.loads(r.stdout)
    assert data["differences"] == [d for d in full["differences"] if d["status"] == "new"]
    assert (data["new"], data["known"]) == (full["new"], full["known"])
    assert r.returncode == (1 if full["new"] else 0)
    table = costpanel("pricing", "diff", "--provider", provider, "--new", env=env, columns=400)
    plain = costpanel("pricing", "diff", "--provider", provider, env=env, columns=400)
    assert table.returncode == plain.returncode == r.returncode
    assert " known " not in table.stdout and " known " in plain.stdout
    summary = f"{full['new']} new difference(s), {full['known']} known."
    assert table.stdout.strip().splitlines()[-1] == plain.stdout.strip().splitlines()[-1] == summary
    assert len(table.stdout.splitlines()) < len(plain.stdout.splitlines())


def test_a_bad_litellm_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text("{not json", encoding="utf-8")
    r = costpanel("pricing", "diff", "--litellm", str(bad))
    assert r.returncode == 1
    assert "not valid JSON" in one_line_error(r)


def test_a_litellm_file_that_is_not_there_or_an_unknown_provider_is_exit_2(tmp_path: Path) -> None:
    r = costpanel("pricing", "diff", "--litellm", str(tmp_path / "nope.json"))
    assert r.returncode == 2 and "no such file" in one_line_error(r)
    r = costpanel("pricing", "diff", "--provider", "pollinations")
    assert r.returncode == 2 and "unknown provider" in one_line_error(r)


def test_the_command_with_litellm_reports_both_sources() -> None:
    r = costpanel("pricing", "diff", "--provider", "xai", "--litellm", str(SAMPLE), "--json")
    sources = {d["source"].split()[0] for d in json.loads(r.stdout)["differences"]}
    assert sources == {"genai-prices", "litellm"}


def test_importing_costpanel_and_the_diff_module_does_not_load_genai_prices() -> None:
    import subprocess
    import sys

    code = "import sys, costpanel, costpanel.pricing.diff; print('genai_prices' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr


# -- stale known differences -----------------------------------------------------------------------------
def _litellm_json_of_the_installed_release() -> Path:
    """The price JSON the pinned LiteLLM ships (found without importing LiteLLM, which is slow)."""
    import importlib.util

    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.submodule_search_locations, "LiteLLM is in the test extra"
    return Path(next(iter(spec.submodule_search_locations))) / "model_prices_and_context_window_backup.json"


@pytest.fixture(scope="module")
def full_diff() -> tuple[list[DiffRow], dict[tuple[str, str], str]]:
    known = load_known_differences()
    litellm = load_litellm_json(_litellm_json_of_the_installed_release())
    return diff_catalog(load_catalog(overrides=False), litellm=litellm, known=known), known


def test_every_known_difference_still_occurs_against_the_pinned_sources(full_diff) -> None:
    # One that no longer occurs would hide the next real difference of its model and field.
    rows, _ = full_diff
    stale = [f"{r.model} / {r.field}" for r in rows if r.kind == "stale"]
    assert not stale, "remove from pricing/_known_differences.toml (no source differs any more): " + ", ".join(stale)


def test_a_known_difference_no_source_shows_is_a_new_stale_row(full_diff) -> None:
    rows, known = full_diff
    planted = {**known, ("gpt-4o", "output"): "planted: gpt-4o's output price agrees everywhere"}
    litellm = load_litellm_json(_litellm_json_of_the_installed_release())
    again = diff_catalog(load_catalog(overrides=False), litellm=litellm, known=planted)
    [row] = [r for r in again if r.kind == "stale"]
    assert (row.model, row.field, row.status, row.provider) == ("gpt-4o", "output", "new", "openai")
    assert "remove it" in row.reason and "planted" in row.reason
    assert len(again) == len(rows) + 1  # nothing else moved


def test_stale_is_judged_only_when_every_provider_and_both_sources_are_compared(full_diff) -> None:
    _, known = full_diff
    planted = {**known, ("gpt-4o", "output"): "planted"}
    litellm = load_litellm_json(_litellm_json_of_the_installed_release())
    catalog = load_catalog(overrides=False)
    assert not [r for r in diff_catalog(catalog, known=planted) if r.kind == "stale"]  # genai-prices only
    one = diff_catalog(catalog, providers=["openai"], litellm=litellm, known=planted)
    assert not [r for r in one if r.kind == "stale"]  # another provider's known rows would look stale


def test_the_command_over_both_sources_passes_with_the_bundled_known_file() -> None:
    r = costpanel("pricing", "diff", "--litellm", str(_litellm_json_of_the_installed_release()), "--new", "--json")
    assert r.returncode == 0, r.stderr + r.stdout[:3000]
    out = json.loads(r.stdout)
    assert out["new"] == 0 and out["known"] > 300 and out["differences"] == []
