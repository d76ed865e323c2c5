"""Resolving an app's requirements into wheels for Pyodide, once, at build time.

pip does the resolving (``pip download`` for the Pyodide platform tag); the
result is cached per requirement set and written as a lock file in Pyodide's
own ``pyodide-lock.json`` format, so the reader's browser installs exactly
these files with Pyodide's loader (sha256-checked) and resolves nothing.
"""

from __future__ import annotations

import email.message
import email.parser
import hashlib
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from . import pyodide_pin
from .options import OptionError

__all__ = [
    "Distribution",
    "Resolution",
    "Wheel",
    "build_local_project",
    "cache_root",
    "load_distribution",
    "make_lock",
    "resolve",
]

PYTHON_VERSION = pyodide_pin.PYTHON_VERSION
ABI = pyodide_pin.ABI
PLATFORM_TAG = pyodide_pin.PLATFORM_TAG
#: The ``info`` block of the pinned Pyodide's own lock file.
LOCK_INFO = pyodide_pin.LOCK_INFO
_EMSCRIPTEN_VERSION = pyodide_pin.EMSCRIPTEN
#: Environment markers as Pyodide's Python evaluates them (what
#: ``packaging.markers.default_environment()`` says in the reader's browser),
#: whatever machine the docs are built on.
MARKER_ENVIRONMENT: dict[str, str] = {
    "implementation_name": "cpython",
    "implementation_version": LOCK_INFO["python"],
    "os_name": "posix",
    "platform_machine": LOCK_INFO["arch"],
    "platform_python_implementation": "CPython",
    "platform_release": _EMSCRIPTEN_VERSION,
    "platform_system": "Emscripten",
    "platform_version": "#1",
    "python_full_version": LOCK_INFO["python"],
    "python_version": PYTHON_VERSION,
    "sys_platform": "emscripten",
}
#: Bump when the cached resolution format changes.
CACHE_FORMAT = 3
#: Folders of a local project that never go into its wheel's cache key.
LOCAL_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        "__pycache__",
        "build",
        "dist",
        ".venv",
        ".tox",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "_build",
    }
)


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


def publish_dir(tmp: Path, target: Path, complete: Callable[[Path], bool]) -> None:
    """Move a finished temporary folder to its place in the cache.

    Builds may run side by side (``sphinx-build -j``, two projects sharing a
    cache): when another one got there first, its folder is as good, as long
    as ``complete`` says so.
    """
    try:
        os.replace(tmp, target)
    except OSError:
        if not complete(target):
            raise


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


@dataclass(frozen=True)
class Distribution:
    """Pyodide's own package distribution: its lock file and where its files are.

    Packages with compiled code that PyPI has no Pyodide wheel for (markupsafe,
    pyyaml, ...) come from here, downloaded at build time like any other wheel.
    """

    base_url: str
    lock: dict[str, Any]

    def find_links(self, path: Path) -> Path:
        """Write an HTML page of the distribution's wheels for pip's --find-links.

        Each link carries its sha256, so pip checks the download against
        Pyodide's lock.
        """
        links = []
        for package in self.lock.get("packages", {}).values():
            file_name = package.get("file_name", "")
            if not file_name.endswith(".whl"):
                continue
            url = urllib.parse.urljoin(self.base_url, file_name)
            links.append(
                f'<a href="{html.escape(url)}#sha256={package["sha256"]}">{html.escape(file_name)}</a>'
            )
        path.write_text("<!doctype html><html><body>\n" + "\n".join(sorted(links)) + "\n</body></html>\n")
        return path


def load_distribution(
    setting: str, *, cache_dir: Path, base_dir: Path, runtime: Path | None = None
) -> Distribution | None:
    """Pyodide's distribution from the ``pyodide_packages`` setting.

    The lock comes from the setting's location (a directory, or a URL fetched
    once and cached); when that cannot be reached, from the vendored runtime,
    which carries the same lock file.
    """
    if not setting.startswith(("http://", "https://", "file://")):
        directory = (base_dir / setting).expanduser().resolve()
        lock_path = directory / "pyodide-lock.json"
        if not lock_path.is_file():
            raise OptionError(
                f"the pyodide_packages setting {setting!r} is neither an http(s) URL nor a "
                f"directory with a pyodide-lock.json (looked for {lock_path})"
            )
        return Distribution(directory.as_uri() + "/", json.loads(lock_path.read_text()))
    base = setting if setting.endswith("/") else setting + "/"
    cached = cache_dir / "distribution" / (hashlib.sha256(base.encode()).hexdigest()[:16] + ".json")
    if cached.is_file():
        return Distribution(base, json.loads(cached.read_text()))
    try:
        with urllib.request.urlopen(base + "pyodide-lock.json", timeout=30) as response:
            data = response.read()
        lock = json.loads(data)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, cached)
        return Distribution(base, lock)
    except (OSError, ValueError):
        if runtime is not None and runtime.is_file():
            return Distribution(base, json.loads(runtime.read_text()))
        return None


def _tree_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d not in LOCAL_SKIP_DIRS and not d.endswith(".egg-info"))
        for filename in sorted(filenames):
            path = Path(dirpath, filename)
            if path.suffix in (".pyc", ".pyo"):
                continue
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def build_local_project(directory: Path, cache_dir: Path) -> Path:
    """Build a project directory into a wheel (cached by the tree's content).

    This is how a library's docs demonstrate the library from the same
    repository: ``:requirements: ../`` builds it at docs-build time.

    Raises:
        OptionError: when the directory is not a buildable project.
    """
    if not (directory / "pyproject.toml").is_file() and not (directory / "setup.py").is_file():
        raise OptionError(
            f"the requirement {directory} is a directory but not a Python project "
            "(no pyproject.toml or setup.py); point it at the project's root"
        )
    target = cache_dir / "local-wheels" / _tree_digest(directory)
    built = sorted(target.glob("*.whl"))
    if built:
        return built[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, ignore_cleanup_errors=True) as tmp:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-input",
                "--disable-pip-version-check",
                "--wheel-dir",
                tmp,
                str(directory),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise OptionError(
                f"building the local project {directory} into a wheel failed:\n"
                + _pip_tail(proc.stderr)
                + "\nFix the project's build (try 'pip wheel --no-deps' on it)."
            )
        tags = parse_wheel_filename(wheels[0].name)[3]
        if not any(t.platform == "any" or t.platform == PLATFORM_TAG for t in tags):
            raise OptionError(
                f"the local project {directory} built a wheel for this machine "
                f"({wheels[0].name}), not for Pyodide; a project with compiled code must be "
                "built with pyodide-build, and the .whl file listed as the requirement"
            )
        publish_dir(Path(tmp), target, lambda t: any(t.glob("*.whl")))
    return sorted(target.glob("*.whl"))[0]


def _pip_tail(stderr: str, lines: int = 12) -> str:
    kept = [
        line
        for line in stderr.splitlines()
        if line.strip()
        and "is ignored: it is neither" not in line
        and not line.startswith("WARNING: Running pip")
    ]
    return "\n".join(kept[-lines:])


def _expand(requirement: str, base_dir: Path, cache_dir: Path) -> str:
    """A requirement as pip gets it: local wheels and projects become wheel paths."""
    if not (requirement.startswith((".", "/", "~")) or requirement.endswith(".whl")):
        return requirement
    path = (base_dir / Path(requirement).expanduser()).resolve()
    if path.is_dir():
        return str(build_local_project(path, cache_dir))
    if path.is_file() and path.suffix == ".whl":
        return str(path)
    raise OptionError(
        f"the requirement {requirement!r} looks like a path, but {path} is neither a "
        "wheel file nor a project directory"
    )


def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if os.path.isfile(path) else ""


def _pip_download(
    requirements: tuple[str, ...], dest: Path, options: list[str]
) -> subprocess.CompletedProcess[str]:
    """Run ``pip download`` for Pyodide: its wheels, its environment markers."""
    cmd = [
        sys.executable,
        "-m",
        "live_asgi_docs.pyodide_pip",
        "download",
        "--no-input",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--platform",
        PLATFORM_TAG,
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--abi",
        ABI,
        "--dest",
        str(dest),
        *options,
        *requirements,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def _metadata(path: Path) -> email.message.Message:
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        return email.parser.BytesParser().parsebytes(zf.read(name), headersonly=True)


def _time_zone_requirements(wheels: list[Path]) -> list[str]:
    """``tzdata`` as the closure declares it for Windows, if Pyodide would go without.

    Python's ``zoneinfo`` reads the system's time zone database and falls back
    to the ``tzdata`` package. Windows has no such database, nor has Pyodide,
    so packages that need time zones declare ``tzdata; sys_platform ==
    "win32"`` (Django, for its default ``USE_TZ = True``): what they declare
    for Windows, the reader's browser gets as well.
    """
    if any(canonicalize_name(parse_wheel_filename(w.name)[0]) == "tzdata" for w in wheels):
        return []
    windows = {**MARKER_ENVIRONMENT, "os_name": "nt", "sys_platform": "win32", "platform_system": "Windows"}
    wanted = []
    for wheel in wheels:
        for line in _metadata(wheel).get_all("Requires-Dist") or []:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if canonicalize_name(requirement.name) != "tzdata" or requirement.marker is None:
                continue
            if requirement.marker.evaluate(windows) and not requirement.marker.evaluate(MARKER_ENVIRONMENT):
                wanted.append(f"tzdata{requirement.specifier}")
    return sorted(set(wanted))


def resolve(
    requirements: tuple[str, ...],
    *,
    cache_dir: Path,
    index_url: str | None = None,
    base_dir: Path | None = None,
    requirements_file: Path | None = None,
    distribution: Distribution | None = None,
    time_zones: bool = False,
) -> Resolution:
    """Resolve requirements into wheels for Pyodide, cached on disk.

    Environment markers are evaluated as in Pyodide (:data:`MARKER_ENVIRONMENT`),
    not for the build machine. Packages of Pyodide's own distribution are
    offered to pip beside the index, so one that only the distribution has
    (markupsafe, pyyaml, ...) is found wherever it sits in the closure; for a
    version both have, the index's file is taken.

    Args:
        requirements: PEP 508 requirements, paths to ``.whl`` files or to
            project directories (built into wheels).
        cache_dir: The download cache root.
        index_url: The package index (``None``: pip's configuration).
        base_dir: What relative paths are relative to.
        requirements_file: A ``requirements.txt`` to add (pip reads it).
        distribution: Pyodide's distribution, for packages only it provides.
        time_zones: The app itself uses ``zoneinfo``: ``tzdata`` is added, as
            Pyodide has no time zone database (see :func:`_time_zone_requirements`).

    Raises:
        OptionError: what could not be resolved, why, and what to do.
    """
    if not requirements and requirements_file is None and not time_zones:
        return Resolution(cache_dir, ())
    base = base_dir or Path.cwd()
    reqs = tuple(_expand(r, base, cache_dir) for r in requirements)
    key_src = json.dumps(
        {
            "reqs": sorted(reqs),
            "local": sorted(_file_digest(r) for r in reqs),
            "file": requirements_file.read_text() if requirements_file else None,
            "index": index_url,
            "distribution": distribution.base_url if distribution else None,
            "platform": PLATFORM_TAG,
            "markers": MARKER_ENVIRONMENT,
            "time_zones": time_zones,
            "format": CACHE_FORMAT,
        },
        sort_keys=True,
    )
    key = hashlib.sha256(key_src.encode()).hexdigest()[:20]
    target = cache_dir / "resolved" / key
    manifest = target / "resolution.json"
    if manifest.is_file():
        return _load(target)

    (cache_dir / "resolved").mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache_dir / "resolved"))
    work = Path(tempfile.mkdtemp(prefix=".work-", dir=cache_dir / "resolved"))
    try:
        options: list[str] = []
        if index_url:
            options += ["--index-url", index_url]
        if requirements_file is not None:
            options += ["--requirement", str(requirements_file)]
        if distribution is not None:
            # pip takes, of two equal files, the one listed last: the index's.
            page = distribution.find_links(work / "pyodide-distribution.html")
            options += ["--find-links", str(page)]
        first = (*reqs, "tzdata") if time_zones else reqs
        wanted = first
        while True:
            proc = _pip_download(wanted, tmp, options)
            if proc.returncode != 0:
                from .diagnose import explain_failure

                raise OptionError(
                    explain_failure(
                        requirements + ((f"-r {requirements_file}",) if requirements_file else ()),
                        proc.stdout + "\n" + proc.stderr,
                        index_url=index_url,
                        distribution=distribution,
                    )
                )
            declared = _time_zone_requirements(sorted(tmp.glob("*.whl")))
            if not declared or wanted != first:
                break
            # Once more with tzdata, into an empty folder: the closure may change.
            wanted = (*reqs, *declared)
            for stale in tmp.glob("*.whl"):
                stale.unlink()
        wheels = sorted((_describe(p) for p in tmp.glob("*.whl")), key=lambda w: canonicalize_name(w.name))
        (tmp / "resolution.json").write_text(
            json.dumps({"requirements": list(requirements), "wheels": [asdict(w) for w in wheels]}, indent=1)
        )
        publish_dir(tmp, target, lambda t: (t / "resolution.json").is_file())
        return _load(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


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
