"""What a command that opens the panel (``demo``, ``watch``) checks before it starts anything:
a ``--db`` that is a folder, and a display a window can open on. Each says why in one line."""

from __future__ import annotations

import argparse

from .output import error


def db_is_a_folder(args: argparse.Namespace) -> bool:
    """``--db`` names a folder (and a ledger is wanted): said, and True."""
    if args.db is not None and not args.no_ledger and args.db.expanduser().is_dir():
        error(f"--db {args.db} is a folder: give the ledger's file, e.g. {args.db / 'ledger.sqlite3'}")
        return True
    return False


def no_display(args: argparse.Namespace, command: str, headless_does: str) -> bool:
    """The panel is wanted but no window can open here: said (with what to do instead), and True."""
    if args.headless:
        return False
    from ..gui.display import display_problem

    problem = display_problem()
    if problem is None:
        return False
    error(f"cannot open the panel: {problem}; run it under a virtual display (`xvfb-run -a costpanel {command} …`, "
          f"Debian package xvfb) or use `costpanel {command} --headless` {headless_does}")
    return True
