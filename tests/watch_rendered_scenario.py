"""Run in a child process under a display by test_watch.py: the panel fed by a real Watcher.

A folder of costpanel event logs (main and subagent calls, two projects) is watched; the window is
rendered while a line is appended; then the filter shows one project. Prints one JSON object with
what the window showed and what the trackers hold.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import dearpygui.dearpygui as dpg
from window import open_window

from costpanel import CostTracker
from costpanel.gui import CostPanel
from costpanel.gui.viewmodel import WatchFeed
from costpanel.integrations import jsonl
from costpanel.integrations.watch import Root, Views, Watcher


def event(n: int, tier: str, project: str) -> str:
    return json.dumps({"ts": time.time(), "model": "claude-sonnet-4-5", "session": "s1", "tier": tier,
                       "project": project, "usage": {"input": 1000 * n, "output": 100}, "id": f"c{n}"}) + "\n"


def frames(panel: CostPanel, until: object, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        jobs = dpg.get_callback_queue()
        if jobs:
            dpg.run_callbacks(jobs)
        panel.update()
        dpg.render_dearpygui_frame()
        if until():  # type: ignore[operator]
            return
    raise SystemExit(f"timed out waiting for {until.__doc__}: tiers {tier_rows(panel)}, "
                     f"sources {dpg.get_value(panel.widgets.sources)!r}")


def tier_rows(panel: CostPanel) -> list[list[str]]:
    return [[dpg.get_value(c) for c in row.cells] for row in panel.widgets.pools["tiers"].rows if dpg.is_item_shown(row.tag)]


def main(folder: Path, shot: Path) -> dict[str, object]:
    log = folder / "run.jsonl"
    log.write_text(event(1, "main", "shop") + event(2, "subagent", "shop"))
    tracker = CostTracker()
    views = Views(tracker.catalog)
    watcher = Watcher(tracker, [Root(folder, (jsonl,))], views=views)
    watcher.start()
    assert watcher.ready.wait(10)
    panel = CostPanel(tracker, persist_settings=False, feed=WatchFeed(watcher.stats, views.names, views.get))
    open_window(panel, "costpanel watch test")
    try:
        frames(panel, lambda: len(tier_rows(panel)) == 2)
        with log.open("a") as f:
            f.write(event(3, "main", "blog"))
        sources = panel.widgets.sources
        frames(panel, lambda: "| 3 calls" in dpg.get_value(sources) and tracker.snapshot().calls == 3
               and [r[2] for r in tier_rows(panel)] == ["2", "1"])
        for _ in range(10):  # a few more frames, as a user keeps watching: every widget catches up
            panel.update()
            dpg.render_dearpygui_frame()
        everything = {"tiers": tier_rows(panel), "sources": dpg.get_value(sources),
                      "choices": dpg.get_item_configuration(panel.widgets.source_filter)["items"],
                      "total_tip": dpg.get_value(panel.widgets.big_cost_tip).split("\n")[0]}
        dpg.output_frame_buffer(file=str(shot))
        panel.set_source_filter("costpanel / blog")
        blog = views.get("costpanel / blog")
        frames(panel, lambda: len(tier_rows(panel)) == 1)
        filtered = {"tiers": tier_rows(panel), "total_tip": dpg.get_value(panel.widgets.big_cost_tip).split("\n")[0]}
        frames(panel, lambda: shot.exists() and shot.stat().st_size > 0, timeout=5)
    finally:
        watcher.stop()
        dpg.destroy_context()
    from costpanel.gui import format as fmt

    return {"all": everything, "blog": filtered,
            "tracker_total_tip": f"{fmt.usd_exact(tracker.snapshot().total_usd)} exactly",
            "blog_total_tip": f"{fmt.usd_exact(blog.snapshot().total_usd)} exactly",
            "tracker_tiers": {t: r.calls for t, r in tracker.snapshot().by_tier.items()}}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
