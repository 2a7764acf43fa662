"""The real window under Xvfb: live data while rendering, screenshot, Reset, and the demo command.

Each rendered scenario runs in its own process (Dear PyGui allows one viewport per process, and a
broken display aborts the process). With CI=true these tests must run; elsewhere they skip with a
reason when no X server can be started.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ENABLE = ("install Xvfb and software OpenGL (apt-get install -y xvfb libgl1 libgl1-mesa-dri libglx-mesa0 xauth) "
          "to run the rendered panel tests, or run pytest under `xvfb-run -a`")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"rendered GUI tests must run in CI: {reason}")
    pytest.skip(f"{reason}; {ENABLE}")


@pytest.fixture
def display(xvfb: str) -> dict[str, str]:
    """The environment for a child process that draws: this test's own (its isolated user folders
    and ledger, see conftest) with the private Xvfb as its display."""
    env = {**os.environ, "DISPLAY": xvfb}
    env.pop("WAYLAND_DISPLAY", None)
    return env


@pytest.fixture(scope="session")
def xvfb() -> Iterator[str]:
    """A private Xvfb server for this test session (its DISPLAY), probed with a real viewport in a
    child process."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        _unavailable("Xvfb is not installed")
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        _unavailable("Xvfb did not start")
    env = {**os.environ, "DISPLAY": f":{number}"}
    env.pop("WAYLAND_DISPLAY", None)
    probe = subprocess.run([sys.executable, "-c", "from costpanel.gui.display import display_problem as p; "
                            "r = p(); print(r or 'ok'); raise SystemExit(0 if r is None else 1)"],
                           env=env, capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        server.kill()
        _unavailable(f"no viewport opens on Xvfb: {probe.stdout.strip()} {probe.stderr.strip()[-300:]}")
    try:
        yield env["DISPLAY"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def png_size_and_colours(path: Path) -> tuple[tuple[int, int], int]:
    from PIL import Image

    with Image.open(path) as img:
        rgb = img.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        return img.size, len(colours) if colours is not None else 1 << 20


@pytest.fixture(scope="module")
def scenario(xvfb: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("rendered")
    # The run's own user folders (conftest's pytest_configure), with a ledger-free tracker anyway.
    env = {**os.environ, "DISPLAY": xvfb, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    env.pop("WAYLAND_DISPLAY", None)
    run = subprocess.run([sys.executable, str(HERE / "rendered_scenario.py"), str(out), "12000"],
                         env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_panel_renders_while_a_thread_records_and_then_shows_the_exact_total(scenario: dict) -> None:
    assert scenario["events_sent"] == scenario["tracker_calls"] >= 10_000
    assert scenario["frames_while_recording"] >= 5, "frames were rendered while events arrived"
    assert scenario["shown_total_tip"] == scenario["tracker_total_exact"]
    assert scenario["shown_total"] == scenario["tracker_total"]
    assert scenario["unpriced_calls"] > 0 and scenario["shown_total"].endswith(" +?")  # the demo's unknown model
    assert {t: int(c.replace(",", "")) for t, c in scenario["shown_tiers"].items()} == scenario["tracker_tiers"]
    shown, tracked = scenario["shown_models"], scenario["tracker_models"]
    assert len(tracked) > 30, "the model table scrolls"
    assert {m: tracked[m] for m in shown} == shown, "every model row in view shows the tracker's cost"
    order = scenario["table_order"]  # the table's rows as drawn (its sort order, not the snapshot's)
    assert sorted(order) == sorted(tracked)
    assert order[0] in shown and order[-1] in shown, "top and bottom were seen"


def test_screenshot_has_the_window_size_and_is_not_blank(scenario: dict) -> None:
    size, colours = png_size_and_colours(Path(scenario["screenshot"]))
    assert list(size) == scenario["viewport"] == [1280, 800]
    assert colours > 50, f"only {colours} colours: the screenshot looks blank"


def test_reset_button_zeroes_header_and_tables_on_the_next_frame(scenario: dict) -> None:
    after = scenario["after_reset"]
    assert scenario["reset_modal_shown"] is True
    assert after["total"] == "$0.00"
    assert after["calls"] == "0 calls"
    assert after["models"] == []
    assert [row[2] for row in after["tiers"]] == ["0", "0", "0", "0"]


def test_demo_command_writes_a_screenshot_and_exits_0(display: dict[str, str], tmp_path: Path) -> None:
    shot = tmp_path / "demo.png"
    run = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--screenshot", str(shot), "--frames", "30"],
                         env=display, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    size, colours = png_size_and_colours(shot)
    assert size[0] >= 400 and size[1] >= 300
    assert colours > 50


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY only decides this on Linux")
def test_demo_without_a_display_says_how_to_get_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    run = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--screenshot", str(tmp_path / "x.png")],
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "xvfb-run" in run.stderr and "--headless" in run.stderr
    assert not (tmp_path / "x.png").exists()


def test_window_geometry_theme_and_scale_are_remembered_between_runs(display: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "panel.json").write_text(json.dumps({"width": 1000, "height": 700, "theme": "light", "font_scale": 1.5}))
    env = {**display, "COSTPANEL_CONFIG_DIR": str(config), "COSTPANEL_DATA_DIR": str(tmp_path / "data")}
    run = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--frames", "10"],
                         env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    saved = json.loads((config / "panel.json").read_text())
    assert (saved["width"], saved["height"]) == (1000, 700), "the window opened at, and saved, the remembered size"
    assert saved["theme"] == "light" and saved["font_scale"] == 1.5
    assert oct((config / "panel.json").stat().st_mode & 0o777) == "0o600"


def test_demo_with_a_config_folder_it_cannot_write_says_so_in_one_line_and_exits_1(display: dict[str, str],
                                                                                tmp_path: Path) -> None:
    from cli_run import immutable

    config = tmp_path / "config"
    config.mkdir()
    (config / "panel.json").write_text(json.dumps({"theme": "light"}))
    before = (config / "panel.json").read_bytes()
    env = {**display, "COSTPANEL_CONFIG_DIR": str(config), "COSTPANEL_DATA_DIR": str(tmp_path / "data")}
    with immutable(config):
        run = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--frames", "10", "--no-ledger"],
                             env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 1, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    (line,) = [x for x in run.stderr.splitlines() if "error" in x]
    assert f"panel settings not saved to {config / 'panel.json'}" in line
    assert (config / "panel.json").read_bytes() == before


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs a /proc that takes no new files")
def test_a_screenshot_the_system_does_not_write_is_one_error_line_not_wrote(display: dict[str, str]) -> None:
    run = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--no-ledger", "--frames", "10",
                          "--screenshot", "/proc/costpanel-shot.png"],
                         env=display, capture_output=True, text=True, timeout=180)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "wrote" not in run.stdout
    (line,) = run.stderr.strip().splitlines()
    assert "screenshot /proc/costpanel-shot.png was not written" in line


def test_with_one_tier_the_total_line_still_shows_beside_that_tiers_line(display: dict[str, str],
                                                                      tmp_path: Path) -> None:
    """A session with one tier has a total equal to it: the total is drawn first and wider, so the
    tier's line on top leaves it showing on both sides (else the total vanished under it)."""
    import time

    from PIL import Image

    from costpanel.gui.palette import PALETTES

    log = tmp_path / "calls.jsonl"
    now = time.time()
    log.write_text("".join(json.dumps({"ts": now - 60 + 7 * k, "model": "gpt-4o", "session": "s", "tier": "main",
                                       "usage": {"input": 100_000, "output": 1_000}, "id": f"c{k}"}) + "\n"
                           for k in range(8)))
    shot = tmp_path / "one.png"
    r = subprocess.run([sys.executable, "-m", "costpanel", "watch", str(log), "--format", "costpanel", "--no-ledger",
                        "--seconds", "2", "--theme", "dark", "--scale", "100", "--screenshot", str(shot)],
                       env=display, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    total = PALETTES["dark"].tier_lines[4]
    with Image.open(shot) as img:
        rgb = img.convert("RGB")
        # the plot under the tier table, left of the legend (whose swatch has the total's colour too)
        plot = rgb.crop((60, rgb.height * 2 // 5, rgb.width - 100, rgb.height - 40))
        data = plot.tobytes()
        seen = sum(1 for c in zip(data[0::3], data[1::3], data[2::3]) if sum(abs(a - b) for a, b in zip(c, total)) < 40)
    assert seen > 300, f"only {seen} pixels of the total's colour: hidden under the tier's line"


SHOT_SCRIPT = """
import json, sys, threading, time
from pathlib import Path
import dearpygui.dearpygui as dpg
from costpanel import CostTracker, Usage
from costpanel.gui import CostPanel

class Panel(CostPanel):
    def loop(self, **kw):  # what the chart holds when the picture is taken, before the window goes
        n = super().loop(**kw)
        self.chart_total = dpg.get_value(self.widgets.series["Total"])[1][-1]
        return n

tracker = CostTracker()
stop = threading.Event()
def record():
    while not stop.is_set():
        tracker.record("gpt-4o", Usage(input=100_000, output=1_000), tier="Tier 1")
        time.sleep(0.01)
threading.Thread(target=record).start()
threading.Timer(0.8, stop.set).start()  # recording ends well before the last frames
panel = Panel(tracker, persist_settings=False, detail_refresh_s=3600)  # the chart would never refresh by itself
panel.run(frames=120, screenshot=Path(sys.argv[1]), data_fps=60, idle_fps=60)  # ~2 s of frames
print(json.dumps({"chart_total": panel.chart_total, "total": float(tracker.snapshot().total_usd),
                  "calls": tracker.snapshot().calls}))
"""


def test_a_screenshot_shows_the_chart_as_up_to_date_as_the_total(display: dict[str, str], tmp_path: Path) -> None:
    """The chart refreshes less often than the header; the frames a screenshot is taken from
    refresh it too, so the picture's chart ends at the total shown above it."""
    r = subprocess.run([sys.executable, "-c", SHOT_SCRIPT, str(tmp_path / "shot.png")], env=display,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    assert seen["calls"] > 20, seen  # calls kept coming while the first frames were drawn
    assert seen["chart_total"] == pytest.approx(seen["total"], rel=1e-9), seen
