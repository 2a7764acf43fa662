"""Shared fixtures: every test gets its own user config dir, so none reads or writes the real one."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from costpanel import CostTracker
from costpanel.pricing import Catalog, load_catalog


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    config = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("COSTPANEL_CONFIG_DIR", str(config))
    monkeypatch.setenv("COSTPANEL_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("COSTPANEL_PRICING", raising=False)
    yield config


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(overrides=False)


@pytest.fixture
def tracker(catalog: Catalog) -> CostTracker:
    return CostTracker(catalog)


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
