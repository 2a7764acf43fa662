"""Argument parsing and dispatch. Each handler is ``handler(args) -> exit code``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_UNKNOWN_MODEL = 0, 1, 2, 3


class OneLineParser(argparse.ArgumentParser):
    """Bad usage is one line naming the problem and where the help is (exit 2); argparse's own
    ``error`` prints the whole usage block first, which buries the line that matters."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}{_did_you_mean(message)} (see {self.prog} --help)\n")


def _did_you_mean(message: str) -> str:
    """For argparse's "invalid choice: 'reprot' (choose from 'price', …)": the nearest choice, if
    one is near (a mistyped command, ``--by modle``)."""
    import difflib
    import re

    found = re.search(r"invalid choice: '(.*?)' \(choose from (.*)\)$", message)
    if not found:
        return ""
    choices = re.findall(r"'([^']*)'", found[2])
    near = difflib.get_close_matches(found[1], choices, n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


# Each command and the module that adds its parser (``add_parser(sub)``; ``history`` adds two).
COMMANDS = {"price": "price", "pricing": "pricing", "demo": "demo", "report": "history", "export": "history",
            "budget": "budget", "import": "import_cmd", "watch": "watch", "whatif": "whatif"}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; for ``argv`` naming a command first, only that command's (its module
    alone imported: a tenth of a short ``costpanel import``'s start-up)."""
    parser = OneLineParser(
        prog="costpanel",
        description="Live, exact token and dollar costs of LLM agent sessions.",
        epilog="Exit codes: 0 done; 1 a problem with a file, the ledger, prices or the system (a port in use); 2 bad usage "
               "(a flag or value); 3 `price` of a model with no price.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.set_defaults(handler=None, parser=parser)  # no COMMAND: print the help (see main)
    named = COMMANDS.get(argv[0]) if argv else None
    for module in dict.fromkeys([named] if named else COMMANDS.values()):
        command = importlib.import_module(f"{__package__}.{module}")
        (command.add_parsers if module == "history" else command.add_parser)(sub)
    _own_parsers(parser)
    return parser


def _own_parsers(parser: argparse.ArgumentParser) -> None:
    """Every command's namespace carries its own parser (``args.parser``): its help for a bare
    group, its name and --help in a usage error the top parser would otherwise say."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # (an alias maps to the same parser)
                child.set_defaults(parser=child)
                _own_parsers(child)


def _version() -> str:
    from .. import __version__

    return __version__


def _one_line_warnings() -> None:
    """costpanel's own warnings (a settings file it could not use …) as one line on stderr,
    ``costpanel: warning: …``, not Python's file:line and source-line format."""
    import warnings

    shown = warnings.showwarning
    if getattr(shown, "costpanel", False):  # main() run again in this process
        return

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if category.__module__.startswith("costpanel"):
            from .output import printable

            print(f"costpanel: warning: {printable(str(message))}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    show.costpanel = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def main(argv: Sequence[str] | None = None) -> int:
    return _main(argv)[0]


def _main(argv: Sequence[str] | None) -> tuple[int, bool]:
    """(exit code, whether the process may end without tearing Python down: see :func:`run`)."""
    _one_line_warnings()
    argv = sys.argv[1:] if argv is None else list(argv)
    args, extra = build_parser(argv).parse_known_args(argv)  # exits 2 with the flag named on bad usage
    if extra:  # said by the command's own parser (`costpanel price: error: …`, its --help), not the top one's
        args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.handler is None:  # `costpanel` or `costpanel pricing` alone: what can I do here?
        args.parser.print_help(sys.stdout)
        return EXIT_USAGE, False  # nothing was done: a script must not take it for success
    try:
        return int(args.handler(args)), getattr(args, "quick_exit", False)
    except BrokenPipeError:  # `costpanel pricing list | head`: the reader has what it wanted
        _quiet_stdout()
        return EXIT_OK, False
    except KeyboardInterrupt:
        return 130, False


def _quiet_stdout() -> None:
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush


def run() -> None:
    """The ``costpanel`` command. A command that leaves nothing open (``import``: its ledger
    committed and closed, its workers joined) ends without Python freeing every object one by one,
    ~30 ms after an import of a day of logs: that much of its time."""
    code, quick = _main(None)
    if quick:
        import os

        try:
            sys.stdout.flush()
        except BrokenPipeError:
            pass
        except OSError as exc:  # a full disk, /dev/full: said in one line, not a traceback
            print(f"costpanel: error: could not write the output: {exc.strerror or exc}", file=sys.stderr)
            code = code or 1
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
