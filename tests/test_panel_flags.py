"""`costpanel demo` and `watch` take --theme and --scale: a flag beats the saved setting and is
saved at exit, never by a --screenshot run; a bad value is refused before anything starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import test_panel_rendered as rendered

xvfb, display = rendered.xvfb, rendered.display  # the fixtures: a private Xvfb for the child processes


def _env(display: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], Path]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "panel.json").write_text(json.dumps({"theme": "dark", "font_scale": 1.0}))
    return {**display, "COSTPANEL_CONFIG_DIR": str(config), "COSTPANEL_DATA_DIR": str(tmp_path / "data")}, config


def test_flags_beat_the_saved_look_and_are_saved_at_exit(display: dict[str, str], tmp_path: Path) -> None:
    env, config = _env(display, tmp_path)
    run = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--no-ledger", "--frames", "10",
                          "--theme", "light", "--scale", "125"], env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    saved = json.loads((config / "panel.json").read_text())
    assert (saved["theme"], saved["font_scale"]) == ("light", 1.25)


def test_a_screenshot_run_uses_the_flags_but_saves_nothing(display: dict[str, str], tmp_path: Path) -> None:
    env, config = _env(display, tmp_path)
    before = (config / "panel.json").read_bytes()
    shot = tmp_path / "light.png"
    run = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--no-ledger", "--frames", "20",
                          "--theme", "light", "--scale", "150", "--screenshot", str(shot)],
                         env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (config / "panel.json").read_bytes() == before
    from PIL import Image

    with Image.open(shot) as img:  # the light theme's window background fills the bottom-right corner
        assert img.convert("RGB").getpixel((img.width - 3, img.height - 3)) == (248, 248, 250)


@pytest.mark.parametrize("command", ["demo", "watch"])
@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--scale", "99", "--scale is a whole percent from 100 to 200, got '99'"),
    ("--scale", "201", "--scale is a whole percent from 100 to 200, got '201'"),
    ("--scale", "1.5", "--scale is a whole percent from 100 to 200, got '1.5'"),
    ("--theme", "purple", "invalid choice: 'purple'"),
])
def test_a_bad_look_flag_is_refused_naming_the_value(command: str, flag: str, value: str, message: str,
                                                     tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "costpanel", command, flag, value, "--headless"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert message in run.stderr


def test_scale_flag_takes_any_whole_percent_from_100_to_200() -> None:
    from costpanel.cli.demo import _scale

    assert [_scale(t) for t in ("100", "137", "200", "150%")] == [100, 137, 200, 150]


def test_a_settings_file_it_cannot_use_is_one_warning_line_and_the_panel_opens(display: dict[str, str],
                                                                              tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "panel.json").write_text("garbage")
    r = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--no-ledger", "--frames", "5", "--screenshot",
                        str(tmp_path / "shot.png")], env={**display, "COSTPANEL_CONFIG_DIR": str(config)},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    warning = [line for line in r.stderr.splitlines() if line.strip()]
    assert warning == [f"costpanel: warning: {config / 'panel.json'}: not valid JSON (Expecting value: line 1 "
                       "column 1 (char 0)); using default settings"]
