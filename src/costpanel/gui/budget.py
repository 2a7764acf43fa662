"""The session budget: its bar (level, colour, label), parsing what the user types, one-shot alerts.

Levels are decided on exact ``Decimal`` amounts, so $4.00 of $5.00 is WARN however floats round;
the float ``fraction`` is only for drawing the bar.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from types import MappingProxyType

from .format import usd

RGB = tuple[int, int, int]


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

LEVEL_COLOURS: Mapping[BudgetLevel, RGB] = MappingProxyType({
    BudgetLevel.OK: (64, 160, 200),  # calm blue
    BudgetLevel.WATCH: (255, 191, 0),  # amber
    BudgetLevel.WARN: (255, 128, 0),  # orange
    BudgetLevel.OVER: (220, 40, 40),  # red
})

# 5 · 5.00 · $5 · $ 5 · 1,000.50 · .5 (commas only as thousands separators)
_AMOUNT = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+")


def level_for(spent: Decimal, budget: Decimal) -> BudgetLevel:
    """The level of ``spent`` against a positive ``budget``, compared exactly."""
    for level, threshold in THRESHOLDS:
        if spent >= budget * threshold:
            return level
    return BudgetLevel.OK


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """What the budget bar shows for one snapshot."""

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
        """``$3.10 of $5.00``."""
        return f"{usd(self.spent)} of {usd(self.budget)}"

    @property
    def label(self) -> str:
        """``$3.10 of $5.00 (62%)``."""
        return f"{self.amounts} ({self.percent:,}%)"


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


def parse_budget(text: str) -> Decimal | None:
    """The budget typed by the user (``5``, ``5.00``, ``$5``, ``1,000.50``); None when left empty.

    Raises ValueError naming the text for anything that is not a positive amount of dollars.
    """
    stripped = text.strip()
    if not stripped:
        return None
    body = stripped.removeprefix("$").strip()
    if body.startswith("-") or stripped.startswith("-"):
        raise ValueError(f"a budget must be positive, got {text!r}")
    if not _AMOUNT.fullmatch(body):
        raise ValueError(f"not an amount of dollars: {text!r} (write e.g. 5, 5.00, $5 or 1,000.50)")
    try:
        value = Decimal(body.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError(f"not an amount of dollars: {text!r}") from None
    if value == 0:
        raise ValueError(f"a budget must be more than $0, got {text!r}")
    return value


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
