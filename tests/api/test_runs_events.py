"""The SSE endpoint through Django's test client: access, replay after Last-Event-ID, the end.

(Live delivery through uvicorn and Redis is covered in tests/workers/test_team_mode.py.)
"""
from __future__ import annotations

import json
from urllib.parse import urlparse, urlunparse

import pytest
from asgiref.sync import async_to_sync

from designer.runs import lifecycle
from designer.runs.models import Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_run(graph, owner):
    run = Run.objects.create(project=graph.project, graph_version=graph.head, created_by=owner, dataset={},
                             config={}, state="succeeded")
    ids = [lifecycle.add_event(run.pk, "state", {"state": "running", "error": ""}),
           lifecycle.add_event(run.pk, "metrics", {"points": [{"key": "train/loss", "step": 1, "value": 0.5,
                                                               "time": 1.0}]}),
           lifecycle.add_event(run.pk, "state", {"state": "succeeded", "error": ""})]
    return run, ids


async def _drain(stream) -> bytes:
    return b"".join([chunk async for chunk in stream])


def frames(response) -> list[dict]:
    # The stream is async (ASGI); drained here in this thread, so it sees the test's transaction.
    text = async_to_sync(_drain)(response.streaming_content).decode()
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "data" in fields:
            out.append({"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])})
    return out


@pytest.mark.parametrize("who, status", [("owner", 200), ("editor", 200), ("viewer", 200),
                                         ("outsider", 404), ("anonymous", 403)])
def test_it_streams_a_runs_events_to_members_only(clients, finished_run, who, status):
    run, ids = finished_run
    response = clients[who].get(f"/api/runs/{run.pk}/events")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "text/event-stream"
        got = frames(response)
        assert [f["id"] for f in got] == ids
        assert got[1]["event"] == "metrics" and got[1]["data"]["points"][0]["value"] == 0.5
        assert got[-1]["data"] == {"run": run.pk, "state": "succeeded", "error": ""}


def test_it_replays_only_what_came_after_last_event_id(viewer_client, finished_run):
    run, ids = finished_run
    got = frames(viewer_client.get(f"/api/runs/{run.pk}/events", HTTP_LAST_EVENT_ID=str(ids[0])))
    assert [f["id"] for f in got] == ids[1:]


def test_it_ends_at_once_when_the_browser_already_has_the_final_state(viewer_client, finished_run):
    run, ids = finished_run
    assert frames(viewer_client.get(f"/api/runs/{run.pk}/events", HTTP_LAST_EVENT_ID=str(ids[-1]))) == []


def test_it_accepts_a_token(client, finished_run, owner):
    from rest_framework.authtoken.models import Token

    run, ids = finished_run
    token = Token.objects.create(user=owner)
    response = client.get(f"/api/runs/{run.pk}/events", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and len(frames(response)) == 3
    assert client.get(f"/api/runs/{run.pk}/events", HTTP_AUTHORIZATION="Token nope").status_code == 403


def test_streams_woken_by_one_wake_up_share_one_read_and_a_later_one_reads_again():
    """50 viewers of a run wake together: one query serves them. A stream woken by a later
    wake-up must not join that read (it could miss the event it was woken for)."""
    import asyncio

    from designer.runs import stream, wakeups

    reads = []

    async def read(run_id, after):
        reads.append(after)
        await asyncio.sleep(0.05)  # the query takes a while: everyone woken meanwhile joins
        return [after]

    async def scenario():
        hub = wakeups.Hub()
        hub.task = asyncio.get_running_loop().create_future()  # no Redis here: the hub is driven by hand
        viewers = [hub.add(7) for _ in range(50)]
        hub.wake(7)
        first = [asyncio.ensure_future(stream._shared(v, read, 7, 100)) for v in viewers[:-1]]
        await asyncio.sleep(0.01)
        hub.wake(7)  # a new event while the first read runs
        late = await stream._shared(viewers[-1], read, 7, 100)
        return await asyncio.gather(*first), late

    together, late = asyncio.run(scenario())
    assert together == [[100]] * 49 and late == [100]
    assert reads == [100, 100]  # one read for the 49, one for the stream woken later


def test_wake_ups_stay_within_their_redis_database(settings):
    """Publish/subscribe ignores Redis' database number: a deployment on database 3 of a shared
    Redis must not wake the streams of one on database 4 (nor a test shard another's)."""
    import asyncio

    import redis

    from designer.runs import live, wakeups

    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (a real Redis)")
    ours = settings.REDIS_URL
    here, mine = redis.Redis.from_url(ours), live.channel(1)
    neighbour = (here.get_connection_kwargs().get("db", 0) + 1) % 16  # another database of the same server
    settings.REDIS_URL = urlunparse(urlparse(ours)._replace(path=f"/{neighbour}"))
    theirs = live.channel(1)
    settings.REDIS_URL = ours
    assert mine != theirs

    async def scenario() -> tuple[bool, bool]:
        listener = wakeups.listen(1)
        try:
            deadline = asyncio.get_running_loop().time() + 10
            while not listener.live:
                assert asyncio.get_running_loop().time() < deadline, "never subscribed"
                await asyncio.sleep(0.02)
            listener.event.clear()
            here.publish(theirs, "42")
            woken_by_neighbour = await _woken(listener, 0.5)
            here.publish(mine, "43")
            return woken_by_neighbour, await _woken(listener, 10)
        finally:
            listener.close()

    assert asyncio.run(scenario()) == (False, True)


async def _woken(listener, seconds: float) -> bool:
    import asyncio

    try:
        await asyncio.wait_for(listener.event.wait(), seconds)
        return True
    except TimeoutError:
        return False


def test_a_followed_run_is_marked_watched_while_its_streams_last(settings):
    """The hub marks the runs its streams follow (renewed, expiring), and only those: the
    supervisors write a watched run's points every 0.1 s, any other's once a second."""
    import asyncio

    from designer.runs import live, wakeups

    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (a real Redis)")
    client = live._client()
    client.delete(live.watched_key(9101), live.watched_key(9102))

    async def scenario() -> tuple[bool, bool, float]:
        listener = wakeups.listen(9101)
        try:
            deadline = asyncio.get_running_loop().time() + 10
            while not live.watched(9101):
                assert asyncio.get_running_loop().time() < deadline, "never marked watched"
                await asyncio.sleep(0.02)
            return live.watched(9101), live.watched(9102), client.ttl(live.watched_key(9101))
        finally:
            listener.close()

    followed, other, ttl = asyncio.run(scenario())
    assert (followed, other) == (True, False)
    assert 0 < ttl <= live.WATCHED_SECONDS  # gone by itself once no stream renews it


def test_without_redis_every_run_counts_as_watched(settings):
    from designer.runs import live

    settings.REDIS_URL = ""
    assert live.watched(1)  # nobody can tell: write as promptly as for a viewer
