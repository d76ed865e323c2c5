"""Code that expects threads, with the Pyodide shims forced on in CPython.

Wrapping WSGI by hand (a2wsgi, Starlette's WSGIMiddleware) waits on the event
loop from a "worker thread" that is in fact inline code; a thread the app starts
itself is refused with a message naming who tried, shown in the failed response.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import queue
import sqlite3
import sys
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from a2wsgi import WSGIMiddleware as A2WSGI

from live_asgi_docs import pyodide_compat
from live_asgi_docs.bridge import Bridge, HTTPRequest, load

from .test_bridge import ROOT, Recorder, request, run, serve

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # deprecated in favour of a2wsgi, still in use
    from starlette.middleware.wsgi import WSGIMiddleware as StarletteWSGI

APPS = Path(__file__).resolve().parent.parent / "apps"
sys.path.insert(0, str(APPS / "compat_datasette"))
import make_db  # noqa: E402  (the bundled database's script)

sys.path.remove(str(APPS / "compat_datasette"))
BIRDS = make_db.BIRDS


@pytest.fixture
def inline() -> Iterator[None]:
    """The shims as in Pyodide, undone afterwards."""
    installed = pyodide_compat.install(force=True)
    assert "asyncio.run_coroutine_threadsafe" in installed and "anyio.from_thread" in installed
    sys.path.insert(0, str(APPS))
    yield
    sys.path.remove(str(APPS))
    pyodide_compat.uninstall()


@pytest.fixture
def flask_app(inline: None) -> Any:
    from compat_flask.app import app

    return app


@pytest.mark.parametrize("wrapper", [A2WSGI, StarletteWSGI], ids=["a2wsgi", "starlette"])
def test_a_hand_wrapped_flask_app_answers_forms_sessions_and_streams(flask_app: Any, wrapper: Any) -> None:
    bridge = Bridge(wrapper(flask_app))
    out = serve(
        bridge,
        request(
            "/login",
            method="POST",
            headers=[("content-type", "application/x-www-form-urlencoded")],
            body=b"user=ada",
        ),
    )
    assert (out.status, out.header("location")) == (302, [ROOT + "/"])
    page = serve(bridge, request("/"))
    assert page.status == 200 and "Signed in as ada" in page.text
    # a2wsgi queues at most 10 messages for its sender: without the loop,
    # inline code gets that far (in the browser, Pyodide's run_sync goes on).
    stream = serve(bridge, request("/stream?lines=6"))
    assert stream.text == "".join(f"line {i} of 6\n" for i in range(6))


def test_waiting_for_the_loop_without_a_way_to_suspend_says_so(flask_app: Any) -> None:
    # a2wsgi's eleventh message waits for its sender task, which only the loop runs.
    out = serve(Bridge(A2WSGI(flask_app), debug=True), request("/stream?lines=40"))
    assert out.status == 500
    assert "asyncio.run_coroutine_threadsafe() was called from synchronous code" in out.text
    assert "<Future pending" in out.text


def test_run_coroutine_threadsafe_from_inline_code_on_the_loops_own_thread(inline: None) -> None:
    import asyncio

    async def add(a: int, b: int) -> int:
        return a + b

    async def main() -> int:
        loop = asyncio.get_running_loop()

        def blocking() -> int:
            return asyncio.run_coroutine_threadsafe(add(2, 3), loop).result(timeout=1)

        return await loop.run_in_executor(None, blocking)

    assert run(main()) == 5


def test_a_thread_the_app_starts_is_a_500_that_names_who_tried(inline: None) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        worker = threading.Thread(target=sqlite3.connect, args=(":memory:",))
        worker.start()  # the app's bug: it expected a thread
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"unreachable"})

    out = serve(Bridge(app), request("/"))
    assert out.status == 500
    assert "The app tried to start a thread" in out.text
    assert "test_threads.test_a_thread_the_app_starts_is_a_500_that_names_who_tried.<locals>.app" in out.text
    assert "sqlite3.connect" in out.text


def test_the_apps_own_500_page_is_replaced_by_the_reason(inline: None) -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    pool = ThreadPoolExecutor(2)

    def submit(request: Any) -> PlainTextResponse:
        return PlainTextResponse(str(pool.submit(sum, [1, 2]).result()))

    out = serve(Bridge(Starlette(routes=[Route("/", submit)])), request("/"))
    assert out.status == 500
    assert "submitted work to a ThreadPoolExecutor" in out.text
    assert "test_threads.test_the_apps_own_500_page_is_replaced_by_the_reason.<locals>.submit" in out.text


def test_threads_of_the_test_itself_still_run(inline: None) -> None:
    done = threading.Event()
    threading.Thread(target=done.set).start()
    assert done.wait(5)


def test_a_queue_listener_hands_records_on_without_a_thread(inline: None) -> None:
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger("compat-queue-test")
    logger.propagate = False
    handler = logging.handlers.QueueHandler(records)
    logger.addHandler(handler)
    try:
        logger.warning("queued before the listener started")
        listener = logging.handlers.QueueListener(records, Keep())
        listener.start()
        logger.warning("queued after")
        assert seen == ["queued before the listener started", "queued after"]
        listener.stop()
    finally:
        logger.removeHandler(handler)


# -- Datasette ----------------------------------------------------------------


def serve_all(bridge: Bridge, *requests: HTTPRequest) -> list[Recorder]:
    """Start the app's lifespan and serve ``requests`` on one event loop, as a page does."""

    async def session() -> list[Recorder]:
        await bridge.startup()
        answers = []
        for req in requests:
            answers.append(Recorder())
            await bridge.handle(req, answers[-1])
        await bridge.shutdown()
        return answers

    return run(session())


def test_datasette_with_the_recipe_browses_queries_and_answers_json(inline: None) -> None:
    bridge = load("compat_datasette.app:app", root_path=ROOT + "/")
    sql = "select name from birds where wingspan_cm > 40 order by name"
    home, table, query, api = serve_all(
        bridge,
        request("/"),
        request("/birds/birds"),
        request("/birds?" + urlencode({"sql": sql})),
        request("/birds/birds.json?_shape=array"),
    )
    # Links and routes under the mount prefix (base_url from LIVE_ASGI_ROOT_PATH).
    assert home.status == 200 and f'href="{ROOT}/birds"' in home.text
    assert table.status == 200 and "Heron" in table.text and f'href="{ROOT}/birds/birds/2"' in table.text
    assert query.status == 200 and "Heron" in query.text and "Wren" not in query.text
    assert api.status == 200
    assert [row["name"] for row in json.loads(api.text)] == [name for name, _ in BIRDS]


def test_datasette_with_its_default_threads_says_why_it_fails(inline: None) -> None:
    from datasette.app import Datasette

    ds = Datasette([str(APPS / "compat_datasette" / "birds.db")], settings={"base_url": ROOT + "/"})
    (table,) = serve_all(Bridge(ds.app()), request("/birds/birds"))
    assert table.status == 500
    assert "The app tried to start a thread" in table.text
    assert "datasette.database.Database.execute_write_fn" in table.text


def test_the_bundled_database_is_what_its_script_makes(tmp_path: Path) -> None:
    made = tmp_path / "birds.db"
    make_db.make(made)

    def rows(path: Path) -> list[Any]:
        with sqlite3.connect(path) as db:
            schema = db.execute("select sql from sqlite_master order by name").fetchall()
            return [*schema, *db.execute("select * from birds order by id")]

    assert rows(APPS / "compat_datasette" / "birds.db") == rows(made)
