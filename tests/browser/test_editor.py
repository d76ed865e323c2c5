"""The code editor beside a live app, in headless Chromium (Sphinx and MkDocs builds).

The apps are small Starlette apps: the one of ``projects/editor`` (a package in
the app directories, embedded with ``:editor:``, ``:editor: read-only`` and no
editor) and the one written in the page of ``projects/editor-mkdocs``.
Edits are typed into the editor as a reader does.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import sphinx_build

from .helpers import APP_STARTUP_MS, app_frame, open_embed, wait_frame_text

pytestmark = pytest.mark.browser

PROJECTS = Path(__file__).parent / "projects"
#: Requests that mean the runtime, packages or app bundle are downloaded.
DOWNLOADS = re.compile(r"/_live_asgi/(pyodide/|wheels/|apps/.*\.zip)")
EDITOR_CODE = re.compile(r"/(editor|codemirror)\.js$")


@pytest.fixture(scope="module")
def sphinx_url(tmp_path_factory: pytest.TempPathFactory, serve: Any) -> str:
    out = tmp_path_factory.mktemp("editor-sphinx")
    proc = sphinx_build(PROJECTS / "editor", out, "-W")
    assert proc.returncode == 0, proc.stderr
    return str(serve(out))


@pytest.fixture(scope="module")
def mkdocs_url(tmp_path_factory: pytest.TempPathFactory, serve: Any) -> str:
    from tests.conftest import mkdocs_build

    out = tmp_path_factory.mktemp("editor-mkdocs")
    proc = mkdocs_build(PROJECTS / "editor-mkdocs" / "mkdocs.yml", out)
    assert proc.returncode == 0, proc.stderr
    return str(serve(out))


class Requests:
    """Every URL the browser context asks for, from some moment on."""

    def __init__(self, context: Any) -> None:
        self.urls: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))


def code(page: Any, file: str) -> Any:
    """The editing area of one file: a textbox named by the file."""
    return page.get_by_role("textbox", name=re.compile(re.escape(file)))


def type_after(page: Any, file: str, anchor: str, typed: str, at_end: bool = False) -> None:
    """Type ``typed`` right after ``anchor`` (or at the end of its line), moving there by keyboard."""
    line = code(page, file).locator(".cm-line", has_text=anchor)
    text = line.text_content() or ""
    line.click()
    page.keyboard.press("End")
    if not at_end:
        for _ in range(len(text) - text.index(anchor) - len(anchor)):
            page.keyboard.press("ArrowLeft")
    page.keyboard.type(typed)


def run_and_wait(page: Any, frame: Any, selector: str, text: str, how: str = "button") -> float:
    """Run the edited code; return the seconds until the frame shows ``text``."""
    began = time.monotonic()
    if how == "button":
        page.get_by_role("button", name="Run", exact=True).click()
    else:
        page.keyboard.press("Control+Enter")
    wait_frame_text(frame, selector, text)
    return time.monotonic() - began


def test_an_edited_route_runs_in_the_same_runtime_at_the_page_the_frame_showed(
    context: Any, sphinx_url: str
) -> None:
    page = open_embed(context, sphinx_url)
    frame = app_frame(page)
    wait_frame_text(frame, "#title", "Hello from the editor")
    frame.click("#second")
    wait_frame_text(frame, "#title", "Second page")
    # The snapshot for the next visit is stored in the background: let it finish.
    page.wait_for_function("document.querySelector('.live-asgi').dataset.snapshot")
    requests = Requests(context)
    type_after(page, "main.py", "Second page", ", edited")
    seconds = run_and_wait(page, frame, "#title", "Second page, edited")
    print(
        f"\nRun -> new page: {seconds * 1000:.0f} ms as the test saw it, "
        f"{page.locator('.live-asgi').get_attribute('data-run-to-page-ms')} ms in the page "
        f"(restart in the worker {page.locator('.live-asgi').get_attribute('data-run-ms')} ms)"
    )
    # The frame reopened at the page it showed, and nothing was downloaded again.
    assert frame.url.endswith("/second")
    assert [u for u in requests.urls if DOWNLOADS.search(u)] == []
    assert not any(u.endswith("/pyodide.asm.wasm") for u in requests.urls)


def test_a_syntax_error_is_shown_at_its_line_and_the_edit_is_kept(context: Any, sphinx_url: str) -> None:
    page = open_embed(context, sphinx_url)
    frame = app_frame(page)
    wait_frame_text(frame, "#title", "Hello from the editor")
    type_after(page, "main.py", "Second page", " +", at_end=True)
    page.keyboard.press("Control+Enter")
    note = page.locator(".live-asgi-editor-note")
    note.wait_for(state="visible")
    source = (PROJECTS / "editor" / "apps" / "hello" / "main.py").read_text().splitlines()
    line = next(i for i, text in enumerate(source, 1) if "Second page" in text)
    assert re.match(rf"main\.py, line {line}: SyntaxError", note.inner_text()), note.inner_text()
    # In the editor's margin, and in the frame's place.
    assert page.locator(".cm-lint-marker-error").count() == 1
    status = page.locator(".live-asgi-status[data-kind=error]")
    assert "SyntaxError" in status.inner_text()
    assert f'main.py", line {line}' in status.locator("pre").text_content()
    assert "Second page</h1>') +" in code(page, "main.py").inner_text()
    # Fixed, it runs again.
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Control+Enter")
    # The frame may show the earlier page until the new run is up: wait for the note to go.
    note.wait_for(state="hidden")
    wait_frame_text(frame, "#title", "Hello from the editor")


def test_edits_survive_a_reload_until_reset(context: Any, sphinx_url: str) -> None:
    page = open_embed(context, sphinx_url)
    frame = app_frame(page)
    wait_frame_text(frame, "#title", "Hello from the editor")
    type_after(page, "main.py", "Hello from the editor", ", kept")
    run_and_wait(page, frame, "#title", "Hello from the editor, kept")

    page.reload()
    try:
        page.wait_for_function(
            "document.querySelector('.live-asgi').dataset.state === 'running'", timeout=APP_STARTUP_MS
        )
    except Exception as exc:
        raise AssertionError(
            f"after the reload the embed says {page.locator('.live-asgi').inner_text()!r}"
        ) from exc
    frame = app_frame(page)
    # The edit is back in the editor, and the app started from it.
    wait_frame_text(frame, "#title", "Hello from the editor, kept")
    assert ", kept" in code(page, "main.py").inner_text()

    page.get_by_role("button", name="Reset", exact=True).click()
    frame.wait_for_function("document.querySelector('#title').textContent === 'Hello from the editor'")
    assert ", kept" not in code(page, "main.py").inner_text()
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('live-asgi'))") == []


def test_a_read_only_editor_shows_the_code_and_refuses_typing(context: Any, sphinx_url: str) -> None:
    page = context.new_page()
    page.goto(sphinx_url + "readonly.html")
    box = code(page, "main.py")
    box.wait_for()
    assert box.get_attribute("aria-readonly") == "true"
    before = box.inner_text()
    assert "Hello from the editor" in before
    box.locator(".cm-line", has_text="Second page").click()
    page.keyboard.type("zzz")
    page.keyboard.press("Enter")
    assert box.inner_text() == before
    assert page.get_by_role("button", name="Run", exact=True).count() == 0


@pytest.mark.parametrize(("width", "height", "layout"), [(390, 844, "stacked"), (1400, 900, "side by side")])
def test_code_and_app_side_by_side_on_wide_pages_stacked_on_phones(
    browser: Any, sphinx_url: str, width: int, height: int, layout: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(sphinx_url + "readonly.html")
        code(page, "main.py").wait_for()
        editor = page.locator(".live-asgi-editor").bounding_box()
        app = page.locator(".live-asgi-app").bounding_box()
        if layout == "stacked":
            assert editor["y"] + editor["height"] <= app["y"] + 1, (editor, app)
            assert editor["width"] == pytest.approx(app["width"], abs=2)
        else:
            assert editor["x"] + editor["width"] <= app["x"] + 1, (editor, app)
            assert editor["y"] == pytest.approx(app["y"], abs=2)
    finally:
        context.close()


def test_only_pages_with_an_editor_download_its_code(context: Any, sphinx_url: str) -> None:
    requests = Requests(context)
    open_embed(context, sphinx_url + "plain.html")
    assert [u for u in requests.urls if EDITOR_CODE.search(u)] == []
    page = context.new_page()
    page.goto(sphinx_url + "readonly.html")
    code(page, "main.py").wait_for()
    assert sorted(u.rsplit("/", 1)[1] for u in requests.urls if EDITOR_CODE.search(u)) == [
        "codemirror.js",
        "editor.js",
    ]


def test_mkdocs_an_app_written_in_the_page_runs_edited_files(context: Any, mkdocs_url: str) -> None:
    page = open_embed(context, mkdocs_url)
    frame = app_frame(page)
    wait_frame_text(frame, "#title", "Greetings from the page")
    tabs = page.get_by_role("tab")
    assert tabs.all_inner_texts() == ["app.py", "page.html"]
    page.get_by_role("tab", name="page.html").click()
    type_after(page, "page.html", "Greetings from the page", ", edited")
    seconds = run_and_wait(page, frame, "#title", "Greetings from the page, edited", how="keyboard")
    print(f"\nMkDocs, Run -> new page: {seconds * 1000:.0f} ms")
