"""A FastAPI chat: every socket of every page sees every message (two people on one page here)."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse

app = FastAPI(title="Chat")


class Room:
    """The open sockets, and what was said."""

    def __init__(self) -> None:
        self.sockets: dict[WebSocket, str] = {}
        self.said: list[str] = []

    async def say(self, line: str) -> None:
        self.said.append(line)
        for socket in list(self.sockets):
            await socket.send_text(line)


ROOM = Room()
PEOPLE = ("Ada", "Grace")


@app.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    # The socket URL from the app's own routing: it keeps the mount prefix.
    socket_url = str(request.url_for("chat")).replace("http", "ws", 1)
    panes = "".join(
        f"""<section data-name="{name}"><h2>{name}</h2><ol class="log" aria-live="polite"></ol>
<form><input name="text" aria-label="{name}'s message" autocomplete="off" required>
<button>Send</button></form><p class="state">connecting…</p></section>"""
        for name in PEOPLE
    )
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chat</title>
<style>body{{font:15px/1.4 system-ui,sans-serif;margin:1em;color:#222}}
main{{display:flex;gap:1em}}section{{flex:1;border:1px solid #ccc;border-radius:6px;padding:.5em}}
h2{{margin:0;font-size:1.1em}}.log{{height:9em;overflow:auto;padding-left:1.4em}}.state{{color:#777;margin:0}}</style>
<script>
// Each pane is one person with a socket of their own.
function join(section) {{
  const name = section.dataset.name;
  const log = section.querySelector(".log");
  const state = section.querySelector(".state");
  const socket = new WebSocket({json.dumps(socket_url)} + "?name=" + encodeURIComponent(name));
  socket.onopen = () => (state.textContent = "connected");
  socket.onclose = (event) => (state.textContent = "closed (" + event.code + ")");
  socket.onmessage = (event) => {{
    const item = document.createElement("li");
    item.textContent = event.data;
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }};
  section.querySelector("form").onsubmit = (event) => {{
    event.preventDefault();
    const input = event.target.elements.text;
    socket.send(input.value);
    input.value = "";
  }};
}}
addEventListener("DOMContentLoaded", () => document.querySelectorAll("section").forEach(join));
</script></head>
<body><h1>Chat</h1><p>Two people, one socket each, in your browser. Say something:</p>
<main>{panes}</main></body></html>"""
    )


@app.websocket("/ws", name="chat")
async def chat(websocket: WebSocket, name: str = "someone") -> None:
    await websocket.accept()
    for line in ROOM.said[-20:]:
        await websocket.send_text(line)
    ROOM.sockets[websocket] = name
    await ROOM.say(f"{name} joined")
    try:
        while True:
            await ROOM.say(f"{name}: {await websocket.receive_text()}")
    except WebSocketDisconnect:
        del ROOM.sockets[websocket]
        await ROOM.say(f"{name} left")
