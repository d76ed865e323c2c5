"""What a site with live apps consists of, and writing it: the core both adapters call.

An adapter (Sphinx, MkDocs) makes one :class:`LiveSite` per build, calls
:meth:`LiveSite.prepare` for every embed it meets (errors surface then, at the
embed's line), renders :meth:`LiveSite.embed_html` into the page, and calls
:meth:`LiveSite.write` once at the end of a successful build.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import apps, packages
from .options import PYODIDE_VERSION, EmbedOptions, OptionError, Settings
from .runtime import RUNTIME_FILES, locate_runtime

__all__ = ["AppReport", "LiveSite", "SW_PATH"]

PACKAGE_DIR = Path(__file__).parent
BROWSER_DIR = PACKAGE_DIR / "browser"
#: The service worker script, relative to the site root. Its directory bounds
#: the scopes it may be registered with: every ``app/<name>/``.
SW_PATH = "app/live-asgi-sw.js"
BROWSER_FILES = ("loader.js", "embed.js", "worker.js", "live-asgi.css")
#: The bridge and what it imports, run in Pyodide (worker.js fetches them
#: next to each other).
PYTHON_FILES = ("bridge.py", "pyodide_compat.py")


def _sw_template() -> Path:
    # Installed: shipped inside the package; in a checkout: the top-level folder.
    for candidate in (PACKAGE_DIR / "sw_template" / "sw.js", PACKAGE_DIR.parent / "sw_template" / "sw.js"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("sw_template/sw.js is missing from the installation")


@dataclass(frozen=True)
class AppReport:
    """What a reader downloads for one app, in bytes (uncompressed)."""

    name: str
    runtime: int
    wheels: int
    app: int

    @property
    def total(self) -> int:
        """Everything a reader downloads on a cold start."""
        return self.runtime + self.wheels + self.app


def _copy_if_changed(source: Path, dest: Path) -> None:
    if dest.is_file() and dest.stat().st_size == source.stat().st_size and dest.stat().st_mtime >= source.stat().st_mtime:
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

    @property
    def app_dirs(self) -> list[Path]:
        """The directories searched for app code, absolute."""
        return [(self.config_dir / d).resolve() for d in self.settings.app_dirs]

    def prepare(self, options: EmbedOptions) -> tuple[apps.AppSource, packages.Resolution]:
        """Find the app and resolve its requirements.

        Raises:
            OptionError: what is wrong and how to fix it.
        """
        source = apps.find_app(options.module, self.app_dirs)
        resolution = packages.resolve(
            options.requirements,
            cache_dir=self.cache_dir,
            index_url=self.settings.index_url,
            base_dir=self.config_dir,
        )
        return source, resolution

    def runtime_url(self) -> str:
        """The runtime's base URL, absolute or relative to the assets folder."""
        if self.settings.pyodide == "cdn":
            from .options import PYODIDE_CDN

            return PYODIDE_CDN
        return "pyodide/"

    def embed_html(self, options: EmbedOptions, root: str) -> str:
        """The HTML of an embed.

        Args:
            options: The embed.
            root: The URL of the site root relative to the page (``""``,
                ``"../"``, ...).
        """
        root = root if not root or root.endswith("/") else root + "/"
        config = {
            "name": options.name,
            "path": options.path,
            "height": options.height,
            "root": root or "./",
            "assets": f"{root}{self.assets}/",
            "runtime": self.runtime_url(),
        }
        height = "480px" if options.height == "auto" else options.height
        label = html.escape(f"Live app “{options.name}”")
        return (
            f'<div class="live-asgi" data-live-asgi="{html.escape(json.dumps(config))}" '
            f'style="--live-asgi-height: {html.escape(height)}">'
            f'<div class="live-asgi-status" role="status" aria-live="polite">'
            f'<span class="live-asgi-message">{label} starts when this page loads.</span>'
            f'<progress aria-label="{label}: progress"></progress></div>'
            f'<iframe class="live-asgi-frame" title="{label}" hidden></iframe>'
            f'<noscript>{label} needs JavaScript.</noscript>'
            "</div>"
        )

    def write(self, outdir: Path, embeds: list[EmbedOptions]) -> list[AppReport]:
        """Write everything the embeds need into the built site.

        Raises:
            OptionError: for a runtime or app that cannot be had.
        """
        assets = outdir / self.assets
        runtime = locate_runtime(self.settings.pyodide, cache_dir=self.cache_dir, base_dir=self.config_dir)
        runtime_size = 0
        if runtime.directory is not None:
            for name in RUNTIME_FILES:
                _copy_if_changed(runtime.directory / name, assets / "pyodide" / name)
                runtime_size += (runtime.directory / name).stat().st_size
        for name in BROWSER_FILES:
            _copy_if_changed(BROWSER_DIR / name, assets / name)
        for name in PYTHON_FILES:
            _copy_if_changed(PACKAGE_DIR / name, assets / name)

        build = hashlib.sha256(PYODIDE_VERSION.encode())
        reports = []
        for options in sorted(embeds, key=lambda e: e.name):
            source, resolution = self.prepare(options)
            for wheel in resolution.wheels:
                _copy_if_changed(resolution.path(wheel), assets / "wheels" / wheel.file_name)
            bundle = apps.bundle_app(source)
            lock = json.dumps(packages.make_lock(resolution.wheels), indent=1, sort_keys=True).encode()
            app_dir = assets / "apps" / options.name
            bundle_name = f"app-{apps.digest(bundle)}.zip"
            lock_name = f"lock-{apps.digest(lock)}.json"
            _write_if_changed(app_dir / bundle_name, bundle)
            _write_if_changed(app_dir / lock_name, lock)
            for stale in app_dir.glob("*"):
                if stale.name not in (bundle_name, lock_name, "manifest.json"):
                    stale.unlink()
            manifest = json.dumps(
                {
                    "name": options.name,
                    "target": options.target,
                    "bundle": bundle_name,
                    "lock": lock_name,
                    "packages": [w.name for w in resolution.wheels],
                    "wheels": "../../wheels/",
                    "debug": options.debug,
                },
                indent=1,
            ).encode()
            _write_if_changed(app_dir / "manifest.json", manifest)
            build.update(manifest)
            reports.append(
                AppReport(
                    name=options.name,
                    runtime=runtime_size,
                    wheels=sum(w.size for w in resolution.wheels),
                    app=len(bundle),
                )
            )
        for name in (*BROWSER_FILES, *PYTHON_FILES):
            build.update((assets / name).read_bytes())
        sw = _sw_template().read_text().replace("__LIVE_ASGI_BUILD__", build.hexdigest()[:16])
        _write_if_changed(outdir / SW_PATH, sw.encode())
        return reports


def check_unique(embeds: dict[str, list[tuple[str, EmbedOptions]]]) -> None:
    """Raise :class:`OptionError` when two pages use one app name differently."""
    for name, uses in embeds.items():
        targets = {(e.target, e.requirements) for _, e in uses}
        if len(targets) > 1:
            where = ", ".join(loc for loc, _ in uses)
            raise OptionError(
                f"the app name {name!r} is used for different apps ({where}); give each "
                "its own :name:"
            )
