"""The standard library's modules no start imports, fetched on their first import, in headless Chromium.

The build leaves them out of the zip a start downloads and puts them in a
second one (``python_stdlib_late.zip``); the app's worker fetches it the first
time the app imports one of them, and imports from it in memory. The apps are
plain ASGI apps without packages (``projects/late``), so they start fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import sphinx_build

from .helpers import app_frame, instance_url, open_embed, wait_frame_text
from .test_reader_ui import Requests, message, site_copy, wait_state
from .test_snapshot_app import said, snapshot_done

pytestmark = pytest.mark.browser

PROJECT = Path(__file__).parent / "projects" / "late"
LATE = "python_stdlib_late.zip"


@pytest.fixture(scope="module")
def late_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("late-site")
    proc = sphinx_build(PROJECT, out, "-W")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def late_url(late_site: Path, serve: Any) -> str:
    return str(serve(late_site))


def late_fetches(requests: Requests) -> list[str]:
    return [u for u in requests.urls if u.split("?")[0].endswith(LATE)]


def goto(frame: Any, path: str, text: str) -> str:
    frame.goto(instance_url(frame) + path)
    try:
        wait_frame_text(frame, "#out", text)
    except Exception as exc:
        raise AssertionError(f"{path} shows {frame.inner_text('body')!r}") from exc
    return str(frame.inner_text("#out"))


def test_a_module_imported_while_serving_comes_from_the_late_zip_fetched_once(
    context: Any, late_url: str
) -> None:
    requests = Requests(context)
    page = open_embed(context, late_url + "index.html")
    frame = app_frame(page)
    wait_frame_text(frame, "#out", "ready")
    assert late_fetches(requests) == []  # the start needs none of it
    # A package, its subpackage and their submodules (xml.etree.ElementTree, xml.parsers.expat).
    text = goto(frame, "/xml", "parsed by ElementTree")
    assert text == (
        "parsed by ElementTree from /lib/python314.zip/xml/etree/ElementTree.py; xml.etree is a package: True"
    )
    assert len(late_fetches(requests)) == 1
    # Another module of it: no second download. Its traceback shows its source lines.
    traceback = goto(frame, "/toml", "TOMLDecodeError")
    assert 'File "/lib/python314.zip/tomllib/_parser.py"' in traceback, traceback
    assert 'raise TOMLDecodeError("Invalid value", src, pos)' in traceback, traceback
    assert len(late_fetches(requests)) == 1


def test_after_a_snapshot_restore_a_late_import_fetches_the_late_zip(context: Any, late_url: str) -> None:
    messages: list[str] = []
    context.on("console", lambda msg: messages.append(msg.text))
    page = open_embed(context, late_url + "index.html")
    wait_frame_text(app_frame(page), "#out", "ready")
    assert snapshot_done(page) == "saved"
    page.close()
    requests = Requests(context)
    page = open_embed(context, late_url + "index.html")
    frame = app_frame(page)
    wait_frame_text(frame, "#out", "ready")
    assert said(messages, "lateapp started from a snapshot with the app imported"), messages
    assert goto(frame, "/xml", "parsed by ElementTree").startswith("parsed by ElementTree from /lib/")
    assert len(late_fetches(requests)) == 1


def test_an_app_whose_import_needs_a_late_module_starts_with_it(context: Any, late_url: str) -> None:
    # Imported only in a Web Worker: the build does not see it, the finder does.
    requests = Requests(context)
    page = open_embed(context, late_url + "start.html")
    wait_frame_text(app_frame(page), "#out", "imported wave")
    assert len(late_fetches(requests)) == 1


def test_a_late_zip_that_cannot_be_downloaded_is_named_in_the_frame(
    context: Any, late_site: Path, tmp_path: Path, serve: Any
) -> None:
    site = site_copy(late_site, tmp_path)
    for file in site.glob(f"_static/_live_asgi/bytecode-*/{LATE}*"):
        file.unlink()
    page = context.new_page()
    page.goto(serve(site) + "start.html")
    wait_state(page, ("failed",))
    text = message(page)
    assert text.startswith(
        "The app could not start: ImportError: the standard library module 'wave' could not be loaded: "
    ), text
    assert f"/{LATE} could not be downloaded (the server answered 404" in text, text
