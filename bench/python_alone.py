"""The floor of the per-request figures: the app's own bridge driven from Python.

Runs inside a second worker running the app, booted by the product's
``worker.js`` (the benchmark imports that file), next to the app's own one in
the docs page: requests are made in Python and handed to the running bridge,
with no browser plumbing at all (no service worker, no messages, no
conversions to JavaScript).
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


def _request(url: str, root_path: str) -> Any:
    return b.HTTPRequest("GET", url, root_path, [("accept", "*/*")], mode="cors", destination="")


async def sequential(bridge: Any, url: str, root_path: str, n: int) -> list[float]:
    """``n`` requests one after another (ms each)."""
    request = _request(url, root_path)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        await bridge.handle(request, _Sink())
        times.append((time.perf_counter() - t) * 1000)
    return times


async def concurrent(bridge: Any, url: str, root_path: str, n: int) -> float:
    """``n`` requests at once (ms in all)."""
    request = _request(url, root_path)
    t = time.perf_counter()
    await asyncio.gather(*(bridge.handle(request, _Sink()) for _ in range(n)))
    return (time.perf_counter() - t) * 1000


async def websocket(bridge: Any, socket_url: str, root_path: str, n: int) -> list[float]:
    """``n`` round trips of a small message on a websocket to ``socket_url`` (ms each)."""
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
    return round_trips
