"""The panel's What-if tab as plain Python (gui/whatif_pane.py): choices, the session's what-if
(recomputed at most every REFRESH_S while calls come in), the cheapest candidate, and a History
range repriced from a real ledger in a background thread. Prices: tests/data/whatif/prices.toml
(see tests/test_whatif.py: wi-actual $3/$15, wi-cached $2/$10, wi-nocache $1/$4 per 1M tokens)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage, load_catalog
from costpanel.gui.whatif_pane import CHEAPEST, CHEAPEST_PER_TIER, EMPTY, REFRESH_S, SESSION, WhatIfPane
from costpanel.pricing import Catalog

PRICES = Path(__file__).parent / "data" / "whatif" / "prices.toml"
T2 = Usage(2000, 100)  # wi-actual $0.0075; wi-cached $0.005; wi-nocache $0.0024


@pytest.fixture
def wi_catalog() -> Catalog:
    return load_catalog(overrides=False, extra=[PRICES])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settled(pane: WhatIfPane, snap: object) -> object:
    """The pane's view once its background History reprice is done (or 10 s have passed)."""
    end = time.monotonic() + 10
    view = pane.view(snap)  # type: ignore[arg-type]
    while view.busy and time.monotonic() < end:
        time.sleep(0.01)
        view = pane.view(snap)  # type: ignore[arg-type]
    return view


def cells(view: object) -> list[tuple[str, str, str, str, str]]:
    return [(line.label, line.target, line.actual, line.what_if, line.difference) for line in view.tiers]  # type: ignore[attr-defined]


def test_nothing_is_shown_until_a_target_is_picked_and_the_choices_lead_with_the_cheapest(wi_catalog: Catalog) -> None:
    pane = WhatIfPane(wi_catalog)
    tracker = CostTracker(wi_catalog, fallback=False)
    assert pane.view(tracker.snapshot()) is EMPTY
    choices = pane.choices()
    assert choices[:2] == (CHEAPEST, CHEAPEST_PER_TIER)
    assert {"wi-cached", "wi-nocache"} <= set(choices)


def test_the_session_is_repriced_and_refreshed_at_most_every_half_second(wi_catalog: Catalog) -> None:
    clock = Clock()
    pane = WhatIfPane(wi_catalog, clock=clock)
    tracker = CostTracker(wi_catalog, fallback=False)
    tracker.record("wi-actual", T2, tier="Tier 2")
    pane.choose("wi-cached")
    view = pane.view(tracker.snapshot())
    assert view.heading == "This session: every tier on wi-cached"
    assert cells(view) == [("Tier 2", "wi-cached", "$0.0075", "$0.0050", "-$0.0025"),
                           ("Total", "wi-cached", "$0.0075", "$0.0050", "-$0.0025")]
    tracker.record("wi-actual", T2, tier="Tier 2")  # the snapshot changed ...
    assert pane.view(tracker.snapshot()) is view  # ... but the last what-if is only just computed
    clock.now += REFRESH_S
    assert cells(pane.view(tracker.snapshot()))[-1] == ("Total", "wi-cached", "$0.015", "$0.010", "-$0.0050")
    pane.choose("wi-nocache")  # a new target is computed at once
    assert cells(pane.view(tracker.snapshot()))[-1] == ("Total", "wi-nocache", "$0.015", "$0.0048", "-$0.010")


def test_an_unknown_target_is_said_not_priced_as_zero(wi_catalog: Catalog) -> None:
    pane = WhatIfPane(wi_catalog)
    tracker = CostTracker(wi_catalog, fallback=False)
    tracker.record("wi-actual", T2)
    pane.choose("gpt-99")
    view = pane.view(tracker.snapshot())
    assert view.tiers == () and view.error is not None and "unknown model 'gpt-99'" in view.error


def test_the_cheapest_candidate_is_named_with_its_rows(wi_catalog: Catalog, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSTPANEL_CONFIG_DIR", str(tmp_path))
    (tmp_path / "whatif.toml").write_text('[whatif]\ncandidates = ["wi-cached", "wi-nocache", "no-such-model"]\n')
    pane = WhatIfPane(wi_catalog)
    tracker = CostTracker(wi_catalog, fallback=False)
    tracker.record("wi-actual", T2, tier="Tier 2")
    pane.choose(CHEAPEST)
    view = pane.view(tracker.snapshot())
    assert view.heading == "This session: cheapest of your list: every tier on wi-nocache"
    assert cells(view)[-1] == ("Total", "wi-nocache", "$0.0075", "$0.0024", "-$0.0051")
    assert "no-such-model: not in the price catalog" in view.notes


def test_a_history_range_is_repriced_from_the_ledger_call_by_call_in_the_background(
        wi_catalog: Catalog, tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    tracker = CostTracker(wi_catalog, fallback=False, ledger=db)
    tracker.record("wi-actual", T2, tier="Tier 2")
    tracker.record("wi-actual", T2, tier="Tier 2")
    tracker.close()
    pane = WhatIfPane(wi_catalog, ledger_path=db)
    pane.choose("wi-cached")
    pane.set_scope("today")
    snap = CostTracker(wi_catalog, fallback=False).snapshot()  # the session itself plays no part
    view = settled(pane, snap)
    assert view.heading == "History today: every tier on wi-cached (call by call, exact)"
    assert cells(view) == [("Tier 2", "wi-cached", "$0.015", "$0.010", "-$0.0050"),
                           ("Total", "wi-cached", "$0.015", "$0.010", "-$0.0050")]


def test_a_history_what_if_without_a_ledger_says_so(wi_catalog: Catalog, tmp_path: Path) -> None:
    pane = WhatIfPane(wi_catalog, ledger_path=tmp_path / "none.sqlite3")
    pane.choose("wi-cached")
    pane.set_scope("7d")
    snap = CostTracker(wi_catalog, fallback=False).snapshot()
    view = settled(pane, snap)
    assert view.error == "no ledger: History what-ifs reprice the calls it keeps"
    pane.set_scope(SESSION)
    assert pane.view(snap).error is None
