"""CostpanelSpanProcessor with the real opentelemetry-sdk: GenAI spans in, exact costs out."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk.trace")

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.trace import SpanContext, Tracer

from costpanel import CostTracker
from costpanel.events import COMMITTED, DUPLICATE, Event
from costpanel.integrations import genai
from costpanel.integrations.otel import CostpanelSpanProcessor
from costpanel.usage import Usage

END = dt.datetime(2026, 12, 1, 12, 0, 5, tzinfo=dt.UTC)
END_NS = int(END.timestamp()) * 10**9


def usd(*lines: tuple[int, str]) -> Decimal:
    """Exact cost of (tokens, USD per 1M tokens) lines."""
    return sum((Decimal(tokens) * Decimal(rate) / 10**6 for tokens, rate in lines), Decimal(0))


class Setup:
    def __init__(self, tracker: CostTracker, resource: Resource | None = None, **options: Any) -> None:
        self.events: list[Event] = []
        tracker.subscribe(self.events.append)
        self.processor = CostpanelSpanProcessor(tracker, **options)
        self.provider = TracerProvider(resource=resource or Resource.create({}))
        self.provider.add_span_processor(self.processor)
        self.tracer: Tracer = self.provider.get_tracer("test")

    def span(self, attributes: dict[str, Any], name: str = "chat", end_ns: int = END_NS) -> SpanContext:
        span = self.tracer.start_span(name, attributes=attributes, start_time=end_ns - 10**9)
        span.end(end_time=end_ns)
        return span.get_span_context()


@pytest.fixture
def setup(tracker: CostTracker) -> Iterator[Setup]:
    s = Setup(tracker)
    yield s
    s.provider.shutdown()


def chat(model: str = "gpt-4.1", **usage: int) -> dict[str, Any]:
    attrs: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                             "gen_ai.request.model": model}
    attrs.update({f"gen_ai.usage.{k.replace('__', '.')}": v for k, v in usage.items()})
    return attrs


def test_a_model_call_span_is_recorded_with_its_exact_cost_id_and_end_time(setup: Setup) -> None:
    ctx = setup.span(chat(input_tokens=1000, output_tokens=100, cache_read__input_tokens=400))
    [event] = setup.events
    assert event.usage == Usage(input=600, cache_read=400, output=100)
    assert event.cost_usd == usd((600, "2"), (400, "0.5"), (100, "8")) == Decimal("0.0022")
    assert event.event_id == f"otel:{ctx.trace_id:032x}:{ctx.span_id:016x}"
    assert len(event.event_id) == len("otel:") + 32 + 1 + 16
    assert event.at == END
    assert (event.source, event.tier, event.project, event.status) == ("otel", "default", "", COMMITTED)
    assert setup.processor.stats.recorded == 1
    assert setup.processor.stats.statuses == {COMMITTED: 1}


@pytest.mark.parametrize("operation", ["invoke_agent", "execute_tool"])
def test_agent_and_tool_spans_carry_summed_usage_and_are_skipped(setup: Setup, operation: str) -> None:
    attrs = chat(input_tokens=5000, output_tokens=500) | {"gen_ai.operation.name": operation}
    setup.span(attrs, name=f"{operation} helper")
    setup.span(chat(input_tokens=100, output_tokens=10))
    assert [e.usage.input for e in setup.events] == [100]
    assert setup.processor.stats.skipped == {genai.SUMMARY: 1}


@pytest.mark.parametrize("operation", ["invoke_agent", "execute_tool"])
def test_a_summary_span_known_only_by_its_conventional_name_is_skipped_too(setup: Setup, operation: str) -> None:
    def bare(**usage: int) -> dict[str, Any]:  # an instrumentation that sets no gen_ai.operation.name
        return {k: v for k, v in chat(**usage).items() if k != "gen_ai.operation.name"}

    setup.span(bare(input_tokens=5000, output_tokens=500), name=f"{operation} Planner")
    setup.span(bare(input_tokens=100, output_tokens=10), name="chat gpt-4.1")
    setup.span(chat(input_tokens=200, output_tokens=10), name=f"{operation} x")  # the attribute says chat
    assert [e.usage.input for e in setup.events] == [100, 200]  # the attribute, when set, decides
    assert setup.processor.stats.skipped == {genai.SUMMARY: 1}


def test_other_operations_with_usage_are_model_calls(setup: Setup) -> None:
    setup.span(chat(input_tokens=2000, output_tokens=5) | {"gen_ai.operation.name": "text_completion"})
    setup.span(chat(input_tokens=3000) | {"gen_ai.operation.name": "embeddings"})
    assert [e.usage for e in setup.events] == [Usage(input=2000, output=5), Usage(input=3000)]
    assert setup.events[0].cost_usd == usd((2000, "2"), (5, "8"))


def test_the_tier_attribute_sets_the_tier_and_its_name_is_configurable(tracker: CostTracker) -> None:
    setup = Setup(tracker, tier_attribute="app.tier")
    setup.span(chat(input_tokens=10, output_tokens=1) | {"app.tier": "Tier 2", "costpanel.tier": "ignored"})
    setup.span(chat(input_tokens=10, output_tokens=1) | {"costpanel.tier": "ignored"})
    assert [e.tier for e in setup.events] == ["Tier 2", "default"]


def test_costpanel_tier_is_the_default_attribute(setup: Setup) -> None:
    setup.span(chat(input_tokens=10, output_tokens=1) | {"costpanel.tier": "planner"})
    assert [e.tier for e in setup.events] == ["planner"]


def test_the_response_model_wins_over_the_requested_one(setup: Setup) -> None:
    setup.span(chat("gpt-4.1", input_tokens=1000, output_tokens=0) | {"gen_ai.response.model": "gpt-4o-mini"})
    setup.span(chat("gpt-4.1", input_tokens=1000, output_tokens=0))
    assert [e.model for e in setup.events] == ["gpt-4o-mini", "gpt-4.1"]
    assert [e.cost_usd for e in setup.events] == [usd((1000, "0.15")), usd((1000, "2"))]


@pytest.mark.parametrize("name", ["cache_creation", "cache_write"])
def test_cache_writes_under_either_name_are_5_minute_writes_inside_the_input(setup: Setup, name: str) -> None:
    attrs = chat("claude-haiku-4-5", input_tokens=10_000, output_tokens=200, cache_read__input_tokens=6000)
    attrs |= {"gen_ai.provider.name": "anthropic", f"gen_ai.usage.{name}.input_tokens": 3000}
    setup.span(attrs)
    [event] = setup.events
    assert event.usage == Usage(input=1000, cache_read=6000, cache_write=3000, output=200)
    assert event.cost_usd == usd((1000, "1"), (6000, "0.10"), (3000, "1.25"), (200, "5"))
    assert event.approximate  # the conventions carry no TTL: priced as 5-minute writes, and said so
    assert setup.processor.stats.approximate == 1 and setup.processor.tracker.snapshot().approximate_calls == 1


def test_both_cache_write_names_must_agree(setup: Setup) -> None:
    agree = chat(input_tokens=1000, output_tokens=1) | {"gen_ai.usage.cache_creation.input_tokens": 300,
                                                         "gen_ai.usage.cache_write.input_tokens": 300}
    disagree = agree | {"gen_ai.usage.cache_write.input_tokens": 301}
    setup.span(agree)
    setup.span(disagree)
    assert [e.usage.cache_write for e in setup.events] == [300]
    assert setup.processor.stats.skipped == {genai.BAD_FIELD: 1}


def test_anthropic_counts_reported_with_the_cache_outside_the_input_are_read_that_way(setup: Setup) -> None:
    """Cached tokens above the input total cannot be inside it: Anthropic's own meaning of input_tokens."""
    base = chat("claude-haiku-4-5", input_tokens=12, output_tokens=300, cache_read__input_tokens=40_000,
                cache_creation__input_tokens=900)
    setup.span(base | {"gen_ai.provider.name": "anthropic"})
    setup.span(base | {"gen_ai.provider.name": None, "gen_ai.system": "anthropic"})  # the deprecated name
    setup.span(base | {"gen_ai.provider.name": "openai"})  # the conventions' meaning: impossible counts
    assert [e.usage for e in setup.events] == [Usage(input=12, cache_read=40_000, cache_write=900, output=300)] * 2
    assert setup.events[0].cost_usd == usd((12, "1"), (40_000, "0.10"), (900, "1.25"), (300, "5"))
    assert setup.processor.stats.skipped == {genai.BAD_FIELD: 1}


def test_anthropic_counts_that_fit_inside_the_input_keep_the_conventions_meaning(setup: Setup) -> None:
    setup.span(chat("claude-haiku-4-5", input_tokens=1000, output_tokens=10, cache_read__input_tokens=600,
                    cache_creation__input_tokens=400) | {"gen_ai.provider.name": "anthropic"})
    assert [e.usage for e in setup.events] == [Usage(input=0, cache_read=600, cache_write=400, output=10)]


def test_deprecated_prompt_and_completion_token_names_are_read(setup: Setup) -> None:
    setup.span({"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4.1",
                "gen_ai.usage.prompt_tokens": 500, "gen_ai.usage.completion_tokens": 50})
    [event] = setup.events
    assert event.usage == Usage(input=500, output=50)


def test_spans_without_usage_are_ignored(setup: Setup) -> None:
    setup.span({"http.method": "GET"}, name="GET /")
    setup.span({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4.1"})  # an error: no response
    assert setup.events == []
    assert setup.processor.stats.skipped == {genai.NO_USAGE: 2}
    assert setup.processor.stats.recorded == 0


def test_a_span_without_a_model_is_skipped_with_that_reason(setup: Setup) -> None:
    setup.span({"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 1})
    assert setup.events == []
    assert setup.processor.stats.skipped == {genai.NO_MODEL: 1}


@pytest.mark.parametrize("bad", [
    {"gen_ai.usage.input_tokens": -1},
    {"gen_ai.usage.input_tokens": 1.5},
    {"gen_ai.usage.input_tokens": "many"},
    {"gen_ai.usage.input_tokens": True},
    {"gen_ai.usage.cache_read.input_tokens": 5000},  # more than the input that should contain it
    {"gen_ai.request.model": 42},
])
def test_bad_attribute_values_are_counted_and_logged_never_raised(
        setup: Setup, bad: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="costpanel.integrations.otel"):
        setup.span(chat(input_tokens=1000, output_tokens=10) | bad)
        setup.span(chat(input_tokens=1000, output_tokens=10) | bad)
    setup.span(chat(input_tokens=1000, output_tokens=10))
    assert len(setup.events) == 1
    assert setup.processor.stats.skipped == {genai.BAD_FIELD: 2}
    assert len([r for r in caplog.records if "not counted" in r.getMessage()]) == 1  # once per reason


@pytest.mark.parametrize(("tier", "why"), [(3, "must be a string, got int 3"), ("x" * 10_000, "characters long"),
                                           ("Tier\n2", "control character")])
def test_a_tier_attribute_that_is_no_label_is_ignored_and_the_call_still_counts(
        setup: Setup, tier: Any, why: str, caplog: pytest.LogCaptureFixture) -> None:
    """A label mistake must not take the call's spend out of the total: the tier falls back to
    ``default`` and the log says so once (as LiteLLM's metadata tier does)."""
    with caplog.at_level(logging.WARNING, logger="costpanel.integrations.genai"):
        setup.span(chat(input_tokens=1000, output_tokens=10) | {"costpanel.tier": tier})
        setup.span(chat(input_tokens=1000, output_tokens=10) | {"costpanel.tier": tier})
    assert [(e.tier, e.usage.input) for e in setup.events] == [("default", 1000), ("default", 1000)]
    assert setup.processor.stats.skipped == {}
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "costpanel.tier ignored" in said[0] and why in said[0], said


def test_session_and_project_come_from_the_span_or_its_resource(tracker: CostTracker) -> None:
    setup = Setup(tracker, resource=Resource.create({"session.id": "res-session", "costpanel.project": "shop"}))
    setup.span(chat(input_tokens=10, output_tokens=1))
    setup.span(chat(input_tokens=10, output_tokens=1) | {"session.id": "span-session"})
    setup.span(chat(input_tokens=10, output_tokens=1) | {"session.id": "s", "costpanel.session": "run-7",
                                                         "costpanel.project": "api"})
    assert [(e.session, e.project) for e in setup.events] == [
        ("res-session", "shop"), ("span-session", "shop"), ("run-7", "api")]


def test_without_session_attributes_the_trackers_session_is_used(setup: Setup, tracker: CostTracker) -> None:
    setup.span(chat(input_tokens=10, output_tokens=1))
    assert [e.session for e in setup.events] == [tracker.session]


def test_a_span_ended_twice_counts_once(setup: Setup, tracker: CostTracker) -> None:
    span = setup.tracer.start_span("chat", attributes=chat(input_tokens=1000, output_tokens=100))
    span.end(end_time=END_NS)
    # The SDK ignores a second end(); hand the processor the same span again as a re-export would.
    setup.processor.on_end(span)  # type: ignore[arg-type]
    assert len(setup.events) == 1
    assert setup.processor.stats.statuses == {COMMITTED: 1, DUPLICATE: 1}
    assert tracker.snapshot().total.cost_usd == usd((1000, "2"), (100, "8"))


def test_claude_code_spans_are_left_to_its_log_events(setup: Setup) -> None:
    setup.span(chat("claude-haiku-4-5", input_tokens=100, output_tokens=10), name="claude_code.llm_request")
    assert setup.events == []
    assert setup.processor.stats.skipped == {genai.CLAUDE_CODE_SPAN: 1}


def test_a_readable_span_without_context_is_counted_as_bad(setup: Setup) -> None:
    span = ReadableSpan(name="chat", context=None, attributes=chat(input_tokens=10, output_tokens=1))
    setup.processor.on_end(span)
    assert setup.processor.stats.skipped == {genai.BAD_FIELD: 1}


def test_an_unexpected_failure_is_counted_not_raised(setup: Setup, tracker: CostTracker,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    class Broken(CostTracker):
        def record(self, *args: Any, **kwargs: Any) -> Event:
            raise RuntimeError("disk on fire")

    setup.processor.tracker = Broken(tracker.catalog)
    with caplog.at_level(logging.ERROR, logger="costpanel.integrations.otel"):
        setup.span(chat(input_tokens=10, output_tokens=1))
    assert setup.processor.stats.skipped == {genai.ERROR: 1}
    assert any("disk on fire" in (r.exc_text or "") for r in caplog.records)


def test_the_tier_attribute_must_be_a_name() -> None:
    with pytest.raises(ValueError, match="tier_attribute"):
        CostpanelSpanProcessor(CostTracker(), tier_attribute="")


def test_the_processor_is_a_real_sdk_span_processor(setup: Setup) -> None:
    assert setup.processor.force_flush() is True
    setup.processor.shutdown()
    setup.span(chat(input_tokens=10, output_tokens=1))  # still counts: nothing buffered
    assert len(setup.events) == 1
