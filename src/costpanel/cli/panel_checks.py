"""What a command that opens the panel (``demo``, ``watch``) checks before it starts anything:
a ``--db`` that cannot be a ledger, and a display a window can open on; then the tracker it records
into, its ledger checked. Each says why in one line."""

from __future__ import annotations

import argparse
from typing import Any

from .ledger_arg import ledger_problem, named_ledger
from .output import error, pricing_problems


def unusable_ledger(args: argparse.Namespace) -> bool:
    """The ledger named (``--db``, else ``COSTPANEL_DB``) cannot be one (a folder, a file in a
    folder that does not exist …) and a ledger is wanted: said in one line, and True."""
    named = named_ledger(args)
    if named is None or args.no_ledger:
        return False
    problem = ledger_problem(*named)
    if problem:
        error(problem)
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


def open_tracker(args: argparse.Namespace, session: str, **options: Any) -> Any:
    """The tracker the command records into (``options``: more of ``CostTracker``'s), with the
    ledger ``--db`` names (or the default one; none with ``--no-ledger``), a damaged one refused
    before anything is added to it. None after saying why in one line (the command exits 1)."""
    from ..ledger import LedgerError
    from ..pricing import PricingError
    from ..tracker import CostTracker

    try:  # (a damaged ledger is refused by the tracker's ledger before anything is written)
        return CostTracker(ledger=None if args.no_ledger else (args.db or True), session=session, **options)
    except PricingError as exc:
        error(*pricing_problems(exc))
    except LedgerError as exc:
        error(f"{exc} (use --no-ledger to run without one)")
    return None
