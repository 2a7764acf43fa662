"""Model names, tiers, sessions and event ids: at most 256 characters, no control characters,
refused with a clear error by the API (record, attempts, quote) and the CLI, changing nothing."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from costpanel import CostTracker, Usage
from costpanel.labels import MAX_LABEL
from costpanel.pricing import Catalog
from costpanel.quote import quote

USAGE = Usage(input=100, output=10)
LONG = "m" * (MAX_LABEL + 1)
CONTROL = ["gpt-4o\n", "gpt\x004o", "\x1b[31mgpt-4o", "gpt-4o\r", "gpt\u20284o", "tab\there", "del\x7f", "c1\x85"]


def refused(tracker: CostTracker, reason: str, **kwargs: object) -> None:
    version = tracker.version
    args = {"model": "gpt-4o", "usage": USAGE, "tier": "Tier 1", **kwargs}
    with pytest.raises(ValueError, match=reason):
        tracker.record(**args)  # type: ignore[arg-type]
    snap = tracker.snapshot()
    assert snap.calls == 0 and tracker.version == version  # nothing changed


@pytest.mark.parametrize("field", ["model", "tier", "session", "event_id"])
def test_a_label_longer_than_256_characters_is_refused(tracker: CostTracker, field: str) -> None:
    refused(tracker, rf"{field} is 257 characters long \(at most 256\)", **{field: LONG})


@pytest.mark.parametrize("value", CONTROL)
@pytest.mark.parametrize("field", ["model", "tier", "session", "event_id"])
def test_a_label_with_a_control_character_is_refused(tracker: CostTracker, field: str, value: str) -> None:
    refused(tracker, f"{field} contains a control character", **{field: value})


def test_a_bad_name_is_refused_every_time_never_cached(tracker: CostTracker) -> None:
    for _ in range(3):
        refused(tracker, "control character", model="gpt-4o\n")
        refused(tracker, "control character", tier="Tier\n1")
        refused(tracker, "control character", session="s\n1")


def test_names_of_256_characters_and_any_script_or_emoji_are_fine(tracker: CostTracker) -> None:
    tracker.record("m" * MAX_LABEL, USAGE, tier="t" * MAX_LABEL, session="s" * MAX_LABEL, event_id="e" * MAX_LABEL)
    tracker.record("模型-1", USAGE, tier="Tier ✨ 👩‍💻", session="セッション", event_id="id-é")
    tracker.record("gpt-4o", USAGE, tier="Tier 1", session="same", event_id="a")
    tracker.record("gpt-4o", USAGE, tier="Tier 1", session="same", event_id="b")  # a remembered session
    assert tracker.snapshot().calls == 4


def test_a_session_given_to_the_tracker_or_reset_follows_the_rule(catalog: Catalog) -> None:
    for bad in (LONG, "s\n", "\x00"):
        with pytest.raises(ValueError):
            CostTracker(catalog, session=bad)
        tracker = CostTracker(catalog)
        with pytest.raises(ValueError):
            tracker.reset(bad)
        assert tracker.snapshot().calls == 0


def test_attempts_refuse_bad_names_and_ids_and_hold_nothing(tracker: CostTracker) -> None:
    with pytest.raises(ValueError):
        with tracker.attempt(tier="Tier\n2"):
            pass
    with tracker.attempt(tier="Tier 2") as a:
        with pytest.raises(ValueError, match="model contains a control character"):
            a.record("gpt-4o\x1b", USAGE)
        with pytest.raises(ValueError, match="event_id is 257 characters long"):
            a.record("gpt-4o", USAGE, event_id=LONG)
        assert tracker.snapshot().pending_calls == 0
    snap = tracker.snapshot()
    assert snap.calls == 0 and snap.discarded.calls == 0


def test_quote_refuses_the_names_the_tracker_refuses(catalog: Catalog) -> None:
    at = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
    for bad in (LONG, "gpt-4o\n"):
        with pytest.raises(ValueError, match="model"):
            quote(catalog, bad, USAGE, at)
    assert quote(catalog, "gpt-4o", USAGE, at).priced


@pytest.mark.parametrize(("name", "reason"), [("gpt\n4o", "model contains a control character ('\\n' at position 3)"),
                                              ("\x1b[2Jgpt-4o", "model contains a control character ('\\x1b'"),
                                              (LONG, "model is 257 characters long (at most 256)")])
def test_costpanel_price_refuses_such_names_on_one_line_with_exit_2(name: str, reason: str) -> None:
    r = subprocess.run([sys.executable, "-m", "costpanel", "price", name, "--input", "5"], capture_output=True,
                       text=True, env={**os.environ, "COLUMNS": "400"}, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert reason in r.stderr
