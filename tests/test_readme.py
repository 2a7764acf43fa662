"""The README's "Wire it into your orchestrator" code runs as written, on a fresh tracker and with a
realistic OpenAI response, so the README cannot drift from the API again."""

from __future__ import annotations

import contextlib
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

README = Path(__file__).parents[1] / "README.md"
SECTION = "## Wire it into your orchestrator"
RESPONSE = Path(__file__).parent / "data" / "usage" / "openai_chat_cached.json"


def section_code(heading: str) -> list[str]:
    """The ```python blocks between ``heading`` and the next second-level heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    body = text[start : end if end != -1 else None]
    return re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)


def sdk_response() -> Any:
    """What the OpenAI SDK hands an orchestrator: attributes all the way down (a recorded reply)."""
    return json.loads(RESPONSE.read_text(encoding="utf-8"), object_hook=lambda d: SimpleNamespace(**d))


def run_block(code: str) -> tuple[dict[str, Any], str]:
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"{README}:{SECTION}", "exec"), namespace)  # noqa: S102 - our own README
    return namespace, out.getvalue()


def test_the_section_has_its_example() -> None:
    blocks = section_code(SECTION)  # the wiring, then the pytest recipe
    assert len(blocks) == 2 and "tracker.record(" in blocks[0] and "snapshot()" in blocks[0]
    assert "def test_" in blocks[1] and "load_catalog(overrides=False)" in blocks[1]


def test_the_example_runs_as_written_on_a_fresh_tracker() -> None:
    code = section_code(SECTION)[0]
    namespace, printed = run_block(code)
    assert printed.strip() == "0 no Tier 3 calls yet ()"  # nothing recorded yet: no KeyError
    assert namespace["tracker"].snapshot().calls == 0  # reset() ran too


def test_the_example_callback_prices_a_real_openai_response() -> None:
    code = section_code(SECTION)[0]
    namespace, _ = run_block(code)
    on_usage, tracker = namespace["on_usage"], namespace["tracker"]
    response = sdk_response()
    on_usage("Tier 3", response.model, response)
    snap = tracker.snapshot()
    row = snap.by_tier["Tier 3"]
    # gpt-4o: 2006 prompt tokens of which 1920 cached, 300 output; $2.50 / $1.25 / $10 per 1M.
    expected = (Decimal(2006 - 1920) * Decimal("2.5") + 1920 * Decimal("1.25") + 300 * Decimal(10)) / 10**6
    assert row.calls == 1 and row.cache_read == 1920 and row.input == 86 and row.output == 300
    assert row.cost_usd == expected == snap.total_usd


def test_the_pytest_recipe_runs_as_written_and_can_fail(tmp_path: Path, monkeypatch: Any) -> None:
    """The recipe's test passes on an orchestrator that keeps Tier 1 on Haiku, fails on one that
    does not, and a price override of the developer's own does not reach it."""
    import pytest

    override = tmp_path / "mine.toml"
    override.write_text("[provider]\nid = 'anthropic'\n")  # would not even load: overrides are left out
    monkeypatch.setenv("COSTPANEL_PRICING", str(override))
    recipe = section_code(SECTION)[1]
    calls = [("Tier 1", "claude-haiku-4-5", {"input": 1200, "output": 80})]
    namespace: dict[str, Any] = {"run_my_orchestrator": lambda on_usage: [on_usage(*c) for c in calls]}
    exec(compile(recipe, f"{README}:{SECTION}", "exec"), namespace)  # noqa: S102 - our own README
    namespace["test_planner_stays_on_haiku"]()
    calls.append(("Tier 1", "claude-opus-4-6", {"input": 10, "output": 1}))
    with pytest.raises(AssertionError):
        namespace["test_planner_stays_on_haiku"]()
