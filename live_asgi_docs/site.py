"""What a site with live apps consists of, and writing it: the core both adapters call.

An adapter (Sphinx, MkDocs) makes one :class:`LiveSite` per build, calls
:meth:`LiveSite.prepare` for every embed it meets (errors surface then, at the
embed's line), renders :meth:`LiveSite.embed_html` into the page, and calls
:meth:`LiveSite.write` once at the end of a successful build.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import html
import json
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from . import apps, bytecode, editing, packages, precompress, protocol, pyodide_pin
from .options import PYODIDE_CDN, PYODIDE_VERSION, EmbedOptions, OptionError, Settings
from .runtime import RUNTIME_FILES, Runtime, locate_runtime, npm_runtime

__all__ = [
    "ERROR_CLASSES",
    "SW_PATH",
    "AppReport",
    "LiveSite",
    "conflict_message",
    "error_html",
    "name_conflict",
    "page_in_app_folder",
]

PACKAGE_DIR = Path(__file__).parent
BROWSER_DIR = PACKAGE_DIR / "browser"
#: The service worker script, relative to the site root (with the default app folder).
SW_PATH = protocol.sw_path()
#: Every file of the browser folder goes to the site, in the code folder.
BROWSER_FILES = tuple(sorted(p.name for p in BROWSER_DIR.iterdir() if p.suffix in (".js", ".css")))
#: The bridge and what it imports, run in Pyodide (worker.js fetches them
#: next to each other).
PYTHON_FILES = ("bridge.py", "pyodide_compat.py", "reload.py")
#: The runtime files counted in the download an embed announces. Pyodide's own
#: lock (about 22 kB as Brotli) is left out: the path without a snapshot passes
#: the app's lock inline; the snapshot paths let Pyodide fetch its own, as a
#: bare runtime does.
FETCHED_RUNTIME_FILES = tuple(name for name in RUNTIME_FILES if name != "pyodide-lock.json")
#: The standard library's modules no start imports, beside the bytecode (see :mod:`.bytecode`).
LATE_STDLIB = "python_stdlib_late.zip"
#: Their sizes in the pinned release, for sites that load it from the CDN
#: (uncompressed, as the browser counts them).
CDN_RUNTIME_BYTES = pyodide_pin.CDN_RUNTIME_BYTES


@functools.cache
def bridge_imports() -> list[str]:
    """The modules the bridge imports at its top level, worth having in a snapshot."""
    found: list[str] = []
    for name in PYTHON_FILES:
        tree = ast.parse((PACKAGE_DIR / name).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.append(node.module)
    # The bridge's own modules are the app's to import; __future__ is no module.
    return sorted({m for m in found if m != "__future__" and not m.startswith("_live_asgi")})


@functools.cache
def code_folder() -> str:
    """The folder of this release's browser code, named by its content.

    A redeploy with other code gets other URLs, so a host's ``max-age`` can
    never pair a new ``loader.js`` with an old ``worker.js``.
    """
    digest = hashlib.sha256()
    for name in BROWSER_FILES:
        digest.update((BROWSER_DIR / name).read_bytes())
    for name in PYTHON_FILES:
        digest.update((PACKAGE_DIR / name).read_bytes())
    return f"code-{digest.hexdigest()[:12]}"


#: A static import of a module next to the importing one (not ``import(...)``).
_STATIC_IMPORT = re.compile(r'^\s*(?:import|export)\b[^;()]*?"\./([\w.-]+\.js)"', re.MULTILINE)


@functools.cache
def loader_modules() -> tuple[str, ...]:
    """The modules ``loader.js`` imports statically, directly or not, in the order found.

    A page names them in ``<link rel="modulepreload">`` beside the loader's
    script, so the browser fetches them all at once instead of one level of
    imports after another.
    """
    found: list[str] = []
    todo = ["loader.js"]
    while todo:
        for name in _STATIC_IMPORT.findall((BROWSER_DIR / todo.pop(0)).read_text()):
            if name not in found and name != "loader.js":
                found.append(name)
                todo.append(name)
    return tuple(found)


def module_preloads(code_url: str) -> str:
    """``<link rel="modulepreload">`` tags for :func:`loader_modules` under the code folder's URL."""
    base = html.escape(code_url)
    return "".join(f'<link rel="modulepreload" href="{base}/{name}">' for name in loader_modules())


def _sw_template() -> Path:
    # Installed: shipped inside the package; in a checkout: the top-level folder.
    for candidate in (PACKAGE_DIR / "sw_template" / "sw.js", PACKAGE_DIR.parent / "sw_template" / "sw.js"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("sw_template/sw.js is missing from the installation")


@dataclass(frozen=True)
class AppReport:
    """What a reader downloads to start one app cold, in bytes as they travel.

    On a precompressed site a file travels as its Brotli sibling (gzip where
    only that was written, itself where no sibling pays); otherwise as it is.
    A runtime from the CDN counts as the release's files weigh (its server
    compresses them on the fly: less travels).
    """

    name: str
    runtime: int
    wheels: int
    app: int
    #: What the browser decodes of those files (the progress bar counts it).
    decoded: int = 0
    #: How most of those bytes travel: ``"Brotli"``, ``"gzip"`` or ``""`` (as they are).
    encoding: str = ""
    #: What was compiled ahead of time, or why nothing was.
    bytecode: str = ""
    #: What the precompress setting could not do (no Node.js: no Brotli).
    precompressed: str = ""

    @property
    def total(self) -> int:
        """Everything a reader downloads on a cold start (what the embed announces)."""
        return self.runtime + self.wheels + self.app

    def describe(self) -> str:
        """The build's line about this app."""
        how = f", {self.encoding}-compressed, {self.decoded / 1e6:.1f} MB decoded" if self.encoding else ""
        return (
            f"app {self.name!r}: a reader downloads {self.total / 1e6:.1f} MB{how} (runtime "
            f"{self.runtime / 1e6:.1f} MB, packages {self.wheels / 1e6:.1f} MB, app {self.app / 1e3:.1f} kB)"
            + (f"; precompressed files: {self.precompressed}" if self.precompressed else "")
        )


def _measure(name: str, runtime: list[Path], wheels: list[Path], bundle: Path, cdn: int) -> AppReport:
    """What a cold start of an app downloads of the written files, as they travel.

    ``cdn``: what it downloads from elsewhere (the runtime's CDN), counted as it is.
    """
    sizes: dict[str, int] = {"": cdn}

    def sent(files: list[Path]) -> int:
        total = 0
        for file in files:
            size, suffix = precompress.sent_size(file)
            sizes[suffix] = sizes.get(suffix, 0) + size
            total += size
        return total

    runtime_sent, wheels_sent, app_sent = cdn + sent(runtime), sent(wheels), sent([bundle])
    # The encoding that carries most of the bytes names the figure.
    encoding = {".br": "Brotli", ".gz": "gzip", "": ""}[max(sizes, key=sizes.__getitem__)]
    return AppReport(
        name,
        runtime=runtime_sent,
        wheels=wheels_sent,
        app=app_sent,
        decoded=cdn + sum(f.stat().st_size for f in [*runtime, *wheels, bundle]),
        encoding=encoding,
    )


def _copy_if_changed(source: Path, dest: Path) -> None:
    if (
        dest.is_file()
        and dest.stat().st_size == source.stat().st_size
        and dest.stat().st_mtime >= source.stat().st_mtime
    ):
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, dest)


def _write_if_changed(dest: Path, data: bytes) -> None:
    if dest.is_file() and dest.read_bytes() == data:
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


class LiveSite:
    """The live apps of one documentation build.

    Args:
        settings: The site-wide settings.
        config_dir: The directory of conf.py / mkdocs.yml (relative settings
            are relative to it).
        assets: Where the runtime files go, relative to the site root (e.g.
            ``_static/_live_asgi``).
    """

    def __init__(self, settings: Settings, config_dir: Path, assets: str) -> None:
        settings.validate()
        self.settings = settings
        self.config_dir = config_dir
        self.assets = assets.strip("/")
        self.cache_dir = packages.cache_root(
            str(config_dir / settings.cache_dir) if settings.cache_dir else None
        )
        self._runtime_bytes: int | None = None
        self._download: dict[EmbedOptions, int] = {}
        # What each app's start downloads, measured on the files written (see announce()).
        self._written: dict[str, AppReport] = {}
        # Every embed of an app asks the same questions: answer each once a build.
        self._prepared: dict[tuple[object, ...], tuple[apps.AppSource, packages.Resolution]] = {}
        self._editor_files: dict[EmbedOptions, list[editing.SourceFile]] = {}
        self._bundles: dict[Path, bytes] = {}

    @property
    def app_dirs(self) -> list[Path]:
        """The directories searched for app code, absolute."""
        return [(self.config_dir / d).resolve() for d in self.settings.app_dirs]

    @functools.cached_property
    def distribution(self) -> packages.Distribution | None:
        """Pyodide's own package distribution, or ``None`` if its lock cannot be had."""
        return packages.load_distribution(
            self.settings.pyodide_packages,
            cache_dir=self.cache_dir,
            base_dir=self.config_dir,
            runtime=self._runtime_lock(),
        )

    def _runtime_lock(self) -> Path | None:
        # A vendored runtime carries the same pyodide-lock.json as the CDN.
        if self.settings.pyodide == "cdn":
            return None
        try:
            runtime = locate_runtime(
                self.settings.pyodide, cache_dir=self.cache_dir, base_dir=self.config_dir
            )
        except OptionError:
            return None
        return runtime.directory / "pyodide-lock.json" if runtime.directory else None

    def prepare(self, options: EmbedOptions) -> tuple[apps.AppSource, packages.Resolution]:
        """Find the app and resolve its requirements.

        Raises:
            OptionError: what is wrong and how to fix it.
        """
        key = (options.module, options.requirements, options.inline)
        if key not in self._prepared:
            if options.inline:
                source = editing.inline_source(options.inline, self.cache_dir)
            else:
                source = apps.find_app(options.module, self.app_dirs)
            requirements_file = apps.requirements_file(source)
            resolution = packages.resolve(
                options.requirements,
                cache_dir=self.cache_dir,
                index_url=self.settings.index_url,
                base_dir=self.config_dir,
                requirements_file=requirements_file,
                distribution=self.distribution if (options.requirements or requirements_file) else None,
                time_zones=apps.uses_time_zones(source),
            )
            self._prepared[key] = (source, resolution)
        source, resolution = self._prepared[key]
        # Per embed: two embeds of one module may name different attributes.
        apps.check_target(source, options.module, options.target.partition(":")[2])
        if options.editor is not None and options not in self._editor_files:
            self._editor_files[options] = editing.editor_files(options, source)
        return source, resolution

    def editor_files(self, options: EmbedOptions) -> list[editing.SourceFile]:
        """The files the embed's editor shows (checked by :meth:`prepare`).

        Raises:
            OptionError: for a named file the app does not have.
        """
        if options not in self._editor_files:
            source, _ = self.prepare(options)
            self._editor_files[options] = editing.editor_files(options, source)
        return self._editor_files[options]

    def bundle(self, source: apps.AppSource) -> bytes:
        """The app's code as the browser gets it (zipped once a build)."""
        if source.top_level not in self._bundles:
            self._bundles[source.top_level] = apps.bundle_app(source)
        return self._bundles[source.top_level]

    def runtime_bytes(self) -> int:
        """What a reader downloads of the runtime itself, in bytes."""
        if self._runtime_bytes is None:
            runtime = locate_runtime(
                self.settings.pyodide, cache_dir=self.cache_dir, base_dir=self.config_dir
            )
            if runtime.directory is None:
                self._runtime_bytes = CDN_RUNTIME_BYTES
            else:
                self._runtime_bytes = sum(
                    self._archive_bytes(runtime.directory / name)
                    if name == "python_stdlib.zip"
                    else (runtime.directory / name).stat().st_size
                    for name in FETCHED_RUNTIME_FILES
                )
        return self._runtime_bytes

    def _archive_bytes(self, archive: Path) -> int:
        """What the browser counts of an archive the site serves (stored: its contents)."""
        return precompress.stored_size(archive) if self.settings.precompress else archive.stat().st_size

    def _served_archive(self, archive: Path) -> Path:
        """The archive as the site serves it: stored when it is precompressed (see :mod:`.precompress`)."""
        return precompress.stored_archive(archive, self.cache_dir) if self.settings.precompress else archive

    def download_bytes(self, options: EmbedOptions) -> int:
        """What the browser decodes of a cold start of this app, in bytes (an estimate).

        Known before :meth:`write`, so that a page written before the site's
        files can carry it; :meth:`announce` then puts the sizes measured on
        the written files (and their compressed siblings) in its place.

        Raises:
            OptionError: what is wrong and how to fix it.
        """
        if options not in self._download:
            source, resolution = self.prepare(options)
            # The browser counts what it decodes: a precompressed site's archives
            # are stored, so their contents count.
            wheels = (
                sum(self._archive_bytes(resolution.path(w)) for w in resolution.wheels)
                if self.settings.precompress
                else sum(w.size for w in resolution.wheels)
            )
            self._download[options] = self.runtime_bytes() + wheels + len(self.bundle(source))
        return self._download[options]

    def runtime_url(self) -> str:
        """The runtime's base URL, absolute or relative to the assets folder."""
        if self.settings.pyodide == "cdn":
            return PYODIDE_CDN
        return "pyodide/"

    def embed_html(self, options: EmbedOptions, root: str, *, full: bool = False) -> str:
        """The HTML of an embed.

        Args:
            options: The embed.
            root: The URL of the site root relative to the page (``""``,
                ``"../"``, ...).
            full: The app alone in a window (its own page), not in a docs page.
        """
        root = root if not root or root.endswith("/") else root + "/"
        written = self._written.get(options.name)
        decoded = written.decoded if written else self.download_bytes(options)
        config: protocol.EmbedConfig = {
            "name": options.name,
            "path": options.path,
            "height": options.height,
            "autostart": options.autostart,
            "download": written.total if written else decoded,
            "decoded": decoded,
            "root": root or "./",
            "scope": self.app_scope(options.name),
            "sw": self.sw_path,
            "assets": f"{root}{self.assets}/",
            "runtime": self.runtime_url(),
            "manifest": protocol.manifest_path(options.name),
        }
        if full:
            config["full"] = True
        elif options.editor is not None:
            config["editor"] = {
                "files": [
                    {"name": f.name, "path": f.path, "text": f.text} for f in self.editor_files(options)
                ],
                "readOnly": options.editor.read_only,
            }
        if options.prompt:
            config["prompt"] = options.prompt
        # The loader builds the toolbar and the frame; this is what shows
        # before it runs (or when scripts are off).
        height = "480px" if options.height == "auto" else options.height
        label = html.escape(f"Live app “{options.name}”")
        classes = " ".join(("live-asgi", *options.classes))
        style = f"--live-asgi-height: {height}"
        if options.width != "100%":
            style += f"; --live-asgi-width: {options.width}"
        return (
            f'<div class="{html.escape(classes)}" data-live-asgi="{html.escape(json.dumps(config))}" '
            f'style="{html.escape(style)}">'
            f'<div class="live-asgi-status" role="status" aria-live="polite">'
            f'<span class="live-asgi-message">{label} is loading.</span></div>'
            f"<noscript>{label} needs JavaScript.</noscript>"
            "</div>"
        )

    @property
    def sw_path(self) -> str:
        """The service worker script, relative to the site root."""
        return protocol.sw_path(self.settings.app_folder)

    def app_scope(self, name: str) -> str:
        """An app's folder (its service worker scope), relative to the site root."""
        return protocol.app_scope(name, self.settings.app_folder)

    def figure_html(self, options: EmbedOptions, root: str) -> str:
        """The embed, in a captioned figure when it has a caption (the MkDocs adapter's).

        The figure's id, ``live-asgi-<name>``, is a link target (``[the demo](#live-asgi-todo)``).
        """
        embed = self.embed_html(options, root)
        if not options.caption:
            return embed
        return (
            f'<figure class="live-asgi-figure" id="live-asgi-{options.name}">{embed}'
            f"<figcaption>{html.escape(options.caption)}</figcaption></figure>"
        )

    def shell_html(self, options: EmbedOptions) -> str:
        """The page ``app/<name>/index.html``: the app alone, full-window.

        Its URLs are relative to ``app/<name>/`` (the service worker serves it
        for any app URL with a ``<base>`` there); it shows the app path of its
        own address.
        """
        root = "../" * self.app_scope(options.name).count("/")
        embed = self.embed_html(
            replace(options, autostart="load", height="100%", width="100%", prompt=""), root, full=True
        )
        title = html.escape(f"{options.name} (live app)")
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            # No docs page around the app: the reader's system setting decides.
            '<meta name="color-scheme" content="light dark">'
            f"<title>{title}</title>"
            f'<link rel="stylesheet" href="{root}{self.assets}/{code_folder()}/live-asgi.css">'
            f'<script type="module" src="{root}{self.assets}/{code_folder()}/loader.js"></script>'
            + module_preloads(f"{root}{self.assets}/{code_folder()}")
            + f'</head><body class="live-asgi-shell">{embed}</body></html>\n'
        )

    def service_worker(self, build: str) -> str:
        """The service worker script: the template, importing its modules from the code folder."""
        template = _sw_template().read_text()
        if f'from "{protocol.SW_IMPORT_PREFIX}' not in template:
            raise FileNotFoundError(f"sw.js imports nothing from {protocol.SW_IMPORT_PREFIX}")
        # From the service worker's folder to the site root, then to the code.
        up = "../" * self.sw_path.count("/")
        return template.replace(
            f'from "{protocol.SW_IMPORT_PREFIX}', f'from "{up}{self.assets}/{code_folder()}/'
        ).replace("__LIVE_ASGI_BUILD__", build)

    def _compile(self, runtime: Runtime, embeds: list[EmbedOptions]) -> tuple[bytecode.Compiled | None, str]:
        """Bytecode for what the apps' starts import (see :mod:`.bytecode`)."""
        try:
            local = runtime.directory or npm_runtime(self.cache_dir)
        except OptionError as exc:
            return None, f"no local copy of the runtime: {exc}"
        wheels: list[Path] = []
        imports: list[str] = []
        bundles: dict[str, bytes] = {}
        targets: dict[str, str] = {}
        for options in embeds:
            source, resolution = self.prepare(options)
            wheels.extend(resolution.path(w) for w in resolution.wheels)
            imports.extend(name for w in resolution.wheels for name in w.imports)
            bundles[options.name] = self.bundle(source)
            targets[options.name] = options.target.partition(":")[0]
        return bytecode.compile_site(
            local,
            wheels,
            imports,
            bundles,
            [PACKAGE_DIR / name for name in PYTHON_FILES],
            self.cache_dir,
            targets,
        )

    @staticmethod
    def _served_files(assets: Path) -> list[Path]:
        """What the site serves to start an app, and the late standard library.

        Not the sources a traceback may fetch.
        """
        return [
            p
            for p in sorted(assets.rglob("*"))
            if p.is_file()
            and p.suffix not in precompress.ENCODINGS
            and not (
                p.relative_to(assets).parts[0].startswith("bytecode-")
                and p.relative_to(assets).parts[1] == "sources"
            )
        ]

    def write(self, outdir: Path, embeds: list[EmbedOptions]) -> list[AppReport]:
        """Write everything the embeds need into the built site.

        Raises:
            OptionError: for a runtime or app that cannot be had.
        """
        assets = outdir / self.assets
        runtime = locate_runtime(self.settings.pyodide, cache_dir=self.cache_dir, base_dir=self.config_dir)
        if runtime.directory is not None:
            for name in RUNTIME_FILES:
                _copy_if_changed(runtime.directory / name, assets / "pyodide" / name)
        code = assets / code_folder()
        for name in BROWSER_FILES:
            _copy_if_changed(BROWSER_DIR / name, code / name)
        for name in PYTHON_FILES:
            _copy_if_changed(PACKAGE_DIR / name, code / name)
        for stale in assets.glob("code-*"):
            if stale != code:
                shutil.rmtree(stale)

        # One app may be embedded on several pages: it is written once.
        unique = {e.name: e for e in embeds}
        ordered = sorted(unique.values(), key=lambda e: e.name)
        compiled, why_not = self._compile(runtime, ordered)
        if compiled is not None:
            bytecode_dir = assets / f"bytecode-{compiled.key}"
            _copy_if_changed(self._served_archive(compiled.stdlib), bytecode_dir / "python_stdlib.zip")
            _copy_if_changed(self._served_archive(compiled.late), bytecode_dir / LATE_STDLIB)
            for file in compiled.sources.rglob("*.py"):
                _copy_if_changed(file, bytecode_dir / "sources" / file.relative_to(compiled.sources))
            note = f"bytecode compiled for {compiled.modules} modules"
        else:
            note = f"no bytecode ({why_not})"
        for stale in assets.glob("bytecode-*"):
            if compiled is None or stale.name != f"bytecode-{compiled.key}":
                shutil.rmtree(stale)

        build = hashlib.sha256(PYODIDE_VERSION.encode())
        # The files each app's cold start fetches from this site: runtime, wheels, bundle.
        fetched: dict[str, tuple[list[Path], list[Path], Path]] = {}
        for options in ordered:
            source, resolution = self.prepare(options)
            wheels = list(resolution.wheels)
            if compiled is not None:
                bundle = compiled.bundles[options.name].read_bytes()
            else:
                bundle = self.bundle(source)
            if self.settings.precompress:
                bundle = precompress.stored_zip(bundle)
            wheels_dir = bytecode_dir if compiled is not None else assets / "wheels"
            for i, wheel in enumerate(wheels):
                path = self._served_archive(
                    compiled.wheels[wheel.file_name] if compiled is not None else resolution.path(wheel)
                )
                _copy_if_changed(path, wheels_dir / wheel.file_name)
                # The lock has the hash of the file served (Pyodide checks it).
                data = path.read_bytes()
                wheels[i] = replace(wheel, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
            lock = json.dumps(packages.make_lock(wheels), indent=1, sort_keys=True).encode()
            app_dir = (assets / protocol.manifest_path(options.name)).parent
            bundle_name = f"app-{apps.digest(bundle)}.zip"
            lock_name = f"lock-{apps.digest(lock)}.json"
            _write_if_changed(app_dir / bundle_name, bundle)
            _write_if_changed(app_dir / lock_name, lock)
            for stale in app_dir.glob("*"):
                if stale.name not in (bundle_name, lock_name, protocol.MANIFEST_NAME):
                    stale.unlink()
            content: protocol.Manifest = {
                "name": options.name,
                "target": options.target,
                "bundle": bundle_name,
                "lock": lock_name,
                "packages": [w.name for w in wheels],
                "wheels": f"../../bytecode-{compiled.key}/" if compiled else "../../wheels/",
                "debug": options.debug,
                "site_packages": pyodide_pin.SITE_PACKAGES,
                "bridge_imports": bridge_imports(),
            }
            if compiled is not None:
                # The standard library with bytecode (else the runtime's own).
                content["stdlib"] = f"../../bytecode-{compiled.key}/python_stdlib.zip"
                content["sources"] = f"../../bytecode-{compiled.key}/sources/"
                # The rest of the standard library, fetched when the app first imports one of it.
                content["late_stdlib"] = f"../../bytecode-{compiled.key}/{LATE_STDLIB}"
                content["late_modules"] = compiled.late_modules
            manifest = json.dumps(content, indent=1).encode()
            _write_if_changed(app_dir / protocol.MANIFEST_NAME, manifest)
            build.update(manifest)
            runtime_files = [assets / "pyodide" / name for name in FETCHED_RUNTIME_FILES]
            if runtime.directory is None:
                # From the CDN but the standard library with bytecode (see cdn_bytes below).
                runtime_files = [bytecode_dir / "python_stdlib.zip"] if compiled else []
            elif compiled is not None:
                runtime_files[FETCHED_RUNTIME_FILES.index("python_stdlib.zip")] = (
                    bytecode_dir / "python_stdlib.zip"
                )
            fetched[options.name] = (
                runtime_files,
                [wheels_dir / w.file_name for w in wheels],
                app_dir / bundle_name,
            )
        build.update(code_folder().encode())
        sw = self.service_worker(build.hexdigest()[:16])
        _write_if_changed(outdir / self.sw_path, sw.encode())
        served = [outdir / self.sw_path, *self._served_files(assets)]
        if self.settings.precompress:
            _, precompressed = precompress.precompress(served, self.cache_dir)
        else:
            precompressed = ""
            precompress.remove_siblings(served)
        cdn_bytes = 0
        if runtime.directory is None:
            cdn_bytes = CDN_RUNTIME_BYTES
            if compiled is not None:
                # Its standard library is not fetched (compiling had the release from npm).
                cdn_bytes -= (npm_runtime(self.cache_dir) / "python_stdlib.zip").stat().st_size
        reports = []
        for name, (runtime_files, wheel_files, bundle_file) in fetched.items():
            report = _measure(name, runtime_files, wheel_files, bundle_file, cdn_bytes)
            reports.append(replace(report, bytecode=note, precompressed=precompressed))
        self._written = {r.name: r for r in reports}
        for options in embeds:
            # An app URL opened in a new tab, reloaded or bookmarked gets this
            # page (from the SW, or from the server for a first visit).
            _write_if_changed(
                outdir / self.app_scope(options.name) / "index.html", self.shell_html(options).encode()
            )
        return reports

    def announce(self, page: Path) -> None:
        """Make the embeds of a page written before :meth:`write` announce what their start downloads.

        A page is written before the site's files and their compressed
        siblings, so it carries an estimate of the decoded bytes; this puts the
        sizes measured on the written files in its place (what travels, and
        what the browser decodes of it, for the progress bar).
        """
        if not self._written or not page.is_file():
            return
        text = page.read_text(encoding="utf-8")

        def measured(match: re.Match[str]) -> str:
            config = json.loads(html.unescape(match[1]))
            report = self._written.get(config.get("name"))
            if report is None:
                return match[0]
            config.update(download=report.total, decoded=report.decoded)
            return f'data-live-asgi="{html.escape(json.dumps(config))}"'

        _write_if_changed(page, _EMBED_CONFIG.sub(measured, text).encode("utf-8"))


#: An embed's settings in a written page (as :meth:`LiveSite.embed_html` writes them).
_EMBED_CONFIG = re.compile(r'data-live-asgi="([^"]*)"')

#: The classes of what stands in a page for an embed that could not be built
#: (an admonition of the theme's "error" kind, so every theme styles it).
ERROR_CLASSES = ("admonition", "error", "live-asgi-error")
ERROR_TITLE = "Live app error"


def error_html(text: str) -> str:
    """What a page shows where an app was meant to be and could not be built.

    The Sphinx adapter makes the same markup from docutils nodes.
    """
    return (
        f'<div class="{" ".join(ERROR_CLASSES)}">'
        f'<p class="admonition-title">{ERROR_TITLE}</p>'
        f"<p>{html.escape(text)}</p></div>"
    )


def name_conflict(
    options: EmbedOptions, uses: Iterable[tuple[str, EmbedOptions]]
) -> tuple[str, EmbedOptions] | None:
    """The first of ``uses`` (where, embed) that gives this embed's name to another app.

    One app may be embedded on many pages under one name; two different apps
    (another target or other requirements) may not share it.
    """
    for where, other in uses:
        if other.name == options.name and (other.target, other.requirements, other.inline) != (
            options.target,
            options.requirements,
            options.inline,
        ):
            return where, other
    return None


def conflict_message(options: EmbedOptions, where: str, other: EmbedOptions) -> str:
    """What an author is told when a second app takes an app's name."""
    return (
        f"the app name {options.name!r} is already used for {other.target} in {where}; "
        "give this app its own :name:"
    )


def page_in_app_folder(page_uri: str, names: Iterable[str], folder: str) -> str | None:
    """The app whose folder a docs page is written into (and which overwrites or hides it), or None.

    Args:
        page_uri: Where the page is written, relative to the site root
            (``app/todo/``, ``app/todo/index.html``).
        names: The apps' names.
        folder: The app folder setting.
    """
    sw = protocol.sw_path(folder)
    for name in names:
        scope = protocol.app_scope(name, folder)
        if page_uri == sw or page_uri.startswith(scope):
            return name
    return None
