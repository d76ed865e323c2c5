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

    asgiref's ``async_to_sync`` called from such inline code (a sync-only
    Django middleware calling the rest of the chain) cannot block the only
    thread to wait for the event loop. It runs the coroutine to its end
    without the loop, which works whenever the coroutine never has to wait for
    the loop (Django's own handler chain, which only awaits inline sync code),
    and raises a :class:`RuntimeError` that says so otherwise.

``hashlib.pbkdf2_hmac``
    CPython takes it from OpenSSL, which Pyodide does not load. Django's
    default password hasher needs it. :func:`install` adds
    :func:`pbkdf2_hmac` (RFC 8018 on top of :func:`hmac.digest`, same results
    as CPython's) when it is missing.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["install", "pbkdf2_hmac", "run_inline", "threads_available", "uninstall"]

T = TypeVar("T")

#: The event loops that inline calls were made from, innermost last (one
#: thread, so a plain list); non-empty while inline code runs.
_outer_loops: list[asyncio.AbstractEventLoop | None] = []
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
def _as_worker_thread() -> Iterator[None]:
    # A worker thread has no running event loop: code such as Django's
    # async_unsafe() checks for one and must not find it.
    loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    _outer_loops.append(loop)
    try:
        yield
    finally:
        _outer_loops.pop()
        asyncio.events._set_running_loop(loop)


def run_inline(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call ``func`` now, in this thread, the way a worker thread would.

    It gets a copy of the current context (changes it makes to context
    variables stay its own, as in anyio's worker threads) and sees no running
    event loop.
    """
    context = contextvars.copy_context()
    with _as_worker_thread():
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


def _async_to_sync_call(self: Any, *args: Any, **kwargs: Any) -> Any:
    """``AsyncToSync.__call__`` for inline code: run the coroutine without waiting."""
    if not _outer_loops:
        return _original(type(self), "__call__")(self, *args, **kwargs)
    coroutine = self.awaitable(*args, **kwargs)
    # What the coroutine awaits (sync_to_async, run inline again) needs the
    # loop the outer code runs on to be the running one while it steps, and,
    # as under asgiref's own AsyncToSync, an executor for "this thread" (any
    # value: run_in_executor runs inline).
    asyncio.events._set_running_loop(_outer_loops[-1])
    executors = type(self).executors
    old_executor = getattr(executors, "current", None)
    executors.current = _THIS_THREAD
    try:
        try:
            waiting_for = coroutine.send(None)
        except StopIteration as stop:
            return stop.value
        coroutine.close()
        raise RuntimeError(
            "async_to_sync() was called from synchronous code that runs inline on the "
            "event loop (the browser has no threads), and "
            f"{getattr(self.awaitable, '__qualname__', self.awaitable)!r} had to wait for "
            f"{waiting_for!r}. Make the calling code async (e.g. an async-capable Django "
            "middleware) so that it can await instead."
        )
    finally:
        executors.current = old_executor
        asyncio.events._set_running_loop(None)


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
    if any(name == "run_in_executor" for _, name, _ in _patches):
        return done  # installed already
    if not force and threads_available():
        return done
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
    try:
        import anyio.to_thread
    except ImportError:
        pass
    else:
        _patch(anyio.to_thread, "run_sync", _anyio_run_sync)
        done.append("anyio.to_thread.run_sync")
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
    while _patches:
        obj, name, value = _patches.pop()
        if value is _MISSING:
            delattr(obj, name)
        else:
            setattr(obj, name, value)
