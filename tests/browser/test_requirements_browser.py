"""Apps whose requirements only resolve as Pyodide sees them, running in real Chromium.

``tests/roots/test-requirements``: Starlette with Jinja2 templates (MarkupSafe and
PyYAML from the stand-in Pyodide distribution, found under Jinja2), WebOb (its
``legacy-cgi; python_version >= "3.13"`` locked on an older build host) and a
Django project on ``Europe/Paris`` with no ``tzdata`` listed (nor in the
Starlette app, which uses ``zoneinfo`` itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import sphinx_build

from .helpers import APP_STARTUP_MS, app_frame, open_embed, wait_frame_text

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent / "roots" / "test-requirements"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, pyodide_distribution: Path) -> Path:
    out = tmp_path_factory.mktemp("requirements-site")
    proc = sphinx_build(ROOT, out, "-W", "-D", f"live_asgi_pyodide_packages={pyodide_distribution}")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def site_url(site: Path, serve: Any) -> str:
    return str(serve(site))


def test_jinja2_templates_render_with_markupsafe_from_the_distribution(context: Any, site_url: str) -> None:
    page = open_embed(context, site_url + "index.html")
    frame = app_frame(page)
    wait_frame_text(frame, "#greeting", "Hello", timeout=APP_STARTUP_MS)
    # Autoescaping is MarkupSafe's work: the name shows as text, not as markup.
    assert frame.inner_text("#greeting") == "Hello <b>reader</b>"
    assert frame.locator("#greeting b").count() == 0
    href = frame.get_attribute("#home", "href")
    assert href.startswith(site_url + "app/templated/~") and href.endswith("/")  # url_for, inside the prefix
    assert "served: in the browser" in frame.inner_text("#settings")  # PyYAML
    # zoneinfo in the app's own code: tzdata was added at build time.
    assert frame.inner_text("#tokyo") == "2026-01-15T21:00:00+09:00"


def test_webob_imports_with_legacy_cgi(context: Any, site_url: str) -> None:
    page = open_embed(context, site_url + "legacy.html")
    frame = app_frame(page)
    wait_frame_text(frame, "#form", "name=", timeout=APP_STARTUP_MS)
    assert frame.inner_text("#form") == "name=café"


def test_django_time_zones_work_without_tzdata_listed(context: Any, site_url: str) -> None:
    page = open_embed(context, site_url + "clock.html")
    frame = app_frame(page)
    wait_frame_text(frame, "#zone", "Europe/Paris", timeout=APP_STARTUP_MS)
    assert frame.locator("li").all_inner_texts() == [
        "2026-01-15T13:00:00+01:00 CET",
        "2026-07-14T14:00:00+02:00 CEST",
    ]
