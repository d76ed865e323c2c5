"""What the Python side decides for the browser: file names, the URL layout, and
the keys of the embed settings and of an app's manifest.

The browser reads these through ``browser/protocol.js`` (its ``EMBED_CONFIG_KEYS``
and ``MANIFEST_KEYS``); ``tests/contract/test_protocol.py`` checks that what a
real build writes is what the browser reads.
"""

from __future__ import annotations

from typing import TypedDict

__all__ = [
    "APP_FOLDER",
    "MANIFEST_NAME",
    "SW_IMPORT_PREFIX",
    "SW_NAME",
    "EditorConfig",
    "EditorFile",
    "EmbedConfig",
    "Manifest",
    "app_scope",
    "manifest_path",
    "sw_path",
]

#: The folder of the built site that holds the apps' URLs: ``<folder>/<name>/``
#: is an app's service worker scope.
APP_FOLDER = "app"
#: The service worker script, in :data:`APP_FOLDER`: its directory bounds the
#: scopes it may be registered with (every ``<folder>/<name>/``).
SW_NAME = "live-asgi-sw.js"
#: An app's manifest, in ``<assets>/apps/<name>/``.
MANIFEST_NAME = "manifest.json"
#: How the service worker template imports the browser modules (protocol.js,
#: ...) from the source tree; the build rewrites it to the code folder's URL.
SW_IMPORT_PREFIX = "../live_asgi_docs/browser/"


def sw_path(folder: str = APP_FOLDER) -> str:
    """The service worker script, relative to the site root."""
    return f"{folder}/{SW_NAME}"


def app_scope(name: str, folder: str = APP_FOLDER) -> str:
    """An app's service worker scope, relative to the site root."""
    return f"{folder}/{name}/"


def manifest_path(name: str) -> str:
    """An app's manifest, relative to the assets folder."""
    return f"apps/{name}/{MANIFEST_NAME}"


class EditorFile(TypedDict):
    """A file in an embed's code editor."""

    #: On its tab: relative to the app's package.
    name: str
    #: Under the folder the app's bundle is unpacked in (on ``sys.path``).
    path: str
    #: The published text.
    text: str


class EditorConfig(TypedDict):
    """The code editor of an embed (the ``:editor:`` option)."""

    files: list[EditorFile]
    readOnly: bool


class _EmbedConfigRequired(TypedDict):
    name: str
    path: str
    height: str
    autostart: str
    download: int
    root: str
    scope: str
    sw: str
    assets: str
    runtime: str
    manifest: str


class EmbedConfig(_EmbedConfigRequired, total=False):
    """An embed's settings, JSON in its ``data-live-asgi`` attribute.

    ``root`` is the site root relative to the page; ``scope`` and ``sw`` are
    relative to ``root``; ``assets`` is relative to the page; ``runtime`` and
    ``manifest`` are relative to ``assets``. ``download`` is what a cold start
    downloads, in bytes as they travel (compressed on a precompressed site).
    """

    #: The app alone in a window (``<folder>/<name>/index.html``).
    full: bool
    #: The code editor beside the app.
    editor: EditorConfig
    #: The text of the button that starts the app (``autostart: click``).
    prompt: str
    #: What the browser decodes of the ``download`` (its files' own sizes; the
    #: progress bar counts these): more than travels on a precompressed site.
    decoded: int


class _ManifestRequired(TypedDict):
    name: str
    target: str
    bundle: str
    lock: str
    packages: list[str]
    wheels: str
    debug: bool
    #: Where wheels are unpacked in the browser (the pinned Python's site-packages).
    site_packages: str
    #: The modules the bridge imports (a snapshot imports them ahead of time).
    bridge_imports: list[str]


class Manifest(_ManifestRequired, total=False):
    """An app's ``manifest.json``: what its worker loads. Paths are relative to it."""

    #: The standard library zip with the build's bytecode (absent: the runtime's own).
    stdlib: str
    #: The folder of the sources that the build's bytecode replaced, fetched
    #: only when a traceback shows their lines (absent: no bytecode).
    sources: str
    #: The standard library's modules that ``stdlib`` leaves out, a zip fetched
    #: when the app first imports one of them (absent: ``stdlib`` has them all).
    late_stdlib: str
    #: The modules and packages in ``late_stdlib``.
    late_modules: list[str]
