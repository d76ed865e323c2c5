"""Snapshots with the app's module imported, in headless Chromium.

A revisit restores the interpreter with the app imported, unless the import
did something the memory does not hold (here: wrote a file); the reader's
edits and fresh random numbers win over what the snapshot holds. The apps are
plain ASGI apps without packages (``projects/snapshot``), so they start fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import sphinx_build

from .helpers import APP_STARTUP_MS, app_frame, open_embed, wait_frame_text
from .test_editor import code, run_and_wait, type_after

pytestmark = pytest.mark.browser

PROJECTS = Path(__file__).parent / "projects"
SNAPSHOT_DONE_MS = 120_000


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory, serve: Any) -> str:
    out = tmp_path_factory.mktemp("snapshot-sphinx")
    proc = sphinx_build(PROJECTS / "snapshot", out, "-W")
    assert proc.returncode == 0, proc.stderr
    return str(serve(out))


def visit(context: Any, url: str) -> tuple[Any, Any, list[str]]:
    """Open the page and wait for its app; return the page, the app's frame and the console."""
    messages: list[str] = []
    context.on("console", lambda msg: messages.append(msg.text))
    page = open_embed(context, url)
    return page, app_frame(page), messages


def snapshot_done(page: Any) -> str:
    """Wait until the worker says whether the snapshot for the next visit is stored."""
    page.wait_for_function("document.querySelector('.live-asgi').dataset.snapshot", timeout=SNAPSHOT_DONE_MS)
    return str(page.get_attribute(".live-asgi", "data-snapshot"))


def said(messages: list[str], text: str) -> bool:
    return any(text in m for m in messages)


def test_a_revisit_starts_with_the_app_imported_and_draws_new_random_numbers(
    context: Any, site_url: str
) -> None:
    numbers = []
    for visit_no in range(3):
        page, frame, messages = visit(context, site_url + "index.html")
        wait_frame_text(frame, "#title", "Lucky number")
        numbers.append(frame.inner_text("#number"))
        if visit_no == 0:
            assert snapshot_done(page) == "saved"
            assert said(messages, "snapshot for the next visit saved"), messages
            assert said(messages, "with the app imported"), messages
        else:
            assert said(messages, "lucky started from a snapshot with the app imported"), messages
        page.close()
    # Each visit draws its own: the restored generator is seeded anew.
    assert len(set(numbers)) == 3, numbers


def test_an_edit_runs_after_a_restore_and_reset_brings_back_the_published_app(
    context: Any, site_url: str
) -> None:
    page, frame, _ = visit(context, site_url + "index.html")
    wait_frame_text(frame, "#title", "Lucky number")
    assert snapshot_done(page) == "saved"
    type_after(page, "main.py", "Lucky number", " (edited)")
    run_and_wait(page, frame, "#title", "Lucky number (edited)")
    page.close()

    # The snapshot holds the published app; the reader's edit must win.
    page, frame, messages = visit(context, site_url + "index.html")
    assert said(messages, "lucky started from a snapshot with the app imported"), messages
    wait_frame_text(frame, "#title", "Lucky number (edited)")
    assert " (edited)" in code(page, "main.py").inner_text()

    page.get_by_role("button", name="Reset", exact=True).click()
    frame.wait_for_function("document.querySelector('#title').textContent === 'Lucky number'")


def test_an_app_whose_import_writes_a_file_works_on_every_visit(context: Any, site_url: str) -> None:
    page, frame, messages = visit(context, site_url + "notes.html")
    wait_frame_text(frame, "#notes", "written when the app was imported")
    # Not kept with the app imported, and the console says why.
    assert snapshot_done(page) == "not made"
    assert said(messages, "the app's import wrote /home/pyodide/notes.txt"), messages
    page.close()

    # The next visit starts anew and keeps a snapshot without the app ...
    page, frame, messages = visit(context, site_url + "notes.html")
    wait_frame_text(frame, "#notes", "written when the app was imported")
    assert not said(messages, "started from a snapshot"), messages
    assert snapshot_done(page) == "saved"
    assert said(messages, "without the app"), messages
    page.close()

    # ... from which later visits start, importing the app (and writing its file) again.
    page, frame, messages = visit(context, site_url + "notes.html")
    assert said(messages, "notes started from a snapshot"), messages
    assert not said(messages, "with the app imported"), messages
    wait_frame_text(frame, "#notes", "written when the app was imported", timeout=APP_STARTUP_MS)
