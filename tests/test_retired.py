"""`retired` is the provider's retirement day (UTC): the schema refuses the old boolean, a day on or
before today is a retirement, a later day a scheduled one; listing, `pricing list` and `pricing diff`
treat a scheduled retirement as current. Dates far in the past / future keep these tests stable."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cli_run import costpanel

from costpanel import Usage
from costpanel.pricing import Catalog, PricingError, load_catalog
from costpanel.pricing.diff import TheirModel, compare
from costpanel.pricing.files import validate_provider
from costpanel.pricing.listing import extremes, list_models
from costpanel.pricing.retirement import describe, is_retired, retirement_status
from costpanel.quote import quote

TODAY = dt.date(2026, 12, 3)
PAST, FUTURE = dt.date(2025, 7, 14), dt.date(2099, 1, 15)


def _provider(**model: Any) -> dict[str, Any]:
    return {"provider": "acme", "name": "Acme", "sources": ["https://acme.example/p"], "checked": TODAY,
            "models": [{"id": "acme-1", **model,
                        "prices": [{"effective": dt.date(2025, 1, 1), "source": "https://acme.example/p",
                                    "input": 1, "output": 2}]}]}


# ------------------------------------------------------------------------------------ schema


@pytest.mark.parametrize(("value", "expected"), [
    (PAST, PAST),
    (FUTURE, FUTURE),
    (None, None),
])
def test_retired_accepts_a_date(value: dt.date | None, expected: dt.date | None) -> None:
    pf = validate_provider(Path("acme.toml"), _provider(**({} if value is None else {"retired": value})))
    assert pf.models[0].retired == expected


@pytest.mark.parametrize(("value", "says"), [
    (True, "not the boolean True: write the day it was retired, e.g. retired = 2025-07-14"),
    (False, "not the boolean False: leave the field out"),
    ("2025-07-14", "TOML date without quotes"),
    (20250714, "TOML date without quotes"),
    (dt.datetime(2025, 7, 14, 12, tzinfo=dt.timezone.utc), "TOML date without quotes or time"),
])
def test_retired_refuses_anything_but_a_date_in_one_line_naming_model_and_field(value: object, says: str) -> None:
    with pytest.raises(PricingError) as err:
        validate_provider(Path("acme.toml"), _provider(retired=value))
    [problem] = err.value.problems
    assert problem.startswith("acme.toml: model 'acme-1' (models[0]) field retired: ")
    assert says in problem and "\n" not in problem


def test_pricing_check_refuses_the_old_boolean(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text('provider = "acme"\nname = "Acme"\nsources = ["https://acme.example/p"]\nchecked = 2026-12-01\n'
                    '[[models]]\nid = "acme-1"\nretired = true\n[[models.prices]]\neffective = 2025-01-01\n'
                    'source = "https://acme.example/p"\ninput = 1\noutput = 2\n', encoding="utf-8")
    r = costpanel("pricing", "check", str(path))
    assert r.returncode == 1
    assert f"✗ {path}: model 'acme-1' (models[0]) field retired: retired must be a date" in r.stdout
    assert "e.g. retired = 2025-07-14" in r.stdout


# ------------------------------------------------------------------------------------ status


@pytest.mark.parametrize(("retired", "status", "words"), [
    (None, "current", ""),
    (PAST, "retired", "retired 2025-07-14"),
    (TODAY, "retired", "retired 2026-12-03"),               # the day itself: retired (UTC)
    (TODAY + dt.timedelta(days=1), "scheduled", "retires 2026-12-04"),
    (FUTURE, "scheduled", "retires 2099-01-15"),
])
def test_retirement_status(retired: dt.date | None, status: str, words: str) -> None:
    assert retirement_status(retired, TODAY) == status
    assert is_retired(retired, TODAY) is (status == "retired")
    assert describe(retired, TODAY) == words


# ------------------------------------------------------------------------------------ listing

LISTED = f"""provider = "acme"
name = "Acme"
sources = ["https://acme.example/p"]
checked = 2026-12-01

[[models]]
id = "acme-old"
retired = {PAST}
  [[models.prices]]
  effective = 2025-01-01
  source = "https://acme.example/p"
  input = 90
  output = 90

[[models]]
id = "acme-soon"
retired = {FUTURE}
  [[models.prices]]
  effective = 2025-01-01
  source = "https://acme.example/p"
  input = 5
  output = 5

[[models]]
id = "acme-now"
  [[models.prices]]
  effective = 2025-01-01
  source = "https://acme.example/p"
  input = 1
  output = 1
"""


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    path = tmp_path / "acme.toml"
    path.write_text(LISTED, encoding="utf-8")
    return path


@pytest.fixture
def acme_catalog(acme: Path) -> Catalog:
    return load_catalog(overrides=False, extra=[acme])


@pytest.mark.parametrize(("include_retired", "ids"), [
    (True, ["acme-now", "acme-old", "acme-soon"]),
    (False, ["acme-now", "acme-soon"]),  # a scheduled retirement is still listed
])
def test_list_models_hides_only_models_already_retired(acme_catalog: Catalog, include_retired: bool,
                                                        ids: list[str]) -> None:
    rows = list_models(acme_catalog, provider="acme", include_retired=include_retired)
    assert [r.id for r in rows] == ids


def test_extremes_skip_the_retired_model_but_not_the_scheduled_one(acme_catalog: Catalog) -> None:
    cheapest, dearest = extremes(list_models(acme_catalog, provider="acme"))
    assert cheapest is not None and dearest is not None
    assert (cheapest.id, dearest.id) == ("acme-now", "acme-soon")  # acme-old ($180) is retired


def test_retired_model_stays_priced(acme_catalog: Catalog) -> None:
    # 1,000 in × $90/M + 1,000 out × $90/M = 0.18, today as before its retirement
    q = quote(acme_catalog, "acme-old", Usage(input=1_000, output=1_000), dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc))
    assert q.cost_usd == Decimal("0.18")


@pytest.mark.parametrize(("model_id", "retired", "retirement"), [
    ("acme-old", "2025-07-14", "retired"),
    ("acme-soon", "2099-01-15", "scheduled"),
    ("acme-now", None, "current"),
])
def test_list_json_carries_the_iso_day(acme: Path, model_id: str, retired: str | None, retirement: str) -> None:
    r = costpanel("pricing", "list", "--provider", "acme", "--json", env={"COSTPANEL_PRICING": str(acme)})
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    row = next(m for m in data["models"] if m["id"] == model_id)
    assert (row["retired"], row["retirement"]) == (retired, retirement)
    assert data["most_expensive"] == "acme-soon"


@pytest.mark.parametrize(("args", "shown", "hidden"), [
    ((), ["retired 2025-07-14", "retires 2099-01-15"], []),
    (("--no-retired",), ["retires 2099-01-15", "acme-soon"], ["acme-old", "retired 2025-07-14"]),
])
def test_list_table_says_retired_or_retires(acme: Path, args: tuple[str, ...], shown: list[str],
                                            hidden: list[str]) -> None:
    r = costpanel("pricing", "list", "--provider", "acme", *args, env={"COSTPANEL_PRICING": str(acme)}, columns=250)
    assert r.returncode == 0, r.stderr
    for text in shown:
        assert text in r.stdout
    for text in hidden:
        assert text not in r.stdout


# ------------------------------------------------------------------------------------ diff


def _theirs(model_id: str, *, current: bool) -> TheirModel:
    rates = {"input": Decimal(1), "output": Decimal(1), "cache_read": None, "cache_write": None, "cache_write_1h": None}
    return TheirModel("acme", model_id, current, True, rates, lambda n: n == model_id, (model_id,))


@pytest.mark.parametrize(("model_id", "their_current", "expected"), [
    ("acme-old", True, [("retired 2025-07-14", "current")]),  # retired here, current there
    ("acme-soon", True, []),                                  # scheduled: current on both sides
    ("acme-soon", False, [("current", "deprecated")]),
    ("acme-now", True, []),
])
def test_diff_compares_retirement_as_of_today(acme_catalog: Catalog, model_id: str, their_current: bool,
                                              expected: list[tuple[str, str]]) -> None:
    rows = compare(acme_catalog, [_theirs(model_id, current=their_current)], source="test", providers=["acme"])
    assert [(r.ours, r.theirs) for r in rows if r.kind == "retirement"] == expected


# ------------------------------------------------------------------------------------ bundled data


@pytest.mark.parametrize(("model_id", "day", "status"), [
    ("o1-pro", dt.date(2026, 10, 23), "retired"),       # OpenAI deprecations page
    ("claude-2.1", dt.date(2025, 7, 21), "retired"),    # Anthropic model deprecations page
    ("claude-3-opus", dt.date(2026, 1, 5), "retired"),
    ("gemini-2.0-flash", dt.date(2026, 6, 1), "retired"),
    ("open-mixtral-8x7b", dt.date(2025, 3, 30), "retired"),
    ("gpt-5", dt.date(2026, 12, 11), "scheduled"),
    ("gpt-4o", dt.date(2027, 1, 14), "scheduled"),
    ("gpt-5.5-pro", None, "current"),
])
def test_bundled_retirement_days(catalog: Catalog, model_id: str, day: dt.date | None, status: str) -> None:
    entry = catalog.models[model_id]
    assert entry.retired == day
    assert retirement_status(entry.retired, TODAY) == status


def test_claude_2_1_keeps_its_historical_price(catalog: Catalog) -> None:
    # $8 / $24 per 1M: 1,000 in = 0.008, 1,000 out = 0.024
    q = quote(catalog, "claude-2.1", Usage(input=1_000, output=1_000), dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    assert q.cost_usd == Decimal("0.032")


def test_every_retirement_day_is_sourced(catalog: Catalog) -> None:
    """A retired model's note says where its day comes from, or that it is unverified."""
    bare = [e.id for e in catalog.models.values()
            if e.retired is not None and not (e.spec.note or "") and not any(p.note for p in e.spec.prices)]
    assert bare == []


# ------------------------------------------------------------------------------------ costpanel price


@pytest.mark.parametrize(("model_id", "args", "note"), [
    ("acme-old", (), ("note: acme-old was retired on 2025-07-14; priced at its last price "
                      "(calls now fail or are redirected)")),
    ("acme-old", ("--at", "2025-03-01"), "note: acme-old was retired on 2025-07-14 (calls now fail or are redirected)"),
    ("acme-soon", (), "note: acme-soon retires on 2099-01-15; calls after that day will fail or be redirected"),
    ("acme-soon", ("--at", "2099-06-01"), ("note: acme-soon retires on 2099-01-15: a call on 2099-06-01 comes after "
                                           "that day (it would fail or be redirected); priced at its last price")),
    ("acme-now", (), None),
])
def test_price_says_a_model_is_retired_or_when_it_retires(acme: Path, model_id: str, args: tuple[str, ...],
                                                          note: str | None) -> None:
    r = costpanel("price", model_id, "--input", "1000", *args, env={"COSTPANEL_PRICING": str(acme)}, columns=250)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    notes = [line for line in lines if line.startswith("note:")]
    assert notes == ([] if note is None else [note])
    if note is not None:
        assert lines[-1] == note and "total" in r.stdout.split(note)[0]  # after the table


@pytest.mark.parametrize(("model_id", "retired"), [
    ("acme-old", "2025-07-14"), ("acme-soon", "2099-01-15"), ("acme-now", None),
])
def test_price_json_carries_the_retirement_day(acme: Path, model_id: str, retired: str | None) -> None:
    r = costpanel("price", model_id, "--input", "1000", "--json", env={"COSTPANEL_PRICING": str(acme)})
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["retired"] == retired and data["priced"]


def test_price_of_the_bundled_claude_3_opus_says_it_is_retired() -> None:
    r = costpanel("price", "claude-3-opus", "--input", "1000", columns=250)
    assert r.returncode == 0, r.stderr
    assert ("note: claude-3-opus was retired on 2026-01-05; priced at its last price "
            "(calls now fail or are redirected)") in r.stdout
    assert json.loads(costpanel("price", "claude-3-opus", "--input", "1000", "--json").stdout)["retired"] == "2026-01-05"
