"""The What if and Guards tabs in a real window under Xvfb (tests/decide_rendered_scenario.py):
the figures the widgets show after real frames, hand-computed from the bundled prices."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_panel_rendered import png_size_and_colours, xvfb  # noqa: F401 - the session's Xvfb

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def seen(xvfb: str, tmp_path_factory: pytest.TempPathFactory) -> dict:  # noqa: F811
    out = tmp_path_factory.mktemp("decide")
    env = {**os.environ, "DISPLAY": xvfb, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    env.pop("WAYLAND_DISPLAY", None)
    run = subprocess.run([sys.executable, str(HERE / "decide_rendered_scenario.py"), str(out)],
                         env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_guard_crossings_appear_as_notices_each_guards_latest(seen: dict) -> None:
    """One call crossed 50 %, 80 % and 100 % of the Tier 1 guard: its notice says the last (each
    crossing stays listed in the Guards tab); the session guard's 80 % took its 50 %'s place."""
    assert seen["notices"].splitlines() == [
        "Guard: Tier 1 budget reached: $0.38 of $0.30 spent",
        "Guard: 80% of the session budget: $0.88 of $1.00 spent",
    ]


def test_the_what_if_tab_reprices_the_session_per_tier_with_the_hand_computed_figures(seen: dict) -> None:
    assert seen["choices_head"][:2] == ["Cheapest of my list", "Cheapest per tier"]
    assert seen["session"]["heading"] == "This session: every tier on claude-haiku-4-5"
    # Tier 1: $0.375 -> 100k x $1 + 5k x $5 per 1M = $0.125; Tier 2: $0.50 -> 200k x $1 = $0.20
    rows = {r[0]: r[1:7] for r in seen["session"]["rows"]}
    assert rows["Tier 1"] == ["claude-haiku-4-5", "1", "$0.38", "$0.13", "-$0.25", "-66.67%"]
    assert rows["Tier 2"] == ["claude-haiku-4-5", "1", "$0.50", "$0.20", "-$0.30", "-60.00%"]
    assert rows["Total"] == ["claude-haiku-4-5", "2", "$0.88", "$0.33", "-$0.55", "-62.86%"]


def test_a_history_range_is_repriced_from_the_ledger_in_the_tab(seen: dict) -> None:
    assert seen["history"]["heading"] == "History today: every tier on claude-haiku-4-5 (call by call, exact)"
    assert {r[0]: r[1:7] for r in seen["history"]["rows"]}["Total"] == [
        "claude-haiku-4-5", "2", "$0.88", "$0.33", "-$0.55", "-62.86%"]


def test_the_guards_tab_lists_each_guard_and_its_crossings(seen: dict) -> None:
    assert seen["guards"]["rows"] == [["Session", "$0.88", "$1.00", "87%", "80%"],
                                      ["Tier 1", "$0.38", "$0.30", "125%", "exceeded"]]
    assert seen["guards"]["crossings"].splitlines()[-1] == "80% of the session budget: $0.88 of $1.00 spent"


def test_both_tabs_were_pictured(seen: dict) -> None:
    for path in seen["shots"]:
        size, colours = png_size_and_colours(Path(path))
        assert size == (1280, 800) and colours > 8, path
