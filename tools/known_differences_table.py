#!/usr/bin/env python3
"""The deliberate differences of ``pricing/_known_differences.toml`` as a markdown table.

docs/pricing.md keeps the table between two markers; this script is its only author, and
tests/test_known_differences_table.py fails when the page and the TOML disagree:

    python tools/known_differences_table.py            # print the table
    python tools/known_differences_table.py --write    # replace the table in docs/pricing.md
    python tools/known_differences_table.py --check    # exit 1 when docs/pricing.md is out of date

One section per provider, then one row per (kind, field, reason): the models that share a reason
share a row, so forty "retired here, current there" entries read as a few lines. The provider and
kind are derived, not stored: a model the bundled catalog names (id or alias) is ours (kind
``unlisted`` for ``field = "model"``); any other id is the source's (kind ``missing``), and its
provider is the genai-prices provider that lists it.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRICING = ROOT / "pricing"
DOC = ROOT / "docs" / "pricing.md"
START = "<!-- known-differences:start -->"  # generated below: edit the TOML, then run with --write
END = "<!-- known-differences:end -->"
KIND_ORDER = ("missing", "unlisted", "price", "retirement")

Differences = Mapping[tuple[str, str], str]  # (model, field) -> reason


def load_differences(path: Path) -> dict[tuple[str, str], str]:
    """The file, validated by the same schema `pricing diff` uses (PricingError when invalid)."""
    from costpanel.pricing.diff import load_known_differences

    return load_known_differences(path)


def catalog_names(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """``{id or alias: provider}`` of the bundled files and ``{provider: display name}``."""
    names: dict[str, str] = {}
    titles: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        with path.open("rb") as f:
            data = tomllib.load(f)
        titles[data["provider"]] = data["name"]
        for m in data["models"]:
            for name in (m["id"], *m.get("aliases", ())):
                names[name] = data["provider"]
    return names, titles


def source_providers() -> dict[str, str]:
    """``{genai-prices model id: our provider}`` for the covered providers."""
    from genai_prices import data

    from costpanel.pricing.diff import GENAI_PROVIDERS

    return {m.id: GENAI_PROVIDERS[p.id] for p in data.providers if p.id in GENAI_PROVIDERS for m in p.models}


def kind_of(model: str, field: str, ours: bool) -> str:
    if field == "model":
        return "unlisted" if ours else "missing"
    return "retirement" if field == "retired" else "price"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(differences: Differences, names: Mapping[str, str], titles: Mapping[str, str],
           theirs: Mapping[str, str]) -> str:
    """The markdown block (markers included) for ``differences``."""
    by_field: dict[str, dict[tuple[str, str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for (model, field), reason in differences.items():
        provider = names.get(model) or theirs.get(model) or "other"
        by_field[provider][(kind_of(model, field, model in names), reason, field)].append(model)
    lines = [START, ""]
    for provider in sorted(by_field, key=lambda p: (p == "other", p)):
        # one row per (kind, reason, models): the fields the same models differ in for one reason
        rows: dict[tuple[str, str, tuple[str, ...]], list[str]] = defaultdict(list)
        for (kind, reason, field), models in by_field[provider].items():
            rows[(kind, reason, tuple(sorted(models)))].append(field)
        count = sum(len(models) * len(fields) for (_, _, models), fields in rows.items())
        lines += [f"#### {titles.get(provider, provider)} ({count})", "",
                  "| models | kind | fields | reason |", "|---|---|---|---|"]
        for (kind, reason, models), fields in sorted(
                rows.items(), key=lambda kv: (KIND_ORDER.index(kv[0][0]), kv[0][2], kv[0][1])):
            shown = ", ".join(f"`{m}`" for m in models)
            lines.append(f"| {shown} | {kind} | {', '.join(sorted(fields))} | {_cell(reason)} |")
        lines.append("")
    return "\n".join([*lines, END])


def table(path: Path = PRICING / "_known_differences.toml") -> str:
    names, titles = catalog_names(PRICING)
    return render(load_differences(path), names, titles, source_providers())


def replace_block(page: str, block: str) -> str:
    """``page`` with the text between the markers replaced (ValueError when they are missing)."""
    start, end = page.find(START), page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{DOC}: the markers {START!r} … {END!r} are missing")
    return page[:start] + block + page[end + len(END):]


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="replace the table in docs/pricing.md")
    mode.add_argument("--check", action="store_true", help="exit 1 when docs/pricing.md is out of date")
    args = parser.parse_args(None if argv is None else list(argv))
    block = table()
    if not (args.write or args.check):
        print(block)
        return 0
    page = DOC.read_text(encoding="utf-8")
    updated = replace_block(page, block)
    if args.check:
        if updated != page:
            print(f"{DOC} is out of date: run python tools/known_differences_table.py --write", file=sys.stderr)
            return 1
        return 0
    if updated != page:
        DOC.write_text(updated, encoding="utf-8")
    print(f"wrote the known-differences table ({len(block.splitlines())} lines) to {DOC}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))  # run from a checkout without installing
    raise SystemExit(main())
