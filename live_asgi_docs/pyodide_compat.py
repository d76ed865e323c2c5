"""What Pyodide lacks and ASGI frameworks expect, supplied in pure Python.

This module is shipped into Pyodide next to the bridge (as
``_live_asgi_compat.py``; it imports nothing outside the standard library) and
is unit-tested in CPython, where :func:`install` can be forced on.

Threads
    Pyodide cannot start threads (``RuntimeError: can't start new thread``).
    Frameworks run blocking code in worker threads: FastAPI's ``def``
    endpoints and dependencies, Starlette's sync background tasks, file
    uploads and ``run_in_threadpool`` (all through ``anyio.to_thread``),
    ``asyncio.to_thread`` and ``loop.run_in_executor(None, ...)``, and
    Django's sync views, middleware and ORM (through asgiref's
    ``sync_to_async``). Where threads cannot start, :func:`install` makes all of
    them run the callable *inline* on the event loop's thread, as if in a
    worker thread: with a copy of the context and with no running event loop
    (so Django's "async unsafe" check sees what it would see in a thread).
    The page has one thread anyway, so nothing is lost but parallelism: a
    blocking call blocks the other requests of that app instance while it runs.

    Inline code that hands a coroutine back to the event loop and waits for
    it, as code in a worker thread does (asgiref's ``async_to_sync`` in a
    sync-only Django middleware, ``asyncio.run_coroutine_threadsafe(...)
    .result()`` in a2wsgi, ``anyio.from_thread.run`` in Starlette's
    ``WSGIMiddleware``), cannot block the only thread. In a browser with
    JavaScript Promise Integration (Chromium), Pyodide's ``run_sync`` suspends
    the inline code while the event loop runs the coroutine. Elsewhere the
    coroutine is run to its end without the loop, which works whenever it
    never has to wait for the loop (Django's own handler chain, a2wsgi's
    first ten chunks), and a :class:`RuntimeError` says so otherwise.

    A thread the app starts itself (``threading.Thread.start()``, a
    ``ThreadPoolExecutor.submit``) cannot run: the ``RuntimeError`` says which
    code tried, and the bridge shows it in the frame when the request fails
    (:func:`watch_thread_starts`). ``logging.handlers.QueueListener`` (Litestar's
    logging) hands each record to its handlers as it is queued instead.

``hashlib.pbkdf2_hmac``
    CPython takes it from OpenSSL, which Pyodide does not load. Django's
    default password hasher needs it. :func:`install` adds
    :func:`pbkdf2_hmac` (RFC 8018 on top of :func:`hmac.digest`, same results
    as CPython's) when it is missing.

Sources of bytecode-only modules
    The build ships the modules an app's start imports as bytecode *instead
    of* source (the standard library's and the wheels'). :func:`show_sources`
    lets ``linecache`` (tracebacks, ``warnings``, ``inspect.getsource``) fetch
    such a module's source from the site when it is first asked for a line.

The standard library's modules no start imports
    The build leaves them out of the standard library the runtime mounts and
    puts them in a second zip (``python_stdlib_late.zip``). :func:`late_stdlib`
    adds an import finder that, when the app first imports one of them,
    downloads that zip (synchronously: a Web Worker may) and imports from it.
    The zip stays in Python's memory, not in the file system: a memory
    snapshot of the interpreter keeps what the memory holds, not the files.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import hashlib
import hmac
import importlib.abc
import importlib.util
import io
import linecache
import logging.handlers
import queue
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = [
    "LATE_STDLIB_IMPORTS",
    "LateStdlib",
    "as_worker_thread",
    "forget_late_stdlib",
    "hide_sources",
    "install",
    "late_stdlib",
    "pbkdf2_hmac",
    "run_inline",
    "show_sources",
    "source_folders",
    "threads_available",
    "uninstall",
    "wait_inline",
    "watch_thread_starts",
]

T = TypeVar("T")


class _Inline(threading.local):
    #: The event loops that inline calls were made from, innermost last;
    #: non-empty while inline code runs (per thread: in CPython's tests, the
    #: loop's thread and the test's thread).
    loops: list[asyncio.AbstractEventLoop | None]

    def __init__(self) -> None:
        self.loops = []


_inline = _Inline()
#: Refuse every thread start (Pyodide), not only those made by served code.
_refuse_all_threads = False
#: ``(object, attribute, original value)`` of every patch, for :func:`uninstall`.
_patches: list[tuple[Any, str, Any]] = []
_MISSING = object()


def threads_available() -> bool:
    """Whether this interpreter can start a thread (not in Pyodide)."""
    if sys.platform == "emscripten":
        return False
    try:
        thread = threading.Thread(target=lambda: None, name="live-asgi-probe", daemon=True)
        thread.start()
    except RuntimeError:
        return False
    thread.join()
    return True


@contextmanager
def as_worker_thread() -> Iterator[None]:
    """Run the block as a worker thread would: with no running event loop."""
    # A worker thread has no running event loop: code such as Django's
    # async_unsafe() checks for one and must not find it.
    loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    _inline.loops.append(loop)
    try:
        yield
    finally:
        _inline.loops.pop()
        asyncio.events._set_running_loop(loop)


def run_inline(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call ``func`` now, in this thread, the way a worker thread would.

    It gets a copy of the current context (changes it makes to context
    variables stay its own, as in anyio's worker threads) and sees no running
    event loop.
    """
    context = contextvars.copy_context()
    with as_worker_thread():
        return context.run(func, *args, **kwargs)


def _run_in_executor(
    self: asyncio.AbstractEventLoop, executor: Any, func: Callable[..., T], *args: Any
) -> asyncio.Future[T]:
    """``loop.run_in_executor`` that runs ``func`` inline, whatever the executor.

    Pyodide's own loop does the same but leaves the loop running, which
    Django's ORM refuses ("You cannot call this from an async context").
    """
    future: asyncio.Future[T] = self.create_future()
    try:
        future.set_result(run_inline(func, *args))
    except BaseException as exc:
        future.set_exception(exc)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
    return future


async def _anyio_run_sync(
    func: Callable[..., T],
    *args: Any,
    abandon_on_cancel: bool = False,
    cancellable: bool | None = None,
    limiter: Any = None,
) -> T:
    """``anyio.to_thread.run_sync`` without a thread (same signature)."""
    # anyio's version is a checkpoint too: let other tasks (a streaming
    # response, say) run before the call blocks the loop.
    await asyncio.sleep(0)
    return run_inline(func, *args)


def _can_suspend() -> bool:
    """Whether Pyodide can suspend this Python stack while the loop runs (JSPI)."""
    if sys.platform != "emscripten":
        return False
    try:
        from pyodide.ffi import can_run_sync  # type: ignore[import-not-found]  # only in Pyodide
    except ImportError:
        return False
    return bool(can_run_sync())


def wait_inline(awaitable: Any, what: str) -> Any:
    """Wait, from inline code, for ``awaitable`` to run on the loop the code came from.

    What a worker thread does with ``run_coroutine_threadsafe(...).result()``.
    With JSPI, Pyodide's ``run_sync`` suspends this stack while the event loop
    runs everything (the awaitable and the tasks it waits for). Without it,
    the coroutine is stepped here to its end; one that has to wait for the
    loop raises a :class:`RuntimeError` naming ``what``.
    """
    loop = _inline.loops[-1]
    # While it runs, the loop is the running one again, as on its own thread.
    asyncio.events._set_running_loop(loop)
    try:
        if _can_suspend():
            from pyodide.ffi import run_sync

            return run_sync(asyncio.ensure_future(awaitable, loop=loop))
        coroutine = awaitable if asyncio.iscoroutine(awaitable) else _awaited(awaitable)
        for _ in range(_MAX_BARE_YIELDS):
            try:
                waiting_for = coroutine.send(None)
            except StopIteration as stop:
                return stop.value
            if waiting_for is not None:
                break
            # A bare yield (asyncio.sleep(0), anyio's checkpoints) waits for nothing.
        message = (
            f"{what} was called from synchronous code that runs inline on the event loop "
            f"(the browser has no threads), and the coroutine had to wait for {waiting_for!r}, "
            "which only the event loop can bring. Make the calling code async so that it can "
            "await instead."
        )
        coroutine.close()
        raise RuntimeError(message)
    finally:
        asyncio.events._set_running_loop(None)


#: Bare yields a coroutine stepped without the loop may make before it is
#: taken to be polling for something only the loop would bring.
_MAX_BARE_YIELDS = 1000


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _async_to_sync_call(self: Any, *args: Any, **kwargs: Any) -> Any:
    """``AsyncToSync.__call__`` for inline code: wait for the coroutine with :func:`wait_inline`."""
    if not _inline.loops:
        return _original(type(self), "__call__")(self, *args, **kwargs)
    # What the coroutine awaits (sync_to_async, run inline again) needs, as
    # under asgiref's own AsyncToSync, an executor for "this thread" (any
    # value: run_in_executor runs inline).
    executors = type(self).executors
    old_executor = getattr(executors, "current", None)
    executors.current = _THIS_THREAD
    try:
        name = getattr(self.awaitable, "__qualname__", self.awaitable)
        return wait_inline(self.awaitable(*args, **kwargs), f"async_to_sync({name!r})")
    finally:
        executors.current = old_executor


def _run_coroutine_threadsafe(coro: Any, loop: asyncio.AbstractEventLoop) -> concurrent.futures.Future[Any]:
    """``asyncio.run_coroutine_threadsafe`` that also works from inline code on the loop's own thread."""
    if not _inline.loops or loop is not _inline.loops[-1]:
        return _original(asyncio, "run_coroutine_threadsafe")(coro, loop)  # type: ignore[no-any-return]
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    try:
        future.set_result(wait_inline(coro, "asyncio.run_coroutine_threadsafe()"))
    except BaseException as exc:
        future.set_exception(exc)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
    return future


def _anyio_from_thread_run(func: Callable[..., Any], *args: Any, token: Any = None) -> Any:
    """``anyio.from_thread.run`` for inline code (it has no worker-thread token)."""
    if not _inline.loops or token is not None:
        import anyio.from_thread

        return _original(anyio.from_thread, "run")(func, *args, token=token)
    return wait_inline(func(*args), "anyio.from_thread.run()")


def _anyio_from_thread_run_sync(func: Callable[..., T], *args: Any, token: Any = None) -> T:
    """``anyio.from_thread.run_sync`` for inline code: call it, with the loop running."""
    if not _inline.loops or token is not None:
        import anyio.from_thread

        return _original(anyio.from_thread, "run_sync")(func, *args, token=token)  # type: ignore[no-any-return]
    asyncio.events._set_running_loop(_inline.loops[-1])
    try:
        return func(*args)
    finally:
        asyncio.events._set_running_loop(None)


#: The thread starts refused in the current request, when the bridge watches.
_thread_starts: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "live_asgi_thread_starts", default=None
)
#: Modules whose frames are the machinery of starting a thread, not who asked.
_THREAD_MACHINERY = ("threading", "concurrent.futures", "asyncio", "logging", "_live_asgi_compat", __name__)


def watch_thread_starts() -> list[str]:
    """From now on in this context (a request), note each refused thread start in the returned list."""
    found: list[str] = []
    _thread_starts.set(found)
    return found


def _who_starts_thread(thread: threading.Thread) -> str:
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not any(module == m or module.startswith(m + ".") for m in _THREAD_MACHINERY):
            break
        frame = frame.f_back  # type: ignore[assignment]
    caller = "the app"
    if frame is not None:
        function = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
        caller = f"{frame.f_globals.get('__name__', '?')}.{function} (line {frame.f_lineno})"
    target = getattr(thread, "_target", None)
    if getattr(target, "__module__", "") == "concurrent.futures.thread":
        return f"{caller} submitted work to a ThreadPoolExecutor"
    if target is not None:
        name = getattr(target, "__qualname__", repr(target))
        return f"{caller} started a thread running {getattr(target, '__module__', '?')}.{name}"
    return f"{caller} started a thread ({type(thread).__qualname__} {thread.name!r})"


def _refuse_thread_start(self: threading.Thread) -> None:
    """``Thread.start`` where threads cannot run: a ``RuntimeError`` that says who tried.

    Forced on in CPython (tests), only threads started by served code (in a
    watched request, or inline code) are refused: the test's own threads run.
    """
    found = _thread_starts.get()
    if not _refuse_all_threads and found is None and not _inline.loops:
        _original(threading.Thread, "start")(self)
        return
    what = _who_starts_thread(self)
    if found is not None:
        found.append(what)
    print(f"live-asgi: refused a thread: {what}", file=sys.stderr)
    # "can't start new thread" first: code that expects CPython's error still recognises it.
    raise RuntimeError(
        f"can't start new thread: {what}. Python in the browser (Pyodide) cannot run threads: "
        "configure the app to work without them (see the docs of live-asgi-docs, "
        "'Apps of every kind in the browser', threads the app starts)."
    )


def _queue_listener_start(self: logging.handlers.QueueListener) -> None:
    """``QueueListener.start`` without a thread: each record goes to the handlers as it is queued."""
    records: Any = self.queue
    sentinel = getattr(self, "_sentinel", None)

    def put(record: Any, block: bool = True, timeout: float | None = None) -> None:
        if record is not sentinel:  # stop() says so: nothing to stop
            self.handle(record)

    try:
        # The queue's own methods, for this queue only.
        records.put = records.put_nowait = put
    except AttributeError:  # a queue written in C: no thread, no way around it
        _original(logging.handlers.QueueListener, "start")(self)
        return
    self._thread = _NoThread()  # type: ignore[assignment]
    while True:
        try:
            put(records.get_nowait())
        except queue.Empty:
            break


class _NoThread:
    """Where a ``QueueListener`` keeps its thread: none to join."""

    def join(self, timeout: float | None = None) -> None:
        pass


#: Stands for "the calling thread" where asgiref wants an executor.
_THIS_THREAD = object()


class _NoExecutors(dict):  # type: ignore[type-arg]
    """A mapping that keeps nothing: asgiref's executor per context, forgotten."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


def _original(owner: Any, name: str) -> Any:
    for obj, attr, value in _patches:
        if obj is owner and attr == name:
            return value
    return getattr(owner, name)


def _patch(obj: Any, name: str, value: Any) -> None:
    _patches.append((obj, name, vars(obj).get(name, _MISSING)))
    setattr(obj, name, value)


def pbkdf2_hmac(
    hash_name: str, password: bytes, salt: bytes, iterations: int, dklen: int | None = None
) -> bytes:
    """PBKDF2 with HMAC (RFC 8018, section 5.2): ``hashlib.pbkdf2_hmac`` in pure Python.

    Used where CPython's OpenSSL-backed version is missing (Pyodide); gives the
    same bytes for the same arguments.
    """
    if not isinstance(hash_name, str):
        raise TypeError(f"hash_name must be a str, not {type(hash_name).__name__}")
    password = bytes(memoryview(password))
    salt = bytes(memoryview(salt))
    if iterations < 1:
        raise ValueError("iteration value must be greater than 0.")
    try:
        digest_size = hashlib.new(hash_name).digest_size
    except ValueError:
        raise ValueError(f"unsupported hash type {hash_name}") from None
    if dklen is None:
        dklen = digest_size
    if dklen < 1:
        raise ValueError("key length must be greater than 0.")
    blocks = []
    for index in range(1, -(-dklen // digest_size) + 1):
        # U1 = PRF(P, S || INT(i)); T = U1 ^ U2 ^ ... ^ Uc, XORed as big ints
        # because that is fast in CPython.
        u = hmac.digest(password, salt + index.to_bytes(4, "big"), hash_name)
        acc = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            u = hmac.digest(password, u, hash_name)
            acc ^= int.from_bytes(u, "big")
        blocks.append(acc.to_bytes(digest_size, "big"))
    return b"".join(blocks)[:dklen]


class _NoSemaphores:
    """``_multiprocessing.SemLock`` where there are no processes: refuses to be made."""

    SEM_VALUE_MAX = 2**31 - 1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise OSError("multiprocessing's locks and events cannot be created in the browser (Pyodide)")


def _multiprocessing_stand_in() -> types.ModuleType:
    """A ``_multiprocessing`` module for Pyodide, which has none.

    ``multiprocessing.synchronize`` needs it to be imported at all, and
    libraries import it only for type hints (Hypercorn, hence Quart); making a
    lock or an event with it still fails, with an ``OSError`` that says why.
    """
    module = types.ModuleType("_multiprocessing", _multiprocessing_stand_in.__doc__)
    module.SemLock = _NoSemaphores  # type: ignore[attr-defined]
    module.sem_unlink = _NoSemaphores  # type: ignore[attr-defined]
    module.flags = {}  # type: ignore[attr-defined]
    return module


def install(*, force: bool = False) -> list[str]:
    """Supply what this interpreter lacks; idempotent.

    Call it before the app is imported, so that names the app imports are
    the patched ones.

    Args:
        force: Install the thread shims even where threads work (for tests).

    Returns:
        What was installed, for the log (empty when nothing was needed).
    """
    done: list[str] = []
    if not hasattr(hashlib, "pbkdf2_hmac"):
        _patch(hashlib, "pbkdf2_hmac", pbkdf2_hmac)
        done.append("hashlib.pbkdf2_hmac")
    if "_multiprocessing" not in sys.modules and importlib.util.find_spec("_multiprocessing") is None:
        sys.modules["_multiprocessing"] = _multiprocessing_stand_in()
        done.append("_multiprocessing")
    if any(name == "run_in_executor" for _, name, _ in _patches):
        return done  # installed already
    if not force and threads_available():
        return done
    global _refuse_all_threads
    _refuse_all_threads = not force
    loops: list[type] = [asyncio.BaseEventLoop]
    try:
        from pyodide.webloop import WebLoop  # type: ignore[import-not-found]  # only in Pyodide
    except ImportError:
        pass
    else:
        loops.append(WebLoop)
    for loop_class in loops:
        _patch(loop_class, "run_in_executor", _run_in_executor)
    done.append("loop.run_in_executor")
    _patch(asyncio, "run_coroutine_threadsafe", _run_coroutine_threadsafe)
    _patch(asyncio.tasks, "run_coroutine_threadsafe", _run_coroutine_threadsafe)
    done.append("asyncio.run_coroutine_threadsafe")
    _patch(threading.Thread, "start", _refuse_thread_start)
    done.append("threading.Thread.start (refused)")
    _patch(logging.handlers.QueueListener, "start", _queue_listener_start)
    done.append("logging.handlers.QueueListener")
    try:
        import anyio.from_thread
        import anyio.to_thread
    except ImportError:
        pass
    else:
        _patch(anyio.to_thread, "run_sync", _anyio_run_sync)
        _patch(anyio.from_thread, "run", _anyio_from_thread_run)
        _patch(anyio.from_thread, "run_sync", _anyio_from_thread_run_sync)
        done.append("anyio.to_thread.run_sync")
        done.append("anyio.from_thread")
    try:
        import asgiref.sync
    except ImportError:
        pass
    else:
        # sync_to_async goes through loop.run_in_executor (patched above).
        # Its per-request executors (Django's ThreadSensitiveContext) are
        # joined in a new thread when the request ends: keep none, so there
        # is nothing to join.
        _patch(asgiref.sync.SyncToAsync, "context_to_thread_executor", _NoExecutors())
        _patch(asgiref.sync.AsyncToSync, "__call__", _async_to_sync_call)
        done.append("asgiref.async_to_sync")
    return done


def uninstall() -> None:
    """Undo :func:`install` (for tests in CPython)."""
    global _refuse_all_threads
    _refuse_all_threads = False
    while _patches:
        obj, name, value = _patches.pop()
        if value is _MISSING:
            delattr(obj, name)
        else:
            setattr(obj, name, value)


def _fetch_text(url: str) -> str | None:
    """A text file from the site, synchronously (a Web Worker may), or None."""
    from js import XMLHttpRequest  # type: ignore[import-not-found]  # only in Pyodide

    request = XMLHttpRequest.new()
    request.open("GET", url, False)
    try:
        request.send(None)
    except Exception:
        return None
    return str(request.responseText) if request.status == 200 else None


_original_updatecache: Callable[..., list[str]] | None = None


def source_folders(site_packages: str) -> dict[str, str]:
    """Where bytecode-only modules lie in Pyodide, and their sources' folder on the site.

    The build writes the sources there (``node/pycompile.py``); the browser
    reads them from there.
    """
    stdlib = f"/lib/python{sys.version_info[0]}{sys.version_info[1]}.zip/"
    return {stdlib: "stdlib/", site_packages.rstrip("/") + "/": "site-packages/"}


def show_sources(base_url: str, site_packages: str, fetch: Callable[[str], str | None] | None = None) -> None:
    """Let ``linecache`` find the source of a bytecode-only module on the site.

    Args:
        base_url: The URL of the folder of the sources (ending in a slash).
        site_packages: Where wheels are unpacked in this interpreter.
        fetch: Reads a URL as text, None when it cannot (default: a synchronous
            request, as Pyodide's worker may make).
    """
    global _original_updatecache
    read = fetch or _fetch_text
    if _original_updatecache is None:
        _original_updatecache = linecache.updatecache
    original = _original_updatecache
    folders = {prefix: base_url + folder for prefix, folder in source_folders(site_packages).items()}
    missing: set[str] = set()

    def updatecache(filename: str, module_globals: Any = None) -> list[str]:
        lines = original(filename, module_globals)
        if lines or filename in missing:
            return lines
        for prefix, url in folders.items():
            if filename.startswith(prefix) and filename.endswith(".py"):
                text = read(url + filename[len(prefix) :])
                break
        else:
            return lines
        if text is None:
            missing.add(filename)  # asked once: a traceback stays fast without it
            return lines
        found = [line + "\n" for line in text.splitlines()] or ["\n"]
        # No modification time: checkcache() keeps the entry.
        linecache.cache[filename] = (len(text), None, found, filename)
        return found

    linecache.updatecache = updatecache


def hide_sources() -> None:
    """Undo :func:`show_sources` (for tests in CPython)."""
    global _original_updatecache
    if _original_updatecache is not None:
        linecache.updatecache = _original_updatecache
        _original_updatecache = None


#: What :class:`LateStdlib` imports itself: the build keeps these in the
#: standard library a start mounts (``node/pycompile.py``), else the finder
#: would look for them in the zip it is downloading.
LATE_STDLIB_IMPORTS = ("zipfile",)


def _fetch_bytes(url: str) -> tuple[bytes | None, str]:
    """A file from the site, synchronously (a Web Worker may): its bytes, or None and why not."""
    from js import Uint8Array, XMLHttpRequest

    request = XMLHttpRequest.new()
    request.open("GET", url, False)
    request.responseType = "arraybuffer"
    try:
        request.send(None)
    except Exception as exc:
        return None, f"the request failed: {exc}"
    if request.status != 200:
        status = int(request.status)
        text = str(request.statusText or "")
        return None, f"the server answered {status}{' ' + text if text else ''}" if status else "no answer"
    return bytes(Uint8Array.new(request.response).to_bytes()), ""


class LateStdlib(importlib.abc.MetaPathFinder):
    """Imports the standard library's modules that the build left out of the start's zip.

    Last on ``sys.meta_path``: asked only for what no other finder found.
    The first import of one of ``modules`` downloads the zip at ``url``
    (once; a failed download is tried again at the next such import).

    Args:
        url: The zip of those modules' sources.
        modules: The modules and packages it holds.
        prefix: Where the standard library lies (their ``__file__`` is there,
            as if they had been in the start's zip).
        fetch: Reads a URL as bytes: ``(bytes, "")`` or ``(None, why not)``.
    """

    def __init__(
        self,
        url: str,
        modules: Iterable[str],
        prefix: str,
        fetch: Callable[[str], tuple[bytes | None, str]] | None = None,
    ) -> None:
        self.url = url
        self.modules = frozenset(modules)
        self.prefix = prefix
        self.fetch = fetch or _fetch_bytes
        self.archive: Any = None
        #: While the zip is being fetched and opened: an import that needs it then is not found.
        self.opening = False

    def _open(self, fullname: str) -> Any:
        if self.archive is None:
            import zipfile

            # Said once: a start that fetches it (a module the build did not see imported) is slower.
            what = f"live-asgi: importing {fullname} fetches the rest of the standard library"
            print(what, file=sys.stderr)
            data, why = self.fetch(self.url)
            if data is None:
                raise ImportError(
                    f"the standard library module {fullname!r} could not be loaded: {self.url} "
                    f"could not be downloaded ({why}). The site may be incompletely published; "
                    "reload the page later or tell its authors.",
                    name=fullname,
                )
            self.archive = zipfile.ZipFile(io.BytesIO(data))
        return self.archive

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        """The spec of a module of the late zip (downloading it first), else None."""
        if fullname not in self.modules or self.opening:
            return None
        self.opening = True
        try:
            archive = self._open(fullname)
        finally:
            self.opening = False
        base = fullname.replace(".", "/")
        for name, package in ((f"{base}/__init__.py", True), (f"{base}.py", False)):
            if name in archive.NameToInfo:
                return importlib.util.spec_from_file_location(
                    fullname,
                    self.prefix + name,
                    loader=_LateLoader(archive, self.prefix),
                    submodule_search_locations=[self.prefix + base] if package else None,
                )
        return None


class _LateLoader(importlib.abc.SourceLoader):
    """Loads a module's source from the late zip, in memory (``get_source`` for tracebacks)."""

    def __init__(self, archive: Any, prefix: str) -> None:
        self.archive = archive
        self.prefix = prefix

    def get_filename(self, fullname: str) -> str:
        base = self.prefix + fullname.replace(".", "/")
        package = f"{base}/__init__.py"
        return package if package[len(self.prefix) :] in self.archive.NameToInfo else f"{base}.py"

    def get_data(self, path: str) -> bytes:
        if not path.startswith(self.prefix):
            raise OSError(f"not in the late standard library: {path}")
        try:
            return bytes(self.archive.read(path[len(self.prefix) :]))
        except KeyError:
            raise OSError(f"not in the late standard library: {path}") from None


def late_stdlib(
    url: str, modules: Iterable[str], fetch: Callable[[str], tuple[bytes | None, str]] | None = None
) -> LateStdlib:
    """Import ``modules`` from the zip at ``url`` when the app first imports one (see :class:`LateStdlib`).

    Replaces a finder added before (the worker calls it at every start that
    is not restored from a snapshot holding one already).
    """
    forget_late_stdlib()
    prefix = next(iter(source_folders("")))
    finder = LateStdlib(url, modules, prefix, fetch)
    sys.meta_path.append(finder)
    return finder


def forget_late_stdlib() -> None:
    """Remove the finder of :func:`late_stdlib` (for tests in CPython)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, LateStdlib)]
