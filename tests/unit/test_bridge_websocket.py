"""The bridge's websockets in CPython: scope, handshake, messages both ways, closing, denial, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.responses import PlainTextResponse
from starlette.routing import WebSocketRoute

from live_asgi_docs.bridge import Bridge, HTTPRequest, WebSocketRequest

from .test_bridge import run

BASE = "ws://127.0.0.1:8123/docs/app/demo/~abc"
ROOT = "/docs/app/demo/~abc"
ORIGIN = "http://127.0.0.1:8123"


class Page:
    """A page's socket as the emitter sees it: every event, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.changed = asyncio.Event()

    def accept(self, subprotocol: str, headers: list[tuple[str, str]]) -> None:
        self.events.append(("accept", subprotocol, headers))
        self.changed.set()

    def message(self, data: str | bytes) -> None:
        self.events.append(("message", data))
        self.changed.set()

    def close(self, code: int, reason: str, detail: str) -> None:
        self.events.append(("close", code, reason, detail))
        self.changed.set()

    def deny(self, status: int, detail: str) -> None:
        self.events.append(("deny", status, detail))
        self.changed.set()

    async def until(self, kind: str, count: int = 1) -> None:
        while sum(1 for e in self.events if e[0] == kind) < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 5)

    def kinds(self) -> list[str]:
        return [e[0] for e in self.events]


def ws_request(path: str = "/ws", **kw: Any) -> WebSocketRequest:
    return WebSocketRequest(url=BASE + path, root_path=ROOT, origin=ORIGIN, **kw)


Script = Callable[[Bridge, Page], Awaitable[Any]]


def session(app: Any, script: Script, *, debug: bool = False) -> Any:
    """Run ``script(bridge, page)`` on a fresh loop; its return value is returned."""

    async def main() -> Any:
        bridge = Bridge(app, debug=debug)
        page = Page()
        return await script(bridge, page)

    return run(main())


async def finished(socket: Any) -> None:
    assert socket.task is not None
    await asyncio.wait_for(socket.task, 5)


# -- scope -----------------------------------------------------------------------


def test_the_scope_is_a_browsers_handshake_with_prefix_query_and_subprotocols() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)
        await receive()
        await send({"type": "websocket.close"})

    async def script(bridge: Bridge, page: Page) -> None:
        req = ws_request(
            "/ws/hello%20w%C3%B6rld?room=a%20b&x=1",
            subprotocols=["chat.v2", "chat.v1"],
            headers=[("user-agent", "Test/1.0")],
        )
        await finished(bridge.websocket(req, page))

    session(app, script)
    assert seen["type"] == "websocket" and seen["scheme"] == "ws"
    assert seen["path"] == ROOT + "/ws/hello wörld"
    assert seen["raw_path"] == (ROOT + "/ws/hello%20w%C3%B6rld").encode()
    assert seen["root_path"] == ROOT
    assert seen["query_string"] == b"room=a%20b&x=1"
    assert seen["subprotocols"] == ["chat.v2", "chat.v1"]
    assert seen["server"] == ("127.0.0.1", 8123)
    headers = dict(seen["headers"])
    assert seen["headers"][0] == (b"host", b"127.0.0.1:8123")
    assert headers[b"origin"] == ORIGIN.encode()
    assert headers[b"sec-websocket-protocol"] == b"chat.v2, chat.v1"
    assert headers[b"upgrade"] == b"websocket" and headers[b"sec-websocket-version"] == b"13"
    assert headers[b"user-agent"] == b"Test/1.0"
    assert len(headers[b"sec-websocket-key"]) == 24
    assert b"cookie" not in headers


def test_wss_scope_and_the_cookie_jar_is_shared_with_http() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await receive()
            cookie = [(b"set-cookie", b"sid=s3cret; Path=/; HttpOnly")]
            await send({"type": "http.response.start", "status": 200, "headers": cookie})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        seen.update(scope)
        await receive()
        await send({"type": "websocket.accept", "headers": [(b"set-cookie", b"ws=1; Path=/")]})
        await send({"type": "websocket.close"})

    class Sink:
        def start(self, *a: Any) -> None: ...
        def body(self, *a: Any) -> None: ...
        def end(self) -> None: ...
        def error(self, *a: Any) -> None: ...

    async def script(bridge: Bridge, page: Page) -> Bridge:
        url = "https://docs.example.org/app/demo/~abc/login"
        await bridge.handle(HTTPRequest("GET", url, "/app/demo/~abc"), Sink())
        req = WebSocketRequest(url="wss://docs.example.org/app/demo/~abc/ws", root_path="/app/demo/~abc")
        await finished(bridge.websocket(req, page))
        return bridge

    bridge = session(app, script)
    assert seen["scheme"] == "wss" and seen["server"] == ("docs.example.org", 443)
    assert dict(seen["headers"])[b"cookie"] == b"sid=s3cret"
    # The handshake's Set-Cookie lands in the same jar, and is not shown to the page.
    assert sorted(c.name for c in bridge.cookies) == ["sid", "ws"]


# -- an open socket ----------------------------------------------------------------


async def echo_app(scope: Any, receive: Any, send: Any) -> None:
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept", "subprotocol": (scope["subprotocols"] or [None])[-1]})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            echo_app.disconnects.append(message)  # type: ignore[attr-defined]
            return
        if message.get("text") == "close please":
            await send({"type": "websocket.close", "code": 4001, "reason": "asked to"})
            continue
        out = {"type": "websocket.send"}
        if message.get("text") is not None:
            out["text"] = "echo: " + message["text"]
        else:
            out["bytes"] = message["bytes"][::-1]
        await send(out)


echo_app.disconnects = []  # type: ignore[attr-defined]


def test_text_and_bytes_both_ways_in_order_then_the_page_closes() -> None:
    echo_app.disconnects.clear()  # type: ignore[attr-defined]

    async def script(bridge: Bridge, page: Page) -> None:
        socket = bridge.websocket(ws_request(subprotocols=["a", "b"]), page)
        await page.until("accept")
        for i in range(100):
            socket.page_message(f"m{i}")
        socket.page_message(b"\x00\x01\x02")
        await page.until("message", 101)
        socket.page_close(4000, "bye")
        await finished(socket)

    page_events = session(echo_app, script_and_events(script))
    assert page_events[0] == ("accept", "b", [])
    assert [e[1] for e in page_events[1:101]] == [f"echo: m{i}" for i in range(100)]
    assert page_events[101] == ("message", b"\x02\x01\x00")
    assert page_events[102] == ("close", 4000, "bye", "")
    assert echo_app.disconnects == [{"type": "websocket.disconnect", "code": 4000, "reason": "bye"}]  # type: ignore[attr-defined]


def script_and_events(script: Script) -> Script:
    async def wrapped(bridge: Bridge, page: Page) -> list[tuple[Any, ...]]:
        await script(bridge, page)
        return page.events

    return wrapped


def test_close_without_a_code_is_1005_and_the_page_going_away_is_1001() -> None:
    echo_app.disconnects.clear()  # type: ignore[attr-defined]

    async def script(bridge: Bridge, page: Page) -> None:
        first = bridge.websocket(ws_request(), page)
        await page.until("accept")
        first.page_close()
        await finished(first)
        second = bridge.websocket(ws_request(), page)
        await page.until("accept", 2)
        second.page_gone()
        await finished(second)

    events = session(echo_app, script_and_events(script))
    assert events[1] == ("close", 1005, "", "")
    assert len(events) == 3  # nobody is told when the page itself left
    assert [d["code"] for d in echo_app.disconnects] == [1005, 1001]  # type: ignore[attr-defined]


def test_the_app_closes_with_its_code_and_reason_and_hears_the_echo() -> None:
    echo_app.disconnects.clear()  # type: ignore[attr-defined]

    async def script(bridge: Bridge, page: Page) -> None:
        socket = bridge.websocket(ws_request(), page)
        await page.until("accept")
        socket.page_message("close please")
        await finished(socket)
        socket.page_message("too late")  # dropped: the socket is closed

    events = session(echo_app, script_and_events(script))
    assert events[1:] == [("close", 4001, "asked to", "")]
    assert echo_app.disconnects == [{"type": "websocket.disconnect", "code": 4001, "reason": "asked to"}]  # type: ignore[attr-defined]


def test_sending_after_the_page_closed_raises_oserror() -> None:
    raised: list[BaseException] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        assert (await receive())["type"] == "websocket.disconnect"
        try:
            await send({"type": "websocket.send", "text": "anyone?"})
        except OSError as exc:
            raised.append(exc)

    async def script(bridge: Bridge, page: Page) -> None:
        socket = bridge.websocket(ws_request(), page)
        await page.until("accept")
        socket.page_close(1000, "")
        await finished(socket)

    session(app, script)
    assert len(raised) == 1


def test_a_megabyte_and_ten_thousand_messages_pass_in_order() -> None:
    async def script(bridge: Bridge, page: Page) -> list[tuple[Any, ...]]:
        socket = bridge.websocket(ws_request(), page)
        await page.until("accept")
        big = bytes(range(256)) * 4096
        socket.page_message(big)
        for i in range(10_000):
            socket.page_message(str(i))
        await page.until("message", 10_001)
        socket.page_close(1000)
        await finished(socket)
        assert page.events[1] == ("message", big[::-1])
        return page.events

    events = session(echo_app, script)
    assert [e[1] for e in events[2:10_002]] == [f"echo: {i}" for i in range(10_000)]


# -- denial, errors ------------------------------------------------------------------


def test_closing_before_accept_is_a_denial_and_the_app_hears_1006() -> None:
    heard: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.close", "code": 1008})
        heard.append(await receive())

    async def script(bridge: Bridge, page: Page) -> list[tuple[Any, ...]]:
        await finished(bridge.websocket(ws_request(), page))
        return page.events

    assert session(app, script) == [("deny", 403, "")]
    assert heard == [{"type": "websocket.disconnect", "code": 1006, "reason": ""}]


def test_a_denial_response_is_a_denial_with_its_status() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 401, "headers": []})
        await send({"type": "websocket.http.response.body", "body": b"no", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"pe"})

    async def script(bridge: Bridge, page: Page) -> list[tuple[Any, ...]]:
        await finished(bridge.websocket(ws_request(), page))
        return page.events

    assert session(app, script) == [("deny", 401, "")]


def test_a_subprotocol_the_page_did_not_offer_fails_the_connection() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept", "subprotocol": "other"})
        assert (await receive())["code"] == 1006

    async def script(bridge: Bridge, page: Page) -> list[tuple[Any, ...]]:
        await finished(bridge.websocket(ws_request(subprotocols=["mine"]), page))
        return page.events

    assert session(app, script) == [("deny", 101, "")]


def test_an_exception_after_accept_closes_with_1011_and_logs_the_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await receive()
        raise ValueError("the handler broke")

    async def script(bridge: Bridge, page: Page) -> list[tuple[Any, ...]]:
        socket = bridge.websocket(ws_request(), page)
        await page.until("accept")
        socket.page_message("go")
        await finished(socket)
        return page.events

    assert session(app, script)[1:] == [("close", 1011, "", "")]
    err = capsys.readouterr().err
    assert "exception in websocket ws://127.0.0.1:8123" in err and "ValueError: the handler broke" in err
    debug_events = session(app, script, debug=True)
    assert debug_events[1][:3] == ("close", 1011, "")
    assert "Traceback" in debug_events[1][3] and "ValueError: the handler broke" in debug_events[1][3]


def test_an_exception_before_accept_is_a_denial() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("no sockets today")

    async def script(bridge: Bridge, page: Page) -> list[tuple[Any, ...]]:
        await finished(bridge.websocket(ws_request(), page))
        return page.events

    assert session(app, script) == [("deny", 500, "")]
    (event,) = session(app, script, debug=True)
    assert event[:2] == ("deny", 500) and "no sockets today" in event[2]


def test_lifespan_shutdown_disconnects_open_sockets() -> None:
    echo_app.disconnects.clear()  # type: ignore[attr-defined]

    async def script(bridge: Bridge, page: Page) -> None:
        socket = bridge.websocket(ws_request(), page)
        await page.until("accept")
        await bridge.shutdown()
        await finished(socket)

    session(echo_app, script)
    assert [d["code"] for d in echo_app.disconnects] == [1001]  # type: ignore[attr-defined]


# -- frameworks ----------------------------------------------------------------------


def test_fastapi_websocket_with_query_cookie_and_disconnect() -> None:
    api = FastAPI()
    log: list[Any] = []

    @api.websocket("/ws/{room}")
    async def chat(websocket: WebSocket, room: str, name: str = "anon") -> None:
        await websocket.accept()
        await websocket.send_json({"room": room, "name": name, "root": websocket.scope["root_path"]})
        try:
            while True:
                await websocket.send_text(f"{name}: {await websocket.receive_text()}")
        except WebSocketDisconnect as exc:
            log.append(exc.code)

    async def script(bridge: Bridge, page: Page) -> list[tuple[Any, ...]]:
        socket = bridge.websocket(ws_request("/ws/lobby?name=zo%C3%AB"), page)
        await page.until("message")
        socket.page_message("hi")
        await page.until("message", 2)
        socket.page_close(1000)
        await finished(socket)
        return page.events

    events = session(api, script)
    assert events[1] == ("message", '{"room":"lobby","name":"zoë","root":"/docs/app/demo/~abc"}')
    assert events[2] == ("message", "zoë: hi")
    assert log == [1000]


def test_starlette_websocket_endpoint_and_a_denied_route() -> None:
    class Counter(WebSocketEndpoint):
        encoding = "text"

        async def on_connect(self, websocket: Any) -> None:
            if websocket.query_params.get("token") != "ok":
                await websocket.close(code=1008)
                return
            await websocket.accept()

        async def on_receive(self, websocket: Any, data: str) -> None:
            await websocket.send_text(str(int(data) + 1))

    app = Starlette(routes=[WebSocketRoute("/count", Counter)])
    app.add_route("/", lambda request: PlainTextResponse("home"))

    async def script(bridge: Bridge, page: Page) -> list[tuple[Any, ...]]:
        await finished(bridge.websocket(ws_request("/count"), page))
        socket = bridge.websocket(ws_request("/count?token=ok"), page)
        await page.until("accept")
        socket.page_message("41")
        await page.until("message")
        socket.page_close(1000)
        await finished(socket)
        # A path with no websocket route is denied, as under a server.
        await finished(bridge.websocket(ws_request("/nowhere"), page))
        return page.events

    events = session(app, script)
    assert events == [
        ("deny", 403, ""),
        ("accept", "", []),
        ("message", "42"),
        ("close", 1000, "", ""),
        ("deny", 403, ""),
    ]
