"""The Dear PyGui panel. Importing ``costpanel.gui`` imports Dear PyGui; nothing else in costpanel does.

Layering: ``viewmodel`` (plain Python: snapshot → texts, rows, series), ``format``, ``budget``,
``settings`` (no Dear PyGui, tested headless) → ``layout`` (builds widgets), ``theme``,
``panel`` (CostPanel: update loop, actions).
"""

from .panel import CostPanel

__all__ = ["CostPanel"]
