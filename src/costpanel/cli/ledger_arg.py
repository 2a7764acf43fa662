"""The ledger file a command is given: ``--db PATH``, else ``COSTPANEL_DB``, else the default one
in the user data dir; and why a file the user named cannot be a ledger, in one line (exit 2).

A typo must not leave folders behind, so the folder of a named ledger is never made (the default
ledger's is); and a path that cannot be a ledger is refused before anything is read or written.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def db_arg(text: str) -> Path:
    """``--db``'s type: an empty path (``--db ""``, an unset shell variable) would be the current
    folder, so it is refused by name."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"an empty path ({text!r}): give the ledger's file, e.g. ledger.sqlite3")
    return Path(text)


def named_ledger(args: argparse.Namespace) -> tuple[Path, str] | None:
    """The ledger file the user named, with where: ``--db``, else ``COSTPANEL_DB``; None for the
    default one (in the user data dir)."""
    if getattr(args, "db", None) is not None:
        return args.db, "--db"
    from ..ledger.sqlite_storage import ENV_DB

    env = os.environ.get(ENV_DB)
    return (Path(env), ENV_DB) if env else None


def ledger_problem(db: Path, source: str = "--db", *, reading: bool = False) -> str | None:
    """Why ``db``, a ledger file the user named (``source``: ``--db`` or ``COSTPANEL_DB``), can be
    neither read nor made: it is a folder, a file stands where one of its folders should be, or its
    folder does not exist. None when it is a file that exists or could be made. ``reading``: for a
    command that only reads it, where making the folder would not help."""
    path = db.expanduser()
    try:
        if path.is_dir():
            return f"{source} {db} is a folder: give the ledger's file, e.g. {db / 'ledger.sqlite3'}"
        folder = path.parent
        if folder.is_dir():
            return None
        for up in (folder, *folder.parents):  # the nearest part that exists tells the typo
            if up.exists():
                if not up.is_dir():
                    return f"{source} {db}: {up} is a file, not a folder (check the path)"
                break
    except OSError as exc:  # a folder on the way that may not be looked into
        return f"{source} {db}: cannot look into {exc.filename or path.parent} ({exc.strerror or exc})"
    advice = "check the path" if reading else "create it first, or check the path"
    return f"{source} {db}: the folder {folder} does not exist ({advice})"
