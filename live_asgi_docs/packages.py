"""Resolving an app's requirements into wheels for Pyodide, once, at build time.

pip does the resolving (``pip download`` for the Pyodide platform tag); the
result is cached per requirement set and written as a lock file in Pyodide's
own ``pyodide-lock.json`` format, so the reader's browser installs exactly
these files with Pyodide's loader (sha256-checked) and resolves nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

from .options import PYODIDE_VERSION, OptionError

__all__ = ["Resolution", "Wheel", "resolve", "make_lock", "cache_root"]

PYTHON_VERSION = "3.14"
ABI = "cp314"
PLATFORM_TAG = "pyemscripten_2026_0_wasm32"
#: The ``info`` block of Pyodide 314.0.7's own lock file.
LOCK_INFO = {
    "abi_version": "2026_0",
    "arch": "wasm32",
    "platform": "emscripten_5_0_3",
    "python": "3.14.2",
    "version": PYODIDE_VERSION,
}
#: Bump when the cached resolution format changes.
CACHE_FORMAT = 1


@dataclass(frozen=True)
class Wheel:
    """One resolved wheel, as the lock file describes it."""

    name: str
    version: str
    file_name: str
    sha256: str
    size: int
    imports: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    """The wheels that satisfy one set of requirements, and where they lie."""

    directory: Path
    wheels: tuple[Wheel, ...]

    def path(self, wheel: Wheel) -> Path:
        """The wheel's file in the cache."""
        return self.directory / wheel.file_name


def cache_root(setting: str | None) -> Path:
    """The download cache: the setting, ``$LIVE_ASGI_DOCS_CACHE``, or per user."""
    if setting:
        return Path(setting).expanduser()
    env = os.environ.get("LIVE_ASGI_DOCS_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "live-asgi-docs"


def _wheel_imports(path: Path) -> tuple[str, ...]:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        top_level = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        if top_level:
            text = zf.read(top_level[0]).decode("utf-8", errors="replace")
            found = {line.strip().split("/")[0] for line in text.splitlines() if line.strip()}
            return tuple(sorted(found))
    found = set()
    for name in names:
        first, sep, _ = name.partition("/")
        if sep and not first.endswith((".dist-info", ".data")):
            found.add(first)
        elif not sep and name.endswith(".py"):
            found.add(name[:-3])
    return tuple(sorted(found))


def _describe(path: Path) -> Wheel:
    dist, version, _build, _tags = parse_wheel_filename(path.name)
    data = path.read_bytes()
    return Wheel(
        name=str(dist),
        version=str(version),
        file_name=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        imports=_wheel_imports(path),
    )


def _pip_error(requirements: tuple[str, ...], stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip() and "is ignored: it is neither" not in line]
    detail = "\n".join(lines[-8:])
    return (
        f"could not resolve the requirements {', '.join(requirements)} into wheels "
        f"for Pyodide {PYODIDE_VERSION} (Python {PYTHON_VERSION}, platform {PLATFORM_TAG}). "
        "Pyodide can only install pure-Python wheels (py3-none-any) and wheels built "
        f"for {PLATFORM_TAG}; pip said:\n{detail}\n"
        "Check the spelling and versions, pin a version that ships such a wheel, or "
        "build one with pyodide-build and list the .whl file as a requirement."
    )


def resolve(
    requirements: tuple[str, ...],
    *,
    cache_dir: Path,
    index_url: str | None = None,
    base_dir: Path | None = None,
) -> Resolution:
    """Resolve requirements into wheels for Pyodide, cached on disk.

    Args:
        requirements: PEP 508 requirements or paths to ``.whl`` files.
        cache_dir: The download cache root.
        index_url: The package index (``None``: pip's configuration).
        base_dir: What relative wheel paths are relative to.

    Raises:
        OptionError: if pip cannot resolve them, with pip's reason.
    """
    if not requirements:
        return Resolution(cache_dir, ())
    reqs = tuple(
        str((base_dir or Path.cwd()) / r) if r.endswith(".whl") and not os.path.isabs(r) else r
        for r in requirements
    )
    key_src = json.dumps(
        {"reqs": sorted(reqs), "index": index_url, "platform": PLATFORM_TAG, "format": CACHE_FORMAT},
        sort_keys=True,
    )
    key = hashlib.sha256(key_src.encode()).hexdigest()[:20]
    target = cache_dir / "resolved" / key
    manifest = target / "resolution.json"
    if manifest.is_file():
        return _load(target)

    (cache_dir / "resolved").mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache_dir / "resolved"))
    try:
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-input",
            "--disable-pip-version-check", "--only-binary=:all:",
            "--platform", PLATFORM_TAG, "--python-version", PYTHON_VERSION,
            "--implementation", "cp", "--abi", ABI, "--dest", str(tmp),
        ]
        if index_url:
            cmd += ["--index-url", index_url]
        proc = subprocess.run([*cmd, *reqs], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise OptionError(_pip_error(requirements, proc.stderr))
        wheels = sorted(
            (_describe(p) for p in tmp.glob("*.whl")), key=lambda w: canonicalize_name(w.name)
        )
        (tmp / "resolution.json").write_text(
            json.dumps({"requirements": list(requirements), "wheels": [asdict(w) for w in wheels]}, indent=1)
        )
        try:
            os.replace(tmp, target)
        except OSError:
            # Another build (sphinx-build -j) got there first: theirs is as good.
            if not manifest.is_file():
                raise
        return _load(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _load(directory: Path) -> Resolution:
    data = json.loads((directory / "resolution.json").read_text())
    wheels = tuple(Wheel(**{**w, "imports": tuple(w["imports"])}) for w in data["wheels"])
    return Resolution(directory, wheels)


def make_lock(wheels: tuple[Wheel, ...] | list[Wheel]) -> dict[str, object]:
    """A lock file in Pyodide's ``pyodide-lock.json`` format for these wheels.

    ``file_name`` is relative: the browser passes the wheels' folder as
    ``packageBaseUrl``. Dependencies are already resolved, so every package is
    installed by name and none lists ``depends``.
    """
    return {
        "info": LOCK_INFO,
        "packages": {
            str(canonicalize_name(w.name)): {
                "name": w.name,
                "version": w.version,
                "file_name": w.file_name,
                "install_dir": "site",
                "sha256": w.sha256,
                "package_type": "package",
                "imports": list(w.imports),
                "depends": [],
                "unvendored_tests": False,
                "shared_library": False,
            }
            for w in wheels
        },
    }
