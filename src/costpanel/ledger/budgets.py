"""Daily and monthly budgets over the ledger's history, with a month-end projection.

The budget maths (status, levels, texts) is :mod:`costpanel.budgets`; this module reads and writes
``budgets.json`` and measures the spend against it."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from ..budgets import NO_BUDGET_HINT, BudgetLine, budget_status, check_budget
from ..money import units_to_usd
from ..paths import config_dir, write_private_file
from .queries import parse_range, report, total

Budget = Annotated[Decimal, AfterValidator(check_budget)]  # > $0, whole cents: what the parser accepts


class Budgets(BaseModel):
    """``<config dir>/budgets.json``."""

    model_config = ConfigDict(extra="forbid")
    daily_usd: Budget | None = None
    monthly_usd: Budget | None = None


class BudgetsFileError(ValueError):
    """``budgets.json`` cannot be used; the message names the file and how to fix it."""


def budgets_path() -> Path:
    return config_dir() / "budgets.json"


def load_budgets(path: Path | None = None) -> Budgets:
    """The saved budgets (none when there is no file). Raises BudgetsFileError for a file that
    cannot be used, and never changes it."""
    path = path or budgets_path()
    if path.is_dir():
        raise BudgetsFileError(f"{path} is a folder, not a budgets file: remove it, then set budgets with "
                               f"`{NO_BUDGET_HINT}`")
    fix = "correct it, delete it, or replace it by giving both budgets: `costpanel budget set --daily USD --monthly USD`"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Budgets()
    except OSError as exc:
        raise BudgetsFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise BudgetsFileError(f"{path}: not a budgets file (not UTF-8 text); {fix}") from None
    try:
        return Budgets.model_validate(json.loads(text, parse_float=Decimal))
    except ValidationError as exc:
        known = ", ".join(Budgets.model_fields)

        def say(e: Any) -> str:
            where = ".".join(map(str, e["loc"])) or "file"
            if e["type"] == "extra_forbidden":  # pydantic's "Extra inputs are not permitted"
                return f"{where}: not a key of a budgets file (the keys are {known})"
            return f"{where}: {e['msg'].removeprefix('Value error, ')}"

        problems = "; ".join(say(e) for e in exc.errors(include_url=False))
        raise BudgetsFileError(f"{path}: not a valid budgets file ({problems}); {fix}") from None
    except ValueError as exc:  # JSON syntax
        raise BudgetsFileError(f"{path}: not valid JSON ({exc}); {fix}") from None


def save_budgets(budgets: Budgets, path: Path | None = None) -> Path:
    """Write atomically (0600); raises OSError when the config folder cannot be written."""
    path = path or budgets_path()
    data = {k: (None if v is None else format(v, "f")) for k, v in budgets.model_dump().items()}
    write_private_file(path, (json.dumps(data, indent=2) + "\n").encode())
    return path


def budget_lines(conn: sqlite3.Connection | None, budgets: Budgets, *,
                 now: dt.datetime | None = None) -> list[BudgetLine]:
    """Today's and this month's spend against the budgets; ``conn`` None: no ledger yet, $0 spent."""
    now = now or dt.datetime.now().astimezone()
    lines = []
    for period, budget in (("today", budgets.daily_usd), ("month", budgets.monthly_usd)):
        spent_row = total(report(conn, parse_range(period, now=now), "day") if conn is not None else [])
        spent = units_to_usd(spent_row.cost_units)
        projected = None
        if period == "month":
            days = calendar.monthrange(now.year, now.month)[1]
            elapsed = (now - now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)).total_seconds() / 86400
            if elapsed > 0:
                projected = (spent / Decimal(str(elapsed)) * days).quantize(Decimal("0.01"))
        lines.append(BudgetLine(period, budget_status(spent, budget), spent, spent_row.unpriced_calls, projected))
    return lines
