"""Layers point one way: the domain (usage, money, tracker, pricing, ledger, budgets …) never imports
the GUI or Dear PyGui, nor the CLI. Checked twice: every import statement in those modules (also
the ones inside functions), and what importing them really loads in a fresh interpreter."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import costpanel

PACKAGE = Path(costpanel.__file__).parent
UPPER = ("costpanel.gui", "costpanel.cli", "dearpygui")  # what the domain must not reach


def domain_modules() -> list[str]:
    """Every module of the package except the GUI and the CLI (and ``__main__``, the CLI's entry)."""
    names = ["costpanel"]
    for info in pkgutil.walk_packages([str(PACKAGE)], "costpanel."):
        if not info.name.startswith(("costpanel.gui", "costpanel.cli")) and info.name != "costpanel.__main__":
            names.append(info.name)
    return sorted(names)


# Integrations built on an optional library (an extra): their imports are checked statement by
# statement like every module's, but importing them loads LiteLLM, the Agents SDK or OpenTelemetry
# (seconds each, and LiteLLM reaches for the network), which says nothing about costpanel's layers.
ON_EXTRAS = ("costpanel.integrations.litellm", "costpanel.integrations.openai_agents",
             "costpanel.integrations.otel", "costpanel.integrations.otlp")


def module_file(name: str) -> Path:
    relative = Path(*name.split(".")[1:])
    package = PACKAGE / relative / "__init__.py"
    return package if package.exists() else (PACKAGE / relative).with_suffix(".py")


def imported_names(name: str, source: str | None = None) -> set[str]:
    """Absolute names of every module an ``import`` statement in module ``name`` mentions (its
    file, or ``source``), inside functions too."""
    path = module_file(name)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8") if source is None else source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_the_domain_modules_are_found() -> None:
    names = domain_modules()
    for expected in ("costpanel.tracker", "costpanel.budgets", "costpanel.pricing.catalog",
                     "costpanel.ledger.budgets", "costpanel.ledger.store"):
        assert expected in names
    assert not any(n.startswith("costpanel.gui") for n in names)


def test_no_domain_module_imports_the_gui_the_cli_or_dear_pygui() -> None:
    offending = {
        name: sorted(i for i in imported_names(name) if i.startswith(UPPER))
        for name in domain_modules()
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_check_would_catch_the_arrow_this_issue_removed() -> None:
    # ledger/budgets.py used to import the budget maths from the GUI, inside a function or not.
    before = "def lines():\n    from ..gui.budget import BudgetStatus\n"
    assert "costpanel.gui.budget" in imported_names("costpanel.ledger.budgets", before)
    assert "dearpygui.dearpygui" in imported_names("costpanel.tracker", "import dearpygui.dearpygui as dpg\n")


def test_importing_the_domain_loads_neither_the_gui_nor_dear_pygui() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {[n for n in domain_modules() if n not in ON_EXTRAS]!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('costpanel.gui', 'costpanel.cli', "
        "'dearpygui')))))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
