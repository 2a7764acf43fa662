"""Budgets: the one parser for amounts of money people type, levels, status, texts and alerts.

Used by the ledger (daily and monthly budgets), the CLI (``budget``, ``demo --budget``) and the
panel (its budget fields); no Dear PyGui and no ``gui`` import, so the arrows point one way.
Levels are decided on exact ``Decimal`` amounts, so $4.00 of $5.00 is WARN however floats round;
the float ``fraction`` is only for drawing a bar.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import NamedTuple

from .digits import DECIMAL_NUMBER
from .money import format_usd, format_usd_exact

CENT = Decimal("0.01")
MAX_BUDGET = Decimal(10**9)  # USD; also keeps every budget well inside Decimal's 28 digits
MONEY_EXAMPLES = "write e.g. 5, 5.50, $5 or 1,000.50"


class BudgetLevel(enum.IntEnum):
    """How much of the budget is spent; ordered, so ``level >= WARN`` reads naturally."""

    OK = 0
    WATCH = 1  # >= 50 %
    WARN = 2  # >= 80 %
    OVER = 3  # >= 100 %


# Lowest fraction of the budget at which each level starts, highest first.
THRESHOLDS: tuple[tuple[BudgetLevel, Decimal], ...] = (
    (BudgetLevel.OVER, Decimal(1)),
    (BudgetLevel.WARN, Decimal("0.8")),
    (BudgetLevel.WATCH, Decimal("0.5")),
)


# -- amounts typed by people -------------------------------------------------------------------------
def _problem(value: Decimal) -> str | None:
    if not value.is_finite() or value <= 0:
        return "must be a positive amount of USD"
    if value > MAX_BUDGET:
        return f"is implausibly large (at most {format_usd(MAX_BUDGET)})"
    if value != value.quantize(CENT):
        return "is not whole cents (at most 2 decimals, e.g. 5.50)"
    return None


def check_budget(value: Decimal) -> Decimal:
    """``value`` if it can be a budget: more than $0, whole cents, at most ``MAX_BUDGET``.

    Also the validator of every stored budget (``budgets.json``, ``panel.json``), so a file holds
    only what the parser accepts."""
    problem = _problem(value)
    if problem is not None:
        raise ValueError(f"a budget {problem}, got {value}")
    return value


def parse_amount(text: str) -> Decimal:
    """An amount of dollars as people type it (``5``, ``5.50``, ``$5``, ``1,000.50``), >= 0.

    Raises ValueError naming the text for anything else: negative, sub-cent (``5.005``), words,
    non-ASCII digits, exponents. ``0`` is returned as is: what it means is the caller's choice."""
    stripped = text.strip()
    body = stripped.removeprefix("$").strip()
    if body.startswith("-") or stripped.startswith("-"):
        raise ValueError(f"a budget must be positive, got {text!r}")
    if not DECIMAL_NUMBER.fullmatch(body):
        raise ValueError(f"not an amount of dollars: {text!r} ({MONEY_EXAMPLES})")
    value = Decimal(body.replace(",", "").replace("_", ""))
    problem = None if value == 0 else _problem(value)
    if problem is not None:
        raise ValueError(f"a budget {problem}, got {text!r}")
    return value


def parse_budget(text: str) -> Decimal | None:
    """A budget typed into the panel (or ``demo --budget``): None when left empty.

    Raises ValueError naming the text for anything that is not a positive amount of whole cents."""
    if not text.strip():
        return None
    value = parse_amount(text)
    if value == 0:
        raise ValueError(f"a budget must be more than $0, got {text!r} (leave it empty for no budget)")
    return value


def budget_conflict(daily: Decimal | None, monthly: Decimal | None) -> str | None:
    """A warning when the daily budget alone exceeds the monthly one (both still apply)."""
    if daily is not None and monthly is not None and daily > monthly:
        return (f"the daily budget ({format_usd(daily)}) is more than the monthly one ({format_usd(monthly)}): "
                "the monthly one is reached first")
    return None


# -- status against a budget -------------------------------------------------------------------------
def level_for(spent: Decimal, budget: Decimal) -> BudgetLevel:
    """The level of ``spent`` against a positive ``budget``, compared exactly."""
    for level, threshold in THRESHOLDS:
        if spent >= budget * threshold:
            return level
    return BudgetLevel.OK


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """What a budget bar and a budget line show."""

    budget: Decimal
    spent: Decimal
    fraction: float  # spent / budget; may exceed 1 (the bar clamps, the label does not)
    level: BudgetLevel
    remaining: Decimal  # negative once over budget

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: "100%" appears only once the budget is really reached."""
        return int((self.spent * 100 / self.budget).to_integral_value(rounding=ROUND_FLOOR))

    @property
    def amounts(self) -> str:
        """``$3.10 of $5.00``; a budget is said as set (whole cents: ``$0.02``, not ``$0.020``)."""
        return f"{format_usd(self.spent)} of {format_usd_exact(self.budget)}"

    @property
    def label(self) -> str:
        """``$3.10 of $5.00 (62%)``."""
        return f"{self.amounts} ({self.percent:,}%)"

    @property
    def left(self) -> str:
        """``$1.90 left``, or ``$0.22 over`` once the budget is exceeded (never ``-$0.22 left``)."""
        if self.remaining < 0:
            return f"{format_usd(-self.remaining)} over"
        return f"{format_usd(self.remaining)} left"


def budget_status(spent: Decimal, budget: Decimal | None) -> BudgetStatus | None:
    """The bar's state, or None when no budget is set."""
    if budget is None:
        return None
    if not budget.is_finite() or budget <= 0:
        raise ValueError(f"budget must be a positive amount of USD, got {budget}")
    return BudgetStatus(
        budget=budget,
        spent=spent,
        fraction=float(spent / budget),
        level=level_for(spent, budget),
        remaining=budget - spent,
    )


# -- daily and monthly budgets over the history ---------------------------------------------------------
class BudgetLine(NamedTuple):
    period: str  # "today" or "month"
    status: BudgetStatus | None  # None when no budget is set for the period
    spent: Decimal
    unpriced_calls: int
    projected: Decimal | None  # month-end spend at this month's daily average so far

    @property
    def name(self) -> str:
        return "Today" if self.period == "today" else "This month"


NO_BUDGET_HINT = "costpanel budget set --daily/--monthly USD"


def budget_line_text(line: BudgetLine, *, level: bool = True, hint: str = NO_BUDGET_HINT) -> str:
    """``Today: spent $3.25 of $5.00 (65%, $1.75 left) [WATCH]; projected month end $40.00; …``:
    the line ``costpanel budget show`` prints and the panel's History tab shows (without the level,
    which its bar's colour shows)."""
    text = f"{line.name}: spent {format_usd(line.spent)}"
    if line.status is not None:
        text += f" of {format_usd(line.status.budget)} ({line.status.percent:,}%, {line.status.left})"
        if level:
            text += f" [{line.status.level.name}]"
    else:
        text += f" (no budget set: {hint})"
    if line.projected is not None:
        text += f"; projected month end {format_usd(line.projected)}"
    if line.unpriced_calls:
        text += f"; {line.unpriced_calls:,} unpriced call(s) not included"
    return text


def budget_line_json(line: BudgetLine) -> dict[str, object]:
    """The same line for scripts (amounts as exact decimal strings)."""
    from .money import usd_str

    status = line.status
    return {
        "period": line.period, "spent_usd": usd_str(line.spent), "unpriced_calls": line.unpriced_calls,
        "budget_usd": usd_str(status.budget) if status else None,
        "remaining_usd": usd_str(status.remaining) if status else None,
        "percent": status.percent if status else None,
        "level": status.level.name if status else None,
        "projected_month_end_usd": usd_str(line.projected),
    }


# -- notices ---------------------------------------------------------------------------------------------
class BudgetAlerts:
    """Notices for crossing 80 % and 100 % of the budget, each given once until :meth:`rearm`.

    Call :meth:`check` on every new status and :meth:`rearm` on Reset or when the budget changes.
    """

    NOTICES: tuple[tuple[BudgetLevel, str], ...] = (
        (BudgetLevel.WARN, "Budget 80% reached"),
        (BudgetLevel.OVER, "Budget exceeded"),
    )

    def __init__(self) -> None:
        self._given: set[BudgetLevel] = set()

    def check(self, status: BudgetStatus | None) -> list[str]:
        """New notices for this status, lowest threshold first (a jump past both gives both)."""
        if status is None:
            return []
        notices = []
        for level, text in self.NOTICES:
            if status.level >= level and level not in self._given:
                self._given.add(level)
                notices.append(f"{text}: {status.amounts}")
        return notices

    def rearm(self) -> None:
        """Allow every notice again (a new session or a new budget)."""
        self._given.clear()
