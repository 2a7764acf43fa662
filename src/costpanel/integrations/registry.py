"""The log sources ``costpanel import`` (and ``watch``) can read, by name, imported on demand.

Each value names a module following the contract in :mod:`.logs`. A module is imported only when
its source is chosen (``--source all`` imports them all), so ``costpanel --help`` pays for none; a
source whose module is not installed in this build is simply unavailable, not an error.
"""

from __future__ import annotations

import importlib
from types import ModuleType

LOG_SOURCES: dict[str, str] = {
    "claude-code": "costpanel.integrations.claude_code",
    "codex": "costpanel.integrations.codex",
    "gemini-cli": "costpanel.integrations.gemini_cli",
    "costpanel": "costpanel.integrations.jsonl",
}
ALL = "all"
# Who is asked first whether a file is theirs (``--source all``): the strictest test first. The
# event line format wants ``ts``, ``model`` and ``usage`` at the top of the first line, which no
# agent writes; Claude Code's test also takes any ``.jsonl`` under a ``projects/`` folder, so it
# comes last (else it would claim an orchestrator's events.jsonl kept in ~/projects/app/).
DETECTION_ORDER: tuple[str, ...] = ("costpanel", "codex", "gemini-cli", "claude-code")


def detection_rank(name: str) -> int:
    """Sort key: the sources in :data:`DETECTION_ORDER`, any other after them."""
    return DETECTION_ORDER.index(name) if name in DETECTION_ORDER else len(DETECTION_ORDER)


class SourceUnavailable(LookupError):
    """A source named by the user that this build cannot read."""


def load(name: str) -> ModuleType | None:
    """The module of source ``name``; None when it is not part of this build (a missing dependency
    *inside* the module is an error, not an absent source)."""
    module = LOG_SOURCES[name]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise


def chosen(choice: str) -> dict[str, ModuleType]:
    """The sources to read: every available one for ``all``, else the one named (which must be
    available: :class:`SourceUnavailable` says which ones are)."""
    if choice == ALL:
        found = {name: load(name) for name in LOG_SOURCES}
        return {name: module for name, module in found.items() if module is not None}
    if choice not in LOG_SOURCES:
        raise SourceUnavailable(f"--source must be one of {', '.join([*LOG_SOURCES, ALL])}, got {choice!r}")
    module = load(choice)
    if module is None:
        have = [name for name in LOG_SOURCES if load(name) is not None]
        raise SourceUnavailable(f"the {choice} log source is not part of this build (available: {', '.join(have)})")
    return {choice: module}
