"""A local OTLP/HTTP receiver: Claude Code's telemetry and any OTel-instrumented agent feed the
tracker live, without touching log files (``costpanel watch --otlp-port 4318``)::

    receiver = OtlpReceiver(tracker, port=4318, skip_session=watcher.owns)
    port = receiver.start()      # serves in a background thread
    ...
    receiver.stop()

Endpoints (the OTLP/HTTP specification's paths): ``POST /v1/traces`` (spans: the rules of
:mod:`.genai`, as the span processor applies them) and ``POST /v1/logs`` (Claude Code's
``claude_code.api_request`` events: :mod:`.claude_code_events`; other log records are counted as
skipped). Bodies are decoded with the official ``opentelemetry-proto`` messages, binary protobuf
(``application/x-protobuf``) or OTLP/JSON (``application/json``: hex trace/span ids, int64 as
strings), optionally gzip-compressed. Answers: 200 with the ``Export*ServiceResponse`` in the
request's encoding (its ``partial_success`` counts the records that should have been calls and
were not — no model, a bad field — and says why); 400 malformed body, 404 other path, 405 other method, 411 no length,
413 body (or its gzip expansion) over ``max_body`` bytes, 415 other content type or encoding.

Calls are recorded with source ``otel``. A session whose session logs a watcher already reads
(``skip_session(session_id)`` is true; it is called from the server's handler threads) is skipped
whole: the logs win, being exact (they split 5-minute and 1-hour cache writes) — never count a call
twice. With ``hold_s``, a Claude Code event of a session no log holds yet waits that long and is
asked again before it counts (its log may be appearing). It listens on loopback by default;
another ``host`` exposes the tracker to whoever can reach it (there is no authentication).
"""

from __future__ import annotations

import binascii
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from ..tracker import CostTracker
from . import claude_code_events
from .genai import (
    BAD_FIELD,
    ERROR,
    Counters,
    FeedStats,
    GenAiCall,
    NotACall,
    cache_ttl_unknown,
    call_from_span,
    record_call,
)
from .logs import NO_MODEL

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024 * 1024  # bytes, after gzip expansion too: SDK exporters send batches of ~512 items
LINGER_S, LINGER_BYTES = 2.0, 256 << 20  # what a refused request's unread body may still take, then the close
OWNED_SESSION = "session read from its logs"  # skip reason: the log watcher owns this session
# Skip reasons of records that should have been a call and were not: the reply says how many
# (OTLP partial success); the others (another event, an agent span, the logs' session) are not calls.
REFUSED = frozenset((NO_MODEL, BAD_FIELD))
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_SIGNALS: dict[str, tuple[type[Message], type[Message]]] = {
    "/v1/traces": (ExportTraceServiceRequest, ExportTraceServiceResponse),
    "/v1/logs": (ExportLogsServiceRequest, ExportLogsServiceResponse),
}
# OTLP/JSON writes these bytes fields as hex, protobuf's JSON mapping as base64: converted before parsing.
_HEX_IDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


class BadRequest(Exception):
    """A request answered with an error status; the message is the response body."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def value_of(value: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as Python (int64 stays an int; arrays and maps as lists and dicts)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value_of(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return attributes_of(value.kvlist_value.values)
    return getattr(value, kind)


def attributes_of(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: value_of(kv.value) for kv in pairs}


def _hex_to_base64(node: Any) -> None:
    """Rewrite OTLP/JSON's hex ids in place into the base64 protobuf's JSON parser expects."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _HEX_IDS and isinstance(value, str):
                try:
                    node[key] = binascii.b2a_base64(bytes.fromhex(value), newline=False).decode()
                except ValueError:
                    raise BadRequest(HTTPStatus.BAD_REQUEST, f"{key} is not hex: {value!r:.80}") from None
            else:
                _hex_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            _hex_to_base64(item)


def decode(body: bytes, content_type: str, message: type[Message]) -> Message:
    """The export request in ``body``; raises :class:`BadRequest` (400) when it is not one."""
    request = message()
    if content_type == PROTOBUF:
        try:
            request.ParseFromString(body)
        except DecodeError as error:
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"not a protobuf {message.__name__}: {error}") from None
        return request
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"not an OTLP/JSON {message.__name__}: a {type(data).__name__}")
    _hex_to_base64(data)
    try:
        json_format.ParseDict(data, request, ignore_unknown_fields=True)  # the spec: ignore unknown fields
    except json_format.ParseError as error:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"not an OTLP/JSON {message.__name__}: {error}") from None
    return request


def _gunzip(body: bytes, limit: int) -> bytes:
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflate.decompress(body, limit + 1)
    except zlib.error as error:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"bad gzip body: {error}") from None
    if len(data) > limit:
        raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body expands to more than {limit:,} bytes")
    if not inflate.eof:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "bad gzip body: truncated")
    return data


class OtlpReceiver:
    """OTLP/HTTP on ``host:port`` (``port=0``: any free port), recording into ``tracker``."""

    def __init__(self, tracker: CostTracker, *, host: str = "127.0.0.1", port: int = 4318,
                 skip_session: Callable[[str], bool] = lambda s: False, max_body: int = MAX_BODY,
                 hold_s: float = 0.0) -> None:
        """``hold_s``: a Claude Code event of a session ``skip_session`` does not claim yet waits this
        long and is asked again before it is recorded (its log may be about to appear); :meth:`stop`
        settles what still waits."""
        if type(port) is not int or not 0 <= port <= 65535:
            raise ValueError(f"port must be 0-65535, got {port!r}")
        if type(max_body) is not int or max_body < 1:
            raise ValueError(f"max_body must be a positive number of bytes, got {max_body!r}")
        if not 0 <= hold_s <= 60:
            raise ValueError(f"hold_s must be 0-60 seconds, got {hold_s!r}")
        self.tracker = tracker
        self.host = host
        self.port = port
        self.skip_session = skip_session
        self.max_body = max_body
        self.hold_s = hold_s
        self._counts = Counters()
        self._held: list[tuple[float, int, str, GenAiCall, bool]] = []  # (due, order, what, call, approximate): a heap
        self._held_order = itertools.count()
        self._held_changed = threading.Condition()
        self._releaser: threading.Thread | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None

    @property
    def stats(self) -> FeedStats:
        """Requests accepted and refused, calls recorded (by status), records skipped (by reason),
        approximate calls."""
        return self._counts.snapshot()

    def start(self) -> int:
        """Bind and serve in a daemon thread; returns the bound port. OSError if it cannot bind."""
        if self._server is not None:
            raise RuntimeError("OtlpReceiver already started")
        server_class = _Server6 if ":" in self.host else _Server
        server = server_class((self.host, self.port), _Handler)
        server.receiver = self
        server.timeout = 0  # handle_request() after our own select: never wait there
        self._wake = socket.socketpair()
        self._server = server
        self._thread = threading.Thread(target=self._serve, args=(server, self._wake[0]), name="costpanel-otlp",
                                        daemon=True)
        self._thread.start()
        if self.hold_s:
            self._releaser = threading.Thread(target=self._release, name="costpanel-otlp-held", daemon=True)
            self._releaser.start()
        return int(server.server_address[1])

    @staticmethod
    def _serve(server: ThreadingHTTPServer, wake: socket.socket) -> None:
        """Accept connections until ``wake`` is written to. Not ``serve_forever``: its shutdown waits
        for a poll interval (0.5 s), and a shorter one costs idle wake-ups while the panel runs."""
        with selectors.DefaultSelector() as selector:
            selector.register(server, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is wake:
                        return
                    server.handle_request()  # one connection: a handler thread serves it

    def stop(self) -> None:
        """Stop accepting connections and close the socket. Idempotent. A request being handled at
        that moment may still be recorded; connections left idle by exporters time out on their own."""
        server, thread, wake = self._server, self._thread, self._wake
        self._server = self._thread = self._wake = None
        if wake is not None:
            wake[1].send(b"x")
        if thread is not None:
            thread.join()
        if server is not None:
            server.server_close()
        if wake is not None:
            for end in wake:
                end.close()
        with self._held_changed:
            releaser, self._releaser = self._releaser, None
            self._held_changed.notify()  # the releaser ends (its receiver is stopped) ...
        if releaser is not None:
            releaser.join()
        self._settle_held(until=None)  # ... and what still waits is settled now: nothing is lost

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one request's records --------------------------------------------------------------

    def export(self, request: Message) -> list[str]:
        """Record what a decoded ``ExportTraceServiceRequest`` or ``ExportLogsServiceRequest`` carries;
        returns why each record that could not be counted was refused (the reply's partial success)."""
        refused: list[str] = []
        if isinstance(request, ExportTraceServiceRequest):
            self._traces(request, refused)
        elif isinstance(request, ExportLogsServiceRequest):
            self._logs(request, refused)
        else:
            raise TypeError(f"not an OTLP traces or logs export request: {type(request).__name__}")
        self._counts.request()
        return refused

    def _traces(self, request: ExportTraceServiceRequest, refused: list[str]) -> None:
        for resource_spans in request.resource_spans:
            resource = attributes_of(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self._one(span.name, partial(self._span_call, span, resource), cache_ttl_unknown,
                              refused=refused)

    @staticmethod
    def _span_call(span: Any, resource: Mapping[str, Any]) -> GenAiCall:
        if len(span.trace_id) != 16 or len(span.span_id) != 8:
            raise ValueError(f"trace_id / span_id must be 16 / 8 bytes, got {len(span.trace_id)} / {len(span.span_id)}")
        return call_from_span(attributes_of(span.attributes), trace_id=int.from_bytes(span.trace_id, "big"),
                              span_id=int.from_bytes(span.span_id, "big"), end_ns=span.end_time_unix_nano,
                              name=span.name, resource=resource)

    def _logs(self, request: ExportLogsServiceRequest, refused: list[str]) -> None:
        for resource_logs in request.resource_logs:
            resource = attributes_of(resource_logs.resource.attributes)
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    self._one(record.event_name or "log record", partial(self._log_call, record, resource),
                              claude_code_events.approximate, hold=True, refused=refused)

    @staticmethod
    def _log_call(record: Any, resource: Mapping[str, Any]) -> GenAiCall:
        attributes = attributes_of(record.attributes)
        if not claude_code_events.is_api_request(record.event_name, attributes, value_of(record.body)):
            raise NotACall(claude_code_events.OTHER_EVENT)
        return claude_code_events.call_from_api_request(
            attributes, time_ns=record.time_unix_nano, observed_ns=record.observed_time_unix_nano, resource=resource)

    def _one(self, what: str, read: Callable[[], GenAiCall],
             approximate: Callable[[GenAiCall], bool] = lambda call: False, hold: bool = False,
             refused: list[str] | None = None) -> None:
        """Read and record one span or log record (``hold``: a Claude Code event, which may wait
        for its session's log: see ``hold_s``); whatever goes wrong is counted, never raised, and
        a record that should have counted and could not is added to ``refused`` (why, in words)."""
        try:
            call = read()
            estimated = approximate(call)
            wait = hold and self.hold_s and call.session is not None and not self.skip_session(call.session)
        except NotACall as skip:
            self._counts.skipped(skip.reason)
            if skip.reason in REFUSED and refused is not None:
                refused.append(f"{what}: {skip.reason}")
            return
        except Exception as error:
            if refused is not None:
                refused.append(f"{what}: {error}" if isinstance(error, (TypeError, ValueError)) else f"{what}: {ERROR}")
            return self._failed(what, error)
        if wait:
            with self._held_changed:
                if self._releaser is not None:  # (not stopping: stop() settles what waits once)
                    heapq.heappush(self._held, (time.monotonic() + self.hold_s, next(self._held_order), what,
                                                call, estimated))
                    self._held_changed.notify()
                    return
        self._record(what, call, estimated)

    def _record(self, what: str, call: GenAiCall, estimated: bool) -> None:
        try:
            if call.session is not None and self.skip_session(call.session):
                raise NotACall(OWNED_SESSION)
            event = record_call(self.tracker, call, approximate=estimated)
            self._counts.recorded(event, estimated)
        except NotACall as skip:
            self._counts.skipped(skip.reason)
        except Exception as error:
            self._failed(what, error)

    def _failed(self, what: str, error: Exception) -> None:
        if isinstance(error, (TypeError, ValueError)):
            level = logging.WARNING if self._counts.skipped(BAD_FIELD) == 1 else logging.DEBUG
            log.log(level, "costpanel: OTLP %s not counted: %s", what, error)
        elif self._counts.skipped(ERROR) == 1:  # one bad record must not fail the exporter's whole batch
            log.error("costpanel: OTLP %s not counted", what, exc_info=error)

    # -- events waiting for their session's log ------------------------------------------------------
    def _release(self) -> None:
        """Record (or skip, the log having claimed the session meanwhile) each held event when due."""
        me = threading.current_thread()
        while True:
            with self._held_changed:
                if self._releaser is not me:  # stopped: stop() settles the rest
                    return
                wait = self._held[0][0] - time.monotonic() if self._held else None
                if wait is None or wait > 0:
                    self._held_changed.wait(wait)
                    continue
            self._settle_held(until=time.monotonic())

    def _settle_held(self, until: float | None) -> None:
        """Settle the held events due by ``until`` (None: all), in arrival order."""
        while True:
            with self._held_changed:
                if not self._held or (until is not None and self._held[0][0] > until):
                    return
                _, _, what, call, estimated = heapq.heappop(self._held)
            self._record(what, call, estimated)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: OtlpReceiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-reply: logged, not printed to stderr as socketserver does."""
        # socketserver calls this from inside its except block: exc_info is that exception
        log.debug("costpanel: OTLP connection from %s failed", client_address[0], exc_info=True)  # noqa: LOG014


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive: exporters reuse their connection
    timeout = 60  # seconds a kept-alive connection may sit idle before its thread lets it go

    def do_POST(self) -> None:
        receiver = self.server.receiver
        path = self.path.split("?", 1)[0]
        try:
            if path not in _SIGNALS:
                raise BadRequest(HTTPStatus.NOT_FOUND, f"no OTLP endpoint at {path}: use /v1/traces or /v1/logs")
            content_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
            if content_type not in (PROTOBUF, JSON):
                raise BadRequest(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                                 f"Content-Type {content_type or '(none)'!r}: send {PROTOBUF} or {JSON}")
            encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding not in ("identity", "gzip"):
                raise BadRequest(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"Content-Encoding {encoding!r}: send gzip or none")
            body = self._body(receiver.max_body)
            if encoding == "gzip":
                body = _gunzip(body, receiver.max_body)
            request_type, response_type = _SIGNALS[path]
            refused = receiver.export(decode(body, content_type, request_type))
        except BadRequest as error:
            self.close_connection = True  # the body may be unread (or half read): never parse it as a request
            receiver._counts.rejected(error.status)
            self._reply(error.status, "text/plain; charset=utf-8", str(error).encode())
            self._linger()
            return
        response = response_type()
        if refused:  # OTLP's partial success: the exporter learns how many were not counted, and why
            count_field = "rejected_spans" if response_type is ExportTraceServiceResponse else "rejected_log_records"
            setattr(response.partial_success, count_field, len(refused))
            more = f" (and {len(refused) - 3} more)" if len(refused) > 3 else ""
            response.partial_success.error_message = "not counted by costpanel: " + "; ".join(refused[:3]) + more
        payload = response.SerializeToString() if content_type == PROTOBUF else json_format.MessageToJson(
            response, indent=None).encode()
        self._reply(HTTPStatus.OK, content_type, payload)

    def _body(self, limit: int) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._chunked(limit)
        length = self.headers.get("Content-Length")
        if length is None:
            raise BadRequest(HTTPStatus.LENGTH_REQUIRED, "Content-Length required")
        if not length.strip().isdigit():
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"bad Content-Length {length!r}")
        if int(length) > limit:
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body of {int(length):,} bytes; at most {limit:,}")
        return self.rfile.read(int(length))

    def _chunked(self, limit: int) -> bytes:
        """A ``Transfer-Encoding: chunked`` body (Node's HTTP client may send one), at most ``limit`` bytes."""
        parts: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                chunk = int(line, 16)
            except ValueError:
                raise BadRequest(HTTPStatus.BAD_REQUEST, f"bad chunk size {line[:20]!r}") from None
            if chunk == 0:
                while self.rfile.readline(1024).strip():  # trailers, up to the blank line
                    pass
                return b"".join(parts)
            size += chunk
            if size > limit:
                raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body of more than {limit:,} bytes")
            parts.append(self.rfile.read(chunk))
            self.rfile.readline(4)  # the CRLF after the chunk

    def _not_allowed(self) -> None:
        path = self.path.split("?", 1)[0]
        status = HTTPStatus.METHOD_NOT_ALLOWED if path in _SIGNALS else HTTPStatus.NOT_FOUND
        self.close_connection = True  # a body, if any, is left unread
        self.server.receiver._counts.rejected(status)
        self._reply(status, "text/plain; charset=utf-8", f"{self.command} {path}: OTLP/HTTP takes POST".encode(),
                    allow=status == HTTPStatus.METHOD_NOT_ALLOWED)

    do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed  # http.server's method names

    def _reply(self, status: HTTPStatus, content_type: str, payload: bytes, allow: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if allow:
            self.send_header("Allow", "POST")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _linger(self) -> None:
        """After an error reply to a request whose body was not read (413 on its Content-Length, say):
        read and drop what the client is still sending, up to LINGER_BYTES or LINGER_S, before the
        connection closes. A client that sends its whole body before it reads the reply (urllib,
        most SDK exporters) then reads the status rather than a broken pipe."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)  # the reply is complete: the client may read it now
            self.connection.settimeout(0.1)
        except OSError:
            return
        deadline = time.monotonic() + LINGER_S
        left = LINGER_BYTES
        while left > 0 and time.monotonic() < deadline:
            try:
                data = self.connection.recv(min(left, 1 << 16))
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:  # the client finished sending (or closed)
                return
            left -= len(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("OTLP %s: " + format, self.client_address[0], *args)


__all__ = ["JSON", "MAX_BODY", "OWNED_SESSION", "PROTOBUF", "BadRequest", "OtlpReceiver", "decode"]
