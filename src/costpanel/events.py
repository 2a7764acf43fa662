"""What ``record()`` returns and what subscribers (the ledger) receive: one priced call."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from .money import units_to_usd
from .usage import Usage

COMMITTED = "committed"  # counted in the session totals
PENDING = "pending"  # recorded inside an attempt that has not finished yet
DISCARDED = "discarded"  # a superseded fallback attempt: shown apart, not in the totals
DUPLICATE = "duplicate"  # its event_id was already counted with as many tokens or more: not counted again
# Its event_id was counted before with fewer tokens (a streaming partial, then the final line): this
# call's usage replaced the earlier one in every total, and replaces its row in the ledger.
REPLACED = "replaced"


def timestamp_of(at: object) -> float:
    """Epoch seconds of an aware datetime; a naive one is refused rather than guessed local."""
    if not isinstance(at, dt.datetime):
        raise TypeError(f"at must be a timezone-aware datetime, got {type(at).__name__} {at!r}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"at must be timezone-aware, got naive datetime {at.isoformat()}")
    return at.timestamp()


class Event(NamedTuple):
    """Immutable record of one model call. A NamedTuple because it is built on the hot path."""

    model: str  # the name as given
    matched: str | None  # canonical catalog id, None when unknown
    provider: str | None
    tier: str
    session: str
    usage: Usage
    cost_units: int | None  # 1e-12 USD; None when unpriced
    ts: float  # epoch seconds (UTC) of the call
    event_id: str | None
    status: str
    variant: str | None = None  # price variant billed (``batch``, ``fast+us`` …); None: standard
    priced_by: str | None = None  # what priced it: ``catalog`` or ``genai-prices x.y.z``; None when unpriced
    source: str = "api"  # where the call came from: ``api`` (record()), ``claude-code``, ``litellm`` … (sources.py)
    project: str = ""  # the project it was made for; "" when none
    # The source could only estimate part of the usage: Claude Code's telemetry reports cache writes
    # without their 5-minute/1-hour split, priced at the 5-minute rate. Counted, and marked so.
    approximate: bool = False

    @property
    def cost_usd(self) -> Decimal | None:
        """Exact cost; None when the model is unpriced (never a silent zero)."""
        return None if self.cost_units is None else units_to_usd(self.cost_units)

    @property
    def priced(self) -> bool:
        return self.cost_units is not None

    @property
    def counted(self) -> bool:
        """In the session totals: a new call, or one that replaced an earlier partial."""
        return self.status == COMMITTED or self.status == REPLACED

    @property
    def at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.ts, dt.timezone.utc)
