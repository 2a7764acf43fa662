"""OtlpReceiver on a real socket: OTLP protobuf and JSON built with the official proto classes,
sent with urllib / http.client; Claude Code's api_request events and GenAI spans, exact costs."""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import json
import os
import shutil
import subprocess
import time
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opentelemetry.proto")

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from costpanel import CostTracker
from costpanel.events import COMMITTED, DUPLICATE, Event
from costpanel.integrations import claude_code_events, genai
from costpanel.integrations.otlp import OWNED_SESSION, OtlpReceiver
from costpanel.usage import Usage

PB = "application/x-protobuf"
JSON = "application/json"
AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
AT_NS = int(AT.timestamp()) * 10**9
TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")
SPAN_ID = bytes.fromhex("eee19b7ec3c1b174")


def usd(*lines: tuple[int, str]) -> Decimal:
    """Exact cost of (tokens, USD per 1M tokens) lines."""
    return sum((Decimal(tokens) * Decimal(rate) / 10**6 for tokens, rate in lines), Decimal(0))


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=value)


def kvs(attributes: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in attributes.items()]


def api_request(**overrides: Any) -> dict[str, Any]:
    """Attributes of a Claude Code api_request event as a real export carries them (counts as strings)."""
    attrs: dict[str, Any] = {
        "event.name": "api_request", "event.timestamp": "2026-12-01T09:30:00.000Z", "event.sequence": 7,
        "session.id": "sess-1", "prompt.id": "p-1", "model": "claude-haiku-4-5-20251001",
        "input_tokens": "1000", "output_tokens": "200", "cache_read_tokens": "5000",
        "cache_creation_tokens": "300", "cost_usd": "0.0029", "duration_ms": "1521",
        "request_id": "req_011A", "query_source": "repl_main_thread", "speed": "normal",
    }
    attrs.update(overrides)
    return {k: v for k, v in attrs.items() if v is not None}


HAIKU_CALL = usd((1000, "1"), (5000, "0.10"), (300, "1.25"), (200, "5"))


def logs_request(*records: dict[str, Any], resource: dict[str, Any] | None = None,
                 time_ns: int = AT_NS, body: str | None = "claude_code.api_request") -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.extend(kvs({"service.name": "claude-code", **(resource or {})}))
    scope = resource_logs.scope_logs.add()
    scope.scope.name = "com.anthropic.claude_code.events"
    for attrs in records:
        record = LogRecord(time_unix_nano=time_ns, observed_time_unix_nano=time_ns + 10**6,
                           attributes=kvs(attrs))
        if body is not None:
            record.body.string_value = body
        scope.log_records.append(record)
    return request


def gen_ai_span(attrs: dict[str, Any], *, trace_id: bytes = TRACE_ID, span_id: bytes = SPAN_ID,
                name: str = "chat gpt-4.1") -> Span:
    return Span(trace_id=trace_id, span_id=span_id, name=name, kind=Span.SPAN_KIND_CLIENT,
                start_time_unix_nano=AT_NS - 2 * 10**9, end_time_unix_nano=AT_NS, attributes=kvs(attrs))


def traces_request(*spans: Span, resource: dict[str, Any] | None = None) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.extend(kvs(resource or {}))
    resource_spans.scope_spans.add().spans.extend(spans)
    return request


def chat(**overrides: Any) -> dict[str, Any]:
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4.1",
             "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100,
             "gen_ai.usage.cache_read.input_tokens": 400}
    attrs.update(overrides)
    return attrs


def as_otlp_json(message: Any) -> bytes:
    """OTLP/JSON as the specification writes it: hex ids (protobuf's JSON mapping uses base64)."""
    data = json_format.MessageToDict(message)

    def hexify(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("traceId", "spanId", "parentSpanId"):
                    node[key] = __import__("base64").b64decode(value).hex()
                else:
                    hexify(value)
        elif isinstance(node, list):
            for item in node:
                hexify(item)

    hexify(data)
    return json.dumps(data).encode()


class Reply:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def post(self, path: str, body: bytes | None, content_type: str | None = PB, encoding: str | None = None,
             method: str = "POST") -> Reply:
        headers = {} if content_type is None else {"Content-Type": content_type}
        if encoding:
            headers["Content-Encoding"] = encoding
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, error.headers, error.read())

    def logs(self, request: ExportLogsServiceRequest, as_json: bool = False) -> Reply:
        if as_json:
            return self.post("/v1/logs", as_otlp_json(request), JSON)
        return self.post("/v1/logs", request.SerializeToString())

    def traces(self, request: ExportTraceServiceRequest, as_json: bool = False) -> Reply:
        if as_json:
            return self.post("/v1/traces", as_otlp_json(request), JSON)
        return self.post("/v1/traces", request.SerializeToString())


class Running:
    def __init__(self, receiver: OtlpReceiver, events: list[Event]) -> None:
        self.receiver, self.events = receiver, events
        self.client = Client(receiver.start())


@pytest.fixture
def run(tracker: CostTracker) -> Iterator[Callable[..., Running]]:
    started: list[OtlpReceiver] = []

    def start(**options: Any) -> Running:
        events: list[Event] = []
        tracker.subscribe(events.append)
        receiver = OtlpReceiver(tracker, port=0, **options)
        started.append(receiver)
        return Running(receiver, events)

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def otlp(run: Callable[..., Running]) -> Running:
    return run(skip_session=lambda session: session == "watched-by-logs")


# -- Claude Code's log events -----------------------------------------------------------------

def test_a_claude_code_api_request_is_recorded_exactly_and_marked_approximate(otlp: Running) -> None:
    reply = otlp.client.logs(logs_request(api_request()))
    assert reply.status == 200
    assert reply.headers["Content-Type"] == PB
    assert ExportLogsServiceResponse.FromString(reply.body) == ExportLogsServiceResponse()
    [event] = otlp.events
    assert event.model == "claude-haiku-4-5-20251001"
    assert event.usage == Usage(input=1000, cache_read=5000, cache_write=300, output=200)
    assert event.cost_usd == HAIKU_CALL
    assert (event.tier, event.session, event.source, event.event_id) == ("main", "sess-1", "otel", "otel:sess-1:req_011A")
    assert event.at == AT
    stats = otlp.receiver.stats
    assert (stats.requests, stats.recorded, stats.approximate) == (1, 1, 1)
    assert event.approximate and otlp.receiver.tracker.snapshot().approximate_calls == 1  # the call itself says so


@pytest.mark.parametrize(("event_name", "attribute", "body"), [
    ("", "api_request", None),
    ("", "claude_code.api_request", None),
    ("", None, "claude_code.api_request"),
    ("claude_code.api_request", None, None),
])
def test_the_event_is_known_by_any_of_the_places_its_name_travels(
        otlp: Running, event_name: str, attribute: str | None, body: str | None) -> None:
    request = logs_request(api_request(**{"event.name": attribute}), body=body)
    request.resource_logs[0].scope_logs[0].log_records[0].event_name = event_name
    otlp.client.logs(request)
    assert [e.event_id for e in otlp.events] == ["otel:sess-1:req_011A"]


def test_a_call_without_cache_writes_is_exact(otlp: Running) -> None:
    otlp.client.logs(logs_request(api_request(cache_creation_tokens="0")))
    otlp.client.logs(logs_request(api_request(cache_creation_tokens=None, request_id="req_2")))
    assert [e.usage.cache_write for e in otlp.events] == [0, 0]
    assert otlp.receiver.stats.approximate == 0
    assert not any(e.approximate for e in otlp.events) and otlp.receiver.tracker.snapshot().approximate_calls == 0


def test_otlp_json_with_int_counts_and_only_the_event_name_field(otlp: Running) -> None:
    request = logs_request(api_request(**{"event.name": None, "input_tokens": 1000, "output_tokens": 200,
                                          "cache_read_tokens": 5000, "cache_creation_tokens": 300}), body=None)
    request.resource_logs[0].scope_logs[0].log_records[0].event_name = "claude_code.api_request"
    reply = otlp.client.logs(request, as_json=True)
    assert (reply.status, reply.headers["Content-Type"], json.loads(reply.body)) == (200, JSON, {})
    [event] = otlp.events
    assert event.cost_usd == HAIKU_CALL


def test_a_resent_batch_counts_once(otlp: Running, tracker: CostTracker) -> None:
    request = logs_request(api_request(), api_request(request_id="req_011B", **{"event.sequence": 8}))
    assert otlp.client.logs(request).status == 200
    assert otlp.client.logs(request, as_json=True).status == 200  # an exporter's retry, either encoding
    assert otlp.receiver.stats.statuses == {COMMITTED: 2, DUPLICATE: 2}
    assert otlp.receiver.stats.approximate == 2
    assert tracker.snapshot().total.cost_usd == 2 * HAIKU_CALL


@pytest.mark.parametrize(("overrides", "time_ns", "expected"), [
    ({}, AT_NS, "otel:sess-1:req_011A"),
    ({"request_id": None, "client_request_id": "c0ffee"}, AT_NS, "otel:sess-1:c0ffee"),
    ({"request_id": None}, AT_NS, "otel:sess-1:seq7"),
    ({"request_id": None, "event.sequence": None}, AT_NS, f"otel:sess-1:t{AT_NS}"),
    ({"request_id": None, "event.sequence": None, "session.id": None}, AT_NS, f"otel:-:t{AT_NS}"),
    ({"request_id": None, "event.sequence": None}, 0, None),
])
def test_the_event_id_is_the_most_stable_key_the_event_has(
        otlp: Running, overrides: dict[str, Any], time_ns: int, expected: str | None) -> None:
    otlp.client.logs(logs_request(api_request(**overrides), time_ns=time_ns))
    assert [e.event_id for e in otlp.events] == [expected]


def test_time_falls_back_to_the_event_timestamp_then_the_observed_time(otlp: Running) -> None:
    otlp.client.logs(logs_request(api_request(**{"event.timestamp": "2026-12-02T08:00:00+01:00"}), time_ns=0))
    request = logs_request(api_request(**{"event.timestamp": None}, request_id="r2"), time_ns=0)
    request.resource_logs[0].scope_logs[0].log_records[0].observed_time_unix_nano = AT_NS
    otlp.client.logs(request)
    assert [e.at for e in otlp.events] == [dt.datetime(2026, 12, 2, 7, 0, tzinfo=dt.UTC), AT]


def test_a_named_subagent_is_the_subagent_tier(otlp: Running) -> None:
    otlp.client.logs(logs_request(api_request(**{"agent.name": "general-purpose"})))
    assert [e.tier for e in otlp.events] == ["subagent"]


def test_fast_mode_is_priced_as_the_fast_variant(otlp: Running) -> None:
    otlp.client.logs(logs_request(api_request(model="claude-opus-5", speed="fast", cache_read_tokens="0",
                                              cache_creation_tokens="0")))
    [event] = otlp.events
    assert event.variant == "fast"
    assert event.cost_usd == 2 * usd((1000, "5"), (200, "25"))


def test_the_project_comes_from_resource_attributes(otlp: Running) -> None:
    otlp.client.logs(logs_request(api_request(), resource={"costpanel.project": "webshop"}))
    assert [e.project for e in otlp.events] == ["webshop"]


def test_sessions_a_log_watcher_owns_are_skipped(otlp: Running) -> None:
    request = logs_request(api_request(**{"session.id": "watched-by-logs"}), api_request(request_id="req_9"))
    assert otlp.client.logs(request).status == 200
    assert [e.session for e in otlp.events] == ["sess-1"]
    assert otlp.receiver.stats.skipped == {OWNED_SESSION: 1}


def test_a_claude_code_event_waits_for_its_sessions_log_and_counts_only_if_none_came(
        run: Callable[..., Running]) -> None:
    """``hold_s``: an api_request of a session no watched log holds yet waits, then is asked again:
    skipped if its log appeared meanwhile (never counted twice), else recorded. stop() settles what
    still waits: nothing is lost. Spans never wait."""
    claimed: set[str] = set()
    running = run(skip_session=lambda session: session in claimed, hold_s=60)
    request = logs_request(api_request(**{"session.id": "sess-a"}, request_id="r1"),
                           api_request(**{"session.id": "sess-b"}, request_id="r2"))
    assert running.client.logs(request).status == 200
    assert running.client.traces(traces_request(gen_ai_span(chat()), resource={"session.id": "sess-a"})).status == 200
    assert [e.source for e in running.events] == ["otel"]  # the span, at once
    claimed.add("sess-a")  # sess-a's log appeared while its event waited
    running.receiver.stop()
    assert [e.event_id for e in running.events[1:]] == ["otel:sess-b:r2"]
    assert running.receiver.stats.skipped == {OWNED_SESSION: 1}


def test_a_held_event_is_released_when_its_wait_ends(run: Callable[..., Running]) -> None:
    running = run(skip_session=lambda session: False, hold_s=0.2)
    running.client.logs(logs_request(api_request()))
    deadline = time.monotonic() + 10
    while not running.events and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [e.event_id for e in running.events] == ["otel:sess-1:req_011A"]


def test_skip_session_is_asked_with_the_session_id(run: Callable[..., Running]) -> None:
    asked: list[str] = []
    running = run(skip_session=lambda session: asked.append(session) or False)
    running.client.logs(logs_request(api_request(), api_request(**{"session.id": "sess-2"}, request_id="r2")))
    assert asked == ["sess-1", "sess-2"]
    assert len(running.events) == 2


def test_other_claude_code_events_are_skipped(otlp: Running) -> None:
    prompt = {"event.name": "user_prompt", "session.id": "sess-1", "prompt_length": "12"}
    error = {"event.name": "api_error", "session.id": "sess-1", "model": "claude-haiku-4-5", "status_code": 529}
    otlp.client.logs(logs_request(prompt, body="claude_code.user_prompt"))
    otlp.client.logs(logs_request(error, body="claude_code.api_error"))
    assert otlp.events == []
    assert otlp.receiver.stats.skipped == {claude_code_events.OTHER_EVENT: 2}


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"model": None}, genai.NO_MODEL),
    ({"input_tokens": None, "output_tokens": None, "cache_read_tokens": None, "cache_creation_tokens": None},
     genai.NO_USAGE),
    ({"input_tokens": "12.5"}, genai.BAD_FIELD),
    ({"output_tokens": -3}, genai.BAD_FIELD),
    ({"model": 7}, genai.BAD_FIELD),
    ({"event.timestamp": "yesterday"}, genai.BAD_FIELD),
    ({"event.timestamp": "2026-12-01T09:30:00"}, genai.BAD_FIELD),  # no zone: never guessed
])
def test_unusable_api_requests_are_skipped_by_reason_and_the_batch_goes_on(
        otlp: Running, overrides: dict[str, Any], reason: str) -> None:
    request = logs_request(api_request(**overrides), api_request(request_id="req_ok"), time_ns=0)
    assert otlp.client.logs(request).status == 200
    assert [e.event_id for e in otlp.events] == ["otel:sess-1:req_ok"]
    assert otlp.receiver.stats.skipped == {reason: 1}


@pytest.mark.parametrize("as_json", [False, True])
def test_the_reply_counts_the_records_that_could_not_be_calls(otlp: Running, as_json: bool) -> None:
    """OTLP's partial success: an exporter (and its user) learns that records were refused and why;
    records that are not calls by design (another event, a session the logs own) are not counted."""
    request = logs_request(api_request(model=None), api_request(output_tokens=-3, request_id="r2"),
                           api_request(request_id="r3"), {"event.name": "user_prompt", "session.id": "sess-1"},
                           api_request(**{"session.id": "watched-by-logs"}, request_id="r4"))
    reply = otlp.client.logs(request, as_json=as_json)
    assert reply.status == 200
    if as_json:
        partial = json.loads(reply.body)["partialSuccess"]
        count, message = int(partial["rejectedLogRecords"]), partial["errorMessage"]
    else:
        partial = ExportLogsServiceResponse.FromString(reply.body).partial_success
        count, message = partial.rejected_log_records, partial.error_message
    assert count == 2
    assert message.startswith("not counted by costpanel: ") and genai.NO_MODEL in message
    assert "output_tokens must be a token count" in message
    assert [e.event_id for e in otlp.events] == ["otel:sess-1:r3"]
    ok = otlp.client.logs(logs_request(api_request(request_id="r5")))
    assert ExportLogsServiceResponse.FromString(ok.body) == ExportLogsServiceResponse()  # all counted: empty


def test_a_failing_skip_session_is_counted_and_the_batch_goes_on(run: Callable[..., Running]) -> None:
    def skip(session: str) -> bool:
        if session == "sess-boom":
            raise RuntimeError("watcher gone")
        return False

    running = run(skip_session=skip)
    request = logs_request(api_request(**{"session.id": "sess-boom"}), api_request(request_id="r2"))
    assert running.client.logs(request).status == 200
    assert [e.session for e in running.events] == ["sess-1"]
    assert running.receiver.stats.skipped == {genai.ERROR: 1}


# -- GenAI spans ----------------------------------------------------------------------------

def test_a_gen_ai_span_is_recorded_with_its_trace_and_span_id(otlp: Running) -> None:
    reply = otlp.client.traces(traces_request(gen_ai_span(chat())))
    assert reply.status == 200
    assert ExportTraceServiceResponse.FromString(reply.body) == ExportTraceServiceResponse()
    [event] = otlp.events
    assert event.event_id == f"otel:{TRACE_ID.hex()}:{SPAN_ID.hex()}"
    assert event.usage == Usage(input=600, cache_read=400, output=100)
    assert event.cost_usd == usd((600, "2"), (400, "0.5"), (100, "8"))
    assert (event.at, event.tier, event.source) == (AT, "default", "otel")
    assert otlp.receiver.stats.approximate == 0


def test_a_spans_cache_writes_are_priced_as_5_minute_writes_and_marked_approximate(otlp: Running) -> None:
    otlp.client.traces(traces_request(gen_ai_span(chat(**{"gen_ai.usage.cache_creation.input_tokens": 200}))))
    [event] = otlp.events
    assert event.usage == Usage(input=400, cache_read=400, cache_write=200, output=100) and event.approximate
    assert otlp.receiver.stats.approximate == 1


def test_the_same_span_as_otlp_json_has_the_same_id_and_counts_once(otlp: Running) -> None:
    request = traces_request(gen_ai_span(chat()))
    reply = otlp.client.traces(request, as_json=True)
    assert (reply.status, json.loads(reply.body)) == (200, {})
    assert otlp.client.traces(request).status == 200
    assert [e.event_id for e in otlp.events] == [f"otel:{TRACE_ID.hex()}:{SPAN_ID.hex()}"]
    assert otlp.receiver.stats.statuses == {COMMITTED: 1, DUPLICATE: 1}


def test_spans_follow_the_span_processor_rules(otlp: Running) -> None:
    spans = [
        gen_ai_span(chat(**{"gen_ai.operation.name": "invoke_agent"}), span_id=b"\x00" * 7 + b"\x01"),
        gen_ai_span({"http.route": "/"}, span_id=b"\x00" * 7 + b"\x02", name="GET /"),
        gen_ai_span(chat(**{"costpanel.tier": "Tier 1", "gen_ai.response.model": "gpt-4o-mini"}),
                    span_id=b"\x00" * 7 + b"\x03"),
        gen_ai_span(chat(), span_id=b"\x00" * 7 + b"\x04", name="claude_code.llm_request"),
    ]
    otlp.client.traces(traces_request(*spans, resource={"session.id": "agent-run-1"}))
    [event] = otlp.events
    assert (event.tier, event.model, event.session) == ("Tier 1", "gpt-4o-mini", "agent-run-1")
    assert event.event_id == f"otel:{TRACE_ID.hex()}:{'0' * 15}3"
    assert otlp.receiver.stats.skipped == {genai.SUMMARY: 1, genai.NO_USAGE: 1, genai.CLAUDE_CODE_SPAN: 1}


def test_spans_of_a_session_the_logs_own_are_skipped_too(otlp: Running) -> None:
    otlp.client.traces(traces_request(gen_ai_span(chat()), resource={"session.id": "watched-by-logs"}))
    assert otlp.events == []
    assert otlp.receiver.stats.skipped == {OWNED_SESSION: 1}


@pytest.mark.parametrize(("trace_id", "span_id"), [(b"", SPAN_ID), (TRACE_ID, b"\x01" * 4), (b"\x00" * 16, SPAN_ID)])
def test_a_span_with_an_invalid_id_is_a_bad_field(otlp: Running, trace_id: bytes, span_id: bytes) -> None:
    assert otlp.client.traces(traces_request(gen_ai_span(chat(), trace_id=trace_id, span_id=span_id))).status == 200
    assert otlp.events == []
    assert otlp.receiver.stats.skipped == {genai.BAD_FIELD: 1}


def test_a_double_where_a_count_belongs_is_a_bad_field(otlp: Running) -> None:
    otlp.client.traces(traces_request(gen_ai_span(chat(**{"gen_ai.usage.output_tokens": 100.0}))))
    assert otlp.events == []
    assert otlp.receiver.stats.skipped == {genai.BAD_FIELD: 1}


# -- HTTP --------------------------------------------------------------------------------

def test_gzip_bodies_are_accepted_in_both_encodings(otlp: Running) -> None:
    reply = otlp.client.post("/v1/logs", gzip.compress(logs_request(api_request()).SerializeToString()), PB, "gzip")
    assert reply.status == 200
    reply = otlp.client.post("/v1/traces", gzip.compress(as_otlp_json(traces_request(gen_ai_span(chat())))),
                             JSON, "gzip")
    assert reply.status == 200
    assert len(otlp.events) == 2


def test_a_content_type_with_parameters_is_accepted(otlp: Running) -> None:
    reply = otlp.client.post("/v1/traces", as_otlp_json(traces_request(gen_ai_span(chat()))),
                             "application/json; charset=utf-8")
    assert reply.status == 200
    assert len(otlp.events) == 1


@pytest.mark.parametrize(("path", "body", "content_type", "encoding", "status"), [
    ("/v1/traces", b"\x0a\xff", PB, None, 400),  # a length past the end of the body
    ("/v1/logs", b"{not json", JSON, None, 400),
    ("/v1/logs", b"[1, 2]", JSON, None, 400),
    ("/v1/traces", b'{"resourceSpans": "many"}', JSON, None, 400),
    ("/v1/traces", b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "xyz"}]}]}]}', JSON, None, 400),
    ("/v1/logs", b"not gzip at all", PB, "gzip", 400),
    ("/v1/logs", gzip.compress(b"", mtime=0)[:-4], PB, "gzip", 400),  # truncated: what came through parses
    ("/v1/metrics", b"", PB, None, 404),
    ("/", b"", PB, None, 404),
    ("/v1/traces", b"{}", "text/plain", None, 415),
    ("/v1/traces", b"{}", None, None, 415),
    ("/v1/traces", b"{}", JSON, "br", 415),
])
def test_bad_requests_get_the_right_status_and_record_nothing(
        otlp: Running, path: str, body: bytes, content_type: str | None, encoding: str | None, status: int) -> None:
    reply = otlp.client.post(path, body, content_type, encoding)
    assert reply.status == status
    assert reply.body  # a message saying what was wrong
    assert otlp.events == []
    assert otlp.receiver.stats.rejected == {status: 1}
    assert otlp.receiver.stats.requests == 0
    assert otlp.client.traces(traces_request(gen_ai_span(chat()))).status == 200  # still serving


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_not_allowed(otlp: Running, method: str) -> None:
    reply = otlp.client.post("/v1/logs", b"" if method == "PUT" else None, method=method)
    assert reply.status == 405
    assert reply.headers["Allow"] == "POST"
    assert otlp.client.post("/elsewhere", None, method="GET").status == 404


def test_oversized_bodies_are_refused_before_and_after_gzip(run: Callable[..., Running]) -> None:
    running = run(max_body=2000)
    big = logs_request(*[api_request(request_id=f"r{i}") for i in range(20)]).SerializeToString()
    assert len(big) > 2000
    assert running.client.post("/v1/logs", big).status == 413
    bomb = gzip.compress(b"\x00" * 50_000)
    assert len(bomb) < 2000
    assert running.client.post("/v1/logs", bomb, PB, "gzip").status == 413
    assert running.receiver.stats.rejected == {413: 2}
    small = logs_request(api_request()).SerializeToString()
    assert running.client.post("/v1/logs", small).status == 200
    assert len(running.events) == 1


def test_keep_alive_and_chunked_bodies(otlp: Running) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", otlp.client.port, timeout=10)
    try:
        for n in range(2):
            body = logs_request(api_request(request_id=f"req-{n}")).SerializeToString()
            connection.request("POST", "/v1/logs", body=iter([body[:10], body[10:]]), encode_chunked=True,
                               headers={"Content-Type": PB, "Transfer-Encoding": "chunked"})
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b"")
    finally:
        connection.close()
    assert [e.event_id for e in otlp.events] == ["otel:sess-1:req-0", "otel:sess-1:req-1"]


def test_a_missing_content_length_is_refused(otlp: Running) -> None:
    with socket.create_connection(("127.0.0.1", otlp.client.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n\r\n")
        reply = b""
        while chunk := sock.recv(4096):  # the server closes the connection after an error
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 411")
    assert reply.endswith(b"Content-Length required")
    assert otlp.receiver.stats.rejected == {411: 1}


# -- life cycle -------------------------------------------------------------------------

def test_start_binds_loopback_on_a_free_port_and_stop_closes_it(tracker: CostTracker) -> None:
    receiver = OtlpReceiver(tracker, port=0)
    assert receiver.host == "127.0.0.1"
    port = receiver.start()
    assert port > 0
    with pytest.raises(RuntimeError, match="already started"):
        receiver.start()
    assert Client(port).traces(traces_request(gen_ai_span(chat()))).status == 200
    receiver.stop()
    receiver.stop()  # idempotent
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert receiver.stats.requests == 1


def test_a_port_in_use_raises_on_start(tracker: CostTracker) -> None:
    with OtlpReceiver(tracker, port=0) as first:
        port = first._server.server_address[1]  # type: ignore[union-attr]
        with pytest.raises(OSError):
            OtlpReceiver(tracker, port=port).start()


@pytest.mark.parametrize(("option", "value"), [("port", -1), ("port", 70000), ("port", "4318"), ("max_body", 0)])
def test_bad_options_are_refused(tracker: CostTracker, option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        OtlpReceiver(tracker, **{option: value})  # type: ignore[arg-type]


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_an_ipv6_host_is_served(tracker: CostTracker) -> None:
    with OtlpReceiver(tracker, host="::1", port=0) as receiver:
        port = receiver._server.server_address[1]  # type: ignore[union-attr]
        body = traces_request(gen_ai_span(chat())).SerializeToString()
        request = urllib.request.Request(f"http://[::1]:{port}/v1/traces", data=body, headers={"Content-Type": PB})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        assert receiver.stats.recorded == 1


@pytest.mark.skipif(shutil.which("curl") is None and os.environ.get("CI") != "true", reason="curl not installed")
def test_the_docs_curl_example_is_counted_as_written(tracker: CostTracker) -> None:
    """docs/integrations.md's try-it block, run by bash as pasted (curl, the heredoc, the time now)."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "integrations.md").read_text()
    block = text.split("To try it without Claude Code", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    events: list[Event] = []
    tracker.subscribe(events.append)
    receiver = OtlpReceiver(tracker, port=0)
    port = receiver.start()
    try:
        done = subprocess.run(["bash", "-c", block.replace("4318", str(port))], capture_output=True, text=True,
                              timeout=30)
    finally:
        receiver.stop()
    assert (done.returncode, done.stdout) == (0, "{}"), done.stderr
    [event] = events
    assert (event.model, event.tier, event.session, event.cost_usd) == ("claude-haiku-4-5", "main", "try-otlp",
                                                                         Decimal("0.0025"))
    assert abs(event.ts - time.time()) < 60  # "the time now"


def test_a_client_that_sends_a_big_body_whole_before_reading_gets_the_413(run: Callable[..., Running]) -> None:
    """urllib and most exporters send the whole body before reading the reply: refused on its
    Content-Length, the receiver reads and drops the rest before it closes, so the client reads
    the 413 instead of a broken pipe (8 MB here: far more than the socket buffers hold)."""
    import urllib.error
    import urllib.request

    running = run(max_body=2000)
    body = b"\x00" * (8 << 20)
    request = urllib.request.Request(f"http://127.0.0.1:{running.client.port}/v1/logs", data=body, method="POST",
                                     headers={"Content-Type": PB})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=20)
    assert refused.value.code == 413 and b"at most 2,000" in refused.value.read()
    assert running.receiver.stats.rejected == {413: 1}
