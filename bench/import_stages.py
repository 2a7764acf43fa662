"""Where ``costpanel import``'s time goes: read + parse, de-duplicate, price, write — per line.

Runs the real ingest code four times on the same files, each run going one stage further (the later
stages replaced by nothing), and reports the CPU time of each stage (differences between runs), so
figures hold on a busy machine too. Without PATH it generates N lines of costpanel's event format.
The end-to-end target (issue 11: a fresh ``costpanel import PATH`` process, 1,000,000 lines <= 10 s,
<= 200 MB) is measured by bench/import.py against ccusage.
Run: python bench/import_stages.py [PATH ...] [--source all] [--lines 200000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from costpanel.integrations.ingest import Importer, ImportResult, plan, quiet_gc
from costpanel.integrations.registry import ALL, chosen
from costpanel.ledger.backfill import Upserted
from costpanel.tracker import CostTracker

MODELS = ("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5", "gpt-4o", "gemini-2.5-pro")


def generate(folder: Path, lines: int) -> list[Path]:
    path = folder / "events.jsonl"
    with path.open("w") as f:
        for i in range(lines):
            f.write(json.dumps({"ts": 1764770709 + i, "session": f"s{i // 1000}", "tier": "main",
                                "model": MODELS[i % len(MODELS)], "project": f"p{i % 7}",
                                "usage": {"input": 1 + i % 4999, "cache_read": i % 50_000, "output": 1 + i % 3000},
                                "id": f"claude-code:msg_{i:012d}:req_{i:012d}"}) + "\n")
    return [path]


def run(paths: list[Path], source: str, db: Path, tracker: CostTracker, upto: str) -> tuple[float, ImportResult]:
    """CPU seconds of an import that stops after stage ``upto`` (parse, dedupe, price or write)."""
    sources = chosen(source)
    result = ImportResult()
    tasks = plan(paths, sources, source == ALL, result)
    importer = Importer(db, tracker)
    importer.result = result
    if upto == "parse":
        importer._take = lambda calls: None  # type: ignore[method-assign]
    elif upto == "dedupe":
        importer._write = lambda entries: None  # type: ignore[method-assign]
    elif upto == "price":
        importer._backfill.write_each = lambda batches: [Upserted(0, 0, 0) for _ in batches]  # type: ignore[method-assign]
    with quiet_gc():  # as `costpanel import` runs
        start = time.process_time()
        importer.read(tasks, sources)
        importer.close()
    return time.process_time() - start, result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="*", type=Path)
    p.add_argument("--source", default=ALL)
    p.add_argument("--lines", type=int, default=200_000, help="lines to generate when no PATH is given")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.paths or generate(Path(tmp), args.lines)
        tracker = CostTracker()
        times: dict[str, float] = {}
        result: Any = None
        for n, stage in enumerate(("parse", "dedupe", "price", "write")):
            times[stage], result = run(paths, args.source, Path(tmp) / f"ledger{n}.sqlite3", tracker, stage)
        lines = max(result.lines, 1)
        print(f"{result.files} files, {result.lines:,} lines, {result.calls:,} calls, {result.added:,} added")
        last = 0.0
        for stage, total in times.items():
            print(f"  {stage:<7} {total - last:6.2f} s CPU  {(total - last) / lines * 1e6:6.2f} us/line")
            last = total
        print(f"  total   {last:6.2f} s CPU  {last / lines * 1e6:6.2f} us/line  ({lines / last:,.0f} lines/s)")


if __name__ == "__main__":
    main()
