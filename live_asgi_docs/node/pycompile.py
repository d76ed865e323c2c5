"""Bytecode compiled at build time, so that the reader's browser compiles none.

Runs inside Pyodide (under Node, started by ``compile.mjs``): the ``.pyc``
files must carry the magic number of Pyodide's CPython, which the Python that
builds the docs may not share. It imports what an app's start imports (the
bridge, the lock's packages), then writes ``.pyc`` files for exactly the
modules that were loaded:

- the standard library zip gets ``x.pyc`` beside ``x.py`` (``zipimport`` only
  looks there, never in ``__pycache__``);
- wheels and the app's bundle get ``__pycache__/x.cpython-314.pyc``.

Every ``.pyc`` is *unchecked-hash* (PEP 552): a timestamp ``.pyc`` would be
stale in the browser, where unpacking gives every file a new modification
time (and ``zipimport`` compares DOS times), so the source would be compiled
anyway. Sources stay next to their bytecode: tracebacks keep their lines.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.util
import sys
import zipfile
from collections.abc import Iterable
from importlib import _bootstrap_external

__all__ = [
    "compile_all",
    "compile_bundle",
    "compile_stdlib",
    "compile_wheel",
    "import_all",
    "loaded_files",
    "pyc",
]


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


def loaded_files() -> set[str]:
    """The source files of every module imported so far."""
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            files.add(path)
    return files


def _copy_info(info: zipfile.ZipInfo, name: str | None = None) -> zipfile.ZipInfo:
    out = zipfile.ZipInfo(name or info.filename, info.date_time)
    out.external_attr = info.external_attr
    out.compress_type = zipfile.ZIP_DEFLATED
    return out


def compile_stdlib(src: str, dst: str, prefix: str, wanted: set[str]) -> int:
    """Copy the standard-library zip with ``.pyc`` files for the ``wanted`` sources.

    ``prefix`` is where the zip lies in the browser (``/lib/python314.zip/``).
    """
    count = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(_copy_info(info), data)
            if info.filename.endswith(".py") and prefix + info.filename in wanted:
                zout.writestr(_copy_info(info, info.filename + "c"), pyc(data, prefix + info.filename))
                count += 1
    return count


def _cached_name(name: str) -> str:
    folder, _, base = name.rpartition("/")
    return f"{folder}/__pycache__/{base[:-3]}.{sys.implementation.cache_tag}.pyc".lstrip("/")


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}\n"


def compile_wheel(
    src: str, dst: str, prefix: str, wanted: set[str] | None, beside: dict[str, bytes] | None = None
) -> int:
    """Copy a wheel (or any zip unpacked at ``prefix``) with ``__pycache__`` bytecode.

    ``wanted``: the sources to compile (absolute, as unpacked); ``None`` for all.
    ``beside``: sources that are written beside the unpacked files by others
    (by name): only their bytecode goes into the zip.
    A wheel's ``RECORD`` lists the added files.
    """
    count = 0
    added = []
    record: tuple[zipfile.ZipInfo, bytes] | None = None
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                record = (info, data)
                continue
            zout.writestr(_copy_info(info), data)
            path = prefix + info.filename
            if info.filename.endswith(".py") and (wanted is None or path in wanted):
                try:
                    code = pyc(data, path)
                except SyntaxError:
                    continue  # never importable here: left to fail as it would
                name = _cached_name(info.filename)
                zout.writestr(_copy_info(info, name), code)
                added.append(_record_line(name, code))
                count += 1
        for name, source in sorted((beside or {}).items()):
            info = zipfile.ZipInfo(_cached_name(name), (1980, 1, 1, 0, 0, 0))
            zout.writestr(info, pyc(source, prefix + name), zipfile.ZIP_DEFLATED)
            count += 1
        if record is not None:
            info, data = record
            text = data.decode("utf-8")
            if text and not text.endswith("\n"):
                text += "\n"
            zout.writestr(_copy_info(info), (text + "".join(added)).encode("utf-8"))
    return count


def compile_bundle(src: str, dst: str, prefix: str, beside: dict[str, bytes]) -> int:
    """The app's own code, all of it (it is small, and imported on every start).

    ``beside``: the bridge's modules, which the worker writes into the app's
    folder (``_live_asgi_bridge.py``, ...): their bytecode travels with the app.
    """
    return compile_wheel(src, dst, prefix, None, beside)


def compile_all(
    work: str, imports: list[str], inputs: list[str], site_packages: str, bundles: list[str]
) -> dict[str, object]:
    """What ``compile.mjs`` runs: import as an app's start does, then compile what was loaded.

    Reads ``work/stdlib.zip``, the wheels ``inputs`` and ``work/bundle-<i>.zip``
    (unpacked in the browser at ``bundles[i]``); writes ``work/out-stdlib.zip``
    and ``<input>.out`` beside every other input.
    """
    failed = import_all(["_live_asgi_bridge", *imports])
    try:
        # What the bridge supplies before an app is imported (threads, ...).
        importlib.import_module("_live_asgi_bridge")._compat().install()
    except Exception:
        pass
    wanted = loaded_files()
    stdlib_prefix = f"/lib/python{sys.version_info[0]}{sys.version_info[1]}.zip/"
    report: dict[str, object] = {"failed": failed}
    report["stdlib"] = compile_stdlib(f"{work}/stdlib.zip", f"{work}/out-stdlib.zip", stdlib_prefix, wanted)
    report["wheels"] = sum(
        compile_wheel(source, source + ".out", site_packages.rstrip("/") + "/", wanted) for source in inputs
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
