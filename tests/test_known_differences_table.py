"""The deliberate-differences table in docs/pricing.md is generated from
pricing/_known_differences.toml by tools/known_differences_table.py and must not drift from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("known_differences_table", ROOT / "tools" / "known_differences_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _block(page: str, tool: ModuleType) -> str:
    start, end = page.index(tool.START), page.index(tool.END)
    return page[start:end + len(tool.END)]


def test_docs_table_matches_the_known_differences_file(tool: ModuleType) -> None:
    page = (ROOT / "docs" / "pricing.md").read_text(encoding="utf-8")
    assert _block(page, tool) == tool.table(), \
        "docs/pricing.md is out of date: run python tools/known_differences_table.py --write"


def test_every_known_difference_is_in_the_table(tool: ModuleType) -> None:
    table = tool.table()
    known = tool.load_differences(ROOT / "pricing" / "_known_differences.toml")
    assert len(known) > 100
    for model, _field in known:
        assert f"`{model}`" in table, model


def test_render_groups_models_by_provider_kind_and_reason(tool: ModuleType) -> None:
    names = {"acme-1": "acme", "acme-2": "acme", "acme-2-latest": "acme"}
    differences = {
        ("acme-1", "retired"): "retired here, current there",
        ("acme-2", "retired"): "retired here, current there",
        ("acme-2", "input"): "off-peak | peak",
        ("acme-2", "output"): "off-peak | peak",
        ("acme-x", "model"): "their fine-tune",       # not ours: missing, provider from the source
        ("acme-2-latest", "model"): "priced from the page",  # an alias of ours: unlisted
        ("nobody-1", "model"): "unknown everywhere",
    }
    block = tool.render(differences, names, {"acme": "Acme AI"}, {"acme-x": "acme"})
    lines = block.splitlines()
    assert lines[0] == tool.START and lines[-1] == tool.END
    assert "#### Acme AI (6)" in lines and "#### other (1)" in lines
    acme_rows = [line for line in lines if line.startswith("| `acme")]
    assert acme_rows == [
        "| `acme-x` | missing | model | their fine-tune |",
        "| `acme-2-latest` | unlisted | model | priced from the page |",
        "| `acme-2` | price | input, output | off-peak \\| peak |",
        "| `acme-1`, `acme-2` | retirement | retired | retired here, current there |",
    ]


def test_replace_block_needs_the_markers(tool: ModuleType) -> None:
    assert tool.replace_block(f"a\n{tool.START}\nold\n{tool.END}\nb", "NEW") == "a\nNEW\nb"
    with pytest.raises(ValueError, match="markers"):
        tool.replace_block("no markers here", "NEW")
