"""A real D-Bus session bus and a small org.freedesktop.Notifications server for the tests
(tests/test_notify.py, tests/test_guard_alerts.py): what a desktop would have shown is recorded."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
import contextlib
import os
from collections.abc import Iterator
from typing import Any

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method, signal


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


def wait_for(condition: Any, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@contextlib.contextmanager
def session_bus() -> Iterator[str]:
    """A private ``dbus-daemon --session``; DBUS_SESSION_BUS_ADDRESS points at it meanwhile."""
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address"],
                              stdout=subprocess.PIPE, text=True)
    before = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    try:
        address = daemon.stdout.readline().strip()  # type: ignore[union-attr]
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        yield address
    finally:
        if before is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = before
        daemon.terminate()
        daemon.wait(5)
        daemon.stdout.close()  # type: ignore[union-attr]


@contextlib.contextmanager
def notification_server(address: str) -> Iterator[Notifications]:
    """The server on the bus at ``address``, in a thread of its own, until the block ends."""
    service = Notifications()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def serve() -> None:
        bus = await MessageBus(bus_address=address).connect()
        bus.export("/org/freedesktop/Notifications", service)
        await bus.request_name("org.freedesktop.Notifications")
        holder["bus"] = bus
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(serve(), loop)
    try:
        assert ready.wait(10), "the notification server did not start"
        yield service
    finally:
        if "bus" in holder:
            asyncio.run_coroutine_threadsafe(_disconnect(holder["bus"]), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


async def _disconnect(bus: MessageBus) -> None:
    bus.disconnect()
    await bus.wait_for_disconnect()
