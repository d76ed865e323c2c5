"""A plain ASGI app whose import needs a standard-library module that no build-time scan sees."""

from __future__ import annotations

import importlib
from typing import Any

# By a name only known when it runs: the build's scan of the app's imports misses it.
wave = importlib.import_module("".join(["wa", "ve"]))


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """One page saying which module it imported."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": f"<p id='out'>imported {wave.__name__}</p>".encode()})
