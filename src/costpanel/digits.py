"""Numbers typed by people (command-line flags, panel fields): one rule everywhere.

ASCII digits only. ``str.isdigit``, ``int()``, ``float()`` and ``Decimal()`` also accept other
scripts' digits (``٣``, ``７``) and words (``nan``, ``inf``, ``Infinity``), which nobody means on a
command line and which turned into silent wrong values. Separators: ``_`` between digits (as in
Python: ``1_200``) or ``,`` as a thousands separator (``1,200``; never ``1,2``, which a European
reader means as 1.2). No exponents. Parsers raise ``ValueError`` naming the text.
"""

from __future__ import annotations

import re
from decimal import Decimal

_DIGITS = r"[0-9]+(?:_[0-9]+)*"
_WHOLE = rf"(?:[0-9]{{1,3}}(?:,[0-9]{{3}})+|{_DIGITS})"
WHOLE_NUMBER = re.compile(_WHOLE)
DECIMAL_NUMBER = re.compile(rf"{_WHOLE}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS}")  # 5 · 5. · 5.25 · .5 · 1,000.50

WHOLE_EXAMPLES = "e.g. 1200, 1_200 or 1,200"
DECIMAL_EXAMPLES = "e.g. 2, 0.5 or 1,000.25"


def parse_whole(text: str, *, signed: bool = False) -> int:
    """A whole number >= 0 (or any sign with ``signed``); surrounding spaces are ignored."""
    body = text.strip()
    negative = signed and body.startswith("-")
    if negative:
        body = body[1:]
    if not WHOLE_NUMBER.fullmatch(body):
        kind = "a whole number" if signed else "a whole number >= 0"
        raise ValueError(f"expected {kind} in digits 0-9 ({WHOLE_EXAMPLES}), got {text!r}")
    value = int(body.replace("_", "").replace(",", ""))
    return -value if negative else value


def parse_decimal(text: str) -> Decimal:
    """An exact decimal number >= 0, finite by construction (no ``nan``/``inf``, no exponent)."""
    body = text.strip()
    if not DECIMAL_NUMBER.fullmatch(body):
        raise ValueError(f"expected a number >= 0 in digits 0-9 ({DECIMAL_EXAMPLES}), got {text!r}")
    return Decimal(body.replace("_", "").replace(",", ""))
