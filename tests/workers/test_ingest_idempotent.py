"""Ingest is idempotent on (run, key, step): a run resumed after a takeover sends
again the steps since its checkpoint, and they are stored and counted once."""
from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, transaction

from designer.runs.ingest import Ingest
from designer.runs.models import Artifact, MetricPoint, MetricRollup, MetricSummary, RunEvent

pytestmark = pytest.mark.django_db


def _metric(step: int, loss: float) -> dict:
    return {"type": "metric", "step": step, "split": "train", "time": 1.7e9 + step, "values": {"loss": loss}}


def _ingest(run_id: int, messages: list[dict]) -> None:
    ingest = Ingest(run_id)
    for message in messages:
        ingest.handle(message)
    ingest.flush()


def test_steps_sent_again_after_a_takeover_are_stored_and_counted_once(make_run):
    run = make_run()
    _ingest(run.pk, [_metric(step, 1.0 / step) for step in range(1, 203)])  # the first worker, to 202
    # The second resumes from the checkpoint at step 200: 201 and 202 come again (other values).
    _ingest(run.pk, [_metric(step, 5.0) for step in range(201, 301)])
    rows = MetricPoint.objects.filter(run=run, key="train/loss")
    assert rows.count() == 300 == len(set(rows.values_list("step", flat=True)))
    assert rows.get(step=201).value == 1.0 / 201  # the first kept
    summary = MetricSummary.objects.get(run=run, key="train/loss")
    assert (summary.count, summary.first_step, summary.last_step) == (300, 1, 300)
    assert sum(r.count for r in MetricRollup.objects.filter(run=run, key="train/loss", width=16)) == 300
    streamed = [p["step"] for e in RunEvent.objects.filter(run=run, kind="metrics")
                for p in json.loads(e.data)["points"]]
    assert sorted(streamed) == list(range(1, 301))  # live viewers see each step once too


def test_a_batch_seen_entirely_before_writes_nothing(make_run):
    run = make_run()
    batch = [_metric(step, 0.5) for step in range(1, 11)]
    _ingest(run.pk, batch)
    events = RunEvent.objects.filter(run=run).count()
    _ingest(run.pk, batch)
    assert MetricPoint.objects.filter(run=run).count() == 10
    assert MetricSummary.objects.get(run=run, key="train/loss").count == 10
    assert RunEvent.objects.filter(run=run).count() == events


def test_a_step_repeated_within_one_batch_is_kept_once(make_run):
    run = make_run()
    _ingest(run.pk, [_metric(1, 0.9), _metric(1, 0.1), _metric(2, 0.8)])
    assert list(MetricPoint.objects.filter(run=run).order_by("step").values_list("step", "value")) == \
        [(1, 0.9), (2, 0.8)]
    assert MetricSummary.objects.get(run=run, key="train/loss").count == 2


def test_the_database_refuses_a_duplicate_point(make_run):
    run = make_run()
    MetricPoint.objects.create(run=run, key="train/loss", step=1, value=1.0, time=0.0)
    with pytest.raises(IntegrityError), transaction.atomic():
        MetricPoint.objects.create(run=run, key="train/loss", step=1, value=2.0, time=0.0)


OUTPUT = [
    {"type": "log", "level": "info", "message": "epoch 3 of 5"},
    {"type": "phase", "phase": "training", "epoch": 3, "epochs": 5},
    {"type": "checkpoint", "path": "checkpoints/last.pt", "epoch": 3, "step": 30, "best": False},
    {"type": "artifact", "kind": "confusion", "step": 30, "data": {"matrix": [[1, 0], [0, 1]]}},
    _metric(30, 0.25),
]


@pytest.mark.django_db(transaction=True)  # the ingest's own transaction commits for real
def test_a_batch_whose_commit_went_unseen_is_stored_once(make_run, monkeypatch):
    """The connection drops after the COMMIT reached the server, before its answer came
    back: the supervision sees an OperationalError and writes the batch again (through
    its outage backoff); logs, phases, checkpoints and artifacts are stored once."""
    from django.db import OperationalError

    from designer.runs import live
    from designer.runs.outage import Outage

    run = make_run()
    ingest = Ingest(run.pk)
    for message in OUTPUT:
        ingest.handle(message)

    def answer_lost(run_id, event_id):  # on_commit: the transaction is stored by now
        monkeypatch.undo()
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(live, "publish", answer_lost)
    with pytest.raises(OperationalError):
        ingest.flush()
    assert RunEvent.objects.filter(run=run).count() == 5  # it did go in
    ingest.handle({"type": "log", "level": "info", "message": "epoch 4 of 5"})  # printed meanwhile
    Outage(run.pk).call(ingest.flush)
    kinds = list(RunEvent.objects.filter(run=run).values_list("kind", flat=True))
    assert sorted(kinds) == sorted(["log", "phase", "checkpoint", "artifact", "metrics", "log"])
    logs = [json.loads(d)["message"] for d in RunEvent.objects.filter(run=run, kind="log").values_list("data", flat=True)]
    assert logs == ["epoch 3 of 5", "epoch 4 of 5"]
    assert MetricPoint.objects.filter(run=run).count() == 1


def test_the_same_output_printed_twice_is_stored_twice(make_run):
    """Only a batch written again is recognised: a job that logs the same line twice keeps both."""
    run = make_run()
    _ingest(run.pk, [OUTPUT[0]])
    _ingest(run.pk, [OUTPUT[0]])
    assert RunEvent.objects.filter(run=run, kind="log").count() == 2


def test_artifacts_of_a_batch_are_upserted_by_name_and_their_events_keep_their_order(make_run):
    run = make_run()
    matrix = {"type": "artifact", "kind": "confusion_matrix", "step": 12, "data": [[1, 0], [0, 1]]}
    _ingest(run.pk, [
        {"type": "checkpoint", "path": "checkpoints/last.pt", "epoch": 1, "step": 12},
        matrix,
        {"type": "log", "level": "info", "message": "epoch 1/2 done"},
        {"type": "checkpoint", "path": "checkpoints/last.pt", "epoch": 2, "step": 24, "best": True},
    ])
    last = Artifact.objects.get(run=run, name="checkpoints/last.pt")
    assert (last.kind, last.epoch, last.step, last.best, last.data) == ("checkpoint", 2, 24, True, None)
    assert Artifact.objects.get(run=run, name="confusion_matrix/12").data == [[1, 0], [0, 1]]
    # A later batch updates a row in place: one row per name, the fields a message does not set kept.
    _ingest(run.pk, [{**matrix, "data": [[2, 0], [0, 2]]},
                     {"type": "checkpoint", "path": "checkpoints/last.pt", "epoch": 3, "step": 36}])
    assert Artifact.objects.filter(run=run).count() == 2
    assert Artifact.objects.get(run=run, name="confusion_matrix/12").data == [[2, 0], [0, 2]]
    assert Artifact.objects.get(run=run, name="checkpoints/last.pt").epoch == 3
    kinds = list(RunEvent.objects.filter(run=run).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["checkpoint", "artifact", "checkpoint", "log", "artifact", "checkpoint"]
