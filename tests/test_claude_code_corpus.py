"""A realistic Claude Code corpus read back and priced: per-day and per-model totals, to the 1e-12 USD,
against an exact computation that shares nothing with costpanel's pricing code.

The corpus (tests/corpora/claude_code.py) knows the final usage of every call it wrote. The reader's
calls, de-duplicated here the way the tracker and the ledger upsert does (one call per event id,
keeping the line with the most tokens), must give back exactly those calls; the catalog's prices
(``CostTracker.price``) and the table below, typed in from Anthropic's pricing page, must agree on
every day's and every model's total.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from corpora.claude_code import CALL, REPLAYED, TORN, Truth, TrueCall, write_corpus

from costpanel import CostTracker
from costpanel.integrations import claude_code as cc
from costpanel.integrations.logs import LogCall

D = Decimal
# USD per 1M tokens: input, output, cache read, 5-minute write, 1-hour write
# (platform.claude.com/docs/en/about-claude/pricing; 1-hour writes are 2x input, 5-minute 1.25x).
Rates = tuple[Decimal, Decimal, Decimal, Decimal, Decimal]
SONNET: Rates = (D(3), D(15), D("0.30"), D("3.75"), D(6))
SONNET_LONG: Rates = (D(6), D("22.50"), D("0.60"), D("7.50"), D(12))  # prompt above 200k: the whole call
OPUS_45: Rates = (D(5), D(25), D("0.50"), D("6.25"), D(10))
OPUS_46_LONG: Rates = (D(10), D("37.50"), D(1), D("12.50"), D(20))
# model -> [(first UTC day, rates, long-context rates or None)], latest applicable wins.
PRICES: dict[str, list[tuple[dt.date, Rates, Rates | None]]] = {
    "claude-opus-4-6": [(dt.date(2026, 2, 5), OPUS_45, OPUS_46_LONG), (dt.date(2026, 3, 13), OPUS_45, None)],
    "claude-sonnet-4-6": [(dt.date(2026, 2, 17), SONNET, SONNET_LONG), (dt.date(2026, 3, 13), SONNET, None)],
    "claude-sonnet-4-5": [(dt.date(2025, 9, 29), SONNET, SONNET_LONG)],
    "claude-opus-4-5": [(dt.date(2025, 11, 24), OPUS_45, None)],
    "claude-haiku-4-5": [(dt.date(2025, 10, 15), (D(1), D(5), D("0.10"), D("1.25"), D(2)), None)],
    "claude-sonnet-4": [(dt.date(2025, 5, 22), SONNET, SONNET_LONG)],
    "claude-opus-4-1": [(dt.date(2025, 8, 5), (D(15), D(75), D("1.50"), D("18.75"), D(30)), None)],
}
WEB_SEARCH_PER_1K = D(10)
FAST = {"claude-opus-4-6": D(6)}  # fast mode: 6x every token price (fees unchanged)
LONG_CONTEXT_ABOVE = 200_000
MICRO = D(10) ** -6
UNIT = D(10) ** -12  # costpanel's money unit


def base_model(logged: str) -> str:
    """``claude-sonnet-4-5-20250929`` -> ``claude-sonnet-4-5``."""
    head, _, tail = logged.rpartition("-")
    return head if len(tail) == 8 and tail.isdigit() else logged


def exact_cost(call: TrueCall) -> Decimal:
    when = dt.datetime.fromtimestamp(call.ts, dt.timezone.utc).date()
    periods = [p for p in PRICES[base_model(call.model)] if p[0] <= when]
    _, rates, long = periods[-1]
    if long is not None and call.prompt > LONG_CONTEXT_ABOVE:
        rates = long
    counts = (call.input, call.output, call.cache_read, call.cache_write, call.cache_write_1h)
    tokens = sum(D(n) * r for n, r in zip(counts, rates, strict=True)) * MICRO
    if call.variant == "fast":
        tokens *= FAST[base_model(call.model)]
    return tokens + D(call.web_search) * WEB_SEARCH_PER_1K / 1000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    root = tmp_path_factory.mktemp("claude")
    return root, write_corpus(root, seed=11, lines=6000)


def read_corpus(root: Path) -> tuple[list[LogCall], Counter[str]]:
    """Every call line of every file, as ``costpanel import`` reads them (a torn last line waits)."""
    calls: list[LogCall] = []
    skipped: Counter[str] = Counter()
    for path in cc.find_files(root):
        lines = path.read_bytes().split(b"\n")
        if lines[-1]:
            skipped[TORN] += 1
        reader = cc.Reader(path)
        calls += reader.read_lines(lines[:-1])
        skipped.update(reader.skipped)
    return calls, skipped


def tokens(call: LogCall) -> int:
    u = call.usage
    return u.input + u.output + u.cache_read + u.cache_write + u.cache_write_1h


def deduplicated(calls: list[LogCall]) -> dict[str, LogCall]:
    """One call per event id, the line with the most tokens (the upsert's rule)."""
    kept: dict[str, LogCall] = {}
    for call in calls:
        if call.event_id not in kept or tokens(call) > tokens(kept[call.event_id]):
            kept[call.event_id] = call
    return kept


def test_the_corpus_has_every_trap_it_promises(corpus: tuple[Path, Truth]) -> None:
    root, truth = corpus
    calls = truth.calls
    assert len({base_model(c.model) for c in calls}) == len(PRICES) >= 5
    for model in PRICES:  # every price of every model is exercised
        mine = [c for c in calls if base_model(c.model) == model]
        for bucket in ("input", "output", "cache_read", "cache_write", "cache_write_1h", "web_search"):
            assert sum(getattr(c, bucket) for c in mine), (model, bucket)
    long: dict[tuple[str, bool], list[TrueCall]] = defaultdict(list)
    for c in calls:
        if c.prompt > LONG_CONTEXT_ABOVE:
            long[base_model(c.model), c.day < "2026-03-13"].append(c)
    assert {("claude-opus-4-6", True), ("claude-sonnet-4-6", True), ("claude-sonnet-4-5", True),
            ("claude-sonnet-4-5", False), ("claude-opus-4-6", False), ("claude-sonnet-4", True)} <= long.keys()
    for (model, _), mine in long.items():  # every long-context price too
        for bucket in ("input", "output", "cache_read", "cache_write", "cache_write_1h"):
            assert sum(getattr(c, bucket) for c in mine), (model, bucket)
    assert any(c.web_search for c in calls) and any(c.variant == "fast" for c in calls)
    assert any(c.event_id.endswith(":") for c in calls)  # sessions behind a proxy: no requestId
    assert {c.tier for c in calls} == {"main", "subagent"}
    assert len({c.project for c in calls}) >= 4 and len({c.day for c in calls}) >= 5
    assert any("subagents" in p.parts for p in truth.files)
    assert truth.lines[CALL] > len(calls)  # streaming partials and resumed copies
    assert truth.lines[TORN] == 1 and all(truth.lines[k] for k in ("synthetic", "api error", "malformed json"))
    advisors = [c for c in calls if c.event_id.endswith(":advisor1")]  # /advisor: a second model's call
    assert truth.advisor_entries >= len(advisors) > 5 and {c.tier for c in advisors} == {"main", "subagent"}
    assert truth.lines[REPLAYED] > 5 and any("aside_question" in p.name for p in truth.files)  # /btw side questions
    assert max(p.stat().st_size for p in truth.files) > 1_000_000 or any(
        len(x) > 100_000 for p in truth.files for x in p.read_bytes().split(b"\n"))


def test_reading_the_corpus_gives_back_every_call_with_its_final_usage(corpus: tuple[Path, Truth]) -> None:
    root, truth = corpus
    calls, skipped = read_corpus(root)
    assert len(calls) == truth.lines[CALL] + truth.advisor_entries  # an advisor's entry is one call more
    assert skipped == Counter({k: n for k, n in truth.lines.items() if k != CALL})
    kept = deduplicated(calls)
    assert kept.keys() == {c.event_id for c in truth.calls}
    for expected in truth.calls:
        got = kept[expected.event_id]
        u = got.usage
        assert (u.input, u.output, u.cache_read, u.cache_write, u.cache_write_1h, u.web_search) == (
            expected.input, expected.output, expected.cache_read, expected.cache_write, expected.cache_write_1h,
            expected.web_search), expected.event_id
        assert (got.ts, got.model, got.project, got.session, got.tier, got.variant, got.source) == (
            expected.ts, expected.model, expected.project, expected.session, expected.tier, expected.variant,
            "claude-code")


def test_per_day_and_per_model_totals_match_an_independent_exact_computation(corpus: tuple[Path, Truth]) -> None:
    root, truth = corpus
    kept = deduplicated(read_corpus(root)[0])
    tracker = CostTracker(fallback=False)
    ours_day: dict[str, int] = defaultdict(int)
    ours_model: dict[str, int] = defaultdict(int)
    for call in kept.values():
        held = tracker.price(call.model, call.usage, call.tier, dt.datetime.fromtimestamp(call.ts, dt.timezone.utc),
                             call.variant, source=call.source, project=call.project)
        assert held.cost is not None, call
        ours_day[dt.datetime.fromtimestamp(call.ts, dt.timezone.utc).date().isoformat()] += held.cost
        ours_model[base_model(call.model)] += held.cost
    exact_day: dict[str, Decimal] = defaultdict(Decimal)
    exact_model: dict[str, Decimal] = defaultdict(Decimal)
    for call in truth.calls:
        cost = exact_cost(call)
        exact_day[call.day] += cost
        exact_model[base_model(call.model)] += cost
    assert {d: D(v) * UNIT for d, v in ours_day.items()} == exact_day
    assert {m: D(v) * UNIT for m, v in ours_model.items()} == exact_model
    assert sum(exact_day.values()) > 100  # dollars: a corpus that means something


def test_the_independent_table_knows_a_1h_write_from_a_5m_one() -> None:
    """The cross-check has teeth: the same tokens as a 5-minute write cost less."""
    one_hour = TrueCall("e", dt.datetime(2026, 3, 14, tzinfo=dt.timezone.utc).timestamp(), "claude-opus-4-6",
                        0, 0, 0, 0, 1_000_000, 0, "", "s", "main", None)
    assert exact_cost(one_hour) == D(10)
    assert exact_cost(one_hour._replace(cache_write=1_000_000, cache_write_1h=0)) == D("6.25")
    before = one_hour._replace(ts=dt.datetime(2026, 3, 12, 23, 59, tzinfo=dt.timezone.utc).timestamp())
    assert exact_cost(before) == D(20)  # a 1M-token prompt, still under the long-context cliff
    assert exact_cost(before._replace(variant="fast", web_search=2)) == D(120) + D("0.02")
