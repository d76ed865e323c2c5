"""The option text both adapters hand over as written: flags, the app folder."""

from __future__ import annotations

import pytest

from live_asgi_docs.options import OptionError, Settings, parse_embed


def test_debug_written_alone_is_on_and_false_is_off() -> None:
    # Sphinx and MkDocs both give a flag written without a value as None.
    assert parse_embed("a:app", {"debug": None}).debug is True
    assert parse_embed("a:app", {"debug": ""}).debug is True
    assert parse_embed("a:app", {"debug": "false"}).debug is False
    assert parse_embed("a:app", {}).debug is False


@pytest.mark.parametrize("folder", ["app", "live/apps", "try-it_1"])
def test_an_app_folder_is_a_relative_folder(folder: str) -> None:
    Settings(app_folder=folder).validate()


@pytest.mark.parametrize("folder", ["", "/app", "app/", "../app", "a b", "app/../x"])
def test_an_app_folder_outside_the_site_or_with_odd_characters_is_refused(folder: str) -> None:
    with pytest.raises(OptionError, match="app_folder must be a folder of the site"):
        Settings(app_folder=folder).validate()
