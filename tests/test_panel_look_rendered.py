"""Screenshots at 100 % and 150 % in both themes, read back by OCR (Debian's tesseract-ocr): every
tier-table header that fits, the total, Tier 1-4 and a model name must be readable. Rendered once
(one process, four pictures) and shared by the asserts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
import sys
from pathlib import Path

import pytest

import test_panel_rendered as rendered

xvfb = rendered.xvfb  # the session's private Xvfb (a fixture)

HERE = Path(__file__).parent


def ocr(path: Path, box: tuple[int, int, int, int] | None = None, psm: int = 3) -> str:
    """Tesseract's text of the picture (or of ``box``), upscaled 2x: small UI text reads better."""
    from PIL import Image

    with Image.open(path) as img:
        part = img.convert("L") if box is None else img.convert("L").crop(box)
        part = part.resize((part.width * 2, part.height * 2), Image.LANCZOS)
        scaled = path.with_name(f"{path.stem}-ocr{'' if box is None else '-box'}.png")
        part.save(scaled)
    # One thread each: tesseract's OpenMP threads spin against each other (and against a busy
    # machine) for a picture this small: ~1 s a run instead of ~5 s.
    run = subprocess.run(["tesseract", str(scaled), "-", "--psm", str(psm)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    assert run.returncode == 0, run.stderr
    return run.stdout


def squeeze(text: str) -> str:
    return "".join(text.split()).lower()


@pytest.fixture(scope="module")
def shots(xvfb: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    if shutil.which("tesseract") is None:
        rendered._unavailable("tesseract is not installed (apt-get install -y tesseract-ocr)")
    out = tmp_path_factory.mktemp("look")
    env = {**os.environ, "DISPLAY": xvfb, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    env.pop("WAYLAND_DISPLAY", None)
    run = subprocess.run([sys.executable, str(HERE / "look_scenario.py"), str(out)], env=env, capture_output=True,
                         text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])["shots"]
    def read(shot: dict) -> None:
        path = Path(shot["file"])
        shot["text"] = squeeze(ocr(path))
        scale = 1.5 if shot["file"].endswith("-150.png") else 1.0
        shot["total_text"] = squeeze(ocr(path, (0, 0, int(125 * scale), int(60 * scale)), psm=7))

    with ThreadPoolExecutor(2) as pool:  # one tesseract per core
        list(pool.map(read, result.values()))
    return result


@pytest.mark.parametrize("shot", ["dark-100", "dark-150", "light-100", "light-150"])
def test_a_screenshot_reads_back_its_headers_tiers_total_and_a_model(shots: dict, shot: str) -> None:
    s = shots[shot]
    text = s["text"]
    assert s["total"] == "$49.13"
    assert "$49.13" in s["total_text"], s["total_text"]
    missing = [h for h in s["headers"] if squeeze(h) not in text]
    assert not missing, f"headers not readable in {shot}: {missing}\n{text}"
    assert all(f"tier{k}" in text for k in range(1, 5)), text
    assert "claude-sonnet-4-5" in text


@pytest.mark.parametrize("shot", ["dark-100", "dark-150"])
def test_the_width_maths_matches_what_dear_pygui_draws(shots: dict, shot: str) -> None:
    for text, (drawn, computed) in shots[shot]["widths"].items():
        assert abs(drawn - computed) <= max(2.0, 0.03 * drawn), (text, drawn, computed)


def test_the_watch_window_measures_today_against_the_daily_budget(xvfb: str, tmp_path: Path) -> None:
    """`costpanel watch` shows today, so its budget bar is the day's budget of `costpanel budget set`
    (it said "no budget" while `budget show` said the day was over it)."""
    if shutil.which("tesseract") is None:
        rendered._unavailable("tesseract is not installed (apt-get install -y tesseract-ocr)")
    env = {**os.environ, "DISPLAY": xvfb}
    env.pop("WAYLAND_DISPLAY", None)
    r = subprocess.run([sys.executable, "-m", "costpanel", "budget", "set", "--daily", "0.5"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    log = tmp_path / "calls.jsonl"
    log.write_text(json.dumps({"ts": time.time(), "model": "gpt-4o", "session": "s", "tier": "main",
                               "usage": {"input": 40_000, "output": 0}, "id": "c1"}) + "\n")  # $0.10 of $0.50
    shot = tmp_path / "watch.png"
    r = subprocess.run([sys.executable, "-m", "costpanel", "watch", str(log), "--format", "costpanel", "--no-ledger",
                        "--seconds", "2", "--theme", "dark", "--scale", "100", "--screenshot", str(shot)],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    text = squeeze(ocr(shot, (0, 125, 900, 150), psm=7))  # the budget row, under the Sources line
    assert "$0.10of$0.50" in text and "$0.40left" in text, text


def test_an_empty_chart_shows_dollars_and_no_bare_numbers(xvfb: str, tmp_path: Path) -> None:
    """Before the first call the chart's axes say dollars up the side and nothing along the time
    axis (not Dear PyGui's default 0-1 numbers on both)."""
    if shutil.which("tesseract") is None:
        rendered._unavailable("tesseract is not installed (apt-get install -y tesseract-ocr)")
    env = {**os.environ, "DISPLAY": xvfb}
    env.pop("WAYLAND_DISPLAY", None)
    log = tmp_path / "calls.jsonl"
    log.write_text("")  # no call yet
    shot = tmp_path / "empty.png"
    r = subprocess.run([sys.executable, "-m", "costpanel", "watch", str(log), "--format", "costpanel", "--no-ledger",
                        "--seconds", "2", "--theme", "dark", "--scale", "100", "--screenshot", str(shot)],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    side = squeeze(ocr(shot, (0, 280, 60, 770), psm=6))
    assert side.startswith("$1.00") and side.endswith("$0"), side
    along = squeeze(ocr(shot, (30, 760, 1200, 780), psm=7))
    assert not any(ch.isdigit() for ch in along), along


@pytest.mark.parametrize("shot", ["dark-100", "dark-150", "light-100", "light-150"])
def test_the_models_tab_shows_every_model_row_when_there_is_room(shots: dict, shot: str) -> None:
    """The table is as tall as its rows: every model of the session in view (a row hid in four
    when the maths took a row for 22 px and Dear PyGui drew 29), the maths' row as drawn."""
    s = shots[shot]
    assert s["models_visible"] == [True] * 4, s["models_visible"]
    assert s["models_scroll"] == 0, "no scroll bar over rows that all fit (the hidden pooled rows made one)"
    assert s["row_pitch"] == pytest.approx(s["row_maths"], abs=1), (s["row_pitch"], s["row_maths"])
