"""The project's own documentation: built by scripts/docs' command with -W, every embed runs offline."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from browser.helpers import APP_STARTUP_MS, app_frame
from conftest import REPO, sphinx_build

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs-html")
    proc = sphinx_build(REPO / "docs", out, "-W", "--keep-going")
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


def test_every_embed_of_the_docs_runs_in_chromium(docs_site: Path, serve: Any, context: Any) -> None:
    url = serve(docs_site)
    pages = _pages_with_embeds(docs_site)
    assert sum(len(c) for c in pages.values()) >= 5, pages
    # Nothing but the docs' own host: the vendored runtime and wheels must suffice.
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    for path, configs in pages.items():
        page = context.new_page()
        page.goto(url + path)
        for index, config in enumerate(configs):
            embed = page.locator(".live-asgi").nth(index)
            embed.scroll_into_view_if_needed()
            if config["autostart"] == "click":
                embed.get_by_role("button", name=re.compile(config.get("prompt", "Run the app"))).click()
            page.wait_for_function(
                "([i]) => { const e = document.querySelectorAll('.live-asgi')[i];"
                " return e && (e.dataset.state === 'running' || e.dataset.state === 'failed'); }",
                arg=[index],
                timeout=APP_STARTUP_MS,
            )
            assert embed.get_attribute("data-state") == "running", (path, embed.inner_text())
            frame = app_frame(page, index)
            frame.wait_for_selector("h1")
            assert frame.inner_text("h1").strip(), (path, index)
        page.close()
