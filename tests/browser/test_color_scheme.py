"""Light or dark as the docs page is: the toolbar, the frame, the app, the frame's own pages.

A reader whose system is dark reads docs in a theme that has no dark mode
(alabaster, MkDocs' own theme): the embed and the app stay light, as the page
is. In a theme with a dark mode (Furo, Material for MkDocs) the embed and the
app follow the theme, also when the reader flips its switch.

The reader's dark system setting is real here (Chromium's ``--force-dark-mode``),
not Playwright's ``color_scheme`` emulation: the emulation overrides
``prefers-color-scheme`` in every frame of the page, the app's too, which would
hide the frame's own scheme the app is meant to follow.

One site per theme (tests/roots/test-scheme for Sphinx, tests/roots/mkdocs-scheme
for MkDocs), one app start per theme: a raw ASGI app with no packages whose
page has light and dark styles (``@media (prefers-color-scheme: dark)``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import chromium_executable, mkdocs_build, sphinx_build

from bench.run import CHROMIUM_ARGS

from .helpers import app_frame, open_embed

pytestmark = pytest.mark.browser

ROOTS = Path(__file__).resolve().parent.parent / "roots"
SPHINX_ROOT = ROOTS / "test-scheme"
MKDOCS_ROOT = ROOTS / "mkdocs-scheme"

#: The app page's body: light, or dark under ``prefers-color-scheme: dark`` (schemeapp.py).
APP_LIGHT = "rgb(250, 250, 250)"
APP_DARK = "rgb(16, 16, 16)"

TOOLBAR = "getComputedStyle(document.querySelector('.live-asgi-toolbar')).backgroundColor"
FRAME = "getComputedStyle(document.querySelector('.live-asgi-frame')).backgroundColor"
APP_PREFERS_DARK = "matchMedia('(prefers-color-scheme: dark)').matches"
APP_BODY = "getComputedStyle(document.body).backgroundColor"


def channels(color: str) -> list[float]:
    """The red, green and blue of a computed ``rgb()``/``rgba()`` colour."""
    match = re.fullmatch(r"rgba?\(([^)]*)\)", color)
    assert match, color
    return [float(c) for c in re.split(r"[\s,/]+", match[1].strip())[:3]]


def is_dark(color: str) -> bool:
    return max(channels(color)) < 100


def is_light(color: str) -> bool:
    return min(channels(color)) > 200


def frame_pixel(page: Any) -> list[int]:
    """The colour the reader sees near the foot of the app's frame (a screenshot's pixel)."""
    box = page.locator(".live-asgi-frame").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 10
    png = base64.b64encode(page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})).decode()
    return list(
        page.evaluate(
            """async (png) => {
              const blob = await (await fetch('data:image/png;base64,' + png)).blob();
              const image = await createImageBitmap(blob);
              const canvas = new OffscreenCanvas(1, 1);
              const context = canvas.getContext('2d');
              context.drawImage(image, 0, 0);
              return [...context.getImageData(0, 0, 1, 1).data].slice(0, 3);
            }""",
            png,
        )
    )


def wait_scheme(page: Any, frame: Any, dark: bool) -> None:
    """Wait until the toolbar and the app page both show the scheme, then check all the reader sees."""
    page.wait_for_function(
        f"([dark]) => {{ const c = {TOOLBAR}.match(/\\d+/g).slice(0, 3).map(Number);"
        " return dark ? Math.max(...c) < 100 : Math.min(...c) > 200; }",
        arg=[dark],
    )
    frame.wait_for_function(f"([dark]) => {APP_PREFERS_DARK} === dark", arg=[dark])
    toolbar, frame_background = page.evaluate(f"[{TOOLBAR}, {FRAME}]")
    check = is_dark if dark else is_light
    assert check(toolbar), toolbar
    # What shows in the frame before the app paints (and behind a page that paints nothing).
    assert check(frame_background), frame_background
    assert frame.evaluate(APP_BODY) == (APP_DARK if dark else APP_LIGHT)


@pytest.fixture(scope="module")
def dark_system(browser: Any) -> Iterator[Any]:
    """A browser context of a reader whose system setting is dark."""
    instance = browser.browser_type.launch(
        executable_path=chromium_executable(), args=[*CHROMIUM_ARGS, "--force-dark-mode"]
    )
    ctx = instance.new_context(color_scheme="no-override")
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()
    instance.close()


def sphinx_site(tmp_path_factory: pytest.TempPathFactory, serve: Any, theme: str) -> str:
    out = tmp_path_factory.mktemp(f"scheme-{theme}")
    proc = sphinx_build(SPHINX_ROOT, out, "-W", "-D", f"html_theme={theme}")
    assert proc.returncode == 0, proc.stderr
    return str(serve(out))


def mkdocs_site(tmp_path_factory: pytest.TempPathFactory, serve: Any, theme: dict[str, Any]) -> str:
    out = tmp_path_factory.mktemp(f"scheme-{theme['name']}")
    proc = mkdocs_build(MKDOCS_ROOT / "mkdocs.yml", out, theme=theme)
    assert proc.returncode == 0, proc.stderr
    return str(serve(out))


@pytest.fixture(scope="module")
def furo_site(tmp_path_factory: pytest.TempPathFactory, serve: Any) -> str:
    return sphinx_site(tmp_path_factory, serve, "furo")


def test_a_light_only_sphinx_theme_keeps_the_embed_and_the_app_light_on_a_dark_system(
    tmp_path_factory: pytest.TempPathFactory, serve: Any, dark_system: Any
) -> None:
    site = sphinx_site(tmp_path_factory, serve, "alabaster")
    page = open_embed(dark_system, site)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches"), "the system is not dark"
    assert is_light(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    wait_scheme(page, app_frame(page), dark=False)

    # The app opened in a tab of its own has no docs page around it: the system decides.
    alone = dark_system.new_page()
    alone.goto(site + "app/scheme/")
    alone.wait_for_function("document.querySelector('.live-asgi[data-state]')")
    assert is_dark(alone.evaluate(TOOLBAR))
    alone.close()


def test_mkdocs_own_theme_keeps_the_embed_and_the_app_light_on_a_dark_system(
    tmp_path_factory: pytest.TempPathFactory, serve: Any, dark_system: Any
) -> None:
    site = mkdocs_site(tmp_path_factory, serve, {"name": "mkdocs"})
    page = open_embed(dark_system, site)
    wait_scheme(page, app_frame(page), dark=False)


def test_furo_dark_and_its_switch_carry_the_embed_the_app_and_the_frames_own_pages(
    furo_site: str, dark_system: Any
) -> None:
    page = open_embed(dark_system, furo_site)
    frame = app_frame(page)
    # Furo's "auto" follows the dark system.
    wait_scheme(page, frame, dark=True)
    assert is_dark("rgb({}, {}, {})".format(*frame_pixel(page)))
    toggle = page.get_by_role("button", name="Toggle Light / Dark / Auto color theme").locator("visible=true")
    toggle.click()  # auto (dark) -> light
    assert page.evaluate("document.body.dataset.theme") == "light"
    wait_scheme(page, frame, dark=False)
    toggle.click()  # light -> dark
    assert page.evaluate("document.body.dataset.theme") == "dark"
    wait_scheme(page, frame, dark=True)

    # An app page with no styles stays black on white in the dark theme: readable.
    frame.goto(frame.url.rstrip("/") + "/plain")
    assert frame.inner_text("h1") == "No styles"
    assert frame.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    assert frame_pixel(page) == [255, 255, 255]

    # A page the service worker answers itself, in the frame: dark, light text.
    frame.goto(furo_site + "app/scheme/elsewhere")
    assert "Open this app from its documentation page" in frame.inner_text("h1")
    assert frame.evaluate(APP_PREFERS_DARK)
    assert is_light(frame.evaluate("getComputedStyle(document.body).color"))
    assert is_dark("rgb({}, {}, {})".format(*frame_pixel(page)))


def test_with_scripts_off_the_placeholder_wears_the_pages_colours(furo_site: str, dark_system: Any) -> None:
    context = dark_system.browser.new_context(color_scheme="no-override", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(furo_site)
        text, embed = page.evaluate(
            "[getComputedStyle(document.querySelector('article')).color,"
            " getComputedStyle(document.querySelector('.live-asgi')).color]"
        )
        # Furo is dark on a dark system even without scripts; the placeholder's text is the page's.
        assert is_light(text), text
        assert embed == text
        assert page.evaluate("getComputedStyle(document.querySelector('.live-asgi')).backgroundColor") == (
            "rgba(0, 0, 0, 0)"
        )
    finally:
        context.close()


def test_materials_palette_switch_carries_the_embed_and_the_app(
    tmp_path_factory: pytest.TempPathFactory, serve: Any, dark_system: Any
) -> None:
    palette = [
        {"scheme": "default", "toggle": {"icon": "material/weather-night", "name": "Switch to dark mode"}},
        {"scheme": "slate", "toggle": {"icon": "material/weather-sunny", "name": "Switch to light mode"}},
    ]
    site = mkdocs_site(tmp_path_factory, serve, {"name": "material", "font": False, "palette": palette})
    page = open_embed(dark_system, site)
    frame = app_frame(page)
    # The first palette is light, whatever the system says.
    wait_scheme(page, frame, dark=False)
    page.get_by_title("Switch to dark mode").click()
    wait_scheme(page, frame, dark=True)
    page.get_by_title("Switch to light mode").click()
    wait_scheme(page, frame, dark=False)
