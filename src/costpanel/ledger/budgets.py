"""Daily and monthly budgets over the ledger's history, with a month-end projection."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..gui.budget import BudgetStatus, budget_status
from ..money import units_to_usd
from ..paths import config_dir, write_private_file
from .queries import parse_range, report, total


class Budgets(BaseModel):
    """``<config dir>/budgets.json``."""

    model_config = ConfigDict(extra="forbid")
    daily_usd: Decimal | None = Field(default=None, gt=0)
    monthly_usd: Decimal | None = Field(default=None, gt=0)


def budgets_path() -> Path:
    return config_dir() / "budgets.json"


def load_budgets(path: Path | None = None) -> Budgets:
    path = path or budgets_path()
    if not path.exists():
        return Budgets()
    try:
        return Budgets.model_validate(json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal))
    except (ValueError, ValidationError) as exc:
        raise ValueError(f"{path}: not a valid budgets file ({exc})") from None


def save_budgets(budgets: Budgets, path: Path | None = None) -> Path:
    path = path or budgets_path()
    data = {k: (None if v is None else format(v, "f")) for k, v in budgets.model_dump().items()}
    write_private_file(path, (json.dumps(data, indent=2) + "\n").encode())
    return path


class BudgetLine(NamedTuple):
    period: str  # "today" or "month"
    status: BudgetStatus | None  # None when no budget is set for the period
    spent: Decimal
    unpriced_calls: int
    projected: Decimal | None  # month-end spend at this month's daily average so far


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
