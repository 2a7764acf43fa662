"""``costpanel report`` and ``costpanel export``: the ledger's history."""

from __future__ import annotations

import argparse
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

# The export and report modules (pydantic, sqlite) load in the handlers: building the parser for
# any command, `costpanel price` included, must not pay ~0.1 s for them.
from ..money import format_usd
from .ledger_arg import db_arg
from .output import console, error, print_json

# costpanel.ledger.queries.GROUPS, written out: importing the ledger's queries here would load sqlite
# for every command (tests/test_history_cli.py checks the two agree).
GROUPS = ("day", "model", "provider", "tier", "session", "project", "source", "variant")


def add_parsers(sub: Any) -> None:
    r = sub.add_parser("report", help="costs from the ledger, grouped", description="History from the ledger.")
    _common(r)
    r.add_argument("--by", choices=GROUPS, default="day",
                   help="group by (default day, in your local time zone, with a 7-day moving average)")
    r.add_argument("--top", type=_positive, default=None, metavar="N",
                   help="only the N costliest groups (e.g. the top sessions; not with --by day); the total row "
                        "then reads 'total (top N)' and a row 'all <groups>' gives the grand total")
    fmt = r.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="machine-readable output")
    fmt.add_argument("--csv", action="store_true", help="CSV output (spreadsheet-safe)")
    r.set_defaults(handler=run_report)

    e = sub.add_parser("export", help="write grouped history, or every call, for a range to a file",
                       description="Export history as CSV or JSON (file mode 0600): totals grouped by day, model, "
                                   "provider, tier, session, project, source or price variant (batch, "
                                   "priority …), or every call (--by call).")
    _common(e)
    e.add_argument("--format", choices=("csv", "json"), default=None,
                   help="file format (default: from FILE's extension, .csv or .json)")
    e.add_argument("--by", choices=(*GROUPS, "call"), default="day",
                   help="group by (default day), or 'call' for one row per recorded call")
    e.add_argument("--force", action="store_true", help="replace FILE if it exists")
    e.add_argument("file", metavar="FILE", help="the file to write, or - for stdout (with --format)")
    e.set_defaults(handler=run_export)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--range", default="7d", metavar="RANGE",
                   help="today, 7d, 30d (any Nd), month, all, or FROM..TO as YYYY-MM-DD..YYYY-MM-DD (default 7d)")
    p.add_argument("--db", type=db_arg, default=None, metavar="PATH",
                   help="ledger file (default: COSTPANEL_DB or the user data dir)")


def ledger_path(args: argparse.Namespace, *, reading: bool = True) -> Path:
    """The ledger file: ``--db``, else ``COSTPANEL_DB`` or the data dir. One that cannot be a ledger
    (a folder, a file in a missing folder: :func:`~.ledger_arg.ledger_problem`) is a usage error,
    a ValueError saying why."""
    from ..ledger.sqlite_storage import default_path
    from .ledger_arg import ledger_problem, named_ledger

    named = named_ledger(args)
    if named is not None:
        problem = ledger_problem(*named, reading=reading)
        if problem:
            raise ValueError(problem)
        return named[0].expanduser()
    path = default_path()
    if path.is_dir():
        raise ValueError(f"{path} is a folder (from the data folder): name the ledger's file, e.g. "
                         f"{path / 'ledger.sqlite3'}")
    return path


def open_ledger(args: argparse.Namespace) -> Any:
    """The ledger, read-only, after SQLite's integrity check: no figures from a damaged file."""
    from ..ledger.sqlite_storage import open_read_only

    return open_read_only(ledger_path(args), verify=True)


def _positive(text: str) -> int:
    """A whole number >= 1 in ASCII digits (``1_000`` allowed): ``int()`` alone would also take
    ``'７'``, ``' 7'`` or ``'+7'``."""
    import re

    value = int(text) if re.fullmatch(r"[0-9]+(?:_[0-9]+)*", text) else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1 (ASCII digits), got {text!r}")
    return value


class _Report(NamedTuple):
    span: Any
    rows: list[Any]  # ``--top`` applied
    discarded: Any
    averages: dict[str, Any] | None  # day reports: each day's 7-day moving average of cost (queries.Average)
    overall: Any  # with ``--top``: the total of every group, not only the top N; else None
    priced_by: dict[str, str] | None = None  # by model: what priced each model (``catalog``, ``genai-prices x.y.z``)
    approximate: int = 0  # calls whose source could only estimate the usage (Event.approximate)
    held: Any = None  # an empty range: (calls, first day, last day) of the whole ledger, or None


def _rows(args: argparse.Namespace) -> _Report:
    from ..ledger.queries import (
        approximate_calls,
        day_averages,
        discarded_total,
        held,
        parse_range,
        priced_by,
        report,
        total,
    )

    top = getattr(args, "top", None)
    if top is not None and args.by == "day":
        raise ValueError("--top picks the costliest groups: use it with --by "
                         + ", ".join(g for g in GROUPS if g != "day"))
    span = parse_range(args.range)
    conn = open_ledger(args)
    try:
        rows = report(conn, span, args.by)
        averages = day_averages(conn, span, rows) if args.by == "day" else None
        overall = total(rows, f"all {args.by}s") if top else None
        sources = priced_by(conn, span) if args.by == "model" else None
        return _Report(span, rows[:top] if top else rows, discarded_total(conn, span), averages, overall, sources,
                       approximate_calls(conn, span), None if rows else held(conn))
    finally:
        conn.close()


def _guarded(fn: Any, args: argparse.Namespace) -> int:
    import sqlite3

    from ..ledger.schema import LedgerError
    from ..ledger.sqlite_storage import damaged, default_path

    try:
        return int(fn(args))
    except LedgerError as exc:
        error(str(exc))
        return 1
    except sqlite3.DatabaseError as exc:  # a page damaged since the check, or one it cannot see
        error(str(damaged(args.db or default_path(), exc)))
        return 1
    except ValueError as exc:
        error(str(exc))
        return 2


def run_report(args: argparse.Namespace) -> int:
    return _guarded(_report, args)


def _report(args: argparse.Namespace) -> int:
    from ..ledger.queries import total
    from ..ledger.report_files import report_csv, report_json

    report = _rows(args)
    span, rows, discarded, averages, overall, sources = report[:6]
    top = getattr(args, "top", None)
    if args.json:
        print_json(report_json(span, args.by, rows, discarded, averages, top=top, overall=overall, priced_by=sources,
                               approximate=report.approximate))
        return 0
    if args.csv:
        print(report_csv(args.by, rows, averages, top=top, overall=overall, priced_by=sources), end="")
        return 0
    from rich.markup import escape

    from .tables import Col, print_table

    columns = [args.by.capitalize(), "Calls", "Tokens", "Cost", UNPRICED_COLUMN]
    searches = any(r.web_search for r in rows)  # a column only when some call searched
    if searches:
        columns.insert(3, "Web searches")
    if averages is not None:
        columns.append("7-day avg")
    if sources is not None:
        columns.append("Priced by")
    lines = []
    for r in rows:
        cells = [escape(r.key) if r.key else NONE_SHOWN, f"{r.calls:,}", f"{r.tokens:,}", _cost(r), f"{r.unpriced_calls:,}"]
        if searches:
            cells.insert(3, f"{r.web_search:,}")
        if averages is not None:
            cells.append(_cost_average(averages[r.key]))
        if sources is not None:
            cells.append(escape(sources.get(r.key, "—")))
        lines.append(cells)
    whole = total(rows, "total" if overall is None else f"total (top {top})")
    totals = (whole, overall) if overall is not None else (whole,)
    for row in totals:  # the top N's total, then everyone's
        lines.append([f"[bold]{row.key}[/]", f"{row.calls:,}", f"{row.tokens:,}",
                      *([f"{row.web_search:,}"] if searches else []), f"[bold]{_cost(row)}[/]",
                      f"{row.unpriced_calls:,}"])
    # A narrow terminal: token counts shortened (265M) and a column of zero unpriced calls left
    # out, so the names have room (said below the table)
    from ..gui import format as fmt

    narrow_columns = list(columns)
    narrow = [[*cells[:2], fmt.tokens(r.tokens, short=True), *cells[3:]] for cells, r in zip(lines, [*rows, *totals],
                                                                                            strict=True)]
    if not any(r.unpriced_calls for r in rows):
        at = columns.index(UNPRICED_COLUMN)
        del narrow_columns[at]
        for cells in narrow:
            del cells[at]
    out = console()
    title = f"Costs by {args.by}, range {span.label}{f', top {top}' if top else ''}"
    short = print_table(out, title, [Col(c, name=n == 0) for n, c in enumerate(columns)], lines,
                        ([Col(c, name=n == 0) for n, c in enumerate(narrow_columns)], narrow))
    if short:
        out.print(f"tokens shortened for a {out.width}-column terminal"
                  f"{'' if UNPRICED_COLUMN in narrow_columns else ' (no unpriced calls)'}; exact: a wider terminal, "
                  "--json or --csv")
    shown = [*rows, whole] if overall is None else [*rows, whole, overall]
    if any(not _shown_exactly(r.cost_usd) for r in shown):  # rows that look off by a cent are rounding, said so
        out.print("costs rounded for display (the total is the exact sum, rounded once); exact to 1e-12 USD: "
                  "--json or --csv")
    if discarded.calls:
        out.print(f"discarded fallback attempts: {discarded.calls:,} call{'s' * (discarded.calls != 1)}, {_cost(discarded)} "
                  "(not in the total)")
    if report.approximate:
        out.print(f"≈ {report.approximate:,} call(s) approximate: their source gave cache writes without the "
                  "5-minute/1-hour split (Claude Code telemetry), priced at the 5-minute rate")
    if not rows:
        out.print("no counted calls in this range (only the discarded attempts above)" if discarded.calls
                  else "no calls recorded in this range")
        if report.held is not None:  # history imported from months ago, say: where the calls are
            calls, first, last = report.held
            out.print(f"the ledger holds {calls:,} call(s) from {first} to {last}: try --range all "
                      f"(or --range {first}..{last})")
    return 0


NONE_SHOWN = "[dim](none)[/]"  # the group of calls without a project (or a provider): no name to show


def _shown_exactly(value: Decimal | None) -> bool:
    """Whether :func:`format_usd` shows ``value`` without rounding it."""
    if value is None:
        return True
    return Decimal(format_usd(value).replace("$", "").replace(",", "")) == abs(value)


UNPRICED_COLUMN = "Unpriced calls"


def _cost(r: Any) -> str:
    from ..gui import format as fmt  # the panel's words for a cost (plain Python)

    return fmt.cost(r.cost_usd, r.unpriced_calls)


def _cost_average(a: Any) -> str:
    """A 7-day average as a day's cost reads: ``unpriced`` when no call of its window has a price,
    ``+?`` when some lack one (never a bare $0 for unpriced spend)."""
    from ..gui import format as fmt

    return fmt.cost(a.usd, a.unpriced_calls)


def run_export(args: argparse.Namespace) -> int:
    return _guarded(_export, args)


def _export(args: argparse.Namespace) -> int:
    from ..ledger.report_files import report_file

    chosen = _export_target(args)
    if isinstance(chosen, int):
        return chosen
    target, fmt = chosen
    if args.by == "call":
        return _export_calls(args, target, fmt)
    span, rows, discarded, averages, _, sources, approximate, _ = _rows(args)
    if not _write(target, report_file(fmt, span, args.by, rows, discarded, averages, sources, approximate)):
        return 1
    if target is not None:
        console(stderr=True).print(f"wrote {len(rows)} row(s) to {target}")
    return 0


def _export_target(args: argparse.Namespace) -> tuple[Path | None, str] | int:
    """Where an export goes (None: stdout, for ``-``) and in which format; else the exit code,
    after saying why not. A bad range is said before a file that exists (exit 2, then 1)."""
    from ..export import format_of
    from ..ledger.queries import parse_range

    if args.file == STDOUT:  # `costpanel export --format csv - | …`
        if args.format is None:
            error("writing to stdout (-): say --format csv or --format json")
            return 2
        parse_range(args.range)
        return None, args.format
    target = Path(args.file).expanduser()
    named = format_of(target)
    fmt = args.format or named
    if target.is_dir() or args.file.endswith(("/", os.sep)):
        error(f"{target} is a folder: give a file name, e.g. {target / ('costs.' + (fmt or 'csv'))}")
        return 2
    if fmt is None:
        error(f"{target}: say --format csv or --format json (or name the file .csv or .json)")
        return 2
    if not target.parent.exists():
        error(f"{target.parent}: no such folder")
        return 2
    parse_range(args.range)
    if target.exists() and not args.force:
        error(f"{target} exists: add --force to replace it, or choose another file name")
        return 1
    if named is not None and named != fmt:
        console(stderr=True).print(f"note: writing {fmt.upper()} to a file named .{named}")
    return target, fmt


STDOUT = "-"  # export's FILE that means standard output


def _write(target: Path | None, data: Any) -> bool:
    """Write an export atomically (a failed write leaves the old file and no temp file), or to
    stdout (``target`` None); False after saying why it could not be written."""
    from ..paths import write_chunks, write_private_file

    if target is None:
        write_chunks(sys.stdout.buffer, data)
        sys.stdout.buffer.flush()
        return True
    try:
        write_private_file(target, data)
    except OSError as exc:  # an immutable or read-only file or folder, a full disk
        error(f"{target} cannot be written ({exc.strerror or exc}): make it and its folder writable "
              "(chmod u+w; chattr -i), or choose another file")
        return False
    return True


def _export_calls(args: argparse.Namespace, target: Path | None, fmt: str) -> int:
    from ..ledger.queries import calls_in, parse_range
    from ..ledger.report_files import calls_csv, calls_json

    span = parse_range(args.range)
    conn = open_ledger(args)
    count = 0

    def counted(rows: Any) -> Any:
        nonlocal count
        for r in rows:
            count += 1
            yield r

    try:
        calls = counted(calls_in(conn, span))
        if not _write(target, calls_csv(calls) if fmt == "csv" else calls_json(span, calls)):
            return 1
    finally:
        conn.close()
    if target is not None:
        console(stderr=True).print(f"wrote {count:,} call(s) to {target}")
    return 0
