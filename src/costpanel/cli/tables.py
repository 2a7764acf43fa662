"""Tables for the terminal that never cut a name or a figure.

Rich fits a table to a narrow terminal by cutting cells ("claude-o…", "265,491,…"), and when even
its narrowest columns are too wide, by cropping whole columns off. Here a table that fits is left
alone; one that does not keeps its figures whole (their headers fold at spaces) and folds its names
onto more lines; one that cannot fit even so is printed at the width it needs (the terminal wraps
its lines: ugly, but nothing is lost). A command may offer shorter figures for a narrow terminal
(``265M`` tokens), said under the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

NAME_FLOOR = 10  # a name keeps this many columns (a date, a short model name) before it folds
PROSE_WIDTH = 40  # a column of prose (notes) folds past this without the table counting as too wide
_EDGE = 3  # a column's padding (1 + 1) and the rule on its right; the table's left rule is 1 more

Rows = Sequence[Sequence[str]]  # each row's cells, rich markup; a total row may have fewer


@dataclass(frozen=True)
class Col:
    """A column: its header, and whether its cells are names (left, may fold) or figures (right,
    kept whole); ``prose``: a name column of notes, which folds past :data:`PROSE_WIDTH` even
    where the terminal has room for more (the table is then not too wide for it)."""

    header: str
    name: bool = False
    prose: bool = False


def _cell_len(cell: str) -> int:
    from rich.text import Text

    return Text.from_markup(cell).cell_len


def _word(header: str) -> int:
    return max(map(len, header.split()), default=0)


def _widest(cols: Sequence[Col], rows: Rows) -> list[int]:
    return [max((_cell_len(r[n]) for r in rows if n < len(r)), default=0) for n in range(len(cols))]


def _total(widest: list[int], cols: Sequence[Col], header: Callable[[str], int]) -> int:
    """The table's width with names whole (prose up to :data:`PROSE_WIDTH`), each header taking
    ``header(text)`` columns: its length on one line, or its longest word folded."""
    return 1 + sum(max(min(w, PROSE_WIDTH) if c.prose else w, header(c.header)) + _EDGE
                   for w, c in zip(widest, cols, strict=True))


def needed(cols: Sequence[Col], rows: Rows) -> int:
    """The width the table takes with its headers folded and its names whole (prose up to
    :data:`PROSE_WIDTH`): wider than the terminal, a shorter table is worth it."""
    return _total(_widest(cols, rows), cols, _word)


def layout(cols: Sequence[Col], rows: Rows, width: int) -> tuple[list[int] | None, int]:
    """(each column's fixed width, or None when the table fits as it is, headers and names on
    one line; the width it is printed at)."""
    widest = _widest(cols, rows)
    if _total(widest, cols, len) <= width:
        return None, width
    sizes = [max(w, _word(c.header)) for w, c in zip(widest, cols, strict=True)]  # headers fold
    names = [n for n, c in enumerate(cols) if c.name]
    floors = {n: min(sizes[n], NAME_FLOOR) for n in names}
    room = width - 1 - _EDGE * len(cols) - sum(s for n, s in enumerate(sizes) if n not in floors)
    spare = room - sum(floors.values())
    for n in names:  # in order: the first names (a model, a day) whole before later ones (notes)
        extra = max(0, min(sizes[n] - floors[n], spare))
        sizes[n] = floors[n] + extra
        spare -= extra
    return sizes, max(width, 1 + sum(s + _EDGE for s in sizes))


def choose(cols: Sequence[Col], rows: Rows, shorter: tuple[Sequence[Col], Rows] | None,
           width: int) -> tuple[Sequence[Col], Rows, bool]:
    """The table to show in ``width`` columns: ``shorter`` (shorter figures, fewer columns) only
    where the full one would fold its names, not merely its headers; and whether it is."""
    if shorter is None or needed(cols, rows) <= width:
        return cols, rows, False
    return shorter[0], shorter[1], True


def build(title: str, cols: Sequence[Col], rows: Rows, width: int) -> tuple[Any, int]:
    """The rich Table and the width to print it at."""
    from rich.table import Table

    sizes, print_width = layout(cols, rows, width)
    t = Table(title=title, title_justify="left")
    for n, c in enumerate(cols):
        fixed = {} if sizes is None else {"min_width": sizes[n], "max_width": sizes[n]}
        t.add_column(c.header, justify="left" if c.name else "right", overflow="fold", **fixed)
    for r in rows:
        t.add_row(*r)
    return t, print_width


def print_table(out: Any, title: str, cols: Sequence[Col], rows: Rows,
                shorter: tuple[Sequence[Col], Rows] | None = None) -> bool:
    """Print the table on ``out`` (a rich Console); ``shorter``: the same table with shorter
    figures (or fewer columns), printed instead where the full one would fold its names (see
    :func:`choose`). Returns whether it was."""
    cols, rows, short = choose(cols, rows, shorter, out.width)
    t, width = build(title, cols, rows, out.width)
    out.print(t, width=width, crop=False)
    return short
