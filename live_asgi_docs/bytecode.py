"""Bytecode compiled at build time, for the modules an app's start imports.

A cold start in the browser otherwise compiles every module it imports (the
standard library's and the wheels'), which costs more than downloading them.
Compiling needs Pyodide's own CPython (the ``.pyc`` magic number must match),
so it runs the site's runtime in Node: ``node/compile.mjs`` with
``node/pycompile.py``. Without Node (or a local runtime) the site is written
without bytecode and works as before, only slower to start.

The same run splits the standard library: what the starts import (the apps'
modules too, and what their code imports at its top level, found with
:func:`top_level_imports`) stays in the zip the runtime mounts; the rest
goes to a second zip that the browser fetches only when an app first imports
one of those modules (``pyodide_compat.late_stdlib``).

Results are cached by everything they depend on, so a rebuild costs nothing.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .packages import publish_dir

__all__ = ["NODE_DIR", "Compiled", "compile_site", "top_level_imports"]

NODE_DIR = Path(__file__).parent / "node"
#: Where the browser unpacks an app's bundle (worker.js), followed by its name.
APPS_HOME = "/home/pyodide/live_asgi_apps/"
#: Node has no wall clock for a hung runtime; a compile takes seconds.
TIMEOUT = 600


@dataclass(frozen=True)
class Compiled:
    """The compiled files of one site, in the cache.

    Attributes:
        key: A digest of everything they were made from (names the site folder).
        stdlib: The standard-library zip a start mounts, with ``.pyc`` files.
        late: The rest of the standard library (sources), fetched on its first import.
        late_modules: The modules (and packages) in ``late``.
        wheels: Compiled wheels by file name.
        bundles: Compiled app bundles by app name.
        modules: How many modules were compiled.
        sources: The sources that bytecode replaced, in folders ``stdlib/`` and
            ``site-packages/`` (the browser fetches one when a traceback shows it).
    """

    key: str
    stdlib: Path
    late: Path
    late_modules: list[str]
    wheels: dict[str, Path]
    bundles: dict[str, Path]
    modules: int
    sources: Path


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def _imports_at_import_time(tree: ast.Module) -> list[str]:
    """The absolute imports a module makes when it is imported (not those in its functions)."""
    found: list[str] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module and not node.level:
                found.append(node.module)
                # ``from xml.etree import ElementTree`` imports a submodule.
                found += [f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"]
        else:
            todo.extend(ast.iter_child_nodes(node))
    return found


def top_level_imports(bundle: bytes) -> list[str]:
    """What the modules of an app's bundle (a zip) import when they are imported.

    Names that are no module (``from os import path`` gives ``os.path`` too,
    ``from json import dumps`` ``json.dumps``) are tried and fail harmlessly.
    """
    found: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        for name in zf.namelist():
            if not name.endswith(".py"):
                continue
            try:
                tree = ast.parse(zf.read(name))
            except (SyntaxError, ValueError):
                continue  # the app's own error, shown when it starts
            found.update(_imports_at_import_time(tree))
    return sorted(found)


def compile_site(
    runtime_dir: Path,
    wheels: list[Path],
    imports: list[str],
    bundles: dict[str, bytes],
    bridge: list[Path],
    cache_dir: Path,
    targets: dict[str, str] | None = None,
) -> tuple[Compiled | None, str]:
    """Compile what the apps' starts import; return the result or why there is none.

    Args:
        runtime_dir: A local Pyodide runtime (``pyodide.mjs``, ``python_stdlib.zip``, ...).
        wheels: Every wheel of the site's apps.
        imports: The import names of the apps' packages.
        bundles: Every app's code (a zip) by app name.
        bridge: ``bridge.py`` and ``pyodide_compat.py``.
        cache_dir: Where results are kept between builds.
        targets: The module of every app's target by app name: imported as
            the app's start imports it, so that what it imports is the start's.
    """
    node = shutil.which("node")
    if node is None:
        return None, "Node.js is not on PATH"
    wheels = sorted(set(wheels), key=lambda p: p.name)
    imports = sorted(set(imports))
    app_imports = sorted({m for data in bundles.values() for m in top_level_imports(data)})
    targets = {name: targets[name] for name in sorted(bundles) if name in targets} if targets else {}
    key = _digest(
        *(p.read_bytes() for p in sorted(NODE_DIR.iterdir()) if p.is_file() and p.suffix in (".py", ".mjs")),
        (runtime_dir / "python_stdlib.zip").read_bytes(),
        (runtime_dir / "pyodide-lock.json").read_bytes(),
        *(p.read_bytes() for p in bridge),
        json.dumps([[p.name, _digest(p.read_bytes())] for p in wheels]).encode(),
        json.dumps(imports).encode(),
        json.dumps(app_imports).encode(),
        json.dumps(targets).encode(),
        json.dumps({name: _digest(data) for name, data in sorted(bundles.items())}).encode(),
    )
    target = cache_dir / f"bytecode-{key}"
    names = sorted(bundles)

    def complete(folder: Path) -> bool:
        return (folder / "report.json").is_file()

    if not complete(target):
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir, ignore_cleanup_errors=True) as tmp:
            work = Path(tmp)
            out = work / "out"
            (out / "bundles").mkdir(parents=True)
            job_bundles = []
            for name in names:
                (work / f"{name}.zip").write_bytes(bundles[name])
                job_bundles.append(
                    {
                        "path": str(work / f"{name}.zip"),
                        "out": str(out / "bundles" / f"{name}.zip"),
                        "prefix": APPS_HOME + name,
                        "target": targets.get(name, ""),
                    }
                )
            job = {
                "runtime": str(runtime_dir),
                "out": str(out),
                "wheels": [str(p) for p in wheels],
                "bundles": job_bundles,
                "imports": imports,
                "app_imports": app_imports,
                "bridge": [str(p) for p in bridge],
            }
            (work / "job.json").write_text(json.dumps(job))
            try:
                proc = subprocess.run(
                    [node, str(NODE_DIR / "compile.mjs"), str(work / "job.json")],
                    capture_output=True,
                    text=True,
                    timeout=TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return None, f"compiling in Node took more than {TIMEOUT} s"
            if proc.returncode != 0:
                return None, f"compiling in Node failed: {proc.stderr.strip()[-800:]}"
            try:
                report = json.loads(proc.stdout)
            except ValueError:
                return None, f"compiling in Node gave no report: {proc.stdout[-300:]!r}"
            with zipfile.ZipFile(out / "sources.zip") as zf:
                zf.extractall(out / "sources")
            (out / "sources.zip").unlink()
            (out / "report.json").write_text(json.dumps(report))
            publish_dir(out, target, complete)
    report = json.loads((target / "report.json").read_text())
    modules = int(report.get("stdlib", 0)) + int(report.get("wheels", 0)) + int(report.get("bundles", 0))
    return (
        Compiled(
            key=key,
            stdlib=target / "python_stdlib.zip",
            late=target / "python_stdlib_late.zip",
            late_modules=[str(m) for m in report.get("late", [])],
            wheels={p.name: target / "wheels" / p.name for p in wheels},
            bundles={name: target / "bundles" / f"{name}.zip" for name in names},
            modules=modules,
            sources=target / "sources",
        ),
        "",
    )
