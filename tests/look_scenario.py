"""Screenshots of the panel at 100 % and 150 % in both themes, from one process (one viewport).

Run by test_panel_look_rendered.py (and by tools/screenshots.py for docs/): a session of known
calls, then for each theme x scale a few frames and a PNG. Prints one JSON object: the files and
what the panel showed (the total, the headers of the tier table that fit).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

import dearpygui.dearpygui as dpg
from window import frame, open_window

from costpanel import CostTracker, Usage
from costpanel.gui import CostPanel
from costpanel.gui.settings import PanelSettings
from costpanel.gui.viewmodel import TABLES

SHOTS = (("dark", 100), ("dark", 150), ("light", 100), ("light", 150))


def session(tracker: CostTracker) -> None:
    """Ten minutes of calls over four tiers, recorded with their times."""
    now = dt.datetime.now(dt.timezone.utc)
    plan = [("Tier 1", "claude-opus-4-1", Usage(input=40_000, cache_read=200_000, output=6_000)),
            ("Tier 2", "claude-sonnet-4-5", Usage(input=30_000, cache_read=120_000, cache_write=20_000, output=4_000)),
            ("Tier 3", "gpt-4o-mini", Usage(input=20_000, output=2_000)),
            ("Tier 4", "gemini-2.5-flash", Usage(input=50_000, output=3_000))]
    for k in range(120):
        tier, model, usage = plan[k % 4]
        tracker.record(model, usage, tier=tier, at=now - dt.timedelta(seconds=600 - 5 * k))


def frames(n: int) -> None:
    for _ in range(n):
        frame()


def models_tab(panel: CostPanel) -> dict[str, object]:
    """The Models tab as drawn: which model rows are in view, the rows' pitch against the maths'."""
    tags = panel.tags
    dpg.set_value(tags("tabs"), tags("tab", "models"))
    for _ in range(4):
        panel.update(force=True)
        frames(2)
    pool = panel.widgets.pools["models"]
    rows = [r for r in pool.rows if dpg.is_item_shown(r.tag)]
    visible = [dpg.is_item_visible(r.cells[0]) for r in rows]
    tops = [dpg.get_item_rect_min(r.cells[0])[1] for r in rows[:2]]
    scroll = dpg.get_y_scroll_max(tags("models", "table"))  # > 0: room to scroll past the rows shown
    dpg.set_value(tags("tabs"), tags("tab", "overview"))
    frames(2)
    return {"models_visible": visible, "row_pitch": tops[1] - tops[0] if len(tops) == 2 else None,
            "row_maths": panel._style.row, "models_scroll": scroll}


def main(out_dir: Path) -> dict[str, object]:
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=610)
    tracker = CostTracker(started_at=start)  # ten minutes old: burn rates and projection are shown
    session(tracker)
    panel = CostPanel(tracker, persist_settings=False, budget=Decimal(100), settings=PanelSettings())
    open_window(panel, "costpanel")
    shots = {}
    for theme, scale in SHOTS:
        panel.set_theme(theme)
        panel.set_font_scale(f"{scale}%")
        for _ in range(6):
            panel.update(force=True)
            frames(2)
        shot = out_dir / f"panel-{theme}-{scale}.png"
        if shot.exists():
            shot.unlink()
        dpg.output_frame_buffer(file=str(shot))
        for _ in range(60):
            frames(1)
            if shot.exists() and shot.stat().st_size > 0:
                break
            time.sleep(0.01)
        time.sleep(0.05)
        text_font = panel.themes.fonts[scale][0]
        widths = {t: [dpg.get_text_size(t, font=text_font)[0], panel._ui_metrics.width(t, panel._style.font)]
                  for t in ("Cache write", "$99,999,999.99 +?", "claude-sonnet-4-5")}
        plan = panel._plans["tiers"]
        headers = [c.label for c in TABLES["tiers"] if c.key in plan.shown]
        shots[f"{theme}-{scale}"] = {"file": str(shot), "headers": headers,
                                     "total": dpg.get_value(panel.widgets.big_cost),
                                     "widths": widths, **models_tab(panel)}
    dpg.destroy_context()
    return {"shots": shots}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
