"""LiteLLM: every completion LiteLLM makes, recorded in a :class:`~costpanel.CostTracker` (issue 11 §2).

One line of setup: ``litellm.callbacks = [CostpanelLogger(tracker)]`` (the ``costpanel[litellm]``
extra). Works for ``completion`` and ``acompletion``, streamed or not, direct or through a
``Router`` (each deployment LiteLLM tries is its own call).

- A success is recorded with the usage LiteLLM reports (:func:`costpanel.adapters.from_litellm`:
  cached tokens moved out of the prompt, Anthropic cache writes by TTL, web searches), priced by
  costpanel, never by LiteLLM's ``response_cost``. A stream is recorded once, from the assembled
  response LiteLLM hands the success hook after the last chunk.
- A failure (also each attempt a Router retried or fell back from) is a *discarded attempt*: shown
  apart in the snapshot, not in the totals, with the usage LiteLLM reports for it (usually none:
  then it counts as one call with no tokens and no billed request).
- Event id ``litellm:<litellm_call_id>``: a call both hooks report (sync and async) counts once.
- Tier, session and project: request metadata ``costpanel_tier`` / ``costpanel_session`` /
  ``costpanel_project`` (``litellm.completion(..., metadata={"costpanel_tier": "Tier 2"})``), else
  the logger's own (``tier="default"``, no session: the tracker's, no project).
- A response LiteLLM served from its own cache (``cache_hit``) cost nothing and is skipped; so is
  a success without usage (image generation, a provider that reports none): never a silent $0.

What was skipped is counted in :attr:`CostpanelLogger.skipped` by reason and logged once per
reason: bad input from LiteLLM never raises out of a hook.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from litellm.integrations.custom_logger import CustomLogger

from ..adapters import from_litellm, variant_or_unreadable
from ..labels import check_label
from ..sources import NO_PROJECT, check_project
from ..usage import Usage
from .logs import BAD_FIELD, NO_MODEL, NO_USAGE, Skips

if TYPE_CHECKING:
    from ..tracker import CostTracker

__all__ = ["CostpanelLogger"]

SOURCE = "litellm"
TIER_KEY = "costpanel_tier"
SESSION_KEY = "costpanel_session"
PROJECT_KEY = "costpanel_project"
CACHE_HIT = "cache hit"  # served by LiteLLM's own cache: no provider bill
DUPLICATE_FAILURE = "duplicate failure"  # a failure both hooks reported: discarded once
# A failure LiteLLM reports no usage for: one call, no tokens, and no request billed (a model with a
# per-request fee, such as the search previews, charges none for a request that failed).
_NOTHING_BILLED = Usage(input=0, output=0, requests=0)
_RECENT_FAILURES = 4096  # failure ids remembered to drop the second report (they arrive seconds apart)

_log = logging.getLogger(__name__)


_exit_flush = False


def _flush_litellm_before_the_ledger_closes() -> None:
    """At interpreter exit LiteLLM runs the async hooks still queued (the last calls of an
    ``asyncio.run``) from an exit handler registered when litellm was imported: usually before the
    ledger's own, so, exit handlers running last-registered first, after the ledger had closed and
    those calls were set aside unstored. This one, registered after the ledger's, runs LiteLLM's
    flush first; LiteLLM's own handler then finds its queue empty."""
    global _exit_flush
    if _exit_flush:
        return
    import atexit

    from ..ledger import store  # noqa: F401 - its exit handler registered before ours

    atexit.register(_flush_litellm)
    _exit_flush = True


def _flush_litellm() -> None:
    try:
        from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER
    except ImportError:  # a LiteLLM without the worker runs its async hooks on the caller's loop
        return
    flush = getattr(GLOBAL_LOGGING_WORKER, "_flush_on_exit", None)  # what LiteLLM's exit handler calls
    if flush is not None:
        flush()


WAIT_S = 5.0  # CostpanelLogger.wait()'s default: LiteLLM's hooks take milliseconds each
_LOGGING_THREAD = "litellm-logging"  # LiteLLM's logging threads' name prefix


def _wait_for_logging_threads(deadline: float) -> bool:
    """Until LiteLLM's logging pool has no task queued or running (its bounded pool counts both in
    a semaphore's free slots), or ``deadline`` (monotonic) passes. True when it is idle."""
    try:
        from litellm.litellm_core_utils.thread_pool_executor import executor
    except ImportError:  # a LiteLLM without the pool
        return True
    slots, cap = getattr(executor, "_pending_slots", None), getattr(executor, "_max_pending_tasks", None)
    if slots is None or cap is None:  # another pool: a task submitted now runs after those queued before it
        try:
            executor.submit(lambda: None).result(timeout=max(0.0, deadline - time.monotonic()))
        except Exception:  # noqa: BLE001 - timed out, or the pool is shut down
            return False
        return True
    while getattr(slots, "_value", cap) < cap:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)
    return True


def _get(obj: Any, key: str) -> Any:
    """``obj[key]`` or ``obj.key``; None when absent (LiteLLM hands over dicts and pydantic objects)."""
    if obj is None:
        return None
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


class CostpanelLogger(CustomLogger):
    """A LiteLLM callback that records each call's usage into ``tracker`` (see the module doc).

    ``tier``, ``session`` and ``project`` apply to calls whose request metadata does not name its
    own. ``skipped`` counts calls not recorded, by reason; ``counts`` what was (``committed``,
    ``duplicate``, ``discarded`` …: the recorded events' statuses).
    """

    def __init__(self, tracker: CostTracker, tier: str = "default", *, session: str | None = None,
                 project: str = NO_PROJECT) -> None:
        super().__init__()
        check_label("tier", tier)
        check_label("session", session, optional=True)
        check_project(project)
        self.tracker = tracker
        self.tier = tier
        self.session = session
        self.project = project
        _flush_litellm_before_the_ledger_closes()
        # LiteLLM keeps one logger per "key" (class name + public str/int/bool attributes) in its
        # callback lists: without this, a second logger feeding another tracker would be dropped.
        self.instance = f"{id(self):x}"
        self.skipped = Skips()
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self._failed: OrderedDict[str, None] = OrderedDict()
        tracker.before_close(self.wait)  # `with CostTracker(...)`: the calls made in the block are in it when it ends

    def wait(self, timeout: float = WAIT_S) -> bool:
        """Wait (up to ``timeout`` seconds) until LiteLLM has run the hooks of the calls made so
        far, from synchronous code: those of sync calls, which LiteLLM runs on its logging threads
        just after ``completion()`` returns (a snapshot taken at once may not show the call yet),
        and those an ended event loop left queued (``asyncio.run(...)`` then sync code). True when
        none is left. ``tracker.close()`` calls it; inside a running event loop use ``await
        flush()``, which this cannot do (it waits for the threads only there)."""
        deadline = time.monotonic() + timeout
        if threading.current_thread().name.startswith(_LOGGING_THREAD):  # called from a hook: it waits for itself
            return False
        drained = _wait_for_logging_threads(deadline)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop running here: hooks queued by a loop that has ended can run now
            _flush_litellm()
            asyncio.set_event_loop(None)  # LiteLLM's flush leaves its own (closed) loop set: as asyncio.run would
            drained = _wait_for_logging_threads(deadline) and drained  # (a hook it ran may queue sync work)
        return drained

    async def flush(self) -> None:
        """Wait until LiteLLM has run the hooks of the async calls made so far: ``await
        logger.flush()`` before closing the tracker inside async code. (A program that just ends
        needs nothing: at exit LiteLLM's queued hooks run before the ledger closes.)"""
        try:  # the tasks that hand each finished call's hooks to LiteLLM's worker, then the worker
            from litellm.responses.streaming_iterator import drain_logging_tasks
        except ImportError:
            await asyncio.sleep(0)
        else:
            await drain_logging_tasks()
        try:
            from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER
        except ImportError:  # an older LiteLLM runs the hooks as tasks on this loop: let them run
            await asyncio.sleep(0)
            return
        await GLOBAL_LOGGING_WORKER.flush()

    # -- LiteLLM's hooks: sync ones run on its logging threads, async ones on the caller's loop ----
    def log_success_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._success(kwargs, response_obj)

    async def async_log_success_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any,
                                      end_time: Any) -> None:
        self._success(kwargs, response_obj)

    def log_failure_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._failure(kwargs, response_obj)

    async def async_log_failure_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any,
                                      end_time: Any) -> None:
        # Off the loop: an attempt prices its call at once, and a name only genai-prices knows makes
        # it wait for that lookup (up to CostTracker's SETTLE_TIMEOUT_S the first time).
        await asyncio.to_thread(self._failure, kwargs, response_obj)

    # -- recording ------------------------------------------------------------------------------------
    def _success(self, kwargs: Mapping[str, Any], response: Any) -> None:
        call = _payload(kwargs)
        if kwargs.get("cache_hit") or call.get("cache_hit"):
            self._skip(CACHE_HIT, kwargs)
            return
        try:
            model, usage, variant, event_id, at = self._read(kwargs, call, response)
        except _Skip as skip:
            self._skip(skip.reason, kwargs, skip.detail)
            return
        if usage is None:
            self._skip(NO_USAGE, kwargs)
            return
        tier, session, project = self._labels(kwargs, call)
        try:
            event = self.tracker.record(model, usage, tier=tier, session=session, event_id=event_id, at=at,
                                        variant=variant, source=SOURCE, project=project)
        except (TypeError, ValueError) as error:  # a label LiteLLM passed through that costpanel refuses
            self._skip(BAD_FIELD, kwargs, str(error))
            return
        self._count(event.status)

    def _failure(self, kwargs: Mapping[str, Any], response: Any) -> None:
        call = _payload(kwargs)
        try:
            model, usage, variant, event_id, at = self._read(kwargs, call, response)
        except _Skip as skip:
            self._skip(skip.reason, kwargs, skip.detail)
            return
        if event_id is not None and not self._first_failure(event_id):
            self._count(DUPLICATE_FAILURE)
            return
        tier, session, project = self._labels(kwargs, call)
        try:
            with self.tracker.attempt(tier, session, source=SOURCE, project=project) as attempt:
                attempt.record(model, _NOTHING_BILLED if usage is None else usage, event_id=event_id,
                               at=at, variant=variant)
                events = attempt.discard()
        except (TypeError, ValueError) as error:  # a refused label, or an id already counted as a success
            self._skip(BAD_FIELD, kwargs, str(error))
            return
        for event in events:
            self._count(event.status)

    def _read(self, kwargs: Mapping[str, Any], call: Mapping[str, Any],
              response: Any) -> tuple[str, Usage | None, str | None, str | None, dt.datetime | None]:
        """(model, usage or None when LiteLLM reports none, variant, event id, end time) of one call."""
        model = self._model(kwargs, call, response)
        if model is None:
            raise _Skip(NO_MODEL)
        try:
            usage = _usage(response, call)
        except (TypeError, ValueError) as error:
            raise _Skip(BAD_FIELD, str(error)) from None
        variant, why = variant_or_unreadable(response) if response is not None else (None, None)
        if why is not None:  # its tokens are real: counted, unpriced, never dropped
            self._warn("unreadable tier", f"costpanel: LiteLLM call {kwargs.get('litellm_call_id')}: {why}; "
                                          "counted unpriced (variant 'unreadable'), as later such calls are")
        call_id = kwargs.get("litellm_call_id") or call.get("litellm_call_id")
        event_id = f"litellm:{call_id}" if isinstance(call_id, str) and call_id else None
        return model, usage, variant, event_id, _ended(call)

    def _model(self, kwargs: Mapping[str, Any], call: Mapping[str, Any], response: Any) -> str | None:
        """The name to price the call by: the first of the deployment's ``base_model`` (LiteLLM's own
        pricing override, for Azure deployments with names of their own), the model LiteLLM called,
        and the model the provider says answered, that costpanel's catalog knows; else the model
        called (counted unpriced unless genai-prices knows it)."""
        params = kwargs.get("litellm_params") or {}
        info = _get(params, "model_info") or _get(_get(params, "metadata"), "model_info")
        called = call.get("model") or kwargs.get("model")
        names = [_get(params, "base_model"), _get(info, "base_model"), called, _get(response, "model")]
        names = [n for n in names if isinstance(n, str) and n.strip()]
        for name in names:
            try:
                if self.tracker.catalog.resolve(name)[0] is not None:
                    return name
            except (TypeError, ValueError):
                continue
        return called if isinstance(called, str) and called.strip() else (names[0] if names else None)

    def _labels(self, kwargs: Mapping[str, Any], call: Mapping[str, Any]) -> tuple[str, str | None, str]:
        """Tier, session and project: the request metadata's where valid, else the logger's."""
        meta = _metadata(kwargs, call)
        tier = self._label(meta, TIER_KEY, self.tier, lambda v: check_label("tier", v))
        session = self._label(meta, SESSION_KEY, self.session, lambda v: check_label("session", v))
        project = self._label(meta, PROJECT_KEY, self.project, check_project)
        return tier, session, project  # type: ignore[return-value]

    def _label(self, meta: Mapping[str, Any], key: str, default: str | None,
               check: Callable[[object], None]) -> str | None:
        value = meta.get(key)
        if value is None:
            return default
        try:
            check(value)
        except (TypeError, ValueError) as error:  # the call still counts, under the logger's label
            self._warn(f"metadata {key}", f"costpanel: LiteLLM metadata {key}={value!r:.80} ignored ({error}); "
                                          f"using {default!r}")
            return default
        return value

    # -- book-keeping -----------------------------------------------------------------------------------
    def _first_failure(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._failed:
                return False
            self._failed[event_id] = None
            if len(self._failed) > _RECENT_FAILURES:
                self._failed.popitem(last=False)
            return True

    def _count(self, status: str) -> None:
        with self._lock:
            self.counts[status] += 1

    def _skip(self, reason: str, kwargs: Mapping[str, Any], detail: str = "") -> None:
        call_id = kwargs.get("litellm_call_id")
        self._warn(reason, f"costpanel: LiteLLM call {call_id} not recorded ({reason}{': ' if detail else ''}"
                           f"{detail}); later ones are counted in CostpanelLogger.skipped")
        with self._lock:  # counted last: whoever waits on the counts then sees the warning too
            self.skipped[reason] += 1

    def _warn(self, key: str, message: str) -> None:
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        _log.warning(message)


class _Skip(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def _payload(kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    """LiteLLM's ``standard_logging_object`` (model, call id, usage, metadata), or {} without one."""
    found = kwargs.get("standard_logging_object")
    return found if isinstance(found, Mapping) else {}


def _metadata(kwargs: Mapping[str, Any], call: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """The request metadata holding costpanel's keys: ``litellm_params.metadata`` (LiteLLM puts both
    ``metadata=`` and ``litellm_metadata=`` there), else what the proxy passed on as the requester's
    metadata; {} when neither has them."""
    params = kwargs.get("litellm_params") or {}
    requester = _get(_get(call, "metadata"), "requester_metadata") if call else None
    for found in (_get(params, "metadata"), requester):
        if isinstance(found, Mapping) and any(k in found for k in (TIER_KEY, SESSION_KEY, PROJECT_KEY)):
            return found
    return {}


def _usage(response: Any, call: Mapping[str, Any]) -> Usage | None:
    """The call's usage in costpanel's buckets (:func:`from_litellm`); None when LiteLLM reports none.

    The response's own ``usage`` first (a stream's: the assembled response's); else the copy in
    the logging payload (a failure's, when the provider billed something before failing). LiteLLM
    hands the hooks chat-shaped usage (``prompt_tokens``) for Responses API calls too.
    """
    holder, usage = response, _get(response, "usage")
    if usage is None:
        holder = usage = _get(_get(call, "metadata"), "usage_object")
    if _get(usage, "prompt_tokens") is None and _get(usage, "completion_tokens") is None:
        return None
    return from_litellm(holder)


def _ended(call: Mapping[str, Any]) -> dt.datetime | None:
    """When the call ended (the payload's ``endTime``, epoch seconds); None (now) if it has none."""
    end = call.get("endTime")
    if isinstance(end, (int, float)) and not isinstance(end, bool) and math.isfinite(end) and end > 0:
        return dt.datetime.fromtimestamp(end, dt.timezone.utc)
    return None
