"""Is there a display a viewport can open on? Asked in a child process, because a failed
display makes Dear PyGui abort the whole process instead of raising."""

from __future__ import annotations

import os
import subprocess
import sys

_PROBE = """
import dearpygui.dearpygui as dpg
dpg.create_context()
dpg.create_viewport(title="probe", width=64, height=64)
dpg.setup_dearpygui()
dpg.show_viewport()
dpg.render_dearpygui_frame()
dpg.destroy_context()
print("ok")
"""


def display_problem(timeout: float = 30.0) -> str | None:
    """None when a viewport opens here; otherwise why not, in words a user can act on."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no display (DISPLAY is not set)"
    try:
        probe = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"opening a window did not finish within {timeout:.0f} s"
    if probe.returncode != 0 or "ok" not in probe.stdout:
        detail = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or [f"exit code {probe.returncode}"]
        return f"a window could not be opened ({detail[0]})"
    return None
