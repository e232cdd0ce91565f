"""`GET /api/runs/<id>/events`: Server-Sent Events under ASGI (docs/contracts.md section 4).

The database is the record: the stream sends RunEvent rows after the id the
browser last saw (Last-Event-ID), then waits for a Redis wake-up on
`run:<id>` (designer/runs/wakeups.py: one subscriber per process for all its
streams; without Redis the stream polls the database every 0.2 s), sends
what is new (one query for all the streams of a run at the same event),
keeps the connection alive with comments, and ends after the event that
puts the run in a final state.
"""
from __future__ import annotations

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.db import OperationalError, connection
from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from designer.core.errors import InputProblem
from designer.core.params import query_int
from designer.core.permissions import NOT_FOUND, role_of
from designer.runs import wakeups
from designer.runs.models import TERMINAL_STATES, EventKind, Run, RunEvent

POLL_SECONDS = 0.2
# Redis configured but away (restarting): poll, gently, until it is back.
OUTAGE_POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
# With Redis, the database is still read now and then: a lost wake-up costs
# at most this long.
RECHECK_SECONDS = 2.0
PAGE = 500


def _user(request):
    """Session user, or the owner of an `Authorization: Token <key>` header."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        from rest_framework.authtoken.models import Token

        token = Token.objects.select_related("user").filter(key=header[6:].strip()).first()
        return token.user if token and token.user.is_active else None
    return request.user if request.user.is_authenticated else None


def _release_connection() -> None:
    """Give this thread's database connection back to the pool.

    A stream lives for minutes and reads the database for a few
    milliseconds now and then: it must not keep a connection while it
    waits, or a few hundred viewers exhaust the server. Each read below is
    one sync function (one trip to a thread, thread-sensitive) that queries
    and then releases. (Not inside a transaction: only the tests' wrap the
    request in one.)
    """
    if not connection.in_atomic_block:
        connection.close()


@sync_to_async
def _access(request, pk: int) -> int:
    """200, 403 (nobody signed in) or 404 (no such run, or not a member): one trip to the database."""
    try:
        user = _user(request)
        if user is None:
            return 403
        run = Run.objects.select_related("project").filter(pk=pk).first()
        return 200 if run is not None and role_of(run.project, user) is not None else 404
    finally:
        _release_connection()


def _last_event_id(request) -> int:
    """Where to resume: the header a reconnecting browser sends, or ?after=; 0 when unusable."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    try:
        return query_int({"after": raw}, "after")
    except InputProblem:
        return 0


@csrf_exempt  # GET only (anything else is a JSON 405), and no state changes: no CSRF page
async def run_events(request, pk: int):
    if request.method != "GET":
        return JsonResponse({"detail": "Use GET."}, status=405)
    status = await _access(request, pk)
    if status == 403:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=403)
    if status == 404:
        return JsonResponse({"detail": NOT_FOUND}, status=404)
    response = StreamingHttpResponse(events(pk, _last_event_id(request)), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies must not hold events back
    return response


def _frame(event: RunEvent) -> str:
    return f"id: {event.pk}\nevent: {event.kind}\ndata: {event.data}\n\n"


def _ends_run(event: RunEvent) -> bool:
    return event.kind == EventKind.STATE and json.loads(event.data).get("state") in TERMINAL_STATES


@sync_to_async
def _page(run_id: int, after: int) -> list[RunEvent]:
    query = RunEvent.objects.filter(run_id=run_id, pk__gt=after).order_by("pk").only("pk", "kind", "data")
    try:
        return list(query[:PAGE])
    finally:
        _release_connection()


@sync_to_async
def _state(run_id: int) -> str | None:
    try:
        return Run.objects.filter(pk=run_id).values_list("state", flat=True).first()
    finally:
        _release_connection()


_reading: dict[tuple, asyncio.Future] = {}


async def _shared(waker: wakeups.Listener, read, *args):
    """`await read(*args)`, once for all the streams of this process woken by the same wake-up.

    A wake-up sets every stream of the run together, and they all stand at
    the same event: 50 viewers of a run made 50 identical queries per
    flush (500 a second for 4 runs), which crowded the pool and the
    server. Now the first asks and the others share its answer. A stream
    woken by a later wake-up never joins an earlier read (it might miss
    the event it was woken for): the wake-up count is part of the key.
    """
    key = (asyncio.get_running_loop(), waker.generation, read, *args)
    pending = _reading.get(key)
    if pending is None:
        pending = _reading[key] = asyncio.ensure_future(read(*args))
        pending.add_done_callback(lambda _: _reading.pop(key, None))
    return await asyncio.shield(pending)  # one stream going away cancels nobody's read


async def events(run_id: int, after: int):
    """The stream itself: replay, then live, until the run's final state."""
    waker = wakeups.listen(run_id)
    last_sent = time.monotonic()
    try:
        yield "retry: 1000\n\n"
        while True:
            try:
                page, finished = await _read(waker, run_id, after)
            except OperationalError:
                # The database is restarting or its connections are all busy:
                # keep the stream (a reconnect would only add load), read again soon.
                page, finished = [], False
            for event in page:
                yield _frame(event)
                after, last_sent = event.pk, time.monotonic()
                if _ends_run(event):
                    return
            if finished:
                return
            if len(page) < PAGE:
                await waker.wait(_wait_seconds(waker))
            if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
    finally:
        waker.close()


def _wait_seconds(waker: wakeups.Listener) -> float:
    if waker.live:
        return RECHECK_SECONDS
    return POLL_SECONDS if waker.hub is None else OUTAGE_POLL_SECONDS


async def _read(waker: wakeups.Listener, run_id: int, after: int) -> tuple[list[RunEvent], bool]:
    """The next page of events, and whether the stream is over (the run ended
    and the browser has its final event)."""
    page = await _shared(waker, _page, run_id, after)
    if page:
        return page, False
    state = await _shared(waker, _state, run_id)
    if state is not None and state not in TERMINAL_STATES:
        return page, False
    # The final event may have landed between the read and the check: read once more, alone.
    return await _page(run_id, after), True
