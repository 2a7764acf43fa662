"""Shared fixtures: every test gets its own user config dir, so none reads or writes the real one."""

from __future__ import annotations

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
