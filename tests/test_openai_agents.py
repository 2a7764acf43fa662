"""OpenAI Agents SDK hooks (issue 11 §4): real ``agents`` runs (async, sync, streamed; handoffs and
agents run as tools) against a scripted ``Model`` with fixed usage, offline, tracing off. Costs are
checked in exact Decimal against the rates typed in from pricing/openai.toml."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from agents import (
    Agent,
    ModelSettings,
    RunConfig,
    Runner,
    handoff,
    set_tracing_disabled,
)
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call
from agents.usage import Usage as AgentsUsage
from openai.types.responses import ResponseFunctionWebSearch
from openai.types.responses.response_function_web_search import ActionSearch
from openai.types.responses.response_usage import (
    InputTokensDetails,
    OutputTokensDetails,
)

from costpanel import CostTracker, Usage
from costpanel.events import Event
from costpanel.integrations.logs import BAD_FIELD, NO_MODEL, NO_USAGE
from costpanel.integrations.openai_agents import (
    FAILED,
    REJECTED,
    SOURCE,
    CostpanelHooks,
    event_ids,
    usages_of,
)
from costpanel.ledger.queries import open_read_only, parse_range, report

M = Decimal(10**6)
# pricing/openai.toml, USD per 1M tokens, periods in force today:
SOL = {"input": Decimal("5.00"), "cache_read": Decimal("0.50"), "cache_write": Decimal("6.25"),
       "output": Decimal("30.00")}  # gpt-5.6-sol from 2026-12-01 (no long-context cliff below 272k prompt)
SOL_LONG = {"input": Decimal("10.00"), "cache_read": Decimal("1.00"), "cache_write": Decimal("12.50"),
            "output": Decimal("45.00")}  # its tier above 272,000 prompt tokens
GPT_4O = {"input": Decimal("2.50"), "cache_read": Decimal("1.25"), "cache_write": Decimal("2.50"),
          "output": Decimal("10.00")}  # gpt-4o from 2024-10-02: no cache-write price, so writes bill as input
WEB_SEARCH_SOL = Decimal(10) / 1000  # web_search_per_1k = 10


@pytest.fixture(autouse=True, scope="module")
def no_tracing() -> Iterator[None]:
    """Nothing leaves the machine: the SDK's trace exporter would post to api.openai.com."""
    set_tracing_disabled(True)
    yield


@pytest.fixture(autouse=True)
def close_run_sync_loop() -> Iterator[None]:
    """``Runner.run_sync`` leaves the thread's default event loop open on purpose (for loop-bound
    session helpers); close it after each test, or the next ``asyncio.run`` drops it unclosed (a
    ResourceWarning, an error under filterwarnings=error)."""
    yield
    policy = asyncio.get_event_loop_policy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "no current event loop" (Python 3.12+)
        try:
            loop = policy.get_event_loop()
        except RuntimeError:  # none: asyncio.run cleared it
            return
    loop.close()
    policy.set_event_loop(None)


class Named(ScriptedModel):
    """The SDK's scripted test model, with a name as OpenAI's and LiteLLM's models carry one."""

    def __init__(self, model: str, steps: list[Any]) -> None:
        super().__init__(steps)
        self.model = model


def usage(input: int, output: int, cached: int = 0, written: int = 0, reasoning: int = 0) -> AgentsUsage:
    """One request's usage as the SDK reports it: input includes cached and written tokens."""
    return AgentsUsage(requests=1, input_tokens=input, output_tokens=output, total_tokens=input + output,
                       input_tokens_details=InputTokensDetails(cached_tokens=cached, cache_write_tokens=written),
                       output_tokens_details=OutputTokensDetails(reasoning_tokens=reasoning))


def answer(text: str, used: AgentsUsage, response_id: str | None, **extra: Any) -> ModelStep:
    return ModelStep(output=[assistant_message(text)], usage=used, response_id=response_id, **extra)


def cost(rates: dict[str, Decimal], u: Usage) -> Decimal:
    return sum((rates[b] * getattr(u, b) for b in ("input", "cache_read", "cache_write", "output")), Decimal(0)) / M


def recorded(tracker: CostTracker) -> list[Event]:
    events: list[Event] = []
    tracker.subscribe(events.append)
    return events


MAIN = usage(input=12_000, output=900, cached=8_000, written=1_000, reasoning=400)
MAIN_BUCKETS = Usage(input=3_000, cache_read=8_000, cache_write=1_000, output=900)


# -- one run, every field ----------------------------------------------------------------------------------
def test_async_run_records_the_response_in_disjoint_buckets_at_the_exact_catalog_price(tracker: CostTracker) -> None:
    events = recorded(tracker)
    agent = Agent(name="Planner", model=Named("gpt-5.6-sol", [answer("done", MAIN, "resp_main")]))
    hooks = CostpanelHooks(tracker)

    result = asyncio.run(Runner.run(agent, "hi", hooks=hooks))

    assert result.final_output == "done"
    (event,) = events
    assert event.usage == MAIN_BUCKETS  # input excludes cached and written; output keeps the reasoning
    assert (event.model, event.matched, event.tier) == ("gpt-5.6-sol", "gpt-5.6-sol", "Planner")
    assert (event.event_id, event.source, event.project, event.variant) == ("openai-agents:resp_main", SOURCE, "",
                                                                             None)
    assert event.session == tracker.session
    assert event.cost_usd == cost(SOL, MAIN_BUCKETS) == Decimal("0.05225")
    assert tracker.snapshot().total_usd == Decimal("0.05225")
    assert not hooks.skipped


def test_cache_writes_on_a_model_without_a_write_price_bill_as_input(tracker: CostTracker) -> None:
    agent = Agent(name="Old", model=Named("gpt-4o", [answer("ok", MAIN, "resp_4o")]))
    Runner.run_sync(agent, "hi", hooks=CostpanelHooks(tracker))
    row = tracker.snapshot().by_tier["Old"]
    assert row.usage == MAIN_BUCKETS
    assert row.cost_usd == cost(GPT_4O, MAIN_BUCKETS) == (Decimal(4_000) * Decimal("2.50") + 8_000 * Decimal("1.25")
                                                           + 900 * Decimal(10)) / M


def test_session_project_and_a_fixed_tier_come_from_the_constructor(tracker: CostTracker) -> None:
    events = recorded(tracker)
    agent = Agent(name="Planner", model=Named("gpt-5.6-sol", [answer("done", MAIN, "resp_1")]))
    hooks = CostpanelHooks(tracker, tier="Tier 2", session="nightly", project="/src/shop")
    Runner.run_sync(agent, "hi", hooks=hooks)
    (event,) = events
    assert (event.tier, event.session, event.project) == ("Tier 2", "nightly", "/src/shop")


# -- several agents: a tier per agent name -----------------------------------------------------------------
def test_a_handoff_records_each_agent_under_its_own_name_and_model(tracker: CostTracker) -> None:
    billing = Agent(name="Billing", model=Named("gpt-5.6-sol", [answer("refunded", MAIN, "resp_b")]))
    to_billing = handoff(billing)
    triage_usage = usage(input=2_000, output=50, cached=1_000)
    triage = Agent(name="Triage", handoffs=[to_billing], model=Named("gpt-4o", [
        ModelStep(output=[function_call(to_billing.tool_name, "{}", call_id="call_1")], usage=triage_usage,
                  response_id="resp_t")]))

    result = Runner.run_sync(triage, "refund me", hooks=CostpanelHooks(tracker))

    assert result.final_output == "refunded"
    tiers = tracker.snapshot().by_tier
    assert set(tiers) == {"Triage", "Billing"}
    triage_buckets = Usage(input=1_000, cache_read=1_000, output=50)
    assert (tiers["Triage"].calls, tiers["Triage"].models, tiers["Triage"].usage) == (1, ("gpt-4o",), triage_buckets)
    assert (tiers["Billing"].calls, tiers["Billing"].models, tiers["Billing"].usage) == (1, ("gpt-5.6-sol",),
                                                                                         MAIN_BUCKETS)
    assert tiers["Triage"].cost_usd == cost(GPT_4O, triage_buckets)
    assert tracker.snapshot().total_usd == cost(GPT_4O, triage_buckets) + cost(SOL, MAIN_BUCKETS)


def test_an_agent_run_as_a_tool_is_recorded_when_the_hooks_are_passed_to_it(tracker: CostTracker) -> None:
    hooks = CostpanelHooks(tracker)
    research = usage(input=5_000, output=700, reasoning=300)
    researcher = Agent(name="Researcher", model=Named("gpt-4o", [answer("facts", research, "resp_r")]))
    tool = researcher.as_tool("research", "Finds facts.", hooks=hooks)
    lead = Agent(name="Lead", tools=[tool], model=Named("gpt-5.6-sol", [
        ModelStep(output=[function_call("research", {"input": "x"}, call_id="call_r")], usage=usage(1_000, 20),
                  response_id="resp_l1"),
        answer("summary", usage(input=1_500, output=80, cached=1_000), "resp_l2"),
    ]))

    result = Runner.run_sync(lead, "go", hooks=hooks)

    assert result.final_output == "summary"
    tiers = tracker.snapshot().by_tier
    assert (tiers["Lead"].calls, tiers["Researcher"].calls) == (2, 1)
    assert tiers["Researcher"].usage == Usage(input=5_000, output=700)
    assert tiers["Lead"].usage == Usage(input=1_500, cache_read=1_000, output=100, requests=2)
    assert tiers["Lead"].cost_usd == cost(SOL, Usage(input=1_500, cache_read=1_000, output=100))


# -- the model name --------------------------------------------------------------------------------------
def test_the_constructors_model_wins_as_a_run_configs_model_does(tracker: CostTracker) -> None:
    """RunConfig(model=...) overrides the agent's model and hooks cannot see the run config."""
    agent = Agent(name="A", model="gpt-4o")  # never called: the run config's model answers
    config = RunConfig(model=Named("gpt-5.6-sol", [answer("ok", MAIN, "resp_rc")]))
    Runner.run_sync(agent, "hi", hooks=CostpanelHooks(tracker, model="gpt-5.6-sol"), run_config=config)
    assert tracker.snapshot().by_tier["A"].models == ("gpt-5.6-sol",)
    assert tracker.snapshot().total_usd == cost(SOL, MAIN_BUCKETS)


@pytest.mark.parametrize(("model", "name"), [
    ("gpt-4o", "gpt-4o"),
    ("openai/gpt-4o", "openai/gpt-4o"),  # the catalog knows the openai/ prefix
    ("litellm/anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4-5"),  # MultiProvider's route dropped
    ("any-llm/mistral/mistral-large-latest", "mistral/mistral-large-latest"),
    ("litellm/", "litellm/"),  # nothing after the route: kept, priced (or not) as given
])
def test_model_names_from_the_agent(tracker: CostTracker, model: str, name: str) -> None:
    assert CostpanelHooks(tracker).model_of(Agent(name="A", model=model)) == name


def test_an_agent_without_a_model_uses_the_sdks_default_model(tracker: CostTracker,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_DEFAULT_MODEL", "gpt-5.6-terra")
    assert CostpanelHooks(tracker).model_of(Agent(name="A")) == "gpt-5.6-terra"


def test_a_model_object_without_a_name_is_skipped_until_model_is_given(tracker: CostTracker,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    hooks = CostpanelHooks(tracker)
    agent = Agent(name="Anon", model=ScriptedModel([answer("ok", MAIN, "resp_x")]))
    with caplog.at_level(logging.WARNING, "costpanel.integrations.openai_agents"):
        assert Runner.run_sync(agent, "hi", hooks=hooks).final_output == "ok"
    assert hooks.skipped == {NO_MODEL: 1}
    assert "pass model= to CostpanelHooks" in caplog.text
    assert tracker.snapshot().calls == 0

    named = CostpanelHooks(tracker, model="gpt-4o")
    Runner.run_sync(Agent(name="Anon", model=ScriptedModel([answer("ok", MAIN, "resp_x")])), "hi", hooks=named)
    assert tracker.snapshot().by_tier["Anon"].models == ("gpt-4o",)


def test_an_unknown_model_is_counted_unpriced_never_at_zero(tracker: CostTracker) -> None:
    events = recorded(tracker)
    agent = Agent(name="A", model=Named("acme-zz-no-such-model-9", [answer("ok", MAIN, "resp_u")]))
    Runner.run_sync(agent, "hi", hooks=CostpanelHooks(tracker))
    (event,) = events
    assert event.cost_usd is None and event.usage == MAIN_BUCKETS
    snap = tracker.snapshot()
    assert (snap.calls, snap.unpriced_calls) == (1, 1)
    assert snap.by_tier["A"].cost_usd is None


# -- event ids -------------------------------------------------------------------------------------------
def test_the_same_response_id_twice_counts_once(tracker: CostTracker) -> None:
    model = Named("gpt-5.6-sol", [answer("a", MAIN, "resp_same"), answer("b", MAIN, "resp_same")])
    agent = Agent(name="A", model=model)
    hooks = CostpanelHooks(tracker)
    Runner.run_sync(agent, "one", hooks=hooks)
    Runner.run_sync(agent, "two", hooks=hooks)
    assert model.remaining_steps == 0  # both responses reached the hooks
    snap = tracker.snapshot()
    assert snap.calls == 1
    assert snap.total_usd == cost(SOL, MAIN_BUCKETS)


@pytest.mark.parametrize("response_id", [None, "__fake_id__"])  # the second: the SDK's placeholder for Chat Completions
def test_responses_without_an_id_are_each_counted_without_an_event_id(tracker: CostTracker,
                                                                      response_id: str | None) -> None:
    events = recorded(tracker)
    agent = Agent(name="A", model=Named("gpt-4o", [answer("a", MAIN, response_id), answer("b", MAIN, response_id)]))
    hooks = CostpanelHooks(tracker)
    Runner.run_sync(agent, "one", hooks=hooks)
    Runner.run_sync(agent, "two", hooks=hooks)
    assert [e.event_id for e in events] == [None, None]
    assert tracker.snapshot().calls == 2


def test_event_ids() -> None:
    assert event_ids("resp_1", 1) == ["openai-agents:resp_1"]
    assert event_ids("resp_1", 2) == ["openai-agents:resp_1:1", "openai-agents:resp_1:2"]
    assert event_ids(None, 2) == event_ids("", 2) == event_ids("__fake_id__", 2) == [None, None]


# -- several requests in one response --------------------------------------------------------------------
def test_requests_folded_into_one_response_are_priced_one_by_one(tracker: CostTracker) -> None:
    """200k + 200k prompt tokens: each request is below the 272k cliff, their sum is above it."""
    events = recorded(tracker)
    both = AgentsUsage()
    both.add(usage(input=200_000, output=1_000))
    both.add(usage(input=200_000, output=2_000, cached=50_000))
    agent = Agent(name="A", model=Named("gpt-5.6-sol", [answer("ok", both, "resp_multi")]))
    Runner.run_sync(agent, "hi", hooks=CostpanelHooks(tracker))
    first, second = Usage(input=200_000, output=1_000), Usage(input=150_000, cache_read=50_000, output=2_000)
    assert [(e.event_id, e.usage) for e in events] == [("openai-agents:resp_multi:1", first),
                                                       ("openai-agents:resp_multi:2", second)]
    assert tracker.snapshot().total_usd == cost(SOL, first) + cost(SOL, second)
    assert tracker.snapshot().total_usd != cost(SOL_LONG, first + second)


def test_failed_retries_folded_into_a_response_are_not_billed(tracker: CostTracker) -> None:
    retried = usage(input=1_000, output=10)
    retried.requests = 3  # as agents.run_internal.model_retry folds two failed attempts in
    retried.request_usage_entries = [*([usage(0, 0)] * 2), usage(input=1_000, output=10)]  # type: ignore[list-item]
    agent = Agent(name="A", model=Named("gpt-4o", [answer("ok", retried, "resp_retry")]))
    Runner.run_sync(agent, "hi", hooks=CostpanelHooks(tracker))
    assert tracker.snapshot().by_tier["A"].usage == Usage(input=1_000, output=10, requests=1)


def test_request_entries_that_do_not_add_up_leave_the_totals_billed() -> None:
    from agents import ModelResponse

    odd = usage(input=1_000, output=10)
    odd.request_usage_entries = [usage(400, 5), usage(400, 5)]  # type: ignore[list-item]  # 800 of 1,000
    assert usages_of(ModelResponse(output=[], usage=odd, response_id="r")) == [Usage(input=1_000, output=10)]


# -- variants and web searches ---------------------------------------------------------------------------
def test_a_service_tier_in_the_raw_usage_prices_the_variant(tracker: CostTracker) -> None:
    events = recorded(tracker)
    step = answer("ok", MAIN, "resp_p", raw_usage={"input_tokens": 12_000, "service_tier": "priority"})
    agent = Agent(name="A", model=Named("gpt-5.6-sol", [step]), model_settings=ModelSettings(preserve_raw_usage=True))
    Runner.run_sync(agent, "hi", hooks=CostpanelHooks(tracker))
    (event,) = events
    assert event.variant == "priority"
    assert event.cost_usd == 2 * cost(SOL, MAIN_BUCKETS)  # Priority: 2x standard


def test_a_service_tier_that_is_no_variant_name_counts_the_response_unpriced_not_dropped(tracker: CostTracker) -> None:
    events = recorded(tracker)
    step = answer("ok", MAIN, "resp_u", raw_usage={"input_tokens": 12_000, "service_tier": "us east"})
    agent = Agent(name="A", model=Named("gpt-5.6-sol", [step]), model_settings=ModelSettings(preserve_raw_usage=True))
    hooks = CostpanelHooks(tracker)
    Runner.run_sync(agent, "hi", hooks=hooks)
    (event,) = events
    assert (event.variant, event.cost_units) == ("unreadable", None) and event.usage.total_tokens > 0
    assert not hooks.skipped


def test_the_constructors_variant_applies_when_the_response_states_none(tracker: CostTracker) -> None:
    agent = Agent(name="A", model=Named("gpt-5.6-sol", [answer("ok", MAIN, "resp_f")]))
    Runner.run_sync(agent, "hi", hooks=CostpanelHooks(tracker, variant="Flex"))
    assert tracker.snapshot().total_usd == cost(SOL, MAIN_BUCKETS) / 2  # Flex: 0.5x standard


def test_web_search_calls_in_the_output_are_billed_per_call(tracker: CostTracker) -> None:
    search = ResponseFunctionWebSearch(id="ws_1", status="completed", type="web_search_call",
                                       action=ActionSearch(type="search", query="costpanel"))
    step = ModelStep(output=[search, assistant_message("found")], usage=usage(2_000, 100), response_id="resp_ws")
    agent = Agent(name="A", model=Named("gpt-5.6-sol", [step]))
    Runner.run_sync(agent, "hi", hooks=CostpanelHooks(tracker))
    row = tracker.snapshot().by_tier["A"]
    assert row.usage == Usage(input=2_000, output=100, web_search=1)
    assert row.cost_usd == cost(SOL, Usage(input=2_000, output=100)) + WEB_SEARCH_SOL


# -- streaming -------------------------------------------------------------------------------------------
def test_a_streamed_run_records_the_final_usage(tracker: CostTracker) -> None:
    events = recorded(tracker)
    agent = Agent(name="A", model=Named("gpt-5.6-sol", [answer("streamed", MAIN, "resp_s")]))

    async def run() -> str:
        result = Runner.run_streamed(agent, "hi", hooks=CostpanelHooks(tracker))
        async for _ in result.stream_events():
            pass
        return str(result.final_output)

    assert asyncio.run(run()) == "streamed"
    assert [(e.event_id, e.usage) for e in events] == [("openai-agents:resp_s", MAIN_BUCKETS)]


# -- bad input never breaks the run ----------------------------------------------------------------------
def test_unreadable_usage_is_logged_and_skipped_and_the_run_goes_on(tracker: CostTracker,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    bad = usage(input=100, output=10)
    bad.input_tokens_details = InputTokensDetails(cached_tokens=500, cache_write_tokens=0)  # more cached than input
    worse = usage(input=100, output=10)
    worse.output_tokens = -3  # type: ignore[assignment]
    written = usage(input=100, output=10, cached=50, written=60)  # cached + written > input
    model = Named("gpt-4o", [answer("a", bad, "r1"), answer("b", worse, "r2"), answer("c", written, "r3"),
                             answer("d", usage(100, 10), "r4")])
    hooks = CostpanelHooks(tracker)
    with caplog.at_level(logging.WARNING, "costpanel.integrations.openai_agents"):
        outputs = [Runner.run_sync(Agent(name="A", model=model), "hi", hooks=hooks).final_output for _ in range(4)]
    assert outputs == ["a", "b", "c", "d"]
    assert hooks.skipped == {BAD_FIELD: 3}
    assert "input_tokens_details.cached_tokens (500) exceeds input_tokens (100)" in caplog.text
    assert "output_tokens must be between 0" in caplog.text
    assert "cache_write_tokens (60) exceeds input_tokens (100)" in caplog.text
    assert tracker.snapshot().calls == 1  # only the good one


def test_a_response_without_usage_is_skipped_not_counted_at_zero(tracker: CostTracker) -> None:
    hooks = CostpanelHooks(tracker)
    agent = Agent(name="A", model=Named("gpt-4o", [answer("ok", AgentsUsage(), "resp_0")]))
    assert Runner.run_sync(agent, "hi", hooks=hooks).final_output == "ok"
    assert hooks.skipped == {NO_USAGE: 1}
    assert tracker.snapshot().calls == 0


def test_a_call_the_tracker_refuses_is_logged_and_skipped(tracker: CostTracker,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    hooks = CostpanelHooks(tracker)
    agent = Agent(name="A", model=Named("gpt-4o\nevil", [answer("ok", MAIN, "resp_nl")]))
    with caplog.at_level(logging.WARNING, "costpanel.integrations.openai_agents"):
        assert Runner.run_sync(agent, "hi", hooks=hooks).final_output == "ok"
    assert hooks.skipped == {REJECTED: 1}
    assert "control character" in caplog.text
    assert tracker.snapshot().calls == 0


def test_an_unexpected_error_never_reaches_the_agent_run(catalog: Any, caplog: pytest.LogCaptureFixture) -> None:
    class Broken(CostTracker):
        def record(self, *args: Any, **kwargs: Any) -> Event:
            raise RuntimeError("disk on fire")

    hooks = CostpanelHooks(Broken(catalog))
    agent = Agent(name="A", model=Named("gpt-4o", [answer("ok", MAIN, "resp_e")]))
    with caplog.at_level(logging.ERROR, "costpanel.integrations.openai_agents"):
        assert Runner.run_sync(agent, "hi", hooks=hooks).final_output == "ok"
    assert hooks.skipped == {FAILED: 1}
    assert "disk on fire" in caplog.text


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"tier": ""}, ValueError, "tier must be a non-empty string"),
    ({"tier": 3}, TypeError, "tier must be a str"),
    ({"session": "a\nb"}, ValueError, "session contains a control character"),
    ({"project": "  "}, ValueError, "project must be ''"),
    ({"model": ""}, ValueError, "model must be a non-empty string"),
    ({"variant": "fl ex"}, ValueError, "variant 'fl ex'"),
])
def test_bad_constructor_arguments_raise_naming_the_field(tracker: CostTracker, kwargs: dict[str, Any],
                                                          error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        CostpanelHooks(tracker, **kwargs)


def test_the_tracker_must_be_a_cost_tracker() -> None:
    with pytest.raises(TypeError, match="tracker must be a CostTracker, got str"):
        CostpanelHooks("tracker")  # type: ignore[arg-type]


def test_a_service_tier_the_response_states_wins_over_the_constructors(tracker: CostTracker) -> None:
    """``ModelResponse`` has no ``service_tier`` in SDK 0.24; a response that carries one is read."""
    from agents import ModelResponse

    response = ModelResponse(output=[assistant_message("ok")], usage=MAIN, response_id="resp_st")
    response.service_tier = "priority"  # type: ignore[attr-defined]
    hooks = CostpanelHooks(tracker, variant="flex")
    assert hooks.record(Agent(name="A", model="gpt-5.6-sol"), response) == 1
    assert tracker.snapshot().total_usd == 2 * cost(SOL, MAIN_BUCKETS)


def test_an_agent_with_a_blank_name_gets_the_default_tier(tracker: CostTracker) -> None:
    agent = Agent(name=" ", model=Named("gpt-4o", [answer("ok", MAIN, "resp_blank")]))
    Runner.run_sync(agent, "hi", hooks=CostpanelHooks(tracker))
    assert set(tracker.snapshot().by_tier) == {"default"}


# -- into the ledger ---------------------------------------------------------------------------------------
def test_calls_reach_the_ledger_grouped_by_source_and_project(catalog: Any, tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    tracker = CostTracker(catalog, ledger=db)
    agent = Agent(name="A", model=Named("gpt-5.6-sol", [answer("ok", MAIN, "resp_l")]))
    Runner.run_sync(agent, "hi", hooks=CostpanelHooks(tracker, project="/src/shop"))
    tracker.close()
    ro = open_read_only(db)
    try:
        by_source = {r.key: r for r in report(ro, parse_range("all"), "source")}
        by_project = {r.key: r for r in report(ro, parse_range("all"), "project")}
    finally:
        ro.close()
    assert set(by_source) == {"openai-agents"}
    assert by_source["openai-agents"].usage == MAIN_BUCKETS
    assert by_source["openai-agents"].cost_usd == cost(SOL, MAIN_BUCKETS)
    assert set(by_project) == {"/src/shop"}


def test_web_searches_of_a_response_of_several_requests_go_with_its_last_request() -> None:
    from agents import ModelResponse

    both = AgentsUsage()
    both.add(usage(input=300, output=10))
    both.add(usage(input=400, output=20))
    search = ResponseFunctionWebSearch(id="ws_1", status="completed", type="web_search_call",
                                       action=ActionSearch(type="search", query="q"))
    response = ModelResponse(output=[search, assistant_message("ok")], usage=both, response_id="r")
    assert usages_of(response) == [Usage(input=300, output=10), Usage(input=400, output=20, web_search=1)]


def test_an_agent_name_that_is_no_tier_label_counts_under_default_said_once(
        tracker: CostTracker, caplog: pytest.LogCaptureFixture) -> None:
    """A label mistake must not take the agent's spend out of the total."""
    hooks = CostpanelHooks(tracker)
    agent = Agent(name="Bad\nName", model=Named("gpt-4o", [answer("one", MAIN, "resp_1"), answer("two", MAIN, "resp_2")]))
    with caplog.at_level(logging.WARNING, "costpanel.integrations.openai_agents"):
        assert Runner.run_sync(agent, "hi", hooks=hooks).final_output == "one"
        assert Runner.run_sync(agent, "again", hooks=hooks).final_output == "two"
    assert hooks.skipped == {}
    assert [(row.key, row.calls) for row in tracker.snapshot().by_tier.values()] == [("default", 2)]
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "is no tier label" in said[0] and "'Bad\\nName'" in said[0], said


def test_the_offline_recipe_in_the_docs_runs_as_written(tracker: CostTracker) -> None:
    """docs/integrations.md's "Testing your agents offline" block, run as a user would paste it."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "integrations.md").read_text()
    block = text.split("**Testing your agents offline.**", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(block, "integrations.md", "exec"), {"tracker": tracker, "CostpanelHooks": CostpanelHooks})  # noqa: S102
    row = tracker.snapshot().by_tier["Planner"]
    assert (row.calls, row.input, row.cache_read, row.output) == (1, 200, 1000, 300)
    assert row.cost_usd == cost(GPT_4O, Usage(input=200, cache_read=1000, output=300))
