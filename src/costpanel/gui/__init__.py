"""The Dear PyGui panel. ``CostPanel`` (and only it) imports Dear PyGui, on first use.

Layering: ``viewmodel`` (plain Python: snapshot → texts, rows, series), ``format``, ``budget``
(the bar's colours; the budget maths is the domain module ``costpanel.budgets``), ``settings``
(no Dear PyGui, tested headless) → ``layout`` (builds widgets), ``theme``,
``panel`` (CostPanel: update loop, actions). The plain modules stay importable without Dear PyGui.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .panel import CostPanel

__all__ = ["CostPanel"]


def __getattr__(name: str) -> Any:
    if name == "CostPanel":
        from .panel import CostPanel

        return CostPanel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
