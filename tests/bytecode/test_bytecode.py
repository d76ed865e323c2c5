"""Bytecode compiled at build time: an app's start compiles nothing in the browser.

Starts the sample site's FastAPI app from its built files exactly as the
browser's worker gets them (the manifest's standard library, wheels and
bundle) in Pyodide under Node, and counts the modules compiled from source.
The browser tests run the same files in Chromium.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from live_asgi_docs.bytecode import NODE_DIR, top_level_imports

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def probe(sample_sphinx_site: Path) -> dict[str, object]:
    assets = sample_sphinx_site / "_static" / "_live_asgi"
    proc = subprocess.run(
        ["node", str(HERE / "probe.mjs"), str(assets), "todo"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_the_apps_start_compiles_no_module_from_source(probe: dict[str, object]) -> None:
    assert probe["compiled_for_start"] == []
    assert probe["app_compiled"] == []
    # Bytecode instead of the source, in the standard library's zip and in wheels.
    assert str(probe["stdlib_file"]).endswith("/python314.zip/asyncio/__init__.pyc")
    assert str(probe["wheel_file"]).endswith("/site-packages/starlette/routing.pyc")


def test_tracebacks_through_compiled_modules_show_their_source_lines(probe: dict[str, object]) -> None:
    assert "raise NoMatchFound(" in str(probe["wheel_traceback"]), probe["wheel_traceback"]
    assert 'raise ValueError("Invalid IPv6 URL")' in str(probe["stdlib_traceback"]), probe["stdlib_traceback"]
    # Fetched from the site's sources folder, only the files the tracebacks show.
    assert probe["fetched"] == ["site-packages/starlette/routing.py", "stdlib/urllib/parse.py"]


def test_the_download_carries_bytecode_instead_of_sources(sample_sphinx_site: Path) -> None:
    assets = sample_sphinx_site / "_static" / "_live_asgi"
    manifest = json.loads((assets / "apps" / "todo" / "manifest.json").read_text())
    app_dir = assets / "apps" / "todo"
    with zipfile.ZipFile(app_dir / manifest["stdlib"]) as zf:
        names = set(zf.namelist())
        header = zf.read("asyncio/__init__.pyc")[:16]
    assert "asyncio/__init__.py" not in names
    # PEP 552 flags: hash-based (bit 0), not checked against the source (bit 1 clear).
    assert int.from_bytes(header[4:8], "little") == 0b01
    # Only what a start imports gets bytecode: the rest is source in the late zip.
    assert "difflib.py" not in names and "difflib.pyc" not in names
    with zipfile.ZipFile(app_dir / manifest["late_stdlib"]) as zf:
        assert "difflib.py" in zf.namelist()
    assert "difflib" in manifest["late_modules"]
    # Frozen into the interpreter: never read from the zip, so left as it is.
    assert "os.py" in names and "os.pyc" not in names
    sources = app_dir / manifest["sources"]
    assert (sources / "stdlib" / "asyncio" / "__init__.py").is_file()
    assert (sources / "site-packages" / "starlette" / "routing.py").is_file()
    wheels = app_dir / manifest["wheels"]
    with zipfile.ZipFile(next(wheels.glob("starlette-*.whl"))) as zf:
        names = set(zf.namelist())
        record = zf.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
    assert "starlette/routing.pyc" in names and "starlette/routing.py" not in names
    # The wheel's RECORD lists what it holds now.
    assert "starlette/routing.pyc,sha256=" in record and "starlette/routing.py," not in record
    # What no app in a page reads: type stubs, agents' instructions, a changelog.
    with zipfile.ZipFile(next(wheels.glob("pydantic_core-*.whl"))) as zf:
        assert not [n for n in zf.namelist() if n.endswith(".pyi") or "/sboms/" in n]
    with zipfile.ZipFile(next(wheels.glob("fastapi-*.whl"))) as zf:
        assert not [n for n in zf.namelist() if n.endswith(".md")]
    with zipfile.ZipFile(next(wheels.glob("pydantic-2*.whl"))) as zf:
        metadata = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "Requires-Dist: pydantic-core" in metadata and "## Changelog" not in metadata


def test_the_standard_library_is_split_into_what_starts_import_and_the_rest(
    sample_sphinx_site: Path, tmp_path: Path
) -> None:
    assets = sample_sphinx_site / "_static" / "_live_asgi"
    app_dir = assets / "apps" / "todo"
    manifest = json.loads((app_dir / "manifest.json").read_text())
    with zipfile.ZipFile(assets / "pyodide" / "python_stdlib.zip") as zf:
        original = {n for n in zf.namelist() if not n.endswith("/")}
    with zipfile.ZipFile(app_dir / manifest["stdlib"]) as zf:
        start = {n[:-1] if n.endswith(".pyc") else n for n in zf.namelist() if not n.endswith("/")}
    with zipfile.ZipFile(app_dir / manifest["late_stdlib"]) as zf:
        late = set(zf.namelist())
    # Nothing in both, nothing lost (a .pyc stands for its source).
    assert not start & late
    assert start | late == original
    # The index names every module of the late zip, and nothing else.
    modules = {n[:-3].removesuffix("/__init__").replace("/", ".") for n in late if n.endswith(".py")}
    assert set(manifest["late_modules"]) == modules
    # What the start imports stays; a package whose modules all went late leaves
    # nothing behind that zipimport would take for a namespace package.
    assert {"asyncio/__init__.py", "json/__init__.py", "typing.py"} <= start
    assert "xml/etree/ElementTree.py" in late and not [n for n in start if n.startswith(("xml/", "tomllib/"))]


def test_the_apps_imports_at_import_time_are_found_not_those_in_functions() -> None:
    source = (
        "import json, os.path\n"
        "from xml.etree import ElementTree as ET\n"
        "from . import sibling\n"
        "try:\n    import tomllib\nexcept ImportError:\n    tomllib = None\n"
        "class Model:\n    import csv\n"
        "def handler():\n    import difflib\n"
        "async def other():\n    from wave import open\n"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app/main.py", source)
        zf.writestr("app/broken.py", "def (:\n")
        zf.writestr("app/data.txt", "import sqlite3")
    assert top_level_imports(buf.getvalue()) == [
        "csv",
        "json",
        "os.path",
        "tomllib",
        "xml.etree",
        "xml.etree.ElementTree",
    ]


def _pycompile() -> Any:
    spec = importlib.util.spec_from_file_location("pycompile", NODE_DIR / "pycompile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_late_part_takes_unimported_modules_and_what_their_folders_would_leave_behind() -> None:
    prefix = "/lib/python314.zip/"
    names = [
        "json/", "json/__init__.py", "json/tool.py",  # imported package, one module not
        "xml/", "xml/__init__.py", "xml/etree/", "xml/etree/__init__.py",  # nothing imported
        "tomllib/", "tomllib/__init__.py", "tomllib/mypy.ini",  # a data file in a late package
        "os.py",  # frozen: imported, never read from the zip
        "pyodide/", "pyodide/console.py",  # Pyodide's own: always kept
        "site-packages/", "site-packages/README.txt",  # no package
        "difflib.py",
    ]  # fmt: skip
    started = {"json", "os", "sys"}
    late = _pycompile().late_entries(names, prefix, {prefix + "json/__init__.py"}, started)
    assert late == {
        "json/tool.py",
        "xml/", "xml/__init__.py", "xml/etree/", "xml/etree/__init__.py",
        "tomllib/", "tomllib/__init__.py", "tomllib/mypy.ini",
        "difflib.py",
    }  # fmt: skip


def test_an_app_whose_import_never_ends_does_not_hold_up_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An author's module that runs a server loop at import: the build's import of
    # it stops after the budget, what it imported before stays known, the rest works.
    pycompile = _pycompile()
    monkeypatch.setattr(pycompile, "APP_IMPORT_SECONDS", 1.0)
    (tmp_path / "loops").mkdir()
    (tmp_path / "loops" / "__init__.py").write_text("import colorsys\nwhile True:\n    pass\n")
    (tmp_path / "fine.py").write_text("app = 1\n")
    pycompile.import_apps([(str(tmp_path), "loops"), (str(tmp_path), "fine")])
    assert "colorsys" in sys.modules
    assert "loops" not in sys.modules and "fine" not in sys.modules
    assert sys.gettrace() is None
