"""Printing helpers: JSON for scripts, rich tables for people, and a plain boxed list where rich's
import and first print (~40 ms) would be most of a short command's own time."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def box(title: str, rows: list[tuple[str, str]]) -> str:
    """A two-column table (labels left, figures right) in the box characters rich draws (ASCII on a
    stdout that cannot encode them), ``title`` above it, control characters escaped: a summary of
    counts, for a command whose run time is the point."""
    rows = [(printable(label), printable(value)) for label, value in rows]
    left = max((len(label) for label, _ in rows), default=0)
    right = max((len(value) for _, value in rows), default=0)
    try:
        "┌─┬┐│└┴┘".encode(sys.stdout.encoding or "utf-8")
        tl, h, t, tr, v, bl, b, br = "┌─┬┐│└┴┘"
    except (LookupError, UnicodeEncodeError):
        tl, h, t, tr, v, bl, b, br = "+-++|+++"
    lines = [printable(title), f"{tl}{h * (left + 2)}{t}{h * (right + 2)}{tr}"]
    lines += [f"{v} {label:<{left}} {v} {value:>{right}} {v}" for label, value in rows]
    lines.append(f"{bl}{h * (left + 2)}{b}{h * (right + 2)}{br}")
    return "\n".join(lines)


def printable(text: str) -> str:
    """``text`` with control characters (a file name's escape sequence, say) shown as escapes,
    never sent to the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def console(stderr: bool = False) -> Any:
    from rich.console import Console  # rich is imported only by commands that print tables

    c = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not c.is_terminal:  # piped or captured: rich would assume 80 columns and squeeze tables
        c = Console(stderr=stderr, highlight=False, soft_wrap=True, width=160)
    return c


def error(message: str, details: Sequence[str] = ()) -> None:
    """``error: message`` on stderr, then each of ``details`` indented on a line of its own (each
    made printable: a path's escapes are shown, not run; a newline inside one stays visible)."""
    from rich.markup import escape

    out = console(stderr=True)
    out.print(f"[bold red]error:[/] {escape(printable(message))}")
    for line in details:
        out.print(f"  {escape(printable(line))}")


def pricing_problems(exc: Any) -> tuple[str, list[str]]:
    """A PricingError for the terminal: one line for one problem; for several, a head line and
    one line each (as `costpanel pricing check` lists them)."""
    if len(exc.problems) == 1:
        return f"invalid pricing data: {exc.problems[0]}", []
    return f"invalid pricing data ({len(exc.problems)} problems):", list(exc.problems)


def catalog_or_none() -> Any:
    """The catalog, or None after printing why it could not be loaded (exit code 1)."""
    from ..pricing import PricingError, load_catalog

    try:
        return load_catalog()
    except PricingError as exc:
        error(*pricing_problems(exc))
        return None
