"""``costpanel report`` and ``costpanel export``: the ledger's history."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..export import format_of
from ..ledger.report_files import report_csv, report_file, report_json
from ..money import format_usd
from .output import console, error, print_json


def add_parsers(sub: Any) -> None:
    r = sub.add_parser("report", help="costs from the ledger, grouped", description="History from the ledger.")
    _common(r)
    r.add_argument("--by", choices=("day", "model", "provider", "tier", "session"), default="day",
                   help="group by (default day, in your local time zone, with a 7-day moving average)")
    r.add_argument("--top", type=_positive, default=None, metavar="N",
                   help="only the N costliest groups (e.g. the top sessions; not with --by day)")
    fmt = r.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="machine-readable output")
    fmt.add_argument("--csv", action="store_true", help="CSV output (spreadsheet-safe)")
    r.set_defaults(handler=run_report)

    e = sub.add_parser("export", help="write grouped history, or every call, for a range to a file",
                       description="Export history as CSV or JSON (file mode 0600): totals grouped by day, model, "
                                   "provider, tier or session, or every call (--by call).")
    _common(e)
    e.add_argument("--format", choices=("csv", "json"), default=None,
                   help="file format (default: from FILE's extension, .csv or .json)")
    e.add_argument("--by", choices=("day", "model", "provider", "tier", "session", "call"), default="day",
                   help="group by (default day), or 'call' for one row per recorded call")
    e.add_argument("file", metavar="FILE")
    e.set_defaults(handler=run_export)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--range", default="7d", metavar="RANGE",
                   help="today, 7d, 30d (any Nd), month, all, or FROM..TO as YYYY-MM-DD..YYYY-MM-DD (default 7d)")
    p.add_argument("--db", type=Path, default=None, metavar="PATH",
                   help="ledger file (default: COSTPANEL_DB or the user data dir)")


def _open(args: argparse.Namespace) -> Any:
    from ..ledger.queries import open_read_only
    from ..ledger.store import default_path

    return open_read_only(args.db.expanduser() if args.db else default_path())


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _rows(args: argparse.Namespace) -> tuple[Any, list[Any], Any, dict[str, Any] | None]:
    """The range, its rows (``--top`` applied), the discarded total, and for day reports each
    day's 7-day moving average of cost."""
    from ..ledger.queries import discarded_total, moving_average, parse_range, report

    top = getattr(args, "top", None)
    if top is not None and args.by == "day":
        raise ValueError("--top picks the costliest groups: use it with --by model, provider, tier or session")
    span = parse_range(args.range)
    conn = _open(args)
    try:
        rows = report(conn, span, args.by)
        averages = {day: avg for day, _, avg in moving_average(rows)} if args.by == "day" else None
        return span, rows[:top] if top else rows, discarded_total(conn, span), averages
    finally:
        conn.close()


def _guarded(fn: Any, args: argparse.Namespace) -> int:
    from ..ledger.schema import LedgerError

    try:
        return int(fn(args))
    except LedgerError as exc:
        error(str(exc))
        return 1
    except ValueError as exc:
        error(str(exc))
        return 2


def run_report(args: argparse.Namespace) -> int:
    return _guarded(_report, args)


def _report(args: argparse.Namespace) -> int:
    from ..ledger.queries import total

    span, rows, discarded, averages = _rows(args)
    if args.json:
        print_json(report_json(span, args.by, rows, discarded, averages))
        return 0
    if args.csv:
        print(report_csv(args.by, rows, averages), end="")
        return 0
    from rich.markup import escape
    from rich.table import Table

    top = f", top {args.top}" if getattr(args, "top", None) else ""
    t = Table(title=f"Costs by {args.by}, range {span.label}{top}", title_justify="left")
    columns = [args.by.capitalize(), "Calls", "Tokens", "Cost", "Unpriced calls"]
    if averages is not None:
        columns.append("7-day avg")
    for col in columns:
        t.add_column(col, justify="left" if col == args.by.capitalize() else "right")
    for r in rows:
        cells = [escape(r.key), f"{r.calls:,}", f"{r.tokens:,}", _cost(r), f"{r.unpriced_calls:,}"]
        if averages is not None:
            cells.append(format_usd(averages.get(r.key)))
        t.add_row(*cells)
    whole = total(rows)
    t.add_row("[bold]total[/]", f"{whole.calls:,}", f"{whole.tokens:,}", f"[bold]{_cost(whole)}[/]",
              f"{whole.unpriced_calls:,}")
    out = console()
    out.print(t)
    if discarded.calls:
        out.print(f"discarded fallback attempts: {discarded.calls:,} calls, {_cost(discarded)} "
                  "(not in the total)")
    if not rows:
        out.print("no calls recorded in this range")
    return 0


def _cost(r: Any) -> str:
    text = format_usd(r.cost_usd)
    return f"{text} +?" if r.unpriced_calls and r.cost_usd is not None else text


def run_export(args: argparse.Namespace) -> int:
    return _guarded(_export, args)


def _export(args: argparse.Namespace) -> int:
    from ..paths import write_private_file

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
    if named is not None and named != fmt:
        console(stderr=True).print(f"note: writing {fmt.upper()} to a file named .{named}")
    if args.by == "call":
        return _export_calls(args, target, fmt)
    span, rows, discarded, averages = _rows(args)
    data = report_file(fmt, span, args.by, rows, discarded, averages)
    write_private_file(target, data)
    console(stderr=True).print(f"wrote {len(rows)} row(s) to {target}")
    return 0


def _export_calls(args: argparse.Namespace, target: Path, fmt: str) -> int:
    from ..ledger.queries import calls_in, parse_range
    from ..ledger.report_files import calls_csv, calls_json
    from ..paths import write_private_file

    span = parse_range(args.range)
    conn = _open(args)
    count = 0

    def counted(rows: Any) -> Any:
        nonlocal count
        for r in rows:
            count += 1
            yield r

    try:
        calls = counted(calls_in(conn, span))
        write_private_file(target, calls_csv(calls) if fmt == "csv" else calls_json(span, calls))
    finally:
        conn.close()
    console(stderr=True).print(f"wrote {count:,} call(s) to {target}")
    return 0
