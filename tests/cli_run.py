"""Running the real ``costpanel`` command in tests: a subprocess, its one-line errors, and folders
made unwritable even for root."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def costpanel(*args: str, env: dict[str, str] | None = None, columns: int = 200) -> subprocess.CompletedProcess[str]:
    """``python -m costpanel ARGS`` with this interpreter (so the code under test), output captured."""
    return subprocess.run([sys.executable, "-m", "costpanel", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": str(columns), **(env or {})}, timeout=60)


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    """The error a handler printed: exactly one line, no traceback."""
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """Root ignores file modes: only the immutable attribute makes a file or folder unwritable here."""
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available on this file system")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def unlistable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """``folder`` cannot be listed (``os.scandir`` refuses it, as for a folder without read
    permission): no file mode stops root, who runs the suite."""
    real = os.scandir

    def scandir(path: object) -> object:
        if os.fspath(path) == str(folder):  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", str(folder))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
