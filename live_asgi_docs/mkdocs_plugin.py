"""The MkDocs adapter: the ``live-asgi`` plugin and its Markdown block.

Enable in ``mkdocs.yml``::

    plugins:
      - live-asgi:
          app_dirs: [examples]

and write the same block as in MyST Markdown for Sphinx::

    ```{live-asgi} todo.main:app
    :name: todo
    ```

The plugin options are the site settings of :class:`~live_asgi_docs.options.Settings`
(same names and meaning as the ``live_asgi_*`` values of the Sphinx extension;
relative paths are relative to ``mkdocs.yml``) plus ``enabled``. With
``enabled: false`` nothing is downloaded or written: each block becomes a
one-line note naming the app.
"""

from __future__ import annotations

import html
import logging
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import BaseConfigOption
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from .markdown_block import Block, LiveAsgiBlockExtension, find_blocks
from .options import EmbedOptions, OptionError, Settings, parse_embed
from .site import (
    LiveSite,
    code_folder,
    conflict_message,
    error_html,
    module_preloads,
    name_conflict,
    page_in_app_folder,
)

__all__ = ["ASSETS", "LiveAsgiConfig", "LiveAsgiPlugin", "PluginOptions"]

log = logging.getLogger("mkdocs.plugins.live_asgi")

#: Where the runtime files go in the built site.
ASSETS = "assets/_live_asgi"


def _option(default: Any, types: tuple[type, ...]) -> BaseConfigOption[Any]:
    # One MkDocs config option per Settings field, from the types it accepts.
    if list in types:
        return c.ListOfItems(c.Type(str), default=list(default))
    kinds = tuple(t for t in types if t is not type(None))
    option: BaseConfigOption[Any] = c.Type(kinds[0] if len(kinds) == 1 else kinds, default=default)
    return c.Optional(option) if type(None) in types else option


class PluginOptions(base.Config):  # type: ignore[no-untyped-call]  # MkDocs leaves __init_subclass__ unannotated
    """The options of every project plugin; the settings are added below."""

    #: ``false`` turns the plugin off: blocks become a one-line note, nothing is written.
    enabled = c.Type(bool, default=True)


def _config_class() -> type[PluginOptions]:
    # The settings are declared once, in options.Settings; MkDocs reads a
    # config class's options from its attributes, so make one with them.
    namespace: dict[str, Any] = {
        name: _option(default, types) for name, (default, types) in Settings.describe().items()
    }
    namespace["__doc__"] = "The plugin's options: ``enabled`` and the fields of Settings."
    namespace["__module__"] = __name__
    return type("LiveAsgiConfig", (PluginOptions,), namespace)


#: ``enabled``, and ``app_dirs``, ``pyodide``, ``index_url``, ``cache_dir``
#: (see :class:`~live_asgi_docs.options.Settings`).
LiveAsgiConfig = _config_class()


class LiveAsgiPlugin(BasePlugin[PluginOptions]):  # type: ignore[no-untyped-call]  # as above
    """Embed live ASGI apps in MkDocs pages (the ``live-asgi`` plugin)."""

    config_class = LiveAsgiConfig

    def __init__(self) -> None:
        super().__init__()
        self._reset()

    def _reset(self) -> None:
        # Everything a build learns; cleared for every build so that
        # `mkdocs serve` rebuilds never see the pages of the previous one.
        self.site: LiveSite | None = None
        self.config_dir = Path.cwd()
        #: Every use of an app name: (page:line, options).
        self.uses: dict[str, list[tuple[str, EmbedOptions]]] = {}
        #: The pages (src_uri) with at least one running embed.
        self.pages_with_embeds: set[str] = set()
        self.page: Page | None = None
        self.line_offset = 0
        #: Every docs page: (source, where it is written).
        self.pages: list[tuple[str, str]] = []

    def _settings(self) -> Settings:
        return Settings(**{f.name: self.config[f.name] for f in fields(Settings)})

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Validate the settings and register the Markdown block."""
        self._reset()
        if config.config_file_path:
            self.config_dir = Path(config.config_file_path).resolve().parent
        if self.config.enabled:
            try:
                self.site = LiveSite(self._settings(), self.config_dir, ASSETS)
            except OptionError as exc:
                raise PluginError(f"live-asgi: mkdocs.yml: plugins: live-asgi: {exc}") from None
        # One block extension, bound to this plugin (a config seen before may
        # hold one from an earlier build). MkDocs hands extension objects to
        # Python-Markdown as they are.
        config.markdown_extensions[:] = [
            e for e in config.markdown_extensions if not isinstance(e, LiveAsgiBlockExtension)
        ]
        config.markdown_extensions.append(LiveAsgiBlockExtension(self._render))  # type: ignore[arg-type]
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Forget the embeds of the previous build (``mkdocs serve``)."""
        self.uses.clear()
        self.pages_with_embeds.clear()

    # Last, so the offset is measured on the Markdown that is converted,
    # after other plugins changed it.
    @event_priority(-100)
    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Remember the page being converted, for the block's messages and URLs."""
        self.page = page
        self.pages_with_embeds.discard(page.file.src_uri)
        # Front matter is cut before conversion: count it back into line numbers.
        try:
            source = page.file.content_string
        except (OSError, TypeError, ValueError):  # a file with no source to read
            source = ""
        cut = source[: len(source) - len(markdown)] if source.endswith(markdown) else ""
        self.line_offset = cut.count("\n")
        return markdown

    def _where(self, block: Block) -> str:
        if self.page is None:
            return f"line {block.start + 1}"
        file = self.page.file
        path = file.abs_src_path or file.src_uri
        try:
            shown = os.path.relpath(path, self.config_dir) if file.abs_src_path else path
        except ValueError:  # another drive on Windows
            shown = path
        return f"{shown}:{block.start + 1 + self.line_offset}"

    def _render(self, block: Block) -> str:
        where = self._where(block)
        if block.error:
            return self._fail(where, block.error)
        if self.site is None:
            name = block.options.get("name") or block.target or "app"
            what = block.target or "written in the page"
            note = f"[Live app “{name}” ({what}): not built, the live-asgi plugin is disabled.]"
            return f'<p class="live-asgi-disabled"><em>{html.escape(note)}</em></p>'

        try:
            options = parse_embed(
                block.target, block.options, block.body, defaults=self.site.settings.defaults
            )
            self.site.prepare(options)
        except OptionError as exc:
            return self._fail(where, str(exc))
        conflict = name_conflict(options, self.uses.get(options.name, []))
        if conflict is not None:
            other_where, other = conflict
            return self._fail(where, conflict_message(options, other_where, other))
        self.uses.setdefault(options.name, []).append((where, options))
        if self.page is None:
            root = "."
        else:
            self.pages_with_embeds.add(self.page.file.src_uri)
            root = get_relative_url(".", self.page.url)
        return self.site.figure_html(options, root)

    def _fail(self, where: str, message: str) -> str:
        # A warning, as in Sphinx: `mkdocs build --strict` fails on it, a
        # plain build shows the problem in place of the app.
        log.warning("live-asgi: %s: %s", where, message)
        return error_html(f"live-asgi: {where}: {message}")

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Add the stylesheet and the loader to the pages that embed an app."""
        if page.file.src_uri not in self.pages_with_embeds:
            return html
        assets = f"{get_relative_url('.', page.url)}/{ASSETS}"
        # In the content, not in <head>: Material's instant navigation swaps
        # only the content, and re-inserts the scripts found in it.
        return (
            f'<link rel="stylesheet" href="{assets}/{code_folder()}/live-asgi.css">'
            f'<script type="module" src="{assets}/{code_folder()}/loader.js"></script>'
            # The loader's own imports, fetched with it rather than one level after another.
            + module_preloads(f"{assets}/{code_folder()}")
            + "\n"
            + html
        )

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Remember where the docs pages go, to keep them out of the apps' folders."""
        self.pages = [(f.src_uri, f.dest_uri) for f in files.documentation_pages()]
        if self.site is not None:
            for file in files.documentation_pages():
                if _has_blocks(file):
                    # A dirty build (``--dirty``, ``mkdocs serve --dirty``) skips the
                    # pages whose source is older than their output. The site is
                    # written for the embeds of the pages converted, so a page
                    # skipped would keep linking a code folder, and its app a
                    # bytecode folder, that the build removes: convert every page
                    # with an embed (a full build ignores this).
                    file.is_modified = _always  # type: ignore[method-assign]
        return files

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Write the runtime, the apps and the service worker into the site."""
        if self.site is None or not self.uses:
            return
        for src_uri, dest_uri in self.pages:
            name = page_in_app_folder(dest_uri, self.uses, self.site.settings.app_folder)
            if name is not None:
                # A warning, as in Sphinx: `--strict` fails on it.
                log.warning(
                    "live-asgi: %s: this page is written to %s, in the folder of the live app %r, "
                    "which the build writes the app into (and where its service worker answers); "
                    "rename the page or its folder, or set the plugin's app_folder to another folder",
                    src_uri,
                    dest_uri,
                    name,
                )
        embeds = [uses[0][1] for uses in self.uses.values()]
        try:
            reports = self.site.write(Path(config.site_dir), embeds)
        except OptionError as exc:
            raise PluginError(f"live-asgi: {exc}") from None
        # The pages were written first: they learn now what their apps' starts download.
        for src_uri, dest_uri in self.pages:
            if src_uri in self.pages_with_embeds:
                self.site.announce(Path(config.site_dir) / dest_uri)
        for report in reports:
            log.info("live-asgi: %s", report.describe())
        if self.config["check"]:
            self._check_apps(config, embeds)

    def _check_apps(self, config: MkDocsConfig, embeds: list[EmbedOptions]) -> None:
        # The opt-in check: each app started in Pyodide under Node; a failure
        # fails the build at the embed, with the app's own exception.
        from .check import check_site

        assert self.site is not None
        log.info("live-asgi: checking %d app(s) in Pyodide under Node (check: true)", len(embeds))
        try:
            results = check_site(self.site, Path(config.site_dir), embeds)
        except OptionError as exc:
            raise PluginError(f"live-asgi: {exc}") from None
        failures = []
        for result in results:
            if result.ok:
                log.info("live-asgi: app %r checked: %s", result.options.name, result.summary())
                continue
            if result.traceback:
                log.info("live-asgi: app %r, the traceback:\n%s", result.options.name, result.traceback)
            for where, _ in self.uses.get(result.options.name, []):
                failures.append(f"live-asgi: {where}: {result.message()}")
        if failures:
            raise PluginError("\n".join(failures))

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        """``mkdocs serve`` rebuilds when an app's code changes, not only the pages."""
        if self.site is not None:
            for directory in self.site.app_dirs:
                if directory.is_dir():
                    server.watch(str(directory))
        return server


def _always() -> bool:
    return True


def _has_blocks(file: Any) -> bool:
    """Whether a docs page's source has a ``live-asgi`` block."""
    try:
        source = file.content_string
    except (OSError, TypeError, ValueError):  # a file with no source to read
        return False
    return "live-asgi" in source and bool(find_blocks(source.splitlines()))
