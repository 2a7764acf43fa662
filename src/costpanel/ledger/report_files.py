"""Grouped history as CSV (spreadsheet-safe) or JSON: shared by `costpanel report|export` and the
panel's History tab."""

from __future__ import annotations

import csv
import io
from typing import Any

from ..money import usd_str


def row_dict(by: str, r: Any) -> dict[str, Any]:
    return {by: r.key, "calls": r.calls, "input": r.input, "cache_read": r.cache_read, "cache_write": r.cache_write,
            "cache_write_1h": r.cache_write_1h, "output": r.output, "requests": r.requests, "tokens": r.tokens,
            "cost_usd": usd_str(r.cost_usd), "unpriced_calls": r.unpriced_calls}


def report_csv(by: str, rows: list[Any]) -> str:
    from ..export import safe_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    fields = list(row_dict(by, rows[0]).keys()) if rows else [by]
    writer.writerow(fields)
    for r in rows:
        writer.writerow([safe_cell(str(v)) if isinstance(v, str) else v for v in row_dict(by, r).values()])
    return out.getvalue()


def report_json(span: Any, by: str, rows: list[Any], discarded: Any) -> dict[str, Any]:
    from .queries import total

    return {"range": span.label, "by": by, "rows": [row_dict(by, r) for r in rows],
            "total": row_dict(by, total(rows)), "discarded": row_dict(by, discarded)}


