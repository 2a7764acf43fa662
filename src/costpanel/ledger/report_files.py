"""Grouped history as CSV (spreadsheet-safe) or JSON: shared by `costpanel report|export` and the
panel's History tab."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from operator import attrgetter
from typing import Any

from ..money import units_to_usd, usd_str
from ..usage import BUCKETS


def row_dict(by: str, r: Any, averages: dict[str, Any] | None = None,
             priced_by: dict[str, str] | None = None) -> dict[str, Any]:
    """A report row; with ``averages`` (day reports, :class:`~.queries.Average` by day) also the
    7-day moving average of cost and the unpriced calls it leaves out; with
    ``priced_by`` (model reports) what priced the model (``catalog``, ``genai-prices x.y.z``; None
    when all its calls are unpriced)."""
    # no project / provider: null (CSV: empty), not a name
    d = {by: r.key or None, "calls": r.calls, **{b: getattr(r, b) for b in BUCKETS}, "tokens": r.tokens,
         "cost_usd": usd_str(r.cost_usd), "unpriced_calls": r.unpriced_calls}
    if averages is not None:  # None: every call of the 7 days unpriced; their unpriced calls beside it
        average = averages[r.key]
        d["avg_7d_usd"], d["avg_7d_unpriced_calls"] = usd_str(average.usd), average.unpriced_calls
    if priced_by is not None:
        d["priced_by"] = priced_by.get(r.key)
    return d


def report_fields(by: str, averages: bool = False, priced_by: bool = False) -> list[str]:
    """The columns of :func:`row_dict`'s rows, in order (a CSV's header, with no rows too)."""
    return [by, "calls", *BUCKETS, "tokens", "cost_usd", "unpriced_calls",
            *(("avg_7d_usd", "avg_7d_unpriced_calls") if averages else ()), *(("priced_by",) if priced_by else ())]


def report_csv(by: str, rows: list[Any], averages: dict[str, Any] | None = None, *, top: int | None = None,
               overall: Any = None, priced_by: dict[str, str] | None = None) -> str:
    """The rows; with ``top`` (``report --top N``), then a ``total (top N)`` row and ``overall``,
    the grand total of every group (keyed ``all <groups>``)."""
    from ..export import safe_cell
    from .queries import total

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    fields = report_fields(by, averages is not None, priced_by is not None)  # an empty report's too
    writer.writerow(fields)
    lines = [row_dict(by, r, averages, priced_by) for r in rows]
    if top is not None:  # (never with day rows: no averages to leave out)
        lines += [row_dict(by, r) for r in (total(rows, f"total (top {top})"), overall) if r is not None]
    for line in lines:
        writer.writerow([safe_cell(str(v)) if isinstance(v, str) else v for v in line.values()])
    return out.getvalue()


def report_json(span: Any, by: str, rows: list[Any], discarded: Any, averages: dict[str, Any] | None = None, *,
                top: int | None = None, overall: Any = None, priced_by: dict[str, str] | None = None,
                approximate: int = 0) -> dict[str, Any]:
    """With ``top`` (``report --top N``) the total covers those N rows (keyed ``total (top N)``)
    and ``all`` is the grand total of every group. ``approximate_calls``: calls in the range whose
    source could only estimate their usage."""
    from .queries import total

    data = {"range": span.label, "by": by, "rows": [row_dict(by, r, averages, priced_by) for r in rows],
            "total": row_dict(by, total(rows, "total" if top is None else f"total (top {top})")),
            "discarded": row_dict(by, discarded), "approximate_calls": approximate}
    if overall is not None:
        data["all"] = row_dict(by, overall)
    return data


def report_file(fmt: str, span: Any, by: str, rows: list[Any], discarded: Any,
                averages: dict[str, Any] | None = None, priced_by: dict[str, str] | None = None,
                approximate: int = 0) -> bytes:
    """A grouped report as the bytes of a ``csv`` or ``json`` file (`costpanel export`, the History
    tab's Export buttons)."""
    if fmt == "csv":
        return report_csv(by, rows, averages, priced_by=priced_by).encode("utf-8")
    if fmt == "json":
        return (json.dumps(report_json(span, by, rows, discarded, averages, priced_by=priced_by,
                                       approximate=approximate), indent=2)
                + "\n").encode("utf-8")
    raise ValueError(f"export format must be 'csv' or 'json', got {fmt!r}")


_NAMES = ("session", "tier", "model", "matched", "provider")
CALL_FIELDS = ("time_utc", *_NAMES, *BUCKETS, "cost_usd", "status", "event_id", "variant", "priced_by", "source",
               "project", "approximate")
_CALL_NAMES_AND_BUCKETS = attrgetter(*_NAMES, *BUCKETS)


def call_dict(r: Any) -> dict[str, Any]:
    """One call for an export: UTC time, names, buckets, exact cost (None when unpriced), its price
    variant (None: standard), what priced it (``catalog``, ``genai-prices x.y.z``; None: unpriced),
    where it came from (``api``, ``claude-code`` …), its project ('' when none) and whether its usage
    was only estimated by its source (``approximate``)."""
    return dict(zip(CALL_FIELDS, (
        dt.datetime.fromtimestamp(r.ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),  # as the view, in µs
        *_CALL_NAMES_AND_BUCKETS(r), None if r.cost_units is None else usd_str(units_to_usd(r.cost_units)), r.status,
        r.event_id, r.variant, r.priced_by, r.source, r.project, bool(r.approximate))))


def calls_csv(rows: Iterable[Any]) -> Iterator[str]:
    """Every call as CSV lines, streamed (text cells spreadsheet-safe; unpriced cost left empty)."""
    from ..export import safe_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CALL_FIELDS)
    for r in rows:
        writer.writerow([safe_cell(v) if isinstance(v, str) else v for v in call_dict(r).values()])
        if out.tell() > 1 << 16:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def calls_json(span: Any, rows: Iterable[Any]) -> Iterator[str]:
    """``{"range": ..., "by": "call", "calls": [...]}``, streamed one call per line."""
    yield f'{{"range": {json.dumps(span.label)}, "by": "call", "calls": ['
    first = True
    for r in rows:
        yield ("\n  " if first else ",\n  ") + json.dumps(call_dict(r))
        first = False
    yield "\n]}\n"
