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
from django.http import JsonResponse, StreamingHttpResponse

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


def _last_event_id(request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    return int(raw) if raw.isdigit() else 0


async def run_events(request, pk: int):
    if request.method != "GET":
        return JsonResponse({"detail": "Use GET."}, status=405)
    user = await _user(request)
    if user is None:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=403)
    run = await Run.objects.select_related("project").filter(pk=pk).afirst()
    if run is None or await sync_to_async(role_of)(run.project, user) is None:
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
    return [event async for event in query[:PAGE]]


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
                return
            await waker.wait(RECHECK_SECONDS if waker.live else POLL_SECONDS)
            if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
    finally:
        await waker.close()


async def _finished_without_event(run_id: int) -> bool:
    """A run that ended and whose final event the browser already has: stop."""
    state = await Run.objects.filter(pk=run_id).values_list("state", flat=True).afirst()
    return state is None or state in TERMINAL_STATES


class Waker:
    """Redis pub/sub on `run:<id>` when Redis is configured; otherwise a sleep (polling)."""

    def __init__(self, pubsub=None, client=None):
        self.pubsub, self.client = pubsub, client

    @property
    def live(self) -> bool:
        return self.pubsub is not None

    @classmethod
    async def open(cls, run_id: int) -> "Waker":
        if not live.redis_enabled():
            return cls()
        import redis.asyncio as redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(live.channel(run_id))
        except Exception:
            await client.aclose()
            return cls()  # Redis down: the database still answers, by polling
        return cls(pubsub, client)

    async def wait(self, timeout: float) -> None:
        if self.pubsub is None:
            await asyncio.sleep(timeout)
            return
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None:
                # Several wake-ups may be queued: one read of the DB serves them all.
                while await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=0):
                    pass
                return

    async def close(self) -> None:
        if self.pubsub is not None:
            await self.pubsub.aclose()
            await self.client.aclose()
