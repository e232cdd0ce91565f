"""Turning what a training child prints into rows: points, summaries, events, artifacts.

The child speaks the job protocol (docs/contracts.md section 3): one JSON
object per line. `Ingest` buffers parsed messages and `flush()` writes them
in one transaction (points in batches of at most 1,000 rows, the summary per
key, one event per batch), then publishes a wake-up. Nothing half-written:
either a batch and its summary and event are stored, or none of them, and
a batch sent again after a commit its writer did not see is stored once.
"""
from __future__ import annotations

import json
import logging
import math
import uuid
from dataclasses import dataclass, field
from typing import NamedTuple

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from designer.runs import live
from designer.runs.rollup import rollup_rows, rollup_upsert_sql, update_rollups
from designer.runs.storage import (BIGINT, FLOAT, TEXT, insert_rows, is_postgres, relax_commit, server_bound,
                                   unnest_params, upsert_rows, upsert_sql)
from designer.runs.models import Artifact, EventKind, IngestMark, MetricPoint, MetricSummary, RunEvent

log = logging.getLogger("netweave.runs.ingest")

BATCH = 1000
# Names whose lower values are better; every other metric is "higher is better".
LOWER_IS_BETTER = ("loss", "error", "mse", "mae", "rmse", "perplexity", "time", "seconds", "latency",
                   "bytes", "ece")


# Settings recorded as metrics: neither a higher nor a lower value is better.
NEUTRAL = ("lr", "learning_rate", "momentum")


def shown_goal(key: str, goal: str) -> str:
    """The goal a dashboard shows: the stored one, or "none" for a setting like the learning rate."""
    return "none" if key.rsplit("/", 1)[-1].lower() in NEUTRAL else goal


def goal_for(key: str) -> str:
    name = key.rsplit("/", 1)[-1].lower()
    return "min" if any(word in name for word in LOWER_IS_BETTER) else "max"


class Point(NamedTuple):
    # A tuple, not a dataclass: a batch makes a thousand of them.
    key: str
    step: int
    value: float
    time: float


def points_of(message: dict) -> list[Point]:
    """The points in one `metric` message; keys become `<split>/<name>`."""
    split = str(message.get("split") or "train")
    step = int(message.get("step") or 0)
    at = float(message.get("time") or 0.0)
    values = message.get("values")
    if not isinstance(values, dict):
        return []
    points = []
    for name, value in values.items():
        if value.__class__ is not float and (isinstance(value, bool) or not isinstance(value, (int, float))):
            continue
        if not math.isfinite(value):
            continue
        key = name if "/" in name else f"{split}/{name}"
        points.append(Point(key[:128], step, float(value), at))
    return points


def phase_of(message: dict) -> dict:
    """A `phase` message as the event's data: its name, and the epoch it is in (training)."""
    data = {"phase": str(message.get("phase", ""))[:64]}
    for name in ("epoch", "epochs"):
        if isinstance(message.get(name), int) and not isinstance(message.get(name), bool):
            data[name] = message[name]
    return data


@dataclass
class Ingest:
    run_id: int
    points: list[Point] = field(default_factory=list)
    events: list[tuple[str, dict]] = field(default_factory=list)
    artifacts: list[dict] = field(default_factory=list)
    done: dict | None = None
    dropped: set[str] = field(default_factory=set)
    unsure: "Batch | None" = None  # written when the database went away: stored or not?

    def handle(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "metric":
            self._note_dropped(message)
            self.points.extend(points_of(message))
        elif kind == "log":
            self.events.append((EventKind.LOG, {
                "level": str(message.get("level", "info")),
                "message": str(message.get("message", ""))[:4000]}))
        elif kind == "phase":
            self.events.append((EventKind.PHASE, phase_of(message)))
        elif kind in ("checkpoint", "artifact"):
            self.artifacts.append(message)
        elif kind == "done":
            self.done = message

    def _note_dropped(self, message: dict) -> None:
        # A loss turning NaN is worth one log line, not a crash or a NaN row.
        for name, value in (message.get("values") or {}).items():
            if isinstance(value, float) and not math.isfinite(value) and name not in self.dropped:
                self.dropped.add(name)
                self.events.append((EventKind.LOG, {
                    "level": "warning",
                    "message": f"metric {name!r} became {value} at step {message.get('step')}; "
                               "non-finite values are not stored"}))

    @property
    def pending(self) -> bool:
        return bool(self.points or self.events or self.artifacts or self.unsure)

    def flush(self) -> int | None:
        """Write everything buffered; return the last event id written (or None).

        A batch whose write failed (the database restarting) is kept as it
        was and written first next time, under the same mark: if its COMMIT
        went through unseen, the mark says so and nothing is written twice.
        """
        last = None
        if self.unsure is not None:
            last = self._write(self.unsure)
            self.unsure = None
        if self.points or self.events or self.artifacts:
            self.unsure = Batch(uuid.uuid4().hex, self.points, self.events, self.artifacts)
            self.points, self.events, self.artifacts = [], [], []
            last = self._write(self.unsure) or last
            self.unsure = None
        return last

    def _write(self, batch: "Batch") -> int | None:
        """One batch in one transaction."""
        with transaction.atomic():
            if (batch.events or batch.artifacts) and not first_write(self.run_id, batch.mark):
                log.warning("run %s: a batch stored before (its commit went unseen) was sent again; "
                            "kept once", self.run_id)
                return None
            if not batch.points:
                relax_commit()  # else write_points relaxes it in the same statement
            last = write_points(self.run_id, batch.points, relax=bool(batch.points))
            events = write_artifacts(self.run_id, batch.artifacts)  # their events come first, as they came
            events += [RunEvent.build(self.run_id, kind, payload) for kind, payload in batch.events]
            if events:
                last = RunEvent.objects.bulk_create(events)[-1].pk
            if last is not None:
                transaction.on_commit(lambda: live.publish(self.run_id, last))
        return last


@dataclass
class Batch:
    """What one flush writes, with the mark that recognises it if it is written again."""

    mark: str
    points: list[Point]
    events: list[tuple[str, dict]]
    artifacts: list[dict]


FIRST_WRITE = (
    f"INSERT INTO {IngestMark._meta.db_table} (run_id, batch) VALUES (%s, %s) "
    f"ON CONFLICT (run_id) DO UPDATE SET batch = excluded.batch WHERE {IngestMark._meta.db_table}.batch <> "
    "excluded.batch RETURNING run_id")


def first_write(run_id: int, mark: str) -> bool:
    """Note `mark` as the run's last batch; False if it already was (stored before).

    Only batches with events or artifacts need it: points skip their
    duplicates on their own, and the hot path of metrics pays nothing.
    """
    with connection.cursor() as cursor:
        cursor.execute(FIRST_WRITE, [run_id, mark])
        return cursor.fetchone() is not None


POINT_COLUMNS = ("run_id", "key", "step", "value", "time")


def write_points(run_id: int, points: list[Point], relax: bool = False) -> int | None:
    """Store points, fold them into the summaries and rollups, append metric events.

    The one way points enter the database: series read the summaries and
    rollups kept here. Call inside a transaction; `relax` also does what
    storage.relax_commit does for it.
    """
    if not points:
        return None
    if is_postgres():
        return _write_points_postgres(run_id, points, relax)
    points = _new_points_sqlite(run_id, points)
    if not points:
        return None
    insert_rows(MetricPoint._meta.db_table, POINT_COLUMNS, [(run_id, *p) for p in points])
    update_summaries(run_id, points)
    update_rollups(run_id, points)
    events = [RunEvent(run_id=run_id, kind=EventKind.METRICS, data=data)
              for data in _point_events(run_id, points)]
    return RunEvent.objects.bulk_create(events)[-1].pk


def _unique(points: list[Point]) -> list[Point]:
    """The first point of each (key, step) in a batch."""
    seen: dict[tuple[str, int], Point] = {}
    for point in points:
        seen.setdefault((point.key, point.step), point)
    return list(seen.values()) if len(seen) < len(points) else points


def _new_points_sqlite(run_id: int, points: list[Point]) -> list[Point]:
    """Points not stored yet (SQLite: standalone mode has one writer, so a look first is enough)."""
    points = _unique(points)
    if not points:
        return points
    steps = [p.step for p in points]
    stored = set(MetricPoint.objects.filter(run_id=run_id, key__in={p.key for p in points},
                                            step__gte=min(steps), step__lte=max(steps))
                 .values_list("key", "step"))
    return [p for p in points if (p.key, p.step) not in stored] if stored else points


INSERT_NEW_POINTS = (
    f"INSERT INTO {MetricPoint._meta.db_table} (run_id, key, step, value, time) "
    "SELECT %s, * FROM unnest(%b::text[], %b::bigint[], %b::double precision[], %b::double precision[]) "
    "ON CONFLICT (run_id, key, step) DO NOTHING RETURNING key, step")


def _insert_new_points_postgres(run_id: int, points: list[Point]) -> list[Point]:
    """Insert the batch, skipping (run, key, step) already stored; return the points stored.

    A run resumed from its checkpoint after a lost worker sends again the
    steps since then: they must not be stored or counted twice. Usually
    every point is new and nothing returned is read.
    """
    points = _unique(points)
    connection.ensure_connection()
    # wrap_database_errors: psycopg's errors become Django's (a dropped connection is an OperationalError).
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(INSERT_NEW_POINTS, [run_id, *map(list, zip(*points))])
        if cursor.rowcount == len(points):
            return points
        stored = set(cursor.fetchall())
    return [p for p in points if (p.key, p.step) in stored]


def _write_points_postgres(run_id: int, points: list[Point], relax: bool) -> int | None:
    """Two round trips a batch: the points (duplicates skipped), then one
    statement whose data-modifying WITH queries merge the summaries and
    rollups of the points stored and append the events (and relax the commit)."""
    points = _insert_new_points_postgres(run_id, points)
    if not points:
        if relax:
            relax_commit()
        return None
    events = _point_events(run_id, points)
    summaries, rollups = summary_rows(run_id, points), rollup_rows(run_id, points)
    relaxed = ", relax AS (SELECT set_config('synchronous_commit', 'off', true))" if relax else ""
    sql = (f"WITH summaries AS ({_summary_upsert_sql()}), rollups AS ({rollup_upsert_sql()}){relaxed}, "
           f"events AS (INSERT INTO {RunEvent._meta.db_table} (run_id, kind, data, created) "
           "SELECT %s, %s, data, %s FROM unnest(%b::text[]) WITH ORDINALITY AS e(data, n) ORDER BY n "
           f"RETURNING id) SELECT max(id) FROM events{', relax' if relax else ''}")
    params = [*unnest_params(summaries), *unnest_params(rollups),
              run_id, str(EventKind.METRICS), timezone.now(), events]
    return server_bound(sql, params)[0]


def _point_events(run_id: int, points: list[Point]) -> list[str]:
    """The `metrics` events' data, one per BATCH points. The JSON is written
    directly, the same text json.dumps gives for these dicts (finite floats'
    repr is JSON) in a third of the time."""
    names: dict[str, str] = {}
    parts = []
    for key, step, value, at in points:
        name = names.get(key)
        if name is None:
            name = names[key] = json.dumps(key)
        parts.append(f'{{"key":{name},"step":{step},"value":{value!r},"time":{at!r}}}')
    return [f'{{"run":{run_id},"points":[{",".join(parts[i:i + BATCH])}]}}'
            for i in range(0, len(parts), BATCH)]


def fold(key: str, batch: list[Point]) -> dict:
    """One key's batch as a summary row: latest is the last to arrive."""
    goal = goal_for(key)
    pick = min if goal == "min" else max
    best = pick(batch, key=lambda p: p.value)  # the first of equals: the earliest
    steps = [p.step for p in batch]
    times = [p.time for p in batch]
    values = [p.value for p in batch]
    return {"goal": goal, "latest": batch[-1].value, "latest_step": batch[-1].step,
            "best": best.value, "best_step": best.step, "minimum": min(values), "maximum": max(values),
            "count": len(batch), "first_step": min(steps), "last_step": max(steps),
            "first_time": min(times), "last_time": max(times)}


SUMMARY_COLUMNS = {"run_id": BIGINT, "key": TEXT, "goal": TEXT, "latest": FLOAT, "latest_step": BIGINT,
                   "best": FLOAT, "best_step": BIGINT, "minimum": FLOAT, "maximum": FLOAT,
                   "count": BIGINT, "first_step": BIGINT, "last_step": BIGINT,
                   "first_time": FLOAT, "last_time": FLOAT}


def _summary_updates(table: str) -> str:
    better = (f"({table}.goal = 'min' AND excluded.best < {table}.best) OR "
              f"({table}.goal = 'max' AND excluded.best > {table}.best)")

    def keep(column: str, when: str) -> str:
        return f"{column} = CASE WHEN {when} THEN excluded.{column} ELSE {table}.{column} END"

    return ", ".join([
        "latest = excluded.latest", "latest_step = excluded.latest_step",
        keep("best", better), keep("best_step", better),
        f"count = {table}.count + excluded.count",
        *(keep(c, f"excluded.{c} < {table}.{c}") for c in ("minimum", "first_step", "first_time")),
        *(keep(c, f"excluded.{c} > {table}.{c}") for c in ("maximum", "last_step", "last_time")),
    ])


def summary_rows(run_id: int, points: list[Point]) -> list[tuple]:
    """A batch as rows of SUMMARY_COLUMNS, one per key."""
    by_key: dict[str, list[Point]] = {}
    for point in points:
        by_key.setdefault(point.key, []).append(point)
    return [(run_id, key, *fold(key, batch).values()) for key, batch in by_key.items()]


def _summary_upsert_sql() -> str:
    table = MetricSummary._meta.db_table
    return upsert_sql(table, SUMMARY_COLUMNS, ("run_id", "key"), _summary_updates(table))


def update_summaries(run_id: int, points: list[Point]) -> None:
    """Fold a batch into latest/best/min/max per key, merged in the database."""
    table = MetricSummary._meta.db_table
    upsert_rows(table, SUMMARY_COLUMNS, summary_rows(run_id, points), ("run_id", "key"),
                _summary_updates(table))


# What a message sets on its artifact's row; the row's other fields keep their values.
CHECKPOINT_FIELDS = ["kind", "epoch", "step", "best", "updated"]
DOCUMENT_FIELDS = ["kind", "step", "data", "updated"]


def write_artifacts(run_id: int, messages: list[dict]) -> list[RunEvent]:
    """Store checkpoints (one row per file, updated each time) and small artifact documents;
    return their events, unsaved, in order.

    One upsert per sort of artifact for the whole batch: a run of short epochs sends a
    confusion matrix and per-class figures each epoch, and a query or four per artifact
    was most of its supervisor's database work.
    """
    rows: dict[str, dict[str, Artifact]] = {"checkpoint": {}, "document": {}}
    events = []
    for message in messages:
        if message.get("type") == "checkpoint":
            name = str(message.get("path", ""))[:255]
            rows["checkpoint"][name] = Artifact(
                run_id=run_id, name=name, kind="checkpoint", epoch=message.get("epoch"),
                step=message.get("step"), best=bool(message.get("best")))
            events.append(RunEvent.build(run_id, EventKind.CHECKPOINT, {
                "path": name, "epoch": message.get("epoch"), "best": bool(message.get("best"))}))
            continue
        kind, step = str(message.get("kind", "artifact"))[:32], message.get("step")
        name = f"{kind}/{step}"[:255]
        rows["document"][name] = Artifact(run_id=run_id, name=name, kind=kind, step=step, data=message.get("data"))
        events.append(RunEvent.build(run_id, EventKind.ARTIFACT, {"kind": kind, "step": step,
                                                                  "data": message.get("data")}))
    for sort, fields in (("checkpoint", CHECKPOINT_FIELDS), ("document", DOCUMENT_FIELDS)):
        if rows[sort]:  # the last message for a name wins, as it would written one by one
            Artifact.objects.bulk_create(list(rows[sort].values()), update_conflicts=True,
                                         unique_fields=["run", "name"], update_fields=fields)
    return events
