"""What the browser tests do again and again."""

from __future__ import annotations

import time
from typing import Any

APP_STARTUP_MS = 90_000


def open_embed(context: Any, url: str, index: int = 0) -> Any:
    """Open a docs page and wait until its ``index``-th live app shows a page."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    wait_embed(page, index, errors)
    return page


def wait_embed(page: Any, index: int = 0, errors: list[str] | None = None) -> None:
    """Wait until the ``index``-th live app of an open page shows a page."""
    embed = page.locator(".live-asgi").nth(index)
    embed.scroll_into_view_if_needed()
    try:
        page.wait_for_function(
            "([i]) => { const e = document.querySelectorAll('.live-asgi')[i];"
            " return e && (e.dataset.state === 'running' || e.querySelector('[data-kind=error]')); }",
            arg=[index],
            timeout=APP_STARTUP_MS,
        )
    except Exception as exc:
        raise AssertionError(
            f"the app did not start; the embed says: {embed.inner_text()!r}; errors: {errors}"
        ) from exc
    assert embed.get_attribute("data-state") == "running", embed.inner_text()


def app_frame(page: Any, index: int = 0) -> Any:
    """The Playwright Frame of the ``index``-th live app of a page."""
    handle = page.locator(".live-asgi iframe").nth(index).element_handle()
    frame = handle.content_frame()
    assert frame is not None
    return frame


def wait_frame_text(frame: Any, selector: str, text: str, timeout: float = 20_000) -> None:
    """Wait until ``selector`` in the app frame contains ``text``."""
    frame.wait_for_function(
        "([sel, text]) => { const e = document.querySelector(sel);"
        " return e && e.textContent.includes(text); }",
        arg=[selector, text],
        timeout=timeout,
    )


def instance_url(frame: Any) -> str:
    """``.../app/<name>/~<instance>``: the app's root URL in this frame."""
    prefix, rest = frame.url.split("/~", 1)
    return f"{prefix}/~{rest.split('/')[0]}"


def frame_at(page: Any, path: str, selector: str, text: str, index: int = 0) -> Any:
    """The ``index``-th app frame of a booted page, navigated to ``path`` and showing ``text``.

    For tests that share one booted app: each starts from a page of its own choosing.
    """
    frame = app_frame(page, index)
    frame.goto(instance_url(frame) + path)
    wait_frame_text(frame, selector, text)
    return frame


def add_item(frame: Any, title: str) -> None:
    """Post the sample to-do app's form and wait for the redirected list."""
    frame.fill("input[name=title]", title)
    frame.click("button[type=submit]")
    wait_frame_text(frame, "#items", title)


def stop_all_service_workers(context: Any, page: Any, timeout_s: float = 30) -> None:
    """Stop every service worker, as a browser does to idle ones (DevTools protocol).

    Returns once every worker version that was running has reported itself
    stopped (``ServiceWorker.workerVersionUpdated``).
    """
    cdp = context.new_cdp_session(page)
    statuses: dict[str, list[str]] = {}

    def updated(event: dict[str, Any]) -> None:
        for version in event["versions"]:
            statuses.setdefault(version["versionId"], []).append(version["runningStatus"])

    # Listening before enabling: enabling reports the versions there are.
    cdp.on("ServiceWorker.workerVersionUpdated", updated)
    cdp.send("ServiceWorker.enable")
    cdp.send("ServiceWorker.stopAllWorkers")

    def stopped() -> bool:
        ran = {v for v, seen in statuses.items() if {"starting", "running"} & set(seen)}
        ended = {v for v, seen in statuses.items() if "stopped" in seen}
        return bool(ended) and ran <= ended

    deadline = time.monotonic() + timeout_s
    # Each command's answer also delivers the events that came before it.
    while not stopped():
        if time.monotonic() > deadline:
            raise AssertionError(f"the service workers did not stop: {statuses}")
        cdp.send("Target.getTargets")
    cdp.detach()
