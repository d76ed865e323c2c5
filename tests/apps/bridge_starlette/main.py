"""A pure Starlette app with sessions: the test contract, routed by hand."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

ECHOED = ("host", "content-type", "content-length", "x-custom", "x-text", "cookie", "origin")
#: Non-ASCII header values, as raw bytes (servers send them as they are).
HEADER_BYTES = [
    (b"x-utf8", "café ✓".encode()),
    (b"x-utf8-latin", "café".encode()),
    (b"x-latin1", "café".encode("latin-1")),
]


async def echo(request: Request) -> Response:
    body = await request.body()
    form: list[Any] = []
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        async with request.form() as parsed:
            for key, value in parsed.multi_items():
                if isinstance(value, str):
                    form.append([key, value])
                else:
                    data = await value.read()
                    form.append(
                        [
                            key,
                            {
                                "filename": value.filename,
                                "size": len(data),
                                "sha256": hashlib.sha256(data).hexdigest(),
                            },
                        ]
                    )
    return JSONResponse(
        {
            "method": request.method,
            "rest": request.path_params["rest"],
            "path": request.scope["path"],
            "root_path": request.scope["root_path"],
            "raw_path": request.scope["raw_path"].decode("latin-1"),
            "query_string": request.scope["query_string"].decode("latin-1"),
            "query": list(request.query_params.multi_items()),
            "headers": {name: request.headers.getlist(name) for name in ECHOED},
            "x_dup": request.headers.getlist("x-dup"),
            "url": str(request.url),
            "body_len": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "form": form,
        }
    )


async def status(request: Request) -> Response:
    code = request.path_params["code"]
    return Response(status_code=code, headers={"x-status": str(code)})


async def etag(request: Request) -> Response:
    tag = '"v1"'
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"etag": tag})
    return PlainTextResponse("versioned content", headers={"etag": tag})


async def dup_headers(request: Request) -> Response:
    response = PlainTextResponse("two of each")
    response.headers.append("x-dup", "a")
    response.headers.append("x-dup", "b")
    response.headers.append("vary", "Accept")
    response.headers.append("vary", "Cookie")
    response.set_cookie("first", "1")
    response.set_cookie("second", "2")
    return response


async def header_bytes(request: Request) -> Response:
    response = PlainTextResponse("bytes in headers")
    response.raw_headers.extend(HEADER_BYTES)
    return response


async def redirect(request: Request) -> Response:
    return RedirectResponse(request.url_for("echo", rest="target"), status_code=302)


async def slash(request: Request) -> Response:
    return PlainTextResponse("with a trailing slash")


async def error(request: Request) -> Response:
    raise RuntimeError("the app failed on purpose")


async def upload(request: Request) -> Response:
    async with request.form() as form:
        file = form["file"]
        assert not isinstance(file, str)
        data = await file.read()
        return JSONResponse(
            {"filename": file.filename, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )


async def cookies(request: Request) -> Response:
    return JSONResponse(dict(request.cookies))


async def cookies_set(request: Request) -> Response:
    q = request.query_params
    response = PlainTextResponse(f"set {q['name']}")
    max_age = int(q["max_age"]) if "max_age" in q else None
    response.set_cookie(q["name"], q["value"], max_age=max_age, path=q.get("path", "/"))
    return response


async def cookies_delete(request: Request) -> Response:
    response = PlainTextResponse(f"deleted {request.query_params['name']}")
    response.delete_cookie(request.query_params["name"])
    return response


async def session(request: Request) -> Response:
    return JSONResponse({"user": request.session.get("user"), "visits": request.session.get("visits", 0)})


async def session_login(request: Request) -> Response:
    async with request.form() as form:
        request.session["user"] = str(form["user"])
    request.session["visits"] = request.session.get("visits", 0) + 1
    return RedirectResponse(request.url_for("session"), status_code=303)


async def session_logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse(request.url_for("session"), status_code=303)


WS_ECHOED = ("host", "origin", "sec-websocket-protocol")


class WSEcho(WebSocketEndpoint):
    """The websocket contract as a Starlette ``WebSocketEndpoint``."""

    encoding = None

    async def on_connect(self, websocket: WebSocket) -> None:
        offered = websocket.scope["subprotocols"]
        await websocket.accept(subprotocol="chat.v2" if "chat.v2" in offered else None)
        scope = websocket.scope
        await websocket.send_json(
            {
                "path": scope["path"],
                "root_path": scope["root_path"],
                "raw_path": scope["raw_path"].decode("latin-1"),
                "query_string": scope["query_string"].decode("latin-1"),
                "subprotocols": scope["subprotocols"],
                "headers": {name: websocket.headers.getlist(name) for name in WS_ECHOED},
            }
        )

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        if data == "close":
            await websocket.close(4321, "the app closes")
        elif isinstance(data, str):
            await websocket.send_text("echo: " + data)
        else:
            await websocket.send_bytes(data[::-1])


class WSDeny(WebSocketEndpoint):
    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.close(code=1008)


app = Starlette(
    routes=[
        WebSocketRoute("/ws/echo/{rest:path}", WSEcho),
        WebSocketRoute("/ws/deny", WSDeny),
        Route(
            "/echo/{rest:path}",
            echo,
            name="echo",
            methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        ),
        Route("/status/{code:int}", status),
        Route("/etag", etag),
        Route("/dup-headers", dup_headers),
        Route("/header-bytes", header_bytes),
        Route("/redirect", redirect),
        Route("/slash/", slash),
        Route("/error", error),
        Route("/upload", upload, methods=["POST"]),
        Route("/cookies", cookies),
        Route("/cookies/set", cookies_set),
        Route("/cookies/delete", cookies_delete),
        Route("/session", session, name="session"),
        Route("/session/login", session_login, methods=["POST"]),
        Route("/session/logout", session_logout, methods=["POST"]),
    ],
    # A fixed key: the differential suite compares both servers' cookies.
    middleware=[Middleware(SessionMiddleware, secret_key="not-a-secret-test-key")],
)
