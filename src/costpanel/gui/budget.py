"""The budget bar's colours. The budget maths (levels, status, parsing, alerts) is the domain
module :mod:`costpanel.budgets`, re-exported here for the panel's modules."""

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

RGB = tuple[int, int, int]

LEVEL_COLOURS: Mapping[BudgetLevel, RGB] = MappingProxyType({
    BudgetLevel.OK: (64, 160, 200),  # calm blue
    BudgetLevel.WATCH: (255, 191, 0),  # amber
    BudgetLevel.WARN: (255, 128, 0),  # orange
    BudgetLevel.OVER: (220, 40, 40),  # red
})

__all__ = ["LEVEL_COLOURS", "RGB", "THRESHOLDS", "BudgetAlerts", "BudgetLevel", "BudgetStatus", "budget_status",
           "level_for", "parse_budget"]
