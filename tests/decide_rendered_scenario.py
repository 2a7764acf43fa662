"""Run in a child process under a display by test_panel_decide_rendered.py: the What if and Guards
tabs of a real window, read back from its widgets after real frames.

Calls (bundled prices): Tier 1 claude-sonnet-4-5 100,000 input + 5,000 output = $0.30 + $0.075 =
$0.375; Tier 2 gpt-4o 200,000 input = $0.50. Guards: session $1.00 (0.875 spent: 50 % and 80 %
crossed), tier:Tier 1 $0.30 (exceeded). Prints one JSON object with what it saw.
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from pathlib import Path

import dearpygui.dearpygui as dpg
from window import frame, open_window

from costpanel import CostTracker, Usage
from costpanel.guard_alerts import GuardAlerts, GuardSpec, attach
from costpanel.gui import CostPanel


def frames(panel: CostPanel, n: int) -> None:
    for _ in range(n):
        panel.update()
        frame()


def table(tag: str) -> list[list[str]]:
    rows = []
    for row in dpg.get_item_children(tag, 1) or ():
        if dpg.is_item_shown(row):
            rows.append([dpg.get_value(cell) for cell in dpg.get_item_children(row, 1) or ()
                         if dpg.get_item_type(cell) == "mvAppItemType::mvText"])  # not the cells' tooltips
    return rows


def shot(path: Path) -> None:
    dpg.output_frame_buffer(file=str(path))
    for _ in range(10):  # written on a later frame
        frame()
        if path.exists() and path.stat().st_size:
            return


def main(out: Path) -> dict[str, object]:
    tracker = CostTracker(ledger=out / "ledger.sqlite3")
    alerts = GuardAlerts()
    attach(tracker, [GuardSpec(Decimal(1), "session"), GuardSpec(Decimal("0.30"), "tier:Tier 1")], alerts)
    tracker.record("claude-sonnet-4-5", Usage(input=100_000, output=5_000), tier="Tier 1")
    tracker.record("gpt-4o", Usage(input=200_000), tier="Tier 2")
    tracker.ledger.flush()  # type: ignore[union-attr]
    panel = CostPanel(tracker, persist_settings=False, alerts=alerts)
    open_window(panel)
    frames(panel, 5)
    notices = dpg.get_value(panel.widgets.alert_text)

    t = panel.tags
    dpg.set_value(t("tabs"), t("tab", "whatif"))
    choices = dpg.get_item_configuration(t("whatif", "target"))["items"]
    dpg.set_value(t("whatif", "target"), "claude-haiku-4-5")
    panel.decide.pane.choose("claude-haiku-4-5")  # type: ignore[union-attr]  # what the combo's callback does
    frames(panel, 5)
    session = {"heading": dpg.get_value(t("whatif", "heading")), "rows": table(t("whatif", "table"))}
    shot(out / "whatif.png")

    panel.decide.pane.set_scope("today")  # type: ignore[union-attr]
    end = time.monotonic() + 30
    while time.monotonic() < end:
        frames(panel, 1)
        if "call by call" in dpg.get_value(t("whatif", "heading")):
            break
    history = {"heading": dpg.get_value(t("whatif", "heading")), "rows": table(t("whatif", "table"))}

    dpg.set_value(t("tabs"), t("tab", "guards"))
    frames(panel, 5)
    guards = {"rows": table(t("guards", "table")), "crossings": dpg.get_value(t("guards", "crossings"))}
    shot(out / "guards.png")
    dpg.destroy_context()
    tracker.close()
    return {"notices": notices, "choices_head": list(choices[:3]), "session": session, "history": history,
            "guards": guards, "shots": [str(out / "whatif.png"), str(out / "guards.png")]}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
