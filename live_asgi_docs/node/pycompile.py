"""Bytecode compiled at build time, so that the reader's browser compiles none.

Runs inside Pyodide (under Node, started by ``compile.mjs``): the ``.pyc``
files must carry the magic number of Pyodide's CPython, which the Python that
builds the docs may not share. It imports what an app's start imports (the
bridge, the lock's packages), then writes bytecode for exactly the modules
that were loaded:

- in the standard library zip and in wheels, *instead of* their source
  (``x.pyc`` where ``x.py`` was, as Pyodide's own ``py-compile`` does): a
  download carries each module once. The sources go to a folder of their own
  that the browser fetches from only when a traceback shows their lines.
  A module that reads its own source while it is imported (anyio builds its
  lazy imports with ``inspect.getsource``) keeps it, with its bytecode beside;
- in the app's bundle, in ``__pycache__/`` beside the source (the app's code is
  small, its editor and its tracebacks read it).

Every ``.pyc`` is *unchecked-hash* (PEP 552): a timestamp ``.pyc`` would be
stale in the browser, where unpacking gives every file a new modification
time (and ``zipimport`` compares DOS times), so the source would be compiled
anyway. Their code objects name the source's path, so tracebacks and
``linecache`` look for the source where it was.

Wheels also lose what no app running in a page reads: type stubs (``.pyi``),
``tests/`` folders, documentation files, SBOMs and the long description in
``METADATA``.

The standard library is split in two: the modules a start imports (and
Pyodide's own packages, and what the modules frozen into the interpreter
read for tracebacks) stay in the zip the runtime mounts; every other module
goes, as source, to a second zip (``late``) that the browser fetches only when
an app first imports one of them (``_live_asgi_compat.late_stdlib``).

What this module itself needs to write archives is imported only after the
start's imports were recorded, so that it does not count as the start's.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from collections.abc import Iterable
from importlib import _bootstrap_external
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import zipfile

__all__ = [
    "compile_all",
    "compile_bundle",
    "compile_stdlib",
    "compile_wheel",
    "import_all",
    "import_apps",
    "late_entries",
    "loaded_files",
    "module_name",
    "pyc",
    "pyodide_imports",
    "start_imports",
    "unneeded",
]

#: Deflate's best: every byte here is downloaded by every reader, compressed once.
LEVEL = 9
#: What a first request commonly imports of the standard library (see compile_all).
FIRST_REQUEST = (
    "encodings.idna",
    "encodings.unicode_escape",
    "http.cookies",
    "importlib.resources",
    "importlib.resources._adapters",
    "importlib.resources.readers",
    "importlib.readers",
)
#: Pyodide's own packages: its JavaScript API imports their modules at times
#: no build-time run sees, so they always stay in the start's zip (small).
PYODIDE_PACKAGES = ("pyodide", "_pyodide")


def pyc(source: bytes, filename: str) -> bytes:
    """An unchecked-hash ``.pyc`` of ``source`` for this interpreter."""
    code = compile(source, filename, "exec", dont_inherit=True, optimize=0)
    digest = importlib.util.source_hash(source)
    return bytes(_bootstrap_external._code_to_hash_pyc(code, digest, checked=False))  # type: ignore[attr-defined]


def import_all(names: Iterable[str]) -> list[str]:
    """Import modules; return those that failed (an app never imports them either)."""
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name)
    return failed


def start_imports(imports: list[str], app_imports: list[str]) -> list[str]:
    """Import what an app's start imports; return what failed (of the lock's packages).

    The bridge (and what it supplies before an app is imported), the lock's
    packages, the modules the apps' own code imports at its top level
    (``app_imports``: of the standard library and of the packages; the apps'
    own modules are not on ``sys.path`` here, their import fails harmlessly),
    and the standard-library modules that Pyodide's own loaded modules import
    anywhere (:func:`pyodide_imports`).
    """
    failed = import_all(["_live_asgi_bridge", *imports])
    try:
        # What the bridge supplies before an app is imported (threads, ...).
        compat = importlib.import_module("_live_asgi_bridge")._compat()
        compat.install()
        # What the finder of the late standard library imports to work at all.
        import_all(compat.LATE_STDLIB_IMPORTS)
    except Exception:
        pass
    stdlib = sys.stdlib_module_names
    # The packages' modules the apps import too (django.core.asgi, datasette.app):
    # what they import is the start's. The apps' own modules are not on sys.path.
    import_all(app_imports)
    # What Pyodide's own loaded modules import when called (its package
    # loader imports tarfile as it installs a package): the worker calls them
    # before any finder of ours can be added.
    import_all(name for name in pyodide_imports() if name.partition(".")[0] in stdlib)
    return failed


def pyodide_imports() -> set[str]:
    """Every module the loaded modules of Pyodide's own packages import, in functions too."""
    import ast

    found: set[str] = set()
    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] not in PYODIDE_PACKAGES:
            continue
        try:
            source = module.__loader__.get_source(name)  # type: ignore[union-attr]
        except Exception:
            continue
        for node in ast.walk(ast.parse(source or "")):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return found


#: How long an app's import may run at build time: an app whose import never
#: ends (a server loop at module level) is left to the browser, which says so.
APP_IMPORT_SECONDS = 20.0


class AppImportTimeout(BaseException):
    """An app's import ran past :data:`APP_IMPORT_SECONDS` (a BaseException: apps catch Exception)."""


def _deadline(deadline: float):  # type: ignore[no-untyped-def]
    """A trace function that stops the traced code once ``deadline`` (monotonic) has passed."""

    def trace(frame, event, arg):  # type: ignore[no-untyped-def]
        if time.monotonic() > deadline:
            raise AppImportTimeout
        return trace

    return trace


def import_apps(apps: list[tuple[str, str]]) -> None:
    """Import each app's module from its folder as the worker does; then forget the app's own modules.

    What the import brings of the standard library and the packages (Django's
    setup, say) stays; a failing or exiting app is left to fail in the browser.
    """
    for folder, module in apps:
        before = set(sys.modules)
        sys.path.insert(0, folder)
        sys.settrace(_deadline(time.monotonic() + APP_IMPORT_SECONDS))
        try:
            importlib.import_module(module)
        except BaseException:
            pass
        finally:
            sys.settrace(None)
            sys.path.remove(folder)
            for name in set(sys.modules) - before:
                file = getattr(sys.modules[name], "__file__", None) or ""
                if file.startswith(folder + "/"):
                    del sys.modules[name]


def module_name(name: str) -> str:
    """The module a ``.py`` file of a zip on ``sys.path`` holds (``a/b/__init__.py``: ``a.b``)."""
    parts = name[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def late_entries(names: list[str], prefix: str, wanted: set[str], started: set[str]) -> set[str]:
    """The entries of the standard library's zip that no start reads.

    The source of every module not imported (``started``: the names of
    those that were, ``wanted``: their files), but Pyodide's own; and what
    else lies in a package folder left without modules (data files, folder
    entries), else ``zipimport`` would take that folder for a namespace
    package and hide the real one in the late zip.
    """
    late = set()
    for name in names:
        if name.endswith(".py") and prefix + name not in wanted:
            module = module_name(name)
            if module not in started and module.partition(".")[0] not in PYODIDE_PACKAGES:
                late.add(name)
    kept: set[str] = set()
    for name in names:
        if name.endswith(".py") and name not in late:
            parts = name.split("/")[:-1]
            kept.update("/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
    for name in names:
        folder = name if name.endswith("/") else name.rpartition("/")[0] + "/"
        package = folder.partition("/")[0]
        in_package = f"{package}/__init__.py" in names
        if not name.endswith(".py") and folder != "/" and folder not in kept and in_package:
            late.add(name)
    return late


def loaded_files() -> set[str]:
    """The source files of every module imported so far (but frozen ones: never read)."""
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        origin = getattr(getattr(module, "__spec__", None), "origin", None)
        if isinstance(path, str) and path.endswith(".py") and origin != "frozen":
            files.add(path)
    return files


def unneeded(name: str) -> bool:
    """Whether a wheel's file is one no app in a page reads (stubs, tests, docs, SBOMs)."""
    folders = name.split("/")[:-1]
    if folders and folders[0].endswith(".dist-info"):
        return "sboms" in folders
    return (
        name.endswith((".pyi", ".md", ".rst"))
        or "tests" in folders
        # Instructions for coding agents (FastAPI's .agents/skills).
        or any(f.startswith(".") for f in folders)
    )


def _metadata_headers(data: bytes) -> bytes:
    # The long description (pydantic's is its whole changelog) is the body
    # after the headers; importlib.metadata's readers want the headers.
    head, sep, _ = data.partition(b"\n\n")
    return head + b"\n" if sep else data


def _info(
    name: str, date_time: tuple[int, int, int, int, int, int], external_attr: int = 0
) -> zipfile.ZipInfo:
    import zipfile

    out = zipfile.ZipInfo(name, date_time)
    out.external_attr = external_attr
    out.compress_type = zipfile.ZIP_DEFLATED
    # A ZipInfo of its own ignores the ZipFile's level.
    out.compress_level = LEVEL  # type: ignore[attr-defined]  # Python 3.13+
    return out


def _record_line(name: str, data: bytes) -> list[str]:
    import base64
    import hashlib

    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def _compile_zip(
    src: str,
    dst: str,
    prefix: str,
    wanted: set[str] | None,
    sources: zipfile.ZipFile | None,
    folder: str,
    keep_source: set[str] = frozenset(),  # type: ignore[assignment]
    late: tuple[zipfile.ZipFile, set[str], list[str]] | None = None,
) -> int:
    """Copy a zip unpacked (or imported) at ``prefix``, bytecode instead of the wanted sources.

    ``wanted``: the sources to compile (absolute, as in the browser); ``None``
    for all of them. The replaced sources go to ``sources`` under ``folder``
    (when given; else they are dropped). ``keep_source``: sources read while
    the app starts (``inspect.getsource``): their bytecode goes beside them.
    A wheel's ``RECORD`` is rewritten for what it holds now; a wheel also
    loses what :func:`unneeded` names. ``late``: (a zip, the modules a start
    imports, a list): what :func:`late_entries` names goes to that zip
    instead, the modules among it to the list.
    """
    import csv
    import io
    import zipfile

    count = 0
    record: tuple[zipfile.ZipInfo, bytes] | None = None
    entries: dict[str, list[str] | None] = {}
    is_wheel = src.endswith(".whl")
    with (
        zipfile.ZipFile(src) as zin,
        zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as zout,
    ):
        moved = late_entries(zin.namelist(), prefix, wanted or set(), late[1]) if late is not None else set()
        for info in zin.infolist():
            name = info.filename
            if name in moved and late is not None:
                if not name.endswith("/"):
                    late[0].writestr(_info(name, info.date_time, info.external_attr), zin.read(info))
                if name.endswith(".py"):
                    late[2].append(module_name(name))
                continue
            if is_wheel and name.endswith(".dist-info/RECORD"):
                record = (info, zin.read(info))
                continue
            path = prefix + name
            if is_wheel and unneeded(name) and path not in (wanted or ()):
                entries[name] = None
                continue
            data = zin.read(info)
            if is_wheel and name.endswith(".dist-info/METADATA"):
                data = _metadata_headers(data)
            if name.endswith(".py") and (wanted is None or path in wanted):
                try:
                    code = pyc(data, path)
                except SyntaxError:
                    code = None  # never importable here: left to fail as it would
                if code is not None:
                    count += 1
                    if path in keep_source:
                        # The source stays; zipimport looks for bytecode beside
                        # it, the file finder in __pycache__.
                        compiled = name + "c" if not is_wheel else _cached_name(name)
                        zout.writestr(_info(compiled, info.date_time, info.external_attr), code)
                        entries[compiled] = _record_line(compiled, code)
                    else:
                        zout.writestr(_info(name + "c", info.date_time, info.external_attr), code)
                        entries[name] = None
                        entries[name + "c"] = _record_line(name + "c", code)
                        if sources is not None:
                            sources.writestr(_info(folder + name, info.date_time), data)
                        continue
            zout.writestr(_info(name, info.date_time, info.external_attr), data)
            entries[name] = _record_line(name, data)
        if record is not None:
            info, data = record
            rows = []
            for row in csv.reader(io.StringIO(data.decode("utf-8"))):
                if not row or row[0] not in entries:
                    rows.append(row)  # the RECORD itself, or a file this copy never saw
                    continue
                new = entries.pop(row[0])
                if new is not None:
                    rows.append(new)
            rows.extend(row for row in entries.values() if row is not None)
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows(rows)
            zout.writestr(_info(info.filename, info.date_time, info.external_attr), text.getvalue().encode())
    return count


def compile_stdlib(
    src: str,
    dst: str,
    prefix: str,
    wanted: set[str],
    sources: zipfile.ZipFile | None = None,
    folder: str = "",
    keep_source: set[str] = frozenset(),  # type: ignore[assignment]
    late: tuple[zipfile.ZipFile, set[str], list[str]] | None = None,
) -> int:
    """Copy the standard-library zip with ``.pyc`` files instead of the ``wanted`` sources.

    ``prefix`` is where the zip lies in the browser (``/lib/python314.zip/``);
    ``zipimport`` imports ``x.pyc`` when there is no ``x.py``. The replaced
    sources go to ``sources`` under ``folder``. ``late``: (a zip, the modules
    a start imports, a list): every other module's source goes to that zip
    instead, its name to the list.
    """
    return _compile_zip(src, dst, prefix, wanted, sources, folder, keep_source, late)


def compile_wheel(
    src: str,
    dst: str,
    prefix: str,
    wanted: set[str] | None,
    sources: zipfile.ZipFile | None = None,
    folder: str = "",
    keep_source: set[str] = frozenset(),  # type: ignore[assignment]
) -> int:
    """Copy a wheel unpacked at ``prefix`` with ``.pyc`` files instead of the ``wanted`` sources."""
    return _compile_zip(src, dst, prefix, wanted, sources, folder, keep_source)


def _cached_name(name: str) -> str:
    folder, _, base = name.rpartition("/")
    return f"{folder}/__pycache__/{base[:-3]}.{sys.implementation.cache_tag}.pyc".lstrip("/")


def compile_bundle(src: str, dst: str, prefix: str, beside: dict[str, bytes]) -> int:
    """The app's own code, all of it, bytecode in ``__pycache__`` beside the sources.

    ``beside``: the bridge's modules, which the worker writes into the app's
    folder (``_live_asgi_bridge.py``, ...): their bytecode travels with the app.
    """
    import zipfile

    count = 0
    with (
        zipfile.ZipFile(src) as zin,
        zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(_info(info.filename, info.date_time, info.external_attr), data)
            if info.filename.endswith(".py"):
                try:
                    code = pyc(data, prefix + info.filename)
                except SyntaxError:
                    continue  # the app's own error, shown as the reader's start fails
                zout.writestr(_info(_cached_name(info.filename), info.date_time, info.external_attr), code)
                count += 1
        for name, source in sorted(beside.items()):
            zout.writestr(_info(_cached_name(name), (1980, 1, 1, 0, 0, 0)), pyc(source, prefix + name))
            count += 1
    return count


def compile_all(
    work: str,
    imports: list[str],
    inputs: list[str],
    site_packages: str,
    bundles: list[str],
    app_imports: list[str] = [],  # noqa: B006  # never changed
    targets: list[str] = [],  # noqa: B006  # never changed
) -> dict[str, object]:
    """What ``compile.mjs`` runs: import as an app's start does, then compile what was loaded.

    Reads ``work/stdlib.zip``, the wheels ``inputs`` and ``work/bundle-<i>.zip``
    (unpacked in the browser at ``bundles[i]``); writes ``work/out-stdlib.zip``
    (what a start imports), ``work/out-late.zip`` (the rest of the standard
    library), ``<input>.out`` beside every other input and ``work/out-sources.zip``.
    ``app_imports``: the modules the apps' own code imports at its top level;
    ``targets``: the module of each bundle's app (imported from its folder).
    """
    failed = start_imports(imports, app_imports)
    apps = zip(bundles, targets, strict=False)  # no targets: none imported
    import_apps([(prefix.rstrip("/"), target) for prefix, target in apps if target])
    # What a first request commonly imports, so that it does not wait for the rest
    # of the standard library: a host name's codec (Werkzeug), string escapes,
    # cookies, a package's data files (Jinja's templates).
    import_all(FIRST_REQUEST)
    started = set(sys.modules)
    wanted = loaded_files()
    import linecache
    import zipfile

    # Modules whose source was read while they were imported (anyio builds its
    # lazy imports from its own source with inspect.getsource) keep it.
    keep_source = wanted & set(linecache.cache)
    # Where the browser looks for the sources this replaces (the bridge's compat module says).
    (stdlib_prefix, stdlib_folder), (wheel_prefix, wheel_folder) = (
        importlib.import_module("_live_asgi_compat").source_folders(site_packages).items()
    )
    report: dict[str, object] = {"failed": failed, "kept_source": sorted(keep_source)}
    late_modules: list[str] = []
    with (
        zipfile.ZipFile(f"{work}/out-sources.zip", "w", zipfile.ZIP_STORED) as sources,
        zipfile.ZipFile(f"{work}/out-late.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as late,
    ):
        report["stdlib"] = compile_stdlib(
            f"{work}/stdlib.zip",
            f"{work}/out-stdlib.zip",
            stdlib_prefix,
            wanted,
            sources,
            stdlib_folder,
            keep_source,
            (late, started, late_modules),
        )
        report["late"] = sorted(late_modules)
        report["wheels"] = sum(
            compile_wheel(source, source + ".out", wheel_prefix, wanted, sources, wheel_folder, keep_source)
            for source in inputs
        )
    bridge = {}
    for name in ("_live_asgi_bridge", "_live_asgi_compat"):
        with open(f"{work}/bridge/{name}.py", "rb") as f:
            bridge[f"{name}.py"] = f.read()
    compiled = 0
    for i, prefix in enumerate(bundles):
        source = f"{work}/bundle-{i}.zip"
        compiled += compile_bundle(source, source + ".out", prefix.rstrip("/") + "/", bridge)
    report["bundles"] = compiled
    return report
