"""The sample app: HTML pages with links, a form, a JSON API and a page script."""

from __future__ import annotations

import asyncio
import html

from fastapi import FastAPI, Form, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

app = FastAPI(title="To-do")
ITEMS: list[str] = ["Read the docs", "Try the live app"]


def page(request: Request, title: str, body: str) -> HTMLResponse:
    home = request.url_for("home")
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:1.5em;color:#222}}
nav a{{margin-right:1em}}li{{margin:.2em 0}}</style></head>
<body><nav><a href="{home}">Home</a><a href="{request.url_for("list_items")}">Items</a>
<a href="{request.url_for("script_page")}">Script</a><a href="{request.url_for("api_items")}">JSON</a></nav>
<h1>{html.escape(title)}</h1>{body}</body></html>"""
    )


@app.get("/", response_class=HTMLResponse, name="home")
async def home(request: Request) -> HTMLResponse:
    return page(
        request,
        "To-do",
        f"""<p>This is a FastAPI app running in your browser.</p>
<p><a id="items-link" href="{request.url_for("list_items")}">See the {len(ITEMS)} items</a></p>""",
    )


@app.get("/items", response_class=HTMLResponse)
async def list_items(request: Request) -> HTMLResponse:
    rows = "".join(
        f'<li><a href="{request.url_for("show_item", name=item)}">{html.escape(item)}</a></li>'
        for item in ITEMS
    )
    return page(
        request,
        "Items",
        f"""<ul id="items">{rows}</ul>
<form method="post" action="{request.url_for("add_item")}">
<label>New item <input name="title" required></label> <button type="submit">Add</button></form>""",
    )


@app.post("/items")
async def add_item(request: Request, title: str = Form(...)) -> RedirectResponse:
    ITEMS.append(title)
    return RedirectResponse(request.url_for("list_items"), status_code=303)


@app.get("/items/{name}", response_class=HTMLResponse)
async def show_item(request: Request, name: str) -> HTMLResponse:
    known = name in ITEMS
    return page(
        request,
        name,
        f'<p id="item-name">{html.escape(name)}</p><p>{"On the list." if known else "Not on the list."}</p>',
    )


@app.get("/api/items")
async def api_items() -> dict[str, list[str]]:
    return {"items": ITEMS}


@app.get("/script", response_class=HTMLResponse)
async def script_page(request: Request) -> HTMLResponse:
    return page(
        request,
        "Script",
        f"""<p>This page's own script asks the JSON API:</p>
<pre id="api-result">waiting…</pre>
<script>
fetch({str(request.url_for("api_items"))!r})
  .then((r) => r.json())
  .then((data) => {{
    const text = data.items.length + " items: " + data.items.join(", ");
    document.getElementById("api-result").textContent = text;
  }})
  .catch((e) => {{ document.getElementById("api-result").textContent = "failed: " + e; }});
</script>""",
    )


@app.get("/api/bytes/{size}")
async def api_bytes(size: int) -> Response:
    """``size`` bytes of data (at most 8 MiB), for trying large responses."""
    size = max(0, min(size, 8 * 1024 * 1024))
    return Response(
        bytes(i % 251 for i in range(251)) * (size // 251) + bytes(size % 251),
        media_type="application/octet-stream",
    )


@app.get("/api/countdown")
async def api_countdown(start: int = 5, delay: float = 0.2) -> StreamingResponse:
    """A line a tick, streamed as it is made."""

    async def ticks():  # type: ignore[no-untyped-def]
        for n in range(min(start, 50), -1, -1):
            yield f"{n}\n"
            if n:
                await asyncio.sleep(min(delay, 2.0))

    return StreamingResponse(ticks(), media_type="text/plain")


@app.websocket("/api/echo")
async def api_echo(websocket: WebSocket) -> None:
    """Sends each message back, for trying sockets (and timing their round trip)."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass
