"""Running the real ``costpanel`` command in tests: a subprocess, its one-line errors, and folders
made unwritable even for root."""

from __future__ import annotations

import contextlib
import os
import re
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


def on_a_terminal(args: list[str], columns: int, env: dict[str, str] | None = None) -> str:
    """What ``python -m costpanel ARGS`` writes to a terminal ``columns`` wide (a pty), escapes and all."""
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, **(env or {}), "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
    with subprocess.Popen([sys.executable, "-m", "costpanel", *args], stdout=follower, stderr=subprocess.PIPE,
                          env=env) as proc:
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end closed with the process
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(timeout=30) == 0, proc.stderr.read()  # type: ignore[union-attr]
    os.close(leader)
    return out.decode(errors="replace")


ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def terminal_text(args: list[str], columns: int, env: dict[str, str] | None = None) -> str:
    """:func:`on_a_terminal` without its escape sequences: the text a user reads."""
    return ESCAPES.sub("", on_a_terminal(args, columns, env))


def table_lines(text: str) -> list[str]:
    """The lines of ``text`` that belong to a table (its rules and rows), not the notes under it."""
    return [line for line in text.splitlines() if line[:1] in "┏┃┡│└"]
