"""The ASGI server that runs inside the reader's browser.

This module is shipped as a file into Pyodide (it imports nothing outside the
standard library) and is unit-tested in CPython. The browser side hands it one
request at a time as a :class:`HTTPRequest` plus an :class:`Emitter`; it calls
the app the way an ASGI 3 server does and passes the response on as it comes,
chunk by chunk.

What a server on a network would do and the browser cannot, this module does:
it keeps the app's cookies (the browser drops ``Set-Cookie`` on responses made
by a service worker), adds the ``Host``, ``Origin``, ``Referer`` and ``Cookie``
headers a browser would send, and strips the headers that would blank the frame
the app is shown in.

Like a server, it imports the app before serving anything, outside any
coroutine (:func:`load`), and takes whatever the target is: an ASGI 3 app, an
ASGI 2 app or a WSGI app (:func:`as_asgi`, :class:`WSGIAdapter`).
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import email.message
import http.cookiejar
import importlib
import inspect
import io
import math
import os
import sys
import time
import traceback
import urllib.request
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import SplitResult, unquote, urlsplit

__all__ = [
    "ROOT_PATH_ENV",
    "Bridge",
    "Emitter",
    "HTTPRequest",
    "LifespanFailed",
    "WSGIAdapter",
    "WebSocketEmitter",
    "WebSocketRequest",
    "WebSocketSession",
    "as_asgi",
    "interface_of",
    "load",
    "load_app",
    "wsgi_environ",
]

T = TypeVar("T")
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Message, Receive, Send], Awaitable[None]]

#: Statuses whose responses never have a body (a ``Response`` with one throws).
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
#: Response headers the bridge drops: the browser ignores ``set-cookie`` on a
#: service worker's response (the bridge keeps the cookie itself) and
#: ``x-frame-options`` would blank the embed.
DROPPED_RESPONSE_HEADERS = frozenset({"set-cookie", "x-frame-options"})
#: Set to the app's mount prefix (its ``root_path``, no trailing slash)
#: before the app's module is imported: for apps that need their URL prefix
#: when they are constructed (Datasette's ``base_url``).
ROOT_PATH_ENV = "LIVE_ASGI_ROOT_PATH"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
#: How many URLs' ``Cookie`` headers the bridge keeps at most.
_COOKIE_HEADERS_KEPT = 256
#: The close code a browser reports when a socket ended without a closing
#: handshake (never sent on the wire).
ABNORMAL_CLOSURE = 1006


class LifespanFailed(RuntimeError):
    """The app's lifespan startup failed; the message is the app's own."""


@dataclass
class HTTPRequest:
    """One request as the service worker saw it.

    Attributes:
        method: The HTTP method, upper case.
        url: The absolute URL, percent-encoded as the browser sent it.
        root_path: The mount prefix of the app instance (a prefix of the URL's
            path, percent-encoded like it).
        headers: The headers the service worker could see, in order.
        body: The whole request body.
        referrer: ``Request.referrer`` (empty for none).
        mode: ``Request.mode`` (``navigate``, ``cors``, ``same-origin``, ...).
        destination: ``Request.destination`` (``document``, ``script``, ``""``...).
    """

    method: str
    url: str
    root_path: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    referrer: str = ""
    mode: str = "navigate"
    destination: str = "document"


class Emitter(Protocol):
    """Where the response goes, as soon as each part of it is known."""

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        """The status and headers, once."""

    def body(self, chunk: bytes) -> None:
        """A non-empty part of the body."""

    def end(self) -> None:
        """The response is complete."""

    def error(self, message: str) -> None:
        """The response broke off after it had started."""

    # An emitter may also have ``full(status, headers, body)``: it then gets a
    # response that is complete at once in one call instead of three.


@dataclass
class WebSocketRequest:
    """A ``new WebSocket(url, protocols)`` of the app's page.

    Attributes:
        url: The absolute ``ws:``/``wss:`` URL, percent-encoded as the page's
            ``WebSocket.url`` shows it.
        root_path: The mount prefix of the app instance (percent-encoded).
        origin: The origin of the page that opened the socket.
        subprotocols: The protocols the page asked for, in its order.
        headers: Further headers a browser sends (``user-agent``,
            ``accept-language``), as the page knows them.
    """

    url: str
    root_path: str = ""
    origin: str = ""
    subprotocols: list[str] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)


class WebSocketEmitter(Protocol):
    """Where a socket's events go, in the order the page must see them."""

    def accept(self, subprotocol: str, headers: list[tuple[str, str]]) -> None:
        """The app accepted: the page's socket opens."""

    def message(self, data: str | bytes) -> None:
        """A text or binary message for the page."""

    def close(self, code: int, reason: str, detail: str) -> None:
        """The socket closed (``code`` 1006 when not cleanly); ``detail`` is
        a traceback to show the reader, only for a debug embed."""

    def deny(self, status: int, detail: str) -> None:
        """The connection failed before it opened (the page sees 1006)."""


_compat_module: Any = None


def _compat() -> Any:
    global _compat_module
    if _compat_module is None:
        # In the package: the sibling module; in Pyodide both are top-level files.
        if __package__:
            _compat_module = importlib.import_module(".pyodide_compat", __package__)
        else:
            _compat_module = importlib.import_module("_live_asgi_compat")
    return _compat_module


def load_app(target: str, *, root_path: str = "") -> ASGIApp:
    """Import ``module:attr`` (``attr`` may be dotted) as a server does; return it as ASGI 3.

    Before the import, supplies what the interpreter lacks (threads,
    ``hashlib.pbkdf2_hmac`` in Pyodide: see ``pyodide_compat``) and sets
    ``LIVE_ASGI_ROOT_PATH`` to ``root_path`` (percent-decoded, without the
    trailing slash: the ``root_path`` of every request). The import runs
    outside any coroutine, as under uvicorn, which imports the app before its
    event loop runs: in Pyodide an event loop is always "running", and
    Django's async-unsafe check would refuse a ``call_command("migrate")`` at
    import time.

    The object may be an ASGI 3, ASGI 2 or WSGI app (see :func:`as_asgi`).
    """
    os.environ[ROOT_PATH_ENV] = unquote(root_path.rstrip("/"))
    installed = _compat().install()
    if installed:
        print(f"live-asgi: supplied {', '.join(installed)} (no threads/OpenSSL here)", file=sys.stderr)
    module_name, _, attr = target.partition(":")
    loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        obj: Any = importlib.import_module(module_name)
    finally:
        asyncio.events._set_running_loop(loop)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return as_asgi(obj)


def load(target: str, *, root_path: str = "", debug: bool = False) -> Bridge:
    """Import the app ``target`` (see :func:`load_app`) and return the bridge that serves it.

    What the browser's worker calls once, before the lifespan startup
    (:meth:`Bridge.startup`) and the first request.
    """
    return Bridge(load_app(target, root_path=root_path), debug=debug)


def load_for_snapshot(target: str, *, root_path: str = "", debug: bool = False) -> tuple[Bridge, list[str]]:
    """:func:`load`, watching what the app's import does that a memory snapshot would get wrong.

    The browser may keep the interpreter's memory right after the app's import
    and start later visits from it, without importing the app again. Returns
    the bridge and the reasons not to (empty when there are none): the import
    read ``LIVE_ASGI_ROOT_PATH`` (another value on every visit), drew random
    bytes or seeded or used ``random`` (every visit would repeat them), or
    scheduled work on the event loop (a task, a callback: in Pyodide a
    JavaScript timer runs it, which a restored memory does not have).
    Files, open files and JavaScript objects are watched by the browser.
    """
    import random

    reasons: list[str] = []
    read: set[str] = set()
    environ_getitem = os._Environ.__getitem__
    urandom = os.urandom
    random_urandom = random._urandom  # type: ignore[attr-defined]
    seed = random.Random.seed
    state = random.getstate()

    def watched_getitem(self: Any, key: str) -> str:
        if self is os.environ:
            read.add(key)
        value: str = environ_getitem(self, key)
        return value

    def watched_urandom(size: int) -> bytes:
        if "random bytes" not in reasons:
            reasons.append("random bytes")
        return urandom(size)

    def watched_seed(self: random.Random, a: Any = None, version: int = 2) -> None:
        if a is None and "a random generator seeded from entropy" not in reasons:
            reasons.append("a random generator seeded from entropy")
        seed(self, a, version)

    # The loop the app's tasks and callbacks go to (Pyodide's is always
    # running); its scheduling methods are watched on the instance.
    loop = asyncio.events._get_running_loop()
    scheduling = ("call_soon", "call_later", "call_at")
    own = {name: vars(loop)[name] for name in scheduling if loop is not None and name in vars(loop)}

    def watched_scheduling(name: str) -> Callable[..., Any]:
        original = getattr(loop, name)

        def schedule(*args: Any, **kwargs: Any) -> Any:
            if "the event loop" not in reasons:
                reasons.append("the event loop")
            return original(*args, **kwargs)

        return schedule

    if loop is not None:
        for name in scheduling:
            setattr(loop, name, watched_scheduling(name))
    os._Environ.__getitem__ = watched_getitem  # type: ignore[method-assign,assignment]
    os.urandom = watched_urandom
    random._urandom = watched_urandom  # type: ignore[attr-defined]
    random.Random.seed = watched_seed  # type: ignore[method-assign]
    try:
        bridge = load(target, root_path=root_path, debug=debug)
    finally:
        os._Environ.__getitem__ = environ_getitem  # type: ignore[method-assign]
        os.urandom = urandom
        random._urandom = random_urandom  # type: ignore[attr-defined]
        random.Random.seed = seed  # type: ignore[method-assign]
        if loop is not None:
            for name in scheduling:
                if name in own:
                    setattr(loop, name, own[name])
                else:
                    delattr(loop, name)
    if random.getstate() != state:
        reasons.append("the random module's generator")
    if ROOT_PATH_ENV in read:
        reasons.append(f"{ROOT_PATH_ENV} (another value on every visit)")
    return bridge, [f"the app's import used {reason}" for reason in reasons]


def interface_of(app: Any) -> str:
    """``"asgi3"``, ``"asgi2"`` or ``"wsgi"``: what kind of application ``app`` is.

    As uvicorn tells ASGI 3 from ASGI 2 (a coroutine function, or a class
    whose instances are awaitable, is ASGI 3), and, where uvicorn needs to be
    told, WSGI from ASGI by the number of positional parameters: a WSGI app
    takes ``(environ, start_response)``, an ASGI 2 app ``(scope)``.
    """
    if inspect.isclass(app):
        return "asgi3" if hasattr(app, "__await__") else "asgi2"
    call = app if inspect.isroutine(app) else getattr(app, "__call__", app)  # noqa: B004
    if inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(app):
        return "asgi3"
    try:
        parameters = inspect.signature(app).parameters.values()
    except (TypeError, ValueError):
        return "asgi3"
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in parameters) or len(positional) >= 3:
        return "asgi3"
    return "wsgi" if len(positional) == 2 else "asgi2"


def as_asgi(app: Any) -> ASGIApp:
    """``app`` as an ASGI 3 application, whether it is ASGI 3, ASGI 2 or WSGI."""
    kind = interface_of(app)
    if kind == "wsgi":
        return WSGIAdapter(app)
    if kind == "asgi2":

        async def asgi3(scope: Message, receive: Receive, send: Send) -> None:
            await app(scope)(receive, send)

        return asgi3
    return app  # type: ignore[no-any-return]


class _CookieJar(http.cookiejar.CookieJar):
    """A ``CookieJar`` that counts its changes: the bridge keeps the ``Cookie``
    headers it made from it until the next one (or until a cookie expires)."""

    changes = 0

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        self.changes += 1
        super().set_cookie(cookie)

    def clear(self, domain: str | None = None, path: str | None = None, name: str | None = None) -> None:
        self.changes += 1
        super().clear(domain, path, name)


class _CookieResponse:
    """The small part of a urllib response that ``CookieJar`` reads."""

    def __init__(self, set_cookies: list[str]) -> None:
        self._headers = email.message.Message()
        for value in set_cookies:
            self._headers["Set-Cookie"] = value

    def info(self) -> email.message.Message:
        return self._headers


class Bridge:
    """An ASGI 3 server for one app instance in one browser page.

    Args:
        app: The ASGI application.
        debug: Show the traceback of an unhandled exception in the 500 page.
    """

    def __init__(self, app: ASGIApp, *, debug: bool = False) -> None:
        self.app = app
        self.debug = debug
        self.cookies = _CookieJar()
        self._cookies_stored = False
        # The Cookie header of each URL (without its query), as of the jar's
        # change `_cookie_headers_of` and until the first cookie expires.
        self._cookie_headers: dict[str, str] = {}
        self._cookie_headers_of = -1
        self._cookie_headers_until = 0.0
        self.state: dict[str, Any] = {}
        self._disconnects: dict[Any, asyncio.Event] = {}
        self._sockets: set[WebSocketSession] = set()
        self._requests: set[asyncio.Future[None]] = set()
        self._lifespan_queue: asyncio.Queue[Message] | None = None
        self._lifespan_task: asyncio.Future[None] | None = None
        self._lifespan_supported = True
        self._shutdown_done: asyncio.Future[None] | None = None

    # -- lifespan ---------------------------------------------------------

    async def startup(self) -> None:
        """Run the app's lifespan startup; raise :class:`LifespanFailed`."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Message] = asyncio.Queue()
        started: asyncio.Future[None] = loop.create_future()
        self._shutdown_done = loop.create_future()
        self._lifespan_queue = queue
        sent_anything = False
        shutdown_done = self._shutdown_done

        async def receive() -> Message:
            return await queue.get()

        async def send(message: Message) -> None:
            nonlocal sent_anything
            sent_anything = True
            kind = message["type"]
            if kind == "lifespan.startup.complete":
                _resolve(started)
            elif kind == "lifespan.startup.failed":
                _reject(started, LifespanFailed(message.get("message", "")))
            elif kind == "lifespan.shutdown.complete":
                _resolve(shutdown_done)
            elif kind == "lifespan.shutdown.failed":
                _reject(shutdown_done, LifespanFailed(message.get("message", "")))

        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }

        async def run() -> None:
            try:
                await self.app(scope, receive, send)
            except BaseException as exc:
                if not started.done():
                    if sent_anything:
                        _reject(started, LifespanFailed(_format_exception(exc)))
                    else:
                        # Like uvicorn's "auto" mode: an app that raises on a
                        # lifespan scope before saying anything does not do
                        # lifespan, and is served anyway.
                        self._lifespan_supported = False
                        _resolve(started)
                elif not shutdown_done.done():
                    _reject(shutdown_done, LifespanFailed(_format_exception(exc)))
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
            else:
                _resolve(started)
                _resolve(shutdown_done)

        self._lifespan_task = asyncio.ensure_future(run())
        await queue.put({"type": "lifespan.startup"})
        await started

    async def shutdown(self) -> None:
        """Run the app's lifespan shutdown (best effort: errors are raised)."""
        # The server is going away: so are the page's sockets.
        for socket in list(self._sockets):
            socket.page_gone()
        if not self._lifespan_supported or self._lifespan_queue is None or self._shutdown_done is None:
            return
        for event in self._disconnects.values():
            event.set()
        await self._lifespan_queue.put({"type": "lifespan.shutdown"})
        await self._shutdown_done

    # -- http -------------------------------------------------------------

    def cancel(self, request_id: Any) -> None:
        """The reader's browser went away from a response: tell the app."""
        event = self._disconnects.get(request_id)
        if event is not None:
            event.set()

    def scope_for(self, request: HTTPRequest) -> dict[str, Any]:
        """The ASGI ``http`` scope of a request, with the browser's headers."""
        url = urlsplit(request.url)
        scheme = url.scheme or "http"
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": request.method.upper(),
            **_url_scope(url, scheme, request.root_path, self._request_headers(request, url.netloc, scheme)),
            "state": dict(self.state),
        }

    def _request_headers(self, request: HTTPRequest, netloc: str, scheme: str) -> list[tuple[str, str]]:
        headers = _BrowserHeaders(request.headers)
        method = request.method.upper()
        # A browser sends Host first and always, with the port when it is not
        # the scheme's default: apps build absolute URLs from it.
        if "host" not in headers.present:
            headers.first("host", netloc)
        # The browser sends Content-Length with every body, and 0 for a POST
        # or PUT without one (Fetch); a service worker cannot see it, and
        # Django reads no form without it.
        if request.body or method in ("POST", "PUT"):
            headers.add("content-length", str(len(request.body)))
        # Every request a service worker bridges is same-origin (its scope is
        # on the docs' origin), and a browser sends Origin on a same-origin
        # request only when its method is not GET or HEAD (Fetch: "append a
        # request Origin header"), whether a navigation or a fetch().
        if method not in ("GET", "HEAD"):
            headers.add("origin", f"{scheme}://{netloc}")
        headers.add("referer", request.referrer)
        if request.mode == "navigate":
            headers.add("sec-fetch-mode", "navigate")
            headers.add("sec-fetch-dest", request.destination or "iframe")
        else:
            headers.add("sec-fetch-mode", request.mode)
            headers.add("sec-fetch-dest", request.destination or "empty")
        headers.add("sec-fetch-site", "same-origin")
        headers.add("cookie", self._cookie_header(request.url, request.method))
        return headers.items

    def _cookie_request(self, url: str, method: str) -> urllib.request.Request:
        # Browsers treat http://localhost as a secure context and send Secure
        # cookies there; CookieJar only does that for https.
        parts = urlsplit(url)
        if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
            url = "https" + url[4:]
        return urllib.request.Request(url, method=method)

    def _cookie_header(self, url: str, method: str) -> str:
        if not self._cookies_stored:
            return ""  # most apps set none: no jar walk and urllib request per request
        jar = self.cookies
        if jar.changes != self._cookie_headers_of or time.time() >= self._cookie_headers_until:
            self._cookie_headers.clear()
            self._cookie_headers_of = jar.changes
            # The jar leaves out a cookie from the second it expires on.
            expiring = [c.expires for c in jar if c.expires is not None]
            self._cookie_headers_until = min(expiring, default=math.inf)
        # Which cookies go depends on the scheme, host, port and path alone.
        key = url.partition("#")[0].partition("?")[0]
        header = self._cookie_headers.get(key)
        if header is None:
            cookie_request = self._cookie_request(url, method)
            jar.add_cookie_header(cookie_request)
            header = cookie_request.unredirected_hdrs.get("Cookie", "")
            if len(self._cookie_headers) >= _COOKIE_HEADERS_KEPT:
                self._cookie_headers.clear()
            self._cookie_headers[key] = header
        return header

    def _store_cookies(self, url: str, method: str, set_cookies: list[str]) -> None:
        self._cookies_stored = True
        cookie_request = self._cookie_request(url, method)
        self.cookies.extract_cookies(
            _CookieResponse(set_cookies),  # type: ignore[arg-type]
            cookie_request,
        )

    def _response_headers(self, url: str, method: str, raw: Any) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        set_cookies: list[str] = []
        for name_bytes, value_bytes in raw:
            name = bytes(name_bytes).decode("latin-1").lower()
            value = bytes(value_bytes).decode("latin-1")
            if name == "set-cookie":
                set_cookies.append(value)
            if name in DROPPED_RESPONSE_HEADERS:
                continue
            if name == "content-security-policy":
                value = _without_frame_ancestors(value)
                if not value:
                    continue
            headers.append((name, value))
        if set_cookies:
            self._store_cookies(url, method, set_cookies)
        return headers

    async def handle(self, request: HTTPRequest, emit: Emitter, request_id: Any = None) -> None:
        """Serve one request; everything goes to ``emit``, nothing is raised."""
        await self._respond(request, _Coalescing(emit), request_id)

    def handle_now(self, request: HTTPRequest, emit: Emitter, request_id: Any = None) -> None:
        """:meth:`handle`, the app running in this very call until it first waits.

        What the browser's worker calls for each request: the app's code runs
        at once (an eager task, where the interpreter has them), so a response
        that is complete at once has gone to ``emit`` when this returns, with
        no turn of the event loop in between (each turn is a browser task).
        """
        out = _Coalescing(emit, held=True)
        task = _start_task(self._respond(request, out, request_id))
        # The app now waits (or is done): a start it sent goes out now, a
        # later one on the next turn at the latest, as in handle().
        out.release()
        if not task.done():
            # The loop keeps only weak references to its tasks.
            self._requests.add(task)
            task.add_done_callback(self._requests.discard)

    async def _respond(self, request: HTTPRequest, out: _Coalescing, request_id: Any) -> None:
        scope = self.scope_for(request)
        disconnected = asyncio.Event()
        key = request_id if request_id is not None else object()
        self._disconnects[key] = disconnected
        body_sent = False
        started = False
        finished = False
        no_body = request.method.upper() == "HEAD"
        # Threads the app tries to start (and cannot, in the browser): a
        # failed response then says so instead of the app's generic 500.
        refused_threads = _compat().watch_thread_starts()
        replaced = False

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": request.body, "more_body": False}
            # Held until the response is complete or the reader went away:
            # answering http.disconnect early cuts StreamingResponse short.
            await disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal started, finished, no_body, replaced
            kind = message["type"]
            if disconnected.is_set() and not finished:
                raise OSError("the reader's browser closed the connection")
            if replaced:
                return
            if kind == "http.response.start":
                if started:
                    raise RuntimeError("http.response.start sent twice")
                started = True
                status = int(message["status"])
                if status >= 500 and refused_threads:
                    replaced = finished = True
                    disconnected.set()
                    self._error_500(out, "", refused_threads)
                    return
                if status in NULL_BODY_STATUSES:
                    no_body = True
                out.start(
                    status, self._response_headers(request.url, request.method, message.get("headers", []))
                )
            elif kind == "http.response.body":
                if not started:
                    raise RuntimeError("http.response.body sent before http.response.start")
                if finished:
                    return
                chunk = bytes(message.get("body", b""))
                if no_body:
                    chunk = b""
                if not message.get("more_body", False):
                    finished = True
                    disconnected.set()
                    out.complete(chunk)
                elif chunk:
                    out.body(chunk)

        try:
            await self.app(scope, receive, send)
        except BaseException as exc:
            text = _format_exception(exc)
            print(f"live-asgi: exception in {request.method} {request.url}\n{text}", file=sys.stderr)
            if not started:
                self._error_500(out, text, refused_threads)
            elif not finished:
                out.error(f"the app raised while sending its response: {exc!r}")
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        else:
            if not started:
                self._error_500(out, "The app returned without sending a response.", refused_threads)
            elif not finished:
                out.complete(b"")
        finally:
            disconnected.set()
            self._disconnects.pop(key, None)

    def _error_500(self, out: _Coalescing, detail: str, refused_threads: list[str] | None = None) -> None:
        # uvicorn's answer, byte for byte; the detail only for a debug embed.
        text = "Internal Server Error"
        if refused_threads:
            # Not the app's fault on a server, and the reader's only clue.
            text += (
                "\n\nThe app tried to start a thread, and Python in the browser (Pyodide) cannot "
                "run threads:\n\n" + "\n".join(f"- {what}" for what in dict.fromkeys(refused_threads))
            )
            text += "\n\nIts authors can configure it to work without threads."
        if self.debug and detail:
            text += "\n\n" + detail
        out.start(500, [("content-type", "text/plain; charset=utf-8")])
        out.complete(text.encode("utf-8", errors="replace"))

    # -- websockets ---------------------------------------------------------

    def websocket_scope(self, request: WebSocketRequest) -> dict[str, Any]:
        """The ASGI ``websocket`` scope of a page's socket, with a browser's handshake headers."""
        url = urlsplit(request.url)
        scheme = url.scheme if url.scheme in ("ws", "wss") else "ws"
        headers = _BrowserHeaders(request.headers)
        # What a browser's opening handshake carries, Host first.
        headers.first("host", url.netloc)
        headers.add("connection", "Upgrade")
        headers.add("upgrade", "websocket")
        headers.add("sec-websocket-version", "13")
        headers.add("sec-websocket-key", base64.b64encode(os.urandom(16)).decode("ascii"))
        headers.add("origin", request.origin)
        headers.add("sec-websocket-protocol", ", ".join(request.subprotocols))
        headers.add("cookie", self._cookie_header(_http_url(request.url), "GET"))
        return {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            **_url_scope(url, scheme, request.root_path, headers.items),
            "subprotocols": list(request.subprotocols),
            "state": dict(self.state),
            "extensions": {"websocket.http.response": {}},
        }

    def websocket(self, request: WebSocketRequest, emit: WebSocketEmitter) -> WebSocketSession:
        """Open a page's socket: the app runs on it in a task of its own."""
        session = WebSocketSession(self, request, emit)
        self._sockets.add(session)
        session.task = asyncio.ensure_future(session.run())
        session.task.add_done_callback(lambda _: self._sockets.discard(session))
        return session

    # -- the browser's side -------------------------------------------------

    def handle_js(
        self,
        request_id: int,
        method: str,
        url: str,
        root_path: str,
        headers: Any,
        body: Any,
        referrer: str,
        mode: str,
        destination: str,
        js_emit: Any,
    ) -> None:
        """:meth:`handle_now` for the browser's worker: a request as the service
        worker sent it (``headers`` a JavaScript array of ``[name, value]``,
        ``body`` an ``ArrayBuffer`` or ``None``), the response to ``js_emit``'s
        methods, which take the request's id first.

        Plain values cross between JavaScript and Python: one proxy of the
        headers and of the body, none per response.
        """
        request = HTTPRequest(
            method=method,
            url=url,
            root_path=root_path,
            headers=[(str(name), str(value)) for name, value in headers.to_py()],
            body=body.to_bytes() if body is not None else b"",
            referrer=referrer or "",
            mode=mode or "navigate",
            destination=destination or "",
        )
        self.handle_now(request, _JSEmitter(js_emit, request_id), request_id)

    def websocket_js(self, js_request: Any, js_emit: Any) -> _JSWebSocket:
        """:meth:`websocket` for a request and an emitter that are JavaScript objects.

        Returns what the worker calls for the page's side of the socket.
        """
        request = WebSocketRequest(
            url=js_request.url,
            root_path=js_request.rootPath,
            origin=js_request.origin or "",
            subprotocols=[str(p) for p in js_request.protocols.to_py()],
            headers=[(str(k), str(v)) for k, v in js_request.headers.to_py()],
        )

        class JSEmitter:
            def accept(self, subprotocol: str, headers: list[tuple[str, str]]) -> None:
                js_emit.accept(subprotocol, _to_js([list(pair) for pair in headers]))

            def message(self, data: str | bytes) -> None:
                js_emit.message(data if isinstance(data, str) else _to_js(data))

            def close(self, code: int, reason: str, detail: str) -> None:
                js_emit.close(code, reason, detail)

            def deny(self, status: int, detail: str) -> None:
                js_emit.deny(status, detail)

        return _JSWebSocket(self.websocket(request, JSEmitter()))


class _JSWebSocket:
    """The page's side of a socket, called from JavaScript."""

    def __init__(self, session: WebSocketSession) -> None:
        self.session = session

    def message(self, data: Any) -> None:
        """A string, or a ``Uint8Array`` for a binary message."""
        self.session.page_message(data if isinstance(data, str) else data.to_bytes())

    def close(self, code: int | None, reason: str) -> None:
        self.session.page_close(code, reason)

    def gone(self) -> None:
        self.session.page_gone()


class WebSocketSession:
    """One socket of the app's page and the ASGI ``websocket`` connection behind it.

    The page's side calls :meth:`page_message`, :meth:`page_close` and
    :meth:`page_gone`; the app's messages go to the emitter. A socket is
    ``connecting`` until the app accepts or denies it, then ``open``, then
    ``closed``.
    """

    def __init__(self, bridge: Bridge, request: WebSocketRequest, emit: WebSocketEmitter) -> None:
        self.bridge = bridge
        self.request = request
        self.emit = emit
        self.scope = bridge.websocket_scope(request)
        self.state = "connecting"
        self.task: asyncio.Future[None] | None = None
        self._incoming: asyncio.Queue[Message] = asyncio.Queue()
        self._incoming.put_nowait({"type": "websocket.connect"})
        self._page_left = False
        self._denial_status = 0

    # -- the page ----------------------------------------------------------

    def page_message(self, data: str | bytes) -> None:
        """The page sent a text (``str``) or binary message."""
        if self.state != "open":
            return
        key = "text" if isinstance(data, str) else "bytes"
        self._incoming.put_nowait({"type": "websocket.receive", key: data})

    def page_close(self, code: int | None = None, reason: str = "") -> None:
        """The page called ``close()``; the app hears ``websocket.disconnect``.

        On an open socket the closing handshake completes at once: the page
        is told ``close`` with its own code (1005 without one), as a browser
        reports it when the server answers the handshake.
        """
        if self.state == "closed":
            return
        was_open = self.state == "open"
        code = 1005 if code is None else int(code)
        self._disconnect(code if was_open else ABNORMAL_CLOSURE, reason if was_open else "")
        if was_open:
            self.emit.close(code, reason, "")

    def page_gone(self) -> None:
        """The page navigated away or was closed (a browser says 1001)."""
        if self.state != "closed":
            self._disconnect(1001, "")

    def _disconnect(self, code: int, reason: str) -> None:
        self.state = "closed"
        self._page_left = True
        self._incoming.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})

    # -- the app -----------------------------------------------------------

    async def _receive(self) -> Message:
        message = await self._incoming.get()
        if message["type"] == "websocket.disconnect":
            # Every later receive() hears the same.
            self._incoming.put_nowait(message)
        return message

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        if self.state == "connecting":
            if kind == "websocket.accept":
                self._accept(message)
            elif kind == "websocket.close":
                self._deny(403, "")
            elif kind == "websocket.http.response.start" and not self._denial_status:
                self._denial_status = int(message["status"])
            elif kind == "websocket.http.response.body" and self._denial_status:
                if not message.get("more_body", False):
                    self._deny(self._denial_status, "")
            else:
                raise RuntimeError(
                    "Expected ASGI message 'websocket.accept', 'websocket.close' or "
                    f"'websocket.http.response.start', but got {kind!r}."
                )
        elif self.state == "open":
            if kind == "websocket.send":
                text, data = message.get("text"), message.get("bytes")
                if text is not None:
                    self.emit.message(str(text))
                elif data is not None:
                    self.emit.message(bytes(data))
                else:
                    raise RuntimeError("websocket.send has neither 'text' nor 'bytes'")
            elif kind == "websocket.close":
                code = int(message.get("code") or 1000)
                reason = str(message.get("reason") or "")
                self.state = "closed"
                # The page answers the closing handshake with the same code.
                self._incoming.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
                self.emit.close(code, reason, "")
            else:
                raise RuntimeError(
                    f"Expected ASGI message 'websocket.send' or 'websocket.close', but got {kind!r}."
                )
        elif self._page_left:
            # ASGI 2.4: sending to a socket the client closed raises OSError.
            raise OSError("the page closed the websocket")
        else:
            raise RuntimeError(f"Unexpected ASGI message {kind!r} after the websocket was closed.")

    def _accept(self, message: Message) -> None:
        subprotocol = message.get("subprotocol") or ""
        if subprotocol and subprotocol not in self.request.subprotocols:
            # A browser fails a connection whose server picked a protocol it
            # did not offer.
            print(
                f"live-asgi: the app accepted websocket {self.request.url} with subprotocol "
                f"{subprotocol!r}, which the page did not ask for ({self.request.subprotocols})",
                file=sys.stderr,
            )
            self._deny(101, "")
            return
        headers = self.bridge._response_headers(
            _http_url(self.request.url), "GET", message.get("headers", [])
        )
        self.state = "open"
        self.emit.accept(subprotocol, headers)

    def _deny(self, status: int, detail: str) -> None:
        self.state = "closed"
        self._incoming.put_nowait({"type": "websocket.disconnect", "code": ABNORMAL_CLOSURE, "reason": ""})
        self.emit.deny(status, detail)

    async def run(self) -> None:
        """Run the app on this socket until it returns; nothing is raised."""
        try:
            await self.bridge.app(self.scope, self._receive, self._send)
        except BaseException as exc:
            text = _format_exception(exc)
            print(f"live-asgi: exception in websocket {self.request.url}\n{text}", file=sys.stderr)
            detail = text if self.bridge.debug else ""
            if self.state == "connecting":
                self._deny(500, detail)
            elif self.state == "open":
                # As a server does: 1011, the app hit an unexpected condition.
                self.state = "closed"
                self.emit.close(1011, "", detail)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        else:
            if self.state == "connecting":
                print(
                    f"live-asgi: the app returned without accepting websocket {self.request.url}",
                    file=sys.stderr,
                )
                self._deny(500, "The app returned without accepting or closing the websocket.")
            elif self.state == "open":
                # The connection ends without a closing handshake.
                self.state = "closed"
                self.emit.close(ABNORMAL_CLOSURE, "", "")


class _BrowserHeaders:
    """A request's headers (names in lower case) and those a browser adds to them."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.items = [(name.lower(), value) for name, value in headers]
        self.present = {name for name, _ in self.items}

    def first(self, name: str, value: str) -> None:
        """``name`` before all others (a browser sends Host first)."""
        self.items.insert(0, (name, value))
        self.present.add(name)

    def add(self, name: str, value: str) -> None:
        """``name`` last, unless the request has it or ``value`` is empty."""
        if name not in self.present and value:
            self.items.append((name, value))
            self.present.add(name)


def _url_scope(
    url: SplitResult, scheme: str, root_path: str, headers: list[tuple[str, str]]
) -> dict[str, Any]:
    """The part of an ``http`` or ``websocket`` scope that comes from the URL, and the headers as bytes."""
    raw_path = url.path or "/"
    return {
        "scheme": scheme,
        # Like uvicorn: invalid UTF-8 becomes U+FFFD.
        "path": unquote(raw_path, encoding="utf-8", errors="replace"),
        "raw_path": raw_path.encode("latin-1", errors="replace"),
        "query_string": url.query.encode("latin-1", errors="replace"),
        "root_path": unquote(root_path.rstrip("/")),
        "headers": [
            (name.encode("latin-1"), value.encode("latin-1", errors="replace")) for name, value in headers
        ],
        "client": ("127.0.0.1", 0),
        "server": (url.hostname or "localhost", url.port or DEFAULT_PORTS.get(scheme, 80)),
    }


class _Coalescing:
    """Passes a response on, as one message when it is complete at once.

    Most responses are a start and a single body sent back to back; an
    emitter with a ``full`` method gets those as one call (one message, one
    ``Response`` built on bytes, not on a stream). The start of any other
    response goes out on the next turn of the event loop at the latest, so a
    streamed response's headers are never held back while the app waits.
    While ``held`` (the app's first step, run in the caller's own turn), a
    start waits for :meth:`release`, which the caller calls as soon as that
    step is over.
    """

    def __init__(self, emit: Emitter, *, held: bool = False) -> None:
        self.emit = emit
        self.full = getattr(emit, "full", None)
        self.pending: tuple[int, list[tuple[str, str]]] | None = None
        self.held = held

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        if self.full is None:
            self.emit.start(status, headers)
            return
        self.pending = (status, headers)
        if not self.held:
            asyncio.get_running_loop().call_soon(self.flush)

    def release(self) -> None:
        self.held = False
        self.flush()

    def flush(self) -> None:
        if self.pending is not None:
            status, headers = self.pending
            self.pending = None
            self.emit.start(status, headers)

    def body(self, chunk: bytes) -> None:
        self.flush()
        self.emit.body(chunk)

    def complete(self, chunk: bytes) -> None:
        """The last part of the body (maybe empty): the response is complete."""
        if self.pending is not None and self.full is not None:
            status, headers = self.pending
            self.pending = None
            self.full(status, headers, chunk)
            return
        self.flush()
        if chunk:
            self.emit.body(chunk)
        self.emit.end()

    def error(self, message: str) -> None:
        self.flush()
        self.emit.error(message)


class _JSEmitter:
    """An :class:`Emitter` for the browser's worker: JavaScript methods that take the request's id."""

    __slots__ = ("id", "js")

    def __init__(self, js: Any, request_id: int) -> None:
        self.js = js
        self.id = request_id

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.js.start(self.id, status, _to_js(headers))

    def full(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.js.full(self.id, status, _to_js(headers), _to_js(body))

    def body(self, chunk: bytes) -> None:
        self.js.body(self.id, _to_js(chunk))

    def end(self) -> None:
        self.js.end(self.id)

    def error(self, message: str) -> None:
        self.js.error(self.id, message)


_to_js_function: Any = None


def _to_js(value: Any) -> Any:
    """A list of pairs as an array of arrays, bytes as a ``Uint8Array`` (a copy)."""
    global _to_js_function
    if _to_js_function is None:
        from pyodide.ffi import to_js  # type: ignore[import-not-found]  # only in Pyodide

        _to_js_function = to_js
    return _to_js_function(value)


def _start_task(coroutine: Awaitable[None]) -> asyncio.Future[None]:
    """A task of ``coroutine`` that has run until it first waits, where tasks can start eagerly."""
    loop = asyncio.events._get_running_loop()
    if loop is None:
        loop = asyncio.get_event_loop()
        if not loop.is_running():
            return asyncio.ensure_future(coroutine, loop=loop)
        # Pyodide's loop always runs, but is marked as running only in the
        # callbacks it runs itself, not in a call from JavaScript.
        asyncio.events._set_running_loop(loop)
    if sys.version_info >= (3, 12):
        return asyncio.Task(coroutine, loop=loop, eager_start=True)  # type: ignore[arg-type,call-arg]
    return asyncio.ensure_future(coroutine, loop=loop)


def _http_url(url: str) -> str:
    """The ``http(s):`` URL of a ``ws(s):`` one (cookies are kept by those)."""
    if url.startswith("ws"):
        return "http" + url[2:]
    return url


class WSGIAdapter:
    """Serves a WSGI app (PEP 3333) as an ASGI 3 app, without threads.

    As uvicorn's ``--interface wsgi`` does, except that the app's code (the
    call, each step of its response iterable, its ``close()``) runs inline on
    the event loop's thread the way a worker thread would run it (see
    ``pyodide_compat.run_inline``): the browser has no threads. The environ's
    ``SCRIPT_NAME`` is the mount prefix (``root_path``), so ``url_for``,
    redirects and ``request.script_root`` stay inside it; ``wsgi.input`` holds
    the whole request body; the response goes out chunk by chunk as the
    app's iterable yields it, so a streamed response streams.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            # WSGI has no lifespan: a server says yes to both on its behalf.
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})
            return
        if kind != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before its body arrived
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await _WSGIResponse(self.app, wsgi_environ(scope, bytes(body))).send_to(send)


def wsgi_environ(scope: Message, body: bytes) -> dict[str, Any]:
    """The PEP 3333 environ of an ASGI ``http`` scope (as uvicorn and a2wsgi build it)."""
    root_path = scope.get("root_path", "")
    path = scope["path"]
    if path.startswith(root_path):
        path = path[len(root_path) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("127.0.0.1", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        # Native strings holding the UTF-8 bytes of the decoded path (PEP 3333).
        "SCRIPT_NAME": root_path.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": bytes(scope.get("query_string", b"")).decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = bytes(raw_name).decode("latin-1").lower()
        value = bytes(raw_value).decode("latin-1")
        if name in ("content-type", "content-length"):
            key = name.upper().replace("-", "_")
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        if key in environ:
            # Repeated fields joined as on the wire; cookies with "; " (RFC 9113).
            value = environ[key] + ("; " if name == "cookie" else ",") + value
        environ[key] = value
    return environ


class _WSGIResponse:
    """One WSGI call: ``start_response``, ``write()`` and the iterable, sent as ASGI messages."""

    def __init__(self, app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> None:
        self.app = app
        self.environ = environ
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = False
        self.written: list[bytes] = []
        self.context = contextvars.copy_context()

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            if self.started:
                # Too late for an error page: PEP 3333 says re-raise.
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.status is not None:
            raise RuntimeError("start_response() called twice without exc_info")
        self.status = int(status.split(None, 1)[0])
        self.headers = [
            (name.strip().lower().encode("latin-1"), value.strip().encode("latin-1"))
            for name, value in headers
        ]
        return self.written.append

    async def _body(self, send: Send, chunk: bytes) -> None:
        if not self.started:
            if self.status is None:
                raise RuntimeError("the WSGI app sent a body before calling start_response()")
            self.started = True
            await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        if chunk:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    def _inline(self, func: Callable[..., T], *args: Any) -> T:
        # As on a WSGI server's worker thread: no running event loop, and one
        # context for the whole call (Flask's stream_with_context needs it).
        with _compat().as_worker_thread():
            return self.context.run(func, *args)

    async def send_to(self, send: Send) -> None:
        run_inline = self._inline
        iterable = run_inline(self.app, self.environ, self.start_response)
        try:
            iterator = iter(iterable)
            while True:
                for chunk in self.written:
                    await self._body(send, bytes(chunk))
                self.written.clear()
                try:
                    chunk = run_inline(next, iterator)
                except StopIteration:
                    break
                if chunk:
                    await self._body(send, bytes(chunk))
                    # A turn of the loop between chunks: other requests go on
                    # while a stream is slow.
                    await asyncio.sleep(0)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                run_inline(close)
        for chunk in self.written:
            await self._body(send, bytes(chunk))
        await self._body(send, b"")
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _without_frame_ancestors(policy: str) -> str:
    directives = [d.strip() for d in policy.split(";")]
    kept = [d for d in directives if d and d.split()[0].lower() != "frame-ancestors"]
    return "; ".join(kept)


def _format_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _reject(future: asyncio.Future[None], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
