"""Desktop notifications (optional: the ``notify`` extra, desktop-notifier): a budget guard's
80 % and 100 % crossings reach the user while the panel is hidden behind an editor.

A guard's callback runs on the thread that recorded the call, which must never wait on D-Bus (or
on importing desktop-notifier, ~0.1 s): notices go through a small queue to one background thread
that sends them. Without the extra, a session bus or a notification server, notices are dropped and
:attr:`DesktopNotices.problem` says why once (the panel shows it); nothing raises.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import queue
import threading
from typing import Any

log = logging.getLogger(__name__)

_QUEUE = 16  # notices waiting; more are dropped (a guard crosses each threshold once)
_STOP = None


# desktop-notifier keeps its D-Bus connection and event loop for good (it has no close): one per
# session bus for the process, used by one thread at a time, rather than one per DesktopNotices.
_notifiers: dict[str, Any] = {}
_notifiers_lock = threading.Lock()


class _Failures(logging.Filter):
    """desktop-notifier logs a failed notice with its traceback at WARNING (on stderr in a CLI):
    kept here instead, so the one line of :attr:`DesktopNotices.problem` says it."""

    def __init__(self) -> None:
        super().__init__()
        self.last: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() != "Notification failed":
            return True
        exc = record.exc_info[1] if record.exc_info else None
        self.last = f"{type(exc).__name__}: {exc}" if exc is not None else record.getMessage()
        return False


_failures = _Failures()


def _send(app_name: str, title: str, message: str) -> bool:
    """Whether the desktop took the notice (desktop-notifier logs a failure rather than raising)."""
    dispatched: list[bool] = []
    with _notifiers_lock:
        logger = logging.getLogger("desktop_notifier.backends.base")
        if _failures not in logger.filters:
            logger.addFilter(_failures)
        _failures.last = None
        key = f"{os.environ.get('DBUS_SESSION_BUS_ADDRESS', '')}\0{app_name}"
        notifier = _notifiers.get(key)
        if notifier is None:
            from desktop_notifier import DesktopNotifierSync

            notifier = _notifiers[key] = DesktopNotifierSync(app_name=app_name)
        notifier.send(title=title, message=message, on_dispatched=lambda: dispatched.append(True))
    return bool(dispatched)


def available() -> bool:
    """Whether desktop-notifier is installed (``pip install 'costpanel[notify]'``)."""
    return importlib.util.find_spec("desktop_notifier") is not None


class DesktopNotices:
    """Sends ``(title, message)`` notices from a background thread, in order, dropping any when
    notifications cannot be shown. ``close()`` sends what is waiting (within ``timeout``)."""

    def __init__(self, app_name: str = "costpanel") -> None:
        self.app_name = app_name
        self.sent = 0
        self.problem: str | None = None if available() else "desktop notifications need: pip install 'costpanel[notify]'"
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue(_QUEUE)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, title: str, message: str) -> bool:
        """Queue a notice; False when it is dropped (no notifications here, or too many waiting)."""
        if self.problem is not None:
            return False
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="costpanel-notices", daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait((title, message))
        except queue.Full:
            return False
        return True

    def close(self, timeout: float = 2.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            try:
                self._queue.put(_STOP, timeout=timeout)
            except queue.Full:
                return
            thread.join(timeout)

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            if self.problem is not None:
                continue  # drained: a notice never blocks the queue
            title, message = item
            try:
                if _send(self.app_name, title, message):
                    self.sent += 1
                    continue
                why = _failures.last or "no notification service took it (no desktop session?)"
            except Exception as exc:  # noqa: BLE001 - no session bus, no server: say it once, go on
                why = f"{type(exc).__name__}: {exc}"
            self.problem = f"desktop notifications unavailable: {why}"
            log.info("%s", self.problem)  # the panel shows it; a terminal session needs no warning
