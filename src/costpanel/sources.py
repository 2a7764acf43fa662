"""Where a call came from (``source``) and the project it was made for (``project``).

Every recorded call carries both (:class:`~costpanel.events.Event`, the ledger's ``dims``, the
roll-ups; ``costpanel report --by source|project``). ``source`` is a short lower-case name:
``api`` for a direct :meth:`CostTracker.record() <costpanel.CostTracker.record>`, else the
integration that fed the call (issue 11). Names outside :data:`KNOWN_SOURCES` are allowed when
well formed — an application's own integration of another tool names itself — so the list is
documentation and a default for menus, not a gate.

``project`` may be empty (no project: shown as ``-`` in reports); otherwise it is a label like a
tier or session (:func:`costpanel.labels.check_label`): ≤ 256 characters, no control characters.
Plain Python without imports beyond :mod:`.labels`: it is on ``import costpanel``'s path.
"""

from __future__ import annotations

from .labels import check_label

API = "api"  # a direct record() call: the default source
DEMO = "demo"  # `costpanel demo`'s simulated calls (kept in a ledger of their own by default)
NO_PROJECT = ""  # the default project: none
# The sources costpanel's own integrations use (issue 11): agent CLI logs, libraries, the JSONL format.
KNOWN_SOURCES: tuple[str, ...] = (
    API,
    "claude-code",
    "codex",
    "gemini-cli",
    "litellm",
    "otel",
    "openai-agents",
    "costpanel",  # the plain JSONL event line format any language can append to
    DEMO,
)
MAX_SOURCE = 40  # characters
_SOURCE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def check_source(value: object) -> None:
    """A source name: 1–40 characters, lower-case ASCII letters, digits and ``-``, starting with a
    letter or digit. Raises TypeError/ValueError naming the field and the value."""
    if type(value) is not str:
        raise TypeError(f"source must be a str, got {type(value).__name__} {value!r}")
    if not value or len(value) > MAX_SOURCE or not _SOURCE_CHARS.issuperset(value) or value[0] == "-":
        raise ValueError(f"source must be a lower-case name of letters, digits and '-' (at most {MAX_SOURCE} "
                         f"characters, not starting with '-'), such as {', '.join(KNOWN_SOURCES[:3])}; got {value!r}")


def check_project(value: object) -> None:
    """A project: ``""`` (none), or a label as :func:`~costpanel.labels.check_label` says."""
    if value != NO_PROJECT or type(value) is not str:
        if type(value) is str and not value.strip():
            raise ValueError(f"project must be '' (none) or a name that is not blank, got {value!r}")
        check_label("project", value)
