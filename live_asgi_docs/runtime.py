"""Where the Pyodide runtime comes from: the CDN, or files vendored into the site."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .options import PYODIDE_CDN, PYODIDE_VERSION, OptionError
from .packages import publish_dir

__all__ = ["RUNTIME_FILES", "Runtime", "locate_runtime", "npm_runtime"]

#: The files of the Pyodide distribution a page needs (no packages: the
#: app's wheels come with the app).
RUNTIME_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)


@dataclass(frozen=True)
class Runtime:
    """The runtime a site uses.

    Attributes:
        url: The absolute base URL, when the runtime is not vendored.
        directory: The local directory whose files are copied into the site.
    """

    url: str | None
    directory: Path | None

    @property
    def vendored(self) -> bool:
        """Whether the runtime's files are copied into the built site."""
        return self.directory is not None


def _complete(directory: Path) -> bool:
    return all((directory / name).is_file() for name in RUNTIME_FILES)


def _check_dir(directory: Path, where: str) -> Path:
    missing = [name for name in RUNTIME_FILES if not (directory / name).is_file()]
    if missing:
        raise OptionError(
            f"the Pyodide runtime in {where} lacks {', '.join(missing)}; point the "
            f"pyodide setting at an unpacked Pyodide {PYODIDE_VERSION} distribution "
            '(or use "npm" or "cdn")'
        )
    lock = json.loads((directory / "pyodide-lock.json").read_text())
    version = lock.get("info", {}).get("version")
    if version and version != PYODIDE_VERSION:
        raise OptionError(
            f"the Pyodide runtime in {where} is version {version}, but this release "
            f"of live-asgi-docs needs {PYODIDE_VERSION} (its wheels are built for it)"
        )
    return directory


def _from_npm(cache_dir: Path) -> Path:
    target = cache_dir / f"pyodide-npm-{PYODIDE_VERSION}"
    if _complete(target):
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise OptionError(
            'the pyodide setting is "npm", but npm is not on PATH; install Node.js '
            'and npm, or use "cdn" or a directory with the Pyodide files'
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        proc = subprocess.run(
            [npm, "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            check=False,
        )
        tarballs = list(Path(tmp).glob("pyodide-*.tgz"))
        if proc.returncode != 0 or not tarballs:
            raise OptionError(
                f"'npm pack pyodide@{PYODIDE_VERSION}' failed: {proc.stderr.strip()[-500:]}; "
                'check npm\'s registry access, or use "cdn" or a directory'
            )
        unpacked = Path(tmp, "unpacked")
        unpacked.mkdir()
        with tarfile.open(tarballs[0]) as tar:
            for member in tar.getmembers():
                name = member.name.removeprefix("package/")
                if name in RUNTIME_FILES and member.isfile():
                    source = tar.extractfile(member)
                    assert source is not None
                    (unpacked / name).write_bytes(source.read())
        _check_dir(unpacked, f"npm package pyodide@{PYODIDE_VERSION}")
        publish_dir(unpacked, target, _complete)
    return target


def npm_runtime(cache_dir: Path) -> Path:
    """A local copy of the pinned runtime from npm (for build-time work on a CDN site).

    Raises:
        OptionError: npm is missing or failed.
    """
    return _from_npm(cache_dir)


def _from_url(url: str, cache_dir: Path) -> Path:
    base = url if url.endswith("/") else url + "/"
    key = hashlib.sha256(base.encode()).hexdigest()[:16]
    target = cache_dir / f"pyodide-url-{key}"
    if _complete(target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, ignore_cleanup_errors=True) as tmp:
        for name in RUNTIME_FILES:
            try:
                with urllib.request.urlopen(base + name, timeout=60) as resp:
                    Path(tmp, name).write_bytes(resp.read())
            except OSError as exc:
                raise OptionError(
                    f"could not download {base + name} for the Pyodide runtime: {exc}; "
                    'check the URL, or use "npm" or a local directory'
                ) from None
        _check_dir(Path(tmp), base)
        publish_dir(Path(tmp), target, _complete)
    return target


def locate_runtime(setting: str, *, cache_dir: Path, base_dir: Path) -> Runtime:
    """Turn the ``pyodide`` setting into a :class:`Runtime`.

    Raises:
        OptionError: for a directory without the files, a failed download or
            a wrong version.
    """
    if setting == "cdn":
        return Runtime(url=PYODIDE_CDN, directory=None)
    if setting == "npm":
        return Runtime(url=None, directory=_from_npm(cache_dir))
    if setting.startswith(("http://", "https://")):
        return Runtime(url=None, directory=_from_url(setting, cache_dir))
    directory = (base_dir / setting).expanduser().resolve()
    if not directory.is_dir():
        raise OptionError(
            f'the pyodide setting {setting!r} is not "cdn", "npm", an http(s) URL '
            f"or an existing directory (looked for {directory})"
        )
    return Runtime(url=None, directory=_check_dir(directory, str(directory)))
