"""The sample MkDocs (Material) docs in headless Chromium, as the Sphinx site, plus instant navigation.

The tests that only read the to-do app share its booted page (``todo_page``);
those that change its state or need a fresh profile boot their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from live_asgi_docs.site import code_folder

from .helpers import (
    APP_STARTUP_MS,
    add_item,
    app_frame,
    frame_at,
    open_embed,
    stop_all_service_workers,
    wait_frame_text,
)

pytestmark = pytest.mark.browser

WORKER_SCRIPT = f"/assets/_live_asgi/{code_folder()}/worker.js"


@pytest.fixture(scope="module")
def site_url(sample_mkdocs_site: str) -> str:
    return sample_mkdocs_site


@pytest.fixture(scope="module")
def todo_page(shared_context: Any, site_url: str) -> Any:
    """The to-do app's page, booted once, for the tests that do not add items (a profile of its own)."""
    return open_embed(shared_context, site_url)


@pytest.fixture
def todo_frame(todo_page: Any) -> Any:
    """The to-do app's frame, back at its home page."""
    return frame_at(todo_page, "/", "h1", "To-do")


def app_workers(page: Any) -> list[Any]:
    """The live app Web Workers the page runs now."""
    return [w for w in page.workers if w.url.endswith(WORKER_SCRIPT)]


def wait_running(page: Any, name: str) -> None:
    """Wait until the page's embed of app ``name`` shows the app."""
    page.wait_for_function(
        "(name) => [...document.querySelectorAll('.live-asgi')].some((e) =>"
        " JSON.parse(e.dataset.liveAsgi).name === name && e.dataset.state === 'running')",
        arg=name,
        timeout=APP_STARTUP_MS,
    )


def wait_closed(page: Any, closed: list[Any], worker: Any, timeout_s: float = 20) -> None:
    """Wait for the ``close`` event of a worker (``closed`` has the workers it came for already)."""
    if worker in closed:
        return
    try:
        # Events arrive only while Playwright waits: none can slip between the check and this.
        with worker.expect_event("close", timeout=timeout_s * 1000):
            pass
    except Exception as exc:
        raise AssertionError("the left page's app worker was not terminated") from exc


def test_app_appears_in_the_iframe_under_its_scope(todo_page: Any, todo_frame: Any, site_url: str) -> None:
    page, frame = todo_page, todo_frame
    assert "FastAPI app running in your browser" in frame.inner_text("body")
    assert frame.url.startswith(site_url + "app/todo/~")
    scopes = page.evaluate("navigator.serviceWorker.getRegistrations().then(rs => rs.map(r => r.scope))")
    assert scopes == [site_url + "app/todo/"]


def test_link_click_navigates_inside_the_frame(todo_page: Any, todo_frame: Any, site_url: str) -> None:
    page, frame = todo_page, todo_frame
    frame.click("#items-link")
    wait_frame_text(frame, "h1", "Items")
    assert frame.url.endswith("/items")
    assert "Read the docs" in frame.inner_text("#items")
    assert page.url == site_url


def test_form_post_lands_on_the_redirected_page_with_the_new_item(revisit: Any, site_url: str) -> None:
    page = open_embed(revisit, site_url)
    frame = app_frame(page)
    frame.click("#items-link")
    wait_frame_text(frame, "h1", "Items")
    add_item(frame, "Buy milk & höney")
    assert frame.url.endswith("/items")
    assert frame.evaluate("performance.getEntriesByType('navigation')[0].type") == "navigate"


def test_the_app_pages_own_script_runs_and_writes_the_api_result(todo_frame: Any) -> None:
    frame = todo_frame
    frame.click("text=Script")
    wait_frame_text(frame, "#api-result", "items:")
    assert frame.inner_text("#api-result").startswith("2 items: Read the docs, Try the live app")


def test_a_non_ascii_path_parameter_arrives_decoded(todo_frame: Any) -> None:
    frame = todo_frame
    frame.goto(frame.url.rstrip("/") + "/items/hello%20w%C3%B6rld")
    wait_frame_text(frame, "#item-name", "hello")
    assert frame.inner_text("#item-name") == "hello wörld"


def test_two_tabs_are_answered_by_their_own_runtimes(context: Any, site_url: str) -> None:
    # A fresh profile: the shared one must keep the to-do app's service worker alone.
    tab_a = open_embed(context, site_url + "second/")
    tab_b = open_embed(context, site_url + "second/")
    frame_a, frame_b = app_frame(tab_a), app_frame(tab_b)
    assert frame_a.url != frame_b.url
    frame_a.click("#add")
    wait_frame_text(frame_a, "#count", "1")
    frame_a.click("#add")
    wait_frame_text(frame_a, "#count", "2")
    # Tab B's runtime has its own count.
    frame_b.goto(frame_b.url)
    wait_frame_text(frame_b, "h1", "Counter")
    assert frame_b.inner_text("#count") == "0"
    frame_b.click("#add")
    wait_frame_text(frame_b, "#count", "1")
    frame_a.goto(frame_a.url)
    wait_frame_text(frame_a, "#count", "2")


def test_the_app_and_its_state_survive_the_browser_stopping_service_workers(
    context: Any, site_url: str
) -> None:
    page = open_embed(context, site_url)
    frame = app_frame(page)
    frame.click("#items-link")
    wait_frame_text(frame, "h1", "Items")
    add_item(frame, "survives")
    stop_all_service_workers(context, page)
    api = frame.evaluate("fetch('api/items').then(r => r.json())")
    assert "survives" in api["items"]
    frame.goto(frame.url)
    wait_frame_text(frame, "#items", "survives")


def test_instant_navigation_starts_the_new_pages_app_and_stops_the_left_ones(
    context: Any, site_url: str
) -> None:
    page = open_embed(context, site_url)
    closed: list[Any] = []
    [todo_worker] = app_workers(page)
    todo_worker.on("close", lambda w: closed.append(w))
    page.evaluate("window.liveAsgiTestMarker = 'same document'")

    page.get_by_role("link", name="second page").click()
    wait_running(page, "counter")
    # Material swapped the content: no reload happened.
    assert page.url == site_url + "second/"
    assert page.evaluate("window.liveAsgiTestMarker") == "same document"
    wait_closed(page, closed, todo_worker)
    [counter_worker] = app_workers(page)
    counter_worker.on("close", lambda w: closed.append(w))
    frame = app_frame(page)
    wait_frame_text(frame, "h1", "Counter")
    frame.click("#add")
    wait_frame_text(frame, "#count", "1")

    page.get_by_role("link", name="to-do app").click()
    wait_running(page, "todo")
    assert page.url == site_url
    assert page.evaluate("window.liveAsgiTestMarker") == "same document"
    wait_closed(page, closed, counter_worker)
    assert len(app_workers(page)) == 1
    frame = app_frame(page)
    frame.click("#items-link")
    wait_frame_text(frame, "#items", "Try the live app")

    page.get_by_role("link", name="second page").click()
    wait_running(page, "counter")
    assert page.evaluate("window.liveAsgiTestMarker") == "same document"
    # A fresh runtime for the revisited page.
    wait_frame_text(app_frame(page), "#count", "0")


def test_dark_scheme_styles_the_embed(context: Any, site_url: str) -> None:
    page = context.new_page()
    page.goto(site_url)
    background = "getComputedStyle(document.querySelector('.live-asgi')).backgroundColor"
    page.evaluate("document.body.setAttribute('data-md-color-scheme', 'default')")
    page.wait_for_function(f"{background} === 'rgb(255, 255, 255)'")
    page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
    # Slate's background is dark: the embed turns dark (each channel well below the middle).
    page.wait_for_function(f"Math.max(...{background}.match(/\\d+/g).slice(0, 3).map(Number)) < 100")


def test_the_site_works_hosted_under_a_sub_path(
    context: Any, serve: Any, build_sample_mkdocs: Any, tmp_path: Path
) -> None:
    root = tmp_path / "host"
    (root / "sub").mkdir(parents=True)
    base = serve(root)
    build_sample_mkdocs(root / "sub", base + "sub/")
    site = base + "sub/"
    page = open_embed(context, site)
    frame = app_frame(page)
    wait_frame_text(frame, "h1", "To-do")
    assert frame.url.startswith(site + "app/todo/~")
    frame.click("#items-link")
    wait_frame_text(frame, "#items", "Read the docs")
    scopes = page.evaluate("navigator.serviceWorker.getRegistrations().then(rs => rs.map(r => r.scope))")
    assert scopes == [site + "app/todo/"]
    page.get_by_role("link", name="second page").click()
    wait_running(page, "counter")
    frame = app_frame(page)
    assert frame.url.startswith(site + "app/counter/~")
    frame.click("#add")
    wait_frame_text(frame, "#count", "1")
