"""Bytecode compiled at build time: an app's start compiles nothing in the browser.

Starts the sample site's FastAPI app from its built files exactly as the
browser's worker gets them (the manifest's standard library, wheels and
bundle) in Pyodide under Node, and counts the modules compiled from source.
The browser tests run the same files in Chromium.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

HERE = Path(__file__).parent

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")


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
    # The standard library's bytecode sits beside its source in the zip.
    assert str(probe["stdlib_file"]).endswith("/python314.zip/asyncio/__init__.pyc")


def test_tracebacks_through_compiled_modules_show_their_source_lines(probe: dict[str, object]) -> None:
    assert "raise NoMatchFound(" in str(probe["wheel_traceback"]), probe["wheel_traceback"]
    assert 'raise ValueError("Invalid IPv6 URL")' in str(probe["stdlib_traceback"]), probe["stdlib_traceback"]


def test_the_bytecode_is_unchecked_hash_and_the_sources_stay(sample_sphinx_site: Path) -> None:
    assets = sample_sphinx_site / "_static" / "_live_asgi"
    manifest = json.loads((assets / "apps" / "todo" / "manifest.json").read_text())
    stdlib = assets / "apps" / "todo" / manifest["stdlib"]
    with zipfile.ZipFile(stdlib) as zf:
        names = set(zf.namelist())
        header = zf.read("asyncio/__init__.pyc")[:16]
    assert "asyncio/__init__.py" in names
    # PEP 552 flags: hash-based (bit 0), not checked against the source (bit 1 clear).
    assert int.from_bytes(header[4:8], "little") == 0b01
    # Only what a start imports gets bytecode: the download stays small.
    assert "tkinter/__init__.pyc" not in names and "unittest/__init__.pyc" not in names
