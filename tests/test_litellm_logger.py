"""CostpanelLogger with the real LiteLLM, offline: every call answered by LiteLLM's ``mock_response``.

LiteLLM runs its success and failure hooks after the call returns (sync hooks on its logging
threads, async ones as tasks on the caller's loop), so each test waits, with a bound, until the
logger has handled the calls it expects, then checks exactly what the tracker holds.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # before LiteLLM loads: its price map from disk, never the network

litellm = pytest.importorskip("litellm")

from litellm.integrations.custom_logger import CustomLogger  # noqa: E402
from litellm.types.utils import ModelResponse, PromptTokensDetailsWrapper, ServerToolUse  # noqa: E402
from litellm.types.utils import Usage as LiteLLMUsage  # noqa: E402

from costpanel import CostTracker, Event, Usage  # noqa: E402
from costpanel.integrations import litellm as integration  # noqa: E402
from costpanel.integrations.litellm import CACHE_HIT, DUPLICATE_FAILURE, CostpanelLogger  # noqa: E402
from costpanel.integrations.logs import BAD_FIELD, NO_MODEL, NO_USAGE  # noqa: E402
from costpanel.money import units_to_usd  # noqa: E402

# Pydantic warns the first time LiteLLM builds a schema for one of its ReadOnly TypedDicts.
pytestmark = pytest.mark.filterwarnings("ignore:Items? .* using the `ReadOnly` qualifier:UserWarning")

MESSAGES = [{"role": "user", "content": "hi"}]
M = Decimal(1_000_000)
# Published list prices (USD per 1M tokens), typed out here so the test does not trust the catalog.
GPT_4O = {"input": Decimal("2.50"), "cache_read": Decimal("1.25"), "output": Decimal("10")}
GPT_4O_PRIORITY = {"input": Decimal("4.25"), "cache_read": Decimal("2.125"), "output": Decimal("17")}
SONNET_4_5 = {"input": Decimal("3"), "cache_read": Decimal("0.30"), "cache_write": Decimal("3.75"),
              "output": Decimal("15")}
WEB_SEARCH_ANTHROPIC = Decimal("0.01")  # $10 per 1,000 searches


def usd(prices: dict[str, Decimal], **tokens: int) -> Decimal:
    return sum((prices[bucket] * count / M for bucket, count in tokens.items()), Decimal(0))


class Capture(CustomLogger):
    """Keeps the real (kwargs, response) LiteLLM hands its success and failure hooks."""

    def __init__(self) -> None:
        super().__init__()
        self.successes: list[tuple[dict[str, Any], Any]] = []
        self.failures: list[tuple[dict[str, Any], Any]] = []

    def log_success_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.successes.append((kwargs, response_obj))

    def log_failure_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.failures.append((kwargs, response_obj))


def handled(logger: CostpanelLogger) -> int:
    return sum(logger.counts.values()) + sum(logger.skipped.values())


def wait_until(done: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"LiteLLM did not run the hooks in {timeout} s: {what}")
        time.sleep(0.002)


async def async_wait_until(done: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():  # the loop must keep running: LiteLLM's async hooks are tasks on it
        if time.monotonic() > deadline:
            raise AssertionError(f"LiteLLM did not run the hooks in {timeout} s: {what}")
        await asyncio.sleep(0.002)


@pytest.fixture
def tracker() -> Iterator[CostTracker]:
    with CostTracker(fallback=False) as t:
        yield t


@pytest.fixture
def events(tracker: CostTracker) -> list[Event]:
    seen: list[Event] = []
    tracker.subscribe(seen.append)
    return seen


def install(*callbacks: CustomLogger) -> None:
    litellm.callbacks = list(callbacks)


@pytest.fixture(autouse=True)
def clean_callbacks() -> Iterator[None]:
    """LiteLLM copies litellm.callbacks into lists of its own: empty them all after each test."""
    yield
    litellm.logging_callback_manager._reset_all_callbacks()


@pytest.fixture
def logger(tracker: CostTracker) -> CostpanelLogger:
    logger = CostpanelLogger(tracker)
    install(logger)
    return logger


def only_model_row(tracker: CostTracker) -> Any:
    rows = tracker.snapshot().by_model
    assert len(rows) == 1, rows
    return next(iter(rows.values()))


# -- successes -----------------------------------------------------------------------------------
def test_a_completion_is_recorded_with_litellms_usage_at_costpanels_exact_price(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    response = litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="hello")
    wait_until(lambda: handled(logger) >= 1, "one completion")

    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (10, 20)  # LiteLLM's mock usage
    [event] = events
    assert event.status == "committed" and event.source == "litellm" and event.tier == "default"
    assert event.event_id == f"litellm:{response._hidden_params['litellm_call_id']}"
    assert event.usage == Usage(input=10, output=20)
    row = only_model_row(tracker)
    assert (row.key, row.calls, row.unpriced_calls) == ("gpt-4o", 1, 0)
    assert units_to_usd(row.cost_units) == usd(GPT_4O, input=10, output=20) == Decimal("0.000225")
    assert tracker.snapshot().total_usd == Decimal("0.000225")
    assert logger.counts == {"committed": 1} and not logger.skipped


def test_an_async_completion_is_recorded_under_the_loggers_tier(tracker: CostTracker) -> None:
    logger = CostpanelLogger(tracker, tier="agents")
    install(logger)

    async def call() -> Any:
        response = await litellm.acompletion(model="claude-sonnet-4-5", messages=MESSAGES, mock_response="hi")
        await async_wait_until(lambda: handled(logger) >= 1, "one async completion")
        return response

    response = asyncio.run(call())
    snap = tracker.snapshot()
    assert list(snap.by_tier) == ["agents"]
    row = only_model_row(tracker)
    assert (row.key, row.calls, row.input, row.output) == ("claude-sonnet-4-5", 1, 10, 20)
    assert units_to_usd(row.cost_units) == usd(SONNET_4_5, input=10, output=20)
    assert response.usage.completion_tokens == 20
    assert logger.counts == {"committed": 1}


def test_flush_waits_until_the_async_calls_made_so_far_are_recorded(tracker: CostTracker) -> None:
    """``await logger.flush()`` returns once LiteLLM has run the hooks: the tracker has every call
    (the recipe for closing the tracker inside async code)."""
    logger = CostpanelLogger(tracker, tier="agents")
    install(logger)

    async def calls() -> int:
        for _ in range(3):
            await litellm.acompletion(model="gpt-4o", messages=MESSAGES, mock_response="hi")
        await logger.flush()
        return handled(logger)

    assert asyncio.run(calls()) == 3
    assert tracker.snapshot().calls == 3


def test_a_stream_is_recorded_once_with_the_usage_of_the_assembled_response(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    stream = litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="hello world foo bar",
                                stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    wait_until(lambda: handled(logger) >= 1, "one stream")

    final = chunks[-1].usage  # what LiteLLM told the caller at the end of the stream
    assert len(chunks) > 2 and final.completion_tokens > 1
    [event] = events
    assert event.usage == Usage(input=final.prompt_tokens, output=final.completion_tokens)
    assert tracker.snapshot().calls == 1


def test_an_async_stream_is_recorded_once(tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    async def call() -> list[Any]:
        stream = await litellm.acompletion(model="gpt-4o", messages=MESSAGES, mock_response="one two three four",
                                           stream=True, stream_options={"include_usage": True})
        chunks = [chunk async for chunk in stream]
        await async_wait_until(lambda: handled(logger) >= 1, "one async stream")
        return chunks

    chunks = asyncio.run(call())
    final = chunks[-1].usage
    [event] = events
    assert event.usage == Usage(input=final.prompt_tokens, output=final.completion_tokens)
    assert final.completion_tokens > 1 and tracker.snapshot().calls == 1


def test_request_metadata_names_the_tier_session_and_project(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="a",
                       metadata={"costpanel_tier": "Tier 2", "costpanel_session": "run-7",
                                 "costpanel_project": "billing-bot"})
    litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="b")
    wait_until(lambda: handled(logger) >= 2, "two completions")

    by_tier = tracker.snapshot().by_tier
    assert {tier: row.calls for tier, row in by_tier.items()} == {"Tier 2": 1, "default": 1}
    tagged = next(e for e in events if e.tier == "Tier 2")
    assert (tagged.session, tagged.project) == ("run-7", "billing-bot")
    plain = next(e for e in events if e.tier == "default")
    assert (plain.session, plain.project) == (tracker.session, "")


def test_litellm_metadata_names_the_tier_as_metadata_does(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    # LiteLLM's newer name for its own metadata, now that OpenAI's APIs take a `metadata` of their own.
    litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="a",
                       litellm_metadata={"costpanel_tier": "Tier 3"})
    wait_until(lambda: handled(logger) >= 1, "one completion")
    assert [e.tier for e in events] == ["Tier 3"]


def test_bad_metadata_labels_fall_back_to_the_loggers_and_the_call_still_counts(
        tracker: CostTracker, events: list[Event], caplog: pytest.LogCaptureFixture) -> None:
    logger = CostpanelLogger(tracker, tier="main", project="site")
    install(logger)
    litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="a",
                       metadata={"costpanel_tier": "   ", "costpanel_project": 7})
    wait_until(lambda: handled(logger) >= 1, "one completion")

    [event] = events
    assert (event.tier, event.project, event.status) == ("main", "site", "committed")
    assert "costpanel_tier='   '" in caplog.text and "costpanel_project=7" in caplog.text


def test_cached_prompt_tokens_cache_writes_and_web_searches_land_in_their_own_buckets(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    usage = LiteLLMUsage(prompt_tokens=1000, completion_tokens=50, total_tokens=1050,
                         prompt_tokens_details=PromptTokensDetailsWrapper(cached_tokens=600),
                         cache_read_input_tokens=600, cache_creation_input_tokens=100,
                         server_tool_use=ServerToolUse(web_search_requests=2))
    reply = ModelResponse(model="claude-sonnet-4-5", usage=usage,
                          choices=[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x"}}])
    litellm.completion(model="anthropic/claude-sonnet-4-5", messages=MESSAGES, mock_response=reply)
    wait_until(lambda: handled(logger) >= 1, "one completion")

    [event] = events
    # LiteLLM's prompt_tokens holds the cache reads and writes: only 300 were uncached input.
    assert event.usage == Usage(input=300, cache_read=600, cache_write=100, output=50, web_search=2)
    expected = usd(SONNET_4_5, input=300, cache_read=600, cache_write=100, output=50) + 2 * WEB_SEARCH_ANTHROPIC
    assert event.cost_usd == expected == Decimal("0.022205")  # type: ignore[arg-type]
    assert tracker.snapshot().total_usd == expected


def test_anthropic_usage_as_litellm_transforms_it_keeps_5_minute_and_1_hour_writes_apart(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    from litellm.llms.anthropic.chat.transformation import AnthropicConfig

    # An Anthropic Messages usage block, turned into LiteLLM's Usage by LiteLLM's own transformation.
    raw = {"input_tokens": 200, "output_tokens": 400, "cache_read_input_tokens": 5000,
           "cache_creation_input_tokens": 3000,
           "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
           "server_tool_use": {"web_search_requests": 3}, "service_tier": "standard"}
    usage = AnthropicConfig().calculate_usage(usage_object=raw, reasoning_content=None)
    reply = ModelResponse(model="claude-sonnet-4-5-20250929", usage=usage,
                          choices=[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x"}}])
    litellm.completion(model="anthropic/claude-sonnet-4-5", messages=MESSAGES, mock_response=reply)
    wait_until(lambda: handled(logger) >= 1, "one completion")

    [event] = events
    assert usage.prompt_tokens == 8200  # LiteLLM counts reads and writes inside the prompt
    assert event.usage == Usage(input=200, cache_read=5000, cache_write=1000, cache_write_1h=2000, output=400,
                                web_search=3)
    expected = (usd(SONNET_4_5, input=200, cache_read=5000, cache_write=1000, output=400)
                + Decimal(6) * 2000 / M + 3 * WEB_SEARCH_ANTHROPIC)  # 1-hour writes: $6 per 1M
    assert event.cost_usd == expected == Decimal("0.05385")
    assert event.variant is None


def test_openai_cached_tokens_move_out_of_input_and_the_service_tier_picks_the_price(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    usage = LiteLLMUsage(prompt_tokens=2000, completion_tokens=100, total_tokens=2100,
                         prompt_tokens_details=PromptTokensDetailsWrapper(cached_tokens=1536))
    # The provider names a dated snapshot with prices of its own: the model called still prices the call.
    reply = ModelResponse(model="gpt-4o-2024-05-13", usage=usage, service_tier="priority",
                          choices=[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x"}}])
    litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response=reply)
    wait_until(lambda: handled(logger) >= 1, "one completion")

    [event] = events
    assert event.usage == Usage(input=464, cache_read=1536, output=100)
    assert (event.model, event.variant) == ("gpt-4o", "priority")
    assert event.cost_usd == usd(GPT_4O_PRIORITY, input=464, cache_read=1536, output=100)  # type: ignore[arg-type]


@pytest.mark.parametrize("tier", ["us east", ""])
def test_a_service_tier_that_is_no_variant_name_counts_the_call_unpriced_not_dropped(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event], tier: str,
        caplog: pytest.LogCaptureFixture) -> None:
    usage = LiteLLMUsage(prompt_tokens=2000, completion_tokens=100, total_tokens=2100)
    reply = ModelResponse(model="gpt-4o", usage=usage, service_tier=tier,
                          choices=[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x"}}])
    with caplog.at_level("WARNING", logger="costpanel"):
        litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response=reply)
        wait_until(lambda: handled(logger) >= 1, "one completion")
    [event] = events
    assert (event.variant, event.cost_units, event.usage.output) == ("unreadable", None, 100)
    assert not logger.skipped and tracker.snapshot().total.unpriced_calls == 1
    assert "counted unpriced (variant 'unreadable')" in caplog.text


def test_an_unknown_model_is_counted_unpriced_never_at_zero_dollars(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    litellm.completion(model="openai/acme-unreleased-model-9", messages=MESSAGES, mock_response="hi")
    wait_until(lambda: handled(logger) >= 1, "one completion")

    [event] = events
    assert event.cost_units is None and event.status == "committed"
    snap = tracker.snapshot()
    assert snap.unpriced_calls == 1 and snap.calls == 1 and snap.tokens == 30
    assert snap.unpriced == ("acme-unreleased-model-9",)


def test_a_deployments_base_model_prices_a_deployment_named_by_its_owner(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    router = litellm.Router(model_list=[{
        "model_name": "chat",
        # A deployment named like another model: base_model, not the name, says what is billed.
        "litellm_params": {"model": "azure/gpt-4o-mini", "api_key": "k", "api_base": "https://example.invalid",
                           "api_version": "2024-02-01", "mock_response": "hi"},
        "model_info": {"base_model": "azure/gpt-4o"},
    }])
    router.completion(model="chat", messages=MESSAGES)
    wait_until(lambda: handled(logger) >= 1, "one completion")

    [event] = events
    assert event.matched == "gpt-4o"
    assert event.cost_usd == usd(GPT_4O, input=10, output=20)  # type: ignore[arg-type]


def test_the_model_the_provider_says_answered_prices_a_name_the_catalog_lacks(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    reply = ModelResponse(model="gpt-4o-2024-08-06", usage=LiteLLMUsage(prompt_tokens=5, completion_tokens=7, total_tokens=12),
                          choices=[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x"}}])
    litellm.completion(model="openai/acme-prod-chat", messages=MESSAGES, mock_response=reply)
    wait_until(lambda: handled(logger) >= 1, "one completion")

    [event] = events
    assert (event.model, event.matched) == ("gpt-4o-2024-08-06", "gpt-4o-2024-08-06")
    assert event.cost_usd == usd(GPT_4O, input=5, output=7)


def test_a_responses_api_call_is_recorded(tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    response = litellm.responses(model="gpt-4o", input="hi", mock_response="hello there",
                                 metadata={"costpanel_tier": "Tier 4"})
    wait_until(lambda: handled(logger) >= 1, "one response")

    [event] = events
    assert event.usage == Usage(input=response.usage.input_tokens, output=response.usage.output_tokens)
    assert (event.matched, event.tier, event.source) == ("gpt-4o", "Tier 4", "litellm")
    assert response.usage.output_tokens > 0


def test_two_loggers_feeding_two_trackers_both_see_the_call() -> None:
    # LiteLLM drops a logger whose class and public attributes equal one it already holds.
    with CostTracker(fallback=False) as first, CostTracker(fallback=False) as second:
        a, b = CostpanelLogger(first), CostpanelLogger(second)
        install(a, b)
        litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="hi")
        wait_until(lambda: handled(a) >= 1 and handled(b) >= 1, "both loggers")
        assert first.snapshot().calls == second.snapshot().calls == 1


# -- one call, two reports ------------------------------------------------------------------------
def test_a_call_reported_by_both_the_sync_and_the_async_hook_counts_once(
        tracker: CostTracker, events: list[Event]) -> None:
    capture = Capture()
    logger = CostpanelLogger(tracker)
    install(logger, capture)
    litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="hello")
    wait_until(lambda: handled(logger) >= 1 and len(capture.successes) == 1, "one completion")

    kwargs, response = capture.successes[0]
    asyncio.run(logger.async_log_success_event(kwargs, response, None, None))  # the same call again

    assert [e.status for e in events] == ["committed"]
    assert logger.counts == {"committed": 1, "duplicate": 1}
    assert tracker.snapshot().calls == 1 and tracker.snapshot().total_usd == usd(GPT_4O, input=10, output=20)
    assert events[0].ts == kwargs["standard_logging_object"]["endTime"]  # placed when LiteLLM says it ended


def captured_success(tracker: CostTracker) -> tuple[CostpanelLogger, dict[str, Any], Any]:
    """A logger LiteLLM does not call, and the real (kwargs, response) of one completion to hand it."""
    capture = Capture()
    install(capture)
    litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="hello")
    wait_until(lambda: len(capture.successes) == 1, "one completion")
    return CostpanelLogger(tracker), *capture.successes[0]


def test_the_proxys_requester_metadata_names_the_tier(tracker: CostTracker, events: list[Event]) -> None:
    logger, kwargs, response = captured_success(tracker)
    payload = dict(kwargs["standard_logging_object"])
    payload["metadata"] = {**payload["metadata"], "requester_metadata": {"costpanel_tier": "from-proxy"}}
    logger.log_success_event({**kwargs, "standard_logging_object": payload}, response, None, None)
    assert [e.tier for e in events] == ["from-proxy"]


def test_a_call_without_a_model_name_is_skipped(tracker: CostTracker, events: list[Event]) -> None:
    logger, kwargs, _ = captured_success(tracker)
    payload = {**kwargs["standard_logging_object"], "model": ""}
    logger.log_success_event({**kwargs, "model": None, "standard_logging_object": payload}, None, None, None)
    assert events == [] and logger.skipped == {NO_MODEL: 1}


def test_a_call_id_costpanel_cannot_store_is_skipped_with_a_reason(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="hi", litellm_call_id="two\nlines")
    wait_until(lambda: handled(logger) >= 1, "one completion")
    assert events == [] and logger.skipped == {BAD_FIELD: 1}


def test_a_response_from_litellms_own_cache_is_skipped(tracker: CostTracker, events: list[Event]) -> None:
    logger, kwargs, response = captured_success(tracker)
    logger.log_success_event({**kwargs, "cache_hit": True}, response, None, None)
    assert events == [] and logger.skipped == {CACHE_HIT: 1}


def test_a_success_without_usage_is_skipped_with_a_reason_not_counted_at_zero(
        tracker: CostTracker, events: list[Event]) -> None:
    logger, kwargs, _ = captured_success(tracker)
    payload = dict(kwargs["standard_logging_object"])
    payload["metadata"] = {**payload["metadata"], "usage_object": None}
    logger.log_success_event({**kwargs, "standard_logging_object": payload}, None, None, None)
    assert events == [] and logger.skipped == {NO_USAGE: 1}


def test_impossible_usage_is_skipped_with_a_reason_and_litellm_goes_on(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event], caplog: pytest.LogCaptureFixture) -> None:
    usage = LiteLLMUsage(prompt_tokens=10, completion_tokens=5, total_tokens=15,
                         prompt_tokens_details=PromptTokensDetailsWrapper(cached_tokens=40))
    reply = ModelResponse(model="gpt-4o", usage=usage,
                          choices=[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x"}}])
    response = litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response=reply)
    litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response=reply)
    litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="fine")
    wait_until(lambda: handled(logger) >= 3, "three completions")

    assert response.choices[0].message.content == "x"  # the caller got its answer
    assert logger.skipped == {BAD_FIELD: 2} and logger.counts == {"committed": 1}
    assert [e.usage for e in events] == [Usage(input=10, output=20)]
    warned = [r.getMessage() for r in caplog.records if r.name == "costpanel.integrations.litellm"]
    assert len(warned) == 1 and "prompt_tokens_details.cached_tokens (40) exceeds prompt_tokens (10)" in warned[0]


# -- failures, retries, fallbacks --------------------------------------------------------------------
def test_a_failed_call_is_a_discarded_attempt_with_no_tokens(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    with pytest.raises(litellm.exceptions.InternalServerError):
        litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response=Exception("upstream down"),
                           metadata={"costpanel_tier": "Tier 3"})
    wait_until(lambda: handled(logger) >= 1, "one failure")

    [event] = events
    assert (event.status, event.tier, event.source) == ("discarded", "Tier 3", "litellm")
    assert event.usage == Usage(requests=0)
    assert event.event_id is not None and event.event_id.startswith("litellm:")
    snap = tracker.snapshot()
    assert snap.calls == 0 and snap.total_usd == 0
    assert snap.discarded.calls == 1 and snap.discarded.tokens == 0
    assert logger.counts == {"discarded": 1}


def test_a_failed_call_to_a_model_with_a_request_fee_is_not_charged_the_fee(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    with pytest.raises(litellm.exceptions.InternalServerError):
        litellm.completion(model="gpt-4o-search-preview", messages=MESSAGES, mock_response=Exception("boom"))
    wait_until(lambda: handled(logger) >= 1, "one failure")

    [event] = events
    assert (event.status, event.matched, event.usage.requests, event.cost_units) == (
        "discarded", "gpt-4o-search-preview", 0, 0)
    assert tracker.snapshot().discarded.cost_units == 0


def test_an_async_failure_is_a_discarded_attempt(tracker: CostTracker, logger: CostpanelLogger) -> None:
    async def call() -> None:
        with pytest.raises(litellm.exceptions.InternalServerError):
            await litellm.acompletion(model="gpt-4o", messages=MESSAGES, mock_response=Exception("boom"))
        await async_wait_until(lambda: handled(logger) >= 1, "one async failure")

    asyncio.run(call())
    snap = tracker.snapshot()
    assert (snap.calls, snap.discarded.calls) == (0, 1)


def test_a_failure_reported_twice_is_discarded_once(tracker: CostTracker, events: list[Event]) -> None:
    capture = Capture()
    logger = CostpanelLogger(tracker)
    install(logger, capture)
    with pytest.raises(litellm.exceptions.InternalServerError):
        litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response=Exception("boom"))
    wait_until(lambda: handled(logger) >= 1 and len(capture.failures) == 1, "one failure")

    kwargs, response = capture.failures[0]
    asyncio.run(logger.async_log_failure_event(kwargs, response, None, None))
    assert [e.status for e in events] == ["discarded"]
    assert logger.counts == {"discarded": 1, DUPLICATE_FAILURE: 1}
    assert tracker.snapshot().discarded.calls == 1


def captured_failure(tracker: CostTracker) -> tuple[CostpanelLogger, dict[str, Any]]:
    """A logger LiteLLM does not call, and the real kwargs of one failed call to hand it."""
    capture = Capture()
    install(capture)
    with pytest.raises(litellm.exceptions.InternalServerError):
        litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response=Exception("boom"))
    wait_until(lambda: len(capture.failures) == 1, "one failure")
    return CostpanelLogger(tracker), capture.failures[0][0]


def test_a_failure_with_usage_is_discarded_with_its_tokens(tracker: CostTracker, events: list[Event]) -> None:
    logger, kwargs = captured_failure(tracker)
    payload = dict(kwargs["standard_logging_object"])
    payload["metadata"] = {**payload["metadata"], "usage_object": {
        "prompt_tokens": 400, "completion_tokens": 30, "prompt_tokens_details": {"cached_tokens": 100}}}
    logger.log_failure_event({**kwargs, "standard_logging_object": payload}, None, None, None)

    [event] = events
    assert (event.status, event.usage) == ("discarded", Usage(input=300, cache_read=100, output=30))
    discarded = tracker.snapshot().discarded
    assert (discarded.calls, discarded.tokens) == (1, 430)
    assert units_to_usd(discarded.cost_units) == usd(GPT_4O, input=300, cache_read=100, output=30)
    assert tracker.snapshot().total_usd == 0


def test_failure_ids_are_remembered_for_the_most_recent_calls_only(
        tracker: CostTracker, events: list[Event], monkeypatch: pytest.MonkeyPatch) -> None:
    logger, kwargs = captured_failure(tracker)
    monkeypatch.setattr(integration, "_RECENT_FAILURES", 2)
    for call_id in ("a", "b", "c", "c", "b", "a"):  # "a" was forgotten when "c" came
        logger.log_failure_event({**kwargs, "litellm_call_id": call_id}, None, None, None)
    assert [e.event_id for e in events] == ["litellm:a", "litellm:b", "litellm:c", "litellm:a"]
    assert logger.counts == {"discarded": 4, DUPLICATE_FAILURE: 2}


def test_a_router_fallback_shows_the_failed_deployment_discarded_and_the_backup_counted(
        tracker: CostTracker, logger: CostpanelLogger, events: list[Event]) -> None:
    router = litellm.Router(model_list=[
        {"model_name": "primary", "litellm_params": {"model": "gpt-4o", "api_key": "k",
                                                      "mock_response": "litellm.InternalServerError"}},
        {"model_name": "backup", "litellm_params": {"model": "anthropic/claude-sonnet-4-5", "api_key": "k",
                                                     "mock_response": "from the backup"}},
    ], fallbacks=[{"primary": ["backup"]}], num_retries=0)
    response = router.completion(model="primary", messages=MESSAGES, metadata={"costpanel_tier": "Tier 1"})
    wait_until(lambda: handled(logger) >= 2, "a failure and a success")

    assert response.choices[0].message.content == "from the backup"
    assert sorted((e.status, e.matched, e.tier) for e in events) == [
        ("committed", "claude-sonnet-4-5", "Tier 1"), ("discarded", "gpt-4o", "Tier 1")]
    assert len({e.event_id for e in events}) == 2  # each deployment tried is its own LiteLLM call
    snap = tracker.snapshot()
    assert snap.total_usd == usd(SONNET_4_5, input=10, output=20)
    assert snap.discarded.calls == 1 and snap.calls == 1


def test_each_attempt_a_router_retried_is_discarded(tracker: CostTracker, logger: CostpanelLogger,
                                                    events: list[Event]) -> None:
    # Two deployments in the group: LiteLLM retries at once on the other one instead of backing off.
    failing = [{"model_name": "m", "litellm_params": {"model": model, "api_key": key,
                                                      "mock_response": "litellm.InternalServerError"}}
               for model, key in (("gpt-4o", "k1"), ("gpt-4o-mini", "k2"))]
    router = litellm.Router(model_list=failing, num_retries=2)
    with pytest.raises(litellm.exceptions.InternalServerError):
        router.completion(model="m", messages=MESSAGES)
    wait_until(lambda: handled(logger) >= 3, "three failed attempts")

    snap = tracker.snapshot()
    assert (snap.calls, snap.discarded.calls) == (0, 3)
    assert logger.counts == {"discarded": 3}
    assert {e.matched for e in events} <= {"gpt-4o", "gpt-4o-mini"} and len({e.event_id for e in events}) == 3


def test_the_logger_refuses_bad_labels_up_front(tracker: CostTracker) -> None:
    with pytest.raises(ValueError, match="tier"):
        CostpanelLogger(tracker, tier=" ")
    with pytest.raises(TypeError, match="session"):
        CostpanelLogger(tracker, session=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="project"):
        CostpanelLogger(tracker, project="  ")


def test_calls_and_failed_attempts_reach_the_ledger_with_their_source_and_ids(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    with CostTracker(ledger=db, fallback=False) as t:
        logger = CostpanelLogger(t, project="shop")
        install(logger)
        ok = litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="hi")
        with pytest.raises(litellm.exceptions.InternalServerError):
            litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response=Exception("boom"))
        wait_until(lambda: handled(logger) >= 2, "a success and a failure")
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT event_id, status, source, project, input, output, cost_units FROM events "
                           "ORDER BY status").fetchall()
    ok_id = f"litellm:{ok._hidden_params['litellm_call_id']}"
    assert rows[0] == (ok_id, "committed", "litellm", "shop", 10, 20, 225_000_000)  # $0.000225 in 1e-12 USD
    assert rows[1][1:] == ("discarded", "litellm", "shop", 0, 0, 0) and rows[1][0].startswith("litellm:")
    assert len(rows) == 2 and rows[1][0] != ok_id


def test_the_last_async_call_before_the_program_ends_reaches_the_ledger(tmp_path: Path) -> None:
    """A script's last ``await litellm.acompletion`` inside ``asyncio.run``: LiteLLM runs that
    call's async hook from its own exit handler, registered (on import) before the ledger's; the
    logger makes LiteLLM's flush run first, so the call is stored, not set aside after the close."""
    import subprocess
    import sys
    import textwrap

    db = tmp_path / "ledger.sqlite3"
    script = textwrap.dedent(f"""
        import asyncio
        import litellm
        from costpanel import CostTracker
        from costpanel.integrations.litellm import CostpanelLogger

        tracker = CostTracker(ledger={str(db)!r}, fallback=False)
        litellm.callbacks = [CostpanelLogger(tracker, tier="last")]

        async def main():
            await litellm.acompletion(model="gpt-4o", messages=[{{"role": "user", "content": "hi"}}],
                                      mock_response="hello")

        asyncio.run(main())
    """)
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "not stored" not in done.stderr, done.stderr
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT tier, status, input, output FROM events").fetchall() == [
            ("last", "committed", 10, 20)]
    assert not Path(f"{db}.rejected.jsonl").exists()


def test_an_embedding_is_recorded_at_the_catalogs_price(tracker: CostTracker, logger: CostpanelLogger) -> None:
    """OpenAI's embedding models are in the catalog (input only): never unpriced, never $0."""
    litellm.embedding(model="text-embedding-3-small", input=["hello world"], mock_response=[0.1, 0.2])
    wait_until(lambda: handled(logger) >= 1, "one embedding")
    row = only_model_row(tracker)
    assert (row.key, row.calls, row.input, row.output, row.unpriced_calls) == ("text-embedding-3-small", 1, 10, 0, 0)
    assert units_to_usd(row.cost_units) == Decimal(10) * Decimal("0.02") / M


def _run_script(body: str, db: Path) -> Any:
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import asyncio, litellm
        from costpanel import CostTracker
        from costpanel.integrations.litellm import CostpanelLogger
        MESSAGES = [{"role": "user", "content": "hi"}]
    """) + textwrap.dedent(body).replace("DB", repr(str(db)))
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)


def _stored(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT tier, status, input, output FROM events ORDER BY output").fetchall()


def test_a_sync_call_just_before_the_trackers_block_ends_is_in_its_ledger_and_snapshot(tmp_path: Path) -> None:
    """``with CostTracker(...)`` around sync ``litellm.completion`` calls, as a test of an orchestrator
    does: LiteLLM runs the hooks on its logging threads after the call returns; the block's end (the
    tracker's close) waits for them, so nothing lands in ``.rejected.jsonl``."""
    db = tmp_path / "ledger.sqlite3"
    done = _run_script("""
        with CostTracker(ledger=DB, fallback=False) as tracker:
            logger = CostpanelLogger(tracker, tier="sync")
            litellm.callbacks = [logger]
            litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="hello")
            assert logger.wait(), "LiteLLM's logging threads did not finish"
            print("calls", tracker.snapshot().calls)
            litellm.completion(model="gpt-4o", messages=MESSAGES, mock_response="hello again, longer")
    """, db)
    assert done.returncode == 0 and "calls 1" in done.stdout, done.stdout + done.stderr
    assert "not stored" not in done.stderr and "after the ledger was closed" not in done.stderr, done.stderr
    assert [(t, s) for t, s, _, _ in _stored(db)] == [("sync", "committed")] * 2
    assert not Path(f"{db}.rejected.jsonl").exists()


def test_an_async_call_then_a_close_from_sync_code_is_in_the_ledger(tmp_path: Path) -> None:
    """``asyncio.run(main())`` then ``tracker.close()`` in plain code: the call's hook, left queued by
    the loop that ended, runs in the close before the ledger's last flush."""
    db = tmp_path / "ledger.sqlite3"
    done = _run_script("""
        tracker = CostTracker(ledger=DB, fallback=False)
        litellm.callbacks = [CostpanelLogger(tracker, tier="async")]

        async def main():
            await litellm.acompletion(model="gpt-4o", messages=MESSAGES, mock_response="hello")

        asyncio.run(main())
        tracker.close()
        print("closed")
        asyncio.run(asyncio.sleep(0))  # asyncio still works after the close ran LiteLLM's queue
    """, db)
    assert done.returncode == 0 and "closed" in done.stdout, done.stdout + done.stderr
    assert _stored(db) == [("async", "committed", 10, 20)]
    assert not Path(f"{db}.rejected.jsonl").exists(), Path(f"{db}.rejected.jsonl").read_text()


def test_before_close_hooks_run_first_and_a_failing_one_does_not_keep_the_ledger_open(tmp_path: Path) -> None:
    order: list[str] = []
    tracker = CostTracker(ledger=tmp_path / "l.db", fallback=False)
    tracker.before_close(lambda: order.append("hook") or 1 / 0)
    tracker.before_close(lambda: order.append(f"ledger open: {not tracker.ledger.closed}"))
    tracker.close()
    assert order == ["hook", "ledger open: True"]
    with pytest.raises(TypeError, match="callable"):
        tracker.before_close("not a function")  # type: ignore[arg-type]
