"""OpenTelemetry: count every GenAI model-call span an application ends, in one line of setup::

    provider.add_span_processor(CostpanelSpanProcessor(tracker))

Any instrumentation following the GenAI semantic conventions feeds the tracker this way (the
OpenAI, Anthropic, Bedrock, Vertex AI … instrumentations, and frameworks emitting ``gen_ai.*``
spans). Which spans count, how their attributes map to costpanel's buckets, tiers, sessions and
event ids: see :mod:`.genai` (the same rules as the OTLP receiver, :mod:`.otlp`). Calls are
recorded with source ``otel``. Needs the ``costpanel[otel]`` extra.

``on_end`` never raises into the SDK: a span it cannot bill is counted in :attr:`stats`
(``skipped`` by reason) and logged once per reason; a tracker that refuses a call (a tier label
too long …) counts as ``bad field``.
"""

from __future__ import annotations

import logging

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from ..tracker import CostTracker
from .genai import (
    BAD_FIELD,
    ERROR,
    TIER_ATTRIBUTE,
    Counters,
    FeedStats,
    NotACall,
    cache_ttl_unknown,
    call_from_span,
    record_call,
)

log = logging.getLogger(__name__)


class CostpanelSpanProcessor(SpanProcessor):
    """Records each ended GenAI model-call span into ``tracker`` (tier from ``tier_attribute``)."""

    def __init__(self, tracker: CostTracker, tier_attribute: str = TIER_ATTRIBUTE) -> None:
        if not isinstance(tier_attribute, str) or not tier_attribute:
            raise ValueError(f"tier_attribute must be an attribute name, got {tier_attribute!r}")
        self.tracker = tracker
        self.tier_attribute = tier_attribute
        self._counts = Counters()

    @property
    def stats(self) -> FeedStats:
        """Calls recorded (by status) and spans skipped (by reason) so far."""
        return self._counts.snapshot()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass  # usage is known only when the span ends

    def on_end(self, span: ReadableSpan) -> None:
        try:
            context = span.context
            if context is None:  # the SDK always sets one; a hand-made ReadableSpan may not
                raise ValueError("span has no context (trace and span ids)")
            call = call_from_span(span.attributes or {}, trace_id=context.trace_id, span_id=context.span_id,
                                  end_ns=span.end_time, name=span.name or "",
                                  resource=span.resource.attributes if span.resource else None,
                                  tier_attribute=self.tier_attribute)
            estimated = cache_ttl_unknown(call)
            self._counts.recorded(record_call(self.tracker, call, approximate=estimated), estimated)
        except NotACall as skip:
            self._counts.skipped(skip.reason)
        except (TypeError, ValueError) as error:
            if self._counts.skipped(BAD_FIELD) == 1:
                log.warning("costpanel: span %r not counted: %s (further ones: debug log)", span.name, error)
            else:
                log.debug("costpanel: span %r not counted: %s", span.name, error)
        except Exception:  # the application's tracing must never break on costpanel
            if self._counts.skipped(ERROR) == 1:
                log.exception("costpanel: span %r not counted", span.name)

    def shutdown(self) -> None:
        pass  # nothing buffered: each span is recorded in on_end

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
