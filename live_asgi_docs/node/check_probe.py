"""The build-time check of one app, run inside Pyodide (under Node) by ``check.mjs``.

Does what a reader's browser does first: imports the app as the bridge does,
runs its lifespan startup, requests its first page, then its lifespan
shutdown, and says how that went as JSON. Imports nothing outside the
standard library and the bridge, which lies next to it as
``_live_asgi_bridge`` in Pyodide.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import time
import traceback
from types import TracebackType
from typing import Any

__all__ = ["exception_text", "run"]

#: Statuses of the first page that mean the demo is broken. 401 and 403 are
#: not: a demo may well start at a page that asks for a login.
FAILING = frozenset(range(400, 600)) - {401, 403}


def _bridge() -> Any:
    # The bridge, under the name the browser gives it (see worker.js).
    return importlib.import_module("_live_asgi_bridge")


def exception_text(text: str) -> str:
    """The exception a formatted traceback ends with, type and whole message on one line.

    The same rule as ``exceptionText`` of the browser code: what follows the
    last frame, its lines joined with spaces.
    """
    lines = text.rstrip().split("\n")
    start = 0
    for i in range(len(lines) - 1, -1, -1):
        if re.match(r'^\s+File "', lines[i]):
            start = i + 1
            while start < len(lines) and re.match(r"^\s", lines[start]):
                start += 1
            break
    return " ".join(line.strip() for line in lines[start:] if line.strip())


def _app_frame(tb: TracebackType | None, app_dir: str) -> tuple[str, int]:
    """The innermost frame in the app's own code: its path in the bundle and line."""
    where = ("", 0)
    for frame, line in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if filename.startswith(app_dir + "/") and "/_live_asgi_" not in filename:
            where = (filename[len(app_dir) + 1 :], line or 0)
    return where


def _failure(stage: str, exc: BaseException, app_dir: str, **more: Any) -> str:
    formatted = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    bridge = _bridge()
    if isinstance(exc, bridge.LifespanFailed):
        # The app's own message, which may itself be a formatted traceback.
        error = exception_text(str(exc)) or "the app reported a failed startup"
        formatted = str(exc)
    else:
        error = exception_text(formatted)
    file, line = _app_frame(exc.__traceback__, app_dir)
    if not file:
        # A traceback handed over as text (a failed lifespan): its last app frame.
        found = re.findall(r'File "' + re.escape(app_dir) + r'/([^"]+)", line (\d+)', formatted)
        file, line = (found[-1][0], int(found[-1][1])) if found else ("", 0)
    report = {"ok": False, "stage": stage, "error": error, "file": file, "line": line, "traceback": formatted}
    return json.dumps({**report, **more})


class _Response:
    """Collects what the bridge emits for one request."""

    def __init__(self) -> None:
        self.status = 0
        self.body = bytearray()
        self.broken = ""

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.status = status

    def full(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.body += body

    def body_chunk(self, chunk: bytes) -> None:
        self.body += chunk

    def end(self) -> None:
        pass

    def error(self, message: str) -> None:
        self.broken = message


class _Emitter:
    # The bridge's Emitter protocol: ``body`` is also the name of the collected bytes.
    def __init__(self, response: _Response) -> None:
        self.start = response.start
        self.full = response.full
        self.body = response.body_chunk
        self.end = response.end
        self.error = response.error


async def run(target: str, name: str, path: str, app_dir: str) -> str:
    """Start the app, request ``path``, stop it; a JSON report of how it went."""
    bridge = _bridge()
    began = time.monotonic()
    root = f"/app/{name}/~check"
    try:
        app = bridge.load_app(target, root_path=root)
    except BaseException as exc:
        return _failure("import", exc, app_dir)
    imported = time.monotonic()

    raised: list[BaseException] = []

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        # The bridge answers an unhandled exception with a 500: keep the exception.
        try:
            await app(scope, receive, send)
        except BaseException as exc:
            if scope.get("type") == "http":
                raised.append(exc)
            raise

    server = bridge.Bridge(watched, debug=True)
    try:
        await server.startup()
    except BaseException as exc:
        return _failure("startup", exc, app_dir)

    request = bridge.HTTPRequest(
        method="GET",
        url=f"http://127.0.0.1:8000{root}{path}",
        root_path=root,
        headers=[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
    )
    response = _Response()
    await server.handle(request, _Emitter(response))
    if raised:
        return _failure("request", raised[-1], app_dir, status=response.status)
    if response.broken or response.status in FAILING:
        text = " ".join(bytes(response.body[:300]).decode("utf-8", "replace").split())
        return json.dumps(
            {
                "ok": False,
                "stage": "request",
                "status": response.status,
                "error": response.broken or f"the app answered {response.status}: {text}",
            }
        )
    try:
        await server.shutdown()
    except BaseException as exc:
        print(f"live-asgi: the app's lifespan shutdown failed: {exc!r}", file=sys.stderr)
    return json.dumps(
        {
            "ok": True,
            "status": response.status,
            "import_s": round(imported - began, 2),
            "total_s": round(time.monotonic() - began, 2),
        }
    )
