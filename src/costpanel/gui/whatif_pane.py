"""The What-if tab as plain Python: what is chosen, and the rows to draw. No Dear PyGui here.

The user picks a target (a model, or the cheapest of their candidate list, overall or per tier)
and a scope: this session (its snapshot's sums, repriced at most every :data:`REFRESH_S` while
calls come in) or a History range (the ledger's calls repriced one by one, exactly, in a
background thread: 100,000 calls take ~0.25 s, which a frame cannot wait for).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..whatif.view import WhatIfLine, model_choices, model_lines, tier_lines

if TYPE_CHECKING:
    from ..pricing.catalog import Catalog
    from ..snapshot import Snapshot
    from ..whatif.candidates import Candidates, Choice
    from ..whatif.rows import WhatIf

CHEAPEST = "Cheapest of my list"
CHEAPEST_PER_TIER = "Cheapest per tier"
SESSION = "This session"
REFRESH_S = 0.5  # a busy session changes every frame; a what-if of it needs no more than this


@dataclass(frozen=True, slots=True)
class WhatIfView:
    heading: str  # what was asked and over what: "This session: every tier -> claude-haiku-5-5"
    tiers: tuple[WhatIfLine, ...]  # per tier, then Total
    models: tuple[WhatIfLine, ...]  # per (tier, actual model)
    notes: tuple[str, ...]  # cache billed as input, approximate rows, skipped candidates …
    error: str | None = None  # why there is nothing to show (unknown model, no ledger …)
    busy: bool = False  # a History what-if is being computed


EMPTY = WhatIfView("Pick a model to see what this usage would have cost on it", (), (), ())


class WhatIfPane:
    """The tab's state. ``choose()`` / ``set_scope()`` on the panel's thread; ``view(snapshot)``
    each frame (cheap unless something changed)."""

    def __init__(self, catalog: Catalog, ledger_path: Path | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.catalog = catalog
        self.ledger_path = ledger_path
        self.target = ""
        self.scope = SESSION
        self._clock = clock
        self._candidates: Candidates | None = None
        self._candidates_error: str | None = None
        self._key: tuple[Any, ...] | None = None  # what the session's view was computed for
        self._version = -1  # ... and at which snapshot version
        self._computed_at = -1e18
        self._view = EMPTY
        self._job: tuple[Any, ...] | None = None  # the History computation running (its key)
        self._result: tuple[tuple[Any, ...], WhatIfView] | None = None
        self._lock = threading.Lock()

    # -- choices ---------------------------------------------------------------------------------
    def candidates(self) -> Candidates | None:
        """The user's candidate list (``whatif.toml``), or None when it does not load (said in notes)."""
        if self._candidates is None and self._candidates_error is None:
            from ..whatif.candidates import load_candidates

            try:
                self._candidates = load_candidates()
            except ValueError as exc:
                self._candidates_error = str(exc)
        return self._candidates

    def choices(self) -> tuple[str, ...]:
        listed = self.candidates()
        return (CHEAPEST, CHEAPEST_PER_TIER, *model_choices(self.catalog, listed.models if listed else ()))

    def choose(self, target: str) -> None:
        self.target = target

    def set_scope(self, scope: str) -> None:
        """:data:`SESSION` or a History range (``today``, ``7d``, ``30d``, ``month``, ``all``)."""
        self.scope = scope

    # -- the view --------------------------------------------------------------------------------
    def view(self, snapshot: Snapshot) -> WhatIfView:
        if not self.target:
            return EMPTY
        if self.scope == SESSION:
            return self._session_view(snapshot)
        return self._history_view()

    def _session_view(self, snapshot: Snapshot) -> WhatIfView:
        key = (SESSION, self.target, snapshot.session)
        now = self._clock()
        fresh = key != self._key or (snapshot.version != self._version and now - self._computed_at >= REFRESH_S)
        if fresh:
            self._view = self._compute(lambda: self._on_snapshot(snapshot), SESSION)
            self._key, self._version, self._computed_at = key, snapshot.version, now
        return self._view

    def _on_snapshot(self, snapshot: Snapshot) -> tuple[WhatIf | None, Choice | None]:
        if self.target in (CHEAPEST, CHEAPEST_PER_TIER):
            from ..whatif.candidates import cheapest

            choice = cheapest(snapshot, self.candidates(), per_tier=self.target == CHEAPEST_PER_TIER)
            return choice.whatif, choice
        return snapshot.reprice(self.target), None

    def _history_view(self) -> WhatIfView:
        key = (self.scope, self.target, self.ledger_path)
        with self._lock:
            result = self._result
            running = self._job
        if result is not None and result[0] == key:
            return result[1]
        if running != key:
            self._start(key)
        return WhatIfView(f"History {self.scope}: repricing the ledger's calls …", (), (), (), busy=True)

    def _start(self, key: tuple[Any, ...]) -> None:
        scope, target, path = key
        with self._lock:
            self._job = key

        def work() -> None:
            view = self._compute(lambda: self._on_ledger(path, scope, target), f"History {scope}", exact=True)
            with self._lock:
                if self._job == key:
                    self._result, self._job = (key, view), None

        threading.Thread(target=work, name="costpanel-whatif", daemon=True).start()

    def _on_ledger(self, path: Path | None, scope: str, target: str) -> tuple[WhatIf | None, Choice | None]:
        if path is None or not path.exists():
            raise LookupError("no ledger: History what-ifs reprice the calls it keeps")
        from ..ledger.queries import open_read_only, parse_range
        from ..whatif import reprice_ledger
        from ..whatif.candidates import cheapest_in_ledger

        conn = open_read_only(path)
        try:
            span = parse_range(scope)
            if target in (CHEAPEST, CHEAPEST_PER_TIER):
                choice = cheapest_in_ledger(conn, span, self.catalog, self.candidates(),
                                            per_tier=target == CHEAPEST_PER_TIER)
                return choice.whatif, choice
            return reprice_ledger(conn, span, self.catalog, target), None
        finally:
            conn.close()

    def _compute(self, run: Callable[[], tuple[WhatIf | None, Choice | None]], where: str, *,
                 exact: bool = False) -> WhatIfView:
        try:
            whatif, choice = run()
        except (ValueError, TypeError, LookupError, sqlite3.Error) as exc:  # an unknown model, a damaged ledger …
            return WhatIfView(f"{where}: no what-if", (), (), (), error=str(exc))
        notes: list[str] = []
        if self._candidates_error is not None and choice is not None:
            notes.append(f"candidates: {self._candidates_error}")
        if choice is not None:
            notes += [f"{name}: {why}" for name, why in choice.skipped]
        if whatif is None:
            why = "no calls to reprice yet" if choice is None or not choice.skipped else "no candidate prices every call"
            return WhatIfView(f"{where}: {why}", (), (), tuple(notes))
        notes += list(whatif.notes)
        return WhatIfView(f"{where}: {self._describe(whatif, choice)}{' (call by call, exact)' if exact else ''}",
                          tier_lines(whatif), model_lines(whatif), tuple(dict.fromkeys(notes)))

    def _describe(self, whatif: WhatIf, choice: Choice | None) -> str:
        target = choice.target if choice is not None else self.target
        if isinstance(target, str):
            what = f"every tier on {target}"
        else:
            what = ", ".join(f"{tier} on {model}" for tier, model in (target or {}).items()) or "every tier unchanged"
        if choice is not None:
            what = f"cheapest of your list: {what}"
        return what + (" (≈: some rows priced from sums below a long-context cliff)" if whatif.approximate else "")
