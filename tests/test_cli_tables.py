"""Terminal tables (cli/tables.py): at any width a name folds and a figure stays whole, never cut."""

from __future__ import annotations

import io
import re

import pytest
from cli_run import table_lines
from rich.console import Console

from costpanel.cli.tables import NAME_FLOOR, PROSE_WIDTH, Col, choose, layout, needed, print_table

COLS = [Col("Model", name=True), Col("Calls"), Col("Tokens"), Col("Cost"), Col("Unpriced calls"), Col("Notes", name=True)]
ROWS = [["claude-sonnet-4-5-20250929", "12,345", "1,226,321,458", "$1,844.58", "0", "retired 2025-07-21, batch"],
        ["gpt-4o-mini", "7", "90", "$0.0028", "3", ""],
        ["[bold]total[/]", "12,352", "1,226,321,548", "[bold]$1,844.58 +?[/]", "3"]]  # a short last row


def rendered(width: int, cols: list[Col] = COLS, rows: list[list[str]] = ROWS, shorter=None,
             soft_wrap: bool = True) -> tuple[str, bool]:
    out = Console(file=io.StringIO(), width=width, color_system=None, soft_wrap=soft_wrap)
    short = print_table(out, "Costs", cols, rows, shorter)
    return out.file.getvalue(), short  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [30, 45, 60, 70, 80, 100, 160])
def test_at_any_width_every_figure_is_whole_and_nothing_is_cut(width: int) -> None:
    text, _ = rendered(width)
    assert "…" not in text
    for figure in ("12,345", "1,226,321,458", "$1,844.58", "$0.0028", "1,226,321,548", "$1,844.58 +?"):
        assert figure in text, (width, text)
    first = "".join(line.split("│")[1].strip() for line in table_lines(text) if line.startswith("│"))
    assert "claude-sonnet-4-5-20250929" in first and "gpt-4o-mini" in first  # folded names, read in order


def test_a_table_that_fits_is_left_alone_and_one_that_does_not_fits_exactly_when_it_can() -> None:
    sizes, width = layout(COLS, ROWS, 160)
    assert sizes is None and width == 160
    text, _ = rendered(160)
    assert "Unpriced calls" in text and "claude-sonnet-4-5-20250929" in text  # headers and names on one line
    sizes, width = layout(COLS, ROWS, 100)
    assert sizes is not None and width == 100
    assert sizes[1:5] == [6, 13, 12, 8]  # figures at their widest (or their header's longest word)
    assert sizes[0] == 26 and sizes[5] == 16  # the first name whole before the notes get the rest
    assert max(map(len, table_lines(rendered(100)[0]))) == 100
    sizes, _ = layout(COLS, ROWS, 80)
    assert sizes is not None and sizes[0] == 12 and sizes[5] == NAME_FLOOR  # short of room: floors first


def test_a_table_wider_than_the_terminal_even_folded_is_printed_wider_not_cropped() -> None:
    sizes, width = layout(COLS, ROWS, 30)
    assert sizes is not None and width > 30
    assert sizes[0] == NAME_FLOOR and sizes[5] == NAME_FLOOR
    for soft_wrap in (True, False):  # (a console that crops its lines, too)
        text, _ = rendered(30, soft_wrap=soft_wrap)
        assert max(map(len, table_lines(text))) == width  # every column there, none cropped off
        assert "Notes" in text and "$0.0028" in text


def test_a_shorter_table_is_printed_only_when_the_full_one_does_not_fit() -> None:
    shorter = ([COLS[0], *COLS[2:4]], [[r[0], re.sub(r"[\d,]{9,}", "1.23B", r[2]), r[3]] for r in ROWS])
    text, short = rendered(160, shorter=shorter)
    assert not short and "1,226,321,458" in text
    text, short = rendered(50, shorter=shorter)
    assert short and "1.23B" in text and "Calls" not in text


def test_the_shorter_table_is_chosen_only_where_the_full_one_would_fold_its_names() -> None:
    """Headers folding is no reason to shorten figures: only names that would fold are."""
    shorter = ([COLS[0]], [[r[0]] for r in ROWS])
    width = needed(COLS, ROWS)  # headers folded ("Unpriced calls" -> 8), names whole
    assert width == 1 + sum(w + 3 for w in (26, 6, 13, 12, 8, 25))
    assert layout(COLS, ROWS, width)[0] is not None  # the natural table (headers on one line) is wider still
    assert choose(COLS, ROWS, shorter, width)[2] is False
    assert choose(COLS, ROWS, shorter, width - 1)[2] is True
    assert choose(COLS, ROWS, None, 10)[2] is False  # nothing shorter to give
    notes = [Col("Model", name=True), Col("Notes", name=True, prose=True)]
    long = [["gpt-4o", "x" * 200]]
    assert needed(notes, long) == 1 + 6 + 3 + PROSE_WIDTH + 3  # prose counts only so far: it folds past it
