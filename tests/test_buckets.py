"""One list of token buckets: every row type, column list and rate tuple follows the registry,
and the ledger reads events by field name, not by position."""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from decimal import Decimal
from pathlib import Path

import pytest

from costpanel import CostTracker, Usage
from costpanel.events import COMMITTED, Event
from costpanel.export import CSV_HEADER, RowExport
from costpanel.ledger import migrate, write_events
from costpanel.ledger.queries import CallRow, ReportRow
from costpanel.ledger.report_files import CALL_FIELDS
from costpanel.pricing import Catalog
from costpanel.pricing.rates import Rates
from costpanel.snapshot import CELL_WIDTH, Row
from costpanel.usage import BUCKETS, REGISTRY, USAGE_ARGS

EXPECTED = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "requests", "web_search")


def in_order(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The bucket names among ``names``, in the order they appear."""
    return tuple(n for n in names if n in BUCKETS)


def test_the_registry_lists_the_seven_buckets_in_storage_order() -> None:
    assert BUCKETS == EXPECTED
    assert [b.name for b in REGISTRY] == list(EXPECTED)
    assert USAGE_ARGS == ("input", "output", "cache_read", "cache_write", "cache_write_1h", "requests", "web_search")
    assert Usage(1200, 300) == (1200, 0, 0, 0, 300, 1, 0)  # positional: input, output; requests defaults to 1


@pytest.mark.parametrize("fields", [
    Row._fields, ReportRow._fields, CallRow._fields, Rates._fields, CSV_HEADER, CALL_FIELDS,
    tuple(RowExport.model_fields),
], ids=["Row", "ReportRow", "CallRow", "Rates", "csv header", "call export", "json export"])
def test_every_row_type_and_column_list_carries_every_bucket_in_registry_order(fields: tuple[str, ...]) -> None:
    assert in_order(fields) == BUCKETS


def test_the_ledger_tables_have_a_column_per_bucket(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "l.sqlite3", isolation_level=None)
    migrate(conn)
    for table in ("calls", "rollup", "rollup_hour"):
        columns = tuple(r[1] for r in conn.execute(f"PRAGMA table_info({table})"))
        assert in_order(columns) == BUCKETS, table
    assert CELL_WIDTH == 1 + len(BUCKETS) + 2  # calls, buckets, cost, unpriced calls


def test_a_rows_usage_and_tokens_come_from_its_buckets(catalog: Catalog) -> None:
    tracker = CostTracker(catalog)
    tracker.record("gpt-4o", Usage(input=100, output=20, cache_read=30, cache_write=4, cache_write_1h=5, requests=2))
    total = tracker.snapshot().total
    assert total.usage == Usage(input=100, output=20, cache_read=30, cache_write=4, cache_write_1h=5, requests=2)
    assert total.tokens == 100 + 20 + 30 + 4 + 5  # requests are not tokens


def test_the_ledger_reads_events_by_name_so_a_reordered_event_is_stored_the_same(tmp_path: Path,
                                                                                 catalog: Catalog) -> None:
    """An Event type whose fields come in another order (a refactor) must store the same rows."""
    tracker = CostTracker(catalog)
    events = [
        tracker.record("gpt-4o", Usage(input=1200, output=300, cache_read=100), tier="Tier 1", event_id="a"),
        tracker.record("claude-sonnet-4", Usage(input=10, output=5, cache_write_1h=7), tier="Tier 2"),
        tracker.record("no-such-model", Usage(input=3, output=4, web_search=2), tier="Tier 3", event_id="c",
                       variant="batch"),
    ]
    Reordered = namedtuple("Reordered", tuple(reversed(Event._fields)))  # type: ignore[misc]
    shuffled = [Reordered(**e._asdict()) for e in events]
    assert [tuple(s) for s in shuffled] != [tuple(e) for e in events]  # the positions really moved

    def rows(batch: list[object]) -> list[tuple[object, ...]]:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.sqlite3"
        conn = sqlite3.connect(path, isolation_level=None)
        migrate(conn)
        conn.execute("BEGIN")
        assert write_events(conn, batch) == 3  # type: ignore[arg-type]
        conn.execute("COMMIT")
        return conn.execute(
            f"SELECT event_id, ts, session, tier, model, matched, provider, {', '.join(BUCKETS)}, cost_units, status, "
            "variant, priced_by FROM events ORDER BY id").fetchall()

    expected = [(e.event_id, e.ts, e.session, e.tier, e.model, e.matched, e.provider, *e.usage, e.cost_units,
                 COMMITTED, e.variant, e.priced_by) for e in events]
    assert events[2].variant == "batch" and events[1].priced_by == "catalog" and events[2].usage.web_search == 2
    assert rows(events) == expected  # type: ignore[arg-type]
    assert rows(shuffled) == expected
    # gpt-4o: 1,200 uncached at $2.50/M + 100 cache reads at $1.25/M + 300 out at $10/M = $0.006125
    assert events[0].cost_usd == Decimal("0.006125")


@pytest.mark.parametrize("usage", [Usage(input=5, requests=0), Usage(input=5), Usage(output=3, requests=7, web_search=2),
                                   Usage(input=1, cache_read=2, cache_write=3, cache_write_1h=4, output=5)])
def test_the_repr_rebuilds_the_same_usage(usage: Usage) -> None:
    """Every count that differs from its default is shown (requests defaults to 1, not 0)."""
    assert eval(repr(usage), {"Usage": Usage}) == usage  # noqa: S307 - our own repr
    assert repr(Usage(input=5, requests=0)) == "Usage(input=5, output=0, requests=0)"
