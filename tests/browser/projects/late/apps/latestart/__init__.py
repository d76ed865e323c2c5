"""A plain ASGI app whose import needs a standard-library module only in the reader's browser.

The build imports the app in Pyodide under Node to learn what its start
imports; this import happens only in a Web Worker, so the build cannot see it.
"""

from __future__ import annotations

import importlib
from typing import Any

import js  # type: ignore[import-not-found]  # only inside Pyodide

wave = importlib.import_module("wave") if hasattr(js, "WorkerGlobalScope") else None


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
    body = f"<p id='out'>imported {wave and wave.__name__}</p>"
    await send({"type": "http.response.body", "body": body.encode()})
