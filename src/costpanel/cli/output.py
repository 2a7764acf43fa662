"""Printing helpers: JSON for scripts, rich tables for people."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def console(stderr: bool = False) -> Any:
    from rich.console import Console  # rich is imported only by commands that print tables

    c = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not c.is_terminal:  # piped or captured: rich would assume 80 columns and squeeze tables
        c = Console(stderr=stderr, highlight=False, soft_wrap=True, width=160)
    return c


def error(message: str) -> None:
    from rich.markup import escape

    console(stderr=True).print(f"[bold red]error:[/] {escape(message)}")


def pricing_problems(exc: Any) -> str:
    """A PricingError for the terminal: one line for one problem, a list for several."""
    if len(exc.problems) == 1:
        return f"invalid pricing data: {exc.problems[0]}"
    return str(exc)


def catalog_or_none() -> Any:
    """The catalog, or None after printing why it could not be loaded (exit code 1)."""
    from ..pricing import PricingError, load_catalog

    try:
        return load_catalog()
    except PricingError as exc:
        error(pricing_problems(exc))
        return None
