"""Two servers for one app: uvicorn (the reference) and the bridge, and how their answers compare.

uvicorn runs in a subprocess on 127.0.0.1, so its worker threads are real; the
bridge runs in this process on its own event loop with the Pyodide shims of
``pyodide_compat`` forced on, so sync code runs inline exactly as in the
browser. A request is built once with httpx; uvicorn gets it as httpx sends it,
the bridge gets what a service worker sees of it (:func:`sw_view`), at the same
host and port, so absolute URLs agree.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from live_asgi_docs.bridge import Bridge, HTTPRequest, load_app

T = TypeVar("T")
APPS_DIR = Path(__file__).resolve().parent.parent / "apps"

#: Response headers not compared, and why each legitimately differs.
IGNORED_RESPONSE_HEADERS: dict[str, str] = {
    "date": "uvicorn stamps the time it answered; the bridge's Response is made in the page and has "
    "no wire date (apps set their own dates, e.g. Expires, which are compared)",
    "server": "uvicorn names itself; there is no server on the wire in the browser",
    "transfer-encoding": "uvicorn frames a body of unknown length as chunked on the wire; the bridge hands "
    "the chunks to a ReadableStream and there is no wire framing",
    "connection": "hop-by-hop: uvicorn says 'close' after an error it answered itself; the browser has "
    "no connection to the app",
    "set-cookie": "the bridge keeps the app's cookies in its jar (a browser ignores Set-Cookie on a "
    "service worker's Response); the two servers' cookie jars are compared instead",
    "x-frame-options": "dropped by the bridge on purpose: it would blank the embed (CSP frame-ancestors "
    "likewise, removed from the Content-Security-Policy)",
}
#: Headers whose value is a clock reading: compared for presence only.
TIME_HEADERS = frozenset({"expires", "last-modified"})
#: Cookies with random or time-stamped values: compared without the value
#: (Django's "messages" is signed with the second it was made).
VOLATILE_COOKIES = frozenset({"csrftoken", "sessionid", "session", "messages"})
#: What a service worker cannot see of a request (the browser adds them on the
#: wire; the bridge adds its own Host, Origin, Content-Length, Cookie).
SW_INVISIBLE_HEADERS = frozenset(
    {
        "host",
        "connection",
        "content-length",
        "accept-encoding",
        "cookie",
        "origin",
        "referer",
        "keep-alive",
        "transfer-encoding",
    }
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Answer:
    """A response as a client sees it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    chunks: list[bytes] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)


class UvicornServer:
    """``uvicorn target`` in a subprocess, on a free port of 127.0.0.1."""

    def __init__(self, target: str, root_path: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                target,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--root-path",
                root_path,
                "--log-level",
                "info",
                "--no-access-log",
                "--lifespan",
                "auto",
            ],
            env={**os.environ, "PYTHONPATH": str(APPS_DIR), **env},
            stderr=subprocess.PIPE,
            text=True,
        )
        # uvicorn says when it listens (after the app's lifespan startup); its
        # output ending first means it died.
        assert self.proc.stderr is not None
        said: list[str] = []
        for line in self.proc.stderr:
            said.append(line)
            if "Uvicorn running on" in line:
                break
        else:
            raise RuntimeError(f"uvicorn did not start: {''.join(said)}")
        # Keep reading what it logs, so that a full pipe never blocks it.
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()
        # A connection per request: uvicorn closes one after an app error
        # without saying so in the (already sent) response.
        self.client = httpx.Client(
            timeout=120, follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0)
        )

    def send(self, request: httpx.Request) -> Answer:
        # A browser's Cookie header (Client.send adds none to a built request).
        request.headers.pop("cookie", None)
        self.client.cookies.set_cookie_header(request)
        response = self.client.send(request)
        return Answer(
            response.status_code,
            [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in response.headers.raw],
            response.content,
        )

    @property
    def jar(self) -> http.cookiejar.CookieJar:
        return self.client.cookies.jar

    def close(self) -> None:
        self.client.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Collector:
    """An :class:`~live_asgi_docs.bridge.Emitter` that keeps everything."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.ended = False
        self.errors: list[str] = []

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        assert self.status == 0, "start emitted twice"
        self.status, self.headers = status, headers

    def body(self, chunk: bytes) -> None:
        assert chunk, "an empty chunk was emitted"
        self.chunks.append(chunk)

    def end(self) -> None:
        self.ended = True

    def error(self, message: str) -> None:
        self.errors.append(message)


def sw_view(request: httpx.Request, url: str, root_path: str) -> HTTPRequest:
    """What the service worker hands the bridge for ``request`` (sent to ``url``).

    Fetch's ``Headers`` joins repeated request headers with ", " and hides the
    forbidden ones.
    """
    headers: dict[str, str] = {}
    for name_bytes, value_bytes in request.headers.raw:
        name, value = name_bytes.decode("latin-1").lower(), value_bytes.decode("latin-1")
        if name in SW_INVISIBLE_HEADERS:
            continue
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return HTTPRequest(
        method=request.method,
        url=url,
        root_path=root_path,
        headers=list(headers.items()),
        body=request.read(),
        mode="navigate",
        destination="iframe",
    )


class BridgeServer:
    """The bridge serving ``target`` in this process, under ``root_path``."""

    def __init__(self, target: str, root_path: str, base: str, *, debug: bool = False) -> None:
        self.base, self.root_path = base, root_path
        # The loop runs in a thread of its own: the browser tests' Playwright
        # keeps a loop running in the main thread for the whole session.
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bridge-loop", daemon=True)
        self.thread.start()
        self.bridge = Bridge(load_app(target, root_path=root_path), debug=debug)
        self.run(self.bridge.startup())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def send(self, request: httpx.Request) -> Answer:
        url = self.base + self.root_path + request.url.raw_path.decode("ascii")
        out = Collector()
        self.run(self.bridge.handle(sw_view(request, url, self.root_path), out))
        assert out.ended and not out.errors, out.errors
        return Answer(out.status, out.headers, b"".join(out.chunks), out.chunks)

    @property
    def jar(self) -> http.cookiejar.CookieJar:
        return self.bridge.cookies

    def close(self) -> None:
        self.run(self.bridge.shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def without_frame_ancestors(policy: str) -> str:
    kept = (d.strip() for d in policy.split(";"))
    return "; ".join(d for d in kept if d and not d.startswith("frame-ancestors"))


def comparable_headers(answer: Answer) -> list[tuple[str, str]]:
    out = []
    for name, value in answer.headers:
        if name in IGNORED_RESPONSE_HEADERS:
            continue
        if name in TIME_HEADERS:
            value = "<time>"
        if name == "content-security-policy":
            value = without_frame_ancestors(value)
        out.append((name, value))
    return out


def comparable_cookies(jar: http.cookiejar.CookieJar, root_path: str) -> list[tuple[Any, ...]]:
    out = []
    for c in jar:
        value = "<volatile>" if c.name in VOLATILE_COOKIES else c.value
        # A cookie without Path defaults to the request's directory, which
        # includes the mount prefix only in the bridge's URLs.
        path = c.path.removeprefix(root_path) or "/" if root_path and not c.path_specified else c.path
        expires = None if c.expires is None else round((c.expires - time.time()) / 60)
        out.append((c.name, value, path, c.secure, expires))
    return sorted(out)


CSRF_RE = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+(")')
#: A volatile cookie's value where an app echoes the request's Cookie header.
_VOLATILE_NAMES = b"|".join(sorted(n.encode() for n in VOLATILE_COOKIES))
#: ... as ``name=value`` in the header, or as ``"name": "value"`` in a JSON of the cookies.
VOLATILE_COOKIE_RE = re.compile(rb"\b(" + _VOLATILE_NAMES + rb')(=|": ")[^;"\s]+')


def comparable_body(body: bytes) -> bytes:
    """The body with per-response random tokens blanked: Django's CSRF field, and
    the values of volatile cookies where the app echoes the Cookie header it got."""
    return VOLATILE_COOKIE_RE.sub(rb"\1\2<volatile>", CSRF_RE.sub(rb"\1<token>\2", body))


Normalizer = Callable[[Answer], Any]
