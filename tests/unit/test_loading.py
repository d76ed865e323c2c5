"""Loading an app as a server does, and serving ASGI 2 and WSGI apps: in CPython."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import sys
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from starlette.applications import Starlette

from live_asgi_docs.bridge import (
    ROOT_PATH_ENV,
    Bridge,
    WSGIAdapter,
    as_asgi,
    interface_of,
    load,
    load_app,
    load_for_snapshot,
)

from .test_bridge import BASE, ROOT, request, run, serve

APPS = Path(__file__).resolve().parent.parent / "apps"


# -- what kind of app ----------------------------------------------------------


async def asgi3_function(scope: Any, receive: Any, send: Any) -> None:
    pass


def wsgi_function(environ: Any, start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [])
    return [b""]


class ASGI3Instance:
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        pass


class ASGI2Class:
    def __init__(self, scope: Any) -> None:
        self.scope = scope

    async def __call__(self, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-kind", b"asgi2")]})
        await send({"type": "http.response.body", "body": self.scope["path"].encode()})


def asgi2_function(scope: Any) -> Any:
    async def instance(receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body"})

    return instance


class WSGIInstance:
    def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        return wsgi_function(environ, start_response)


@pytest.mark.parametrize(
    ("app", "kind"),
    [
        (asgi3_function, "asgi3"),
        (ASGI3Instance(), "asgi3"),
        (Starlette(), "asgi3"),
        (lambda scope, receive, send: asgi3_function(scope, receive, send), "asgi3"),
        (ASGI2Class, "asgi2"),
        (asgi2_function, "asgi2"),
        (wsgi_function, "wsgi"),
        (WSGIInstance(), "wsgi"),
        (WSGIHandler, "asgi2"),  # the class itself is not the app: an instance is
        (object.__new__(WSGIHandler), "wsgi"),  # an instance, not set up
    ],
)
def test_the_kind_of_app_is_told_from_its_signature(app: Any, kind: str) -> None:
    assert interface_of(app) == kind


def test_an_asgi2_app_is_served() -> None:
    out = serve(Bridge(as_asgi(ASGI2Class)), request("/two"))
    assert (out.status, out.header("x-kind"), out.text) == (200, ["asgi2"], ROOT + "/two")
    assert serve(Bridge(as_asgi(asgi2_function)), request("/")).status == 204


def test_an_asgi3_app_is_served_as_it_is() -> None:
    app = ASGI3Instance()
    assert as_asgi(app) is app


# -- importing like a server ------------------------------------------------------


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n.startswith("compat_probe")]:
        del sys.modules[name]


def test_the_app_is_imported_outside_the_event_loop_with_its_root_path_known(module_dir: Path) -> None:
    (module_dir / "compat_probe.py").write_text(
        textwrap.dedent("""
        import asyncio, os
        SEEN = {"loop": asyncio.events._get_running_loop(), "root": os.environ["LIVE_ASGI_ROOT_PATH"]}
        async def app(scope, receive, send):
            pass
        """)
    )

    async def from_a_coroutine() -> tuple[Any, Any]:
        # In Pyodide an event loop is always running: the import must not see it.
        bridge = load("compat_probe:app", root_path="/docs/app/demo/~a%20b/", debug=True)
        return bridge, asyncio.events._get_running_loop()

    bridge, loop_after = run(from_a_coroutine())
    seen = sys.modules["compat_probe"].SEEN
    assert seen == {"loop": None, "root": "/docs/app/demo/~a b"}
    assert loop_after is not None  # restored
    assert bridge.debug and isinstance(bridge, Bridge)
    assert os.environ[ROOT_PATH_ENV] == "/docs/app/demo/~a b"
    # The value is what the app's requests get as root_path.
    scope = bridge.scope_for(request("/"))
    assert scope["root_path"] == "/docs/app/demo/~abc"  # (request() uses ROOT)


def test_a_wsgi_target_is_served_without_declaring_it() -> None:
    sys.path.insert(0, str(APPS))
    try:
        app = load_app("compat_flask.app:app", root_path=ROOT)
    finally:
        sys.path.remove(str(APPS))
    assert isinstance(app, WSGIAdapter)


# -- Flask through the WSGI adapter -------------------------------------------


@pytest.fixture(scope="module")
def flask_bridge() -> Iterator[Bridge]:
    sys.path.insert(0, str(APPS))
    try:
        yield load("compat_flask.app:app", root_path=ROOT + "/")
    finally:
        sys.path.remove(str(APPS))


def form(path: str, **fields: str) -> Any:
    from urllib.parse import urlencode

    return request(
        path,
        method="POST",
        headers=[("content-type", "application/x-www-form-urlencoded")],
        body=urlencode(fields).encode(),
    )


def test_flask_urls_stay_under_the_mount_prefix(flask_bridge: Bridge) -> None:
    out = serve(flask_bridge, request("/where", mode="cors", destination=""))
    assert out.status == 200
    assert json.loads(out.text) == {
        "script_root": ROOT,
        "path": "/where",
        "index": ROOT + "/",
        "external": BASE + "/",
        "static": ROOT + "/static/style.css",
    }
    css = serve(flask_bridge, request("/static/style.css"))
    assert css.status == 200 and ".flash" in css.text


def test_a_flask_form_post_redirects_and_the_session_cookie_holds(flask_bridge: Bridge) -> None:
    out = serve(flask_bridge, form("/login", user="zoë"))
    assert out.status == 302
    assert out.header("location") == [ROOT + "/"]
    page = serve(flask_bridge, request("/"))
    assert "Signed in as zoë" in page.text
    assert "Welcome, zoë!" in page.text  # flashed, through the session
    serve(flask_bridge, form("/notes", note="written in a form"))
    page = serve(flask_bridge, request("/"))
    assert "<li>written in a form</li>" in page.text
    assert "Welcome" not in page.text  # a flashed message shows once
    serve(flask_bridge, form("/logout"))
    assert "Not signed in" in serve(flask_bridge, request("/")).text


def test_a_flask_stream_goes_out_chunk_by_chunk(flask_bridge: Bridge) -> None:
    out = serve(flask_bridge, request("/stream?lines=4"))
    assert out.status == 200
    assert out.chunks == [f"line {i} of 4\n".encode() for i in range(4)]
    assert out.events[0] == "start" and out.ended


def test_a_flask_upload_arrives_whole(flask_bridge: Bridge) -> None:
    import hashlib

    data = bytes(range(256)) * 4000
    boundary = "----compat"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    out = serve(
        flask_bridge,
        request(
            "/upload",
            method="POST",
            headers=[("content-type", f"multipart/form-data; boundary={boundary}")],
            body=body,
        ),
    )
    assert out.status == 200, out.text
    assert f'"sha256":"{hashlib.sha256(data).hexdigest()}"' in out.text.replace(" ", "")


def test_a_flask_error_is_its_own_500_page_and_wsgi_errors_is_the_log(
    flask_bridge: Bridge, capsys: pytest.CaptureFixture[str]
) -> None:
    out = serve(flask_bridge, request("/broken"))
    assert out.status == 500
    assert "Internal Server Error" in out.text
    assert "compat_flask: about to fail on purpose" in capsys.readouterr().err


def test_a_head_request_gets_headers_only(flask_bridge: Bridge) -> None:
    out = serve(flask_bridge, request("/", method="HEAD"))
    assert out.status == 200 and out.text == ""


# -- the rest of PEP 3333 -----------------------------------------------------


def test_write_exc_info_and_close_are_honoured() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"two "
            yield b""
            yield b"three"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("500 Oops", [("Content-Type", "text/plain")])
        try:
            raise ValueError("changed my mind")
        except ValueError:
            # Headers not sent yet: replacing them is allowed.
            write = start_response("201 Created", [("X-Body", "yes")], sys.exc_info())
        write(b"one ")
        return Body()

    out = serve(Bridge(as_asgi(app)), request("/"))
    assert (out.status, out.header("x-body"), out.text) == (201, ["yes"], "one two three")
    assert closed == [True]


def test_the_environ_is_pep_3333() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen.update(environ)
        seen["body"] = environ["wsgi.input"].read()
        seen["loop"] = asyncio.events._get_running_loop()
        start_response("200 OK", [])
        return []

    req = request(
        "/caf%C3%A9/x?q=%C3%A9&a=1",
        method="PUT",
        headers=[("content-type", "text/plain"), ("x-dup", "a"), ("X-Dup", "b")],
        body=b"payload",
    )
    serve(Bridge(as_asgi(app)), req)
    assert seen["SCRIPT_NAME"] == ROOT
    assert seen["PATH_INFO"] == "/café/x".encode().decode("latin-1")
    assert seen["QUERY_STRING"] == "q=%C3%A9&a=1"
    assert [seen[k] for k in ("REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH")] == [
        "PUT",
        "text/plain",
        "7",
    ]
    assert [seen[k] for k in ("SERVER_NAME", "SERVER_PORT", "HTTP_HOST")] == [
        "127.0.0.1",
        "8123",
        "127.0.0.1:8123",
    ]
    assert seen["HTTP_X_DUP"] == "a,b"
    assert seen["wsgi.url_scheme"] == "http" and seen["wsgi.errors"] is sys.stderr
    assert seen["body"] == b"payload"
    # As in a worker thread of a WSGI server: no running event loop.
    assert seen["loop"] is None


def test_a_wsgi_app_that_never_starts_a_response_is_a_500() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return [b"no start_response"]

    out = serve(Bridge(as_asgi(app)), request("/"))
    assert out.status == 500


def test_the_lifespan_of_a_wsgi_app_completes() -> None:
    bridge = Bridge(as_asgi(wsgi_function))

    async def cycle() -> None:
        await bridge.startup()
        await bridge.shutdown()

    # Both answered by the adapter (no "lifespan unsupported" fallback).
    run(cycle())
    assert bridge._lifespan_supported


# -- what a memory snapshot after the import would get wrong ---------------------

FIT_OR_NOT = {
    "plain": ("import os, random\nLEVEL = os.environ.get('LOG_LEVEL', 'info')\n", []),
    "root path": (
        "import os\nBASE = os.environ.get('LIVE_ASGI_ROOT_PATH', '') + '/'\n",
        ["LIVE_ASGI_ROOT_PATH"],
    ),
    "root path tested": ("import os\nHAS = 'LIVE_ASGI_ROOT_PATH' in os.environ\n", ["LIVE_ASGI_ROOT_PATH"]),
    "secret": ("import secrets\nSECRET = secrets.token_hex(8)\n", ["random bytes"]),
    "uuid": ("import uuid\nID = uuid.uuid4()\n", ["random bytes"]),
    "seeded": ("import random\nrandom.seed(42)\n", ["random module's generator"]),
    "drawn": ("import random\nX = random.random()\n", ["random module's generator"]),
    "own generator": ("import random\nRNG = random.Random()\n", ["seeded from entropy"]),
    "own seeded generator": ("import random\nRNG = random.Random(7)\n", []),
    "task": (
        "import asyncio\nasync def warm(): pass\nTASK = asyncio.get_event_loop().create_task(warm())\n",
        ["the event loop"],
    ),
    "callback": ("import asyncio\nasyncio.get_event_loop().call_later(1, print)\n", ["the event loop"]),
}


@pytest.mark.parametrize("case", FIT_OR_NOT)
def test_an_import_a_snapshot_would_get_wrong_is_named(module_dir: Path, case: str) -> None:
    source, expected = FIT_OR_NOT[case]
    (module_dir / "compat_probe.py").write_text(source + "async def app(scope, receive, send):\n    pass\n")
    urandom, seed = os.urandom, __import__("random").Random.seed

    async def in_the_loop() -> tuple[Bridge, list[str]]:
        # As in Pyodide, where an event loop is always running.
        return load_for_snapshot("compat_probe:app", root_path="/docs/app/demo/~ab/")

    def in_a_thread() -> tuple[Bridge, list[str]]:
        # A thread of its own: the browser tests' Playwright keeps a loop running in the main one.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # Pyodide's loop is the current one, too
        try:
            result = loop.run_until_complete(in_the_loop())
            assert "call_soon" not in vars(loop) and "call_later" not in vars(loop)
            return result
        finally:
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            asyncio.set_event_loop(None)
            loop.close()

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="loop") as pool:
        bridge, reasons = pool.submit(in_a_thread).result()
    assert isinstance(bridge, Bridge)
    assert len(reasons) == len(expected), reasons
    for reason, part in zip(reasons, expected, strict=True):
        assert reason.startswith("the app's import used ") and part in reason, reasons
    # Nothing of the watch stays.
    assert os.urandom is urandom and __import__("random").Random.seed is seed
    assert os.environ.get(ROOT_PATH_ENV) == "/docs/app/demo/~ab"
