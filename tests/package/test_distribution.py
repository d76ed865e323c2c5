"""The package as PyPI gets it: the sdist and wheel built, checked, and the wheel used.

The wheel is installed (not editable) with its ``[sphinx]`` and ``[mkdocs]`` extras into
a fresh virtualenv outside the checkout; that environment builds a Sphinx site whose
app then runs in Chromium, and a strict MkDocs build with MkDocs' own theme.
"""

from __future__ import annotations

import email
import email.message
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
from browser.helpers import app_frame, open_embed, wait_frame_text

import live_asgi_docs
from live_asgi_docs.site import BROWSER_FILES, PYTHON_FILES

REPO = Path(__file__).resolve().parents[2]
NAME = f"live_asgi_docs-{live_asgi_docs.__version__}"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``python -m build``: the sdist, and the wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"sdist": out / f"{NAME}.tar.gz", "wheel": out / f"{NAME}-py3-none-any.whl"}


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        return email.message_from_bytes(zf.read(f"{NAME}.dist-info/METADATA"))


def test_sdist_holds_what_builds_the_wheel_and_no_tests_it_cannot_run(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as tar:
        names = {m.name.removeprefix(f"{NAME}/") for m in tar.getmembers() if m.isfile()}
    required = {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "PKG-INFO", "sw_template/sw.js"}
    assert required <= names, required - names
    package = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "live_asgi_docs").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert package <= names, package - names
    # The tests need the checkout (sample docs, benchmark, browser set-up):
    # shipping them would ship tests that fail.
    assert not [n for n in names if n.startswith(("tests/", "bench/", "sample-docs/", "docs/"))]


def test_wheel_metadata_says_what_pypi_shows(dist: dict[str, Path]) -> None:
    meta = _metadata(dist["wheel"])
    assert meta["Name"] == "live-asgi-docs"
    assert meta["Version"] == live_asgi_docs.__version__
    assert meta["License-Expression"] == "MIT"
    assert meta["License-File"] == "LICENSE"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues", "Changelog", "Documentation"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())
    assert set(meta.get_all("Provides-Extra") or []) >= {"sphinx", "mkdocs", "test"}
    requires = meta.get_all("Requires-Dist") or []
    by_extra: dict[str, set[str]] = {}
    for req in requires:
        spec, _, marker = req.partition(";")
        extra = marker.split("extra ==")[-1].strip().strip("'\"") if "extra ==" in marker else ""
        by_extra.setdefault(extra, set()).add(spec.split(">")[0].split("=")[0].strip().lower())
    assert {"sphinx", "myst-parser"} <= by_extra["sphinx"]
    # MkDocs users choose their theme: Material is not forced on them.
    assert by_extra["mkdocs"] == {"mkdocs"}
    assert "build" in by_extra["test"]
    # README links and images must work on PyPI, where relative ones are dead.
    description = meta.get_payload()
    assert isinstance(description, str)
    assert "](docs/" not in description and "](./" not in description
    assert "https://raw.githubusercontent.com/" in description


def test_wheel_holds_the_browser_runtime_service_worker_and_types(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as zf:
        names = set(zf.namelist())
        entry_points = zf.read(f"{NAME}.dist-info/entry_points.txt").decode()
    expected = {f"live_asgi_docs/browser/{n}" for n in BROWSER_FILES}
    expected |= {f"live_asgi_docs/{n}" for n in PYTHON_FILES}
    expected |= {"live_asgi_docs/sw_template/sw.js", "live_asgi_docs/py.typed"}
    expected.add(f"{NAME}.dist-info/licenses/LICENSE")
    assert expected <= names, expected - names
    assert "live-asgi = live_asgi_docs.mkdocs_plugin:LiveAsgiPlugin" in entry_points


APP = '''
"""A plain ASGI app and a Starlette one: the site needs a requirement resolved."""
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route


async def home(request):
    return HTMLResponse("<h1 id=greeting>Hello from the installed wheel</h1>")

app = Starlette(routes=[Route("/", home)])
'''


def _run(cmd: list[str], cwd: Path) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{cmd}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def venv(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel and its [sphinx] and [mkdocs] extras."""
    home = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", str(home / "env")], home)
    python = home / "env" / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", f"{dist['wheel']}[sphinx,mkdocs]"], home)
    where = _run([str(python), "-c", "import live_asgi_docs; print(live_asgi_docs.__file__)"], home)
    assert str(home / "env") in where and str(REPO) not in where, where
    return home / "env" / "bin"


@pytest.mark.browser
def test_installed_wheel_builds_a_sphinx_site_whose_app_runs(
    venv: Path, tmp_path: Path, context: Any, serve: Any
) -> None:
    project = tmp_path / "docs"
    (project / "apps" / "hello").mkdir(parents=True)
    (project / "apps" / "hello" / "__init__.py").write_text(APP)
    (project / "conf.py").write_text(
        textwrap.dedent(
            """
            project = "installed"
            extensions = ["myst_parser", "live_asgi_docs"]
            live_asgi_app_dirs = ["apps"]
            live_asgi_pyodide = "npm"
            """
        )
    )
    (project / "index.rst").write_text(".. toctree::\n\n   page\n\nHome\n====\n")
    (project / "page.md").write_text("# A page\n\n```{live-asgi} hello:app\n:requirements: starlette\n```\n")
    out = tmp_path / "html"
    log = _run([str(venv / "python"), "-m", "sphinx", "-W", "-b", "html", str(project), str(out)], tmp_path)
    assert "live-asgi: app 'hello': a reader downloads" in log
    assert (out / "_static" / "_live_asgi" / "pyodide" / "pyodide.asm.wasm").is_file()

    page = open_embed(context, serve(out) + "page.html")
    frame = app_frame(page)
    wait_frame_text(frame, "#greeting", "Hello from the installed wheel")


def test_installed_wheel_builds_a_strict_mkdocs_site_without_material(venv: Path, tmp_path: Path) -> None:
    freeze = _run([str(venv / "python"), "-m", "pip", "freeze"], tmp_path).lower()
    assert "mkdocs==" in freeze and "mkdocs-material" not in freeze
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "plain.py").write_text(
        "async def app(scope, receive, send):\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': b'plain'})\n"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\n```{live-asgi} plain:app\n:height: 300px\n```\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: installed\nplugins:\n  - live-asgi:\n      app_dirs: [apps]\n      pyodide: npm\n"
    )
    _run([str(venv / "mkdocs"), "build", "--strict", "-d", str(tmp_path / "site")], tmp_path)
    index = (tmp_path / "site" / "index.html").read_text()
    assert 'class="live-asgi"' in index
    assert (tmp_path / "site" / "assets" / "_live_asgi" / "apps" / "plain" / "manifest.json").is_file()
    assert (tmp_path / "site" / "app" / "live-asgi-sw.js").is_file()
