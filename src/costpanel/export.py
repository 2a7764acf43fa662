"""A snapshot as CSV and JSON files: what the panel's Export buttons (and later history exports) write.

Money leaves as plain decimal strings (``"0.006"``, never a float nor ``"6E-3"``), so a reader gets
the same exact figures the tracker holds. CSV text cells are guarded against spreadsheet formula
injection, because tier labels and model names come from the user's program. Files are written
atomically and readable by their owner only: they describe what an agent did.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from .money import usd_str
from .paths import ensure_private_dir, write_private_file
from .snapshot import Row, Snapshot
from .usage import BUCKETS, REGISTRY

ExportFormat = Literal["csv", "json"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "json")
CSV_HEADER = ("section", "tier", "model", "provider", "calls", *BUCKETS, "tokens", "cost_usd", "unpriced_calls", "share")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 80


# -- private files ----------------------------------------------------------------------------------
# -- JSON models ----------------------------------------------------------------------------------
_ROW_EXPORT_FIELDS: dict[str, Any] = {
    "tier": (str | None, None),
    "model": (str | None, None),
    "provider": (str | None, None),
    "matched": (str | None, Field(None, description="Catalog id of a model row; None when unpriced.")),
    "models": (list[str], Field(default_factory=list, description="Of a tier row: its models, costliest first.")),
    "calls": (int, ...),
    **{b.name: (int, Field(description=b.doc)) for b in REGISTRY},
    "tokens": (int, ...),
    "cost_usd": (str | None, Field(description="Exact, as a decimal string; None when every call is unpriced.")),
    "unpriced_calls": (int, ...),
    "share": (float, Field(description="Of the session's priced cost (of the discarded cost for discarded rows).")),
}


class RowExport(create_model("_RowExportFields", __config__=ConfigDict(extra="forbid", frozen=True),  # type: ignore[misc]
                             **_ROW_EXPORT_FIELDS)):
    """One row: calls, a count per bucket (the registry's), tokens and the exact cost."""

    @classmethod
    def of(cls, row: Row, *, tier: str | None = None, model: str | None = None) -> RowExport:
        return cls(tier=tier, model=model, provider=row.provider, matched=row.matched, models=list(row.models),
                   calls=row.calls, **row.usage.as_dict(), tokens=row.tokens, cost_usd=usd_str(row.cost_usd),
                   unpriced_calls=row.unpriced_calls, share=row.share)


class SnapshotExport(BaseModel):
    """Everything the panel shows for one snapshot, in JSON-ready types."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    session: str
    started_at: dt.datetime
    taken_at: dt.datetime
    elapsed_s: float
    total: RowExport
    unpriced: list[str]  # model names recorded without a price: ``total.cost_usd`` leaves them out
    unpriced_calls: int
    discarded: RowExport  # discarded fallback attempts, not part of the total
    discarded_by_tier_model: list[RowExport]
    pending_calls: int
    pending_usd: str
    by_tier: list[RowExport]
    by_model: list[RowExport]
    by_tier_model: list[RowExport]

    @classmethod
    def of(cls, s: Snapshot) -> SnapshotExport:
        return cls(
            session=s.session, started_at=s.started_at, taken_at=s.taken_at, elapsed_s=s.elapsed_s,
            total=RowExport.of(s.total), unpriced=list(s.unpriced), unpriced_calls=s.unpriced_calls,
            discarded=RowExport.of(s.discarded),
            discarded_by_tier_model=[RowExport.of(r, tier=t, model=m)
                                     for (t, m), r in s.discarded_by_tier_model.items()],
            pending_calls=s.pending_calls, pending_usd=usd_str(s.pending_usd) or "0",
            by_tier=[RowExport.of(r, tier=t) for t, r in s.by_tier.items()],
            by_model=[RowExport.of(r, model=m) for m, r in s.by_model.items()],
            by_tier_model=[RowExport.of(r, tier=t, model=m) for (t, m), r in s.by_tier_model.items()],
        )


def snapshot_to_json(s: Snapshot) -> dict[str, Any]:
    """The snapshot as plain JSON types (``json.dumps`` works on it; datetimes as ISO 8601 text)."""
    return SnapshotExport.of(s).model_dump(mode="json")


# -- CSV ------------------------------------------------------------------------------------------
def safe_cell(value: str) -> str:
    """Text a spreadsheet will not run as a formula: ``'`` before a leading ``= + - @``, tab or CR."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_row(section: str, r: RowExport) -> list[str]:
    text = [safe_cell(v or "") for v in (r.tier, r.model, r.provider)]
    counts = [r.calls, *(getattr(r, b) for b in BUCKETS), r.tokens]
    return [section, *text, *map(str, counts), r.cost_usd or "", str(r.unpriced_calls), repr(r.share)]


def snapshot_to_csv(s: Snapshot) -> str:
    """One line per row: sections ``total``, ``tier``, ``model``, ``tier_model``, ``discarded``
    (the discarded total) and ``discarded_tier_model``; an unpriced row has an empty ``cost_usd``."""
    e = SnapshotExport.of(s)
    rows = [_csv_row("total", e.total)]
    rows += [_csv_row("tier", r) for r in e.by_tier]
    rows += [_csv_row("model", r) for r in e.by_model]
    rows += [_csv_row("tier_model", r) for r in e.by_tier_model]
    rows.append(_csv_row("discarded", e.discarded))
    rows += [_csv_row("discarded_tier_model", r) for r in e.discarded_by_tier_model]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return out.getvalue()


# -- files ----------------------------------------------------------------------------------------
def format_of(name: str | Path) -> ExportFormat | None:
    """The format a file name asks for by its extension (``.csv``, ``.json``, any case), or None."""
    suffix = Path(name).suffix.lower().lstrip(".")
    return suffix if suffix in EXPORT_FORMATS else None  # type: ignore[return-value]


def export_name(s: Snapshot, fmt: ExportFormat) -> str:
    """``costpanel-<session>-<UTC yyyymmddThhmmssZ>.<fmt>``; the session made safe for a file name."""
    session = _UNSAFE_NAME.sub("_", s.session).strip("._")[:_MAX_NAME] or "session"
    stamp = s.taken_at.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"costpanel-{session}-{stamp}.{fmt}"


def _free_path(directory: Path, name: str) -> Path:
    """``name`` in ``directory``, or ``name-2``, ``name-3``… so a second export never overwrites one."""
    path = directory / name
    stem, suffix = path.stem, path.suffix
    n = 1
    while path.exists():
        n += 1
        path = directory / f"{stem}-{n}{suffix}"
    return path


def export_bytes(s: Snapshot, fmt: ExportFormat) -> bytes:
    if fmt == "csv":
        return snapshot_to_csv(s).encode("utf-8")
    if fmt == "json":
        return (json.dumps(snapshot_to_json(s), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    raise ValueError(f"export format must be 'csv' or 'json', got {fmt!r}")


def write_export(s: Snapshot, directory: Path, fmt: ExportFormat) -> Path:
    """Write the snapshot to a new file in ``directory`` (created 0700), mode 0600; returns its path."""
    data = export_bytes(s, fmt)
    ensure_private_dir(directory)
    path = _free_path(directory, export_name(s, fmt))
    write_private_file(path, data)
    return path
