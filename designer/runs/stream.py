"""`GET /api/runs/<id>/events`: Server-Sent Events under ASGI (docs/contracts.md section 4).

The database is the record: the stream sends RunEvent rows after the id the
browser last saw (Last-Event-ID), then waits for a Redis wake-up on
`run:<id>` (or polls the database every 0.2 s without Redis), sends what is
new, keeps the connection alive with comments, and ends after the event
that puts the run in a final state.
"""
from __future__ import annotations

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import JsonResponse, StreamingHttpResponse

from designer.core.errors import InputProblem
from designer.core.params import query_int
from designer.core.permissions import NOT_FOUND, role_of
from designer.runs import live
from designer.runs.models import TERMINAL_STATES, EventKind, Run, RunEvent

POLL_SECONDS = 0.2
KEEPALIVE_SECONDS = 15.0
# With Redis, the database is still read now and then: a lost wake-up costs
# at most this long.
RECHECK_SECONDS = 2.0
PAGE = 500


async def _user(request):
    """Session user, or the owner of an `Authorization: Token <key>` header."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        from rest_framework.authtoken.models import Token

        token = await Token.objects.select_related("user").filter(key=header[6:].strip()).afirst()
        return token.user if token and token.user.is_active else None
    user = await request.auser()
    return user if user.is_authenticated else None


@sync_to_async
def _release_connection() -> None:
    """Give this request's database connection back to the pool.

    A stream lives for minutes and reads the database for a few
    milliseconds now and then: it must not keep a connection while it
    waits, or a few hundred viewers exhaust the server. The async ORM runs
    each query in this request's one thread (thread-sensitive), so closing
    that thread's connection here releases the one the stream used. (Not
    inside a transaction: only the tests' wrap the request in one.)
    """
    if not connection.in_atomic_block:
        connection.close()


def _last_event_id(request) -> int:
    """Where to resume: the header a reconnecting browser sends, or ?after=; 0 when unusable."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    try:
        return query_int({"after": raw}, "after")
    except InputProblem:
        return 0


async def run_events(request, pk: int):
    if request.method != "GET":
        return JsonResponse({"detail": "Use GET."}, status=405)
    user = await _user(request)
    if user is None:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=403)
    run = await Run.objects.select_related("project").filter(pk=pk).afirst()
    allowed = run is not None and await sync_to_async(role_of)(run.project, user) is not None
    await _release_connection()
    if not allowed:
        return JsonResponse({"detail": NOT_FOUND}, status=404)
    response = StreamingHttpResponse(events(pk, _last_event_id(request)), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies must not hold events back
    return response


def _frame(event: RunEvent) -> str:
    return f"id: {event.pk}\nevent: {event.kind}\ndata: {event.data}\n\n"


def _ends_run(event: RunEvent) -> bool:
    return event.kind == EventKind.STATE and json.loads(event.data).get("state") in TERMINAL_STATES


async def _page(run_id: int, after: int) -> list[RunEvent]:
    query = RunEvent.objects.filter(run_id=run_id, pk__gt=after).order_by("pk").only("pk", "kind", "data")
    try:
        return [event async for event in query[:PAGE]]
    finally:
        await _release_connection()


async def events(run_id: int, after: int):
    """The stream itself: replay, then live, until the run's final state."""
    waker = await Waker.open(run_id)
    last_sent = time.monotonic()
    try:
        yield "retry: 1000\n\n"
        while True:
            page = await _page(run_id, after)
            for event in page:
                yield _frame(event)
                after, last_sent = event.pk, time.monotonic()
                if _ends_run(event):
                    return
            if len(page) == PAGE:
                continue
            if not page and await _finished_without_event(run_id):
                # The final event may have landed between the read and the check.
                for event in await _page(run_id, after):
                    yield _frame(event)
                return
            await waker.wait(RECHECK_SECONDS if waker.live else POLL_SECONDS)
            if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
    finally:
        await waker.close()


async def _finished_without_event(run_id: int) -> bool:
    """A run that ended and whose final event the browser already has: stop."""
    try:
        state = await Run.objects.filter(pk=run_id).values_list("state", flat=True).afirst()
    finally:
        await _release_connection()
    return state is None or state in TERMINAL_STATES


class Waker:
    """Redis pub/sub on `run:<id>` when Redis is configured; otherwise a sleep (polling).

    Redis going away (a restart) never ends a stream: the waker falls back to
    polling the database and subscribes again once Redis answers.
    """

    RESUBSCRIBE_SECONDS = 1.0

    def __init__(self, run_id: int):
        self.run_id, self.pubsub, self.client = run_id, None, None
        self.next_try = 0.0

    @property
    def live(self) -> bool:
        return self.pubsub is not None

    @classmethod
    async def open(cls, run_id: int) -> "Waker":
        waker = cls(run_id)
        await waker._subscribe()
        return waker

    async def _subscribe(self) -> None:
        if not live.redis_enabled() or time.monotonic() < self.next_try:
            return
        import redis.asyncio as redis

        self.client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
        self.pubsub = self.client.pubsub()
        try:
            await self.pubsub.subscribe(live.channel(self.run_id))
        except (redis.RedisError, OSError):
            await self.close()  # Redis down: the database still answers, by polling

    async def wait(self, timeout: float) -> None:
        if self.pubsub is None:
            await asyncio.sleep(timeout)
            await self._subscribe()
            return
        import redis.asyncio as redis

        try:
            await self._next_message(timeout)
        except (redis.RedisError, OSError):
            await self.close()

    async def _next_message(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None:
                # Several wake-ups may be queued: one read of the DB serves them all.
                while await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=0):
                    pass
                return

    async def close(self) -> None:
        pubsub, client, self.pubsub, self.client = self.pubsub, self.client, None, None
        self.next_try = time.monotonic() + self.RESUBSCRIBE_SECONDS
        for part in (pubsub, client):
            if part is not None:
                try:
                    await part.aclose()
                except Exception:  # closing a connection to a Redis that went away
                    pass
