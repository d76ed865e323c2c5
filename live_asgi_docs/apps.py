"""Finding an app's code in the author's directories and bundling it."""

from __future__ import annotations

import ast
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .options import OptionError

__all__ = [
    "AppSource",
    "app_files",
    "bundle_app",
    "check_target",
    "find_app",
    "requirements_file",
    "uses_time_zones",
]

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


def module_file(source: AppSource, module: str) -> Path | None:
    """The source file of ``module`` in the app's code, or ``None`` if it has none."""
    parts = module.split(".")
    if source.top_level.is_file():
        return source.top_level if len(parts) == 1 else None
    tail = source.top_level.joinpath(*parts[1:])
    for candidate in (tail / "__init__.py", tail.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def uses_time_zones(source: AppSource) -> bool:
    """Whether the app's own code imports ``zoneinfo`` (which needs a time zone database).

    A file that does not parse counts as not importing it: the build reports
    the syntax error where it checks the app's target.
    """
    files = [source.top_level] if source.top_level.is_file() else sorted(source.top_level.rglob("*.py"))
    for path in files:
        if any(part in EXCLUDED_DIRS for part in path.relative_to(source.root).parts):
            continue
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "zoneinfo" for a in node.names):
                return True
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "zoneinfo":
                return True
    return False


def _bound_names(body: list[ast.stmt]) -> dict[str, int] | None:
    """The names a module's top level binds, with their lines; ``None`` if unknowable.

    Follows ``if``/``try``/``with`` blocks (conditional definitions count); a
    ``from x import *`` or a module ``__getattr__`` makes any name possible.
    """
    names: dict[str, int] = {}

    def bind(target: ast.expr, line: int) -> None:
        if isinstance(target, ast.Name):
            names.setdefault(target.id, line)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                bind(element.value if isinstance(element, ast.Starred) else element, line)

    def walk(statements: list[ast.stmt]) -> bool:
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if node.name == "__getattr__":
                    return False
                names.setdefault(node.name, node.lineno)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    bind(target, node.lineno)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                bind(node.target, node.lineno)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name == "*":
                        return False
                    names.setdefault(alias.asname or alias.name.split(".")[0], node.lineno)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                bind(node.target, node.lineno)
                if not walk(node.body + node.orelse):
                    return False
            elif isinstance(node, (ast.If, ast.While)):
                if not walk(node.body + node.orelse):
                    return False
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        bind(item.optional_vars, node.lineno)
                if not walk(node.body):
                    return False
            elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                handlers = [h.body for h in getattr(node, "handlers", [])]
                blocks = [node.body, *handlers, node.orelse, node.finalbody]  # type: ignore[attr-defined]
                if not all(walk(block) for block in blocks):
                    return False
            elif isinstance(node, ast.Match):
                if not all(walk(case.body) for case in node.cases):
                    return False
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.NamedExpr):
                bind(node.value.target, node.lineno)
        return True

    return names if walk(body) else None


def check_target(source: AppSource, module: str, attr: str) -> None:
    """Check, without importing the app, that ``module`` defines ``attr``'s first name.

    Reads the module's source: an assignment, ``def``, ``class`` or import of
    the name at its top level. Code that defines names in ways a reader of the
    source cannot see (``from x import *``, a module ``__getattr__``) passes.

    Raises:
        OptionError: naming the module's file and what it does define.
    """
    path = module_file(source, module)
    if path is None:
        return
    name = attr.split(".")[0]
    if path.name == "__init__.py" and (
        (path.parent / f"{name}.py").is_file() or (path.parent / name / "__init__.py").is_file()
    ):
        return  # a submodule of the package: imported as an attribute
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:
        raise OptionError(
            f"the app module {module!r} cannot be read: {exc.msg} ({path}, line {exc.lineno}); fix its syntax"
        ) from None
    bound = _bound_names(tree.body)
    if bound is None or name in bound:
        return
    public = [n for n in bound if not n.startswith("_")]
    likely = [n for n in public if n in ("app", "application", "asgi", "api", "server")]
    hint = f"; it defines {', '.join(likely or public[:8])}" if public else "; it defines no names"
    suggestion = f"write '{module}:{likely[0]}'" if likely else f"define {name} in it"
    raise OptionError(
        f"the app module {module!r} ({path}) has no top-level {name!r}{hint}. "
        f"Fix the target: {suggestion}, or assign the ASGI app to {name} (e.g. '{name} = FastAPI()')"
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


def app_files(source: AppSource) -> list[tuple[str, Path]]:
    """The files of the app's bundle: (path relative to ``source.root``, file), sorted."""
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
    return files


def bundle_app(source: AppSource) -> bytes:
    """Zip the app's top-level package with its data files, reproducibly.

    The archive unpacks into a directory that goes on ``sys.path``.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, path in app_files(source):
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def digest(data: bytes) -> str:
    """A short content hash, used in file names so caches never go stale."""
    return hashlib.sha256(data).hexdigest()[:16]
