"""Names callers give the tracker (model, tier, session, event id): what a valid one is.

One rule for the API and the CLI, so a name that would break a log line, a terminal, a CSV cell or
a panel row (a newline, NUL, an escape sequence, 10,000 characters) is refused where it enters.
Plain Python without imports: it is on ``import costpanel``'s path.
"""

from __future__ import annotations

MAX_LABEL = 256  # characters in a model name, tier, session or event id
# C0 and C1 controls (newline, NUL, ESC …) and Unicode's line separators: they break logs,
# terminals, CSV cells and the panel's rows. str.isprintable() screens them out first, in C.
_CONTROL_CHARS = frozenset(map(chr, (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)))


def label_from(text: str) -> str:
    """A usable label made of any text (a file or folder name as a default session or project):
    control characters and what is not valid text become ``?``; a long one keeps its end."""
    if not text.isprintable() and text.strip():
        text = "".join(ch if ch.isprintable() or ch == " " else "?" for ch in text)
    text = text if len(text) <= MAX_LABEL else "…" + text[-(MAX_LABEL - 1):]
    return text if text.strip() else "?"


def check_label(field: str, value: object, *, optional: bool = False) -> None:
    """A model name, tier, session or event id: a non-blank str of at most MAX_LABEL characters
    without control characters. Cheap enough for a new event id on every call; tiers, sessions
    and model names are checked once per distinct value (callers remember what passed)."""
    if value is None and optional:
        return
    if type(value) is not str:
        raise TypeError(f"{field} must be a str, got {type(value).__name__} {value!r}")
    if not value.strip():
        raise ValueError(f"{field} must be a non-empty string, got {value!r}")
    if len(value) > MAX_LABEL:
        raise ValueError(f"{field} is {len(value):,} characters long (at most {MAX_LABEL}): {value[:40]!r}...")
    if not value.isprintable():
        bad = next((k for k, ch in enumerate(value) if ch in _CONTROL_CHARS), None)
        if bad is not None:
            raise ValueError(f"{field} contains a control character ({value[bad]!r} at position {bad}): {value!r}")
        try:  # a lone surrogate (a file name that is not UTF-8, as Python decodes it) cannot be stored
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{field} is not valid text (a lone surrogate at position {exc.start}, as in a file "
                             f"name that is not UTF-8): {value!r}") from None
