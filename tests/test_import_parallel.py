"""`costpanel import` in worker processes (ingest.read_parallel): the same ledger as one process.

Workers read, de-duplicate and price; the parent alone writes, several received batches at a time
in one transaction when its writer was busy. Small batches and a small waiting limit here make a
small corpus go through every one of those paths (fork: the children see the patched limits).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from corpora.claude_code import write_corpus

from costpanel.integrations import ingest


def ledger(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    try:
        return {
            "calls": sorted(conn.execute(
                "SELECT c.event_id, c.ts, c.input, c.cache_read, c.cache_write, c.cache_write_1h, c.output, "
                "c.web_search, c.cost_units, d.session, d.tier, d.model, d.variant, d.project "
                "FROM calls AS c JOIN dims AS d ON d.id = c.dim").fetchall()),
            "rollup": sorted(conn.execute("SELECT * FROM rollup").fetchall(), key=repr),
            "rollup_hour": sorted(conn.execute("SELECT * FROM rollup_hour").fetchall(), key=repr),
            "sessions": sorted(conn.execute("SELECT * FROM sessions").fetchall()),
        }
    finally:
        conn.close()


def counts(result: ingest.ImportResult) -> tuple[int, ...]:
    return (result.files, result.lines, result.calls, result.added, result.replaced, result.duplicates)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    root = tmp_path_factory.mktemp("claude")
    truth = write_corpus(root, seed=5, lines=3000)
    return root, len({call.event_id for call in truth.calls})


@pytest.mark.parametrize("waiting", [1, 10**9])  # written batch by batch / as many together as came
def test_workers_store_what_one_process_stores(corpus: tuple[Path, int], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, waiting: int) -> None:
    root, distinct = corpus
    one = ingest.import_logs([root], "claude-code", tmp_path / "one.sqlite3", workers=1)
    monkeypatch.setattr(ingest, "WORKER_BATCH_CALLS", 40)
    monkeypatch.setattr(ingest, "KEEP_RECENT", 4)  # finals often meet their partials in the ledger
    monkeypatch.setattr(ingest, "MAX_WAITING_CALLS", waiting)
    first = ingest.import_logs([root], "claude-code", tmp_path / "two.sqlite3", workers=2)
    again = ingest.import_logs([root], "claude-code", tmp_path / "two.sqlite3", workers=2)

    assert ledger(tmp_path / "two.sqlite3") == ledger(tmp_path / "one.sqlite3")
    assert first.added == one.added == distinct and first.replaced > 0
    assert first.calls == one.calls == first.added + first.replaced + first.duplicates
    assert (first.files, first.lines, first.skipped) == (one.files, one.lines, one.skipped)
    assert (again.added, again.replaced, again.duplicates) == (0, 0, again.calls)


@pytest.mark.parametrize("chunk", [97, 4099])  # lines cut by reads everywhere / a few lines a read
def test_any_read_size_imports_what_whole_files_import(corpus: tuple[Path, int], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Claude Code logs are read as blocks of whole lines (a byte search, not a split): a line cut
    by a read, a block that starts or ends mid-file, and the torn last lines give the same counts
    and the same ledger as reading each file in one piece."""
    root, _ = corpus
    whole = ingest.import_logs([root], "claude-code", tmp_path / "whole.sqlite3", workers=1)
    monkeypatch.setattr(ingest, "CHUNK_BYTES", chunk)
    cut = ingest.import_logs([root], "claude-code", tmp_path / "cut.sqlite3", workers=1)
    assert whole.skipped[ingest.TORN] > 0 and whole.lines > 3000
    assert (counts(cut), cut.skipped, cut.errors) == (counts(whole), whole.skipped, whole.errors)
    assert ledger(tmp_path / "cut.sqlite3") == ledger(tmp_path / "whole.sqlite3")


def test_batches_written_together_count_as_written_one_by_one(corpus: tuple[Path, int], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = corpus
    monkeypatch.setattr(ingest, "WORKER_BATCH_CALLS", 40)
    monkeypatch.setattr(ingest, "KEEP_RECENT", 4)
    monkeypatch.setattr(ingest, "MAX_WAITING_CALLS", 1)
    alone = ingest.import_logs([root], "claude-code", tmp_path / "alone.sqlite3", workers=2)
    monkeypatch.setattr(ingest, "MAX_WAITING_CALLS", 10**9)
    monkeypatch.setattr(ingest, "_POLL_S", 0.05)  # the writer is seldom found free: batches pile up
    together = ingest.import_logs([root], "claude-code", tmp_path / "together.sqlite3", workers=2)
    assert counts(together) == counts(alone)
    assert ledger(tmp_path / "together.sqlite3") == ledger(tmp_path / "alone.sqlite3")


def test_a_file_reached_several_ways_is_planned_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from costpanel.integrations.registry import chosen

    logs = tmp_path / "logs"
    (logs / "projects" / "-p").mkdir(parents=True)
    log = logs / "projects" / "-p" / "s.jsonl"
    log.write_text('{"type":"user","sessionId":"s"}\n')
    (tmp_path / "alias").symlink_to(logs)  # the same folder under another name
    (logs / "projects" / "-p" / "link.jsonl").symlink_to(log)  # the same file under another name
    (tmp_path / "other.jsonl").write_text('{"type":"user","sessionId":"t"}\n')
    monkeypatch.chdir(tmp_path / "alias" / "projects")
    paths = [logs, tmp_path / "alias", Path("-p/s.jsonl"), Path("../../logs/projects/-p/link.jsonl"),
             tmp_path / "other.jsonl"]
    tasks = ingest.plan(paths, chosen("all"), True, ingest.ImportResult())
    assert sorted(task[0].resolve() for task in tasks) == sorted([log.resolve(), (tmp_path / "other.jsonl").resolve()])


def test_a_ledger_refused_while_workers_read_stops_them_and_stores_nothing(corpus: tuple[Path, int],
                                                                           tmp_path: Path) -> None:
    """With workers, the ledger is opened once they read: a ledger it refuses (here one of a newer
    costpanel) raises there, the workers are stopped and nothing is written."""
    from costpanel.ledger import LedgerError
    from costpanel.ledger.sqlite_storage import connect

    root, _ = corpus
    db = tmp_path / "newer.db"
    connect(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO costpanel_migrations VALUES ('m999_from_the_future', 0)")
    with pytest.raises(LedgerError, match="upgrade costpanel"):
        ingest.import_logs([root], ledger=db, workers=2)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_a_damaged_ledger_is_refused_before_anything_is_written(corpus: tuple[Path, int], tmp_path: Path,
                                                                workers: int) -> None:
    """SQLite's quick check runs before the ledger is opened for writing; with workers, while they
    read (it reads the whole file). Also when there is no file to import: the damage is said."""
    from test_history_cli import damage

    from costpanel.ledger import LedgerError
    from costpanel.pricing import load_catalog

    root, _ = corpus
    db = tmp_path / "damaged.sqlite3"
    damage(db, load_catalog())
    before = db.read_bytes()
    with pytest.raises(LedgerError, match="is damaged"):
        ingest.import_logs([root], "claude-code", db, workers=workers)
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(LedgerError, match="is damaged"):
        ingest.import_logs([empty], "claude-code", db, workers=workers)
    assert db.read_bytes() == before


def test_workers_claim_whole_folders_the_largest_first_as_each_is_done(tmp_path: Path) -> None:
    """Folders are handed out one at a time from a counter the workers share: a worker done with
    its folder takes the next one (so the workers finish together), and never part of a folder."""
    import threading

    sizes = {"a": (100, 100, 100), "b": (1000,), "c": (5, 5)}
    tasks = []
    for folder, files in sizes.items():
        (tmp_path / folder).mkdir()
        for n, size in enumerate(files):
            path = tmp_path / folder / f"{n}.jsonl"
            path.write_bytes(b"x" * size)
            tasks.append((path, ("costpanel",), False))
    groups = ingest._folders(tasks)
    assert [[task[0].relative_to(tmp_path).as_posix() for task in group] for group in groups] == [
        ["b/0.jsonl"], ["a/0.jsonl", "a/1.jsonl", "a/2.jsonl"], ["c/0.jsonl", "c/1.jsonl"]]

    class Shared:
        value = 0

    taken, lock = Shared(), threading.Lock()
    one, two = ingest._claims(groups, taken, lock), ingest._claims(groups, taken, lock)
    assert next(one)[0].name == "0.jsonl" and taken.value == 1  # one: b
    assert next(two)[0].parent.name == "a" and taken.value == 2  # two: a
    assert [task[0].parent.name for task in one] == ["c", "c"]  # one is done with b first: it takes c whole
    assert [task[0].name for task in two] == ["1.jsonl", "2.jsonl"]  # two ends a, and finds nothing left
    assert taken.value == 3
