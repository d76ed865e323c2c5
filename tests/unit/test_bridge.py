"""The bridge in CPython: scopes, bodies, streaming, null bodies, cookies, frames, errors, lifespan."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from live_asgi_docs.bridge import Bridge, HTTPRequest, LifespanFailed, load_app

T = TypeVar("T")


def run(coroutine: Awaitable[T]) -> T:
    """``asyncio.run`` in a thread of its own.

    The browser tests' Playwright keeps an event loop running in the main
    thread for the whole session, where ``asyncio.run`` refuses to start.
    """
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()  # type: ignore[arg-type]


BASE = "http://127.0.0.1:8123/docs/app/demo/~abc"
ROOT = "/docs/app/demo/~abc"


class Recorder:
    """An Emitter that notes what came, and when."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.ended = False
        self.errors: list[str] = []
        self.events: list[str] = []
        #: Set by every event, for a test that waits for the next one.
        self.changed = asyncio.Event()

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.status, self.headers = status, headers
        self.events.append("start")
        self.changed.set()

    def body(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.events.append(f"body:{chunk.decode(errors='replace')}")
        self.changed.set()

    def end(self) -> None:
        self.ended = True
        self.events.append("end")

    def error(self, message: str) -> None:
        self.errors.append(message)

    @property
    def text(self) -> str:
        return b"".join(self.chunks).decode()

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]


def request(path: str = "/", method: str = "GET", **kw: Any) -> HTTPRequest:
    return HTTPRequest(method=method, url=BASE + path, root_path=ROOT, **kw)


def serve(bridge: Bridge, req: HTTPRequest) -> Recorder:
    out = Recorder()
    run(bridge.handle(req, out))
    return out


def scope_of(req: HTTPRequest, bridge: Bridge | None = None) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)
        seen["body"] = (await receive())["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    bridge = bridge or Bridge(app)
    bridge.app = app
    serve(bridge, req)
    return seen


def headers(scope: dict[str, Any]) -> dict[bytes, bytes]:
    return dict(scope["headers"])


# -- scope ---------------------------------------------------------------------


def test_path_is_percent_decoded_utf8_and_raw_path_keeps_the_bytes() -> None:
    scope = scope_of(request("/items/hello%20w%C3%B6rld%2Fx"))
    assert scope["path"] == ROOT + "/items/hello wörld/x"
    assert scope["raw_path"] == (ROOT + "/items/hello%20w%C3%B6rld%2Fx").encode()


def test_root_path_is_the_prefix_and_path_the_full_prefixed_path() -> None:
    scope = scope_of(request("/docs"))
    assert scope["root_path"] == ROOT
    assert scope["path"] == ROOT + "/docs"
    assert scope["type"] == "http" and scope["http_version"] == "1.1" and scope["scheme"] == "http"
    assert scope["server"] == ("127.0.0.1", 8123)


def test_query_string_is_the_raw_bytes() -> None:
    scope = scope_of(request("/q?a=1&a=2&b=x+y&c=x%20y&d=%C3%A9"))
    assert scope["query_string"] == b"a=1&a=2&b=x+y&c=x%20y&d=%C3%A9"
    assert scope["path"] == ROOT + "/q"


def test_header_names_are_lower_case_bytes_and_host_has_the_port() -> None:
    scope = scope_of(request("/", headers=[("Accept", "text/html"), ("X-Custom", "Ünï")]))
    assert all(isinstance(k, bytes) and k == k.lower() for k, _ in scope["headers"])
    assert scope["headers"][0] == (b"host", b"127.0.0.1:8123")
    assert headers(scope)[b"accept"] == b"text/html"
    assert headers(scope)[b"x-custom"] == "Ünï".encode("latin-1")


def test_host_has_no_port_when_it_is_the_default() -> None:
    req = HTTPRequest("GET", "https://docs.example.org/app/x/~a/", root_path="/app/x/~a")
    assert headers(scope_of(req))[b"host"] == b"docs.example.org"


def test_origin_is_sent_on_unsafe_methods_only_as_a_browser_does_on_its_own_origin() -> None:
    assert b"origin" not in headers(scope_of(request("/")))
    post = headers(scope_of(request("/", method="POST", body=b"a=1")))
    assert post[b"origin"] == b"http://127.0.0.1:8123"
    assert post[b"content-length"] == b"3"
    # A page's fetch() GET of its own origin (mode "cors") carries no Origin.
    cors = headers(scope_of(request("/", mode="cors", destination="")))
    assert b"origin" not in cors
    assert cors[b"sec-fetch-mode"] == b"cors"
    cors_put = headers(scope_of(request("/", method="PUT", mode="cors", destination="")))
    assert cors_put[b"origin"] == b"http://127.0.0.1:8123"


def test_referer_is_the_requests_referrer() -> None:
    scope = scope_of(request("/next", referrer=BASE + "/form"))
    assert headers(scope)[b"referer"] == (BASE + "/form").encode()
    assert b"referer" not in headers(scope_of(request("/next")))


def test_an_empty_post_says_content_length_zero_and_a_get_or_patch_says_nothing() -> None:
    assert headers(scope_of(request("/", method="POST")))[b"content-length"] == b"0"
    assert headers(scope_of(request("/", method="PUT")))[b"content-length"] == b"0"
    assert b"content-length" not in headers(scope_of(request("/")))
    # As a browser: Fetch says 0 for a bodiless POST or PUT only.
    assert b"content-length" not in headers(scope_of(request("/", method="PATCH")))
    assert headers(scope_of(request("/", method="PATCH", body=b"x")))[b"content-length"] == b"1"


def test_the_request_body_arrives_whole_in_one_message() -> None:
    body = bytes(range(256)) * 1000
    assert scope_of(request("/", method="PUT", body=body))["body"] == body


def test_load_app_imports_a_dotted_attribute() -> None:
    assert load_app("asyncio:Queue.put") is asyncio.Queue.put


# -- streaming ------------------------------------------------------------------


def test_the_first_chunk_is_emitted_before_the_app_finishes() -> None:
    out = Recorder()
    first_seen = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        # The reader's page has chunk one before the app goes on.
        await asyncio.wait_for(first_seen.wait(), 5)
        await send({"type": "http.response.body", "body": b"two", "more_body": False})

    async def watch() -> None:
        while not out.chunks:
            await out.changed.wait()
            out.changed.clear()
        assert out.events == ["start", "body:one"]
        first_seen.set()

    async def main() -> None:
        await asyncio.gather(Bridge(app).handle(request("/"), out), watch())

    run(main())
    assert out.events == ["start", "body:one", "body:two", "end"]


def test_disconnect_is_held_until_the_response_is_complete() -> None:
    received: list[tuple[str, int]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        sent = 0

        async def listen() -> None:
            message = await receive()
            received.append((message["type"], sent))

        listener = asyncio.ensure_future(listen())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(3):
            await asyncio.sleep(0.01)
            sent += 1
            await send({"type": "http.response.body", "body": b"x", "more_body": i < 2})
        await listener

    out = serve(Bridge(app), request("/"))
    assert out.text == "xxx"
    assert received == [("http.disconnect", 3)]


def test_starlette_streaming_response_is_not_cut_short() -> None:
    async def numbers(request: Request) -> StreamingResponse:
        async def produce() -> Any:
            for i in range(5):
                yield f"{i}\n"
                await asyncio.sleep(0.01)

        return StreamingResponse(produce(), media_type="text/plain")

    app = Starlette(routes=[Route("/numbers", numbers)])
    out = Recorder()

    async def main() -> None:
        bridge = Bridge(app)
        await bridge.startup()
        await bridge.handle(request("/numbers"), out)

    run(main())
    assert out.text == "0\n1\n2\n3\n4\n"
    assert len(out.chunks) == 5 and out.ended and not out.errors


def test_a_reader_who_goes_away_disconnects_the_app() -> None:
    got: list[str] = []
    sent = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        sent.set()
        got.append((await receive())["type"])
        with pytest.raises(OSError):
            await send({"type": "http.response.body", "body": b"b", "more_body": True})
        got.append("send refused")

    async def main() -> None:
        bridge = Bridge(app)
        task = asyncio.ensure_future(bridge.handle(request("/"), Recorder(), request_id=7))
        await sent.wait()  # the reader has the first chunk, then goes away
        bridge.cancel(7)
        await task

    run(main())
    assert got == ["http.disconnect", "send refused"]


# -- null bodies ----------------------------------------------------------------


def body_app(status: int) -> Callable[..., Awaitable[None]]:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"4")]})
        await send({"type": "http.response.body", "body": b"body"})

    return app


@pytest.mark.parametrize("status", [204, 205, 304])
def test_null_body_statuses_emit_no_body(status: int) -> None:
    out = serve(Bridge(body_app(status)), request("/"))
    assert out.status == status and out.chunks == [] and out.ended


def test_head_is_answered_without_a_body_but_with_the_headers() -> None:
    out = serve(Bridge(body_app(200)), request("/", method="HEAD"))
    assert out.status == 200 and out.chunks == [] and out.header("content-length") == ["4"]


# -- cookies --------------------------------------------------------------------


def cookie_app(set_cookies: dict[str, list[str]]) -> Callable[..., Awaitable[None]]:
    """Answers each path with its Set-Cookie headers and echoes the Cookie header."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        path = scope["path"].removeprefix(scope["root_path"])
        cookie = dict(scope["headers"]).get(b"cookie", b"")
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"set-cookie", v.encode()) for v in set_cookies.get(path, [])],
            }
        )
        await send({"type": "http.response.body", "body": cookie})

    return app


def test_cookies_are_kept_sent_back_and_hidden_from_the_page() -> None:
    bridge = Bridge(cookie_app({"/login": ["user=ann; Path=/; HttpOnly", "theme=dark; Path=/; Secure"]}))
    login = serve(bridge, request("/login"))
    assert login.header("set-cookie") == []
    # Secure cookies count on http://127.0.0.1 as in a browser (a secure context).
    assert serve(bridge, request("/page")).text == "user=ann; theme=dark"
    assert serve(bridge, request("/post", method="POST")).text == "user=ann; theme=dark"


def test_cookie_path_limits_where_it_is_sent() -> None:
    bridge = Bridge(cookie_app({"/set": [f"scoped=1; Path={ROOT}/admin"]}))
    serve(bridge, request("/set"))
    assert serve(bridge, request("/elsewhere")).text == ""
    assert serve(bridge, request("/admin/page")).text == "scoped=1"


def test_max_age_expires_a_cookie(monkeypatch: pytest.MonkeyPatch) -> None:
    bridge = Bridge(cookie_app({"/set": ["brief=1; Path=/; Max-Age=1", "long=1; Path=/; Max-Age=3600"]}))
    serve(bridge, request("/set"))
    assert serve(bridge, request("/")).text == "brief=1; long=1"
    # Two seconds later for the cookie jar's clock, without waiting for them.
    later = time.time() + 2
    monkeypatch.setattr(time, "time", lambda: later)
    assert serve(bridge, request("/")).text == "long=1"


def test_the_cookies_sent_follow_every_change_of_the_jar() -> None:
    bridge = Bridge(cookie_app({"/one": ["one=1; Path=/"], "/two": ["two=2; Path=/"]}))
    serve(bridge, request("/one"))
    assert serve(bridge, request("/page?x=1")).text == "one=1"
    assert serve(bridge, request("/page?x=2")).text == "one=1"
    serve(bridge, request("/two"))
    assert serve(bridge, request("/page?x=3")).text == "one=1; two=2"
    bridge.cookies.clear()  # as a test resets a reader's browser
    assert serve(bridge, request("/page?x=4")).text == ""


def test_deleting_a_cookie_by_max_age_zero_or_a_past_expiry() -> None:
    bridge = Bridge(
        cookie_app(
            {
                "/set": ["a=1; Path=/", "b=2; Path=/", "c=3; Path=/"],
                "/delete": [
                    'a=""; Path=/; Max-Age=0',
                    "b=gone; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                ],
            }
        )
    )
    serve(bridge, request("/set"))
    serve(bridge, request("/delete"))
    assert serve(bridge, request("/")).text == "c=3"


def test_future_expiry_is_kept() -> None:
    bridge = Bridge(cookie_app({"/set": ["k=v; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT"]}))
    serve(bridge, request("/set"))
    assert serve(bridge, request("/")).text == "k=v"


# -- frames ---------------------------------------------------------------------


def test_frame_busting_headers_are_removed_and_the_rest_of_the_policy_kept() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"X-Frame-Options", b"DENY"),
                    (b"Content-Security-Policy", b"default-src 'self'; frame-ancestors 'none'; img-src *"),
                    (b"content-security-policy", b"frame-ancestors 'self'"),
                    (b"x-other", b"kept"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})

    out = serve(Bridge(app), request("/"))
    assert out.header("x-frame-options") == []
    assert out.header("content-security-policy") == ["default-src 'self'; img-src *"]
    assert out.header("x-other") == ["kept"]


# -- errors ---------------------------------------------------------------------


async def failing_app(scope: Any, receive: Any, send: Any) -> None:
    raise ValueError("the secret detail")


def test_an_exception_is_a_500_without_the_traceback() -> None:
    out = serve(Bridge(failing_app), request("/"))
    assert out.status == 500 and out.text == "Internal Server Error" and out.ended


def test_debug_shows_the_traceback_in_the_500() -> None:
    out = serve(Bridge(failing_app, debug=True), request("/"))
    assert out.status == 500
    assert "Traceback" in out.text and "ValueError: the secret detail" in out.text


def test_an_exception_after_the_response_started_breaks_it_off() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("late")

    out = serve(Bridge(app), request("/"))
    assert out.status == 200 and out.text == "partial" and not out.ended
    assert "late" in out.errors[0]


def test_an_app_that_answers_nothing_gives_a_500() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    assert serve(Bridge(app), request("/")).status == 500


# -- lifespan -------------------------------------------------------------------


def lifespan_app(log: list[str], *, fail_startup: bool = False, fail_shutdown: bool = False) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            if fail_startup:
                await send({"type": "lifespan.startup.failed", "message": "no database"})
                return
            scope["state"]["db"] = "connected"
            log.append("startup")
            await send({"type": "lifespan.startup.complete"})
            await receive()
            log.append("shutdown")
            if fail_shutdown:
                await send({"type": "lifespan.shutdown.failed", "message": "could not flush"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
            return
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["state"]["db"].encode()})

    return app


def test_startup_runs_before_requests_and_its_state_reaches_them_then_shutdown_runs() -> None:
    log: list[str] = []
    bridge = Bridge(lifespan_app(log))
    out = Recorder()

    async def main() -> None:
        await bridge.startup()
        await bridge.handle(request("/"), out)
        await bridge.shutdown()

    run(main())
    assert out.text == "connected"
    assert log == ["startup", "shutdown"]


def test_a_failed_startup_raises_with_the_apps_message() -> None:
    with pytest.raises(LifespanFailed, match="no database"):
        run(Bridge(lifespan_app([], fail_startup=True)).startup())


def test_a_failed_shutdown_raises_with_the_apps_message() -> None:
    async def main() -> None:
        bridge = Bridge(lifespan_app([], fail_shutdown=True))
        await bridge.startup()
        await bridge.shutdown()

    with pytest.raises(LifespanFailed, match="could not flush"):
        run(main())


def test_an_app_without_lifespan_is_served_and_shutdown_is_a_no_op() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http", "no lifespan here"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"served"})

    bridge = Bridge(app)
    out = Recorder()

    async def main() -> None:
        await bridge.startup()
        await bridge.handle(request("/"), out)
        await bridge.shutdown()

    run(main())
    assert out.text == "served"


def test_an_exception_during_startup_after_a_message_is_a_failure() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.custom"})  # said something: it does lifespan
        raise RuntimeError("boom in startup")

    with pytest.raises(LifespanFailed, match="boom in startup"):
        run(Bridge(app).startup())


# -- one message for a response that is complete at once ---------------------


class FullRecorder(Recorder):
    """An emitter that takes a complete response in one call, like the browser's."""

    def full(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.headers = status, headers
        self.chunks.append(body)
        self.ended = True
        self.events.append(f"full:{body.decode(errors='replace')}")


def test_a_response_complete_at_once_is_passed_on_in_one_call() -> None:
    app = Starlette(routes=[Route("/hi", lambda request: PlainTextResponse("hi"))])
    out = FullRecorder()
    run(Bridge(app).handle(request("/hi"), out))
    assert out.events == ["full:hi"]
    assert out.status == 200 and out.header("content-type") == ["text/plain; charset=utf-8"]


def test_a_streamed_responses_headers_are_not_held_while_the_app_waits() -> None:
    out = FullRecorder()
    release = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        await asyncio.wait_for(release.wait(), 5)  # the first event is not ready yet
        await send({"type": "http.response.body", "body": b"data: 1\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def watch() -> None:
        await out.changed.wait()
        assert out.events == ["start"]  # the reader's fetch() resolves before any event
        release.set()

    async def main() -> None:
        await asyncio.gather(Bridge(app).handle(request("/"), out), watch())

    run(main())
    assert out.events == ["start", "body:data: 1\n\n", "end"]


def test_head_and_null_body_statuses_complete_at_once_have_no_body() -> None:
    app = Starlette(
        routes=[
            Route("/gone", lambda request: Response(status_code=204)),
            Route("/page", lambda request: PlainTextResponse("body"), methods=["GET", "HEAD"]),
        ]
    )
    no_content = FullRecorder()
    run(Bridge(app).handle(request("/gone"), no_content))
    assert no_content.events == ["full:"] and no_content.status == 204
    head = FullRecorder()
    run(Bridge(app).handle(request("/page", method="HEAD"), head))
    assert head.events == ["full:"] and head.header("content-length") == ["4"]


# -- the browser's worker starts each request at once (handle_now) ------------


class DoneRecorder(FullRecorder):
    """A FullRecorder that says when the response is complete."""

    def __init__(self) -> None:
        super().__init__()
        self.done = asyncio.Event()

    def full(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        super().full(status, headers, body)
        self.done.set()

    def end(self) -> None:
        super().end()
        self.done.set()


def test_handle_now_serves_a_response_complete_at_once_in_one_call() -> None:
    app = Starlette(routes=[Route("/hi", lambda request: PlainTextResponse("hi"))])
    out = DoneRecorder()

    async def main() -> None:
        Bridge(app).handle_now(request("/hi"), out)
        await asyncio.wait_for(out.done.wait(), 5)

    run(main())
    assert out.events == ["full:hi"]
    assert out.status == 200 and out.header("content-type") == ["text/plain; charset=utf-8"]


def test_handle_now_does_not_hold_a_streamed_responses_headers_while_the_app_waits() -> None:
    out = DoneRecorder()

    async def main() -> None:
        release = asyncio.Event()

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await asyncio.wait_for(release.wait(), 5)
            await send({"type": "http.response.body", "body": b"late", "more_body": False})

        Bridge(app).handle_now(request("/"), out)
        await asyncio.wait_for(out.changed.wait(), 5)
        assert out.events == ["start"]
        release.set()
        await asyncio.wait_for(out.done.wait(), 5)

    run(main())
    assert out.events == ["start", "body:late", "end"]
