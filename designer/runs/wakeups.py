"""One Redis subscriber per web process, fanning wake-ups out to its SSE streams.

Each stream used to open its own pub/sub connection: 500 viewers were 500
Redis connections and 500 reader coroutines. Now the process (its event
loop) holds one connection subscribed to the pattern `db<n>:run:*`; a message
about run 12 sets the event of every stream following run 12, which then
reads the database (the record; designer/runs/live.py publishes).

The pattern brings the process every run's wake-ups, a few small messages a
second per running run, in exchange for never subscribing or unsubscribing
per stream. While subscribed it also marks each run it has streams of as
watched (live.watched_key, renewed every few seconds): supervisors write the
points of a watched run every 0.1 s, of any other once a second. The
connection is opened with the first stream and closed with the last. Redis
going away (a restart) ends no stream: the hub says it is
not live, streams poll the database meanwhile, and it subscribes again
every RECONNECT_SECONDS; once back it wakes every stream, since a wake-up
published while it was away is lost.
"""
from __future__ import annotations

import asyncio
import logging
import time
import weakref

from django.conf import settings

from designer.runs import live

log = logging.getLogger("netweave.runs.wakeups")

RECONNECT_SECONDS = 1.0
# Seconds between PINGs on an idle connection: a half-open one is noticed.
HEALTH_CHECK_SECONDS = 15
# The reader looks up at least this often (to end once the last stream went).
READ_SECONDS = 1.0


class Listener:
    """One stream's wake-up: set when its run has news (or the hub reconnected)."""

    def __init__(self, hub: "Hub | None", run_id: int):
        self.hub, self.run_id, self.event = hub, run_id, asyncio.Event()

    @property
    def live(self) -> bool:
        """Are wake-ups arriving? If not, the stream must poll."""
        return self.hub is not None and self.hub.live

    @property
    def generation(self) -> tuple[int, int]:
        """Counts the wake-ups of this run so far: streams woken by the same one may share a read."""
        if self.hub is None:
            return (0, 0)
        return (self.hub.woken_all, self.hub.woken.get(self.run_id, 0))

    async def wait(self, timeout: float) -> None:
        """Until a wake-up or `timeout`; wake-ups that came meanwhile count (none is missed)."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except TimeoutError:
            pass
        self.event.clear()

    def close(self) -> None:
        if self.hub is not None:
            self.hub.remove(self)
            self.hub = None


class Hub:
    """The process's one subscription, for the streams of one event loop."""

    def __init__(self):
        self.listeners: dict[int, set[Listener]] = {}
        self.woken: dict[int, int] = {}  # wake-ups per run followed
        self.woken_all = 0
        self.live = False
        self.task: asyncio.Task | None = None
        self.marked = 0.0  # when the runs followed were last marked watched (0: mark at once)

    def add(self, run_id: int) -> Listener:
        listener = Listener(self, run_id)
        if run_id not in self.listeners:
            self.marked = 0.0  # a run newly followed is marked within a read
        self.listeners.setdefault(run_id, set()).add(listener)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run(), name="netweave-wakeups")
        return listener

    def remove(self, listener: Listener) -> None:
        followers = self.listeners.get(listener.run_id)
        if followers is not None:
            followers.discard(listener)
            if not followers:
                del self.listeners[listener.run_id]
                self.woken.pop(listener.run_id, None)
        if not self.listeners and self.task is not None:
            self.task.cancel()  # the last stream went: so does the connection
            self.task, self.live = None, False

    def wake(self, run_id: int | None = None) -> None:
        """Set the events of one run's streams, or of all (None)."""
        if run_id is None:
            self.woken_all += 1
        elif run_id in self.listeners:
            self.woken[run_id] = self.woken.get(run_id, 0) + 1
        groups = self.listeners.values() if run_id is None else [self.listeners.get(run_id, ())]
        for followers in groups:
            for listener in followers:
                listener.event.set()

    def _current(self) -> bool:
        """Is the running task still this hub's? A cancel can be swallowed inside redis-py
        (turned into a timeout): the task then sees it was replaced, and ends."""
        return self.task is not None and self.task is asyncio.current_task()

    async def _run(self) -> None:
        import redis.asyncio as redis

        while self._current():
            try:
                await self._subscribed(redis)
            except (redis.RedisError, OSError) as exc:
                if self.live:
                    log.warning("wake-ups lost (%s); streams poll the database until Redis is back", exc)
            except Exception:  # never leave the streams without wake-ups for good
                log.exception("wake-ups: unexpected error; subscribing again")
            finally:
                if self._current():  # a replaced task must not speak for its successor
                    self.live = False
            if self._current():
                self.wake()  # poll now: what happened meanwhile is in the database
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _subscribed(self, redis) -> None:
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # No retries inside redis-py: this loop is the retry, and a stream must never wait on one.
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0),
                                      health_check_interval=HEALTH_CHECK_SECONDS)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pattern = live.channel("*")
            await pubsub.psubscribe(pattern)
            if self._current() and not self.live:
                log.info("wake-ups: subscribed to %s on Redis", pattern)
                self.live = True
                self.wake()  # wake-ups published before this subscription are lost: read again
            while self._current():
                if time.monotonic() - self.marked >= live.WATCH_RENEW_SECONDS:
                    await self._mark_watched(client)
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=READ_SECONDS)
                if message is not None:
                    self._dispatch(message)
        finally:
            await _quietly_close(pubsub, client)

    async def _mark_watched(self, client) -> None:
        """Mark every run this process has streams of as watched, for live.WATCHED_SECONDS."""
        self.marked = time.monotonic()
        async with client.pipeline(transaction=False) as pipe:
            for run_id in list(self.listeners):
                pipe.set(live.watched_key(run_id), 1, ex=live.WATCHED_SECONDS)
            await pipe.execute()

    def _dispatch(self, message: dict) -> None:
        channel = message.get("channel", b"")
        _, _, run = (channel.decode() if isinstance(channel, bytes) else str(channel)).rpartition(":")
        if run.isascii() and run.isdigit():
            self.wake(int(run))


async def _quietly_close(*parts) -> None:
    for part in parts:
        try:
            await part.aclose()
        except Exception:  # closing a connection to a Redis that went away
            pass


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def listen(run_id: int) -> Listener:
    """A wake-up for a stream of `run_id`, from this event loop's hub (no hub without Redis)."""
    if not live.redis_enabled():
        return Listener(None, run_id)
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub.add(run_id)
