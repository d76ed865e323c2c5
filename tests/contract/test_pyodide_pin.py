"""The Pyodide pin is in one place, and the vendored runtime is the release it names."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from live_asgi_docs import packages, pyodide_pin
from live_asgi_docs.runtime import npm_runtime
from live_asgi_docs.site import FETCHED_RUNTIME_FILES

PACKAGE = Path(pyodide_pin.__file__).parent
REPO = PACKAGE.parent


def test_the_vendored_runtime_is_the_pinned_release() -> None:
    runtime = npm_runtime(packages.cache_root(None))
    lock = json.loads((runtime / "pyodide-lock.json").read_text())
    # The release's lock has no version of its own; the locks a build writes add it.
    assert {**lock["info"], "version": pyodide_pin.VERSION} == pyodide_pin.LOCK_INFO
    # The loader says which release it is; the pin's CDN serves that one.
    versions = set(re.findall(r"\b\d+\.\d+\.\d+\b", (runtime / "pyodide.mjs").read_text()))
    assert pyodide_pin.VERSION in versions
    assert f"/v{pyodide_pin.VERSION}/" in pyodide_pin.CDN
    # What the reader is told a CDN start downloads is what the release weighs.
    assert sum((runtime / n).stat().st_size for n in FETCHED_RUNTIME_FILES) == pyodide_pin.CDN_RUNTIME_BYTES
    # The standard library is the pinned Python's, and packages go where the pin says.
    with zipfile.ZipFile(runtime / "python_stdlib.zip") as stdlib:
        assert "asyncio/__init__.py" in stdlib.namelist()
    assert pyodide_pin.SITE_PACKAGES == f"/lib/python{pyodide_pin.PYTHON_VERSION}/site-packages"
    assert pyodide_pin.PLATFORM_TAG == f"pyemscripten_{lock['info']['abi_version']}_{lock['info']['arch']}"


def test_no_other_file_of_the_package_spells_the_pin() -> None:
    spelled = {
        pyodide_pin.VERSION,
        pyodide_pin.PYTHON,
        pyodide_pin.PLATFORM_TAG,
        pyodide_pin.SITE_PACKAGES,
        f"{pyodide_pin.ABI}-{pyodide_pin.ABI}",
        f'"{pyodide_pin.PYTHON_VERSION}"',
        str(pyodide_pin.CDN_RUNTIME_BYTES),
        f"{pyodide_pin.CDN_RUNTIME_BYTES:_}",
    }
    sources = [
        p
        for p in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.js"), *REPO.glob("sw_template/*.js")]
        if p.name != "pyodide_pin.py"
    ]
    found = [(p.name, s) for p in sources for s in spelled if s in p.read_text(encoding="utf-8")]
    assert found == []
