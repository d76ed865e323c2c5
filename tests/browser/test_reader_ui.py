"""What the reader sees: lazy start, errors in words, the toolbar, app URLs opened directly.

The test project (``projects/ui``) embeds a plain ASGI app with no packages, so
each start costs only the runtime; failures are provoked for real (an app that
raises on import, a runtime file removed or damaged, service workers blocked,
an uncaught error in the app's worker, an app that never answers).

Tests that neither watch what a first visit downloads nor change the browser
(its clock, its network) run in one profile (``profile``): after the
first, their apps start from the browser's caches and snapshot.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import APP_STARTUP_MS, app_frame, wait_frame_text

pytestmark = pytest.mark.browser

PROJECT = Path(__file__).parent / "projects" / "ui"
#: Requests that mean an app is starting: the runtime, wheels, the app's files.
STARTING = re.compile(r"/_live_asgi/(pyodide/|wheels/|apps/)")


@pytest.fixture(scope="module")
def ui_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ui-site")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", str(PROJECT), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def ui_url(ui_site: Path, serve: Any) -> str:
    return serve(ui_site)


def site_copy(ui_site: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(ui_site, copy)
    return copy


class Requests:
    """Every URL the browser context asks for (pages and their workers)."""

    def __init__(self, context: Any) -> None:
        self.urls: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))

    def starting(self) -> list[str]:
        return [u for u in self.urls if STARTING.search(u)]


def wait_state(page: Any, states: tuple[str, ...], index: int = 0, timeout: float = APP_STARTUP_MS) -> str:
    """Wait until the ``index``-th embed is in one of ``states``; return its text."""
    embed = page.locator(".live-asgi").nth(index)
    try:
        page.wait_for_function(
            "([i, states]) => { const e = document.querySelectorAll('.live-asgi')[i];"
            " return e && states.includes(e.dataset.state); }",
            arg=[index, list(states)],
            timeout=timeout,
        )
    except Exception as exc:
        raise AssertionError(f"the embed never became {states}; it says {embed.inner_text()!r}") from exc
    return str(embed.inner_text())


def message(page: Any, index: int = 0) -> str:
    return str(page.locator(".live-asgi .live-asgi-message").nth(index).inner_text())


@pytest.fixture
def profile(shared_context: Any) -> Iterator[Any]:
    """The module's one profile; the test's pages are closed after it (their apps stop)."""
    yield shared_context
    for page in shared_context.pages:
        page.close()


@pytest.fixture
def blocked_context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(service_workers="block")
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()


# --- start when wanted --------------------------------------------------------


def test_an_embed_below_the_fold_downloads_nothing_until_scrolled_to(context: Any, ui_url: str) -> None:
    requests = Requests(context)
    page = context.new_page()
    page.goto(ui_url + "lazy.html")
    page.wait_for_load_state("networkidle")
    embed = page.locator(".live-asgi")
    assert embed.get_attribute("data-state") == "idle"
    assert re.search(r"starts when you scroll to it \(\d+\.\d MB download\)", message(page)), message(page)
    assert requests.starting() == []

    embed.scroll_into_view_if_needed()
    wait_state(page, ("running",))
    wait_frame_text(app_frame(page), "h1", "Hello from the test app")
    # The same log sees the runtime once the app starts: the silence above was real.
    assert any(u.endswith("pyodide.asm.wasm") for u in requests.starting())


def test_click_to_run_says_the_size_and_downloads_nothing_until_clicked(context: Any, ui_url: str) -> None:
    requests = Requests(context)
    page = context.new_page()
    page.goto(ui_url + "click.html")
    page.wait_for_load_state("networkidle")
    button = page.get_by_role("button", name=re.compile(r"^Run the app"))
    assert re.fullmatch(r"Run the app \(\d+\.\d MB download\)", button.inner_text())
    assert requests.starting() == []
    assert page.locator(".live-asgi iframe").is_hidden()

    button.click()
    wait_state(page, ("running",))
    wait_frame_text(app_frame(page), "h1", "Hello from the test app")
    assert any(u.endswith("pyodide.asm.wasm") for u in requests.starting())


# --- errors in words, in the frame ------------------------------------------


def test_an_app_that_fails_to_import_shows_its_traceback(context: Any, ui_url: str) -> None:
    page = context.new_page()
    page.goto(ui_url + "broken.html")
    wait_state(page, ("failed",))
    # The exception's type and its whole message, not only its last line.
    assert message(page) == (
        "The app could not start: RuntimeError: the test app refuses to import. "
        "Install what it needs with: pip install nothing"
    )
    details = page.locator(".live-asgi details")
    assert details.locator("summary").inner_text() == "Python traceback"
    assert details.get_attribute("open") is None  # collapsed until asked for
    details.locator("summary").click()
    traceback = details.locator("pre").inner_text()
    assert "brokenapp/__init__.py" in traceback
    assert 'raise RuntimeError("the test app refuses to import.' in traceback
    assert page.get_by_role("button", name="Try again").is_visible()


def test_a_traceback_through_bytecode_only_modules_shows_their_lines(context: Any, ui_url: str) -> None:
    # The standard library's modules an app's start imports are shipped as
    # bytecode only: the traceback fetches the sources it shows, no others.
    requests = Requests(context)
    page = context.new_page()
    page.goto(ui_url + "brokenstdlib.html")
    wait_state(page, ("failed",))
    assert message(page) == "The app could not start: ValueError: Invalid IPv6 URL"
    details = page.locator(".live-asgi details")
    details.locator("summary").click()
    traceback = details.locator("pre").inner_text()
    assert 'File "/lib/python314.zip/urllib/parse.py"' in traceback
    assert 'raise ValueError("Invalid IPv6 URL")' in traceback
    # Each source once, only those the traceback shows (the import machinery's, urllib's).
    fetched = [u.split("/sources/")[1] for u in requests.urls if "/sources/" in u]
    shown = re.findall(r'File "/lib/python314\.zip/([^"]+)"', traceback)
    assert "stdlib/urllib/parse.py" in fetched
    assert sorted(fetched) == sorted({f"stdlib/{name}" for name in shown})


def test_a_missing_runtime_file_is_named_in_the_frame(
    context: Any, ui_site: Path, tmp_path: Path, serve: Any
) -> None:
    site = site_copy(ui_site, tmp_path)
    (site / "_static/_live_asgi/pyodide/pyodide.asm.wasm").unlink()
    page = context.new_page()
    page.goto(serve(site) + "index.html")
    wait_state(page, ("failed",))
    text = message(page)
    assert "A file the app needs could not be downloaded: pyodide.asm.wasm" in text, text
    assert "404" in text


def test_a_damaged_runtime_file_ends_in_a_message_not_a_spinner(
    context: Any, ui_site: Path, tmp_path: Path, serve: Any
) -> None:
    site = site_copy(ui_site, tmp_path)
    (site / "_static/_live_asgi/pyodide/pyodide.asm.wasm").write_bytes(b"this is not WebAssembly" * 1000)
    page = context.new_page()
    page.goto(serve(site) + "index.html")
    wait_state(page, ("failed",))
    assert "pyodide.asm.wasm is damaged" in message(page), message(page)
    assert page.locator(".live-asgi progress").is_hidden()


def test_a_download_that_stalls_is_reported_after_a_minute_without_data(context: Any, ui_url: str) -> None:
    # The server took the request for the runtime and went quiet, as a dropped connection does.
    context.route("**/pyodide.asm.wasm", lambda route: None)
    page = context.new_page()
    page.clock.install()
    with context.expect_event("request", lambda request: request.url.endswith("pyodide.asm.wasm")):
        page.goto(ui_url + "index.html")
    page.clock.fast_forward(61_000)
    wait_state(page, ("failed",))
    text = message(page)
    assert text.startswith(
        "The app stopped starting: no data arrived for 60 s while downloading the Python runtime"
    ), text
    assert "Check your connection and try again" in text, text
    assert page.get_by_role("button", name="Try again").is_visible()


def test_a_long_computing_start_is_waited_for_and_then_named(context: Any, ui_url: str) -> None:
    # The app's import computes forever: its worker cannot report anything,
    # as while a slow phone imports a big app or compiles the runtime.
    page = context.new_page()
    page.clock.install()
    page.goto(ui_url + "stuck.html")
    page.wait_for_function(
        "() => { const e = document.querySelector('.live-asgi');"
        " return e.dataset.stage === 'app' && e.dataset.downloading === '0'; }",
        timeout=APP_STARTUP_MS,
    )
    assert "Starting the app" in message(page)
    page.clock.fast_forward(61_000)
    assert page.locator(".live-asgi").get_attribute("data-state") == "starting", message(page)
    page.clock.fast_forward(240_000)
    wait_state(page, ("failed",))
    text = message(page)
    assert text.startswith(
        "The app stopped starting: the app's start-up (its import and lifespan startup) ran for 5 min"
    ), text
    assert "close other tabs and apps, then try again" in text, text
    assert page.get_by_role("button", name="Try again").is_visible()


def test_blocked_service_workers_are_explained_and_nothing_is_downloaded(
    blocked_context: Any, ui_url: str
) -> None:
    requests = Requests(blocked_context)
    page = blocked_context.new_page()
    page.goto(ui_url + "index.html")
    wait_state(page, ("failed",))
    text = message(page)
    assert "service worker" in text and "private" in text, text
    assert requests.starting() == []


def test_a_runtime_crash_offers_a_restart_that_works(profile: Any, ui_url: str) -> None:
    page = profile.new_page()
    page.goto(ui_url + "index.html")
    wait_state(page, ("running",))
    frame = app_frame(page)
    wait_frame_text(frame, "h1", "Hello")
    # The crash may end the frame's page before its navigation commits (goto
    # would then fail with ERR_ABORTED): start the navigation as a link
    # would, then wait for what the reader sees, the crashed state.
    frame.evaluate(
        "(url) => { setTimeout(() => location.assign(url), 0); }", frame.url.rstrip("/") + "/crash"
    )
    wait_state(page, ("crashed",))
    text = message(page)
    assert "runtime crashed" in text and "simulated runtime crash" in text, text
    assert page.locator(".live-asgi iframe").is_hidden()
    page.locator(".live-asgi-status").get_by_role("button", name="Restart the app").click()
    wait_state(page, ("running",))
    # The restarted instance opens at the first page, not the one that crashed it.
    wait_frame_text(app_frame(page), "h1", "Hello from the test app")


def test_a_request_that_takes_too_long_gets_a_504_page(
    context: Any, ui_site: Path, tmp_path: Path, serve: Any
) -> None:
    site = site_copy(ui_site, tmp_path)
    sw = site / "app/live-asgi-sw.js"
    source = sw.read_text()
    assert "const REQUEST_TIMEOUT_MS = 60_000;" in source
    sw.write_text(source.replace("const REQUEST_TIMEOUT_MS = 60_000;", "const REQUEST_TIMEOUT_MS = 1_500;"))
    page = context.new_page()
    page.goto(serve(site) + "index.html")
    wait_state(page, ("running",))
    frame = app_frame(page)
    response = frame.goto(frame.url.rstrip("/") + "/slow")
    assert response is not None and response.status == 504
    assert frame.inner_text("h1") == "The app took too long to answer"
    assert "did not answer GET" in frame.inner_text("body")


# --- controls ----------------------------------------------------------------


def test_the_toolbar_navigates_reloads_restarts_and_opens_a_full_page(profile: Any, ui_url: str) -> None:
    page = profile.new_page()
    page.goto(ui_url + "index.html")
    wait_state(page, ("running",))
    toolbar = page.get_by_role("toolbar", name="Live app “hello”: controls")
    address = toolbar.get_by_role("textbox")
    back = toolbar.get_by_role("button", name="Back")
    forward = toolbar.get_by_role("button", name="Forward")
    frame = app_frame(page)
    wait_frame_text(frame, "h1", "Hello")
    assert address.input_value() == "/"
    assert back.is_disabled() and forward.is_disabled()

    frame.click("#second")
    wait_frame_text(frame, "h1", "Second page")
    page.wait_for_function("document.querySelector('.live-asgi-address').value === '/second'")
    back.click()
    wait_frame_text(frame, "h1", "Hello")
    page.wait_for_function("document.querySelector('.live-asgi-address').value === '/'")
    assert page.url == ui_url + "index.html"  # the docs page stayed
    forward.click()
    wait_frame_text(frame, "h1", "Second page")

    address.fill("count")
    address.press("Enter")
    wait_frame_text(frame, "#visits", "1")
    assert address.input_value() == "/count"
    toolbar.get_by_role("button", name="Reload the app page").click()
    wait_frame_text(frame, "#visits", "2")

    # "Open in a new tab" shows the same instance: the count goes on.
    with profile.expect_page() as popup_info:
        toolbar.get_by_role("link", name="Open the app in a new tab").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.url == frame.url
    assert popup.inner_text("#visits") == "3"
    popup.close()

    # Restart: the old instance's lifespan shutdown runs (as a server that
    # stops), then a new worker and a new instance, where the reader was.
    old_url = frame.url
    shutdowns: list[str] = []
    page.on("console", lambda m: shutdowns.append(m.text) if "lifespan shutdown ran" in m.text else None)
    with page.expect_console_message(lambda m: "lifespan shutdown ran" in m.text, timeout=10_000):
        toolbar.get_by_role("button", name="Restart the app (a fresh instance)").click()
        wait_state(page, ("running",))
    assert shutdowns == ["[hello] uiapp: lifespan shutdown ran"], shutdowns
    frame = app_frame(page)
    wait_frame_text(frame, "#visits", "1")
    assert frame.url != old_url and frame.url.endswith("/count")


def test_an_app_url_opened_directly_boots_its_own_runtime_full_window(profile: Any, ui_url: str) -> None:
    # A reader who visited the docs has the service worker; a bookmark of an
    # app page then opens the app alone, with its own runtime.
    docs = profile.new_page()
    docs.goto(ui_url + "click.html")
    docs.get_by_role("button", name=re.compile(r"^Run the app")).click()
    wait_state(docs, ("running",))
    docs.close()

    page = profile.new_page()
    page.goto(ui_url + "app/hello/~0123456789ab/second")
    wait_state(page, ("running",))
    frame = app_frame(page)
    wait_frame_text(frame, "h1", "Second page")
    # The address bar drops the dead instance: a reload opens the same page again.
    assert page.url == ui_url + "app/hello/second"
    box = page.locator(".live-asgi iframe").bounding_box()
    viewport = page.viewport_size
    assert box["width"] == viewport["width"] and box["height"] > viewport["height"] * 0.8

    page.reload()
    wait_state(page, ("running",))
    wait_frame_text(app_frame(page), "h1", "Second page")


def test_an_app_url_opened_in_a_fresh_browser_starts_the_app(context: Any, ui_url: str) -> None:
    page = context.new_page()
    page.goto(ui_url + "app/hello/")
    wait_state(page, ("running",))
    wait_frame_text(app_frame(page), "h1", "Hello from the test app")


# --- fits the docs -----------------------------------------------------------


def test_height_auto_follows_the_app_page(profile: Any, ui_url: str) -> None:
    page = profile.new_page()
    page.goto(ui_url + "auto.html")
    wait_state(page, ("running",))
    frame = app_frame(page)
    wait_frame_text(frame, "h1", "Tall page")
    page.wait_for_function("document.querySelector('.live-asgi iframe').offsetHeight > 1500")
    frame.click("#second")
    wait_frame_text(frame, "h1", "Second page")
    page.wait_for_function("document.querySelector('.live-asgi iframe').offsetHeight < 400")


BACKGROUND = "getComputedStyle(document.querySelector('.live-asgi')).backgroundColor"


def background(page: Any) -> str:
    return str(page.evaluate(BACKGROUND))


def test_colours_follow_the_page_not_the_readers_system(browser: Any, ui_url: str) -> None:
    dark = browser.new_context(color_scheme="dark")
    try:
        page = dark.new_page()
        page.goto(ui_url + "click.html")
        # Alabaster has no dark mode: its page stays white for a dark reader, and so does the embed.
        page.wait_for_function("document.querySelector('.live-asgi').dataset.state === 'idle'")
        assert background(page) == "rgb(255, 255, 255)"
        # A theme unknown by name that darkens its page with a class on <html>: the embed follows.
        page.add_style_tag(
            content="html.night body, html.night body :not(.live-asgi, .live-asgi *)"
            " { background-color: rgb(17, 17, 17) }"
        )
        page.evaluate("document.documentElement.classList.add('night')")
        page.wait_for_function(f"{BACKGROUND} === 'rgb(27, 30, 35)'")
        page.evaluate("document.documentElement.classList.remove('night')")
        page.wait_for_function(f"{BACKGROUND} === 'rgb(255, 255, 255)'")
    finally:
        dark.close()


def test_on_a_phone_the_embed_fits_and_is_reachable_by_keyboard(browser: Any, ui_url: str) -> None:
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        page.goto(ui_url + "click.html")
        embed = page.locator(".live-asgi")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        box = embed.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        # Every control is labelled for a screen reader.
        assert page.locator(".live-asgi-status[role=status]").count() == 1
        for name in ("Back", "Forward", "Reload the app page", "Restart the app (a fresh instance)"):
            assert page.get_by_role("button", name=name).count() == 1
        assert page.get_by_role("textbox", name=re.compile("address")).count() == 1
        # The run button is reachable with Tab and starts the app with Enter.
        run = page.get_by_role("button", name=re.compile(r"^Run the app"))
        for _ in range(30):
            page.keyboard.press("Tab")
            if run.evaluate("b => b === document.activeElement"):
                break
        else:
            raise AssertionError("Tab never reached the Run the app button")
        page.keyboard.press("Enter")
        wait_state(page, ("running",))
        assert page.locator("iframe[title='Live app “hello”']").is_visible()
    finally:
        phone.close()
