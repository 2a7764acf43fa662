"""Desktop notices (costpanel.notify) over a real D-Bus session bus to a notification server.

The bus is a real ``dbus-daemon --session`` started for the test; the server is a small
``org.freedesktop.Notifications`` service (dbus-fast, as desktop environments implement it) that
records what it was asked to show, so the test sees exactly what a desktop would have displayed.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("desktop_notifier", reason="the notify extra is not installed")
from notify_server import Notifications, wait_for  # noqa: E402 - with desktop-notifier's dbus-fast

from costpanel import notify  # noqa: E402

def test_notices_reach_the_desktops_notification_server_in_order(server: Notifications) -> None:
    notices = notify.DesktopNotices()
    assert notices.problem is None
    assert notices.send("costpanel: 80% of the session budget", "$8.00 of $10.00 spent")
    assert notices.send("costpanel: session budget exceeded", "$10.40 of $10.00 spent")
    notices.close(timeout=10)
    assert server.shown == [("costpanel", "costpanel: 80% of the session budget", "$8.00 of $10.00 spent"),
                            ("costpanel", "costpanel: session budget exceeded", "$10.40 of $10.00 spent")]
    assert (notices.sent, notices.problem) == (2, None)


def test_without_a_notification_server_the_notice_is_dropped_and_the_problem_said_once(session_bus: str) -> None:
    notices = notify.DesktopNotices()
    assert notices.send("costpanel: budget", "spent")
    assert wait_for(lambda: notices.problem is not None)
    assert notices.problem.startswith("desktop notifications unavailable:")  # type: ignore[union-attr]
    assert notices.send("again", "x") is False  # dropped at once from then on: never queued, never raised
    notices.close()
    assert notices.sent == 0


def test_without_the_extra_nothing_is_queued(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify, "available", lambda: False)
    notices = notify.DesktopNotices()
    assert notices.problem == "desktop notifications need: pip install 'costpanel[notify]'"
    assert notices.send("t", "m") is False
    assert notices._thread is None


def test_without_a_session_bus_the_problem_is_said_in_one_line_and_nothing_printed(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    notices = notify.DesktopNotices()
    assert notices.send("costpanel: budget", "spent")
    assert wait_for(lambda: notices.problem is not None)
    notices.close()
    assert notices.problem.startswith("desktop notifications unavailable:")  # type: ignore[union-attr]
    assert "FileNotFoundError" in notices.problem  # type: ignore[operator]  # the library's own reason, not a guess
    assert notices.sent == 0
    assert capfd.readouterr().err == ""  # desktop-notifier's traceback is not dumped on the terminal
