"""The options of an embed and the settings of a site, declared once.

The Sphinx directive and ``conf.py`` values, and the MkDocs block and plugin
config, are all made from the two dataclasses here; their validation lives here
too, so both tools give the same messages.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from . import pyodide_pin

__all__ = [
    "EditorOptions",
    "EmbedOptions",
    "OptionError",
    "Settings",
    "default_name",
    "parse_embed",
]

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TARGET_RE = re.compile(
    r"^(?P<module>[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)"
    r":(?P<attr>[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)$"
)
CSS_LENGTH_RE = re.compile(r"^(\d+(\.\d+)?(px|em|rem|vh|vw|%|ex|ch|cm|mm|in|pt|pc|svh|lvh|dvh)|0)$")
AUTOSTART_VALUES = ("visible", "click", "load")
APP_FOLDER_RE = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")

#: The pinned Pyodide release and its official home (what readers with the
#: internet get by default); see :mod:`.pyodide_pin`.
PYODIDE_VERSION = pyodide_pin.VERSION
PYODIDE_CDN = pyodide_pin.CDN


class OptionError(ValueError):
    """An option has a value the tool cannot use; the message says the fix."""


#: The word of ``:editor:`` that shows the code without letting readers edit it.
READ_ONLY = "read-only"


@dataclass(frozen=True)
class EditorOptions:
    """The code editor beside an app (the ``:editor:`` option).

    Attributes:
        files: The files shown, relative to the app's package (or to the
            app's directory for a single module or an app written in the
            page), in tab order; empty: every source file of the app.
        read_only: Show the code without letting readers edit or run it.
    """

    files: tuple[str, ...] = ()
    read_only: bool = False


@dataclass(frozen=True)
class EmbedOptions:
    """One live app embedded in one page (the ``live-asgi`` directive/block).

    Attributes:
        target: ``module:attr`` of the ASGI app, e.g. ``todo.main:app``.
        name: The URL segment under ``app/``; unique in the site.
        requirements: PEP 508 requirements installed for the app.
        path: The first page shown, e.g. ``/items``.
        height: The frame's height, a CSS length, or ``auto`` to follow the
            height of the app's page.
        autostart: When the app starts: ``visible`` (when the embed scrolls
            into view, the default), ``click`` (a "Run the app" button that
            says the start's download size: what travels, compressed on a
            precompressed site) or ``load`` (with the page).
        debug: Show tracebacks of the app's unhandled errors in its 500 pages.
        editor: The code editor shown beside the app, or ``None``.
        inline: An app written in the page (the directive's body): its
            files as ``(name, text)``, the first holding the app; empty for
            an app found in the app directories.
        width: The frame's width, a CSS length (at most the text column).
        caption: A caption under the app; with a label before the embed
            (``.. _todo-demo:``), ``:ref:`` and ``:numref:`` link to it.
        classes: Extra CSS classes of the embed (option ``class``).
        prompt: The text of the button that starts the app; implies
            ``autostart: click`` when no autostart is given.
    """

    target: str
    name: str
    requirements: tuple[str, ...] = ()
    path: str = "/"
    height: str = "480px"
    autostart: str = "visible"
    debug: bool = False
    editor: EditorOptions | None = None
    inline: tuple[tuple[str, str], ...] = ()
    width: str = "100%"
    caption: str = ""
    classes: tuple[str, ...] = field(default=(), metadata={"option": "class"})
    prompt: str = ""

    @property
    def module(self) -> str:
        """The module part of the target."""
        return self.target.partition(":")[0]

    @property
    def top_level(self) -> str:
        """The top-level package or module bundled with the app."""
        return self.module.split(".")[0]


#: The options an author may write under the directive, in docs order.
EMBED_OPTION_NAMES = tuple(
    f.metadata.get("option", f.name) for f in fields(EmbedOptions) if f.name not in ("target", "inline")
)
#: The options that are flags (written without a value).
FLAG_OPTIONS = ("debug",)
#: Options a site-wide default cannot give: each embed has its own.
NOT_DEFAULTS = ("name",)
CLASS_RE = re.compile(r"^-?[_a-zA-Z][_a-zA-Z0-9-]*$")
PROMPT_MAX = 80


@dataclass
class Settings:
    """The site-wide settings (``live_asgi_*`` in conf.py, the plugin config).

    Attributes:
        app_dirs: Directories where app packages/modules are looked up,
            relative to the config file.
        pyodide: Where the Pyodide runtime comes from: ``"cdn"`` (the official
            CDN, the default), ``"npm"`` (the ``pyodide`` npm package, vendored
            into the site), a local directory or an ``http(s)`` URL (its files
            are vendored into the site).
        index_url: The package index requirements are resolved from (``None``:
            pip's own configuration).
        pyodide_packages: Where Pyodide's own package distribution is (a URL or
            a directory with its ``pyodide-lock.json``); packages that have no
            Pyodide wheel on the index (markupsafe, pyyaml, ...) are taken from
            it at build time. Default: the official CDN of the pinned release.
        cache_dir: Where downloads are cached across builds (``None``: the
            per-user cache, or ``$LIVE_ASGI_DOCS_CACHE``).
        app_folder: The folder of the built site where the apps' URLs are
            (``<folder>/<name>/``); no docs page may be written there.
        defaults: Site-wide defaults of any embed option but ``name``, e.g.
            ``{"height": "600px", "autostart": "click"}``; what an embed
            writes wins.
        check: Start every app at build time in Pyodide under Node.js (its
            lifespan startup and its first page, ``:path:``), and fail the
            build with the app's own exception when it cannot start. Needs
            ``node`` on ``PATH``; adds seconds per app to a build.
        precompress: Write ``<file>.gz`` and ``<file>.br`` beside the large
            files of the apps (the runtime's wasm and scripts, locks,
            manifests, archives) where compressing pays, for hosts that serve such files
            to browsers that accept them (nginx ``gzip_static`` and
            ``brotli_static``, Caddy ``file_server { precompressed }``,
            ``python -m live_asgi_docs.serve``). Hosts that compress by
            themselves (GitHub Pages, Read the Docs, Netlify, Cloudflare) never
            read them, so it is off by default. The archives the build
            writes (standard library, wheels, bundles) are then stored, not
            deflated, so that their siblings compress across files. Brotli
            needs ``node`` on ``PATH`` (else only ``.gz`` files are written);
            results are cached. The download size an embed announces is then
            what travels: the siblings' sizes (Brotli, else gzip).
    """

    app_dirs: list[str] = field(default_factory=list, metadata={"types": (list, tuple)})
    pyodide: str = field(default="cdn", metadata={"types": (str,)})
    index_url: str | None = field(default=None, metadata={"types": (str, type(None))})
    pyodide_packages: str = field(default=PYODIDE_CDN, metadata={"types": (str,)})
    cache_dir: str | None = field(default=None, metadata={"types": (str, type(None))})
    app_folder: str = field(default="app", metadata={"types": (str,)})
    defaults: dict[str, Any] = field(default_factory=dict, metadata={"types": (dict,)})
    check: bool = field(default=False, metadata={"types": (bool,)})
    precompress: bool = field(default=False, metadata={"types": (bool,)})

    @classmethod
    def describe(cls) -> dict[str, tuple[Any, tuple[type, ...]]]:
        """Each setting's default and the Python types a tool should accept."""
        out: dict[str, tuple[Any, tuple[type, ...]]] = {}
        for f in fields(cls):
            default = f.default_factory() if callable(f.default_factory) else f.default
            out[f.name] = (default, f.metadata["types"])
        return out

    def validate(self) -> None:
        """Raise :class:`OptionError` for a setting that cannot work."""
        if not isinstance(self.app_dirs, (list, tuple)) or not all(isinstance(d, str) for d in self.app_dirs):
            raise OptionError(f"app_dirs must be a list of directory paths, not {self.app_dirs!r}")
        if not isinstance(self.app_folder, str) or not APP_FOLDER_RE.match(self.app_folder):
            raise OptionError(
                f"app_folder must be a folder of the site such as 'app' or 'live/apps' (letters, "
                f"digits, '_' and '-', separated by '/'), not {self.app_folder!r}"
            )
        if not isinstance(self.defaults, dict):
            raise OptionError(
                f'defaults must be a mapping such as {{"height": "600px"}}, not {self.defaults!r}'
            )
        refused = sorted(set(self.defaults) & set(NOT_DEFAULTS))
        if refused:
            raise OptionError(f"defaults cannot give {', '.join(refused)}: every app has its own")
        try:
            # Every default must make a valid embed on its own.
            parse_embed("app:app", {}, defaults=self.defaults)
        except OptionError as exc:
            raise OptionError(f"defaults: {exc}") from None
        if not isinstance(self.check, bool):
            raise OptionError(f"check must be True or False, not {self.check!r}")
        if not isinstance(self.precompress, bool):
            raise OptionError(f"precompress must be True or False, not {self.precompress!r}")
        if not isinstance(self.pyodide, str) or not self.pyodide:
            raise OptionError(
                f'pyodide must be "cdn", "npm", a directory or an http(s) URL, not {self.pyodide!r}'
            )


def default_name(target: str) -> str:
    """The URL segment for a target: ``todo.main:app`` gives ``todo``."""
    top = target.partition(":")[0].split(".")[0]
    name = re.sub(r"[^a-z0-9-]+", "-", top.lower()).strip("-")
    return name or "app"


def _split_requirements(value: str) -> tuple[str, ...]:
    # Commas separate requirements, except inside a version specifier such
    # as "fastapi>=0.100,<1": a piece that starts like a specifier continues
    # the previous requirement.
    out: list[str] = []
    for piece in (p.strip() for p in value.replace("\n", ",").split(",")):
        if not piece:
            continue
        if out and re.match(r"^(==|!=|<=|>=|~=|===|<|>)", piece):
            out[-1] += "," + piece
        else:
            out.append(piece)
    return tuple(out)


#: The line that starts a file of an app written in the page.
FILE_LINE_RE = re.compile(r"^#\s*file:\s*(?P<name>\S.*?)\s*$")
#: The file of an app written in the page without ``# file:`` lines.
INLINE_DEFAULT_FILE = "app.py"
#: The app object looked up when the target of an app in the page is not given.
INLINE_DEFAULT_ATTR = "app"


def split_inline(body: str) -> tuple[tuple[str, str], ...]:
    """The files of an app written in the page, as ``(name, text)``.

    A single file needs no header (it becomes ``app.py``); several files each
    start with a ``# file: name`` line (``# file: templates/home.html``).

    Raises:
        OptionError: for text before the first ``# file:`` line, a name
            used twice or a name that leaves the app's folder.
    """
    lines = body.strip("\n").splitlines()
    if not any(FILE_LINE_RE.match(line) for line in lines):
        return ((INLINE_DEFAULT_FILE, "\n".join(lines).rstrip() + "\n"),)
    files: list[tuple[str, list[str]]] = []
    for number, line in enumerate(lines, 1):
        match = FILE_LINE_RE.match(line)
        if match:
            name = match["name"]
            parts = name.split("/")
            if name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
                raise OptionError(
                    f"line {number} of the app in the page: the file name {name!r} must be a "
                    "relative path inside the app, such as 'main.py' or 'templates/home.html'"
                )
            if any(name == other for other, _ in files):
                raise OptionError(f"line {number} of the app in the page: the file {name!r} is written twice")
            files.append((name, []))
        elif files:
            files[-1][1].append(line)
        elif line.strip():
            raise OptionError(
                f"line {number} of the app in the page comes before the first '# file: name' line; "
                "start the body with '# file: main.py' (or leave out every '# file:' line for a "
                "single-file app)"
            )
    return tuple((name, "\n".join(text).strip("\n") + "\n") for name, text in files)


def _parse_editor(value: str | None) -> EditorOptions:
    words = [w.strip() for w in (value or "").replace("\n", ",").split(",") if w.strip()]
    read_only = READ_ONLY in words
    files = tuple(w for w in words if w != READ_ONLY)
    for name in files:
        if name.startswith("/") or "\\" in name or ".." in name.split("/"):
            raise OptionError(
                f"the editor file {name!r} must be a path relative to the app's package, "
                "such as 'main.py' or 'templates/home.html'"
            )
    if len(set(files)) != len(files):
        raise OptionError(f"the editor lists a file twice: {', '.join(files)}")
    return EditorOptions(files=files, read_only=read_only)


def _inline_target(target: str, inline: tuple[tuple[str, str], ...]) -> str:
    modules = [name[: -len(".py")].replace("/", ".") for name, _ in inline if name.endswith(".py")]
    if not modules:
        raise OptionError(
            "the app in the page has no Python file; name its first file e.g. '# file: main.py'"
        )
    if not target:
        first = inline[0][0]
        if not first.endswith(".py"):
            raise OptionError(
                f"the first file of the app in the page, {first!r}, is not Python; put the file "
                "that holds the app first, or give the target as the argument (e.g. 'main:app')"
            )
        return f"{modules[0]}:{INLINE_DEFAULT_ATTR}"
    if ":" not in target:
        target = f"{modules[0]}:{target}"
    module = target.partition(":")[0]
    if module not in modules:
        raise OptionError(
            f"the app in the page has no module {module!r}; its Python files make the modules "
            + ", ".join(modules)
        )
    return target


def _default_text(value: Any) -> str:
    # conf.py and mkdocs.yml give Python/YAML values; the directive gives text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def parse_embed(
    target: str,
    raw: dict[str, str | None],
    body: str = "",
    *,
    defaults: dict[str, Any] | None = None,
) -> EmbedOptions:
    """Validate the author's text and make :class:`EmbedOptions` of it.

    Args:
        target: The directive's argument (for an app written in the page,
            optional: ``module:attr`` or ``attr`` of its first file).
        raw: The options as written (names as in :data:`EMBED_OPTION_NAMES`);
            ``None`` for an option written without a value.
        body: The directive's body: an app written in the page (see
            :func:`split_inline`), or empty.
        defaults: The site's defaults (:attr:`Settings.defaults`); ``raw`` wins.

    Raises:
        OptionError: With a message that says what to write instead.
    """
    unknown_defaults = sorted(set(defaults or {}) - set(EMBED_OPTION_NAMES))
    if unknown_defaults:
        raise OptionError(
            f"unknown option(s) {', '.join(unknown_defaults)}; the options are "
            + ", ".join(EMBED_OPTION_NAMES)
        )
    written = set(raw)
    raw = {**{k: _default_text(v) for k, v in (defaults or {}).items()}, **raw}
    target = (target or "").strip()
    inline: tuple[tuple[str, str], ...] = ()
    if body.strip():
        inline = split_inline(body)
        target = _inline_target(target, inline)
    elif not target:
        raise OptionError(
            "the embed names no app; give its target (e.g. 'todo.main:app') or write the "
            "app's code in the body of the directive"
        )
    if not TARGET_RE.match(target):
        raise OptionError(
            f"the app target {target!r} is not of the form module:attribute; "
            "write for example 'todo.main:app' (the module todo/main.py, the "
            "ASGI app object 'app' in it)"
        )
    unknown = sorted(set(raw) - set(EMBED_OPTION_NAMES))
    if unknown:
        raise OptionError(
            f"unknown option(s) {', '.join(unknown)}; the options are " + ", ".join(EMBED_OPTION_NAMES)
        )
    requirements = _split_requirements(raw.get("requirements") or "")
    if inline:
        # An app in the page has no package name to go by: its content names it.
        digest = hashlib.sha256(repr((inline, requirements)).encode()).hexdigest()[:8]
        fallback = f"app-{digest}"
    else:
        fallback = default_name(target)
    name = (raw.get("name") or "").strip() or fallback
    if not NAME_RE.match(name):
        raise OptionError(
            f"the name {name!r} cannot be used in a URL; use lower-case letters, "
            "digits and '-', starting with a letter or digit (e.g. 'todo-app')"
        )
    for req in requirements:
        if _is_local_path(req):
            continue
        try:
            Requirement(req)
        except InvalidRequirement as exc:
            raise OptionError(
                f"the requirement {req!r} is not valid PEP 508 ({exc}); "
                "write e.g. 'fastapi' or 'fastapi>=0.110'"
            ) from None
    path = (raw.get("path") or "/").strip()
    if not path.startswith("/") or any(c.isspace() for c in path):
        raise OptionError(
            f"the path {path!r} must be an app URL path that starts with '/', e.g. '/items?page=2'"
        )
    height = (raw.get("height") or "480px").strip()
    if height != "auto" and not CSS_LENGTH_RE.match(height):
        raise OptionError(
            f"the height {height!r} is not a CSS length; write e.g. '480px', "
            "'30em', '70vh' or 'auto' (follow the app's page)"
        )
    autostart = (raw.get("autostart") or "visible").strip().lower()
    if autostart not in AUTOSTART_VALUES:
        raise OptionError(
            f"autostart {autostart!r} is not one of {', '.join(AUTOSTART_VALUES)}; write 'visible' "
            "(start when scrolled into view), 'click' (a button starts it) or 'load' (start at once)"
        )
    # A flag: written alone (no value, as both tools give it) it is on.
    debug = "debug" in raw and (raw["debug"] or "").strip().lower() not in ("false", "no", "0", "off")
    editor = _parse_editor(raw["editor"]) if "editor" in raw else None
    width = (raw.get("width") or "100%").strip()
    if not CSS_LENGTH_RE.match(width):
        raise OptionError(f"the width {width!r} is not a CSS length; write e.g. '100%', '40em' or '640px'")
    caption = " ".join((raw.get("caption") or "").split())
    classes = tuple((raw.get("class") or "").replace(",", " ").split())
    for css_class in classes:
        if not CLASS_RE.match(css_class):
            raise OptionError(
                f"the class {css_class!r} is not a CSS class name; write names such as 'wide demo', "
                "separated by spaces"
            )
    prompt = " ".join((raw.get("prompt") or "").split())
    if len(prompt) > PROMPT_MAX:
        raise OptionError(
            f"the prompt is {len(prompt)} characters long; a button's text of at most {PROMPT_MAX}"
        )
    if prompt and "autostart" not in written and "autostart" not in (defaults or {}):
        autostart = "click"
    elif prompt and autostart != "click" and "prompt" in written:
        raise OptionError(
            f"the prompt is the text of the button that starts the app, and autostart {autostart!r} "
            "shows no button; write ':autostart: click' or leave the prompt out"
        )
    return EmbedOptions(
        target=target,
        name=name,
        requirements=requirements,
        path=path,
        height=height,
        autostart=autostart,
        debug=debug,
        editor=editor,
        inline=inline,
        width=width,
        caption=caption,
        classes=classes,
        prompt=prompt if autostart == "click" else "",
    )


def _is_local_path(req: str) -> bool:
    return req.startswith((".", "/", "~")) or req.endswith(".whl")
