"""How a batch of events becomes ledger rows: ``calls``, their ``dims``, roll-ups and sessions.

This runs for every call ever recorded, so the per-event work is done by C-level passes over the
batch (``map``/``itemgetter``, slice assignment, multi-row ``INSERT``), not Python statements per
event: a million calls are written in a few seconds and the writer allocates almost nothing the
garbage collector has to trace (the queued events already are a million tracked objects).
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import chain, islice, repeat
from operator import attrgetter, floordiv, itemgetter, le, mul
from typing import Any, NamedTuple

from ..events import COMMITTED, DISCARDED, REPLACED, Event
from ..usage import BUCKETS, TOKEN_BUCKETS
from .schema import BUCKET_SECONDS, HOUR

_WRITTEN = frozenset((COMMITTED, DISCARDED, REPLACED))  # pending attempts and duplicates are not stored
_COUNTED = frozenset((COMMITTED, REPLACED))
# Event fields by name (C-level getters: as fast as indexes, and a reordered Event stays correct).
_USAGE, _COST, _TS, _EVENT_ID, _STATUS = map(attrgetter, ("usage", "cost_units", "ts", "event_id", "status"))
_BUCKET = [itemgetter(k) for k in range(len(BUCKETS))]  # a Usage is a tuple in BUCKETS order
_TOTALS = ("calls", *BUCKETS, "cost_units", "unpriced_calls")  # the summed columns of a roll-up

_MAX_ROWS_PER_STATEMENT = 2048
_SORT_FROM = 256  # calls in a batch from which its rows are inserted in event-id order


class _Insert:
    """An INSERT of many rows run as few multi-row statements.

    Few statements, not one per row: besides SQLite's and Python's per-statement work, each
    statement hands Python's GIL to other threads while SQLite runs, and a thread recording calls
    in a tight loop then keeps it for a whole switch interval (5 ms). A batch of 20,000 calls is a
    handful of statements: as many rows as the connection's parameter limit allows, then the rest
    in power-of-two sizes (a few distinct statements, so SQLite's statement cache keeps them).
    """

    def __init__(self, head: str, values: str, tail: str = "") -> None:
        self.width = values.count("?")
        self._head, self._values, self._tail = head, values, tail
        self._sql: dict[int, str] = {}

    def sql(self, rows: int) -> str:
        text = self._sql.get(rows)
        if text is None:
            text = self._sql[rows] = f"{self._head} VALUES {', '.join([self._values] * rows)} {self._tail}"
        return text

    def run(self, conn: sqlite3.Connection, flat: list[Any]) -> None:
        """Insert the rows laid end to end in ``flat``."""
        width = self.width
        # a power of two, so a batch of a multiple of it (MAX_BATCH is) leaves no remainder
        limit = min(_MAX_ROWS_PER_STATEMENT, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
        most = 1 << (limit.bit_length() - 1)
        rows = len(flat) // width
        full = rows // most * most * width
        if full:
            step = most * width
            conn.executemany(self.sql(most), [flat[i:i + step] for i in range(0, full, step)])
        rest = rows % most
        while rest:
            size = 1 << (rest.bit_length() - 1)
            conn.execute(self.sql(size), flat[full:full + size * width])
            full += size * width
            rest -= size

    def run_rows(self, conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> None:
        self.run(conn, list(chain.from_iterable(rows)))


# ``calls`` as bound. A batch without ids leaves the column out; ``None`` among values is bound as a
# sentinel that SQL turns back into NULL (Python's sqlite3 binds None through its adapter lookup,
# several times slower than a str or int). An id already stored (or repeated in the batch) is
# skipped by the unique index, not looked up first: the writer then compares the rows that
# landed with the batch (rare: re-imports).
_NO_ID = ""  # the tracker refuses empty ids, so "" can stand for "none given"
_NO_COST = -1  # costs are never negative
_ID_OR_NULL = f"NULLIF(?, '{_NO_ID}')"
_COST_OR_NULL = f"NULLIF(?, {_NO_COST})"
_CALL_COLUMNS = ("ts", "dim", "committed", *BUCKETS, "cost_units")


def _calls_insert(ids: str, costs: str) -> _Insert:
    """``ids``: "" (no column), "?" or ``_ID_OR_NULL``; ``costs``: "?" or ``_COST_OR_NULL``."""
    head = f"INSERT INTO calls ({'event_id, ' if ids else ''}{', '.join(_CALL_COLUMNS)})"
    values = [*(["?"] * (len(_CALL_COLUMNS) - 1)), costs]
    return _Insert(head, f"({ids + ', ' if ids else ''}{', '.join(values)})", "ON CONFLICT DO NOTHING")


_CALLS = {(ids, costs): _calls_insert(ids, costs)
          for ids in ("", "?", _ID_OR_NULL) for costs in ("?", _COST_OR_NULL)}
_ADD_TOTALS = ", ".join([f"{c} = {c} + excluded.{c}" for c in _TOTALS] + [
    f"{c} = COALESCE(excluded.{c}, {c})" for c in ("matched", "provider", "priced_by")])


def _rollup_insert(table: str, keys: tuple[str, ...], conflict: str) -> _Insert:
    columns = (*keys, *_TOTALS)
    return _Insert(f"INSERT INTO {table} ({', '.join(columns)})", f"({', '.join('?' * len(columns))})",
                   f"ON CONFLICT ({conflict}) DO UPDATE SET {_ADD_TOTALS}")


_ROLLUP = _rollup_insert("rollup", ("bucket", "session", "tier", "model_key", "matched", "provider", "priced_by",
                                    "status", "source", "project"),
                          "bucket, session, tier, model_key, status, source, project")
_HOURLY = _rollup_insert("rollup_hour", ("hour", "tier", "model_key", "matched", "provider", "priced_by", "status",
                                         "source", "project"), "hour, tier, model_key, status, source, project")
# A session first seen through its calls is not a tracker's own (whose start mark comes first): it
# is another tool's (a Claude Code session imported or watched, a per-call label), stored as ended at
# its last call, so `resume=True` never continues it. An open session stays open.
_SESSIONS = _Insert("INSERT INTO sessions (id, started_at, ended_at)", "(?, ?, ?)",
                    "ON CONFLICT (id) DO UPDATE SET started_at = MIN(started_at, excluded.started_at), "
                    "ended_at = CASE WHEN ended_at IS NULL THEN NULL ELSE MAX(ended_at, excluded.ended_at) END")

# model, matched, provider, tier, session, variant, priced_by, source, project, approximate
DimKey = tuple[str, "str | None", "str | None", str, str, "str | None", "str | None", str, str, bool]
# session, tier, model_key, matched, provider, priced_by, source, project
DimInfo = tuple[str, str, str, "str | None", "str | None", "str | None", str, str]
_DIM_KEY = attrgetter("model", "matched", "provider", "tier", "session", "variant", "priced_by", "source", "project",
                      "approximate")


class Dims:
    """The ``dims`` ids of (model, matched model, provider, tier, session, variant, what priced it,
    source, project), cached.

    Ids are never changed or deleted once committed, so the cache stays valid across batches and
    processes; :meth:`forget` drops it when a transaction that may have created ids rolls back.
    """

    def __init__(self) -> None:
        self.ids: dict[DimKey, int] = {}
        self.info: dict[int, DimInfo] = {}

    def forget(self) -> None:
        self.ids.clear()
        self.info.clear()

    def resolve(self, conn: sqlite3.Connection, events: list[Event]) -> list[int]:
        """The dims id of each event."""
        ids = list(map(self.ids.get, map(_DIM_KEY, events)))
        if None in ids:
            for n, e in enumerate(events):
                if ids[n] is None:
                    key: DimKey = _DIM_KEY(e)
                    ids[n] = self.ids.get(key) or self._fetch(conn, key)
        return ids  # type: ignore[return-value]

    def describe(self, conn: sqlite3.Connection, dim: int) -> DimInfo:
        """What a dims id stands for (a stored call's, when an upsert replaces it)."""
        info = self.info.get(dim)
        if info is None:
            session, tier, model, matched, provider, priced_by, source, project, key = conn.execute(
                "SELECT session, tier, model, matched, provider, priced_by, source, project, model_key FROM dims "
                "WHERE id = ?", (dim,)).fetchone()
            info = self.info[dim] = (session, tier, key, matched or None, provider or None, priced_by or None, source,
                                     project)
        return info

    def _fetch(self, conn: sqlite3.Connection, key: DimKey) -> int:
        model, matched, provider, tier, session, variant, priced_by, source, project, approximate = key
        values = (session, tier, model, matched or "", provider or "", variant or "", priced_by or "", source, project,
                  int(approximate))
        where = ("session = ? AND tier = ? AND model = ? AND matched = ? AND provider = ? AND variant = ? "
                 "AND priced_by = ? AND source = ? AND project = ? AND approximate = ?")
        row = conn.execute(f"SELECT id FROM dims WHERE {where}", values).fetchone()
        if row is None:  # ON CONFLICT: another connection may have added it since
            conn.execute("INSERT INTO dims (session, tier, model, matched, provider, variant, priced_by, source, "
                         "project, approximate, model_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT DO NOTHING",
                         (*values, matched or model.strip()))
            row = conn.execute(f"SELECT id FROM dims WHERE {where}", values).fetchone()
        dim = int(row[0])
        self.ids[key] = dim
        self.info[dim] = (session, tier, matched or model.strip(), matched, provider, priced_by, source, project)
        return dim


def _last_call(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT MAX(id) FROM calls").fetchone()[0] or 0


def _inserted(conn: sqlite3.Connection, events: list[Event], last: int) -> tuple[list[Event], list[Event]]:
    """The events whose rows were inserted after row ``last``, and those an id already stored (or
    repeated earlier in the batch) kept out through the unique index."""
    statuses = set(map(_STATUS, events))
    if DISCARDED not in statuses:  # the usual batch (an import's): each id once, all committed
        ids = {i for (i,) in conn.execute("SELECT event_id FROM calls WHERE id > ? AND event_id IS NOT NULL",
                                          (last,))}
        kept, clashed = [], []
        for e in events:
            if e.event_id is None or e.event_id in ids:
                ids.discard(e.event_id)  # an id twice in the batch (two sessions' own ids): the first landed
                kept.append(e)
            else:
                clashed.append(e)
        return kept, clashed
    landed = set(conn.execute("SELECT event_id, committed FROM calls WHERE id > ? AND event_id IS NOT NULL",
                              (last,)))
    kept, clashed = [], []
    for e in events:
        if e.event_id is not None:
            key = (e.event_id, int(e.status != DISCARDED))
            if key not in landed:
                clashed.append(e)
                continue
            landed.remove(key)
        kept.append(e)
    return kept, clashed


def _most_tokens(batch: list[Event]) -> list[Event]:
    """One counted call per event id: the one with the most tokens (the first of equals), where it
    first appeared; discarded attempts and calls without an id pass as they are."""
    ids = list(map(_EVENT_ID, batch))
    if None not in ids and len(set(ids)) == len(ids):  # each id once (an import's batch): nothing to choose
        return batch
    best: dict[object, int] = {}
    drop: set[int] = set()
    for n, e in enumerate(batch):
        if e.event_id is None or e.status == DISCARDED:
            continue
        key = call_key(e)
        k = best.setdefault(key, n)
        if k != n:
            if e.usage.total_tokens > batch[k].usage.total_tokens:
                drop.add(k)
                best[key] = n
            else:
                drop.add(n)
    return [e for n, e in enumerate(batch) if n not in drop] if drop else batch


_STORED = ("id", "event_id", "ts", "dim", *BUCKETS, "cost_units")
_TOKEN_AT = [_STORED.index(b) for b in TOKEN_BUCKETS]


# Sources whose event ids are the user's own (record(), costpanel's event lines): unique within a
# run, not necessarily across them. The integrations' ids (a provider's message or response id, a
# trace's span) are unique everywhere, so another session's call under the same id is that call.
USER_ID_SOURCES = frozenset(("api", "costpanel"))
# How a caller's id is stored apart: readable in reports and exports, and unlike any id a caller
# uses (``step-1@run-9`` is a fine id of the caller's own: ``@`` cannot mark the scope).
SCOPED = "{id} (session {session})"
RETRIED = "{id} (retry {n})"


def call_key(call: Any) -> Any:
    """What names one call (an Event or a log's call): its event id, within its session for an id of
    the caller's own (a rerun after Reset used it again: both are kept)."""
    return (call.event_id, call.session) if call.source in USER_ID_SOURCES else call.event_id


def session_scoped(event_id: str, session: str) -> str:
    """The id a caller's event id is stored under when another session's call holds it:
    ``<id> (session <session>)`` (resume reads it back as ``<id>``)."""
    return SCOPED.format(id=event_id, session=session)


def own_id(stored: str, session: str) -> str:
    """The caller's id of a call of ``session`` stored under ``stored`` (see :func:`session_scoped`)."""
    return stored.removesuffix(SCOPED.format(id="", session=session))


def _other_sessions(conn: sqlite3.Connection, dims: Dims, clashed: list[Event]) -> tuple[list[Event], list[Event]]:
    """``clashed`` split into calls whose id a call of their own session holds (the upsert decides:
    a duplicate, or a replacement), and calls of a user-id source whose id another session's call
    holds: a rerun after Reset, or a new process, that used its ids again (never that other
    session's call: stored apart, under :func:`session_scoped` ids)."""
    mine = [e for e in clashed if e.source in USER_ID_SOURCES]
    if not mine:
        return clashed, []
    ids = sorted({e.event_id for e in mine})  # type: ignore[type-var]
    held: dict[tuple[str, int], int] = {}
    for a in range(0, len(ids), 500):
        chunk = ids[a:a + 500]
        for event_id, committed, dim in conn.execute(
                f"SELECT event_id, committed, dim FROM calls WHERE event_id IN ({', '.join('?' * len(chunk))})", chunk):
            held[(event_id, committed)] = dim
    same, other = [], []
    for e in clashed:
        dim = held.get((e.event_id, int(e.status != DISCARDED))) if e.source in USER_ID_SOURCES else None  # type: ignore[arg-type]
        if dim is not None and dims.describe(conn, dim)[0] != e.session:
            other.append(e)
        else:
            same.append(e)
    return same, other


def _retry_ids(conn: sqlite3.Connection, retries: list[Event]) -> list[Event]:
    """Failed attempts whose id a failed attempt of their session holds (a retry under the caller's
    one id): each its own ``<id> (retry <n>)`` (n from 2), as the tracker counts each in its discarded total.
    The same attempt written again (same time and usage: a batch replayed) is left out, a duplicate."""
    out: list[Event] = []
    taken: set[str] = set()
    for e in retries:
        same = conn.execute(
            f"SELECT 1 FROM calls WHERE committed = 0 AND ts = ? AND {' AND '.join(f'{b} = ?' for b in BUCKETS)} "
            "AND (event_id = ? OR substr(event_id, 1, ?) = ?)",
            (e.ts, *e.usage, e.event_id, len(retry_prefix := RETRIED.format(id=e.event_id, n="")[:-1]),
             retry_prefix)).fetchone()  # type: ignore[arg-type]
        if same is not None:
            continue
        n = 2
        while True:
            candidate = RETRIED.format(id=e.event_id, n=n)
            if candidate not in taken and conn.execute(
                    "SELECT 1 FROM calls WHERE event_id = ? AND committed = 0", (candidate,)).fetchone() is None:
                break
            n += 1
        taken.add(candidate)
        out.append(e._replace(event_id=candidate))
    return out


def _stored(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """The counted calls already stored under ``ids`` (index probes: a fresh import finds none)."""
    found: dict[str, tuple[Any, ...]] = {}
    for a in range(0, len(ids), 500):
        chunk = ids[a:a + 500]
        for row in conn.execute(f"SELECT {', '.join(_STORED)} FROM calls WHERE committed = 1 AND event_id IN "
                                f"({', '.join('?' * len(chunk))})", chunk):
            found[row[1]] = row
    return found


def _split_stored(conn: sqlite3.Connection, batch: list[Event]) -> tuple[list[Event], list[Event],
                                                                         list[tuple[Any, ...]], int]:
    """``batch`` less its counted calls whose id is stored already: (new, those replacing a stored
    call with fewer tokens, or with as many but no price where they have one (a price added since:
    the history gets it when the logs are imported again), the rows they replace, how many changed
    nothing)."""
    stored = _stored(conn, [e.event_id for e in batch if e.event_id is not None and e.status != DISCARDED])
    if not stored:
        return batch, [], [], 0
    new, replacing, old = [], [], []
    for e in batch:
        row = stored.get(e.event_id) if e.status != DISCARDED else None  # type: ignore[arg-type]
        if row is None:
            new.append(e)
        else:
            tokens = sum(row[k] for k in _TOKEN_AT)
            if e.usage.total_tokens > tokens or (e.usage.total_tokens == tokens and row[-1] is None
                                                 and e.cost_units is not None):
                replacing.append(e)
                old.append(row)
    return new, replacing, old, len(batch) - len(new) - len(replacing)


def _replace_rows(conn: sqlite3.Connection, dims: Dims, replacing: list[Event], old: list[tuple[Any, ...]]) -> None:
    """Stored calls take the usage of the calls replacing them; their roll-ups lose the old call."""
    new_dims = dims.resolve(conn, replacing)
    conn.executemany(f"UPDATE calls SET ts = ?, dim = ?, {', '.join(f'{b} = ?' for b in BUCKETS)}, cost_units = ? "
                     "WHERE id = ?", [(e.ts, d, *e.usage, e.cost_units, row[0])
                                      for e, d, row in zip(replacing, new_dims, old, strict=True)])
    taken_back = []
    for row in old:
        _, _, ts, dim, *usage, cost = row
        session, tier, model_key, matched, provider, priced_by, source, project = dims.describe(conn, dim)
        taken_back.append((int(ts // BUCKET_SECONDS) * BUCKET_SECONDS, session, tier, model_key, matched, provider,
                           priced_by, COMMITTED, source, project, -1, *(-n for n in usage), -(cost or 0),
                           -(cost is None)))
    _ROLLUP.run_rows(conn, taken_back)
    hourly = _hourly_rows(taken_back)
    _HOURLY.run_rows(conn, hourly)
    # a roll-up the replacement emptied (the final line landed in another bucket or tier) goes
    conn.executemany("DELETE FROM rollup WHERE bucket = ? AND session = ? AND tier = ? AND model_key = ? "
                     "AND status = ? AND source = ? AND project = ? AND calls = 0",
                     [(r[0], r[1], r[2], r[3], r[7], r[8], r[9]) for r in taken_back])
    conn.executemany("DELETE FROM rollup_hour WHERE hour = ? AND tier = ? AND model_key = ? AND status = ? "
                     "AND source = ? AND project = ? AND calls = 0", [r[:3] + r[6:9] for r in hourly])


class _Columns:
    """A batch as the column lists the writer binds and sums (C-level passes, no per-event code)."""

    def __init__(self, conn: sqlite3.Connection, dims: Dims, batch: list[Event]) -> None:
        n = len(batch)
        usages, self.costs, self.tss, event_ids, statuses = (list(map(field, batch)) for field in (
            _USAGE, _COST, _TS, _EVENT_ID, _STATUS))
        self.dims = dims.resolve(conn, batch)
        self.flags = [1] * n if DISCARDED not in statuses else list(map(int, map(DISCARDED.__ne__, statuses)))
        self.sums = [list(map(bucket, usages)) for bucket in _BUCKET]
        missing = event_ids.count(None)
        self.ids = event_ids if not missing else None if missing == n else [
            _NO_ID if i is None else i for i in event_ids]
        self.ids_mode = "" if self.ids is None else "?" if not missing else _ID_OR_NULL

    def insert(self, conn: sqlite3.Connection) -> None:
        """One ``calls`` row per event, the columns interleaved by slice assignment."""
        costs: list[int | None] = self.costs
        costs_mode = "?"
        if None in costs:
            costs, costs_mode = [_NO_COST if c is None else c for c in costs], _COST_OR_NULL
        statement = _CALLS[(self.ids_mode, costs_mode)]
        columns = [self.tss, self.dims, self.flags, *self.sums, costs]
        if self.ids is not None:
            columns.insert(0, self.ids)
            if len(self.ids) >= _SORT_FROM:
                # In event-id order, each insert lands next to the previous one in the id index
                # (random ids otherwise touch a random page each): ~10-20 % less on large batches.
                pick = itemgetter(*sorted(range(len(self.ids)), key=self.ids.__getitem__))
                columns = [list(pick(column)) for column in columns]
        width = statement.width
        flat: list[object] = [None] * (len(self.tss) * width)
        for k, column in enumerate(columns):
            flat[k::width] = column
        statement.run(conn, flat)


def _groups(tss: list[float], ids: list[int], flags: list[int]) -> dict[tuple[int, int, int], list[int]]:
    """The batch's events (their indexes) per (15-minute bucket, dims id, committed flag)."""
    size = BUCKET_SECONDS
    tags: Sequence[Any] = ids if 0 not in flags else list(zip(ids, flags))
    groups: dict[tuple[int, int, int], list[int]] = {}
    if all(map(le, tss, islice(tss, 1, None))):
        # Calls in time order (the usual batch): each bucket is one run, found by bisection, so
        # only the dims id is looked at per call.
        a, n = 0, len(tss)
        while a < n:
            bucket = int(tss[a] // size) * size
            b = max(bisect_left(tss, bucket + size, a), a + 1)  # past float precision (ts ~1e300) a run is one call
            run: defaultdict[Any, list[int]] = defaultdict(list)
            for i, tag in zip(range(a, b), tags[a:b]):
                run[tag].append(i)
            for tag, members in run.items():
                groups[(bucket, tag, 1) if tags is ids else (bucket, *tag)] = members
            a = b
        return groups
    buckets = map(mul, map(int, map(floordiv, tss, repeat(float(size)))), repeat(size))
    for i, key in enumerate(zip(buckets, ids, flags)):
        group = groups.get(key)
        if group is None:
            groups[key] = [i]
        else:
            group.append(i)
    return groups


def _rollups(dims: Dims, columns: _Columns) -> tuple[list[tuple[Any, ...]], dict[str, list[float]]]:
    """Per (15-minute bucket, dims id, status): the roll-up rows of the batch, and each session's
    first and last call. Each group's columns are summed in C."""
    tss, sums, costs = columns.tss, columns.sums, columns.costs
    groups = _groups(tss, columns.dims, columns.flags)
    rows = []
    spans: dict[str, list[float]] = {}
    live = [(k, column) for k, column in enumerate(sums) if any(column)]  # many buckets are all zero
    zeros = [0] * len(sums)
    for (bucket, dim, flag), members in groups.items():
        totals = zeros.copy()
        if len(members) == 1:
            n = members[0]
            for k, column in live:
                totals[k] = column[n]
            group_costs: Sequence[int | None] = (costs[n],)
            first = last = tss[n]
        else:
            pick = itemgetter(*members)
            for k, column in live:
                totals[k] = sum(pick(column))
            group_costs = pick(costs)
            first, last = min(pick(tss)), max(pick(tss))
        unpriced = group_costs.count(None)
        cost = sum(c for c in group_costs if c is not None) if unpriced else sum(group_costs)  # type: ignore[arg-type]
        session, tier, model_key, matched, provider, priced_by, source, project = dims.info[dim]
        rows.append((bucket, session, tier, model_key, matched, provider, priced_by, COMMITTED if flag else DISCARDED,
                     source, project, len(members), *totals, cost, unpriced))
        span = spans.get(session)
        if span is None:
            spans[session] = [first, last]
        else:
            span[0], span[1] = min(span[0], first), max(span[1], last)
    return rows, spans


def _hourly_rows(rollups: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The batch's 15-minute roll-ups folded into hours, without the session."""
    acc: dict[tuple[Any, ...], list[Any]] = {}
    for bucket, _, tier, key, matched, provider, priced_by, status, source, project, *totals in rollups:
        k = (bucket // HOUR * HOUR, tier, key, status, source, project)
        a = acc.get(k)
        if a is None:
            acc[k] = [matched, provider, priced_by, *totals]
        else:
            if priced_by is not None:  # a model priced by the catalog and, for an old call, by nothing
                a[2] = priced_by
            for n, v in enumerate(totals, 3):
                a[n] += v
    return [(k[0], k[1], k[2], a[0], a[1], a[2], k[3], k[4], k[5], *a[3:]) for k, a in acc.items()]


def write_events(conn: sqlite3.Connection, events: Iterable[Event], dims: Dims | None = None) -> int:
    """Insert events and their roll-ups on ``conn`` inside the caller's transaction (no commit).

    For applications that keep their own data in SQLite: call ``migrate(conn)`` once, then this in
    the same transaction as the content the calls paid for. Returns the calls stored: new ones, and
    stored ones a call with more tokens under the same event id replaced (:func:`upsert_events`
    says which); an id stored with as many tokens or more, or twice in ``events``, is written once.
    ``dims`` is the writer's cache of dimension ids; without one, ids are looked up per call.
    """
    added, replaced = upsert_events(conn, events, dims)[:2]
    return added + replaced


class Upserted(NamedTuple):
    """What an upsert did with a batch of calls."""

    added: int  # calls stored for the first time
    replaced: int  # stored calls whose usage a call with more tokens (same event id) replaced
    duplicates: int  # calls that changed nothing: their id was stored with as many tokens or more
    replaced_units: int = 0  # what the replacements changed the priced cost by (1e-12 USD)
    priced_now: int = 0  # replaced calls stored without a price that have one now (a price added since)


def upsert_events(conn: sqlite3.Connection, events: Iterable[Event], dims: Dims | None = None) -> Upserted:
    """Store ``events`` (inside the caller's transaction): an event id not stored yet is added; one
    stored with fewer tokens is replaced (the row takes the new usage, cost and time; the roll-ups
    lose the old call and gain the new), and so is one stored without a price that now has one with
    as many tokens (a price added since); one stored with as many tokens or more is otherwise a
    duplicate. Within the batch, an id's call with the most tokens is the one that counts."""
    batch = events if isinstance(events, list) else list(events)
    if not _WRITTEN.issuperset(map(_STATUS, batch)):
        batch = [e for e in batch if e.status in _WRITTEN]
    given = len(batch)
    if not batch:
        return Upserted(0, 0, 0)
    dims = dims if dims is not None else Dims()
    has_ids = any(map(_EVENT_ID, batch))
    replacing: list[Event] = []
    delta = priced_now = 0
    other_added = other_replaced = 0  # calls kept apart under session-scoped ids
    if has_ids:
        batch = _most_tokens(batch)
    columns: _Columns | None = _Columns(conn, dims, batch)
    last = _last_call(conn) if has_ids else 0
    # Every call is inserted at once; the unique index keeps out those whose id is stored already
    # (rare: a re-import, a final line whose partial an earlier batch stored), which are then
    # compared with what is stored: so a fresh import never probes its ids first.
    columns.insert(conn)  # type: ignore[union-attr]
    if has_ids and _last_call(conn) - last != len(batch):
        batch, clashed = _inserted(conn, batch, last)
        columns = None
        if clashed:
            clashed, other = _other_sessions(conn, dims, clashed)
            other = [e._replace(event_id=session_scoped(e.event_id, e.session)) for e in other]  # type: ignore[arg-type]
            retries = [e for e in clashed if e.status == DISCARDED and e.source in USER_ID_SOURCES]
            if retries:  # a failed attempt under an id a failed attempt of its session used: each counts
                clashed = [e for e in clashed if not (e.status == DISCARDED and e.source in USER_ID_SOURCES)]
                other += _retry_ids(conn, retries)
            if other:  # ids of the user's own, used again by another session (a rerun after Reset): kept apart
                again = upsert_events(conn, other, dims)
                other_added, other_replaced, _, delta, priced_now = again
        if clashed:  # stored calls, to replace or not (a discarded attempt's id stored already: dropped)
            _, replacing, old, _ = _split_stored(conn, clashed)
            if replacing:
                _replace_rows(conn, dims, replacing, old)
                was = [row[-1] for row in old]  # the stored cost (None: unpriced)
                delta += sum(e.cost_units or 0 for e in replacing) - sum(c or 0 for c in was)
                priced_now += sum(c is None and e.cost_units is not None for e, c in zip(replacing, was, strict=True))
    added = len(batch)
    batch += replacing  # (a replacement only comes with a clash: the columns are None already)
    if batch:
        if columns is None:  # the columns inserted are not the calls to roll up
            columns = _Columns(conn, dims, batch)
        rollups, spans = _rollups(dims, columns)
        _ROLLUP.run_rows(conn, rollups)
        _HOURLY.run_rows(conn, _hourly_rows(rollups))
        _SESSIONS.run_rows(conn, [(session, first, last_ts) for session, (first, last_ts) in spans.items()])
    added += other_added
    replaced = len(replacing) + other_replaced
    return Upserted(added, replaced, given - added - replaced, delta, priced_now)
