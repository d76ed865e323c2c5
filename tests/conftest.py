"""Fixtures shared by every layer of tests: built sites, a static server, Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

# The flags Chromium needs on these machines, kept once for tests and benchmark.
from bench.run import CHROMIUM_ARGS

pytest_plugins = ["sphinx.testing.fixtures"]

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DOCS = REPO / "sample-docs"


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Where the Sphinx test projects (``roots/test-*``) are."""
    return Path(__file__).parent / "roots"


def sphinx_build(source: Path, outdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run a real ``sphinx-build``; return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", *extra, str(source), str(outdir)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def pyodide_distribution() -> Path:
    """A stand-in for Pyodide's package distribution (see ``tests/distribution.py``).

    A directory with a ``pyodide-lock.json`` and pure wheels of markupsafe and
    pyyaml built from their sdists; pass it as ``live_asgi_pyodide_packages``
    (``sphinx_build(..., "-D", f"live_asgi_pyodide_packages={path}")``) or as
    the MkDocs plugin's ``pyodide_packages``.
    """
    from distribution import cached_distribution

    from live_asgi_docs.packages import cache_root

    return cached_distribution(cache_root(None))


@pytest.fixture(scope="session")
def sample_sphinx_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample docs built by Sphinx with a vendored runtime, warning-free."""
    out = tmp_path_factory.mktemp("sample-sphinx")
    proc = sphinx_build(SAMPLE_DOCS / "sphinx", out, "-W")
    assert proc.returncode == 0, proc.stderr
    return out


MKDOCS_BUILD = """
import json, logging, sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, BuildError, ConfigurationError
logging.basicConfig(level=logging.INFO, format="%(levelname)s - %(message)s")
try:
    build(load_config(sys.argv[1], **json.loads(sys.argv[2])))
except (Abort, BuildError, ConfigurationError) as exc:
    sys.exit(f"mkdocs build failed: {exc}")
"""


def mkdocs_build(
    config_file: Path, site_dir: Path, strict: bool = True, **overrides: object
) -> subprocess.CompletedProcess[str]:
    """Run a real MkDocs build (its API, as ``mkdocs build`` does) with config overrides."""
    settings = {"site_dir": str(site_dir), "strict": strict, **overrides}
    return subprocess.run(
        [sys.executable, "-c", MKDOCS_BUILD, str(config_file), json.dumps(settings)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


class StaticServer:
    """A built site served on 127.0.0.1 in a thread."""

    def __init__(self, directory: Path) -> None:
        from live_asgi_docs.serve import make_server

        self.httpd = make_server(directory, port=0, quiet=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def serve() -> Iterator[object]:
    """``serve(directory)`` starts a static server and returns its base URL."""
    servers: list[StaticServer] = []

    def start(directory: Path) -> str:
        server = StaticServer(directory)
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def build_sample_mkdocs() -> object:
    """``build_sample_mkdocs(site_dir, site_url)`` builds the sample MkDocs site strictly."""

    def build(site_dir: Path, site_url: str) -> None:
        proc = mkdocs_build(SAMPLE_DOCS / "mkdocs" / "mkdocs.yml", site_dir, site_url=site_url)
        assert proc.returncode == 0, proc.stderr

    return build


@pytest.fixture(scope="session")
def sample_mkdocs_site(
    tmp_path_factory: pytest.TempPathFactory, serve: object, build_sample_mkdocs: object
) -> str:
    """The sample MkDocs site built strictly and served; returns its URL.

    Built with ``site_url`` set to where it is served: Material's instant
    navigation only intercepts links to the URLs in the site's sitemap.
    """
    out = tmp_path_factory.mktemp("sample-mkdocs")
    url: str = serve(out)  # type: ignore[operator]
    build_sample_mkdocs(out, url)  # type: ignore[operator]
    return url


def chromium_executable() -> str:
    """Debian's Chromium (or ``LIVE_ASGI_CHROMIUM``); the test fails without it."""
    executable = (
        os.environ.get("LIVE_ASGI_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if executable is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (or set LIVE_ASGI_CHROMIUM)")
    return executable


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (a test fails without it)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def context(browser: object) -> Iterator[object]:
    """A fresh browser profile (no cache, no service workers) for one test."""
    ctx = browser.new_context()  # type: ignore[attr-defined]
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def shared_context(browser: object) -> Iterator[object]:
    """One browser profile for the tests of a module that share booted apps.

    Only for tests that neither need a fresh profile (first-visit downloads,
    the service workers registered) nor change what they share.
    """
    ctx = browser.new_context()  # type: ignore[attr-defined]
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def bridge_site_url(tmp_path_factory: pytest.TempPathFactory, serve: object) -> str:
    """The docs project ``roots/test-bridge`` built once and served (bridge and WebSocket tests)."""
    out = tmp_path_factory.mktemp("bridge-site")
    proc = sphinx_build(Path(__file__).parent / "roots" / "test-bridge", out, "-W")
    assert proc.returncode == 0, proc.stderr
    return str(serve(out))  # type: ignore[operator]


@pytest.fixture(scope="session")
def bridge_context(browser: object) -> Iterator[object]:
    """One profile for the modules that boot the bridge site's apps: its caches carry over.

    Each module boots its own pages in it (its own app instances); a later
    boot of the same app starts from the browser's caches and snapshot, as a
    reader's revisit does.
    """
    ctx = browser.new_context()  # type: ignore[attr-defined]
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()


@pytest.fixture
def revisit(shared_context: object) -> Iterator[object]:
    """The module's shared profile, for a test that boots apps in pages of its own.

    Its apps start as a reader's revisit does (from the browser's caches and the
    app's snapshot), each its own instance; the pages it opens close after it.
    """
    before = list(shared_context.pages)  # type: ignore[attr-defined]
    yield shared_context
    for page in shared_context.pages:  # type: ignore[attr-defined]
        if page not in before:
            page.close()


def embed_configs(page: Path) -> list[dict[str, Any]]:
    """The settings of the embeds of a built page."""
    return [json.loads(unescape(m)) for m in re.findall(r'data-live-asgi="([^"]+)"', page.read_text())]


def cold_start_files(assets: Path, app: str) -> list[Path]:
    """What a cold start of ``app`` fetches from the site (as the browser test sees it)."""
    app_dir = assets / "apps" / app
    manifest = json.loads((app_dir / "manifest.json").read_text())
    fetched = [assets / "pyodide" / name for name in ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm")]
    fetched += [app_dir / manifest["stdlib"], app_dir / manifest["bundle"]]
    lock = json.loads((app_dir / manifest["lock"]).read_text())
    fetched += [app_dir / manifest["wheels"] / lock["packages"][n]["file_name"] for n in manifest["packages"]]
    return fetched


def brotli_bytes(files: list[Path]) -> int:
    """The files as a Brotli-accepting browser gets them: their .br siblings, or themselves."""
    siblings = [f.with_name(f.name + ".br") for f in files]
    return sum((b if b.is_file() else f).stat().st_size for f, b in zip(files, siblings, strict=True))
