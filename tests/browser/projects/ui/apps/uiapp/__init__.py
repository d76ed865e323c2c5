"""A plain ASGI app (no packages: it starts fast) for the tests of what the reader sees."""

from __future__ import annotations

import asyncio
from typing import Any

# Module state: a fresh instance of the app starts again from zero.
visits = 0

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>{body}
<nav><a id="home" href="{root}/">Home</a> <a id="second" href="{root}/second">Second</a>
<a id="blank" href="{root}/second" target="_blank">Second in a new tab</a></nav></body></html>"""


def _page(root: str, title: str, body: str = "") -> bytes:
    return PAGE.format(root=root, title=title, body=body).encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer a few pages, one slow, one that crashes the runtime."""
    global visits
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                print("uiapp: lifespan shutdown ran")
                await send({"type": "lifespan.shutdown.complete"})
                return
    root = scope["root_path"]
    path = scope["path"][len(root) :] or "/"
    status = 200
    if path == "/":
        body = _page(root, "Hello from the test app")
    elif path == "/second":
        body = _page(root, "Second page")
    elif path == "/count":
        visits += 1
        body = _page(root, "Visits", f'<p id="visits">{visits}</p>')
    elif path == "/tall":
        body = _page(root, "Tall page", '<div id="tall" style="height: 1500px; background: #eee">tall</div>')
    elif path == "/slow":
        await asyncio.sleep(3600)
        body = _page(root, "Finally")
    elif path == "/crash":
        # An uncaught error in the worker, as when the runtime itself breaks.
        import js  # type: ignore[import-not-found]  # only inside Pyodide

        js.eval("setTimeout(() => { throw new Error('simulated runtime crash') }, 0)")
        body = _page(root, "Crashing")
    else:
        status = 404
        body = _page(root, "Not found")
    headers = [(b"content-type", b"text/html; charset=utf-8")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
