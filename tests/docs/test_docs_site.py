"""The project's own documentation: built as scripts/docs builds it (-W), every embed works offline.

Every live app of the docs is started in Chromium with every host but the docs' own
blocked, and used as a reader would (a form posted, a socket, a vote), page by page.
The pages share one browser profile, as a reader's visit does: the runtime and the
wheels are downloaded once. A page is closed as soon as its apps were used, which also
ends the background work of making their snapshots (each costs about a second boot),
except where a later page embeds the same app: that one starts from the snapshot.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from browser.helpers import APP_STARTUP_MS, add_item, app_frame, wait_frame_text
from conftest import REPO

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory: pytest.TempPathFactory, pyodide_distribution: Path) -> Path:
    out = tmp_path_factory.mktemp("docs-html")
    # scripts/docs itself, with this interpreter, into a temporary folder; MarkupSafe and
    # PyYAML from the stand-in distribution (as the script picks where Pyodide's CDN is
    # unreachable, here without waiting for the probe to time out).
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "LIVE_ASGI_DOCS_OUT": str(out),
        "LIVE_ASGI_DOCS_PYODIDE_PACKAGES": str(pyodide_distribution),
    }
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "docs"), "-q"], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return out


def _pages_with_embeds(site: Path) -> dict[str, list[dict[str, Any]]]:
    pages = {}
    for page in sorted(site.rglob("*.html")):
        configs = re.findall(r'data-live-asgi="([^"]+)"', page.read_text())
        if configs and "/app/" not in f"/{page.relative_to(site).as_posix()}":
            pages[page.relative_to(site).as_posix()] = [json.loads(html.unescape(c)) for c in configs]
    return pages


def test_the_reference_is_generated_from_the_options_model(docs_site: Path) -> None:
    from dataclasses import fields

    from live_asgi_docs.options import EMBED_OPTION_NAMES, Settings

    page = (docs_site / "reference" / "options.html").read_text()
    for name in EMBED_OPTION_NAMES:
        assert f'<code class="docutils literal notranslate"><span class="pre">:{name}:</span>' in page, name
    for f in fields(Settings):
        assert f"live_asgi_{f.name}" in page, f.name
    # The runtime is in the site: the docs work with no network but their host.
    assert (docs_site / "_static" / "_live_asgi" / "pyodide" / "pyodide.asm.wasm").is_file()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name in ("href", "src") or (tag == "iframe" and name == "data-src")):
                self.links.append(value)


def test_every_link_within_the_site_leads_to_a_file(docs_site: Path) -> None:
    broken = []
    for page in sorted(docs_site.rglob("*.html")):
        if "/app/" in f"/{page.relative_to(docs_site).as_posix()}":
            continue
        parser = _Links()
        parser.feed(page.read_text())
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not (parts.path or parts.fragment):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(docs_site)}: {link}")
            elif parts.fragment and target.suffix == ".html":
                if f'id="{unquote(parts.fragment)}"' not in target.read_text():
                    broken.append(f"{page.relative_to(docs_site)}: {link} (no such anchor)")
    assert broken == []


#: What a reader does with each app of the docs (by app name), and what shows that it
#: worked. Every app of the site must have one.
Check = Callable[[Any, Any, Any, dict[str, Any]], None]


def _todo(page: Any, embed: Any, frame: Any, config: dict[str, Any]) -> None:
    frame.click("#items a >> nth=0")
    wait_frame_text(frame, "#item-name", "Read the docs")
    assert "On the list." in frame.inner_text("body")
    frame.click("nav >> text=Items")
    add_item(frame, "Write the docs")


def _hello(page: Any, embed: Any, frame: Any, config: dict[str, Any]) -> None:
    wait_frame_text(frame, "#greeting", "Hello from a raw ASGI app")
    # The path arrives percent-decoded.
    wait_frame_text(frame, "#path", unquote(config["path"]))


def _counter(page: Any, embed: Any, frame: Any, config: dict[str, Any]) -> None:
    frame.wait_for_selector("#add-live:not([disabled])")
    before = int(frame.inner_text("#count"))
    frame.click("#add-live")
    wait_frame_text(frame, "#count", str(before + 1))


def _guestbook(page: Any, embed: Any, frame: Any, config: dict[str, Any]) -> None:
    frame.fill("input[name=name]", "Grace")
    frame.fill("input[name=message]", "Signed from a test.")
    frame.click("button")
    wait_frame_text(frame, ".flash", "Thank you for signing, Grace!")
    wait_frame_text(frame, "#entries", "Signed from a test.")


def _polls(page: Any, embed: Any, frame: Any, config: dict[str, Any]) -> None:
    wait_frame_text(frame, "h1", "Latest polls")
    frame.click("text=What's new?")
    frame.check("text=Django in the browser")
    frame.click("input[type=submit]")
    wait_frame_text(frame, "#results", "Django in the browser -- 1 vote")
    # The admin: a login through its CSRF-checked form, styled by the static files handler.
    frame.click("nav >> text=Admin")
    frame.fill("#id_username", "admin")
    frame.fill("#id_password", "admin")
    frame.click("input[type=submit]")
    wait_frame_text(frame, "#content h1", "Site administration")
    frame.wait_for_function(
        "[...document.styleSheets].some((s) => s.href && s.href.endsWith('/static/admin/css/base.css')"
        " && s.cssRules.length > 0)"
    )


def _datasette(page: Any, embed: Any, frame: Any, config: dict[str, Any]) -> None:
    wait_frame_text(frame, "h1", "sightings")
    # The foreign key's label and the facet: Datasette ran its queries.
    wait_frame_text(frame, "table.rows-and-columns", "Grey heron")
    wait_frame_text(frame, ".facet-results", "River")


def _bookmarks(page: Any, embed: Any, frame: Any, config: dict[str, Any]) -> None:
    wait_frame_text(frame, "#bookmarks", "Falcon")
    frame.fill("input[name=title]", "Pyodide")
    frame.fill("input[name=url]", "https://pyodide.org/")
    frame.click("button")
    wait_frame_text(frame, "#bookmarks", "Pyodide")


def _chat(page: Any, embed: Any, frame: Any, config: dict[str, Any]) -> None:
    for name in ("Ada", "Grace"):
        wait_frame_text(frame, f"section[data-name={name}] .state", "connected")
    frame.fill("section[data-name=Ada] input", "hello from Ada")
    frame.press("section[data-name=Ada] input", "Enter")
    wait_frame_text(frame, "section[data-name=Grace] .log", "Ada: hello from Ada")


def _editor(page: Any, embed: Any, frame: Any, config: dict[str, Any]) -> None:
    wait_frame_text(frame, "#greeting", "Hello, reader!")
    line = embed.get_by_role("textbox", name=re.compile("app.py")).locator(".cm-line", has_text='"reader"')
    line.click()
    page.keyboard.press("End")
    text = line.text_content() or ""
    for _ in range(len(text) - text.index('"reader"') - len('"reader')):
        page.keyboard.press("ArrowLeft")
    page.keyboard.type("s of the docs")
    embed.get_by_role("button", name="Run", exact=True).click()
    wait_frame_text(frame, "#greeting", "Hello, readers of the docs!")


CHECKS: dict[str, Check] = {
    "todo": _todo,
    "hello": _hello,
    "counter": _counter,
    "guestbook": _guestbook,
    "django-polls": _polls,
    "explore": _datasette,
    "bookmarks": _bookmarks,
    "chat": _chat,
    "editor-demo": _editor,
}


def test_every_embed_has_a_check_and_the_docs_have_eight_apps(docs_site: Path) -> None:
    embeds = [c for configs in _pages_with_embeds(docs_site).values() for c in configs]
    assert {c["name"] for c in embeds} == set(CHECKS)
    # Different apps: by their code as the site ships it, not by embed.
    bundles = {
        json.loads((docs_site / "_static" / "_live_asgi" / c["manifest"]).read_text())["bundle"]
        for c in embeds
    }
    assert len(bundles) >= 8, bundles


@pytest.fixture(scope="module")
def docs_url(docs_site: Path, serve: Any) -> str:
    return str(serve(docs_site))


@pytest.fixture(scope="module")
def offline_context(browser: Any) -> Iterator[Any]:
    """One reader's profile for every page, with every host but the docs' own blocked."""
    ctx = browser.new_context()
    ctx.set_default_timeout(60_000)
    # Nothing but the docs' own host: the vendored runtime and wheels must suffice.
    ctx.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    yield ctx
    ctx.close()


DOCS_PAGES = [
    "index.html",
    "tutorial.html",
    "frameworks/fastapi.html",
    "frameworks/starlette.html",
    "frameworks/raw-asgi.html",
    "frameworks/django.html",
    "frameworks/flask.html",
    "frameworks/datasette.html",
    "frameworks/falcon.html",
    "frameworks/websockets.html",
    "frameworks/editor.html",
]


def test_the_pages_with_embeds_are_those_tested(docs_site: Path) -> None:
    assert sorted(_pages_with_embeds(docs_site)) == sorted(DOCS_PAGES)


@pytest.mark.parametrize("path", DOCS_PAGES)
def test_every_embed_of_the_page_works_in_chromium(
    path: str, docs_site: Path, docs_url: str, offline_context: Any
) -> None:
    configs = _pages_with_embeds(docs_site).get(path, [])
    assert configs, path
    pages = _pages_with_embeds(docs_site)
    later = {c["name"] for p in DOCS_PAGES[DOCS_PAGES.index(path) + 1 :] for c in pages.get(p, [])}
    page = offline_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(docs_url + path)
    for index, config in enumerate(configs):
        began = time.monotonic()
        embed = page.locator(".live-asgi").nth(index)
        embed.scroll_into_view_if_needed()
        if config["autostart"] == "click":
            embed.get_by_role("button", name=re.compile(config.get("prompt") or "Run the app")).click()
        page.wait_for_function(
            "([i]) => { const e = document.querySelectorAll('.live-asgi')[i];"
            " return e && (e.dataset.state === 'running' || e.dataset.state === 'failed'); }",
            arg=[index],
            timeout=APP_STARTUP_MS,
        )
        assert embed.get_attribute("data-state") == "running", (path, embed.inner_text())
        started = time.monotonic()
        CHECKS[config["name"]](page, embed, app_frame(page, index), config)
        used = time.monotonic()
        if config["name"] in later:
            # The app is embedded again on a later page: let its snapshot be stored, so
            # that embed starts as a reader's revisit does (other pages end theirs unfinished).
            page.wait_for_function(
                "([i]) => document.querySelectorAll('.live-asgi')[i].dataset.snapshot", arg=[index]
            )
        snapshot = any(f"{config['name']} started from a snapshot" in m for m in console)
        print(
            f"\n{path} {config['name']}: started in {started - began:.1f} s"
            f"{' (from a snapshot)' if snapshot else ''}, used in {used - started:.1f} s"
            + (f", snapshot stored {time.monotonic() - used:.1f} s later" if config["name"] in later else "")
        )
    assert errors == []
    page.close()
