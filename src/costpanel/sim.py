"""A simulated four-tier conductor that feeds a tracker from worker threads.

Tier 1 plans on an expensive model, Tier 2 reasons on a mid-priced one (and sometimes fails over
to a fallback, whose superseded attempt is discarded), Tiers 3 and 4 are workers on cheap models,
and Tier 4 also calls one model that has no price, so the unpriced path is always exercised.
Used by the demo, the tests and the benchmarks.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

from .sources import DEMO
from .tracker import CostTracker
from .usage import Usage

UNPRICED_MODEL = "acme-local-llm-7b"


@dataclass(frozen=True, slots=True)
class TierPlan:
    """How one tier behaves: which models (with weights) and what its calls look like."""

    tier: str
    models: tuple[tuple[str, int], ...]
    weight: int  # share of all calls
    prompt: tuple[int, int]  # total prompt tokens, min..max
    cached_share: float  # of the prompt read from cache on a hit
    cache_hit: float  # probability of a cache hit
    output: tuple[int, int]
    fallback: tuple[str, str] | None = None  # (primary, fallback) model names
    fail_rate: float = 0.0  # probability the primary fails over


# Today's models (December 2026), some under the names agents send (a routing prefix, a dated
# snapshot, Google's `models/` and `-latest` names), and one the catalog does not know.
DEFAULT_PLAN: tuple[TierPlan, ...] = (
    TierPlan("Tier 1", (("claude-opus-4-8", 3), ("anthropic/claude-sonnet-5-5", 1)), 1,
             (6_000, 24_000), 0.8, 0.7, (800, 3_000)),
    TierPlan("Tier 2", (("gpt-5.5", 2), ("gemini-pro-latest", 1)), 3, (3_000, 12_000), 0.6, 0.5, (300, 1_500),
             fallback=("gpt-5.5", "claude-sonnet-5-5"), fail_rate=0.03),
    TierPlan("Tier 3", (("gpt-5.4-mini-2026-03-17", 2), ("models/gemini-3.5-flash", 2), ("gpt-6.1-terra", 1)), 6,
             (1_000, 6_000), 0.5, 0.4, (100, 800)),
    TierPlan("Tier 4", (("gpt-5.4-nano", 3), ("gemini-3.5-flash-lite", 2), ("claude-haiku-5-5", 2), (UNPRICED_MODEL, 1)),
             10, (300, 3_000), 0.3, 0.3, (20, 400)),
)


@dataclass
class SimStats:
    """What the simulator sent; tests compare it with the tracker."""

    calls: int = 0
    discarded: int = 0
    tokens: int = 0
    by_tier: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, tier: str, usage: Usage, *, discarded: bool = False) -> None:
        with self.lock:
            if discarded:
                self.discarded += 1
                return
            self.calls += 1
            self.tokens += usage.total_tokens
            self.by_tier[tier] = self.by_tier.get(tier, 0) + 1


def make_usage(rng: random.Random, plan: TierPlan) -> Usage:
    """Realistic disjoint buckets: a cache hit reads most of the prompt, a miss may write it."""
    prompt = rng.randint(*plan.prompt)
    output = rng.randint(*plan.output)
    if rng.random() < plan.cache_hit:
        cached = int(prompt * plan.cached_share)
        return Usage(input=prompt - cached, cache_read=cached, output=output)
    if rng.random() < 0.3:
        written = int(prompt * plan.cached_share)
        return Usage(input=prompt - written, cache_write=written, output=output)
    return Usage(input=prompt, output=output)


class Conductor:
    """Four tiers of workers calling ``tracker`` the way an orchestrator's usage callback would."""

    def __init__(self, tracker: CostTracker, *, plan: tuple[TierPlan, ...] = DEFAULT_PLAN, seed: int = 0,
                 source: str = DEMO) -> None:
        """``source``: what the calls say they came from (``demo``: never taken for real spend)."""
        self.tracker = tracker
        self.source = source
        self.plan = plan
        self.seed = seed
        self.stats = SimStats()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def one_call(self, rng: random.Random) -> None:
        """Pick a tier by weight and make one (possibly failed-over) model call."""
        plan = rng.choices(self.plan, weights=[p.weight for p in self.plan])[0]
        usage = make_usage(rng, plan)
        if plan.fallback is not None and rng.random() < plan.fail_rate:
            primary, fallback = plan.fallback
            try:
                with self.tracker.attempt(tier=plan.tier, source=self.source) as first:
                    first.record(primary, Usage(input=usage.input, output=rng.randint(1, 50)))
                    raise TimeoutError("primary model timed out")  # the orchestrator fails over
            except TimeoutError:
                self.stats.add(plan.tier, usage, discarded=True)
            with self.tracker.attempt(tier=plan.tier, source=self.source) as second:
                second.record(fallback, usage)
        else:
            models, weights = zip(*plan.models)
            self.tracker.record(rng.choices(models, weights=weights)[0], usage, tier=plan.tier, source=self.source)
        self.stats.add(plan.tier, usage)

    def run(self, events: int, *, workers: int = 4, rate: float | None = None) -> SimStats:
        """Make ``events`` calls on ``workers`` threads (``rate``: total calls per second) and wait."""
        self.start(workers=workers, rate=rate, events=events)
        self.join()
        return self.stats

    def start(self, *, workers: int = 4, rate: float | None = None, events: int | None = None) -> None:
        """Start workers in the background: until ``stop()``, or until ``events`` calls are made."""
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be > 0 calls per second, got {rate}")
        self._stop.clear()
        for n in range(workers):
            quota = None if events is None else events // workers + (1 if n < events % workers else 0)
            per_worker = None if rate is None else rate / workers
            t = threading.Thread(target=self._work, args=(n, quota, per_worker), name=f"sim-worker-{n}", daemon=True)
            self._threads.append(t)
            t.start()

    def _work(self, n: int, quota: int | None, rate: float | None) -> None:
        rng = random.Random(self.seed * 1000 + n)
        interval = None if rate is None else 1.0 / rate
        next_at = time.perf_counter()
        done = 0
        while not self._stop.is_set() and (quota is None or done < quota):
            self.one_call(rng)
            done += 1
            if interval is not None:
                next_at += interval
                delay = next_at - time.perf_counter()
                if delay > 0:
                    # Sleep granularity is ~0.1 ms; sleeping per call caps a worker at a few
                    # thousand calls/s, so high rates sleep once per batch instead.
                    if delay > 0.002:
                        self._stop.wait(delay)
                elif delay < -1.0:
                    next_at = time.perf_counter()  # fell behind: do not burst to catch up

    def stop(self) -> None:
        self._stop.set()
        self.join()

    def join(self) -> None:
        for t in self._threads:
            t.join()
        self._threads.clear()
