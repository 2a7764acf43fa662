"""``costpanel demo``: the simulated four-tier conductor feeding a live panel (or a table)."""

from __future__ import annotations

import argparse
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..money import format_usd
from . import args as types
from .ledger_arg import db_arg
from .output import console, error
from .guard_flags import guard_alerts, print_guards
from .panel_checks import unusable_ledger, no_display, open_tracker

MAX_RATE = 1_000_000.0  # calls per second: far past what one process can record
MAX_SECONDS = 7 * 86_400.0  # a week; time.sleep() overflows on absurd values


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="a simulated agent session in the live panel",
                       description="Run a simulated four-tier agent session and watch what it costs.")
    p.add_argument("--rate", type=types.positive_float(MAX_RATE), default=40.0, metavar="EVENTS_PER_S",
                   help="simulated model calls per second (default 40)")
    p.add_argument("--budget", type=_budget, default=None, metavar="USD", help="session budget, e.g. 5.00")
    p.add_argument("--guard", type=types.guard_spec, action="append", default=[], metavar="USD[@SCOPE]",
                   help=types.GUARD_HELP)
    p.add_argument("--screenshot", type=_png_path, default=None, metavar="FILE.png",
                   help="render --frames frames, write a PNG of the window and exit")
    add_look_flags(p)
    p.add_argument("--frames", type=types.positive_int, default=None, metavar="N",
                   help="render N frames and exit (default: until the window is closed; 180 with --screenshot)")
    p.add_argument("--headless", action="store_true", help="no window: run --seconds and print the tables")
    p.add_argument("--seconds", type=types.positive_float(MAX_SECONDS), default=3.0, metavar="S",
                   help="how long --headless runs (default 3)")
    p.add_argument("--seed", type=types.signed_int, default=0, help="random seed")
    p.add_argument("--db", type=db_arg, default=None, metavar="PATH",
                   help="ledger file (default: demo.sqlite3 in the user data dir, apart from your own ledger: "
                        "simulated spend never counts in your reports and budgets)")
    p.add_argument("--no-ledger", action="store_true", help="keep nothing on disk")
    p.set_defaults(handler=run)


def add_look_flags(p: Any) -> None:
    """``--theme`` and ``--scale``, shared by `demo` and `watch`."""
    p.add_argument("--theme", choices=("dark", "light"), default=None,
                   help="panel colours (default: as last time; kept for next time, except with --screenshot)")
    p.add_argument("--scale", type=_scale, default=None, metavar="PERCENT",
                   help="text and layout size, 100-200 (default: as last time; kept like --theme)")


def _scale(text: str) -> int:
    try:
        value = int(text.strip().removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--scale is a whole percent from 100 to 200, got {text!r}") from None
    if not 100 <= value <= 200:
        raise argparse.ArgumentTypeError(f"--scale is a whole percent from 100 to 200, got {text!r}")
    return value


def look_settings(args: argparse.Namespace) -> Any:
    """The saved panel settings with ``--theme``/``--scale`` on top (the panel saves them at exit,
    unless it only takes a screenshot)."""
    from ..gui.settings import load_settings

    settings = load_settings()
    if getattr(args, "theme", None) is not None:
        settings.theme = args.theme
    if getattr(args, "scale", None) is not None:
        settings.font_scale = args.scale / 100
    return settings


def _budget(text: str) -> Decimal:
    """The one money parser (:func:`costpanel.budgets.parse_amount`). Unlike ``budget set``, 0 is
    refused: the panel would fall back to the budget it remembers, not to none."""
    from ..budgets import parse_amount

    try:
        value = parse_amount(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value == 0:
        raise argparse.ArgumentTypeError(f"a budget must be more than $0, got {text!r} (leave out --budget for none)")
    return value


def _png_path(text: str) -> Path:
    """Dear PyGui's frame buffer is written as PNG only; checked before anything is created."""
    path = Path(text).expanduser()
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder: give a file name, e.g. {path / 'shot.png'}")
    if path.suffix.lower() != ".png":
        raise argparse.ArgumentTypeError(f"{text!r}: only PNG pictures are written: name the file .png")
    if path.parent.exists() and not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: {path.parent} is not a folder")
    folder = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if (folder is not None and not os.access(folder, os.W_OK)) or (path.exists() and not os.access(path, os.W_OK)):
        # os.access sees read-only and immutable files and folders, even for root
        raise argparse.ArgumentTypeError(f"{text!r} cannot be written (read-only or immutable file or folder)")
    return path


def demo_ledger() -> Path:
    """Where the demo keeps its simulated calls unless ``--db`` says: beside the user's ledger,
    never in it (its made-up spend would count in reports, budgets and what-ifs)."""
    from ..paths import data_dir

    return data_dir() / "demo.sqlite3"


def _is_users_ledger(db: Path) -> bool:
    """``db`` is the ledger the other commands read by default (COSTPANEL_DB, else the data folder's)."""
    from ..ledger.sqlite_storage import default_path

    try:
        return db.expanduser().resolve() == default_path().expanduser().resolve()
    except (OSError, RuntimeError):
        return False


def run(args: argparse.Namespace) -> int:
    from ..shards import new_session_id
    from ..sim import Conductor

    # Flags were checked by argparse; what needs the machine (a display) is checked before the
    # ledger opens, so a demo that cannot start leaves no session and no file behind.
    if args.screenshot is not None and args.headless:
        error("--screenshot pictures the window: leave out --headless")
        return 2
    if args.screenshot is not None and args.frames is None:
        args.frames = 180  # a few seconds of calls: the cumulative chart has lines to show
    if (args.db is not None and unusable_ledger(args)) or no_display(args, "demo", "to print the tables instead"):
        return 2
    if args.db is None and not args.no_ledger:  # a ledger of its own (COSTPANEL_DB names the user's)
        args.db = demo_ledger()
    elif args.db is not None and not args.no_ledger and _is_users_ledger(args.db):
        console(stderr=True).print(f"warning: --db {args.db} is your own ledger: the demo's simulated calls will "
                                   "count in your reports and budgets (source demo)", markup=False, highlight=False)
    from ..ledger import LedgerError
    from ..ledger.resume import DEMO_PREFIX

    # A simulated session, named so in the history, and ended at exit; `resume=True` never
    # continues it, even when the demo is killed before it can end it.
    tracker = open_tracker(args, f"{DEMO_PREFIX}{new_session_id()}")
    if tracker is None:
        return 1
    alerts = guard_alerts(tracker, args.guard, notify=not args.headless and args.screenshot is None)
    conductor = Conductor(tracker, seed=args.seed)
    conductor.start(rate=args.rate)
    unstored = False  # calls or settings that could not be kept: exit 1
    try:
        if args.headless:
            time.sleep(args.seconds)
        else:
            from ..gui import CostPanel

            panel = CostPanel(tracker, budget=args.budget, settings=look_settings(args),
                              persist_settings=args.screenshot is None, alerts=alerts)
            if args.screenshot is not None:
                args.screenshot.parent.mkdir(parents=True, exist_ok=True)
                try:
                    panel.run(frames=args.frames, screenshot=args.screenshot, title="costpanel demo")
                except RuntimeError as exc:  # the frame buffer never reached the file
                    error(str(exc))
                    unstored = True
                else:
                    console().print(f"wrote {args.screenshot}")
            else:
                panel.run(title="costpanel demo", frames=args.frames)
            if panel.settings_error is not None:  # e.g. a read-only config folder
                error(panel.settings_error)
                unstored = True
    finally:
        conductor.stop()
        if alerts is not None:
            alerts.close()
        try:
            tracker.close(end_session=True)
        except LedgerError as exc:  # the ledger became unwritable: its message says where the calls went
            error(str(exc))
            unstored = True
    if unstored:
        return 1
    if args.headless:
        snap = tracker.snapshot()
        print_snapshot(snap)
        if args.budget is not None:  # the panel's budget bar, as a line
            from ..budgets import budget_status

            status = budget_status(snap.total_usd, args.budget)
            assert status is not None
            console().print(f"Budget: {status.label}, {status.left}", markup=False, highlight=False)
        if alerts is not None:
            print_guards(tracker, alerts)
        if not args.no_ledger:
            console().print(f"simulated calls kept in {args.db} (see them: costpanel report --db {args.db}; "
                            "--db PATH to choose, --no-ledger for none)", markup=False, highlight=False)
    return 0


def print_snapshot(snap: Any) -> None:
    """Session header, tier table and model table, as the panel shows them."""
    from rich.markup import escape

    from ..gui import format as fmt  # the panel's words for costs and shares (plain Python)
    from ..gui.viewmodel import with_variants
    from .tables import Col, print_table

    out = console()
    out.print(f"[bold]Session {snap.session}[/]: {fmt.cost(snap.total_usd, snap.unpriced_calls)} · "
              f"{snap.tokens:,} tokens · {snap.calls:,} calls · {snap.elapsed_s:.1f} s{fmt.unpriced_calls(snap)}")
    tier_cols = [Col(c, name=c in ("Tier", "Model(s)"), prose=c == "Model(s)") for c in (
        "Tier", "Model(s)", "Calls", "Input", "Cache read", "Cache write", "Output", "Cost", "Share")]
    tiers = [[escape(name), escape(", ".join(row.models)), f"{row.calls:,}", f"{row.input:,}", f"{row.cache_read:,}",
              f"{row.cache_write + row.cache_write_1h:,}", f"{row.output:,}", fmt.cost(row.cost_usd, row.unpriced_calls),
              fmt.row_share(row)] for name, row in snap.by_tier.items()]
    # a narrow terminal: token counts shortened, and each tier's models left to the table below
    short = [[cells[0], cells[2], *(fmt.tokens(n, short=True) for n in (row.input, row.cache_read,
                                                                        row.cache_write + row.cache_write_1h, row.output)),
              *cells[7:]] for cells, row in zip(tiers, snap.by_tier.values(), strict=True)]
    shortened = print_table(out, "By tier", tier_cols, tiers, ([tier_cols[0], *tier_cols[2:]], short))
    model_cols = [Col(c, name=c in ("Model", "Provider")) for c in ("Model", "Provider", "Calls", "Tokens", "Cost",
                                                                     "$/call", "Share")]
    models = [[escape(with_variants(name, None, snap.variants(name))[0]), escape(row.provider or "—"), f"{row.calls:,}",
               f"{row.tokens:,}", fmt.cost(row.cost_usd, row.unpriced_calls), format_usd(row.usd_per_call, unpriced="—"),
               fmt.row_share(row)] for name, row in snap.by_model.items()]
    # a narrow terminal: token counts shortened, the provider left out (the model's name says it)
    short_models = [[cells[0], cells[2], fmt.tokens(row.tokens, short=True), *cells[4:]]
                    for cells, row in zip(models, snap.by_model.values(), strict=True)]
    shortened |= print_table(out, "By model", model_cols, models, ([model_cols[0], *model_cols[2:]], short_models))
    if shortened:
        out.print(f"shortened for a {out.width}-column terminal: token counts rounded, each tier's models and the "
                  "providers left out (all of them: a wider terminal)")
    if snap.discarded.calls:
        out.print(f"discarded fallback attempts: {snap.discarded.calls:,} call{'s' * (snap.discarded.calls != 1)}, "
                  f"{format_usd(snap.discarded.cost_usd)} (not in the total)")


