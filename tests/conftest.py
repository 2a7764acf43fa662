"""Shared fixtures: every test gets its own user config dir, so none reads or writes the real one."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any
from pathlib import Path

import pytest

from costpanel import CostTracker
from costpanel.pricing import Catalog, load_catalog


def pytest_configure(config: pytest.Config) -> None:
    """Before any fixture runs (a session-scoped one may copy the environment for its child
    processes before the per-test isolation below): the whole run's user folders, cache and ledger
    point at a folder of its own, and prices at the bundled ones only."""
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="costpanel-tests-"))
    os.environ["COSTPANEL_CONFIG_DIR"] = str(root / "config")
    os.environ["COSTPANEL_DATA_DIR"] = str(root / "data")
    os.environ["COSTPANEL_DB"] = str(root / "data" / "ledger.sqlite3")
    (root / "data").mkdir()  # a COSTPANEL_DB in a folder that does not exist is refused, as a user's typo
    # One compiled-catalog cache for the whole run (keyed by file contents, so sharing it is safe,
    # and child processes then skip the ~0.2 s build); tests of the cache itself use their own.
    os.environ["COSTPANEL_CACHE_DIR"] = str(root / "cache")
    os.environ.pop("COSTPANEL_PRICING", None)


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Config and data dirs of the test's own; no ``COSTPANEL_DB`` (the default ledger is then in
    that data dir) and no ``COSTPANEL_PRICING``: a user's real ledger and prices stay untouched."""
    config = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("COSTPANEL_CONFIG_DIR", str(config))
    monkeypatch.setenv("COSTPANEL_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("COSTPANEL_DB", raising=False)
    monkeypatch.delenv("COSTPANEL_PRICING", raising=False)
    yield config


@pytest.fixture(scope="session", autouse=True)
def genai_prices_loaded() -> None:
    """The process's genai-prices fallback loaded up front: a name the catalog lacks is then
    resolved inside record() (once), so tests of unknown names see their calls counted at once.
    The pending path (calls recorded while it loads) is tested with a fallback of its own in
    tests/test_fallback.py."""
    from costpanel.pricing.fallback import shared_fallback

    shared_fallback().load()


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(overrides=False)


@pytest.fixture
def tracker(catalog: Catalog) -> CostTracker:
    return CostTracker(catalog)


@pytest.fixture
def make_unwritable() -> Iterator[Callable[[Path], None]]:
    """``make_unwritable(path)``: a file or folder nobody can change until the test ends — even
    root, who ignores file modes: as root ``chattr +i`` (immutable), otherwise ``chmod a-w``."""
    done: list[tuple[Path, int]] = []
    as_root = os.geteuid() == 0

    def lock(path: Path) -> None:
        mode = stat.S_IMODE(path.stat().st_mode)
        if as_root:
            try:
                r = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
            except FileNotFoundError:
                pytest.skip("chattr is not installed (Debian package e2fsprogs)")
            if r.returncode:
                pytest.skip(f"this file system cannot make {path} immutable: {r.stderr.strip()}")
        else:
            os.chmod(path, mode & ~0o222)
        done.append((path, mode))

    yield lock
    for path, mode in reversed(done):
        if as_root:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            os.chmod(path, mode)


class Clock:
    """costpanel's view of time, moved only by the test: ``time.time`` and ``time.monotonic``
    return fixed values until :meth:`advance`. Calls in such a test pass ``at=`` (a call without it
    is timed by the real clock), so every figure derived from time is known in advance."""

    START = 1_773_144_000.0  # 2026-03-10 12:00:00 UTC

    def __init__(self) -> None:
        self.wall = self.START
        self.mono = 500_000.0  # any value: only differences of it are used

    def time(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds

    def ago(self, seconds: float) -> dt.datetime:
        """The aware UTC instant ``seconds`` before the clock's now."""
        return dt.datetime.fromtimestamp(self.wall - seconds, dt.timezone.utc)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A frozen clock for costpanel; create the tracker after taking this fixture."""
    c = Clock()
    monkeypatch.setattr(time, "time", c.time)
    monkeypatch.setattr(time, "monotonic", c.monotonic)
    return c


@pytest.fixture
def session_bus() -> Iterator[str]:
    """A private D-Bus session bus (tests/notify_server.py; needs dbus-daemon and the notify extra)."""
    pytest.importorskip("desktop_notifier", reason="the notify extra is not installed")
    if shutil.which("dbus-daemon") is None and not os.environ.get("CI"):
        pytest.skip("no dbus-daemon here (CI installs it)")
    from notify_server import session_bus as bus

    with bus() as address:
        yield address


@pytest.fixture
def server(session_bus: str) -> Iterator[Any]:
    """A notification server on :func:`session_bus`, recording what a desktop would show."""
    from notify_server import notification_server

    with notification_server(session_bus) as service:
        yield service
