"""The Pyodide shims, forced on in CPython: sync code runs inline, pbkdf2_hmac matches OpenSSL's."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import io
import linecache
import sys
import threading
import traceback
import zipfile
from collections.abc import Iterator
from typing import Annotated

import anyio.to_thread
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from fastapi import BackgroundTasks, Depends, FastAPI

from live_asgi_docs import pyodide_compat
from live_asgi_docs.bridge import Bridge, HTTPRequest

from .test_bridge import Recorder, run


@pytest.fixture
def inline() -> Iterator[None]:
    """The shims as in Pyodide, undone afterwards."""
    installed = pyodide_compat.install(force=True)
    assert {"loop.run_in_executor", "anyio.to_thread.run_sync", "asgiref.async_to_sync"} <= set(installed)
    yield
    pyodide_compat.uninstall()


@pytest.mark.parametrize(
    ("name", "password", "salt", "iterations", "dklen"),
    [
        ("sha256", b"password", b"salt", 1, None),
        ("sha256", b"password", b"salt", 4096, None),
        ("sha256", b"p" * 200, b"s" * 100, 10, 100),  # long key; several blocks
        ("sha1", b"", b"", 3, 7),
        ("sha512", "pässword".encode(), b"NaCl", 50, 64),
        ("md5", memoryview(b"view"), bytearray(b"salt"), 2, 33),
    ],
)
def test_pbkdf2_hmac_gives_the_same_bytes_as_cpython(
    name: str, password: bytes, salt: bytes, iterations: int, dklen: int | None
) -> None:
    assert pyodide_compat.pbkdf2_hmac(name, password, salt, iterations, dklen) == hashlib.pbkdf2_hmac(
        name, password, salt, iterations, dklen
    )


def test_pbkdf2_hmac_matches_a_django_default_password_hash() -> None:
    # Django's hasher with its own iteration count, as a login computes it.
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.utils.crypto import pbkdf2

    iterations = PBKDF2PasswordHasher.iterations
    expected = pbkdf2("admin-password", "saltsaltsalt", iterations, digest=hashlib.sha256)
    assert pyodide_compat.pbkdf2_hmac("sha256", b"admin-password", b"saltsaltsalt", iterations) == expected


def test_pbkdf2_hmac_rejects_what_cpython_rejects() -> None:
    with pytest.raises(ValueError):
        pyodide_compat.pbkdf2_hmac("sha256", b"p", b"s", 0)
    with pytest.raises(ValueError):
        pyodide_compat.pbkdf2_hmac("no-such-hash", b"p", b"s", 1)
    with pytest.raises(TypeError):
        pyodide_compat.pbkdf2_hmac(b"sha256", b"p", b"s", 1)  # type: ignore[arg-type]


def test_installs_pbkdf2_hmac_only_where_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(hashlib, "pbkdf2_hmac")
    try:
        assert pyodide_compat.install() == ["hashlib.pbkdf2_hmac"]
        assert hashlib.pbkdf2_hmac is pyodide_compat.pbkdf2_hmac
    finally:
        pyodide_compat.uninstall()
    assert not hasattr(hashlib, "pbkdf2_hmac")


def test_threads_are_detected_and_a_failed_thread_start_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pyodide_compat.threads_available()

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    assert not pyodide_compat.threads_available()
    try:
        assert "anyio.to_thread.run_sync" in pyodide_compat.install()
    finally:
        pyodide_compat.uninstall()


def test_nothing_is_installed_where_threads_work() -> None:
    assert pyodide_compat.install() == []
    assert pyodide_compat.uninstall() is None


#: Where FastAPI ran the sync parts of the request below.
THREADS: list[str] = []
sync_app = FastAPI()


def sync_dependency() -> Iterator[str]:
    THREADS.append(threading.current_thread().name)
    yield "dep"


def sync_task() -> None:
    THREADS.append(threading.current_thread().name)


@sync_app.get("/")
def sync_endpoint(dep: Annotated[str, Depends(sync_dependency)], tasks: BackgroundTasks) -> dict[str, str]:
    THREADS.append(threading.current_thread().name)
    tasks.add_task(sync_task)
    return {"dep": dep}


def test_fastapi_def_endpoint_dependency_and_background_task_run_on_the_loop_thread(inline: None) -> None:
    THREADS.clear()
    app = sync_app
    threads = THREADS
    out = Recorder()

    async def main() -> str:
        await Bridge(app).handle(HTTPRequest("GET", "http://127.0.0.1:1/"), out)
        return threading.current_thread().name

    loop_thread = run(main())
    assert out.status == 200 and out.text == '{"dep":"dep"}'
    assert threads == [loop_thread] * 3


def test_inline_code_sees_no_running_loop_and_its_context_changes_stay_its_own(inline: None) -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="outer")

    def blocking() -> str:
        with pytest.raises(RuntimeError):
            asyncio.get_running_loop()  # Django's async_unsafe() looks for this
        var.set("inner")
        return threading.current_thread().name

    async def main() -> tuple[str, str, str, str]:
        a = await anyio.to_thread.run_sync(blocking)
        b = await asyncio.get_running_loop().run_in_executor(None, blocking)
        asyncio.get_running_loop()  # the loop is back
        return threading.current_thread().name, a, b, var.get()

    loop_thread, a, b, value = run(main())
    assert (a, b, value) == (loop_thread, loop_thread, "outer")


def test_asgiref_sync_to_async_and_a_non_waiting_async_to_sync_inside_it(inline: None) -> None:
    async def quick() -> str:
        # Awaits only inline work: it never has to wait for the loop.
        return await sync_to_async(lambda: "from the chain")()

    def sync_middleware() -> str:
        return async_to_sync(quick)()

    async def main() -> str:
        return await sync_to_async(sync_middleware, thread_sensitive=True)()

    assert run(main()) == "from the chain"


def test_async_to_sync_that_must_wait_for_the_loop_says_why(inline: None) -> None:
    async def slow() -> None:
        await asyncio.sleep(0.01)

    def sync_middleware() -> None:
        async_to_sync(slow)()

    async def main() -> None:
        await sync_to_async(sync_middleware)()

    with pytest.raises(RuntimeError, match="runs inline on the event loop"):
        run(main())


def test_uninstall_restores_threads(inline: None) -> None:
    pyodide_compat.uninstall()

    async def main() -> tuple[str, str]:
        worker = await anyio.to_thread.run_sync(lambda: threading.current_thread().name)
        return threading.current_thread().name, worker

    loop_thread, worker = run(main())
    assert worker != loop_thread


# --- sources of bytecode-only modules ---------------------------------------


def test_a_traceback_fetches_the_source_of_a_bytecode_only_module_once() -> None:
    # A module that exists only as bytecode, at the path Pyodide gives wheels.
    site_packages = "/lib/python3.14/site-packages"
    filename = f"{site_packages}/lonely/core.py"
    source = "def fail():\n    raise ValueError('from a module without its source')\n"
    namespace: dict[str, object] = {"__name__": "lonely.core"}
    exec(compile(source, filename, "exec"), namespace)
    fetched: list[str] = []

    def fetch(url: str) -> str | None:
        fetched.append(url)
        return source if url == "https://docs.example/sources/site-packages/lonely/core.py" else None

    pyodide_compat.show_sources("https://docs.example/sources/", site_packages, fetch)
    try:
        with pytest.raises(ValueError) as caught:
            namespace["fail"]()  # type: ignore[operator]
        text = "".join(traceback.format_exception(caught.value))
        assert "raise ValueError('from a module without its source')" in text
        # Kept: a second traceback asks nobody.
        traceback.format_exception(caught.value)
        # Files elsewhere are never asked for; a missing one is asked once.
        assert linecache.getline("/elsewhere/x.py", 1) == ""
        assert linecache.getline(f"{site_packages}/lonely/gone.py", 1) == ""
        assert linecache.getline(f"{site_packages}/lonely/gone.py", 1) == ""
        assert fetched == [
            "https://docs.example/sources/site-packages/lonely/core.py",
            "https://docs.example/sources/site-packages/lonely/gone.py",
        ]
    finally:
        pyodide_compat.hide_sources()
        linecache.clearcache()


LATE_URL = "https://docs.example/_static/_live_asgi/bytecode-1/python_stdlib_late.zip"


def late_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("latepkg/__init__.py", "from . import sub\nGREETING = sub.greet()\n")
        zf.writestr("latepkg/sub.py", "def greet():\n    return 'hello from ' + __name__\n")
        zf.writestr("latemod.py", "def fail():\n    raise ValueError('raised in a late module')\n")
    return buf.getvalue()


@pytest.fixture
def late_modules() -> Iterator[None]:
    yield
    pyodide_compat.forget_late_stdlib()
    for name in ("latepkg", "latepkg.sub", "latemod"):
        sys.modules.pop(name, None)
    linecache.clearcache()


def test_late_modules_are_imported_from_the_zip_fetched_once(late_modules: None) -> None:
    fetched: list[str] = []

    def fetch(url: str) -> tuple[bytes | None, str]:
        fetched.append(url)
        return late_zip(), ""

    pyodide_compat.late_stdlib(LATE_URL, ["latepkg", "latepkg.sub", "latemod"], fetch)
    # A name the index does not list is never looked for there.
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("latenot")
    assert fetched == []
    latepkg = importlib.import_module("latepkg")
    prefix = next(iter(pyodide_compat.source_folders("")))
    assert latepkg.GREETING == "hello from latepkg.sub"
    assert latepkg.__file__ == f"{prefix}latepkg/__init__.py"
    assert list(latepkg.__path__) == [f"{prefix}latepkg"]
    latemod = importlib.import_module("latemod")
    assert not hasattr(latemod, "__path__")
    assert fetched == [LATE_URL]
    # Its source is read from memory for tracebacks.
    with pytest.raises(ValueError) as caught:
        latemod.fail()
    text = "".join(traceback.format_exception(caught.value))
    assert f'File "{prefix}latemod.py", line 2, in fail' in text
    assert "raise ValueError('raised in a late module')" in text


def test_a_late_zip_that_cannot_be_downloaded_fails_the_import_in_words(late_modules: None) -> None:
    answers = iter([(None, "the server answered 404 Not Found"), (late_zip(), "")])
    pyodide_compat.late_stdlib(LATE_URL, ["latemod"], lambda url: next(answers))
    with pytest.raises(ImportError) as caught:
        importlib.import_module("latemod")
    assert str(caught.value) == (
        f"the standard library module 'latemod' could not be loaded: {LATE_URL} could not be "
        "downloaded (the server answered 404 Not Found). The site may be incompletely published; "
        "reload the page later or tell its authors."
    )
    assert caught.value.name == "latemod"
    # The next import tries again.
    assert importlib.import_module("latemod").__name__ == "latemod"


def test_the_finder_is_added_once_and_last(late_modules: None) -> None:
    pyodide_compat.late_stdlib(LATE_URL, ["latemod"], lambda url: (late_zip(), ""))
    finder = pyodide_compat.late_stdlib(LATE_URL, ["latemod"], lambda url: (late_zip(), ""))
    assert sys.meta_path[-1] is finder
    assert sum(isinstance(f, pyodide_compat.LateStdlib) for f in sys.meta_path) == 1


def test_an_import_the_download_itself_makes_is_not_looked_for_in_the_zip(late_modules: None) -> None:
    def fetch(url: str) -> tuple[bytes | None, str]:
        # Whatever fetching needs must be in the start's part: here it is not found, not fetched again.
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("latepkg")
        return late_zip(), ""

    pyodide_compat.late_stdlib(LATE_URL, ["latepkg", "latepkg.sub", "latemod"], fetch)
    assert importlib.import_module("latemod").__name__ == "latemod"
