"""Re-create ``m007.sqlite3``: a ledger as costpanel wrote it with migrations m001–m007 (before
``m008_source_project`` added where a call came from and its project).

It must be written by that costpanel's own writer, so run this script with the source tree of a
commit whose last migration is ``m007_priced_by`` (e.g. cc0264a) on the path:

    git archive cc0264a src pricing | tar -x -C /tmp/m007
    PYTHONPATH=/tmp/m007/src python tests/data/ledger/make_m007.py

The file holds two sessions over two UTC days (the second one left open, to resume): priced calls
with cache reads and writes, a batch-priced call, web searches, an unknown (unpriced) model, calls
without an event id and a discarded fallback attempt.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from costpanel import CostTracker, Usage
from costpanel.ledger.schema import MIGRATIONS
from costpanel.pricing import load_catalog

HERE = Path(__file__).parent


def main() -> None:
    assert MIGRATIONS[-1].__name__ == "m007_priced_by", "run with costpanel at migration m007 (see the docstring)"
    target = HERE / "m007.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    start = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.timezone.utc)
    tracker = CostTracker(load_catalog(overrides=False), ledger=target, session="m7-first", fallback=False)
    models = ("gpt-4o", "claude-sonnet-4", "gpt-4o-mini", "not-a-model-xyz")
    for k in range(30):
        at = start + dt.timedelta(minutes=37 * k)
        model = models[k % 4]
        usage = Usage(input=1000 + 17 * k, cache_read=300 * (k % 3), cache_write=50 * (k % 2), output=40 + k,
                      web_search=1 if model == "claude-sonnet-4" and k % 5 == 0 else 0)
        tracker.record(model, usage, tier=f"Tier {1 + k % 3}", at=at, event_id=None if k % 4 == 3 else f"m7-{k}",
                       variant="batch" if k == 10 else None)
    try:
        with tracker.attempt("Tier 2") as attempt:
            attempt.record("gpt-4o", Usage(input=500, output=60), event_id="m7-failed", at=start)
            raise TimeoutError
    except TimeoutError:
        pass
    tracker.reset("m7-second")
    for k in range(12):
        at = start + dt.timedelta(days=1, minutes=23 * k)
        tracker.record(models[k % 3], Usage(input=2000 + k, output=100 + k), tier="Tier 1", at=at, event_id=f"m7b-{k}")
    tracker.close()  # the second session stays open: resume=True continues it
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
