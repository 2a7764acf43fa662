"""``costpanel pricing check|list|import-litellm|diff``."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import Any

from ..money import usd_str
from ..paths import config_dir
from ..pricing import PricingError
from ..pricing.catalog import checked_catalog, load_catalog, replacement_notes
from ..pricing.files import bundled_dir, override_paths, provider_paths, write_override
from .output import catalog_or_none, console, error, print_json


def add_parser(sub: Any) -> None:
    p = sub.add_parser("pricing", help="check, list and import price data",
                       description="Inspect and extend the price catalog.")
    cmds = p.add_subparsers(dest="pricing_command", metavar="ACTION")
    p.set_defaults(handler=None, parser=p)  # no ACTION: print this help (see main)

    c = cmds.add_parser("check", help="validate price files (bundled + overrides, or the FILEs given)")
    c.add_argument("files", nargs="*", type=Path, metavar="FILE",
                   help="override files to check on top of the bundled prices")
    c.set_defaults(handler=check)

    ls = cmds.add_parser("list", help="list priced models with their current prices")
    ls.add_argument("--provider", metavar="P", help="only this provider (e.g. openai)")
    ls.add_argument("--sort", choices=("input", "output", "id"), default="id", help="sort order (default id)")
    ls.add_argument("--no-retired", action="store_true",
                    help="hide models already retired (a scheduled retirement is still shown)")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(handler=list_)

    imp = cmds.add_parser("import-litellm", help="turn LiteLLM's price JSON into an override file")
    imp.add_argument("file", type=Path, metavar="FILE", help="model_prices_and_context_window.json")
    imp.add_argument("-o", "--output", type=_output_path, default=None, metavar="OUT",
                     help="where to write the TOML (default: <config dir>/pricing/litellm.toml; - for stdout)")
    imp.add_argument("--force", action="store_true",
                     help="replace OUT if it exists (the default file, the previous import, is always replaced)")
    imp.add_argument("--replace", action="store_true",
                     help="also import models the bundled catalog already prices (LiteLLM's price wins)")
    imp.set_defaults(handler=import_litellm)

    d = cmds.add_parser("diff", help="compare the catalog with genai-prices (and LiteLLM's JSON)",
                        description="Compare the catalog (bundled + overrides) with the installed genai-prices "
                                    "and, given --litellm, LiteLLM's price JSON. Exit 0: no differences beyond "
                                    "the known ones (pricing/_known_differences.toml); 1: new differences "
                                    "(or a file that cannot be read).")
    d.add_argument("--litellm", type=Path, metavar="FILE", help="also compare with model_prices_and_context_window.json")
    d.add_argument("--provider", metavar="P", help="only this provider (e.g. openai)")
    d.add_argument("--new", action="store_true",
                   help="show only new differences; the summary line (and JSON's counts) still counts both")
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.set_defaults(handler=diff)


def _output_path(text: str) -> Path:
    """Where import-litellm writes: ``-`` (stdout) or a file, never an existing folder."""
    path = Path(text).expanduser()
    if text == "-":
        return path
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder: give a file name, e.g. {path / 'litellm.toml'}")
    if path.suffix.lower() != ".toml":  # costpanel loads *.toml overrides only; never write over a .csv
        raise argparse.ArgumentTypeError(f"{text!r}: a price override file is named .toml, e.g. "
                                         f"{path.with_suffix('.toml').name}")
    return path


def check(args: argparse.Namespace) -> int:
    for path in args.files:
        if path.is_dir():
            error(f"{path} is a folder: give the price files in it, e.g. costpanel pricing check {path / '*.toml'}")
            return 2
        if not path.is_file():
            error(f"{path}: no such file")
            return 2
    out = console()
    try:
        catalog = checked_catalog(args.files)
    except PricingError as exc:
        for line in exc.problems:
            out.print(f"[red]✗[/] {_escape(line)}")
        out.print(f"{len(exc.problems)} problem(s) found.")
        return 1
    for note in replacement_notes(catalog):  # deliberate or not, a replaced price is worth knowing
        out.print(note, markup=False)
    files = args.files or [*provider_paths(bundled_dir()), *override_paths()]
    out.print(f"[green]✓[/] {len(catalog)} models from {len(catalog.providers)} providers, "
              f"{len(files)} file(s) valid.")
    return 0


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def list_(args: argparse.Namespace) -> int:
    catalog = catalog_or_none()
    if catalog is None:
        return 1
    if args.provider is not None and args.provider.casefold() not in {p.casefold() for p in catalog.providers}:
        error(f"unknown provider {args.provider!r}; known: {', '.join(catalog.providers)}")
        return 2
    # Imported here: it imports the pydantic schema, which other commands need not load.
    from ..pricing.listing import extremes, list_models
    from ..pricing.retirement import describe

    rows = list_models(catalog, provider=args.provider, sort=args.sort, include_retired=not args.no_retired)
    cheapest, dearest = extremes(rows)
    if args.json:
        print_json({
            "models": [r.to_json() for r in rows],
            "cheapest": cheapest.id if cheapest else None,
            "most_expensive": dearest.id if dearest else None,
        })
        return 0
    from rich.markup import escape

    from .tables import Col, print_table

    cols = [Col(c, name=c in ("model", "provider", "notes"), prose=c == "notes") for c in (
        "model", "provider", "input", "output", "cache read", "cache write", "write 1h", "per 1k req", "notes")]
    lines = []
    for r in rows:
        notes = ", ".join(filter(None, [
            "free" if r.entry.free else "",
            describe(r.entry.retired),  # "retired 2025-07-14" or, scheduled, "retires 2027-01-15"
            *(f">{n // 1000}k tier" for n in r.tiers),
            (f"search ${usd_str(r.web_search_per_1k)}/1k" + (" requests" if r.web_search_per == "request" else ""))
            if r.web_search_per_1k is not None else "",
            f"variants: {'/'.join(r.variants)}" if r.variants else "",
        ]))
        lines.append([escape(r.id), escape(r.entry.provider), *(usd_str(r.rates[k]) or "—" for k in r.rates),
                      usd_str(r.per_1k_requests) or "—", escape(notes)])
    out = console()
    # A narrow terminal: the prices in the table, each model's provider and notes listed under it
    narrow = ([cols[0], *cols[2:-1]], [[cells[0], *cells[2:-1]] for cells in lines])
    if print_table(out, "Prices in USD per 1M tokens (current period)", cols, lines, narrow):
        for cells in lines:
            out.print(f"{cells[0]}: {cells[1]}" + (f"; {cells[-1]}" if cells[-1] else ""), highlight=False)
    if cheapest and dearest:
        out.print(f"cheapest: {cheapest.id} · most expensive: {dearest.id} (input + output, current paid models)")
    return 0


def import_litellm(args: argparse.Namespace) -> int:
    from ..pricing.litellm_import import convert_litellm, load_litellm_json

    if not args.file.is_file():  # a path typed that cannot work: exit 2, as `pricing diff --litellm`
        error(f"{args.file}: {'a folder, not a file' if args.file.is_dir() else 'no such file'}")
        return 2
    if args.output is not None and str(args.output) != "-":  # said before any work, like `export`
        if args.output.exists() and args.file.exists() and args.output.samefile(args.file):
            error(f"{args.output} is the file being imported: write the TOML elsewhere")
            return 2
        if args.output.exists() and not args.force:
            error(f"{args.output} exists: add --force to replace it, or choose another file name")
            return 1
    try:
        data = load_litellm_json(args.file)
        catalog = load_catalog(overrides=False)
    except (ValueError, OSError) as exc:
        error(str(exc))
        return 1
    def known(name: str) -> bool:
        entry = catalog.match(name)
        if entry is None:
            return False
        if not args.replace:
            return True
        # --replace swaps a bundled model by id; a name that is only a bundled *alias* would
        # clash with that model's aliases, so its price keeps coming from the model's entry.
        return name.strip().lower() != entry.id.lower()

    result = convert_litellm(data, checked=dt.datetime.now(dt.timezone.utc).date(), skip_known=known)
    to_stdout = str(args.output) == "-"
    out = console(stderr=to_stdout)
    out.print(f"imported {len(result.imported)} model(s); skipped {len(result.skipped)} "
              "(not chat models, no token prices, or already priced by costpanel)")
    if not result.toml_text:
        error("nothing to write: no model could be imported")
        return 1
    if to_stdout:
        print(result.toml_text, end="")
        return 0
    target = args.output or config_dir() / "pricing" / "litellm.toml"
    try:
        write_override(target, result.toml_text)  # checked, then atomic: never a half-written override
    except PricingError as exc:
        error("the converted file does not validate; nothing written:\n  " + "\n  ".join(exc.problems))
        return 1
    except OSError as exc:
        error(f"cannot write {target}: {exc.strerror or exc}; nothing written")
        return 1
    out.print(f"wrote {target}", markup=False)
    return 0


def diff(args: argparse.Namespace) -> int:
    """Exit 0 when every difference is a known one, 1 when there are new ones (or a bad file)."""
    from ..pricing.diff import GENAI_PROVIDERS, diff_catalog, load_known_differences
    from ..pricing.litellm_import import load_litellm_json

    covered = sorted(set(GENAI_PROVIDERS.values()))
    providers = covered
    if args.provider is not None:
        if args.provider.casefold() not in covered:
            error(f"unknown provider {args.provider!r}; compared: {', '.join(covered)}")
            return 2
        providers = [args.provider.casefold()]
    if args.litellm is not None and not args.litellm.is_file():
        error(f"{args.litellm}: {'a folder, not a file' if args.litellm.is_dir() else 'no such file'}")
        return 2
    catalog = catalog_or_none()
    if catalog is None:
        return 1
    try:
        litellm = load_litellm_json(args.litellm) if args.litellm is not None else None
        rows = diff_catalog(catalog, providers=providers, litellm=litellm, known=load_known_differences())
    except PricingError as exc:
        error("; ".join(exc.problems))
        return 1
    except (ValueError, OSError) as exc:
        error(str(exc))
        return 1
    new = sum(r.status == "new" for r in rows)
    known = len(rows) - new
    if args.new:  # only what needs a look; the counts below still count both
        rows = [r for r in rows if r.status == "new"]
    if args.json:
        print_json({"differences": [r.to_json() for r in rows], "new": new, "known": known})
        return 1 if new else 0
    from .tables import Col, print_table

    cols = [Col(c, name=c not in ("ours", "theirs"), prose=c == "reason") for c in (
        "source", "provider", "kind", "model", "their id", "field", "ours", "theirs", "status", "reason")]
    lines = [[*(_escape(v) for v in (r.source, r.provider, r.kind, r.model, "" if r.their_id == r.model else r.their_id,
                                     r.field, r.ours, r.theirs)),
              "[yellow]new[/]" if r.status == "new" else "known", _escape(r.reason)]
             for r in sorted(rows, key=lambda r: (r.status != "new", r.source, r.provider, r.kind, r.model, r.field))]
    out = console()
    if rows:
        print_table(out, "Catalog vs other sources (USD per 1M tokens, period in force now)", cols, lines)
    out.print(f"{new} new difference(s), {known} known.")
    return 1 if new else 0
