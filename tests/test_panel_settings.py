"""Remembered panel settings: defaults, round trip, bad files never stop the panel, private files."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from costpanel.gui.settings import PanelSettings, SettingsWarning, load_settings, save_settings, settings_path

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


@pytest.fixture(params=[0o022, 0o277], ids=["umask022", "umask277"])
def any_umask(request: pytest.FixtureRequest) -> Iterator[None]:
    """The modes must not depend on the umask: 022 would give 0755/0644, 277 would drop owner bits."""
    old = os.umask(request.param)
    yield
    os.umask(old)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    s = PanelSettings()
    assert (s.width, s.height, s.x, s.y) == (1280, 800, 100, 100)
    assert s.theme == "dark" and s.font_scale == 1.0
    assert s.sort == {} and s.budget_usd is None


def test_settings_live_in_the_user_config_dir(isolated_user_dirs: Path) -> None:
    assert settings_path() == isolated_user_dirs / "panel.json"


def test_a_missing_file_gives_defaults_without_a_warning(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope.json") == PanelSettings()  # a warning would fail the test


def test_save_then_load_round_trips_every_field(isolated_user_dirs: Path) -> None:
    s = PanelSettings(width=1500, height=900, x=-1200, y=40, theme="light", font_scale=1.25,
                      sort={"tiers": ("cost", True), "models": ("model", False)}, budget_usd=Decimal("12.50"))
    assert save_settings(s) == isolated_user_dirs / "panel.json"
    loaded = load_settings()
    assert loaded == s
    assert loaded.sort["tiers"] == ("cost", True)
    assert loaded.budget_usd == Decimal("12.50") and isinstance(loaded.budget_usd, Decimal)


def test_budget_is_stored_as_plain_exact_decimal_text(tmp_path: Path) -> None:
    path = save_settings(PanelSettings(budget_usd=Decimal("1E+3")), tmp_path / "panel.json")
    assert json.loads(path.read_text())["budget_usd"] == "1000"  # not "1E+3"
    assert load_settings(path).budget_usd == Decimal("1000")


def test_a_number_budget_in_a_hand_edited_file_is_read_exactly(tmp_path: Path) -> None:
    path = write(tmp_path / "panel.json", '{"budget_usd": 12345678.91, "font_scale": 1.5}')
    s = load_settings(path)
    assert s.budget_usd == Decimal("12345678.91")  # as a float it would be 12345678.9100000001...
    assert s.font_scale == 1.5


def test_unknown_keys_from_other_versions_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "panel.json", '{"width": 1400, "docked": true, "future": {"x": 1}}')
    assert load_settings(path) == PanelSettings(width=1400)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ("null", "expected a JSON object"),
    ],
)
def test_a_corrupt_file_gives_defaults_and_a_warning_naming_it(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path / "panel.json", text)
    with pytest.warns(SettingsWarning, match=problem) as record:
        s = load_settings(path)
    assert s == PanelSettings()
    assert str(path) in str(record[0].message)


def test_a_file_that_is_not_utf8_gives_defaults_and_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "panel.json"
    path.write_bytes(b'{"width": 1400, "theme": "\xff"}')
    with pytest.warns(SettingsWarning, match="panel.json"):
        assert load_settings(path) == PanelSettings()


def test_an_unreadable_path_gives_defaults_and_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "panel.json"
    path.mkdir()  # reading a folder fails for every user, root included
    with pytest.warns(SettingsWarning, match="cannot read"):
        assert load_settings(path) == PanelSettings()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("width", 399),
        ("width", 10**12),  # would overflow the window system
        ("height", 299),
        ("x", "left"),
        ("theme", "solarized"),
        ("font_scale", 0.5),
        ("font_scale", 2.6),
        ("budget_usd", "-5"),
        ("budget_usd", "0"),
        ("budget_usd", "NaN"),
        ("budget_usd", "0.001"),  # a budget is whole cents, as the budget field accepts
        ("budget_usd", "5.005"),
        ("budget_usd", "lots"),
        ("sort", {"tiers": ["cost"]}),
        ("sort", ["cost", True]),
    ],
)
def test_an_invalid_value_falls_back_to_its_default_and_keeps_the_rest(
    tmp_path: Path, field: str, value: object
) -> None:
    saved = {"height": 900, "theme": "light", "budget_usd": "7", field: value}
    path = write(tmp_path / "panel.json", json.dumps(saved))
    with pytest.warns(SettingsWarning, match=field) as record:
        s = load_settings(path)
    assert getattr(s, field) == PanelSettings.model_fields[field].get_default(call_default_factory=True)
    kept = {"height": 900, "theme": "light", "budget_usd": Decimal(7)}
    for name, expected in kept.items():
        if name != field:
            assert getattr(s, name) == expected
    assert str(path) in str(record[0].message)


def test_assigning_an_invalid_value_is_refused_at_once() -> None:
    s = PanelSettings()
    with pytest.raises(ValidationError, match="width"):
        s.width = 100
    s.width = 1600
    assert s.width == 1600


@posix_only
@pytest.mark.usefixtures("any_umask")
def test_saved_file_is_0600_in_new_folders_made_0700(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "panel.json"
    save_settings(PanelSettings(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@posix_only
def test_saving_over_a_world_readable_file_makes_it_private(tmp_path: Path) -> None:
    path = write(tmp_path / "panel.json", "{}")
    path.chmod(0o644)
    save_settings(PanelSettings(width=1500), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings(path).width == 1500


def test_saving_replaces_the_file_whole_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "panel.json"
    save_settings(PanelSettings(width=1500), path)
    save_settings(PanelSettings(width=1600), path)
    assert [p.name for p in tmp_path.iterdir()] == ["panel.json"]
    assert load_settings(path).width == 1600


def test_a_failed_save_keeps_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "panel.json"
    save_settings(PanelSettings(width=1500), path)

    def disk_full(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m, pytest.raises(OSError, match="No space"):
        m.setattr(os, "replace", disk_full)
        save_settings(PanelSettings(width=1600), path)
    assert [p.name for p in tmp_path.iterdir()] == ["panel.json"]
    assert load_settings(path).width == 1500
