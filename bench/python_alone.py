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


async def measure(bridge: Any, url: str, root_path: str, n: int, concurrent: int) -> list[Any]:
    """``n`` sequential requests (ms each), then ``concurrent`` at once (ms in all)."""
    request = b.HTTPRequest("GET", url, root_path, [("accept", "*/*")], mode="cors", destination="")
    times = []
    for _ in range(n):
        t = time.perf_counter()
        await bridge.handle(request, _Sink())
        times.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    await asyncio.gather(*(bridge.handle(request, _Sink()) for _ in range(concurrent)))
    return [times, (time.perf_counter() - t) * 1000]
