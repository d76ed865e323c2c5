"""An app whose startup fails: the reader must be told why."""

from __future__ import annotations

from typing import Any

PLAIN = [(b"content-type", b"text/plain")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "the database is unreachable (on purpose)"})
        return
    raise AssertionError("never served")


async def raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app without error handling: the server answers its failures."""
    if scope["type"] != "http":
        raise RuntimeError(f"no {scope['type']} here")  # servers take this as "no lifespan"
    if scope["path"].endswith("/raise"):
        raise RuntimeError("raised before the response started")
    if scope["path"].endswith("/nothing"):
        return
    if scope["path"].endswith("/raise-late"):
        await send({"type": "http.response.start", "status": 200, "headers": PLAIN})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("raised after the response started")
    await send({"type": "http.response.start", "status": 200, "headers": PLAIN})
    await send({"type": "http.response.body", "body": b"raw ok"})
