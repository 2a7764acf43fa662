"""``costpanel budget set|show``: daily and monthly budgets (``<config dir>/budgets.json``)."""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import Any

from .ledger_arg import db_arg
from .output import console, error, print_json


def add_parser(sub: Any) -> None:
    b = sub.add_parser("budget", help="daily and monthly budgets", description="Set or show budgets.")
    bsub = b.add_subparsers(dest="budget_command", metavar="ACTION")
    b.set_defaults(handler=None, parser=b)  # no ACTION: print this help (see main)
    s = bsub.add_parser("set", help="set budgets in USD (0 removes one)",
                        description="Set daily and/or monthly budgets in USD, in whole cents (5, 5.50, $5, "
                                    "1,000.50); 0 removes a budget.")
    s.add_argument("--daily", type=_amount, default=None, metavar="USD")
    s.add_argument("--monthly", type=_amount, default=None, metavar="USD")
    s.set_defaults(handler=run_set)
    show = bsub.add_parser("show", help="spent, remaining and projection against the budgets")
    show.add_argument("--db", type=db_arg, default=None, metavar="PATH", help="ledger file (default: COSTPANEL_DB or "
                      "the user data dir)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=run_show)


def _amount(text: str) -> Decimal:
    """The one money parser (:func:`costpanel.budgets.parse_amount`); 0 removes the budget."""
    from ..budgets import parse_amount

    try:
        return parse_amount(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_set(args: argparse.Namespace) -> int:
    from ..budgets import budget_conflict
    from ..ledger.budgets import Budgets, BudgetsFileError, budgets_path, load_budgets, save_budgets

    if args.daily is None and args.monthly is None:
        error("give --daily USD and/or --monthly USD (0 removes a budget)")
        return 2
    given = {f"{name}_usd": value or None  # 0 removes that budget
             for name, value in (("daily", args.daily), ("monthly", args.monthly)) if value is not None}
    if len(given) == 2:  # a replacement, even of a file that could not be read
        path = budgets_path()
        if path.is_dir():
            error(f"{path} is a folder, not a budgets file: remove it first")
            return 1
        budgets = Budgets(**given)
    else:  # keep the other budget: read it
        try:
            budgets = load_budgets().model_copy(update=given)
        except BudgetsFileError as exc:
            error(str(exc))
            return 1
    warning = budget_conflict(budgets.daily_usd, budgets.monthly_usd)
    try:
        path = save_budgets(budgets)
    except OSError as exc:
        error(f"cannot save budgets to {budgets_path()}: {exc.strerror or exc}; nothing changed")
        return 1
    if warning:
        console(stderr=True).print(f"warning: {warning}", markup=False)
    console().print(f"saved {path}", markup=False)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from ..budgets import budget_line_json, budget_line_text
    from ..ledger.budgets import BudgetsFileError, budget_lines, load_budgets
    from ..ledger.schema import LedgerError
    from .history import ledger_path, open_ledger

    try:
        path = ledger_path(args)
    except ValueError as exc:  # --db names a folder
        error(str(exc))
        return 2
    from .ledger_arg import named_ledger

    try:
        budgets = load_budgets()
        conn = open_ledger(args) if path.exists() else None  # no ledger yet: $0 spent, and no file made
        named = named_ledger(args)
        if conn is None and named is not None:  # named (--db, COSTPANEL_DB): a typo would read as $0 spent
            console(stderr=True).print(f"note: no ledger at {path} yet ({named[1]}): nothing spent there",
                                       markup=False, highlight=False)
        try:
            lines = budget_lines(conn, budgets)
        finally:
            if conn is not None:
                conn.close()
    except (BudgetsFileError, LedgerError) as exc:
        error(str(exc))
        return 1
    if args.json:
        print_json([budget_line_json(line) for line in lines])
        return 0
    out = console()
    for line in lines:
        out.print(budget_line_text(line), markup=False)
    return 0
