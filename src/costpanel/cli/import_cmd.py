"""``costpanel import``: backfill the ledger from agent logs (Claude Code, Codex, Gemini CLI, JSONL)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .output import box, catalog_or_none, error, print_json, printable
from .format_check import warn_other_formats
from .ledger_arg import db_arg

# costpanel.integrations.registry's names, written out: the parser must not import the sources
# (tests/test_import.py checks the two agree).
SOURCES = ("claude-code", "codex", "gemini-cli", "costpanel", "all")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("import", help="backfill the ledger from Claude Code, Codex or Gemini CLI logs",
                       description="Read agent session logs into the ledger, each call priced exactly. Running it "
                                   "again adds nothing: a call already stored is a duplicate, unless its new line "
                                   "has more tokens (a streaming partial completed), which replaces it.")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="log files or folders (default: every default location of the chosen sources)")
    p.add_argument("--source", choices=SOURCES, default=None,
                   help="whose logs they are (default all: detected per file)")
    p.add_argument("--format", choices=("costpanel",), default=None,
                   help="costpanel: the plain JSONL event line format (the same as --source costpanel)")
    p.add_argument("--db", type=db_arg, default=None, metavar="PATH",
                   help="ledger file (default: COSTPANEL_DB or the user data dir)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_import, quick_exit=True)  # nothing left open when it returns


def run_import(args: argparse.Namespace) -> int:
    import sqlite3

    from ..integrations.ingest import UNKNOWN_FORMAT, PathNotFound, import_logs, quiet_gc
    from ..integrations.registry import SourceUnavailable
    from ..ledger.schema import LedgerError
    from ..ledger.sqlite_storage import damaged
    from .history import ledger_path

    if args.format and args.source not in (None, args.format):
        error(f"--format {args.format} reads costpanel's event lines: it cannot go with --source {args.source}")
        return 2
    source = args.format or args.source or "all"
    try:
        db = ledger_path(args, reading=False)  # a --db that cannot be a ledger: one line, nothing made
    except ValueError as exc:
        error(str(exc))
        return 2
    if source != "all" and args.paths:
        warn_other_formats(args.paths, source)
    catalog = catalog_or_none()  # a price file of the user's that does not load: said in one line
    if catalog is None:
        return 1
    from ..tracker import CostTracker

    try:
        with quiet_gc():  # import_logs refuses a damaged ledger (checked while its workers read)
            result = import_logs(args.paths, source, db, CostTracker(catalog))
    except (PathNotFound, SourceUnavailable) as exc:
        error(str(exc.args[0]))
        return 2
    except LedgerError as exc:
        error(str(exc))
        return 1
    except sqlite3.DatabaseError as exc:  # a damaged page met while writing
        error(str(damaged(db, exc)))
        return 1
    except OverflowError:  # counts are bounded (MAX_COUNT), prices too: only both at their limits get here
        error(f"{db}: the calls read cost more than the ledger stores exactly in one 15-minute row "
              "(USD 9,223,372): no real calls do, so check the files' token counts and your price files; "
              "what was not committed before this batch was rolled back")
        return 1
    if args.json:
        print_json(result.as_json())
    else:
        others = _other_logs(args.paths) if args.paths and source != "all" and not result.files else 0
        files_named = bool(args.paths) and all(Path(p).expanduser().is_file() for p in args.paths)
        _print(result, _looked_in(args.paths, source), source, others, files_named)
    # Files named (or found in folders named) that none could be read: the user pointed at
    # something costpanel cannot use, which a script must not take for success.
    if args.paths and not result.files and (result.skipped.get(UNKNOWN_FORMAT) or result.unreadable):
        return 1
    return 0


ADDED, REPLACED, DUPLICATES = "  added (new calls)", "  replaced (more tokens, or priced now)", "  duplicates (no more tokens)"


def _looked_in(paths: list[Any], source: str) -> str:
    """Where an import that found nothing looked: the paths named, else the sources' default places."""
    if paths:
        return ", ".join(str(p) for p in paths)
    from ..integrations.registry import chosen

    roots = [str(root) for module in chosen(source).values() for root in module.default_roots()]
    return ", ".join(roots) or "nowhere (the costpanel format has no default place: name a FILE)"


def _other_logs(paths: list[Any]) -> int:
    """``.json(l)`` files under the named paths: an import with a named source that found none of
    its files says these are there, of another format."""
    from ..integrations.logs import walk

    found = 0
    for path in map(Path, paths):
        path = path.expanduser()
        names = [path.name] if path.is_file() else [name for _, files in walk(path) for name in files]
        found += sum(1 for name in names if name.endswith((".jsonl", ".json", ".jsonl.zst")))
    return found


def _print(result: Any, looked_in: str, source: str = "all", others: int = 0, files_named: bool = False) -> None:
    """The counts as a boxed list, then what could not be read: plain text (no rich, whose import
    and first table cost ~40 ms, a tenth of importing a day of logs). ``files_named``: every path
    named is a file (not a folder to find logs in)."""
    # `calls` counts usage lines (the JSON keeps the name): a call streamed as several lines, or
    # already in the ledger, is one added and the rest replaced or duplicates, indented under it.
    rows = [(label, f"{value:,}") for label, value in (
        ("files", result.files), ("lines", result.lines), ("usage lines", result.calls),
        (ADDED, result.added), (REPLACED, result.replaced), (DUPLICATES, result.duplicates))]
    rows += [(f"skipped: {reason}", f"{count:,}") for reason, count in sorted(result.skipped.items())]
    if result.unpriced:
        rows.append(("unpriced calls read (no price for model or variant)", f"{result.unpriced:,}"))
    out = []
    if result.added_from is not None:  # what the ledger gained: reports default to the last 7 days
        import datetime as dt

        from ..money import format_usd, units_to_usd

        first, last = (dt.datetime.fromtimestamp(ts).date() for ts in (result.added_from, result.added_to))
        cost = format_usd(units_to_usd(result.added_cost_units))
        unpriced = f" + {result.added_unpriced:,} unpriced" if result.added_unpriced else ""
        out.append(f"added {result.added:,} call(s) from {first} to {last}: {cost}{unpriced}"
                   f" (costpanel report --range {first}..{last})")
    if result.replaced_cost_units or result.priced_now:  # a re-import after a price was added, or partials completed
        from ..money import format_usd, units_to_usd

        units = result.replaced_cost_units
        change = ("+" if units >= 0 else "-") + format_usd(units_to_usd(abs(units)))
        now = f"; {result.priced_now:,} of them had no price and have one now" if result.priced_now else ""
        out.append(f"replaced calls changed the ledger's cost by {change}{now}")
    if result.replaced or result.duplicates:
        out.append("usage lines = added + replaced + duplicates: a call streams as several lines, or was "
                   "stored before; it is stored once, with its most tokens")
    if result.sources:
        out.append("files by source: " + ", ".join(f"{k} {v:,}" for k, v in sorted(result.sources.items())))
    if result.unpriced_models:
        out.append("unpriced models: " + ", ".join(sorted(result.unpriced_models)))
    out += [f"could not read {path}: {why}" for path, why in sorted(result.unreadable.items())]
    out += [f"bad line: {line}" for line in result.errors]
    from ..integrations.logs import BAD_FIELD, MALFORMED

    bad = sum(result.skipped.get(reason, 0) for reason in (MALFORMED, BAD_FIELD))
    if result.errors and bad > len(result.errors):  # only the first few are kept, in file order
        out.append(f"bad line: … and {bad - len(result.errors):,} more (malformed json or bad field: "
                   f"the first {len(result.errors)} are shown)")
    out += [f"waiting: {line}" for line in result.waiting]
    if not result.files and not result.unreadable:
        if others:  # --source named one tool; the files there are another's
            out.append(f"no {source} log files found in {looked_in} ({others:,} .json/.jsonl file(s) of another "
                       "format there: --source all recognises each file's format)")
        elif result.skipped and files_named:  # FILEs named, none of them a log
            out.append(f"{looked_in}: not in a format costpanel reads: nothing imported")
        else:
            out.append(f"no log files found in {looked_in}"
                       + (" (files there are not in a format costpanel reads)" if result.skipped else "")
                       + ": nothing imported")
    print("\n".join([box("Import", rows), *map(printable, out)]))
