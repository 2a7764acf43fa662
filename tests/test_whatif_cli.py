"""``costpanel whatif``, run as a real subprocess on a real ledger written by a CostTracker.

Prices: see tests/test_whatif.py's docstring (the children read them through COSTPANEL_PRICING).
The ledger's calls, with their actual cost (wi-actual) and on wi-cliff, call by call (its whole
request costs double above 1,000 prompt tokens):

    day         tier    usage                                      actual      wi-cliff
    2026-03-10  Tier 1  1,000 in, 200 out, 5,000 read, 1,000 write  $0.01125   7,000 prompt: 2,000 + 2,000 + 1,000 + 2,500 = $0.0075
    2026-03-10  Tier 2  2,000 in, 100 out                            $0.0075    2,000 prompt: 4,000 + 1,000 = $0.005
    2026-03-10  Tier 2  500 in, 100 out                              $0.003     500 + 500 = $0.001
    2026-03-12  Tier 1  1,000 in                                     $0.003     1,000 (not above 1,000) = $0.001
    2026-03-12  Tier 3  mystery-model 100 in, 100 out                unpriced   100 + 500 = $0.0006
    2026-03-12  Tier 1  a discarded fallback attempt                 (not counted)
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from cli_run import costpanel as run_costpanel
from cli_run import one_line_error

from costpanel import CostTracker, Usage, load_catalog

PRICES = Path(__file__).parent / "data" / "whatif" / "prices.toml"
UTC = dt.timezone.utc
DAY1 = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY2 = dt.datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
ROW_KEYS = {"target", "calls", "actual_usd", "what_if_usd", "difference_usd", "difference_pct", "actual_unpriced_calls",
            "what_if_unpriced_calls", "cache_as_input", "approximate", "notes"}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("whatif") / "ledger.sqlite3"
    t = CostTracker(load_catalog(overrides=False, extra=[PRICES]), ledger=path, fallback=False)
    t.record("wi-actual", Usage(1000, 200, cache_read=5000, cache_write=1000), tier="Tier 1", at=DAY1)
    t.record("wi-actual", Usage(2000, 100), tier="Tier 2", at=DAY1)
    t.record("wi-actual", Usage(500, 100), tier="Tier 2", at=DAY1)
    t.record("wi-actual", Usage(1000, 0), tier="Tier 1", at=DAY2)
    t.record("mystery-model", Usage(100, 100), tier="Tier 3", at=DAY2)
    with t.attempt(tier="Tier 1") as a:
        a.record("wi-actual", Usage(50_000, 50_000), at=DAY2)
        a.discard()
    t.close()
    return path


def whatif(ledger: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_costpanel("whatif", "--db", str(ledger), *args, env={"TZ": "UTC", "COSTPANEL_PRICING": str(PRICES)})


def as_json(r: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert r.returncode == 0, r.stderr
    data: dict[str, object] = json.loads(r.stdout)
    return data


def test_each_call_is_repriced_at_its_own_long_context_tier(ledger: Path) -> None:
    data = as_json(whatif(ledger, "--model", "wi-cliff", "--range", "all", "--json"))
    assert data["exact"] is True and data["approximate"] is False and data["target"] == "wi-cliff"
    tiers = {t["tier"]: t for t in data["tiers"]}  # type: ignore[attr-defined]
    assert list(tiers) == ["Tier 1", "Tier 2", "Tier 3"]
    # Tier 1: $0.0075 + $0.001 against $0.01125 + $0.003: -$0.00575, -40.35 %
    assert (tiers["Tier 1"]["actual_usd"], tiers["Tier 1"]["what_if_usd"], tiers["Tier 1"]["difference_usd"],
            tiers["Tier 1"]["difference_pct"]) == ("0.01425", "0.0085", "-0.00575", "-40.35")
    assert (tiers["Tier 2"]["actual_usd"], tiers["Tier 2"]["what_if_usd"], tiers["Tier 2"]["difference_pct"]) == (
        "0.0105", "0.006", "-42.86")
    assert (tiers["Tier 3"]["actual_usd"], tiers["Tier 3"]["what_if_usd"], tiers["Tier 3"]["difference_usd"]) == (
        None, "0.0006", None)
    assert (data["calls"], data["actual_usd"], data["what_if_usd"], data["difference_usd"]) == (5, "0.02475", "0.0151",
                                                                                               None)
    assert data["actual_unpriced_calls"] == 1 and data["what_if_unpriced_calls"] == 0


def test_json_keys_are_stable(ledger: Path) -> None:
    data = as_json(whatif(ledger, "--model", "wi-cliff", "--range", "all", "--json"))
    assert set(data) == ROW_KEYS | {"range", "exact", "tiers", "models"}
    assert data["range"] == "all"
    assert all(set(t) == ROW_KEYS | {"tier"} for t in data["tiers"])  # type: ignore[attr-defined]
    models = data["models"]
    assert all(set(m) == ROW_KEYS | {"tier", "model"} for m in models)  # type: ignore[attr-defined]
    assert [(m["tier"], m["model"], m["target"]) for m in models] == [  # type: ignore[attr-defined]
        ("Tier 1", "wi-actual", "wi-cliff"), ("Tier 2", "wi-actual", "wi-cliff"), ("Tier 3", "mystery-model", "wi-cliff")]


def test_a_range_picks_the_calls_of_those_days(ledger: Path) -> None:
    first = as_json(whatif(ledger, "--model", "wi-cliff", "--range", "2026-03-10..2026-03-10", "--json"))
    # $0.0075 + $0.005 + $0.001 against $0.02175: -$0.00825, -37.93 %
    assert (first["calls"], first["actual_usd"], first["what_if_usd"], first["difference_usd"],
            first["difference_pct"]) == (3, "0.02175", "0.0135", "-0.00825", "-37.93")
    second = as_json(whatif(ledger, "--model", "wi-cliff", "--range", "2026-03-12..2026-03-12", "--json"))
    assert second["calls"] == 2 and [t["tier"] for t in second["tiers"]] == ["Tier 1", "Tier 3"]  # type: ignore[attr-defined]
    assert second["what_if_usd"] == "0.0016"  # the discarded attempt is not part of it


def test_tier_flags_reprice_those_tiers_and_leave_the_others(ledger: Path) -> None:
    data = as_json(whatif(ledger, "--tier", "Tier 2=wi-nocache", "--range", "2026-03-10..2026-03-10", "--json"))
    tiers = {t["tier"]: t for t in data["tiers"]}  # type: ignore[attr-defined]
    assert tiers["Tier 1"]["target"] is None and tiers["Tier 1"]["what_if_usd"] == "0.01125"
    assert tiers["Tier 2"]["what_if_usd"] == "0.0033"  # 2,000 + 400 + 500 + 400
    assert (data["what_if_usd"], data["difference_usd"], data["difference_pct"]) == ("0.01455", "-0.0072", "-33.10")
    assert data["target"] == {"Tier 2": "wi-nocache"}
    both = as_json(whatif(ledger, "--model", "wi-nocache", "--tier", "Tier 1=wi-cached", "--range",
                          "2026-03-10..2026-03-10", "--json"))
    assert (both["what_if_usd"], both["difference_pct"]) == ("0.0108", "-50.34")  # $0.0075 + $0.0033
    assert both["target"] == {"*": "wi-nocache", "Tier 1": "wi-cached"}
    assert both["cache_as_input"] == []  # Tier 1's cache tokens went to a model that prices caching


def test_the_table_shows_each_tier_the_total_and_the_notes(ledger: Path) -> None:
    r = whatif(ledger, "--model", "wi-nocache", "--range", "2026-03-10..2026-03-10")
    assert r.returncode == 0, r.stderr
    assert "What if: every tier → wi-nocache — range 2026-03-10..2026-03-10, 3 calls repriced one by one" in r.stdout
    for header in ("Tier", "Target", "Calls", "Actual", "What-if", "Difference", "%"):
        assert header in r.stdout
    # Tier 1: 7,000 prompt x $1 + 200 x $4 = $0.0078 against $0.01125; total $0.0111 against $0.02175
    lines = {ln.split("│")[1].strip(): ln for ln in r.stdout.splitlines() if ln.startswith("│")}
    assert [c.strip() for c in lines["Tier 1"].split("│")[2:-1]] == ["wi-nocache", "1", "$0.011", "$0.0078",
                                                                      "-$0.0035", "-30.67%"]
    assert [c.strip() for c in lines["Total"].split("│")[2:-1]] == ["wi-nocache", "3", "$0.022", "$0.011",
                                                                     "-$0.011", "-48.97%"]
    assert "note: cache reads priced as input (wi-nocache has no cache-read price)" in r.stdout


def test_a_narrow_terminal_leaves_one_target_to_the_title_and_cuts_nothing(ledger: Path) -> None:
    """Every tier on one model: in 50 columns its Target column gives way (the title names it)."""
    from cli_run import terminal_text

    args = ["whatif", "--db", str(ledger), "--model", "wi-nocache", "--range", "2026-03-10..2026-03-10"]
    env = {"TZ": "UTC", "COSTPANEL_PRICING": str(PRICES)}
    wide = whatif(ledger, *args[3:])
    text = terminal_text(args, 50, env)
    assert "…" not in text and "Target" in wide.stdout and "Target" not in text
    assert "every tier → wi-nocache" in text and "By model (actual → wi-nocache)" in text
    for figure in ("$0.011", "$0.0078", "-$0.0035", "-30.67%", "-48.97%"):
        assert figure in text


@pytest.mark.parametrize(("args", "message"), [
    (("--model", "gpt-99-imaginary"), "--model: unknown model 'gpt-99-imaginary' (not in the price catalog"),
    (("--tier", "Tier 2=nope"), "--tier 'Tier 2': unknown model 'nope'"),
    (("--tier", "Tier 2"), "argument --tier: expected TIER=MODEL"),
    (("--tier", "=wi-cached"), "argument --tier: expected TIER=MODEL"),
    (("--tier", "Tier 9=wi-cached", "--range", "all"), "--tier 'Tier 9': no calls of that tier in range all "
                                                       "(tiers there: Tier 1, Tier 2, Tier 3)"),
    (("--tier", "Tier 1=wi-cached", "--tier", "Tier 1=wi-nocache"), "--tier 'Tier 1' is given twice"),
    ((), "say what to reprice on: --model MODEL"),
    (("--model", "wi-cached", "--range", "2025-01-01..2025-01-02"), "no calls in range 2025-01-01..2025-01-02"),
    (("--model", "wi-cached", "--range", "fortnight"), "range must be one of"),
])
def test_bad_input_is_one_line_and_exit_2(ledger: Path, args: tuple[str, ...], message: str) -> None:
    r = whatif(ledger, *args)
    assert r.returncode == 2 and r.stdout == ""
    assert message in one_line_error(r)


def test_an_empty_ledger_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    CostTracker(load_catalog(overrides=False), ledger=path, fallback=False).close()
    r = whatif(path, "--model", "wi-cached", "--range", "all")
    assert r.returncode == 2 and "no calls in range all: nothing to reprice" in one_line_error(r)


def test_no_ledger_file_says_so(tmp_path: Path) -> None:
    r = whatif(tmp_path / "absent.sqlite3", "--model", "wi-cached")
    assert r.returncode == 1 and "no ledger at" in one_line_error(r)


def test_the_command_is_listed_and_has_help() -> None:
    top = run_costpanel()
    assert "    whatif " in top.stdout
    r = run_costpanel("whatif", "--help")
    assert r.returncode == 0
    for flag in ("--model", "--tier", "--range", "--db", "--json", "TIER=MODEL", "--cheapest"):
        assert flag in r.stdout


def test_cheapest_picks_from_the_users_list_call_by_call(ledger: Path, isolated_user_dirs: Path) -> None:
    (isolated_user_dirs / "whatif.toml").write_text('[whatif]\ncandidates = ["wi-cached", "wi-cliff", "nope"]\n',
                                                    encoding="utf-8")
    data = as_json(whatif(ledger, "--cheapest", "overall", "--range", "all", "--json"))
    assert as_json(whatif(ledger, "--cheapest", "--range", "all", "--json")) == data  # overall when not said
    # wi-cached call by call: $0.0075 + $0.005 + $0.002 + $0.002 + $0.0012 = $0.0177; wi-cliff $0.0151 (see above)
    assert data["ranked"] == {"*": [{"model": "wi-cliff", "what_if_usd": "0.0151"},
                                    {"model": "wi-cached", "what_if_usd": "0.0177"}]}
    assert data["skipped"] == [{"model": "nope", "why": "not in the price catalog"}]
    assert data["whatif"]["target"] == "wi-cliff" and data["whatif"]["what_if_usd"] == "0.0151"  # type: ignore[index]
    assert data["candidates"] == str(isolated_user_dirs / "whatif.toml")
    per_tier = whatif(ledger, "--cheapest", "per-tier", "--range", "all")
    assert per_tier.returncode == 0, per_tier.stderr
    assert "Tier 1: wi-cliff $0.0085, wi-cached $0.0095" in per_tier.stdout  # $0.0075 + $0.001; $0.0075 + $0.002
    assert "What if: Tier 1 → wi-cliff, Tier 2 → wi-cliff, Tier 3 → wi-cliff — range all" in per_tier.stdout


def test_cheapest_takes_no_model_and_needs_calls(ledger: Path) -> None:
    r = whatif(ledger, "--cheapest", "overall", "--model", "wi-cached")
    assert r.returncode == 2 and "--cheapest picks the models itself" in one_line_error(r)
    r = whatif(ledger, "--cheapest", "overall", "--range", "2025-01-01..2025-01-01")
    assert r.returncode == 2 and "no calls in range 2025-01-01..2025-01-01" in one_line_error(r)


def test_a_malformed_candidates_file_is_one_line_and_exit_2(ledger: Path, isolated_user_dirs: Path) -> None:
    (isolated_user_dirs / "whatif.toml").write_text("[whatif]\ncandidates = []\n", encoding="utf-8")
    r = whatif(ledger, "--cheapest", "overall", "--range", "all")
    assert r.returncode == 2
    assert f"{isolated_user_dirs / 'whatif.toml'}: whatif.candidates must be a non-empty list" in one_line_error(r)
