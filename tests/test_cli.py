"""The ``costpanel`` command, run as a real subprocess (``python -m costpanel``).

Each test inherits os.environ, so the per-test config dir set by conftest applies to the child.
"""

from __future__ import annotations

import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from cli_run import costpanel

from costpanel.pricing import Catalog, load_catalog

LITELLM_SAMPLE = Path(__file__).parent / "data" / "litellm" / "model_prices_sample.json"
IMPORTED = "openrouter/acme/no-mode-model"  # in the sample, unknown to the catalog
# In the sample too, but the catalog prices it (Bedrock rules in _matching.toml): not imported.
BEDROCK_KNOWN = "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"


def pricing_file(path: Path, body: str) -> Path:
    path.write_text('provider = "acme"\nname = "Acme"\nsources = ["https://acme.example/p"]\n'
                    f"checked = 2026-01-01\n{body}", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------- price


def test_price_prints_a_table_with_the_exact_total() -> None:
    r = costpanel("price", "openai/gpt-4o-2024-08-06", "--input", "1,200", "--output", "300")
    assert r.returncode == 0, r.stderr
    assert "openai/gpt-4o-2024-08-06 → gpt-4o-2024-08-06 (openai)" in r.stdout
    assert re.search(r"input\s*│\s*1,200\s*│\s*0\.003\b", r.stdout)
    assert re.search(r"total\s*│\s*1,500 tokens\s*│\s*0\.006\b", r.stdout)
    assert "source: https://" in r.stdout


def test_price_json_has_the_documented_shape() -> None:
    r = costpanel("price", "gpt-4o", "--input", "1200", "--cache-read", "1000", "--output", "300",
                  "--at", "2025-06-01", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) == {"model", "matched", "priced", "cost_usd", "breakdown", "provider", "usage", "at",
                         "tier_above_prompt_tokens", "source", "variant", "priced_by", "price_file", "rates",
                         "retired"}
    assert data["rates"] == {"input": "2.5", "cache_read": "1.25", "cache_write": "2.5", "cache_write_1h": "2.5",
                             "output": "10", "requests": "0", "web_search": "25"}, data["rates"]
    assert data["variant"] is None and data["priced_by"] == "catalog" and data["retired"] == "2027-01-14"
    assert data["model"] == "gpt-4o" and data["matched"] == "gpt-4o" and data["priced"] is True
    assert data["cost_usd"] == "0.00725"  # 1200 x 2.5/M + 1000 x 1.25/M + 300 x 10/M, a decimal string
    assert data["breakdown"] == {"input": "0.003", "cache_read": "0.00125", "cache_write": "0",
                                 "cache_write_1h": "0", "output": "0.003", "requests": "0", "web_search": "0"}
    assert sum(Decimal(v) for v in data["breakdown"].values()) == Decimal(data["cost_usd"])
    assert data["usage"] == {"input": 1200, "cache_read": 1000, "cache_write": 0, "cache_write_1h": 0,
                             "output": 300, "requests": 1, "web_search": 0}
    assert data["provider"] == "openai" and data["tier_above_prompt_tokens"] is None
    assert data["at"].startswith("2025-06-01T00:00:00") and data["source"].startswith("https://")


def test_price_json_rates_are_the_rates_billed_above_a_cliff() -> None:
    """A prompt past the model's long-context cliff is billed at the tier's rates: `rates` says those."""
    data = json.loads(costpanel("price", "gpt-6.2-astra", "--variant", "fast", "--input", "300000", "--output", "10",
                                "--json").stdout)
    assert data["tier_above_prompt_tokens"] == 272000
    assert (data["rates"]["input"], data["rates"]["output"]) == ("32", "120")  # 2x (fast) of the tier's $16 / $60
    assert Decimal(data["breakdown"]["input"]) == Decimal(data["rates"]["input"]) * 300000 / 1_000_000
    below = json.loads(costpanel("price", "gpt-6.2-astra", "--input", "1000", "--json").stdout)
    assert below["tier_above_prompt_tokens"] is None and below["rates"]["input"] == "8"


def test_price_at_an_older_date_uses_that_period() -> None:
    r = costpanel("price", "gpt-4o", "--input", "1000000", "--output", "1000000", "--at", "2024-06-01", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["breakdown"]["input"] == "5" and data["breakdown"]["output"] == "15"  # launch price
    assert data["cost_usd"] == "20"


def test_price_applies_the_long_context_cliff_to_the_whole_request() -> None:
    r = costpanel("price", "claude-sonnet-4-5", "--input", "250000", "--output", "2000", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["tier_above_prompt_tokens"] == 200_000
    assert data["breakdown"]["input"] == "1.5"  # 250k x $6/M, not $3/M
    assert data["breakdown"]["output"] == "0.045"  # 2k x $22.50/M
    assert data["cost_usd"] == "1.545"


def test_price_of_an_unknown_model_exits_3_with_close_ids() -> None:
    r = costpanel("price", "gpt-4o-mni", "--input", "5")
    assert r.returncode == 3
    assert "unknown model 'gpt-4o-mni'" in r.stderr
    assert "gpt-4o-mini" in r.stderr.split("Close model ids:")[1]
    assert r.stdout == ""


@pytest.mark.parametrize(("flag", "value"), [("--input", "-5"), ("--output", "1.5"), ("--input", "abc")])
def test_price_rejects_bad_numbers_naming_the_flag(flag: str, value: str) -> None:
    r = costpanel("price", "gpt-4o", flag, value)
    assert r.returncode == 2
    assert f"argument {flag}:" in r.stderr and repr(value) in r.stderr
    assert r.stdout == ""


# -------------------------------------------------------------------------------- pricing


def test_pricing_check_accepts_the_bundled_data() -> None:
    r = costpanel("pricing", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    match = re.search(r"(\d+) models from (\d+) providers", r.stdout)
    assert match and int(match[1]) >= 60 and int(match[2]) >= 7


def test_pricing_check_lists_the_problems_of_a_malformed_file(tmp_path: Path) -> None:
    bad = pricing_file(tmp_path / "bad.toml", '[[models]]\nid = "acme-1"\n[[models.prices]]\neffective = 2025-01-01\n'
                       'source = "https://acme.example/p"\ninput = -1\noutput = 0.12345678\n')
    r = costpanel("pricing", "check", str(bad))
    assert r.returncode == 1
    assert re.search(rf"✗ {re.escape(str(bad))}: model 'acme-1' .*prices\[0\]\.input.*-1", r.stdout)
    assert re.search(rf"✗ {re.escape(str(bad))}: model 'acme-1' .*prices\[0\]\.output.*0\.12345678", r.stdout)
    assert re.search(r"\d+ problem\(s\) found", r.stdout)


def test_pricing_list_sorts_by_output_and_names_the_extremes() -> None:
    r = costpanel("pricing", "list", "--provider", "openai", "--sort", "output", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) == {"models", "cheapest", "most_expensive"}
    rows = data["models"]
    assert len(rows) >= 30 and {m["provider"] for m in rows} == {"openai"}
    outputs = [Decimal(m["output"]) for m in rows]
    assert outputs == sorted(outputs)
    paid = [m for m in rows if not m["free"] and m["retirement"] != "retired" and not m["embedding"]]
    assert any(m["embedding"] for m in rows)  # listed, but no alternative to a model that writes text
    by_total = sorted(paid, key=lambda m: (Decimal(m["input"]) + Decimal(m["output"]), m["id"]))
    # gpt-5-nano's retirement is only scheduled (2026-12-11): still current. o1-pro ($150 / $600) was
    # shut down on 2026-10-23, so the most expensive model a user can still call is a Pro model.
    assert data["cheapest"] == by_total[0]["id"] == "gpt-5-nano"
    assert data["most_expensive"] == by_total[-1]["id"] == "gpt-5.5-pro"
    o1_pro = next(m for m in rows if m["id"] == "o1-pro")
    assert (o1_pro["retired"], o1_pro["retirement"], o1_pro["output"]) == ("2026-10-23", "retired", "600")
    gpt4o = next(m for m in rows if m["id"] == "gpt-4o")
    assert (gpt4o["input"], gpt4o["output"], gpt4o["cache_read"], gpt4o["cache_write"]) == ("2.5", "10", "1.25", None)


def test_pricing_list_of_an_unknown_provider_exits_2() -> None:
    r = costpanel("pricing", "list", "--provider", "nope")
    assert r.returncode == 2
    assert "unknown provider 'nope'" in r.stderr and "openai" in r.stderr


def test_imported_litellm_prices_validate_and_price_a_new_model(tmp_path: Path, catalog: Catalog) -> None:
    assert catalog.match(IMPORTED) is None
    out = tmp_path / "litellm.toml"
    r = costpanel("pricing", "import-litellm", str(LITELLM_SAMPLE), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stdout
    with out.open("rb") as f:
        ids = {m["id"] for m in tomllib.load(f)["models"]}
    assert IMPORTED in ids and "gpt-4o" not in ids  # models already bundled are skipped
    assert catalog.match(BEDROCK_KNOWN).id == "claude-3-5-haiku" and BEDROCK_KNOWN not in ids

    check = costpanel("pricing", "check", str(out))
    assert check.returncode == 0, check.stdout + check.stderr

    priced = costpanel("price", IMPORTED, "--input", "1000", "--output", "1000", "--json",
                       env={"COSTPANEL_PRICING": str(out)})
    assert priced.returncode == 0, priced.stderr
    data = json.loads(priced.stdout)
    assert data["matched"] == IMPORTED and data["provider"] == "litellm"
    assert data["cost_usd"] == "0.002"  # 1000 x $0.50/M + 1000 x $1.50/M


def test_an_imported_direct_api_model_prices_under_the_name_its_api_reports(tmp_path: Path) -> None:
    """LiteLLM keys xAI's models `xai/…`; xAI's API reports the bare name. Both are priced once
    imported ($2 / $10 per 1M: 1,000 in + 100 out = $0.003)."""
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"xai/grok-acme": {"litellm_provider": "xai", "mode": "chat",
                                                    "input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05}}))
    out = tmp_path / "litellm.toml"
    assert costpanel("pricing", "import-litellm", str(prices), "-o", str(out)).returncode == 0
    for name in ("grok-acme", "xai/grok-acme"):
        priced = costpanel("price", name, "--input", "1000", "--output", "100", "--json",
                           env={"COSTPANEL_PRICING": str(out)})
        assert priced.returncode == 0, priced.stdout + priced.stderr
        assert json.loads(priced.stdout)["cost_usd"] == "0.003", name


def test_import_litellm_to_stdout_writes_toml() -> None:
    r = costpanel("pricing", "import-litellm", str(LITELLM_SAMPLE), "-o", "-")
    assert r.returncode == 0, r.stderr
    data = tomllib.loads(r.stdout)
    assert data["provider"] == "litellm" and IMPORTED in {m["id"] for m in data["models"]}
    assert "imported" in r.stderr  # the summary goes to stderr, keeping stdout pure TOML


# ----------------------------------------------------------------------------------- demo


def test_demo_prints_the_tier_table_and_a_total() -> None:
    r = costpanel("demo", "--headless", "--seconds", "1", "--rate", "100")
    assert r.returncode == 0, r.stderr
    # the demo's local model has no price: its spend is marked as the panel marks it (+?), never $0
    assert re.search(r"Session \S+: \$[\d,]+\.\d+( \+\?)? · [\d,]+ tokens · [\d,]+ calls", r.stdout)
    assert "By tier" in r.stdout and "Cost" in r.stdout and "Est. cost" not in r.stdout
    for tier in ("Tier 1", "Tier 2", "Tier 3", "Tier 4"):
        assert re.search(rf"│ {tier}\s*│", r.stdout), tier
    (local,) = [line for line in r.stdout.splitlines() if line.startswith("│ acme-local-llm-7b ")]
    assert "unpriced" in local and local.rstrip(" │").endswith("—") and "0.0%" not in local, local  # share unknown
    assert "(+unpriced)" not in r.stdout


def test_demo_headless_says_where_the_session_stands_against_its_budget() -> None:
    """--budget is the panel's budget bar; the terminal view says it as a line (it said nothing)."""
    r = costpanel("demo", "--headless", "--seconds", "1", "--rate", "100", "--no-ledger", "--seed", "1",
                  "--budget", "0.01")
    assert r.returncode == 0, r.stderr
    spent = re.search(r"Session \S+: (\$[\d,]+\.\d+)", r.stdout).group(1)  # type: ignore[union-attr]
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("Budget: ")]
    assert re.fullmatch(rf"Budget: \{spent} of \$0\.01 \([\d,]{{3,}}%\), \$[\d.,]+ over", line), line  # as set
    assert "Budget: " not in costpanel("demo", "--headless", "--seconds", "1", "--no-ledger").stdout


def test_pricing_list_in_a_narrow_terminal_keeps_prices_in_the_table_and_lists_notes_under_it() -> None:
    from cli_run import table_lines, terminal_text

    text = terminal_text(["pricing", "list", "--provider", "anthropic"], 80)
    table = table_lines(text)
    assert "…" not in text and max(map(len, table)) <= 80
    assert any(ln.startswith("│ claude-opus-4-6 ") and "│     5 │" in ln for ln in table), table  # $5 input, whole
    assert "claude-opus-4-6: anthropic; search $10/1k, variants: " in text
    wide = costpanel("pricing", "list", "--provider", "anthropic").stdout  # captured: 160 columns, notes in the table
    assert "notes" in wide and "claude-opus-4-6: anthropic" not in wide


def litellm_json(path: Path, prices: dict[str, tuple[float, float]]) -> Path:
    """A LiteLLM price list: model -> (USD per input token, USD per output token)."""
    path.write_text(json.dumps({name: {"input_cost_per_token": i, "output_cost_per_token": o,
                                       "litellm_provider": "openai", "mode": "chat"}
                                for name, (i, o) in prices.items()}), encoding="utf-8")
    return path


def test_import_litellm_replace_never_replaces_a_bundled_alias(tmp_path: Path, isolated_user_dirs: Path) -> None:
    # gpt-4o-mini-2024-07-18 is an alias of the bundled gpt-4o-mini: as an override id it would clash
    # with that model's aliases, so it is skipped, and with nothing else to import nothing is written.
    prices = litellm_json(tmp_path / "prices.json", {"gpt-4o-mini-2024-07-18": (1.5e-07, 6e-07)})
    r = costpanel("pricing", "import-litellm", str(prices), "--replace")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "imported 0 model(s); skipped 1" in r.stdout
    assert "nothing to write: no model could be imported" in r.stderr
    assert not (isolated_user_dirs / "pricing").exists() or list((isolated_user_dirs / "pricing").iterdir()) == []
    assert load_catalog().match("gpt-4o-mini-2024-07-18").origin.endswith("openai.toml")


def test_import_litellm_replace_swaps_a_bundled_model_and_the_override_loads(tmp_path: Path,
                                                                              isolated_user_dirs: Path) -> None:
    prices = litellm_json(tmp_path / "prices.json", {"gpt-4o-mini-2024-07-18": (1.5e-07, 6e-07),  # an alias: skipped
                                                     "gpt-4o-mini": (2e-07, 8e-07)})  # the id: replaced
    r = costpanel("pricing", "import-litellm", str(prices), "--replace")
    target = isolated_user_dirs / "pricing" / "litellm.toml"
    assert r.returncode == 0, r.stdout + r.stderr
    assert "imported 1 model(s); skipped 1" in r.stdout and f"wrote {target}" in r.stdout
    assert [p.name for p in target.parent.iterdir()] == ["litellm.toml"]  # no .tmp left behind
    catalog = load_catalog()
    entry = catalog.match("gpt-4o-mini")
    assert (entry.origin, entry.provider) == (str(target), "litellm")
    priced = costpanel("price", "gpt-4o-mini-2024-07-18", "--input", "1000000", "--output", "1000000", "--json")
    assert priced.returncode == 0, priced.stderr
    assert json.loads(priced.stdout)["cost_usd"] == "1"  # $0.20 + $0.80 per 1M: the replacement's prices


def test_price_names_the_users_own_price_file_when_it_priced_the_model(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text('provider = "mine"\nname = "Mine"\nsources = ["https://example.com/prices"]\nchecked = 2026-12-01\n\n'
                    '[[models]]\nid = "gpt-4o"\n\n[[models.prices]]\neffective = 2024-01-01\n'
                    'source = "https://example.com/prices"\ninput = 1\noutput = 2\n')
    env = {"COSTPANEL_PRICING": str(mine)}
    data = json.loads(costpanel("price", "gpt-4o", "--input", "1000000", "--json", env=env).stdout)
    assert (data["priced_by"], data["price_file"], data["cost_usd"]) == ("override", str(mine), "1")
    shown = costpanel("price", "gpt-4o", "--input", "1000000", env=env)
    assert f"priced by override ({mine})" in " ".join(shown.stdout.split()), shown.stdout
    bundled = json.loads(costpanel("price", "gpt-4o", "--input", "1000000", "--json").stdout)
    assert (bundled["priced_by"], bundled["price_file"]) == ("catalog", None)


def test_price_without_token_counts_shows_the_models_rates() -> None:
    """`costpanel price MODEL` asks what the model costs: its prices per 1M tokens (a cache write
    billed as input not said apart), its long-context tier and its fees, not a table of zeros."""
    r = costpanel("price", "claude-sonnet-4-6", "--at", "2026-11-01")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == ("claude-sonnet-4-6 (anthropic): USD per 1M tokens, prices as of 2026-11-01, "
                        "priced by catalog"), r.stdout
    assert lines[1] == "  input $3.00 · cache read $0.30 · cache write (5 min) $3.75 · cache write (1 h) $6.00 · output $15.00"
    assert "  plus $10.00 per 1,000 web searches" in lines and "bucket" not in r.stdout
    tiered = costpanel("price", "gpt-5.4", "--variant", "priority", "--at", "2026-11-01").stdout.splitlines()
    assert tiered[1] == "  input $5.00 · cache read $0.50 · output $30.00", tiered
    assert tiered[2] == "  a prompt above 272,000 tokens bills the whole call at: input $10.00 · cache read $1.00 · output $45.00"
    assert "one call's cost: costpanel price gpt-5.4 --variant priority --at 2026-11-01 --input N" in tiered[-2], tiered
    assert "bucket" in costpanel("price", "gpt-5.4", "--output", "1").stdout  # counts given: the table
    # a 1-hour write the file states no price for (billed at the 5-minute rate) is not said apart
    assert costpanel("price", "gpt-6.2-astra").stdout.splitlines()[1] == \
        "  input $8.00 · cache read $0.40 · cache write (5 min) $10.00 · output $40.00"
    # the variants it may be billed at, under every name a provider reports (OpenAI's fast is priority)
    assert "  price variants: batch, fast, priority, ultrafast (--variant NAME shows one's rates)" in \
        costpanel("price", "gpt-6.2-astra").stdout.splitlines()
    assert "price variants" not in "\n".join(tiered)  # one was asked for: its rates are shown
