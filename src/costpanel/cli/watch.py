"""``costpanel watch``: follow agent logs live into the panel (or a terminal view) and the ledger."""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import args as types
from .demo import _png_path, add_look_flags, look_settings
from .format_check import warn_other_formats
from .ledger_arg import db_arg
from .output import console, error
from .guard_flags import guard_alerts, guards_table
from .panel_checks import unusable_ledger, no_display, open_tracker

MAX_SECONDS = 366 * 86_400.0
REFRESH_S = 1.0
# How long Claude Code telemetry of a session whose log is not watched (yet) waits before it counts:
# its session file appears before its first API request, so this only covers a file being created.
OTLP_HOLD_S = 3.0
SCREENSHOT_FRAMES = 20  # enough for every table and the chart to be drawn at least once  # the terminal view (and a summary line on a pipe) once a second
SOURCES = ("claude-code", "codex", "gemini-cli", "costpanel")
WATCH_PREFIX = "watch-"  # the tracker's own session (each call keeps its log's session label)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("watch", help="follow Claude Code, Codex, Gemini CLI or costpanel event logs live",
                       description="Follow agent session logs live: today's calls in the panel (or the terminal) "
                                   "and in the ledger. Without PATH: every default log folder of the sources.")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="log files or folders to follow")
    p.add_argument("--source", choices=(*SOURCES, "all"), default=None,
                   help="whose logs PATH holds (default all: detected per file)")
    p.add_argument("--format", choices=("costpanel",), default=None,
                   help="costpanel's own event line format (the same as --source costpanel)")
    p.add_argument("--headless", action="store_true",
                   help="no window: a live terminal view (one summary line per second when not a terminal)")
    p.add_argument("--seconds", type=types.positive_float(MAX_SECONDS), default=None, metavar="S",
                   help="stop after S seconds (default: until the window closes, Ctrl-C or SIGTERM)")
    p.add_argument("--screenshot", type=_png_path, default=None, metavar="FILE.png",
                   help="once the logs are read, render a few frames, write a PNG of the window and exit")
    add_look_flags(p)
    p.add_argument("--db", type=db_arg, default=None, metavar="PATH",
                   help="ledger file (default: COSTPANEL_DB or the user data dir)")
    p.add_argument("--no-ledger", action="store_true", help="keep the calls in memory only")
    p.add_argument("--otlp-port", type=_port, default=None, metavar="PORT",
                   help="also receive OTLP/HTTP logs and traces on PORT (4318 by convention; needs the otel "
                        "extra: pip install -e '.[otel]')")
    p.add_argument("--otlp-host", default=None, metavar="HOST",
                   help="address the OTLP receiver listens on (default 127.0.0.1: this machine only)")
    p.add_argument("--guard", type=types.guard_spec, action="append", default=[], metavar="USD[@SCOPE]",
                   help=types.GUARD_HELP)
    p.set_defaults(handler=run)


def _port(text: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, got {text!r}")
    return int(value)


def _sources(args: argparse.Namespace) -> tuple[str, ...] | str:
    """The source names to follow, or an error message."""
    source = args.source
    if args.format is not None:
        if source not in (None, "costpanel", "all"):
            return f"--format costpanel reads costpanel's event lines: it cannot be combined with --source {source}"
        source = "costpanel"
    return SOURCES if source in (None, "all") else (source,)


def _roots(args: argparse.Namespace, names: tuple[str, ...]) -> list[Any] | str:
    from ..integrations.watch import Root, available_sources, default_roots

    modules = available_sources(names)
    if not modules:
        return f"no log reader for {', '.join(names)} is installed in this costpanel"
    if not args.paths:
        roots = default_roots(modules)
        if not roots:
            return "the costpanel format has no default place: name the FILE or folder to watch"
        absent = [str(r.path) for r in roots if not r.path.exists()]
        if len(absent) == len(roots):  # no agent has run here yet: wait for its logs
            print(f"costpanel: no agent logs yet; watching for them to appear in {', '.join(absent)}", file=sys.stderr)
        elif absent:  # the tools not used here (yet): named once; the Sources line only counts them
            print(f"costpanel: not there (yet), watched for in case they appear: {', '.join(absent)}", file=sys.stderr)
        return roots
    # A path whose folder exists may be a log about to be written (an orchestrator's events.jsonl):
    # watched until it appears; one whose folder does not is a typo, said at once.
    missing = [str(p) for p in args.paths if not p.expanduser().exists() and not p.expanduser().parent.is_dir()]
    if missing:
        return f"{', '.join(missing)}: no such file or folder"
    for path in args.paths:
        if not path.expanduser().exists():
            print(f"costpanel: {path} does not exist yet; watching for it to appear", file=sys.stderr)
    if len(names) == 1:
        warn_other_formats(args.paths, names[0])
    return [Root(p, tuple(modules), detect=len(names) > 1) for p in args.paths]


def run(args: argparse.Namespace) -> int:
    from ..shards import new_session_id

    names = _sources(args)
    if isinstance(names, str):
        error(names)
        return 2
    if args.screenshot is not None and args.headless:
        error("--screenshot pictures the window: leave out --headless")
        return 2
    if args.otlp_host is not None and args.otlp_port is None:
        error("--otlp-host says where the OTLP receiver listens: give --otlp-port too (4318 by convention)")
        return 2
    if unusable_ledger(args):
        return 2
    roots = _roots(args, names)
    if isinstance(roots, str):
        error(roots)
        return 2
    if no_display(args, "watch", "for a terminal view"):
        return 2
    from ..integrations.watch import Views, Watcher, local_midnight
    from ..ledger import LedgerError

    # today is what the panel shows: the session (its elapsed time, its burn rate) began at midnight
    today = dt.datetime.fromtimestamp(local_midnight(), dt.timezone.utc)
    tracker = open_tracker(args, f"{WATCH_PREFIX}{new_session_id()}", started_at=today)
    if tracker is None:
        return 1
    alerts = guard_alerts(tracker, args.guard, notify=args.screenshot is None)
    views = Views(tracker.catalog, started_at=today)
    watcher = Watcher(tracker, roots, views=views)
    receiver = None
    pipe: PipeLines | None = None
    problems = False
    try:
        if args.otlp_port is not None:
            receiver = _start_otlp(args, tracker, watcher)
            if receiver is None:  # the port is taken, or the receiver is not installed: not a usage slip
                return 1
        watcher.start()
        if args.headless and not console().is_terminal:  # a pipe or a file: one line per refresh, flushed
            pipe = PipeLines(tracker, watcher, alerts)
        with _stop_on_signals() as stop:
            if args.headless:
                _headless(tracker, watcher, stop, args.seconds, alerts, pipe)
            else:
                problems = _panel(tracker, watcher, views, stop, args.seconds, args.screenshot, look_settings(args),
                                  alerts)
        if watcher.error is not None:
            error(f"watching stopped: {watcher.error}")
            problems = True
    finally:
        watcher.stop()
        if watcher.started and watcher.error is None:
            watcher.catch_up()  # lines appended since the last change seen: every call read is stored
            if pipe is not None:
                pipe.line()  # the last line: after the final read, what the ledger keeps
        if alerts is not None:
            alerts.close()
        if receiver is not None:
            receiver.stop()
        try:
            tracker.close(end_session=True)  # the ledger flushes
        except LedgerError as exc:
            error(str(exc))
            problems = True
    return 1 if problems else 0


def _start_otlp(args: argparse.Namespace, tracker: Any, watcher: Any) -> Any:
    try:
        from ..integrations.otlp import OtlpReceiver
        from ..integrations.watch import CLAUDE_CODE
    except ImportError as exc:
        error(f"--otlp-port needs the OTLP receiver (pip install -e '.[otel]' in your clone): {exc}")
        return None
    host = args.otlp_host or "127.0.0.1"  # loopback unless said otherwise: the receiver has no authentication
    # Claude Code's telemetry of a session its watched logs do not hold yet waits a moment: its log wins
    hold = OTLP_HOLD_S if watcher.reads(CLAUDE_CODE) else 0.0
    receiver = OtlpReceiver(tracker, host=host, port=args.otlp_port, skip_session=watcher.owns_session, hold_s=hold)
    try:
        port = receiver.start()
    except OSError as exc:
        error(f"cannot listen on {host}:{args.otlp_port}: {exc.strerror or exc}")
        return None
    console(stderr=True).print(f"OTLP/HTTP receiver on http://{host}:{port}")
    watcher.otlp = receiver  # its counts join the Sources line
    return receiver


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """SIGTERM and Ctrl-C end the watch cleanly (the caller flushes the ledger), not mid-write."""
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


END_SLACK_S = 0.05  # `--seconds` is reached when this close to its end


def summary(snap: Any, stats: Any) -> str:
    """One line: time, today's cost, calls, tokens and the Sources line."""
    from ..gui import format as fmt

    return (f"{time.strftime('%H:%M:%S')} {_cost(snap)} · {snap.calls:,} call{'s' * (snap.calls != 1)} · "
            f"{snap.tokens:,} tokens{fmt.unpriced_calls(snap, names=False)} · sources: "
            f"{stats.line(calls=stats.calls != snap.calls)}")


def _cost(snap: Any) -> str:
    """Today's cost, ``+?`` when some calls have no price (as the panel and `report` write it)."""
    from ..gui import format as fmt

    return fmt.cost(snap.total_usd, snap.unpriced_calls)


class PipeLines:
    """``watch --headless`` into a pipe or a file: a summary line per refresh, each guard crossing
    once on a line of its own before it, and a last line once the final read is stored (what a
    service log keeps must be what the ledger holds)."""

    def __init__(self, tracker: Any, watcher: Any, alerts: Any = None) -> None:
        self.tracker, self.watcher, self.alerts = tracker, watcher, alerts
        self.said = 0  # crossings printed so far

    def crossings(self) -> None:
        if self.alerts is not None:
            crossings = self.alerts.lines()
            for text in crossings[self.said:]:
                print(f"guard: {text}", flush=True)
            self.said = len(crossings)

    def line(self) -> None:
        self.crossings()
        print(summary(self.tracker.snapshot(), self.watcher.stats()), flush=True)


def _headless(tracker: Any, watcher: Any, stop: threading.Event, seconds: float | None, alerts: Any = None,
              pipe: PipeLines | None = None) -> None:
    """The terminal view until ``stop``, ``seconds`` or a watcher error; with ``pipe`` (stdout not a
    terminal) its refresh lines instead, the last one left to the caller after the final read."""
    end = None if seconds is None else time.monotonic() + seconds
    left: Callable[[], float] = lambda: REFRESH_S if end is None else max(0.0, min(REFRESH_S, end - time.monotonic()))
    if pipe is not None:
        while not stop.wait(left()):
            # (a wait ends a hair early now and then: that is the end, not one more line a moment later)
            if end is not None and time.monotonic() >= end - END_SLACK_S or watcher.error is not None:
                break
            pipe.line()
        return
    from rich.console import Console
    from rich.live import Live

    out = Console(highlight=False)  # the live view wraps long lines (soft wrap would cut them at the edge)
    with Live(_table(tracker, watcher.stats(), alerts, out.width), console=out, refresh_per_second=4) as live:
        while not stop.wait(left()):
            live.update(_table(tracker, watcher.stats(), alerts, out.width))
            if end is not None and time.monotonic() >= end or watcher.error is not None:
                break
        live.update(_table(tracker, watcher.stats(), alerts, out.width))


def _table(tracker: Any, stats: Any, alerts: Any = None, width: int = 160) -> Any:
    """The live view, its tables fitted to ``width`` columns (names fold, figures stay whole)."""
    from rich.console import Group
    from rich.markup import escape
    from rich.text import Text

    from ..gui import format as fmt  # plain Python: no Dear PyGui
    from ..gui.viewmodel import burn_texts, with_variants
    from .tables import Col, build, choose

    snap = tracker.snapshot()
    head = Text(f"Today: {_cost(snap)} · {snap.calls:,} call{'s' * (snap.calls != 1)} · {snap.tokens:,} tokens"
                + fmt.unpriced_calls(snap), style="bold")
    burn = Text("Burn rate: " + " · ".join(t for t in burn_texts(snap) if t))  # as the panel says it: from the run's first call
    figures = [Col("Calls"), Col("Tokens"), Col("Cost"), Col("Share")]

    def cells(name: str, row: Any, short: bool = False) -> list[str]:
        return [escape(name), f"{row.calls:,}", fmt.tokens(row.tokens, short=short),
                fmt.cost(row.cost_usd, row.unpriced_calls), fmt.row_share(row)]

    def table(title: str, key: str, rows: dict[str, Any]) -> tuple[Any, bool]:
        """A live table fits the terminal (the view cannot be wider): token counts shortened if need be."""
        cols = [Col(key, name=True), *figures]
        chosen, lines, short = choose(cols, [cells(n, r) for n, r in rows.items()], (cols, [
            cells(n, r, short=True) for n, r in rows.items()]), width)
        return build(title, chosen, lines, width)[0], short

    tiers, short = table("By tier", "Tier", dict(snap.by_tier))
    # a model some of whose calls were billed at fast, batch … prices says so, as the panel does
    models, short_models = table("By model", "Model", {with_variants(name, None, snap.variants(name))[0]: row
                                                       for name, row in snap.by_model.items()})
    parts = [head, burn, tiers, models]
    if short or short_models:
        parts.append(Text(f"tokens shortened for a {width}-column terminal", style="dim"))
    if alerts is not None:
        parts.append(guards_table(tracker, width))
        latest = alerts.latest()
        if latest is not None:
            parts.append(Text(f"Last crossing: {latest}", style="bold"))
    parts.append(Text(f"Sources: {stats.line()}", style="dim"))
    parts += [Text(f"bad line: {bad}", style="dim") for bad in getattr(stats, "bad_lines", ())[:3]]
    return Group(*parts)


def _daily_budget() -> Any:
    """The daily budget of `costpanel budget set` (None when there is none or its file cannot be read:
    `budget show` says why)."""
    from ..ledger.budgets import BudgetsFileError, load_budgets

    try:
        return load_budgets().daily_usd
    except BudgetsFileError:
        return None


def _panel(tracker: Any, watcher: Any, views: Any, stop: threading.Event, seconds: float | None,
           screenshot: Path | None = None, settings: Any = None, alerts: Any = None) -> bool:
    """The panel fed by the watcher; returns True when something could not be written."""
    from ..gui import CostPanel
    from ..gui.viewmodel import WatchFeed

    panel = CostPanel(tracker, feed=WatchFeed(watcher.stats, views.names, views.get), settings=settings,
                      persist_settings=screenshot is None, alerts=alerts)
    daily = _daily_budget()
    if daily is not None:  # the panel shows today: its bar measures the day's budget (not kept as the panel's own)
        panel.budget = daily
    if screenshot is not None:
        watcher.ready.wait(60)  # the picture shows the logs read, not a half-done catch-up
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        try:
            panel.run(title="costpanel watch", frames=SCREENSHOT_FRAMES, screenshot=screenshot, stop=stop)
        except RuntimeError as exc:  # the frame buffer never reached the file
            error(str(exc))
            return True
        console().print(f"wrote {screenshot}")
    else:
        panel.run(title="costpanel watch", seconds=seconds, stop=stop)
    if panel.settings_error is not None:
        error(panel.settings_error)
        return True
    return False
