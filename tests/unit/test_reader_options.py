"""The options of what the reader sees: autostart, height auto, the download size the page announces."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from live_asgi_docs.options import OptionError, Settings, parse_embed
from live_asgi_docs.site import CDN_RUNTIME_BYTES, LiveSite, code_folder

APPS = Path(__file__).parent.parent / "browser" / "projects" / "ui"


def test_autostart_defaults_to_visible_and_accepts_click_and_load() -> None:
    assert parse_embed("uiapp:app", {}).autostart == "visible"
    assert parse_embed("uiapp:app", {"autostart": " Click "}).autostart == "click"
    assert parse_embed("uiapp:app", {"autostart": "load"}).autostart == "load"
    assert parse_embed("uiapp:app", {"height": "auto"}).height == "auto"


def test_a_wrong_autostart_says_the_choices() -> None:
    with pytest.raises(OptionError, match="autostart 'hover' is not one of visible, click, load"):
        parse_embed("uiapp:app", {"autostart": "hover"})


def _config(fragment: str) -> dict[str, object]:
    match = re.search(r'data-live-asgi="([^"]*)"', fragment)
    assert match
    return json.loads(html.unescape(match.group(1)))  # type: ignore[no-any-return]


def test_the_embed_carries_its_autostart_and_the_bytes_a_start_downloads() -> None:
    site = LiveSite(Settings(app_dirs=["apps"]), APPS, "_static/_live_asgi")
    options = parse_embed("uiapp:app", {"autostart": "click", "name": "hello"})
    config = _config(site.embed_html(options, "../"))
    assert config["autostart"] == "click"
    # The CDN runtime plus the zipped app: no packages.
    assert CDN_RUNTIME_BYTES < int(config["download"]) < CDN_RUNTIME_BYTES + 10_000  # type: ignore[call-overload]
    assert "full" not in config


def test_the_page_of_an_app_url_opened_directly_starts_at_once_full_window() -> None:
    site = LiveSite(Settings(app_dirs=["apps"]), APPS, "_static/_live_asgi")
    page = site.shell_html(parse_embed("uiapp:app", {"autostart": "click", "name": "hello"}))
    config = _config(page)
    assert config["full"] is True and config["autostart"] == "load"
    assert config["root"] == "../../" and config["assets"] == "../../_static/_live_asgi/"
    assert f'<script type="module" src="../../_static/_live_asgi/{code_folder()}/loader.js">' in page
    assert "<head>" in page  # the service worker puts a <base> right after it
