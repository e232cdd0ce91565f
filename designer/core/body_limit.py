"""ASGI wrapper: refuse an oversized body before Django spools it to disk.

Django's ASGI handler reads the whole request body into a temporary file
before any middleware runs, so a 2 GiB POST was stored in full before the
400. This wrapper answers from Content-Length at once, and for a body sent
without one (chunked) stops reading as soon as it passes the limit.
"""
from __future__ import annotations

import asyncio
import json

from designer.core.middleware import body_limit, too_large

# What is read and thrown away past the limit before the 400, so the client has sent what it had
# in flight: closing a socket with unread data resets it (RST), and the client may lose the 400 it
# was about to read. Bounded in bytes and in idle time; a client that keeps sending is cut off.
DRAIN_BYTES = 1024 * 1024
DRAIN_IDLE_S = 0.2


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        limit, setting = body_limit(headers.get(b"content-type", b"").decode("latin-1"))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
            return await _refuse(send, too_large(limit, setting, int(declared[:19])))
        received, started = 0, False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _drain(receive)
                await _refuse(send, too_large(limit, setting))


async def _drain(receive) -> None:
    """Read (and drop) what the client still sends, up to DRAIN_BYTES or DRAIN_IDLE_S of silence."""
    drained = 0
    while drained < DRAIN_BYTES:
        try:
            message = await asyncio.wait_for(receive(), DRAIN_IDLE_S)
        except asyncio.TimeoutError:
            return
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        drained += len(message.get("body", b""))


async def _refuse(send, body: dict) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
