"""What the rendered-scenario scripts (run as ``python tests/<name>_scenario.py`` under Xvfb) share:
opening a real viewport on a panel, and rendering one frame with its callbacks run."""

from __future__ import annotations

from typing import Any

import dearpygui.dearpygui as dpg


def open_window(panel: Any, title: str = "costpanel test", width: int = 1280, height: int = 800) -> None:
    """A Dear PyGui context and a viewport showing ``panel`` as its primary window (as
    ``CostPanel.run()`` opens one, at a fixed size and without the input handlers)."""
    dpg.create_context()
    dpg.configure_app(manual_callback_management=True)
    panel.build()
    dpg.create_viewport(title=title, width=width, height=height, vsync=False)
    dpg.setup_dearpygui()
    dpg.show_viewport()
    dpg.set_primary_window(panel.tags("window"), True)


def frame() -> None:
    """Run the callbacks clicks queued, then render one frame."""
    jobs = dpg.get_callback_queue()
    if jobs:
        dpg.run_callbacks(jobs)
    dpg.render_dearpygui_frame()
