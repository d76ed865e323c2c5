"""Websocket scenarios, and what a client sees of each: from uvicorn, from the bridge, from Chromium.

A scenario opens a socket (a path under the app, the subprotocols offered),
reads the app's first message (it says what it saw of the scope), then sends
its messages one at a time, reading one event after each. When the app has
not closed by then, the client closes with 1000 "done". The transcript is what
the client saw, in order: ``["open", protocol]``, ``["text", str]``,
``["bytes", hex]``, ``["close", code, reason]``, or ``["denied", status]``.

Remaining difference: a browser's page never learns a denial's HTTP status
(it sees ``error`` and ``close`` 1006), so through Chromium a denial is
``["denied", None]`` followed by ``["close", 1006, ""]``; :func:`browser_view`
says what uvicorn's transcript becomes in a page.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from live_asgi_docs.bridge import Bridge, WebSocketRequest

Transcript = list[list[Any]]
BINARY = bytes(range(256)) * 4


@dataclass(frozen=True)
class WsScenario:
    id: str
    path: str
    protocols: tuple[str, ...] = ()
    send: tuple[str | bytes, ...] = ()
    hello: bool = True


WS_SCENARIOS = [
    WsScenario("echo", "/ws/echo/r%C3%A9sum%C3%A9?room=a%20b&x=1", send=("hello", "wörld ✓", "")),
    WsScenario("subprotocol", "/ws/echo/p", protocols=("chat.v1", "chat.v2"), send=("hi",)),
    WsScenario("no-subprotocol-chosen", "/ws/echo/p", protocols=("other",), send=("hi",)),
    WsScenario("app-close-code", "/ws/echo/c", send=("before", "close", "never sent")),
    WsScenario("denial", "/ws/deny", hello=False),
    WsScenario("binary", "/ws/echo/b", send=(BINARY, b"", b"\x00\xff")),
]
WS_APPS = {"fastapi": "bridge_fastapi.main:app", "starlette": "bridge_starlette.main:app"}


def _event(data: str | bytes) -> list[Any]:
    return ["text", data] if isinstance(data, str) else ["bytes", data.hex()]


def through_uvicorn(base: str, scenario: WsScenario) -> Transcript:
    """The scenario against a real server, with the ``websockets`` client."""
    url = "ws" + base.removeprefix("http") + scenario.path
    try:
        ws = connect(url, subprotocols=list(scenario.protocols) or None, origin=base, open_timeout=30)  # type: ignore[arg-type]
    except InvalidStatus as exc:
        return [["denied", exc.response.status_code]]
    out: Transcript = [["open", ws.subprotocol or ""]]

    def read() -> bool:
        try:
            out.append(_event(ws.recv(timeout=30)))
            return True
        except ConnectionClosed:
            out.append(["close", ws.close_code, ws.close_reason])
            return False

    with ws:
        if scenario.hello and not read():
            return out
        for message in scenario.send:
            ws.send(message)
            if not read():
                return out
        ws.close(1000, "done")
        out.append(["close", ws.close_code, ws.close_reason])
    return out


class _Page:
    """The bridge's emitter as a client: events in a queue."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[list[Any]] = asyncio.Queue()

    def accept(self, subprotocol: str, headers: list[tuple[str, str]]) -> None:
        self.queue.put_nowait(["open", subprotocol])

    def message(self, data: str | bytes) -> None:
        self.queue.put_nowait(_event(data))

    def close(self, code: int, reason: str, detail: str) -> None:
        self.queue.put_nowait(["close", code, reason])

    def deny(self, status: int, detail: str) -> None:
        self.queue.put_nowait(["denied", status])


async def through_bridge(bridge: Bridge, base: str, root_path: str, scenario: WsScenario) -> Transcript:
    """The scenario against the bridge, as the page's socket drives it."""
    page = _Page()
    request = WebSocketRequest(
        url="ws" + base.removeprefix("http") + root_path + scenario.path,
        root_path=root_path,
        origin=base,
        subprotocols=list(scenario.protocols),
    )
    socket = bridge.websocket(request, page)
    out: Transcript = []

    async def read() -> bool:
        event = await asyncio.wait_for(page.queue.get(), 30)
        out.append(event)
        return event[0] not in ("close", "denied")

    if not await read():
        return out
    if scenario.hello and not await read():
        return out
    for message in scenario.send:
        socket.page_message(message)
        if not await read():
            return out
    socket.page_close(1000, "done")
    await read()
    assert socket.task is not None
    await asyncio.wait_for(socket.task, 30)
    return out


def browser_view(transcript: Transcript) -> Transcript:
    """What a page's ``WebSocket`` shows of a client's transcript: no denial status."""
    if transcript and transcript[0][0] == "denied":
        return [["denied", None], ["close", 1006, ""]]
    return transcript
