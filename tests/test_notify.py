"""Desktop notices (costpanel.notify) over a real D-Bus session bus to a notification server.

The bus is a real ``dbus-daemon --session`` started for the test; the server is a small
``org.freedesktop.Notifications`` service (dbus-fast, as desktop environments implement it) that
records what it was asked to show, so the test sees exactly what a desktop would have displayed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("desktop_notifier", reason="the notify extra is not installed")
from dbus_fast.aio import MessageBus  # noqa: E402 - installed with desktop-notifier
from dbus_fast.service import ServiceInterface, method, signal  # noqa: E402

from costpanel import notify  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None and not os.environ.get("CI"),
                                reason="no dbus-daemon here (CI installs it)")


class Notifications(ServiceInterface):  # the freedesktop.org notification spec, minimal
    def __init__(self) -> None:
        super().__init__("org.freedesktop.Notifications")
        self.shown: list[tuple[str, str, str]] = []
        self.arrived = threading.Event()

    @method()
    def Notify(self, app_name: "s", replaces_id: "u", app_icon: "s", summary: "s", body: "s",  # type: ignore[valid-type]  # noqa: N802, F821
               actions: "as", hints: "a{sv}", expire_timeout: "i") -> "u":  # type: ignore[valid-type]  # noqa: F821, F722
        self.shown.append((app_name, summary, body))
        self.arrived.set()
        return len(self.shown)

    @method()
    def GetCapabilities(self) -> "as":  # type: ignore[valid-type]  # noqa: N802, F821, F722
        return ["body"]

    @method()
    def GetServerInformation(self) -> "ssss":  # type: ignore[valid-type]  # noqa: N802, F821
        return ["test", "costpanel", "1", "1.2"]

    @method()
    def CloseNotification(self, id: "u"):  # type: ignore[valid-type, no-untyped-def]  # noqa: N802, F821, A002, ANN201
        return None

    @signal()
    def NotificationClosed(self) -> "uu":  # type: ignore[valid-type]  # noqa: N802, F821
        return [0, 0]

    @signal()
    def ActionInvoked(self) -> "us":  # type: ignore[valid-type]  # noqa: N802, F821
        return [0, ""]


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address"],
                              stdout=subprocess.PIPE, text=True)
    try:
        address = daemon.stdout.readline().strip()  # type: ignore[union-attr]
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
    finally:
        daemon.terminate()
        daemon.wait(5)
        daemon.stdout.close()  # type: ignore[union-attr]


@pytest.fixture
def server(session_bus: str) -> Iterator[Notifications]:
    service = Notifications()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def serve() -> None:
        bus = await MessageBus(bus_address=session_bus).connect()
        bus.export("/org/freedesktop/Notifications", service)
        await bus.request_name("org.freedesktop.Notifications")
        holder["bus"] = bus
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(serve(), loop)
    assert ready.wait(10), "the notification server did not start"
    yield service
    asyncio.run_coroutine_threadsafe(_disconnect(holder["bus"]), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


async def _disconnect(bus: MessageBus) -> None:
    bus.disconnect()
    await bus.wait_for_disconnect()


def wait_for(condition: Any, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_notices_reach_the_desktops_notification_server_in_order(server: Notifications) -> None:
    notices = notify.DesktopNotices()
    assert notices.problem is None
    assert notices.send("costpanel: 80 % of the session budget", "$8.00 of $10.00 spent")
    assert notices.send("costpanel: session budget exceeded", "$10.40 of $10.00 spent")
    notices.close(timeout=10)
    assert server.shown == [("costpanel", "costpanel: 80 % of the session budget", "$8.00 of $10.00 spent"),
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


def test_without_a_session_bus_the_problem_is_said(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    notices = notify.DesktopNotices()
    assert notices.send("costpanel: budget", "spent")
    assert wait_for(lambda: notices.problem is not None)
    notices.close()
    assert notices.problem.startswith("desktop notifications unavailable:")  # type: ignore[union-attr]
    assert notices.sent == 0
