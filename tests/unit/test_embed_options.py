"""Width, caption, class, prompt and site-wide defaults: parsed, validated and rendered."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from live_asgi_docs.options import EMBED_OPTION_NAMES, OptionError, Settings, parse_embed
from live_asgi_docs.site import LiveSite

APPS = Path(__file__).parent.parent / "browser" / "projects" / "ui"


def test_every_option_is_listed_under_the_name_authors_write() -> None:
    assert EMBED_OPTION_NAMES[-4:] == ("width", "caption", "class", "prompt")


def test_width_caption_class_and_prompt_are_read() -> None:
    options = parse_embed(
        "uiapp:app",
        {"width": "40em", "caption": "  The to-do\n app ", "class": "wide  demo", "prompt": "Try the API"},
    )
    assert (options.width, options.caption, options.classes) == ("40em", "The to-do app", ("wide", "demo"))
    # A prompt is the text of a button: it makes the embed start on a click.
    assert options.prompt == "Try the API" and options.autostart == "click"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"width": "wide"}, "the width 'wide' is not a CSS length; write e.g. '100%'"),
        ({"class": "ok 2bad"}, "the class '2bad' is not a CSS class name"),
        ({"prompt": "x" * 81}, "the prompt is 81 characters long"),
        (
            {"prompt": "Go", "autostart": "load"},
            "autostart 'load' shows no button; write ':autostart: click'",
        ),
    ],
)
def test_bad_values_say_the_fix(raw: dict[str, str | None], message: str) -> None:
    with pytest.raises(OptionError, match=re.escape(message)):
        parse_embed("uiapp:app", raw)


def test_site_defaults_apply_and_what_an_embed_writes_wins() -> None:
    defaults = {"height": "600px", "autostart": "click", "debug": True, "requirements": ["starlette"]}
    options = parse_embed("uiapp:app", {"height": "300px"}, defaults=defaults)
    assert (options.height, options.autostart, options.debug) == ("300px", "click", True)
    assert options.requirements == ("starlette",)
    # A default prompt leaves an embed that asks to start when visible alone.
    assert parse_embed("uiapp:app", {"autostart": "visible"}, defaults={"prompt": "Go"}).prompt == ""


@pytest.mark.parametrize(
    ("defaults", "message"),
    [
        ({"height": "tall"}, "defaults: the height 'tall' is not a CSS length"),
        ({"size": "big"}, "defaults: unknown option(s) size; the options are name, requirements"),
        ({"name": "x"}, "defaults cannot give name: every app has its own"),
    ],
)
def test_bad_defaults_are_refused_when_the_settings_are_read(defaults: dict[str, str], message: str) -> None:
    with pytest.raises(OptionError, match=re.escape(message)):
        Settings(defaults=defaults).validate()


def test_the_embed_renders_width_class_prompt_and_a_captioned_figure() -> None:
    site = LiveSite(Settings(app_dirs=["apps"]), APPS, "_static/_live_asgi")
    options = parse_embed(
        "uiapp:app",
        {"name": "hello", "width": "40em", "class": "wide", "prompt": "Try it", "caption": "A <demo>"},
    )
    fragment = site.figure_html(options, "")
    assert fragment.startswith(
        '<figure class="live-asgi-figure" id="live-asgi-hello"><div class="live-asgi wide" '
    )
    assert fragment.endswith("<figcaption>A &lt;demo&gt;</figcaption></figure>")
    assert 'style="--live-asgi-height: 480px; --live-asgi-width: 40em"' in fragment
    match = re.search(r'data-live-asgi="([^"]*)"', fragment)
    assert match
    config = json.loads(html.unescape(match.group(1)))
    assert config["prompt"] == "Try it" and config["autostart"] == "click"
    # No caption: the embed alone; no prompt: the loader's own button text.
    plain = site.figure_html(parse_embed("uiapp:app", {"name": "hello"}), "")
    assert plain.startswith('<div class="live-asgi" ') and "prompt" not in plain
