"""The test suite never touches the user's files: a pytest run started with ``COSTPANEL_DB``,
``COSTPANEL_DATA_DIR``, ``COSTPANEL_CONFIG_DIR`` and ``COSTPANEL_CACHE_DIR`` pointing at a user's
real ledger and folders leaves them exactly as they were (bytes and modification times), whatever
its tests record."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import costpanel
from costpanel import CostTracker, Usage
from costpanel.pricing import Catalog

CHILD_TEST = '''
import os
import subprocess
import sys

import pytest

from costpanel import CostTracker, Usage
from costpanel.ledger import default_path
from costpanel.ledger.budgets import Budgets, save_budgets


def test_a_test_that_records_into_the_default_ledger_and_saves_budgets():
    tracker = CostTracker(ledger=True)
    tracker.record("gpt-4o", Usage(input=1, output=1), tier="Tier 1")
    tracker.close(end_session=True)
    save_budgets(Budgets(daily_usd=1))
    assert default_path().exists()


@pytest.fixture(scope="session")
def early_env():
    # A session fixture runs before the per-test isolation: an environment copied here (as a
    # fixture for child processes may do) must still point away from the user's files.
    return dict(os.environ)


def test_a_child_process_given_an_environment_copied_before_the_tests_ran(early_env):
    r = subprocess.run([sys.executable, "-m", "costpanel", "demo", "--headless", "--seconds", "0.2"],
                       env=early_env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "demo-" in r.stdout
'''


def state(*paths: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``paths``: its bytes and modification time (ns)."""
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*")))]
    return {str(f): (f.read_bytes(), f.stat().st_mtime_ns) for f in files if f.is_file()}


def test_a_test_run_leaves_the_users_ledger_and_folders_as_they_were(tmp_path: Path, catalog: Catalog) -> None:
    user = tmp_path / "user"
    ledger, data, config = user / "ledger" / "mine.sqlite3", user / "data", user / "config"
    cache = user / "cache"
    for folder in (data, config, cache):
        folder.mkdir(parents=True)
    tracker = CostTracker(catalog, ledger=ledger, session="users-own")
    tracker.record("gpt-4o", Usage(input=1000, output=100), tier="Tier 1")
    tracker.close()
    (config / "budgets.json").write_text('{"daily_usd": "5", "monthly_usd": null}\n')
    (cache / "catalog.pickle").write_bytes(b"the user's own compiled catalog")
    before = state(ledger.parent, data, config, cache)

    run = tmp_path / "run"  # a tiny test file beside a copy of this suite's conftest
    run.mkdir()
    shutil.copy(Path(__file__).with_name("conftest.py"), run / "conftest.py")
    (run / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    (run / "test_child.py").write_text(CHILD_TEST)
    env = {**os.environ, "COSTPANEL_DB": str(ledger), "COSTPANEL_DATA_DIR": str(data),
           "COSTPANEL_CONFIG_DIR": str(config), "COSTPANEL_CACHE_DIR": str(cache), "PYTHONPATH": str(Path(costpanel.__file__).parents[1])}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(run)], cwd=run, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "2 passed" in r.stdout, r.stdout + r.stderr
    assert state(ledger.parent, data, config, cache) == before
