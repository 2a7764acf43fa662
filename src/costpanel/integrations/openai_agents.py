"""OpenAI Agents SDK: ``Runner.run(agent, input, hooks=CostpanelHooks(tracker))`` records every
model response of the run.

:class:`CostpanelHooks` is a real ``agents.RunHooks``: the SDK awaits its ``on_llm_end(context,
agent, response)`` after each model call, with the ``ModelResponse`` whose ``usage`` is the SDK's
``agents.usage.Usage`` (Responses API shape, whatever the provider). Each response becomes one
``CostTracker.record`` call:

- buckets: ``input_tokens`` *includes* ``input_tokens_details.cached_tokens`` and
  ``cache_write_tokens``, so input = input_tokens - cached - cache writes, cache_read = cached,
  cache_write = cache writes (OpenAI bills them from GPT-5.6 on; a model without a write price
  bills them at its input rate), output = ``output_tokens`` (reasoning tokens are inside it),
  requests = 1 per response, web_search = the response's ``web_search_call`` output items;
- model: the constructor's ``model=`` if given (pass your ``RunConfig(model=...)`` there: it
  overrides every agent's model and hooks cannot see the run config), else ``agent.model`` (a name,
  or a ``Model`` object's ``model`` attribute as OpenAI's and LiteLLM's models have), else the SDK's
  default model (``agents.models.get_default_model()``, ``$OPENAI_DEFAULT_MODEL``); the
  ``litellm/`` and ``any-llm/`` routing prefixes are dropped (the rest is the provider's name);
- tier: the constructor's ``tier=`` if given, else the agent's name (``default`` for a name that
  is no tier label, said once: the call still counts);
- event id ``openai-agents:<response_id>``, so a response reported twice counts once; a response
  without an id (Chat Completions and LiteLLM models have none) is recorded without one;
- variant: a ``service_tier`` / ``speed`` the response or its ``raw_usage`` states, else the
  constructor's ``variant=`` (the SDK's ``ModelResponse`` drops the Responses API's
  ``service_tier``: pass ``variant="flex"`` when you request Flex processing).

A response whose usage cannot be read, or that the tracker refuses, is logged and counted in
:attr:`CostpanelHooks.skipped` by reason; nothing is ever raised into the agent run.
"""

from __future__ import annotations

import logging
from typing import Any

from agents import Agent, ModelResponse, RunContextWrapper, RunHooks
from agents.models import get_default_model

from ..adapters import from_openai, variant_or_unreadable
from ..labels import check_label
from ..sources import NO_PROJECT, check_project
from ..tracker import DEFAULT_TIER, CostTracker
from ..usage import Usage
from ..variants import canonical_variant
from .logs import BAD_FIELD, NO_MODEL, NO_USAGE, Skips

__all__ = ["SOURCE", "CostpanelHooks"]

SOURCE = "openai-agents"
REJECTED = "rejected"  # the tracker refused the call (a session or model it cannot store …)
FAILED = "failed"  # an unexpected error while recording: logged with its traceback
# Agents SDK streaming of Chat Completions models stamps every response with this placeholder id.
_FAKE_ID = "__fake_id__"
# MultiProvider routes "litellm/<provider>/<model>" to LiteLLM with "<provider>/<model>".
_ROUTES = ("litellm/", "any-llm/")

log = logging.getLogger(__name__)


class CostpanelHooks(RunHooks[Any]):
    """Run hooks that record each model response of an Agents SDK run into ``tracker``.

    Pass them to ``Runner.run`` / ``run_sync`` / ``run_streamed`` (``hooks=``), and to
    ``agent.as_tool(..., hooks=...)`` for agents run as tools, whose nested runs do not inherit the
    outer run's hooks. To add hooks of your own, subclass and call ``super().on_llm_end(...)``.
    """

    def __init__(self, tracker: CostTracker, tier: str | None = None, *, model: str | None = None,
                 session: str | None = None, project: str = NO_PROJECT, variant: str | None = None) -> None:
        if not isinstance(tracker, CostTracker):
            raise TypeError(f"tracker must be a CostTracker, got {type(tracker).__name__}")
        check_label("tier", tier, optional=True)
        check_label("model", model, optional=True)
        check_label("session", session, optional=True)
        check_project(project)
        self.tracker = tracker
        self.tier = tier
        self.model = model
        self.session = session
        self.project = project
        self.variant = None if variant is None else canonical_variant(variant)
        self.skipped = Skips()  # responses not recorded, by reason
        self._unusable_names: set[str] = set()  # agent names said to be no tier label

    async def on_llm_end(self, context: RunContextWrapper[Any], agent: Agent[Any], response: ModelResponse) -> None:
        try:
            self.record(agent, response)
        except Exception:  # never into the agent run: a bug here must not cost the user their run
            self.skipped[FAILED] += 1
            log.exception("costpanel: could not record an Agents SDK response of agent %r", getattr(agent, "name", None))

    def record(self, agent: Agent[Any], response: ModelResponse) -> int:
        """Record ``response`` of ``agent``; returns the calls recorded (0 when skipped, logged)."""
        name = getattr(agent, "name", None)
        model = self.model_of(agent)
        if model is None:
            return self._skip(NO_MODEL, "agent %r has a model without a name (%r): pass model= to CostpanelHooks",
                              name, getattr(agent, "model", None))
        try:
            calls = usages_of(response)
        except (TypeError, ValueError) as error:
            return self._skip(BAD_FIELD, "unreadable usage of agent %r's response %r: %s",
                              name, response.response_id, error)
        variant, why = variant_or_unreadable(response)
        if variant is None:
            variant, why = variant_or_unreadable(response.raw_usage)
        if why is not None:  # its tokens are real: counted, unpriced, never dropped
            log.warning("costpanel: agent %r's response %r: %s; counted unpriced (variant 'unreadable')",
                        name, response.response_id, why)
        variant = variant or self.variant
        if not calls:
            return self._skip(NO_USAGE, "agent %r's response %r reports no usage: not counted",
                              name, response.response_id)
        tier = self.tier if self.tier is not None else self._tier_of(name)
        ids = event_ids(response.response_id, len(calls))
        for usage, event_id in zip(calls, ids):
            try:
                self.tracker.record(model, usage, tier=tier, session=self.session, event_id=event_id,
                                    variant=variant, source=SOURCE, project=self.project)
            except (TypeError, ValueError) as error:
                return self._skip(REJECTED, "costpanel refused agent %r's response %r: %s",
                                  name, response.response_id, error)
        return len(calls)

    def model_of(self, agent: Agent[Any]) -> str | None:
        """The model name to price ``agent``'s responses by (see the module docstring)."""
        if self.model is not None:
            return self.model
        chosen = getattr(agent, "model", None)
        if chosen is None:
            return get_default_model()
        named = chosen if isinstance(chosen, str) else getattr(chosen, "model", None)
        if not isinstance(named, str) or not named.strip():
            return None
        for route in _ROUTES:
            if named.startswith(route) and len(named) > len(route):
                return named[len(route):]
        return named

    def _tier_of(self, name: object) -> str:
        """The agent's name as its tier; ``default`` for an agent without a name, or one that is no
        tier label (control characters, over 256 characters: said once per name), whose call still
        counts: a name must not take its spend out of the total."""
        if not isinstance(name, str) or not name.strip():
            return DEFAULT_TIER
        try:
            check_label("tier", name)
        except (TypeError, ValueError) as error:
            if name not in self._unusable_names and len(self._unusable_names) < 100:
                self._unusable_names.add(name)
                log.warning("costpanel: agent name %r is no tier label (%s): its calls count under tier %r",
                            name[:80], error, DEFAULT_TIER)
            return DEFAULT_TIER
        return name

    def _skip(self, reason: str, message: str, *args: object) -> int:
        self.skipped[reason] += 1
        log.warning("costpanel: " + message, *args)
        return 0


def event_ids(response_id: object, calls: int) -> list[str | None]:
    """``openai-agents:<response_id>`` (``:<n>`` appended per request when one response holds
    several); no id when the response has none."""
    if not isinstance(response_id, str) or not response_id.strip() or response_id == _FAKE_ID:
        return [None] * calls
    base = f"{SOURCE}:{response_id}"
    return [base] if calls == 1 else [f"{base}:{n}" for n in range(1, calls + 1)]


def usages_of(response: ModelResponse) -> list[Usage]:
    """One :class:`Usage` per billed request of ``response`` (usually one); [] when it reports none.

    The SDK folds failed retries into a response as requests without tokens (not billed, not
    counted), and an adapter that ran several requests for one response lists each in
    ``usage.request_usage_entries``: each is priced on its own, since long-context prices apply per
    request. Web searches (output items of the whole response) go with the last request.
    """
    whole = _usage_of(response)  # the response, not its usage: its output items are the web searches
    if not whole.total_tokens and not whole.web_search:
        return []
    entries = [e for e in getattr(response.usage, "request_usage_entries", None) or ()
               if e.input_tokens or e.output_tokens]
    if len(entries) < 2:
        return [whole]
    parts = [_usage_of(e) for e in entries]
    parts[-1] += Usage(requests=0, web_search=whole.web_search)
    # Entries that do not add up to the totals: the totals are what was billed.
    return parts if sum(parts[1:], parts[0]) == whole + Usage(requests=len(parts) - 1) else [whole]


def _usage_of(usage: Any) -> Usage:
    """Buckets of one request from a Responses-API-shaped usage (``agents.usage.Usage``,
    ``RequestUsage``, or a ``ModelResponse`` holding one): input less cached tokens and cache
    writes, validated by the adapter (``ValueError`` naming the field when counts do not fit)."""
    return from_openai(usage)  # one request: Usage counts requests=1 by default
