"""Run in a child process under a display by test_panel_rendered.py (one viewport per process).

A worker thread records simulated calls while the main thread renders frames; then the scenario
checks what the window shows against the tracker, writes a screenshot, presses Reset, renders the
next frame and checks the zeros. Prints one JSON object with what it saw.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import dearpygui.dearpygui as dpg
from window import frame, open_window

from costpanel import CostTracker, Usage
from costpanel.gui import CostPanel
from costpanel.gui import format as fmt
from costpanel.pricing.retirement import is_retired
from costpanel.sim import Conductor


def texts(panel: CostPanel, name: str, *, in_view: bool = False) -> list[list[str]]:
    """Rows of a table; with ``in_view`` only those drawn on the last frame (what a user sees)."""
    rows = panel.widgets.pools[name].rows
    return [[dpg.get_value(c) for c in row.cells] for row in rows
            if dpg.is_item_shown(row.tag) and (not in_view or dpg.is_item_visible(row.cells[0]))]


def frames_for(panel: CostPanel, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        panel.update()
        frame()


def main(out_dir: Path, events: int) -> dict[str, object]:
    from costpanel.pricing.fallback import shared_fallback

    # genai-prices loaded up front (as in the test process): the simulated unknown model's row then
    # appears with its first call, not ~0.3 s later out of view (rows out of view are written only
    # when scrolled to, so a row added late reads '' here).
    shared_fallback().load()
    tracker = CostTracker()
    panel = CostPanel(tracker, persist_settings=False)
    open_window(panel)

    extra = sorted(e.id for e in tracker.catalog.models.values() if not e.free and not is_retired(e.retired))[:30]
    for name in extra:  # enough models that the model table scrolls
        tracker.record(name, Usage(input=1000, output=100), tier="Tier 3")
    conductor = Conductor(tracker, seed=3)
    worker = threading.Thread(target=conductor.run, args=(events,), kwargs={"workers": 2, "rate": 10_000})
    worker.start()
    frames_while_recording = 0
    while worker.is_alive():
        panel.update()
        frame()
        frames_while_recording += 1
    worker.join()
    tracker.settle()  # calls of names genai-prices was still looking up (its first load) are counted
    frames_for(panel, 0.3)  # a few more frames, as a user keeps watching: rows catch up

    snap = tracker.snapshot()
    shown_total_tip = dpg.get_value(panel.widgets.big_cost_tip).split("\n")[0]
    shown_total = dpg.get_value(panel.widgets.big_cost)
    tiers = texts(panel, "tiers")
    dpg.set_value(panel.tags("tabs"), panel.tags("tab", "models"))  # the model table has its own tab
    frames_for(panel, 0.3)
    table_order = [r[0].removesuffix(" [unpriced]") for r in texts(panel, "models")]  # as drawn, top to bottom
    models = texts(panel, "models", in_view=True)  # the top of the scrolling table...
    table = panel.tags("models", "table")
    dpg.set_y_scroll(table, dpg.get_y_scroll_max(table))
    frames_for(panel, 0.3)
    models += texts(panel, "models", in_view=True)  # ...and its bottom, after scrolling
    dpg.set_y_scroll(table, 0)
    dpg.set_value(panel.tags("tabs"), panel.tags("tab", "overview"))
    frames_for(panel, 0.2)

    shot = out_dir / "panel.png"
    dpg.output_frame_buffer(file=str(shot))
    for _ in range(30):
        frame()
        if shot.exists() and shot.stat().st_size > 0:
            break
        time.sleep(0.01)
    frame()

    # Press Reset as a user would: the button's callback opens the confirmation, its Reset confirms.
    reset_button = panel.tags("button", "reset")
    dpg.get_item_callback(reset_button)()
    modal_shown = dpg.get_item_configuration(panel.widgets.reset_modal)["show"]
    dpg.get_item_callback(panel.tags("reset", "confirm"))()
    panel.update()  # the next frame
    frame()
    after = {
        "total": dpg.get_value(panel.widgets.big_cost),
        "calls": dpg.get_value(panel.widgets.header["calls"]),
        "tiers": texts(panel, "tiers"),
    }
    dpg.set_value(panel.tags("tabs"), panel.tags("tab", "models"))  # the model table, once its tab is shown
    panel.update()
    frame()
    after["models"] = texts(panel, "models")
    width, height = dpg.get_viewport_client_width(), dpg.get_viewport_client_height()
    dpg.destroy_context()
    return {
        "events_sent": conductor.stats.calls + len(extra),
        "model_order": list(snap.by_model),
        "table_order": table_order,
        "frames_while_recording": frames_while_recording,
        "tracker_calls": snap.calls,
        # the total leaves out the unpriced calls, and says so (never a silent $0)
        "tracker_total_exact": f"{fmt.usd_exact(snap.total_usd)} exactly" + (
            f"; plus {snap.unpriced_calls:,} unpriced call(s) not included" if snap.unpriced_calls else ""),
        "tracker_total": fmt.usd(snap.total_usd) + (" +?" if snap.unpriced_calls else ""),
        "unpriced_calls": snap.unpriced_calls,
        "shown_total_tip": shown_total_tip,
        "shown_total": shown_total,
        "tracker_tiers": {t: r.calls for t, r in snap.by_tier.items()},
        "shown_tiers": {r[0]: r[2] for r in tiers},
        "tracker_models": {m: fmt.usd(r.cost_usd) for m, r in snap.by_model.items()},
        "shown_models": {r[0].removesuffix(" [unpriced]"): r[7] for r in models},
        "screenshot": str(shot),
        "viewport": [width, height],
        "reset_modal_shown": modal_shown,
        "after_reset": after,
    }


if __name__ == "__main__":
    result = main(Path(sys.argv[1]), int(sys.argv[2]))
    print(json.dumps(result))
