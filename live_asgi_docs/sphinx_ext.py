"""The Sphinx adapter: the ``live-asgi`` directive and the ``live_asgi_*`` settings.

Enable with ``extensions = ["live_asgi_docs"]``; works from reStructuredText
and from MyST Markdown (```` ```{live-asgi} ````).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from . import __version__
from .options import EMBED_OPTION_NAMES, EmbedOptions, OptionError, Settings, parse_embed
from .site import (
    ERROR_CLASSES,
    ERROR_TITLE,
    LiveSite,
    code_folder,
    conflict_message,
    error_html,
    module_preloads,
    name_conflict,
    page_in_app_folder,
)

logger = logging.getLogger(__name__)

#: Where the runtime files go in the HTML output.
ASSETS = "_static/_live_asgi"
ENV_VERSION = 2


class live_asgi_embed(nodes.General, nodes.Element):
    """An embedded live app; ``options`` holds its :class:`EmbedOptions`."""


def _settings(config: Config) -> Settings:
    return Settings(**{f.name: getattr(config, f"live_asgi_{f.name}") for f in fields(Settings)})


#: The LiveSite of each project being built, by source directory. Directives
#: and translators reach it through ``env.srcdir`` (Sphinx no longer hands
#: them the application); forked parallel readers inherit it.
_SITES: dict[str, LiveSite] = {}


def _site(srcdir: str | Path) -> LiveSite:
    return _SITES[str(srcdir)]


def _embeds(env: BuildEnvironment) -> dict[str, list[tuple[EmbedOptions, int]]]:
    """The embeds of each document, with their lines."""
    if not hasattr(env, "live_asgi_embeds"):
        env.live_asgi_embeds = {}  # type: ignore[attr-defined]
    return env.live_asgi_embeds  # type: ignore[attr-defined,no-any-return]


def _uses(env: BuildEnvironment) -> Iterator[tuple[str, EmbedOptions]]:
    """Every embed of the project as (``file:line``, options)."""
    for docname, embeds in _embeds(env).items():
        for options, line in embeds:
            yield f"{env.doc2path(docname, False)}:{line}", options


class LiveAsgiDirective(SphinxDirective):
    """``.. live-asgi:: module:attr`` with the options of :class:`EmbedOptions`.

    The body, if any, is the app itself (see :func:`~live_asgi_docs.options.split_inline`);
    the argument is then optional.
    """

    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {name: directives.unchanged for name in EMBED_OPTION_NAMES}
    option_spec["debug"] = directives.flag

    def run(self) -> list[nodes.Node]:
        try:
            options = parse_embed(
                self.arguments[0] if self.arguments else "",
                self.options,
                "\n".join(self.content),
                defaults=_site(self.env.srcdir).settings.defaults,
            )
            _site(self.env.srcdir).prepare(options)
        except OptionError as exc:
            logger.warning(
                "live-asgi: %s", exc, location=self.get_location(), type="live_asgi", subtype="embed"
            )
            return [self._placeholder(str(exc))]
        conflict = name_conflict(options, _uses(self.env))
        if conflict is not None:
            where, other = conflict
            logger.warning(
                "live-asgi: %s",
                conflict_message(options, where, other),
                location=self.get_location(),
                type="live_asgi",
                subtype="duplicate",
            )
            return [self._placeholder(f"the app name {options.name!r} is already used in {where}")]
        _embeds(self.env).setdefault(self.env.docname, []).append((options, self.lineno))
        node = live_asgi_embed()
        node["options"] = options
        node["docname"] = self.env.docname
        self.set_source_info(node)
        if not options.caption:
            return [node]
        # A captioned embed is a figure: numbered with numfig, and a label
        # before the directive makes it a :ref: / :numref: target.
        figure = nodes.figure(classes=["live-asgi-figure"])
        self.set_source_info(figure)
        figure += node
        caption = nodes.caption(
            options.caption, "", *self.parse_inline(options.caption, lineno=self.lineno)[0]
        )
        self.set_source_info(caption)
        figure += caption
        return [figure]

    def _placeholder(self, message: str) -> nodes.Node:
        # The reader should see that an app was meant to be here; an
        # admonition renders in every builder and every theme styles it.
        box = nodes.admonition(classes=[c for c in ERROR_CLASSES if c != "admonition"])
        box += nodes.title(text=ERROR_TITLE)
        where = f"{self.env.doc2path(self.env.docname, False)}:{self.lineno}"
        box += nodes.paragraph(text=f"live-asgi: {where}: {message}")
        self.set_source_info(box)
        return box


#: Builders of HTML that is read as files, not served by a web server (e-books,
#: help viewers): no service worker can run there, so they get the note.
NO_SCRIPT_BUILDERS = frozenset({"epub", "epub2", "epub3", "htmlhelp", "qthelp", "devhelp", "applehelp"})


def runs_apps(builder: Any) -> bool:
    """Whether the builder's output is a web site that can run live apps."""
    return bool(builder.format == "html" and builder.name not in NO_SCRIPT_BUILDERS)


def visit_html(self: Any, node: live_asgi_embed) -> None:
    if not runs_apps(self.builder):
        note = html.escape(_fallback_text(node, self.builder.config))
        self.body.append(f'<p class="live-asgi-fallback"><em>{note}</em></p>\n')
        raise nodes.SkipNode
    site = _site(self.builder.srcdir)
    docname = node.get("docname", "")
    if node["options"] not in [o for o, _ in _embeds(self.builder.env).get(docname, [])]:
        # Dropped when parallel readers merged: another app has its name.
        self.body.append(
            error_html(f"live-asgi: the app name {node['options'].name!r} is used by another app")
        )
        raise nodes.SkipNode
    root = self.builder.get_target_uri(self.builder.current_docname)
    # The relative URL from this page to the site root.
    depth = root.count("/")
    self.body.append(site.embed_html(node["options"], "../" * depth))
    raise nodes.SkipNode


def _fallback_text(node: live_asgi_embed, config: Config) -> str:
    """The note that stands for a live app in output that cannot run it."""
    options: EmbedOptions = node["options"]
    where = "the HTML version of this documentation"
    # With the site's address known, the reader of a PDF can go straight there.
    base = (getattr(config, "html_baseurl", "") or "").rstrip("/")
    if base and node.get("docname"):
        where = f"{base}/{node['docname']}.html"
    return f"[Live app “{options.name}” ({options.target}): use it live in {where}.]"


def visit_text(self: Any, node: live_asgi_embed) -> None:
    self.new_state(0)
    self.add_text(_fallback_text(node, self.builder.config))
    self.end_state()
    raise nodes.SkipNode


def visit_latex(self: Any, node: live_asgi_embed) -> None:
    note = self.encode(_fallback_text(node, self.builder.config))
    self.body.append("\n\\begin{quote}\\itshape " + note + "\\end{quote}\n")
    raise nodes.SkipNode


def visit_man(self: Any, node: live_asgi_embed) -> None:
    self.body.append("\n.sp\n" + self.deunicode(_fallback_text(node, self.builder.config)) + "\n")
    raise nodes.SkipNode


def visit_texinfo(self: Any, node: live_asgi_embed) -> None:
    self.body.append("\n" + self.escape(_fallback_text(node, self.builder.config)) + "\n")
    raise nodes.SkipNode


def on_config_inited(app: Sphinx, config: Config) -> None:
    try:
        _SITES[str(app.srcdir)] = LiveSite(_settings(config), Path(app.confdir), ASSETS)
    except OptionError as exc:
        raise ExtensionError(f"live-asgi: conf.py: live_asgi_{exc}") from None


def on_env_purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _embeds(env).pop(docname, None)


def on_env_merge_info(app: Sphinx, env: BuildEnvironment, docnames: Any, other: BuildEnvironment) -> None:
    # Documents read by another process: the same name check as the directive
    # makes within one process, against everything merged so far.
    merged = _embeds(env)
    for docname, embeds in _embeds(other).items():
        kept = []
        for options, line in embeds:
            conflict = name_conflict(options, _uses(env))
            if conflict is None:
                kept.append((options, line))
                continue
            where, other_options = conflict
            logger.warning(
                "live-asgi: %s",
                conflict_message(options, where, other_options),
                location=(docname, line),
                type="live_asgi",
                subtype="duplicate",
            )
        merged[docname] = kept


def on_env_check_consistency(app: Sphinx, env: BuildEnvironment) -> None:
    if not runs_apps(app.builder):
        return
    names = {options.name for _, options in _uses(env)}
    folder = _site(app.srcdir).settings.app_folder
    for docname in sorted(env.found_docs):
        uri = app.builder.get_target_uri(docname)
        name = page_in_app_folder(uri, names, folder)
        if name is not None:
            logger.warning(
                "live-asgi: this page is written to %s, in the folder of the live app %r, which the "
                "build writes the app into (and where its service worker answers); rename the page "
                "or its folder, or set live_asgi_app_folder to another folder",
                uri,
                name,
                location=docname,
                type="live_asgi",
                subtype="app_folder",
            )


def on_env_get_outdated(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """After an upgrade, the pages with embeds again: they link the browser code's folder.

    The folder is named by the code's content and the build removes the previous
    one, so a page an incremental build would leave as it was would link files
    that are gone.
    """
    code = code_folder()
    previous = getattr(env, "live_asgi_code", None)
    env.live_asgi_code = code  # type: ignore[attr-defined]
    if previous == code:
        return []
    return sorted(set(_embeds(env)) - added - changed - removed)


def on_html_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if not runs_apps(app.builder) or not _embeds(app.env).get(pagename):
        return
    code = f"_live_asgi/{code_folder()}"
    app.builder.add_css_file(f"{code}/live-asgi.css")  # type: ignore[attr-defined]
    app.builder.add_js_file(f"{code}/loader.js", type="module")  # type: ignore[attr-defined]
    # The loader's own imports, all at once rather than one level after another;
    # at the top of the body, so the browser asks for the page's own stylesheets
    # and scripts (the loader among them) first.
    context["body"] = module_preloads(context["pathto"](f"_static/{code}", 1)) + context.get("body", "")


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or not runs_apps(app.builder):
        return
    embeds = [options for _, options in _uses(app.env)]
    if not embeds:
        return
    site = _site(app.srcdir)
    try:
        reports = site.write(Path(app.outdir), embeds)
    except OptionError as exc:
        raise ExtensionError(f"live-asgi: {exc}") from None
    # The pages were written first: they learn now what their apps' starts download.
    for docname, used in _embeds(app.env).items():
        if used:
            site.announce(Path(app.builder.get_outfilename(docname)))  # type: ignore[attr-defined]
    for report in reports:
        logger.info("live-asgi: %s", report.describe())
    if app.config.live_asgi_check:
        _check_apps(app, embeds)


def _check_apps(app: Sphinx, embeds: list[EmbedOptions]) -> None:
    """The opt-in check: each app started in Pyodide under Node; failures at their embeds."""
    from .check import check_site

    logger.info(
        "live-asgi: checking %d app(s) in Pyodide under Node (live_asgi_check)", len({e.name for e in embeds})
    )
    try:
        results = check_site(_site(app.srcdir), Path(app.outdir), embeds)
    except OptionError as exc:
        raise ExtensionError(f"live-asgi: {exc}") from None
    failed = {r.options.name: r for r in results if not r.ok}
    for result in results:
        if result.ok:
            logger.info("live-asgi: app %r checked: %s", result.options.name, result.summary())
    if not failed:
        return
    # Every embed of a failing app is where an author would look. Errors,
    # not warnings: the author asked for the check, a failure fails the build.
    for docname in sorted(_embeds(app.env)):
        for node in app.env.get_doctree(docname).findall(live_asgi_embed):
            failure = failed.get(node["options"].name)
            if failure is not None:
                logger.error("live-asgi: %s", failure.message(), location=node)
    for failure in failed.values():
        if failure.traceback:
            logger.info("live-asgi: app %r, the traceback:\n%s", failure.options.name, failure.traceback)
    app.statuscode = 1


def setup(app: Sphinx) -> ExtensionMetadata:
    """Register the directive, its node and the ``live_asgi_*`` settings."""
    for name, (default, types) in Settings.describe().items():
        app.add_config_value(f"live_asgi_{name}", default, "env", types=types)
    app.add_node(
        live_asgi_embed,
        html=(visit_html, None),
        text=(visit_text, None),
        latex=(visit_latex, None),
        man=(visit_man, None),
        texinfo=(visit_texinfo, None),
    )
    app.add_directive("live-asgi", LiveAsgiDirective)
    app.connect("config-inited", on_config_inited)
    app.connect("env-purge-doc", on_env_purge_doc)
    app.connect("env-merge-info", on_env_merge_info)
    app.connect("env-check-consistency", on_env_check_consistency)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("html-page-context", on_html_page_context)
    app.connect("build-finished", on_build_finished)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
