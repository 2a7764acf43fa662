"""User folders. Environment variables override platformdirs, so tests and CI never touch a
real home directory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from typing import BinaryIO
from pathlib import Path

ENV_CONFIG_DIR = "COSTPANEL_CONFIG_DIR"
ENV_DATA_DIR = "COSTPANEL_DATA_DIR"
ENV_CACHE_DIR = "COSTPANEL_CACHE_DIR"


def config_dir() -> Path:
    """Price overrides, panel settings, budgets (``COSTPANEL_CONFIG_DIR`` overrides platformdirs)."""
    env = os.environ.get(ENV_CONFIG_DIR)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("costpanel", appauthor=False))


def data_dir() -> Path:
    """Exports and (later) the ledger (``COSTPANEL_DATA_DIR`` overrides platformdirs)."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("costpanel", appauthor=False))


def cache_dir() -> Path:
    """Files costpanel can rebuild at will, e.g. the compiled price catalog
    (``COSTPANEL_CACHE_DIR`` overrides platformdirs)."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("costpanel", appauthor=False))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0700; folders that exist are left alone.

    (``mkdir(mode=...)`` is masked by the umask and ignored for parents, hence the chmod per folder.)
    """
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by someone else: theirs to keep as it is
            continue
        os.chmod(folder, 0o700)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a folder")
    return path


def write_chunks(out: BinaryIO, data: bytes | Iterable[str]) -> None:
    """``data`` (bytes, or text chunks encoded as UTF-8 as they come) written to ``out``."""
    if isinstance(data, bytes):
        out.write(data)
        return
    for chunk in data:
        out.write(chunk.encode("utf-8"))


def write_private_file(path: Path, data: bytes | Iterable[str]) -> None:
    """Replace ``path`` with ``data`` (bytes, or text chunks written as they come: large exports
    need not fit in memory) atomically (temp file + ``os.replace``), mode 0600.

    Readers see the old file or the new one, never half of one; a failed write leaves no temp file.
    """
    import tempfile  # here, not at the top: it costs ~7 ms, and reading prices needs none of it

    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # created 0600
    try:
        with os.fdopen(fd, "wb") as f:
            write_chunks(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
