"""Bounded request bodies for the project's HTTP doors (Slack, the helpdesk, Telegram's webhook).

`read_body(request, limit)` returns the whole body, or raises `BodyTooLarge` as soon as the
declared Content-Length or the bytes received so far pass `limit`. What lies beyond is never
read: a huge or endless POST costs at most `limit` plus one chunk of memory, and the caller
answers 413 at once (the server then closes the connection instead of draining it).
"""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLarge(Exception):
    """The request's body is (or says it is) longer than the door takes."""


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"Content-Length {declared} > {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"more than {limit} bytes")
    return bytes(body)
