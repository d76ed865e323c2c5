"""A FastAPI app that does what FastAPI apps do: the test contract plus sync code, streaming, a login."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import (
    BackgroundTasks,
    Depends,
    FastAPI,
    Form,
    Request,
    Response,
    UploadFile,
    WebSocket,
)
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
)
from starlette.concurrency import run_in_threadpool

app = FastAPI(title="bridge test app")

#: The headers the echo endpoint reports (others differ by client, not by server).
ECHOED = ("host", "content-type", "content-length", "x-custom", "x-text", "cookie", "origin")
#: Non-ASCII header values, as raw bytes (servers send them as they are).
HEADER_BYTES = [
    (b"x-utf8", "café ✓".encode()),
    (b"x-utf8-latin", "café".encode()),
    (b"x-latin1", "café".encode("latin-1")),
]
#: Filled by a sync background task.
BACKGROUND: list[str] = []
#: Set while no background task is queued: a server may run them after the
#: response (uvicorn, in a thread), so the next request waits for them.
BACKGROUND_IDLE = threading.Event()
BACKGROUND_IDLE.set()


async def form_items(request: Request) -> list[Any]:
    """The form fields of a urlencoded or multipart body (files as size + sha256)."""
    if not request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return []
    items: list[Any] = []
    async with request.form() as form:
        for key, value in form.multi_items():
            if isinstance(value, str):
                items.append([key, value])
            else:
                data = await value.read()
                items.append(
                    [
                        key,
                        {
                            "filename": value.filename,
                            "size": len(data),
                            "sha256": hashlib.sha256(data).hexdigest(),
                        },
                    ]
                )
    return items


@app.api_route("/echo/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def echo(request: Request, rest: str) -> JSONResponse:
    """What the app sees of the request."""
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "rest": rest,
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
            "json": await request.json()
            if request.headers.get("content-type") == "application/json"
            else None,
            "form": await form_items(request),
        }
    )


@app.get("/status/{code}")
async def status(code: int) -> Response:
    return Response(status_code=code, headers={"x-status": str(code)})


@app.get("/etag")
async def etag(request: Request) -> Response:
    tag = '"v1"'
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"etag": tag})
    return PlainTextResponse("versioned content", headers={"etag": tag, "cache-control": "no-cache"})


@app.get("/dup-headers")
async def dup_headers() -> Response:
    response = PlainTextResponse("two of each")
    response.headers.append("x-dup", "a")
    response.headers.append("x-dup", "b")
    response.headers.append("vary", "Accept")
    response.headers.append("vary", "Cookie")
    response.set_cookie("first", "1")
    response.set_cookie("second", "2", path="/")
    return response


@app.get("/header-bytes")
async def header_bytes() -> Response:
    """Header values that are not ASCII: UTF-8 (with and without code points above U+00FF), Latin-1."""
    response = PlainTextResponse("bytes in headers")
    response.raw_headers.extend(HEADER_BYTES)
    return response


@app.get("/redirect")
async def redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(request.url_for("echo", rest="target"), status_code=302)


@app.get("/slash/")
async def slash() -> PlainTextResponse:
    return PlainTextResponse("with a trailing slash")


@app.get("/error")
async def error() -> None:
    raise RuntimeError("the app failed on purpose")


@app.post("/upload")
async def upload(file: UploadFile) -> dict[str, Any]:
    data = await file.read()
    return {"filename": file.filename, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@app.get("/cookies")
async def cookies(request: Request) -> dict[str, str]:
    return dict(request.cookies)


@app.get("/cookies/set")
async def cookies_set(name: str, value: str, max_age: int | None = None, path: str = "/") -> Response:
    response = PlainTextResponse(f"set {name}")
    response.set_cookie(name, value, max_age=max_age, path=path)
    return response


@app.get("/cookies/expire")
async def cookies_expire(name: str) -> Response:
    response = PlainTextResponse(f"expired {name}")
    response.headers.append("set-cookie", f"{name}=gone; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    return response


@app.get("/cookies/delete")
async def cookies_delete(name: str) -> Response:
    response = PlainTextResponse(f"deleted {name}")
    response.delete_cookie(name)
    return response


# -- synchronous code (worker threads under uvicorn, inline in Pyodide) -------


def sync_dependency() -> Iterator[str]:
    # A generator dependency: FastAPI runs its setup and teardown in threads.
    yield "def dependency"


@app.get("/sync")
def sync_endpoint(dep: Annotated[str, Depends(sync_dependency)]) -> dict[str, str]:
    """A plain ``def`` endpoint with a ``def`` dependency: FastAPI runs both in its thread pool."""
    return {"endpoint": "def", "dependency": dep}


def remember(text: str) -> None:
    BACKGROUND.append(text)
    BACKGROUND_IDLE.set()


@app.post("/background")
def background(text: Annotated[str, Form()], tasks: BackgroundTasks) -> dict[str, str]:
    BACKGROUND_IDLE.clear()
    tasks.add_task(remember, text)
    return {"queued": text}


@app.get("/background")
async def background_done() -> list[str]:
    """What the background tasks did since last asked (once they are done)."""
    await run_in_threadpool(BACKGROUND_IDLE.wait, 10)
    done = list(BACKGROUND)
    BACKGROUND.clear()
    return done


@app.get("/threadpool")
async def threadpool() -> dict[str, int]:
    return {"sum": await run_in_threadpool(sum, [1, 2, 3])}


# -- streaming -------------------------------------------------------------------


@app.get("/stream")
async def stream(chunks: int = 5, delay: float = 0.3) -> StreamingResponse:
    async def produce() -> AsyncIterator[str]:
        for i in range(chunks):
            yield f"chunk {i}\n"
            await asyncio.sleep(delay)

    return StreamingResponse(produce(), media_type="text/plain")


@app.get("/sse")
async def sse(events: int = 5, delay: float = 0.3) -> StreamingResponse:
    async def produce() -> AsyncIterator[str]:
        for i in range(events):
            yield f"id: {i}\ndata: event {i}\n\n"
            await asyncio.sleep(delay)

    return StreamingResponse(produce(), media_type="text/event-stream", headers={"cache-control": "no-cache"})


# -- a login, with cookies, HTML forms and fetch() --------------------------------

PAGE = """<!doctype html><meta charset="utf-8"><title>{title}</title>
<h1>{title}</h1>{body}
<p><a id="home" href="{root}/">home</a> <a id="me-link" href="{root}/me">me</a></p>"""


@app.get("/", response_class=HTMLResponse)
async def home(request: Request) -> str:
    root = request.scope["root_path"]
    form = (
        f'<form id="login" method="post" action="{root}/login">'
        '<input name="user"><button type="submit">Log in</button></form>'
    )
    return PAGE.format(title="Bridge test app", root=root, body=form)


@app.post("/login")
async def login(request: Request, user: Annotated[str, Form()]) -> RedirectResponse:
    response = RedirectResponse(request.url_for("me"), status_code=303)
    response.set_cookie("user", user, httponly=True, samesite="lax")
    return response


@app.get("/me", response_class=HTMLResponse)
async def me(request: Request) -> str:
    root = request.scope["root_path"]
    user = request.cookies.get("user")
    body = (
        (
            f'<p id="who">logged in as {user}</p><form method="post" action="{root}/logout">'
            '<button id="logout" type="submit">Log out</button></form>'
        )
        if user
        else '<p id="who">nobody</p>'
    )
    return PAGE.format(title="Me", root=root, body=body)


@app.get("/api/me")
async def api_me(request: Request) -> dict[str, str | None]:
    return {"user": request.cookies.get("user")}


@app.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    response = RedirectResponse(request.url_for("me"), status_code=303)
    response.delete_cookie("user")
    return response


@app.get("/framed", response_class=HTMLResponse)
async def framed() -> HTMLResponse:
    """A page that forbids framing, as many apps' security middleware does."""
    return HTMLResponse(
        '<!doctype html><h1 id="framed">Shown although the app forbids frames</h1>',
        headers={
            "x-frame-options": "DENY",
            "content-security-policy": "frame-ancestors 'none'; default-src 'self' 'unsafe-inline'",
        },
    )


#: The handshake headers the websocket endpoints report (the others differ by client).
WS_ECHOED = ("host", "origin", "sec-websocket-protocol")


def ws_scope(websocket: WebSocket) -> dict[str, Any]:
    """What the app saw of a websocket's scope."""
    scope = websocket.scope
    return {
        "path": scope["path"],
        "root_path": scope["root_path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query_string": scope["query_string"].decode("latin-1"),
        "subprotocols": scope["subprotocols"],
        "headers": {name: websocket.headers.getlist(name) for name in WS_ECHOED},
    }


@app.websocket("/ws/echo/{rest:path}")
async def ws_echo(websocket: WebSocket) -> None:
    """Says what it saw, then echoes text, reverses bytes, and closes when told "close"."""
    offered = websocket.scope["subprotocols"]
    await websocket.accept(subprotocol="chat.v2" if "chat.v2" in offered else None)
    await websocket.send_json(ws_scope(websocket))
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "close":
            await websocket.close(4321, "the app closes")
            return
        if message.get("text") is not None:
            await websocket.send_text("echo: " + message["text"])
        else:
            await websocket.send_bytes(message["bytes"][::-1])


@app.websocket("/ws/deny")
async def ws_deny(websocket: WebSocket) -> None:
    """Refuses every connection before accepting it."""
    await websocket.close(code=1008)


@app.websocket("/ws/boom")
async def ws_boom(websocket: WebSocket) -> None:
    """Raises in its handler on the first message."""
    await websocket.accept()
    await websocket.receive_text()
    raise RuntimeError("the websocket handler broke (on purpose)")


#: Opens a socket from the page's first script and notes what it hears.
WS_PAGE_SCRIPT = """
window.heard = [];
window.early = new WebSocket("echo/%s");
early.onmessage = (event) => heard.push(event.data);
early.onopen = () => early.send("from the first script");
"""


@app.get("/ws/page", response_class=HTMLResponse)
async def ws_page() -> HTMLResponse:
    """A page whose first script in <head> opens a socket."""
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><script>{WS_PAGE_SCRIPT % 'page'}</script>"
        "<title>ws page</title></head><body><h1>ws page</h1></body></html>"
    )


@app.get("/ws/csp", response_class=HTMLResponse)
async def ws_csp() -> HTMLResponse:
    """A page with a strict Content-Security-Policy: only its nonce'd script may run."""
    return HTMLResponse(
        f"<!doctype html><html><head><script nonce='t3st'>{WS_PAGE_SCRIPT % 'csp'}</script>"
        "<title>ws csp</title></head><body><h1>ws csp</h1>"
        "<script>window.unsafe = true;</script></body></html>",
        headers={"content-security-policy": "default-src 'self'; script-src 'nonce-t3st'"},
    )


@app.get("/ws/nohead", response_class=HTMLResponse)
async def ws_nohead() -> HTMLResponse:
    """A page with no <head> (and no doctype): a script straight away."""
    return HTMLResponse(f"<script>{WS_PAGE_SCRIPT % 'nohead'}</script><h1>ws nohead</h1>")


@app.get("/ws/streamed")
async def ws_streamed() -> StreamingResponse:
    """A page streamed in pieces that split the doctype and the <head> tag."""

    async def pieces() -> AsyncIterator[bytes]:
        for piece in (
            "<!DOC",
            "TYPE html><ht",
            "ml lang='en'><he",
            "ad data-x='a>b'",
            "><meta ch",
            "arset='utf-8'>",
        ):
            yield piece.encode()
            await asyncio.sleep(0.05)
        script = f"<script>{WS_PAGE_SCRIPT % 'streamed'}</script>"
        yield f"{script}</head><body><h1>ws streamed</h1></body></html>".encode()

    return StreamingResponse(pieces(), media_type="text/html; charset=utf-8")


#: The close code and reason of every /ws/track socket, as the app heard them.
TRACKED: list[tuple[int, str]] = []
TRACKED_CHANGED = asyncio.Event()
#: How many /ws/track sockets the app accepted.
TRACKED_ACCEPTS = [0]


@app.websocket("/ws/track")
async def ws_track(websocket: WebSocket) -> None:
    """Notes how each socket ended; one the page failed before the accept, as 1006."""
    try:
        await websocket.accept()
    except OSError:
        # ASGI 2.4: the server raises OSError for a send to a connection the client
        # left (Starlette turns it into WebSocketDisconnect(1006) only once accepted).
        TRACKED.append((1006, ""))
        TRACKED_CHANGED.set()
        return
    TRACKED_ACCEPTS[0] += 1
    TRACKED_CHANGED.set()
    message = await websocket.receive()
    while message["type"] != "websocket.disconnect":
        message = await websocket.receive()
    TRACKED.append((message.get("code", 1005), message.get("reason") or ""))
    TRACKED_CHANGED.set()


@app.api_route("/ws/tracked", methods=["GET", "DELETE"])
async def ws_tracked(request: Request, count: int = 0, accepted: int = 0) -> list[tuple[int, str]]:
    """How the sockets ended; with ``count``, once that many have (``accepted``: were accepted)."""
    if request.method == "DELETE":
        TRACKED.clear()
        TRACKED_ACCEPTS[0] = 0
    while len(TRACKED) < count or TRACKED_ACCEPTS[0] < accepted:
        TRACKED_CHANGED.clear()
        await TRACKED_CHANGED.wait()
    return TRACKED
