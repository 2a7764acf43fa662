"""The budget bar's colours and its one notice line. The budget maths (levels, status, parsing) is
the domain module :mod:`costpanel.budgets`, re-exported here for the panel's modules."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..budgets import (
    THRESHOLDS,
    BudgetAlerts,
    BudgetLevel,
    BudgetStatus,
    budget_status,
    level_for,
    parse_budget,
)
from .palette import DARK

RGB = tuple[int, int, int]

LEVEL_COLOURS: Mapping[BudgetLevel, RGB] = MappingProxyType(DARK.level_fill)  # the light theme's: palette.LIGHT


class BudgetNotice:
    """One budget notice at a time: 50 % is replaced by 80 %, 80 % by "exceeded". Dismissing hides
    the notice until a higher level is reached; :meth:`rearm` (Reset, a new budget) starts over."""

    TEXTS: Mapping[BudgetLevel, str] = MappingProxyType({
        BudgetLevel.WATCH: "Half of the budget spent",
        BudgetLevel.WARN: "80% of the budget spent",
        BudgetLevel.OVER: "Budget exceeded",
    })

    def __init__(self) -> None:
        self.level: BudgetLevel | None = None  # the highest level reached since the last rearm
        self.dismissed = False

    def update(self, status: BudgetStatus | None) -> str:
        """The notice to show for ``status`` ("" for none)."""
        if status is None or status.level not in self.TEXTS:
            return ""
        if self.level is None or status.level > self.level:
            self.level, self.dismissed = status.level, False
        if self.dismissed:
            return ""
        return f"{self.TEXTS[self.level]}: {status.amounts}"

    def dismiss(self) -> None:
        self.dismissed = True

    def rearm(self) -> None:
        self.level, self.dismissed = None, False


__all__ = ["LEVEL_COLOURS", "RGB", "THRESHOLDS", "BudgetAlerts", "BudgetLevel", "BudgetNotice", "BudgetStatus",
           "budget_status", "level_for", "parse_budget"]
