"""The sample Sphinx docs in headless Chromium: the app is real, per tab, and survives SW stops.

Tests that only read an app share its booted page (``todo_page``, ``live_page``);
those that change an app's state or need a fresh profile boot their own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import (
    add_item,
    app_frame,
    frame_at,
    open_embed,
    stop_all_service_workers,
    wait_embed,
    wait_frame_text,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_url(sample_sphinx_site: Path, serve: Any) -> str:
    return serve(sample_sphinx_site)


@pytest.fixture(scope="module")
def todo_page(shared_context: Any, site_url: str) -> Any:
    """The to-do app's page, booted once, for the tests that do not add items (a profile of its own)."""
    return open_embed(shared_context, site_url + "index.html")


@pytest.fixture
def todo_frame(todo_page: Any) -> Any:
    """The to-do app's frame, back at its home page."""
    return frame_at(todo_page, "/", "h1", "To-do")


@pytest.fixture(scope="module")
def live_page(browser: Any, site_url: str) -> Iterator[Any]:
    """The page of the two WebSocket apps, both booted once (a profile of its own)."""
    context = browser.new_context()
    context.set_default_timeout(60_000)
    page = open_embed(context, site_url + "live.html")
    wait_embed(page, 1)
    yield page
    context.close()


def test_app_appears_in_the_iframe_under_its_scope(todo_page: Any, todo_frame: Any, site_url: str) -> None:
    frame = todo_frame
    assert "FastAPI app running in your browser" in frame.inner_text("body")
    assert frame.url.startswith(site_url + "app/todo/~")
    scopes = todo_page.evaluate("navigator.serviceWorker.getRegistrations().then(rs => rs.map(r => r.scope))")
    assert scopes == [site_url + "app/todo/"]


SHA256_OF_FETCH = """async (url) => {
  const response = await fetch(url);
  const digest = await crypto.subtle.digest("SHA-256", await response.arrayBuffer());
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return [response.headers.get("content-encoding"), hex];
}"""


def test_the_runtime_and_the_archives_arrive_as_their_brotli_siblings_with_the_files_bytes(
    context: Any, site_url: str, sample_sphinx_site: Path
) -> None:
    # The sample site is built with precompress on; the server sends the .br
    # siblings as nginx's brotli_static would.
    encodings: dict[str, str | None] = {}
    responses: list[Any] = []
    context.on("response", lambda r: responses.append(r))
    context.on(
        "response",
        lambda r: encodings.setdefault(r.url.rsplit("/", 1)[-1], r.headers.get("content-encoding")),
    )
    page = open_embed(context, site_url + "index.html")
    wait_frame_text(app_frame(page), "h1", "To-do")
    # The embed announced what travels: the bodies of the start's downloads as
    # the network carried them (its files but the page's own scripts).
    config = json.loads(page.locator(".live-asgi").first.get_attribute("data-live-asgi"))
    start = [
        r for r in responses if r.url.startswith(site_url + "_static/_live_asgi/") and "/code-" not in r.url
    ]
    travelled = sum(r.request.sizes()["responseBodySize"] for r in start)
    assert 0.9 * travelled < config["download"] < 1.1 * travelled, [r.url for r in start]
    # A quarter of what the browser decodes: the reader was not told the decoded size.
    assert config["download"] < 0.3 * config["decoded"]
    # What the app's worker downloaded to start: the runtime, and the archives
    # the build stored so that their siblings compress across files.
    assets = sample_sphinx_site / "_static/_live_asgi"
    stdlib = next(assets.glob("bytecode-*/python_stdlib.zip"))
    core = next(assets.glob("bytecode-*/pydantic_core-*.whl"))
    served = [assets / "pyodide/pyodide.asm.wasm", assets / "pyodide/pyodide.asm.mjs", stdlib, core]
    assert [encodings[p.name] for p in served] == ["br"] * 4
    # The standard library's modules no start imports: not downloaded to start.
    late = next(assets.glob("bytecode-*/python_stdlib_late.zip"))
    assert late.name not in encodings
    # Decoded by the browser, they are the built files' bytes (the late zip's too, when it is fetched).
    for file in [*served, late]:
        url = f"{site_url}{file.relative_to(sample_sphinx_site).as_posix()}?again"
        expected = hashlib.sha256(file.read_bytes()).hexdigest()
        assert page.evaluate(SHA256_OF_FETCH, url) == ["br", expected]


PYODIDE_LOADS_THE_APPS_PACKAGES = """async ([assets, app]) => {
  const manifestURL = new URL(`apps/${app}/manifest.json`, assets);
  const manifest = await (await fetch(manifestURL)).json();
  const lock = await (await fetch(new URL(manifest.lock, manifestURL))).json();
  const { loadPyodide } = await import(new URL("pyodide/pyodide.mjs", assets).href);
  const problems = [];
  const pyodide = await loadPyodide({
    indexURL: new URL("pyodide/", assets).href,
    stdLibURL: new URL(manifest.stdlib, manifestURL).href,
    lockFileContents: lock,
    packageBaseUrl: new URL(manifest.wheels, manifestURL).href,
    packages: manifest.packages,
    stderr: (line) => problems.push(line),
  });
  const versions = pyodide.runPython(
    "import fastapi, pydantic_core, json; json.dumps([fastapi.__version__, pydantic_core.__version__])"
  );
  return { versions: JSON.parse(versions), problems };
}"""


def test_pyodides_own_loader_installs_the_stored_wheels_of_a_precompressed_site(
    context: Any, site_url: str, sample_sphinx_site: Path
) -> None:
    # The worker's path without a snapshot: loadPyodide's `packages`, which
    # checks each wheel against the lock's hash and unpacks it itself.
    page = context.new_page()
    page.goto(site_url + "index.html")
    result = page.evaluate(PYODIDE_LOADS_THE_APPS_PACKAGES, [site_url + "_static/_live_asgi/", "todo"])
    lock = next((sample_sphinx_site / "_static/_live_asgi/apps/todo").glob("lock-*.json")).read_text()
    packages = json.loads(lock)["packages"]
    expected = [packages["fastapi"]["version"], packages["pydantic-core"]["version"]]
    assert result == {"versions": expected, "problems": []}


def test_link_click_navigates_inside_the_frame(todo_page: Any, todo_frame: Any, site_url: str) -> None:
    page, frame = todo_page, todo_frame
    frame.click("#items-link")
    wait_frame_text(frame, "h1", "Items")
    assert frame.url.endswith("/items")
    assert "Read the docs" in frame.inner_text("#items")
    assert page.url == site_url + "index.html"


def test_form_post_lands_on_the_redirected_page_with_the_new_item(revisit: Any, site_url: str) -> None:
    page = open_embed(revisit, site_url + "markdown.html")  # starts at /items
    frame = app_frame(page)
    wait_frame_text(frame, "h1", "Items")
    add_item(frame, "Buy milk & höney")
    # The 303 was followed with a GET: the frame shows the list, not the POST answer.
    assert frame.url.endswith("/items")
    assert frame.evaluate("performance.getEntriesByType('navigation')[0].type") == "navigate"


def test_the_app_pages_own_script_runs_and_writes_the_api_result(todo_frame: Any) -> None:
    frame = todo_frame
    frame.click("text=Script")
    wait_frame_text(frame, "#api-result", "items:")
    assert frame.inner_text("#api-result").startswith("2 items: Read the docs, Try the live app")


def test_a_non_ascii_path_parameter_arrives_decoded(todo_frame: Any) -> None:
    frame = todo_frame
    base = frame.url.rstrip("/")
    frame.goto(base + "/items/hello%20w%C3%B6rld")
    wait_frame_text(frame, "#item-name", "hello")
    assert frame.inner_text("#item-name") == "hello wörld"


def test_two_tabs_are_answered_by_their_own_runtimes(revisit: Any, site_url: str) -> None:
    tab_a = open_embed(revisit, site_url + "markdown.html")
    tab_b = open_embed(revisit, site_url + "markdown.html")
    frame_a, frame_b = app_frame(tab_a), app_frame(tab_b)
    assert frame_a.url != frame_b.url
    add_item(frame_a, "only in tab A")
    # Tab B's reload and API call go to tab B's runtime, which never saw the item.
    frame_b.goto(frame_b.url)
    wait_frame_text(frame_b, "h1", "Items")
    assert "only in tab A" not in frame_b.inner_text("#items")
    api_b = frame_b.evaluate("fetch('api/items').then(r => r.json())")
    assert api_b == {"items": ["Read the docs", "Try the live app"]}
    add_item(frame_b, "only in tab B")
    frame_a.goto(frame_a.url)
    wait_frame_text(frame_a, "#items", "only in tab A")
    assert "only in tab B" not in frame_a.inner_text("#items")


def test_the_app_and_its_state_survive_the_browser_stopping_service_workers(
    context: Any, site_url: str
) -> None:
    page = open_embed(context, site_url + "markdown.html")
    frame = app_frame(page)
    add_item(frame, "survives")
    stop_all_service_workers(context, page)
    # The next request starts a fresh service worker that asks the page for a port.
    api = frame.evaluate("fetch('api/items').then(r => r.json())")
    assert "survives" in api["items"]
    frame.goto(frame.url)
    wait_frame_text(frame, "#items", "survives")


def test_a_vendored_build_runs_with_every_other_origin_cut_off(context: Any, site_url: str) -> None:
    # (This machine has no route to the Pyodide CDN either: a build that needed it could not start.)
    foreign: list[str] = []

    def only_the_docs_host(route: Any) -> None:
        if route.request.url.startswith(site_url):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_docs_host)
    page = open_embed(context, site_url + "index.html")
    frame = app_frame(page)
    wait_frame_text(frame, "h1", "To-do")
    frame.click("#items-link")
    wait_frame_text(frame, "h1", "Items")
    assert foreign == []


def test_the_live_chat_shows_each_persons_messages_to_the_other(live_page: Any) -> None:
    frame = app_frame(live_page)
    ada, grace = "section[data-name=Ada]", "section[data-name=Grace]"
    wait_frame_text(frame, f"{ada} .state", "connected")
    wait_frame_text(frame, f"{grace} .state", "connected")
    frame.fill(f"{ada} input", "Hello Grace")
    frame.press(f"{ada} input", "Enter")
    wait_frame_text(frame, f"{grace} .log", "Ada: Hello Grace")
    frame.fill(f"{grace} input", "Hi Ada")
    frame.press(f"{grace} input", "Enter")
    wait_frame_text(frame, f"{ada} .log", "Grace: Hi Ada")
    # Each socket saw both, in the order they were said.
    for pane in (ada, grace):
        lines = frame.locator(f"{pane} .log li").all_inner_texts()
        assert lines[-2:] == ["Ada: Hello Grace", "Grace: Hi Ada"], lines


def test_the_starlette_counter_follows_its_websocket_endpoint(live_page: Any) -> None:
    frame = app_frame(live_page, 1)
    wait_frame_text(frame, "#live-state", "(live)")
    frame.click("#add-live")
    wait_frame_text(frame, "#count", "1")
    frame.click("#add-live")
    wait_frame_text(frame, "#count", "2")
    # The page's link adds one too; the socket of the page it lands on shows it.
    frame.click("#add")
    wait_frame_text(frame, "#count", "3")
