"""Exports of a snapshot: exact figures in CSV and JSON, formula injection neutralised, private files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costpanel import CostTracker, Row, Snapshot, Usage
from costpanel.export import (
    CSV_HEADER,
    safe_cell,
    snapshot_to_csv,
    snapshot_to_json,
    write_export,
    write_private_file,
)
from costpanel.money import usd_str

EVIL_TIER = '=HYPERLINK("x")'
EVIL_MODEL = "@SUM(1)"  # unknown to the catalog: unpriced
BUCKETS = ("calls", "input", "cache_read", "cache_write", "cache_write_1h", "output", "requests", "tokens",
           "unpriced_calls")
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


@pytest.fixture
def snap(tracker: CostTracker) -> Snapshot:
    """Priced and unpriced models, a mixed and an all-unpriced tier, a discarded and a pending attempt."""
    tracker.record("gpt-4o", Usage(input=1200, output=300), tier="Tier 1")
    tracker.record("gpt-4o", Usage(input=1234, cache_read=777, output=99), tier="Tier 1")
    tracker.record("claude-sonnet-4-5", Usage(input=3, cache_write=1001, cache_write_1h=17, output=5), tier="Tier 2")
    tracker.record("gpt-4o-mini", Usage(input=1), tier=EVIL_TIER)  # $0.00000015: no exponent in the export
    tracker.record(EVIL_MODEL, Usage(input=5000, output=50), tier=EVIL_TIER)
    tracker.record("mystery-model", Usage(input=10, output=10, requests=2), tier="Tier 4")
    with pytest.raises(RuntimeError), tracker.attempt(tier="Tier 3") as a:
        a.record("gpt-4o", Usage(input=100, output=10))
        raise RuntimeError("fell over to another model")
    pending = tracker.attempt(tier="Tier 3")
    pending.__enter__().record("gpt-4o-mini", Usage(input=1000, output=1000))  # left open
    return tracker.snapshot()


def parsed_json(s: Snapshot) -> dict[str, Any]:
    return json.loads(json.dumps(snapshot_to_json(s)))  # what a reader of the file gets


def parsed_csv(s: Snapshot) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(snapshot_to_csv(s), newline=""))
    return list(reader.fieldnames or []), list(reader)


def cost_text(row: Row) -> str | None:
    return usd_str(row.cost_usd)


def assert_json_row(exported: dict[str, Any], row: Row) -> None:
    for field in BUCKETS:
        assert exported[field] == getattr(row, field), field
    assert exported["cost_usd"] == cost_text(row)
    if row.cost_usd is not None:
        assert Decimal(exported["cost_usd"]) == row.cost_usd
    assert exported["share"] == row.share


def assert_csv_row(exported: dict[str, str], row: Row) -> None:
    for field in BUCKETS:
        assert int(exported[field]) == getattr(row, field), field
    assert exported["cost_usd"] == (cost_text(row) or "")
    if row.cost_usd is not None:
        assert Decimal(exported["cost_usd"]) == row.cost_usd
    assert float(exported["share"]) == row.share


# -- JSON ---------------------------------------------------------------------------------------------
def test_json_carries_the_session_and_its_times(snap: Snapshot) -> None:
    data = parsed_json(snap)
    assert data["session"] == snap.session
    assert dt.datetime.fromisoformat(data["started_at"]) == snap.started_at
    assert dt.datetime.fromisoformat(data["taken_at"]) == snap.taken_at
    assert data["elapsed_s"] == snap.elapsed_s


def test_json_total_and_each_breakdown_equal_the_snapshot_exactly(snap: Snapshot) -> None:
    data = parsed_json(snap)
    assert_json_row(data["total"], snap.total)
    assert [r["tier"] for r in data["by_tier"]] == list(snap.by_tier)
    for exported, row in zip(data["by_tier"], snap.by_tier.values(), strict=True):
        assert_json_row(exported, row)
        assert exported["models"] == list(row.models)
    assert [r["model"] for r in data["by_model"]] == list(snap.by_model)
    for exported, row in zip(data["by_model"], snap.by_model.values(), strict=True):
        assert_json_row(exported, row)
        assert (exported["provider"], exported["matched"]) == (row.provider, row.matched)
    assert [(r["tier"], r["model"]) for r in data["by_tier_model"]] == list(snap.by_tier_model)
    for exported, row in zip(data["by_tier_model"], snap.by_tier_model.values(), strict=True):
        assert_json_row(exported, row)


def test_json_money_is_exact_decimal_text(snap: Snapshot) -> None:
    data = parsed_json(snap)
    tier1 = next(r for r in data["by_tier"] if r["tier"] == "Tier 1")
    # 1200 × $2.50/M + 300 × $10/M, plus 1234 × $2.50/M + 777 × $1.25/M + 99 × $10/M
    assert tier1["cost_usd"] == "0.01104625"
    mini = next(r for r in data["by_tier_model"] if r["model"] == "gpt-4o-mini")
    assert mini["cost_usd"] == "0.00000015"  # not "1.5E-7"
    assert all("E" not in r["cost_usd"] for r in data["by_tier_model"] if r["cost_usd"])


def test_json_shows_unpriced_rows_as_null_and_names_the_models(snap: Snapshot) -> None:
    data = parsed_json(snap)
    assert data["unpriced"] == sorted([EVIL_MODEL, "mystery-model"])
    assert data["unpriced_calls"] == 2
    by_model = {r["model"]: r for r in data["by_model"]}
    assert by_model[EVIL_MODEL]["cost_usd"] is None and by_model[EVIL_MODEL]["matched"] is None
    assert by_model[EVIL_MODEL]["tokens"] == 5050  # counted, just not priced
    by_tier = {r["tier"]: r for r in data["by_tier"]}
    assert by_tier["Tier 4"]["cost_usd"] is None
    assert by_tier[EVIL_TIER]["cost_usd"] == "0.00000015"  # the priced part; unpriced_calls says the rest
    assert by_tier[EVIL_TIER]["unpriced_calls"] == 1


def test_json_keeps_discarded_and_pending_apart_from_the_total(snap: Snapshot) -> None:
    data = parsed_json(snap)
    assert_json_row(data["discarded"], snap.discarded)
    assert data["discarded"]["calls"] == 1 and data["discarded"]["cost_usd"] == "0.00035"
    [pair] = data["discarded_by_tier_model"]
    assert (pair["tier"], pair["model"]) == ("Tier 3", "gpt-4o")
    assert data["pending_calls"] == 1 == snap.pending_calls
    assert data["pending_usd"] == usd_str(snap.pending_usd) == "0.00075"
    assert Decimal(data["total"]["cost_usd"]) == snap.total_usd  # neither is in it


def test_json_tier_rows_add_up_to_the_total(snap: Snapshot) -> None:
    data = parsed_json(snap)
    for breakdown in ("by_tier", "by_model", "by_tier_model"):
        rows = data[breakdown]
        assert sum(Decimal(r["cost_usd"] or 0) for r in rows) == Decimal(data["total"]["cost_usd"])
        for field in BUCKETS:
            assert sum(r[field] for r in rows) == data["total"][field], (breakdown, field)


def test_json_keeps_user_names_verbatim(snap: Snapshot) -> None:
    data = parsed_json(snap)  # JSON is not a spreadsheet: no quote prefix
    assert EVIL_TIER in [r["tier"] for r in data["by_tier"]]
    assert EVIL_MODEL in [r["model"] for r in data["by_model"]]


def test_an_empty_session_exports_zeros(tracker: CostTracker) -> None:
    s = tracker.snapshot()
    data = parsed_json(s)
    assert data["total"]["cost_usd"] == "0" and data["total"]["calls"] == 0
    assert data["by_tier"] == [] and data["unpriced"] == [] and data["pending_usd"] == "0"
    header, rows = parsed_csv(s)
    assert [r["section"] for r in rows] == ["total", "discarded"]
    assert rows[0]["cost_usd"] == "0"


# -- CSV ----------------------------------------------------------------------------------------------
def test_csv_has_the_documented_header_and_sections_in_order(snap: Snapshot) -> None:
    header, rows = parsed_csv(snap)
    assert header == list(CSV_HEADER) == [
        "section", "tier", "model", "provider", "calls", "input", "cache_read", "cache_write", "cache_write_1h",
        "output", "requests", "web_search", "tokens", "cost_usd", "unpriced_calls", "share",
    ]
    sections = [r["section"] for r in rows]
    expected = (["total"] + ["tier"] * len(snap.by_tier) + ["model"] * len(snap.by_model)
                + ["tier_model"] * len(snap.by_tier_model) + ["discarded"]
                + ["discarded_tier_model"] * len(snap.discarded_by_tier_model))
    assert sections == expected


def test_csv_rows_equal_the_snapshot_exactly(snap: Snapshot) -> None:
    _, rows = parsed_csv(snap)
    by_section: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_section.setdefault(r["section"], []).append(r)
    assert_csv_row(by_section["total"][0], snap.total)
    assert_csv_row(by_section["discarded"][0], snap.discarded)
    for exported, row in zip(by_section["tier"], snap.by_tier.values(), strict=True):
        assert_csv_row(exported, row)
    for exported, (name, row) in zip(by_section["model"], snap.by_model.items(), strict=True):
        assert_csv_row(exported, row)
        assert exported["model"] == safe_cell(name) and exported["provider"] == (row.provider or "")
    for exported, row in zip(by_section["tier_model"], snap.by_tier_model.values(), strict=True):
        assert_csv_row(exported, row)


def test_csv_tier_rows_add_up_to_the_total(snap: Snapshot) -> None:
    _, rows = parsed_csv(snap)
    total = next(r for r in rows if r["section"] == "total")
    tiers = [r for r in rows if r["section"] == "tier"]
    assert sum(Decimal(r["cost_usd"] or 0) for r in tiers) == Decimal(total["cost_usd"]) == snap.total_usd
    for field in BUCKETS:
        assert sum(int(r[field]) for r in tiers) == int(total[field]), field


def test_csv_neutralises_formulas_in_user_controlled_names(snap: Snapshot) -> None:
    _, rows = parsed_csv(snap)
    assert "'" + EVIL_TIER in [r["tier"] for r in rows if r["section"] == "tier"]
    assert "'" + EVIL_MODEL in [r["model"] for r in rows if r["section"] == "model"]
    for r in rows:
        for column in ("tier", "model", "provider"):
            assert not r[column].startswith(("=", "+", "-", "@", "\t", "\r")), r


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("Tier 1", "Tier 1"),
        ("gpt-4o", "gpt-4o"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_safe_cell_prefixes_only_formula_starts(value: str, expected: str) -> None:
    assert safe_cell(value) == expected


# -- files --------------------------------------------------------------------------------------------
@pytest.fixture(params=[0o022, 0o277], ids=["umask022", "umask277"])
def any_umask(request: pytest.FixtureRequest) -> Iterator[None]:
    """The modes must not depend on the umask: 022 would give 0755/0644, 277 would drop owner bits."""
    old = os.umask(request.param)
    yield
    os.umask(old)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_write_export_names_the_file_after_session_and_utc_time(snap: Snapshot, tmp_path: Path, fmt: str) -> None:
    path = write_export(snap, tmp_path, fmt)  # type: ignore[arg-type]
    stamp = snap.taken_at.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    assert path == tmp_path / f"costpanel-{snap.session}-{stamp}.{fmt}"
    assert re.fullmatch(rf"costpanel-.+-\d{{8}}T\d{{6}}Z\.{fmt}", path.name)


def test_written_files_hold_the_same_exports(snap: Snapshot, tmp_path: Path) -> None:
    csv_path = write_export(snap, tmp_path, "csv")
    json_path = write_export(snap, tmp_path, "json")
    assert csv_path.read_bytes().decode("utf-8") == snapshot_to_csv(snap)
    assert json.loads(json_path.read_text(encoding="utf-8")) == parsed_json(snap)


def test_a_second_export_in_the_same_second_does_not_overwrite_the_first(snap: Snapshot, tmp_path: Path) -> None:
    first = write_export(snap, tmp_path, "csv")
    first.write_text("kept")
    second = write_export(snap, tmp_path, "csv")
    assert second != first and second.name.endswith("-2.csv")
    assert first.read_text() == "kept"


@pytest.mark.parametrize("session", ["../../escape", "a/b", "..", "star*?<>|", "C:\\x"])
def test_a_session_name_cannot_leave_the_export_folder(catalog: Any, tmp_path: Path, session: str) -> None:
    tracker = CostTracker(catalog, session=session)
    tracker.record("gpt-4o", Usage(input=1))
    folder = tmp_path / "exports"
    path = write_export(tracker.snapshot(), folder, "json")
    assert path.parent == folder and path.exists()
    assert re.fullmatch(r"costpanel-[A-Za-z0-9._-]+-\d{8}T\d{6}Z\.json", path.name)
    assert json.loads(path.read_text())["session"] == session  # the content keeps the real name


def test_an_unknown_format_is_refused(snap: Snapshot, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xlsx"):
        write_export(snap, tmp_path, "xlsx")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@posix_only
@pytest.mark.usefixtures("any_umask")
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_exports_are_0600_in_new_folders_made_0700(snap: Snapshot, tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "data" / "exports"
    path = write_export(snap, folder, fmt)  # type: ignore[arg-type]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for f in (tmp_path / "data", folder):
        assert stat.S_IMODE(f.stat().st_mode) == 0o700


@posix_only
def test_an_existing_export_folder_keeps_its_mode(snap: Snapshot, tmp_path: Path) -> None:
    tmp_path.chmod(0o755)  # e.g. ~/Documents chosen by the user: not ours to change
    write_export(snap, tmp_path, "csv")
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.json"
    write_private_file(path, b"old")

    def disk_full(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m, pytest.raises(OSError, match="No space"):
        m.setattr(os, "replace", disk_full)
        write_private_file(path, b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    assert path.read_bytes() == b"old"
