"""The floor of the per-request figures: the app's own bridge driven from Python.

Runs inside the app's worker, booted by the product's ``worker.js`` (the
benchmark imports that file): requests are made in Python and handed to the
running bridge, with no browser plumbing at all (no service worker, no
messages, no conversions to JavaScript).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import _live_asgi_bridge as b  # type: ignore[import-not-found]  # the worker's name for bridge.py


class _Sink:
    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        pass

    def body(self, chunk: bytes) -> None:
        pass

    def end(self) -> None:
        pass

    def error(self, message: str) -> None:
        raise RuntimeError(message)


class _Socket:
    """A page's side of a websocket: each event resolves the future waiting for it."""

    def __init__(self) -> None:
        self.reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def accept(self, protocol: str, headers: list[tuple[str, str]]) -> None:
        self.reply.set_result(None)

    def message(self, data: str | bytes) -> None:
        self.reply.set_result(data)

    def close(self, code: int, reason: str, detail: str) -> None:
        pass

    def deny(self, status: int, detail: str) -> None:
        self.reply.set_exception(RuntimeError(f"the socket was denied ({status})"))


async def measure(
    bridge: Any, url: str, root_path: str, n: int, concurrent: int, socket_url: str, batches: int = 1
) -> list[Any]:
    """``n`` sequential requests (ms each), then ``batches`` times ``concurrent`` at once
    (ms in all, each time), then ``n`` round trips of a small message on a websocket to
    ``socket_url`` (ms each)."""
    request = b.HTTPRequest("GET", url, root_path, [("accept", "*/*")], mode="cors", destination="")
    times = []
    for _ in range(n):
        t = time.perf_counter()
        await bridge.handle(request, _Sink())
        times.append((time.perf_counter() - t) * 1000)
    together = []
    for _ in range(batches):
        t = time.perf_counter()
        await asyncio.gather(*(bridge.handle(request, _Sink()) for _ in range(concurrent)))
        together.append((time.perf_counter() - t) * 1000)
    page = _Socket()
    socket = bridge.websocket(b.WebSocketRequest(socket_url, root_path), page)
    await page.reply
    round_trips = []
    for _ in range(n):
        page.reply = asyncio.get_running_loop().create_future()
        t = time.perf_counter()
        socket.page_message("ping")
        await page.reply
        round_trips.append((time.perf_counter() - t) * 1000)
    socket.page_close(1000, "")
    return [times, together, round_trips]
