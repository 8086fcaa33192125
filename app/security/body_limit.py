"""Request bodies over a limit are refused while they stream in, never spooled first.

A declared Content-Length over the limit is answered 413 before anything is read; a body without
one (chunked) is counted as it arrives and cut off once it passes the limit. Each path prefix has
its own limit and its own way of saying no (the API's JSON error, or an HTML page).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Builds the 413 for a request (its scope) and the limit it passed.
Refusal = Callable[[Scope, int], Response]


@dataclass(frozen=True)
class BodyLimit:
    """The largest body accepted on paths starting with `prefix` (or equal to it)."""

    prefix: str
    max_bytes: int
    refuse: Refusal

    def applies_to(self, path: str) -> bool:
        """True for `prefix` itself and paths under it."""
        return path == self.prefix.rstrip("/") or path.startswith(self.prefix)


class BodySizeLimitMiddleware:
    """413 for a request whose body is over its path's limit; the first matching limit wins."""

    def __init__(self, app: ASGIApp, *, limits: Sequence[BodyLimit]) -> None:
        self.app = app
        self.limits = list(limits)

    def limit_for(self, path: str) -> BodyLimit | None:
        """The limit of a path, or None when bodies to it are not limited here."""
        return next((limit for limit in self.limits if limit.applies_to(path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the streamed bytes."""
        limit = self.limit_for(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await _refuse(limit, scope, receive, send)
            return
        received = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if too_large or message["type"] != "http.request":
                return message
            received += len(message.get("body", b""))
            if received > limit.max_bytes:
                # End the body here; the app's response is replaced by a 413 below. (Raising
                # would not work: middleware between here and the route wraps the error.)
                too_large = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            if not too_large:
                await send(message)
            elif message["type"] == "http.response.start":
                await _refuse(limit, scope, receive, send)

        await self.app(scope, counting_receive, guarded_send)


async def _refuse(limit: BodyLimit, scope: Scope, receive: Receive, send: Send) -> None:
    response = limit.refuse(scope, limit.max_bytes)
    # Tell the client not to reuse the connection: the rest of the body is left unread.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
