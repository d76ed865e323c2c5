"""Finding an app's code in the author's directories and bundling it."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .options import OptionError

__all__ = ["AppSource", "bundle_app", "find_app", "requirements_file"]

#: Files and folders that never belong in an app bundle.
EXCLUDED_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".hg",
        ".svn",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".venv",
        "node_modules",
    }
)
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".DS_Store", "~", ".swp")


@dataclass(frozen=True)
class AppSource:
    """Where an app's top-level package or module lives on disk.

    Attributes:
        root: The directory that goes on ``sys.path``.
        top_level: The top-level package directory or ``.py`` file.
    """

    root: Path
    top_level: Path


def find_app(module: str, app_dirs: list[Path]) -> AppSource:
    """Find the top-level package of ``module`` and check the module exists.

    Raises:
        OptionError: naming every directory searched and what to set.
    """
    parts = module.split(".")
    for root in app_dirs:
        package = root / parts[0]
        single = root / f"{parts[0]}.py"
        if package.is_dir():
            tail = package.joinpath(*parts[1:])
            if len(parts) == 1 or tail.with_suffix(".py").is_file() or (tail / "__init__.py").is_file():
                return AppSource(root=root, top_level=package)
            raise OptionError(
                f"the package {parts[0]!r} is in {root}, but it has no module "
                f"{module!r} (looked for {tail.with_suffix('.py')} and {tail / '__init__.py'})"
            )
        if single.is_file() and len(parts) == 1:
            return AppSource(root=root, top_level=single)
    searched = ", ".join(str(d) for d in app_dirs) or "(none: the list is empty)"
    raise OptionError(
        f"the app module {module!r} was not found; searched {searched}. Put the "
        f"package '{parts[0]}/' or the module '{parts[0]}.py' in one of them, or "
        "add its parent directory to the app directories setting "
        "(live_asgi_app_dirs in conf.py, app_dirs in mkdocs.yml)"
    )


def requirements_file(source: AppSource) -> Path | None:
    """The app's own ``requirements.txt``, if it has one.

    For a package it lies in the package folder; for a single module
    ``name.py``, beside it as ``name.requirements.txt``.
    """
    if source.top_level.is_dir():
        candidate = source.top_level / "requirements.txt"
    else:
        candidate = source.top_level.with_suffix(".requirements.txt")
    return candidate if candidate.is_file() else None


def _included(path: Path) -> bool:
    return not path.name.endswith(EXCLUDED_SUFFIXES)


def bundle_app(source: AppSource) -> bytes:
    """Zip the app's top-level package with its data files, reproducibly.

    The archive unpacks into a directory that goes on ``sys.path``.
    """
    files: list[tuple[str, Path]] = []
    if source.top_level.is_file():
        files.append((source.top_level.name, source.top_level))
    else:
        for dirpath, dirnames, filenames in os.walk(source.top_level):
            dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS)
            for filename in sorted(filenames):
                path = Path(dirpath, filename)
                if _included(path):
                    files.append((path.relative_to(source.root).as_posix(), path))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, path in files:
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def digest(data: bytes) -> str:
    """A short content hash, used in file names so caches never go stale."""
    return hashlib.sha256(data).hexdigest()[:16]
