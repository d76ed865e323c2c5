"""A second sample app: a Starlette counter, with a live count over a ``WebSocketEndpoint``."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

COUNT = {"value": 0}
WATCHERS: set[WebSocket] = set()


async def home(request: Request) -> HTMLResponse:
    live = str(request.url_for("live")).replace("http", "ws", 1)
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Counter</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:1.5em;color:#222}}</style></head>
<body><h1>Counter</h1><p>A Starlette app running in your browser.</p>
<p>Count: <output id="count">{COUNT["value"]}</output> <small id="live-state"></small></p>
<p><a id="add" href="{request.url_for("add")}">Add one</a>
<button id="add-live" type="button" disabled>Add one live</button></p>
<script>
// The count follows every change as it happens, over a socket.
const socket = new WebSocket({json.dumps(live)});
const button = document.getElementById("add-live");
socket.onopen = () => {{
  button.disabled = false;
  document.getElementById("live-state").textContent = "(live)";
}};
socket.onmessage = (event) => (document.getElementById("count").value = event.data);
button.onclick = () => socket.send("add");
</script></body></html>"""
    )


async def add(request: Request) -> RedirectResponse:
    COUNT["value"] += 1
    return RedirectResponse(request.url_for("home"), status_code=303)


class Live(WebSocketEndpoint):
    """Sends the count to every open page when it changes; "add" adds one."""

    encoding = "text"

    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.accept()
        WATCHERS.add(websocket)
        await websocket.send_text(str(COUNT["value"]))

    async def on_receive(self, websocket: WebSocket, data: str) -> None:
        if data == "add":
            COUNT["value"] += 1
            for watcher in list(WATCHERS):
                await watcher.send_text(str(COUNT["value"]))

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        WATCHERS.discard(websocket)


app = Starlette(
    routes=[
        Route("/", home, name="home"),
        Route("/add", add, name="add"),
        WebSocketRoute("/live", Live, name="live"),
    ]
)
