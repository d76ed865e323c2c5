"""A stand-in for Pyodide's package distribution, built by the tests from real sdists.

Pyodide's distribution (its CDN) is unreachable here. The packages only it
has, because PyPI has no Pyodide wheel of them, are markupsafe and pyyaml;
both fall back to pure Python when no C compiler can be found, so building
their sdists with the compiler hidden gives ``py3-none-any`` wheels that run
in Pyodide (slower, same behaviour). The folder gets a ``pyodide-lock.json``
in Pyodide's own format, which is what the ``pyodide_packages`` setting
(``live_asgi_pyodide_packages``) reads.

Use the session fixture ``pyodide_distribution`` (``tests/conftest.py``): a
directory to pass as ``live_asgi_pyodide_packages`` (``-D`` on a Sphinx
command line, ``confoverrides`` in a Sphinx test, ``pyodide_packages`` in
``mkdocs.yml``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

from live_asgi_docs.packages import LOCK_INFO, publish_dir

__all__ = ["PURE_FALLBACKS", "build_distribution", "cached_distribution"]

#: The packages and versions Pyodide 314.0.7's distribution has, that PyPI has
#: no Pyodide wheel of.
PURE_FALLBACKS = {"markupsafe": "3.0.3", "pyyaml": "6.0.3"}


def _imports(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        tops = {n.split("/")[0] for n in zf.namelist() if "/" in n}
    return sorted(t for t in tops if not t.endswith((".dist-info", ".data")))


def build_distribution(directory: Path) -> None:
    """Build the stand-in's wheels from their sdists into ``directory``, with its lock.

    Raises:
        RuntimeError: when pip fails or a wheel comes out compiled.
    """
    directory.mkdir(parents=True, exist_ok=True)
    # No compiler: the packages' own fallbacks build pure-Python wheels.
    env = {
        **os.environ,
        "CC": "/bin/false",
        "CXX": "/bin/false",
        "LDSHARED": "/bin/false",
        "PYYAML_FORCE_LIBYAML": "0",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-input",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--no-binary",
            ",".join(PURE_FALLBACKS),
            "--wheel-dir",
            str(directory),
            *(f"{name}=={version}" for name, version in PURE_FALLBACKS.items()),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"building the stand-in distribution failed:\n{proc.stdout}\n{proc.stderr}")
    packages = {}
    for wheel in sorted(directory.glob("*.whl")):
        name, version, _build, tags = parse_wheel_filename(wheel.name)
        if {t.platform for t in tags} != {"any"}:
            raise RuntimeError(f"{wheel.name} was built with compiled code; the stand-in needs pure wheels")
        key = str(canonicalize_name(name))
        packages[key] = {
            "name": key,
            "version": str(version),
            "file_name": wheel.name,
            "install_dir": "site",
            "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "package_type": "package",
            "imports": _imports(wheel),
            "depends": [],
            "unvendored_tests": False,
            "shared_library": False,
        }
    if set(packages) != set(PURE_FALLBACKS):
        raise RuntimeError(f"the stand-in distribution has {sorted(packages)}, not {sorted(PURE_FALLBACKS)}")
    info = {k: v for k, v in LOCK_INFO.items() if k != "version"}
    (directory / "pyodide-lock.json").write_text(json.dumps({"info": info, "packages": packages}, indent=1))


def cached_distribution(cache_dir: Path) -> Path:
    """The stand-in, built once per machine (its inputs are pinned) under ``cache_dir``."""
    key = hashlib.sha256(json.dumps([PURE_FALLBACKS, LOCK_INFO], sort_keys=True).encode()).hexdigest()[:16]
    target = cache_dir / "test-distribution" / key
    if (target / "pyodide-lock.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        build_distribution(Path(tmp) / "dist")
        publish_dir(Path(tmp) / "dist", target, lambda t: (t / "pyodide-lock.json").is_file())
    return target
